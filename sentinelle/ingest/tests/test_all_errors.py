"""Every error of every row at once (issue 14, point 6).

A partner's monitoring file whose rows each have several problems (tests/fixtures/p6_erreurs_multiples.*:
the template as CSV, the same rows as a partner's workbook, and an HXL-tagged CSV with the partner's own
headers). Before, each row showed its first error only (a bad date hid a bad cercle: one upload per
error); now every (row, column) is reported with the cell's value and what is expected, on the page
(paged, with the total) and in the CSV (all of them), and nothing is written.
"""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from sentinelle.core.spreadsheets import safe_cell
from sentinelle.ingest import runner
from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.tests.conftest import commit, csv_bytes, fixture_bytes, incident_row, upload
from sentinelle.monitoring.models import Incident

pytestmark = pytest.mark.django_db

# (row, column key, the cell as the file has it): three problems in each of rows 3, 4, 5, 7 and 8; row 6
# is valid. Cells, places and the domain's rules together: a bad date does not hide a bad cercle, and a
# rule between columns still speaks when another cell of the row is wrong.
EXPECTED = {
    (3, "date_start", "31/02/2026"),  # a day that does not exist
    (3, "adm2_code", "ML0599"),  # unknown P-code
    (3, "victims_killed_m_18_59", "-1"),  # negative count
    (4, "date_reported", "hier"),  # not a date
    (4, "adm3_code", "ML050208"),  # Dourou is not in the cercle of Mopti
    (4, "victims_injured_f_18_59", "deux"),  # not a number
    (5, "date_reported", "05/03/2026"),  # reported before it happened (a rule between columns)
    (5, "longitude", ""),  # a latitude without its longitude
    (5, "displaced_households", "beaucoup"),  # not a number
    (7, "date_start", "2026-13-01"),  # month 13
    (7, "eo_device", ""),  # category explosive without the device (a rule; the file has no such column)
    (7, "victims_killed_f_0_5", "1.5"),  # not a whole number
    (8, "date_estimated", "peut-être"),  # not yes or no
    (8, "latitude", "14.5"),  # longitude 200: outside the globe (a rule)
    (8, "displaced_households", "40"),  # more households (40) than individuals (25) (a rule)
}
FILES = ["p6_erreurs_multiples.csv", "p6_erreurs_multiples.xlsx", "p6_erreurs_multiples_hxl.csv"]
# The HXL file tags its adults #affected+killed+m+adults, without a finer age attribute: the coarse group
# "18 and over" (issue 14, point 1), where the template's columns say 18-59.
ADULTS = {
    "victims_killed_m_18_59": "victims_killed_m_18_plus",
    "victims_injured_f_18_59": "victims_injured_f_18_plus",
}
EXPECTED_HXL = {(row, ADULTS.get(key, key), value) for row, key, value in EXPECTED}


def expected(name: str) -> set[tuple]:
    return EXPECTED_HXL if name.endswith("_hxl.csv") else EXPECTED


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def keys_by_header(job) -> dict[str, str]:
    """File header (and template label) -> column key, from the columns the job recognised."""
    kind = get_kind(job.kind)
    by_label = {column.french_label(): column.key for column in kind.columns}
    found = dict(by_label)
    for header, label in job.preview["mapping"]:
        found[header] = by_label[label]
    return found


def reported(job) -> set[tuple]:
    keys = keys_by_header(job)
    return {(error["row"], keys[error["column"]], error["value"]) for error in job.errors}


