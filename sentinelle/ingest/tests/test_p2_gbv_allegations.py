"""Nothing lost at intake: GBV allegations of protection monitoring (issue 14, point 2).

A partner's protection monitoring table (tests/fixtures/p2_allegations_vbg.*: the template's French
headers as CSV, the partner's own headers HXL-tagged as CSV and as a workbook): twelve incidents in Mopti
in March 2026, four of them GBV allegations (rows 4, 7, 10 and 12: "gbv", and "liberty;gbv") with no
survivor column at all, as protection monitors record them. Before, each of the four rows was refused
("A GBV incident needs the survivor's details and the classification tool's answers.") and, all or
nothing, the whole file with them. Now they are imported as allegations: counted among the monitoring
incidents by category, under the GBV floor like every GBV record, and never in the GBVIMS statistics,
which still count only GBV service providers' records (GBV form, classification, consent). A monitor's
file that does carry survivor details is refused row by row, saying where they belong.
"""

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from sentinelle.core.datasets import Filters, GBVFloorError, aggregate, strip_keys
from sentinelle.ingest.tests.conftest import commit, errors_of, fixture_bytes, upload
from sentinelle.monitoring.models import GBVIncident, Incident
from sentinelle.monitoring.services.incidents import incident_record
from sentinelle.monitoring.tests.factories import gbv_incident_input
from sentinelle.monitoring.validation import survivor_details_refused

pytestmark = pytest.mark.django_db

FILES = ["p2_allegations_vbg.csv", "p2_allegations_vbg.xlsx", "p2_allegations_vbg_hxl.csv"]
# Source id -> (categories, victims as (outcome, sex, age group, count)): the four GBV allegations.
ALLEGATIONS = {
    "INT-MPT-2603-02": (["gbv"], [("affected", "f", "unknown", 3)]),
    "INT-MPT-2603-05": (["gbv"], [("affected", "f", "unknown", 1)]),
    "INT-MPT-2603-08": (["gbv"], []),
    "INT-MPT-2603-10": (["gbv", "liberty"], [("affected", "f", "unknown", 2)]),
}


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def imported(user, organisation, name: str):
    job = upload(user, organisation, fixture_bytes(name), filename=name)
    assert (job.status, job.error_count, job.valid_count) == ("valid", 0, 12), errors_of(job)
    job = commit(user, job)
    assert (job.status, job.created_count) == ("committed", 12), (errors_of(job), job.failure)
    return job


def _victims(incident) -> list[tuple]:
    return sorted(incident.victim_counts.values_list("outcome", "sex", "age_group", "count"))


def _figures(name: str, **kwargs) -> list[dict]:
    return strip_keys(aggregate(name, **kwargs))


@pytest.mark.parametrize("name", FILES)
def test_a_monitors_table_imports_its_gbv_allegations_without_survivor_details(
    monitor, alpha, mali_mopti, name
):
    imported(monitor, alpha, name)

    assert Incident.objects.count() == 12
    alleged = Incident.objects.filter(category_links__category="gbv").distinct()
    assert {incident.source_id for incident in alleged} == set(ALLEGATIONS)
    for incident in alleged:
        categories, victims = ALLEGATIONS[incident.source_id]
        assert sorted(incident.category_links.values_list("category", flat=True)) == categories
        assert _victims(incident) == victims
        assert incident.status == "submitted" and incident.source_mechanism != "gbvims"
    # What must not happen: no survivor record made up from the allegations.
    assert not GBVIncident.objects.exists()
    assert Incident.objects.get(source_id="INT-MPT-2603-10").area.pcode == "ML050609"


def test_imported_again_the_table_changes_nothing(monitor, alpha, mali_mopti):
    imported(monitor, alpha, "p2_allegations_vbg_hxl.csv")

    again = commit(
        monitor, upload(monitor, alpha, fixture_bytes("p2_allegations_vbg.xlsx"), filename="t.xlsx")
    )

    assert (again.created_count, again.unchanged_count) == (0, 12)
    assert Incident.objects.count() == 12 and not GBVIncident.objects.exists()


def test_allegations_count_in_monitoring_statistics_by_category_never_in_gbvims(
    monitor, caseworker_in_area, alpha, mali_mopti
):
    gbvims_before = _figures("gbv_incidents")
    imported(monitor, alpha, "p2_allegations_vbg.csv")

    by_category = {row["category"]: row["count"] for row in _figures("incidents", group_by=["category"])}
    assert by_category["gbv"] == 4 and by_category["liberty"] == 2 and by_category["life"] == 3
    assert _figures("incidents") == [{"count": 12}]
    assert _figures("victims", filters=Filters(extra={"category": "gbv"})) == [{"count": 3 + 1 + 2}]
    # GBVIMS statistics: unchanged by the allegations.
    assert _figures("gbv_incidents") == gbvims_before == [{"count": 0}]

    # A GBV service provider's record (GBV form, classification, consent) is what GBVIMS counts.
    dourou = mali_mopti["ML050208"]
    incident_record(actor=caseworker_in_area, submit=True, **vars(gbv_incident_input(dourou)))
    assert _figures("gbv_incidents") == [{"count": 1}]
    by_category = {row["category"]: row["count"] for row in _figures("incidents", group_by=["category"])}
    assert by_category["gbv"] == 5


