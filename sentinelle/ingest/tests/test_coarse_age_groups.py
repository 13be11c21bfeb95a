"""Nothing lost at intake (issue 14, point 1): children and adults without finer age group.

IRC's monitoring table for Mopti, January-February 2026 (tests/fixtures/p1_tableau_monitoring*): 16
incidents whose victims are tagged the way monitoring tables and HNO data give them, children or adults
without a finer age group (#affected+killed+f+children, #affected+killed+m+adults): 304 killed, 154 of
them children, 71 injured, 36 of them children. Before, the children columns were "not recognised,
ignored" with a warning and the import succeeded: 150 of the 304 killed and 35 of the 71 injured were
kept. Now every victim is kept, under the coarse age groups 0_17 and 18_plus, in the three forms of the
file (the partner's own HXL table, the template's CSV, the XLSX template filled in).

A column that looks like data and that Sentinelle does not recognise (a hashtag of the victims' family,
#affected+killed+total, or a column of numbers, "Enfants disparus") is an error of the file, every such
column listed at once, and nothing is written; a column of text ("Observations") or the rows' numbers
("N°") stay a warning.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import translation

from sentinelle.accounts.tests.factories import make_member
from sentinelle.core import datasets
from sentinelle.core.models import Role
from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.kinds.incident_columns import VICTIM_BY_KEY, VICTIM_COLUMNS
from sentinelle.ingest.matching import match_columns
from sentinelle.ingest.sources import open_table
from sentinelle.ingest.tests.conftest import (
    commit,
    csv_bytes,
    errors_of,
    fixture_bytes,
    incident_row,
    raw_csv,
    upload,
)
from sentinelle.monitoring.models import Incident, VictimCount

pytestmark = pytest.mark.django_db

TABLE = ["p1_tableau_monitoring_hxl.csv", "p1_tableau_monitoring.csv", "p1_tableau_monitoring.xlsx"]
UNKNOWN_COLUMNS = ["p1_colonne_inconnue_hxl.csv", "p1_colonne_inconnue.xlsx"]
# The first columns of the small files written here.
PLACE_AND_DATES = ["#event+id", "#date+occurred", "#date+reported", "#adm3+code", "#event+type"]
# (outcome, age group) -> victims in the table.
FIGURES = {
    ("killed", "0_17"): 154,
    ("killed", "18_plus"): 150,
    ("injured", "0_17"): 36,
    ("injured", "18_plus"): 35,
}


@pytest.fixture
def beta_monitor(beta, mopti):
    """A monitor of another organisation, in the same region."""
    return make_member(Role.MONITOR, beta, areas=[mopti], username="beta_monitor")


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def victims_by_outcome_and_age() -> dict:
    rows = VictimCount.objects.values("outcome", "age_group").annotate(n=Sum("count"))
    return {(row["outcome"], row["age_group"]): row["n"] for row in rows}


def victims_by_sex(outcome: str, age_group: str) -> dict:
    rows = (
        VictimCount.objects.filter(outcome=outcome, age_group=age_group)
        .values("sex")
        .annotate(n=Sum("count"))
    )
    return {row["sex"]: row["n"] for row in rows}


@pytest.mark.parametrize("name", TABLE)
def test_every_victim_of_the_partner_table_is_kept(monitor, alpha, mali_mopti, name):
    job = upload(monitor, alpha, fixture_bytes(name), filename=name)
    assert job.status == "valid", errors_of(job)

    job = commit(monitor, job)

    assert job.status == "committed" and Incident.objects.count() == 16
    assert victims_by_outcome_and_age() == FIGURES
    assert sum(n for (outcome, _age), n in FIGURES.items() if outcome == "killed") == 304
    assert victims_by_sex("killed", "0_17") == {"f": 69, "m": 85}
    assert victims_by_sex("killed", "18_plus") == {"f": 45, "m": 105}
    sangha = Incident.objects.get(source_id="IRC-MPT-2601")
    assert {(v.outcome, v.sex, v.age_group): v.count for v in sangha.victim_counts.all()} == {
        ("killed", "f", "0_17"): 12,
        ("killed", "m", "0_17"): 14,
        ("killed", "f", "18_plus"): 9,
        ("killed", "m", "18_plus"): 18,
        ("injured", "f", "0_17"): 3,
        ("injured", "m", "0_17"): 4,
        ("injured", "f", "18_plus"): 2,
        ("injured", "m", "18_plus"): 6,
    }


def test_the_rows_numbers_and_the_comments_stay_a_warning(monitor, alpha, mali_mopti):
    job = upload(monitor, alpha, fixture_bytes(TABLE[0]), filename=TABLE[0])

    assert job.status == "valid"
    assert job.warnings == ["Colonnes non reconnues, ignorées : N°, Observations."]


def test_the_statistics_count_the_children_of_the_table(monitor, alpha, mali_mopti):
    commit(monitor, upload(monitor, alpha, fixture_bytes(TABLE[0]), filename=TABLE[0]))

    rows = datasets.strip_keys(datasets.aggregate("victims", group_by=["outcome", "age_band"], exact=True))

    assert {(row["outcome"], row["age_band"]): row["count"] for row in rows} == {
        ("killed", "children"): 154,
        ("killed", "adults"): 150,
        ("injured", "children"): 36,
        ("injured", "adults"): 35,
    }


@pytest.mark.parametrize("name", UNKNOWN_COLUMNS)
def test_a_file_with_columns_of_figures_not_recognised_is_refused_as_a_whole(
    monitor, alpha, mali_mopti, name
):
    job = upload(monitor, alpha, fixture_bytes(name), filename=name)

    assert job.status == "invalid"
    # Every such column at once, as errors of the file (no row), and only them.
    assert [(error["row"], error["column"]) for error in job.errors] == [
        (None, "Enfants disparus"),
        (None, "Total tués"),
    ]
    assert job.warnings == ["Colonnes non reconnues, ignorées : N°, Observations."]
    with pytest.raises(ValidationError):
        commit(monitor, job)
    assert Incident.objects.count() == 0 and VictimCount.objects.count() == 0


def test_the_refusal_names_the_column_and_what_to_do(monitor, alpha, mali_mopti):
    with translation.override("en"):
        job = upload(monitor, alpha, fixture_bytes(UNKNOWN_COLUMNS[0]), filename=UNKNOWN_COLUMNS[0])

    numbers, tagged = (error["message"] for error in job.errors)
    assert numbers.startswith("The column “Enfants disparus” is not recognised, yet it holds numbers")
    assert tagged.startswith(
        "The column “Total tués (#affected+killed+total)” is not recognised, yet its hashtag"
    )
    for message in (numbers, tagged):
        assert "Rename it with the header or HXL hashtag of the template column" in message
        assert "or remove it from the file" in message


def test_an_untagged_column_of_numbers_is_refused_and_one_of_text_is_not(monitor, alpha, places):
    row = incident_row()
    content = raw_csv(
        [
            [*PLACE_AND_DATES, "Blessés", "Remarque"],
            [row["source_id"], row["date_start"], row["date_reported"], "ML050101", "life", "3", "RAS"],
        ]
    )

    job = upload(monitor, alpha, content)

    assert job.status == "invalid"
    assert [error["column"] for error in job.errors] == ["Blessés"]
    assert job.warnings == ["Colonnes non reconnues, ignorées : Remarque."]


def test_a_row_giving_children_with_and_without_finer_age_group_is_refused(monitor, alpha, places):
    content = csv_bytes([incident_row(source_id="A-1", victims_killed_f_0_17=3, victims_killed_f_0_5=1)])

    job = upload(monitor, alpha, content)

    # 3 children and 1 of 0-5: 4 children, or 3 of whom one is 0-5? The partner says which.
    assert job.status == "invalid"
    assert [(error["row"], error["column"]) for error in job.errors] == [
        (3, get_kind("incidents").columns_by_key["victims_killed_f_0_17"].french_label())
    ]
    assert "0-5" in job.errors[0]["message"]
    assert Incident.objects.count() == 0


def test_rows_by_finer_age_group_and_rows_without_add_up(monitor, alpha, places):
    """Both kinds of columns in one file (the template has them all), each row giving one of them."""
    content = csv_bytes(
        [
            incident_row(source_id="A-2", victims_killed_f_0_17=2),
            incident_row(
                source_id="A-3",
                victims_killed_f_0_5=1,
                victims_killed_m_18_59=None,
                victims_killed_m_18_plus=4,
            ),
        ]
    )

    job = commit(monitor, upload(monitor, alpha, content))

    assert job.status == "committed", errors_of(job)
    rows = datasets.aggregate("victims", group_by=["age_band", "age_group"], exact=True)
    assert {(row["age_band"], row["age_group"]): row["count"] for row in datasets.strip_keys(rows)} == {
        ("children", "0_17"): 2,
        ("children", "0_5"): 1,
        ("adults", "18_59"): 2,
        ("adults", "18_plus"): 4,
    }


def test_adults_and_elderly_side_by_side_are_both_kept(monitor, alpha, places):
    """The HNO convention: adults (18-59) and elderly (60+) in two columns, neither the total of the other."""
    row = incident_row()
    content = raw_csv(
        [
            [
                *PLACE_AND_DATES,
                "#affected+killed+m+adults",
                "#affected+killed+m+elderly",
                "#affected+killed+f+children",
            ],
            [row["source_id"], row["date_start"], row["date_reported"], "ML050101", "life", "5", "2", "1"],
        ]
    )

    job = commit(monitor, upload(monitor, alpha, content))

    assert job.status == "committed"
    assert victims_by_outcome_and_age() == {
        ("killed", "18_plus"): 5,
        ("killed", "60_plus"): 2,
        ("killed", "0_17"): 1,
    }


def test_each_victim_hashtag_reads_back_into_its_own_column():
    """Every victim column's hashtag (as the template and any export write it) is recognised as that column,
    the coarse ones included: a file written with them imports into the same cells."""
    kind = get_kind("incidents")
    content = raw_csv([[column.hxl for column in VICTIM_COLUMNS], ["1"] * len(VICTIM_COLUMNS)])

    found = match_columns(kind, open_table(content))

    assert not found.ignored  # (the errors say that the dates and the place are missing)
    assert {key: found.headers[index] for key, index in found.positions.items()} == {
        column.key: column.hxl for column in VICTIM_COLUMNS
    }
    assert {"0_17", "18_plus"} <= {age for _outcome, _sex, age in VICTIM_BY_KEY.values()}


def test_recorded_victims_written_back_as_a_file_import_into_the_same_figures(
    monitor, alpha, beta, beta_monitor, mali_mopti
):
    """The round trip: alpha's incidents written as a file with the template's columns (what an export of
    incidents holds), imported by beta, give the same statistics by age group and age band."""
    commit(monitor, upload(monitor, alpha, fixture_bytes(TABLE[0]), filename=TABLE[0]))
    rows = []
    for incident in Incident.objects.prefetch_related("victim_counts", "category_links").select_related(
        "area"
    ):
        row = {
            "source_id": incident.source_id,
            "date_start": incident.date_start,
            "date_reported": incident.date_reported,
            "adm3_code": incident.area.pcode,
            "categories": ";".join(link.category for link in incident.category_links.all()),
        }
        row.update(
            {f"victims_{v.outcome}_{v.sex}_{v.age_group}": v.count for v in incident.victim_counts.all()}
        )
        rows.append(row)
    before = {group: statistics(group, alpha) for group in ("age_group", "age_band")}

    job = commit(beta_monitor, upload(beta_monitor, beta, csv_bytes(rows)))

    assert job.status == "committed", errors_of(job)
    assert {group: statistics(group, beta) for group in ("age_group", "age_band")} == before


def statistics(group: str, organisation) -> dict:
    rows = datasets.aggregate(
        "victims",
        group_by=["outcome", "sex", group],
        filters=datasets.Filters(organisation_ids=(organisation.pk,)),
        exact=True,
    )
    return {(row["outcome"], row["sex"], row[group]): row["count"] for row in datasets.strip_keys(rows)}