@pytest.mark.parametrize("name", FILES)
def test_every_error_of_every_row_is_reported_at_once(monitor, alpha, mali_mopti, name):
    job = upload(monitor, alpha, fixture_bytes(name), filename=name)

    assert job.status == "invalid"
    assert reported(job) == expected(name)
    assert job.error_count == len(EXPECTED) == len(job.errors)
    assert (job.row_count, job.valid_count) == (6, 1)
    # Each message says what is expected, in French, and names no other row's cell.
    messages = {
        (error["row"], keys_by_header(job)[error["column"]]): error["message"] for error in job.errors
    }
    assert messages[(3, "date_start")] == "« 31/02/2026 » n'est pas une date qui existe."
    assert messages[(4, "adm3_code")] == "Dourou (ML050208) n'est pas dans Mopti (ML0501)."
    injured = next(key for row, key, _value in expected(name) if row == 4 and key.startswith("victims"))
    assert messages[(4, injured)] == "« deux » n'est pas un nombre entier."
    assert messages[(5, "date_reported")] == "L'incident ne peut pas être déclaré avant d'avoir eu lieu."
    # What must not happen: nothing written, and the job cannot be imported.
    assert Incident.objects.count() == 0
    with pytest.raises(ValidationError):
        commit(monitor, job)
    assert Incident.objects.count() == 0


def test_the_three_forms_of_the_file_report_the_same_errors(monitor, alpha, mali_mopti):
    found = [reported(upload(monitor, alpha, fixture_bytes(name), filename=name)) for name in FILES]

    assert found[0] == found[1] == EXPECTED
    assert found[2] == EXPECTED_HXL


def test_the_page_and_the_csv_list_every_error_with_its_value(signed_in, monitor, alpha, mali_mopti):
    job = upload(monitor, alpha, fixture_bytes(FILES[0]), filename=FILES[0])
    client = signed_in(monitor)

    page = client.get(reverse("ingest:job-detail", args=[job.public_id])).content.decode()
    lines = client.get(reverse("ingest:job-errors", args=[job.public_id])).content.decode("utf-8-sig")

    for error in job.errors:
        column, value = escape(error["column"]), escape(error["value"])
        row = f'<td data-label="Ligne">{error["row"]}</td>'
        assert f'{row}<td>{column}</td><td class="cell-value short">{value}</td>' in page
    rows = list(csv.reader(io.StringIO(lines), delimiter=";"))
    assert rows[0] == ["Ligne", "Colonne", "Valeur", "Message"]
    # Values are written as the file has them, a leading - + = @ neutralised (never run as a formula).
    assert {(int(row), column, value) for row, column, value, _message in rows[1:]} == {
        (error["row"], error["column"], safe_cell(error["value"])) for error in job.errors
    }


def test_many_errors_are_paged_with_the_total_and_all_in_the_csv(signed_in, monitor, alpha, places):
    rows = [incident_row(source_id=f"X-{n}", date_start="hier", adm3_code="ML059999") for n in range(120)]
    job = upload(monitor, alpha, csv_bytes(rows))
    client = signed_in(monitor)
    url = reverse("ingest:job-detail", args=[job.public_id])

    first = client.get(url)
    last = client.get(url, {"erreurs": 3})
    lines = client.get(reverse("ingest:job-errors", args=[job.public_id])).content.decode("utf-8-sig")

    assert job.error_count == 240 == len(job.errors)
    assert list(first.context["errors_page"]) == job.errors[:100]
    assert list(last.context["errors_page"]) == job.errors[200:]
    assert "?erreurs=2#erreurs" in first.content.decode() and "240" in first.content.decode()
    assert len(lines.strip().splitlines()) == 1 + 240
    # Errors by column, so that a long list says where the mistakes are.
    assert dict(job.preview["error_columns"]) == {"Date de l'incident": 120, "Commune (P-code)": 120}


def test_errors_beyond_what_a_job_keeps_are_counted(signed_in, monitor, alpha, places, monkeypatch):
    monkeypatch.setattr(runner, "MAX_ERRORS", 50)
    rows = [incident_row(source_id=f"X-{n}", date_start="hier", adm3_code="ML059999") for n in range(40)]

    job = upload(monitor, alpha, csv_bytes(rows))
    response = signed_in(monitor).get(reverse("ingest:job-detail", args=[job.public_id]))

    assert (job.error_count, len(job.errors)) == (80, 50)
    assert response.context["errors_not_kept"] == 30
    assert dict(job.preview["error_columns"]) == {"Date de l'incident": 40, "Commune (P-code)": 40}


def test_a_valid_file_still_imports(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(), incident_row(source_id="A-002")]))

    assert job.status == "valid" and job.errors == []
    assert commit(monitor, job).created_count == 2