def test_the_gbv_floor_applies_to_allegations(monitor, alpha, mali_mopti):
    imported(monitor, alpha, "p2_allegations_vbg_hxl.csv")
    dourou = mali_mopti["ML050208"]  # one allegation (row 4) and one property incident (row 13)

    # Below the region, for whoever is not an analyst: GBV allegations are in no figure, totals included...
    assert _figures("incidents", filters=Filters(areas=(dourou,))) == [{"count": 1}]
    # ...and a question about them alone is refused, not answered with a zero.
    with pytest.raises(GBVFloorError):
        aggregate("incidents", filters=Filters(areas=(dourou,), extra={"category": "gbv"}))
    # Analysts keep the exact figure; the region answers everyone.
    assert _figures("incidents", filters=Filters(areas=(dourou,)), exact=True) == [{"count": 2}]
    mopti = mali_mopti["ML05"]
    gbv_in_mopti = Filters(areas=(mopti,), extra={"category": "gbv"})
    assert _figures("incidents", filters=gbv_in_mopti) == [{"count": 4}]


def test_the_template_and_the_upload_page_say_how_gbv_is_recorded(signed_in, monitor):
    from openpyxl import load_workbook

    from sentinelle.ingest.kinds import get_kind
    from sentinelle.ingest.workbooks import template_xlsx

    kind = get_kind("incidents")
    [line] = [str(text) for text in kind.instructions]
    workbook = load_workbook(io.BytesIO(template_xlsx(kind)))
    instructions = [row[0] for row in workbook["Instructions"].iter_rows(values_only=True)]
    assert line in instructions
    helps = {column.key: str(column.help) for column in kind.template_columns()}
    assert "gbv" in helps["categories"] and helps["gbv_survivor_sex"] == helps["gbv_consent"]
    assert escape(line) in signed_in(monitor).get(reverse("ingest:job-upload")).content.decode()


def _with_survivor_columns(text: str) -> bytes:
    """The partner's HXL table with two GBVIMS survivor columns filled in on its GBV rows."""
    lines = text.lstrip("\ufeff").split("\r\n")
    header, tags, *rows = [line for line in lines if line]
    filled = []
    for row in rows:
        survivor = ("f", "rape") if ",gbv," in row or ",liberty;gbv," in row else ("", "")
        filled.append(f"{row},{survivor[0]},{survivor[1]}")
    lines = [f"{header},Sexe survivante,Type VBG", f"{tags},#meta+gbv+survivor_sex,#meta+gbv+type", *filled]
    return "\r\n".join(lines).encode("utf-8")


def test_survivor_details_in_a_monitors_table_are_refused_row_by_row(monitor, alpha, mali_mopti):
    content = _with_survivor_columns(fixture_bytes("p2_allegations_vbg_hxl.csv").decode("utf-8"))

    job = upload(monitor, alpha, content, filename="survivants.csv")

    message = survivor_details_refused()
    survivor_errors = [(row, message_) for row, _column, message_ in errors_of(job) if message_ == message]
    assert [row for row, _message in survivor_errors] == [4, 7, 10, 12]
    assert job.status == "invalid" and job.valid_count == 8
    # Refused, never dropped silently: nothing is written, and the job cannot be imported.
    with pytest.raises(ValidationError):
        commit(monitor, job)
    assert not Incident.objects.exists() and not GBVIncident.objects.exists()


def test_a_gbv_service_provider_gives_the_same_survivor_details_under_the_gbvims_rules(
    caseworker_in_area, alpha, mali_mopti
):
    content = _with_survivor_columns(fixture_bytes("p2_allegations_vbg_hxl.csv").decode("utf-8"))

    job = upload(caseworker_in_area, alpha, content, filename="vbg.csv")

    # Not refused for who gives them; but GBVIMS wants one survivor per incident, and rows 4 (three women)
    # and 12 (two) count several: those two rows only are refused, for that reason.
    messages = {message for _row, _column, message in errors_of(job)}
    assert survivor_details_refused() not in messages
    assert sorted({row for row, _column, _message in errors_of(job)}) == [4, 12]
    assert any("one survivor" in message or "survivant" in message for message in messages)
    assert job.valid_count == 10 and not Incident.objects.exists()
