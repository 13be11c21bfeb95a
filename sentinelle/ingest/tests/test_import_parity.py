"""Import error parity (issue 17): the whole-column path reports exactly what the single-row path does.

The runner parses each chunk column by column (every distinct value of a column once) before it maps the
rows; the incident form, OpenRosa and a mapper used row by row parse each cell alone. For a corpus of
generated bad rows (many kinds of error, several per row, values to map among them), both give the same
errors (row, column, value, message, in French) and the same values to map, and a CSV file and a workbook
of the same rows give the same errors, whatever the chunk size.
"""

import datetime
import random

import pytest
from django.utils import translation

from sentinelle.ingest import runner
from sentinelle.ingest.runner import Mapper, Outcome, open_job_file, run_pass
from sentinelle.ingest.tests.conftest import csv_bytes, days_ago, incident_row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

# (column key, bad value) pairs: cells (dates, counts, numbers, yes/no), places (unknown P-code, a commune
# outside its cercle, an area of another level, a name nobody knows), codes to map, and values that only
# the domain's rules refuse (dates in the wrong order, households above individuals, half a position).
BAD_CELLS = [
    ("date_start", "31/02/2026"),
    ("date_start", "2026-13-01"),
    ("date_start", "hier"),
    ("date_reported", "bientôt"),
    ("date_end", "00/00/0000"),
    ("date_estimated", "peut-être"),
    ("victims_killed_m_18_59", -1),  # a number (a text "-1" is written "'-1" by the safe template writer)
    ("victims_killed_m_18_59", "deux"),
    ("victims_injured_f_0_5", "1.5"),
    ("victims_killed_f_children", "3"),  # with a finer cell of the same outcome and sex: overlap
    ("displaced_households", "beaucoup"),
    ("latitude", "14.5"),  # without its longitude
    ("longitude", "200"),
    ("adm2_code", "ML0599"),
    ("adm3_code", "ML040101"),  # a commune of Ségou under the cercle of Bandiagara
    ("adm2_code", "ML050101"),  # a commune's P-code in the cercle's column
    ("adm3_name", "Mopit"),  # a place name to map
    ("categories", "vol de bétail"),  # a word to map
    ("categories", "life; bizarre"),
    ("perpetrator_category", "inconnus armés"),
    ("reliability", "Z"),
    ("organisation", "AUTRE ONG"),
    ("eo_device", "landmine"),  # a device for an incident that is not explosive
    ("categories", "explosive"),  # explosive without its device
    ("gbv_survivor_age", "12"),  # survivor details for a monitor: refused
    ("gbv_consent", "oui"),
]


def bad_rows(count: int, seed: int) -> list[dict]:
    """`count` rows with up to four bad cells each (some valid), deterministic for `seed`."""
    generator = random.Random(seed)
    rows = []
    for number in range(count):
        row = incident_row(source_id=f"P-{number:04d}", victims_injured_f_18_59=generator.randint(0, 3))
        if generator.random() < 0.2:
            row["victims_killed_f_0_5"] = 1
        for key, value in generator.sample(BAD_CELLS, generator.randint(0, 4)):
            row[key] = value
        if generator.random() < 0.1:
            row["date_reported"] = (
                days_ago(10) - datetime.timedelta(days=3)
            ).isoformat()  # before it happened
        if generator.random() < 0.1:
            row["displaced_households"], row["displaced_individuals"] = 40, 25
        rows.append(row)
    # A repeated identifier.
    rows += [incident_row(source_id="P-REPEATED"), incident_row(source_id="P-REPEATED")]
    return rows


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def errors(job_or_outcome) -> list[tuple]:
    return [(e["row"], e["column"], e["value"], e["message"]) for e in job_or_outcome.errors]


def row_by_row(monitor, alpha, content: bytes) -> Outcome:
    """The single-row path: each row mapped alone, every cell parsed by itself (no column pass)."""
    job = upload(monitor, alpha, content)
    opened = open_job_file("incidents", content)
    mapper = Mapper(opened, job=job)
    outcome = Outcome()
    for number, values in opened.table.rows():
        assert mapper.parsed == {}
        outcome.row_count += 1
        if mapper.map(number, values, outcome) is not None:
            outcome.valid_count += 1
    return outcome


def whole_columns(monitor, alpha, content: bytes, chunk: int) -> Outcome:
    job = upload(monitor, alpha, content)
    mapper = Mapper(open_job_file("incidents", content), job=job)
    original = runner.CHUNK_ROWS
    runner.CHUNK_ROWS = chunk
    try:
        return run_pass(mapper, count_existing=False)
    finally:
        runner.CHUNK_ROWS = original


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_column_pass_reports_what_each_row_alone_reports(monitor, alpha, places, seed):
    content = csv_bytes(bad_rows(60, seed))
    alone = row_by_row(monitor, alpha, content)
    assert alone.error_count > 60  # the corpus is bad enough to mean something
    for chunk in (1, 7, 1000):
        together = whole_columns(monitor, alpha, content, chunk)
        assert errors(together) == errors(alone)
        assert together.unknowns.found.keys() == alone.unknowns.found.keys()
        assert [(u.column, u.value, u.rows, u.first_row) for u in together.unknowns.found.values()] == [
            (u.column, u.value, u.rows, u.first_row) for u in alone.unknowns.found.values()
        ]
        assert (together.row_count, together.valid_count) == (alone.row_count, alone.valid_count)


@pytest.mark.parametrize("seed", [4, 5])
def test_a_csv_file_and_a_workbook_of_the_same_rows_report_the_same_errors(monitor, alpha, places, seed):
    rows = bad_rows(50, seed)
    from_csv = upload(monitor, alpha, csv_bytes(rows))
    from_xlsx = upload(monitor, alpha, xlsx_bytes(rows), filename="incidents.xlsx")
    assert from_csv.error_count > 50
    assert errors(from_xlsx) == errors(from_csv)
    assert from_xlsx.unmapped == from_csv.unmapped
    assert (from_xlsx.status, from_xlsx.row_count) == (from_csv.status, from_csv.row_count)


def test_every_kind_of_error_of_the_corpus_is_reported(monitor, alpha, places):
    """The corpus is not vacuous: cells, places, rules and repeats each give their French message."""
    job = upload(monitor, alpha, csv_bytes(bad_rows(120, 9)))
    messages = " ".join(e["message"] for e in job.errors)
    for words in (
        "n'est pas une date qui existe",  # 31/02
        "n'est pas une date :",
        "est négatif",
        "n'est pas un nombre entier",
        "P-code inconnu",
        "n'est pas dans",
        "Donnez la latitude et la longitude",
        "n'est ni oui ni non",
        "plus de ménages que de personnes",
        "Même identifiant qu'à la ligne",
    ):
        assert words in messages, words
    assert {entry["column"] for entry in job.unmapped} >= {"categories", "adm3_name"}
