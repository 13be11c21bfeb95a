"""Files that import: the templates, HXL CSVs, Kobo/ODK exports; idempotence; details derived."""

import pytest
from django.utils import translation

from sentinelle.ingest.tests.conftest import (
    commit,
    csv_bytes,
    days_ago,
    errors_of,
    incident_row,
    raw_csv,
    upload,
    xlsx_bytes,
)
from sentinelle.monitoring.models import Incident

pytestmark = pytest.mark.django_db


def imported(user, organisation, content, **kwargs):
    job = upload(user, organisation, content, **kwargs)
    assert job.status == "valid", errors_of(job)
    job = commit(user, job)
    assert job.status == "committed", (errors_of(job), job.failure)
    return job


def test_xlsx_template_is_imported_as_submitted_incidents(monitor, alpha, places):
    rows = [
        incident_row(),
        incident_row(
            source_id="A-002",
            adm3_code="",
            adm3_name="DOUROU",
            categories="property; movement",
            displaced_households=12,
            displaced_individuals=70,
            victims_killed_m_18_59=None,
            victims_affected_f_60_plus=3,
            reliability="B",
        ),
    ]

    job = imported(monitor, alpha, xlsx_bytes(rows), filename="incidents.xlsx")

    assert (job.format, job.row_count, job.created_count, job.unchanged_count) == ("xlsx", 2, 2, 0)
    first, second = Incident.objects.order_by("source_id")
    assert (first.source_id, first.area, first.status, first.channel) == (
        "A-001",
        places["dourou"],
        "submitted",
        "import",
    )
    assert set(first.victim_counts.values_list("outcome", "sex", "age_group", "count")) == {
        ("killed", "m", "18_59", 2)
    }
    assert second.area == places["dourou"]
    assert set(second.category_links.values_list("category", flat=True)) == {"property", "movement"}
    assert (second.displaced_households, second.displaced_individuals, second.reliability) == (12, 70, "b")
    assert first.organisation == alpha and first.created_by == monitor


def test_reimporting_the_same_rows_changes_nothing(monitor, alpha, places):
    content = csv_bytes([incident_row(), incident_row(source_id="A-002")])
    imported(monitor, alpha, content)
    before = list(Incident.objects.order_by("id").values_list("id", "reference", "updated_at"))

    again = upload(monitor, alpha, content)
    assert again.existing_count == 2
    again = commit(monitor, again)

    assert (again.status, again.created_count, again.unchanged_count) == ("committed", 0, 2)
    assert list(Incident.objects.order_by("id").values_list("id", "reference", "updated_at")) == before


def test_rows_without_identifier_are_recognised_by_their_content(monitor, alpha, places):
    rows = [incident_row(source_id=""), incident_row(source_id="", adm3_code="", adm3_name="Dourou")]
    imported(monitor, alpha, csv_bytes(rows))
    assert Incident.objects.count() == 2
    assert all(source.startswith("h:") for source in Incident.objects.values_list("source_id", flat=True))

    # The same content typed in a workbook (real dates, numbers) is the same rows.
    again = imported(monitor, alpha, xlsx_bytes(rows), filename="incidents.xlsx")

    assert (again.created_count, again.unchanged_count) == (0, 2)
    assert Incident.objects.count() == 2


def test_same_rows_for_another_organisation_are_new(monitor, alpha, beta, imo, places):
    content = csv_bytes([incident_row(source_id="")])
    imported(monitor, alpha, content)

    job = imported(imo, beta, content)

    assert job.created_count == 1
    assert Incident.objects.filter(organisation=beta).count() == 1


def test_any_hxl_tagged_csv(monitor, alpha, places):
    content = raw_csv(
        [
            [
                "Event",
                "When",
                "Reported",
                "Cercle",
                "Commune",
                "Type",
                "Actor",
                "Women killed",
                "Notes",
                "Org",
            ],
            [
                "#event+id",
                "#date+occurred",
                "#date+reported",
                "#adm2+code",
                "#adm3+name",
                "#event+type",
                "#group",
                "#affected+killed+f",
                "#x_notes",
                "#org+name",
            ],
            [
                "E1",
                days_ago(20).isoformat(),
                days_ago(19).isoformat(),
                "ML0501",
                "dourou",
                "life",
                "nsag",
                "1",
                "x",
                "ALPHA",
            ],
            ["E2", "01/02/2025", "03/02/2025", "ML0501", "", "integrity", "", "", "", ""],
        ]
    )

    job = imported(monitor, alpha, content)

    assert job.format == "csv"
    assert "Notes" in job.warnings[0]
    first, second = Incident.objects.order_by("source_id")
    assert set(first.victim_counts.values_list("outcome", "sex", "age_group", "count")) == {
        ("killed", "f", "unknown", 1)
    }
    assert (second.area, second.perpetrator_category, str(second.date_start)) == (
        places["bandiagara"],
        "unknown",
        "2025-02-01",
    )


def test_hxl_only_csv_names_columns_by_their_hashtag(monitor, alpha, places):
    content = raw_csv(
        [
            [
                "#date+occurred",
                "#date+reported",
                "#adm2+code",
                "#event+type",
                "#affected+injured+m+children+age_6_11",
            ],
            [days_ago(4).isoformat(), days_ago(3).isoformat(), "ML0501", "integrity", "-1"],
        ]
    )

    job = upload(monitor, alpha, content)

    assert job.format == "hxl_csv"
    [(row, column, _message)] = errors_of(job)
    assert (row, column) == (2, "#affected+injured+m+children+age_6_11")


def test_gbv_type_gives_the_classification_answers(caseworker_in_area, alpha, places):
    # Survivor columns: a GBV service provider's file (a monitor's row would be refused, see test_p2).
    row = incident_row(
        categories="gbv",
        victims_killed_m_18_59=None,
        gbv_survivor_sex="f",
        gbv_survivor_age=30,
        gbv_type="physical_assault",
        gbv_consent="oui",
    )

    imported(caseworker_in_area, alpha, csv_bytes([row]))

    gbv = Incident.objects.get().gbv
    assert gbv.gbv_type == "physical_assault"
    assert [key for key, _answer in gbv.classification_answers] == [
        "penetration",
        "sexual_contact",
        "physical_assault",
    ]


def test_grave_violations_take_the_child_victims(monitor, alpha, places):
    row = incident_row(
        categories="child_rights;life",
        victims_killed_m_18_59=1,
        victims_killed_m_12_17=2,
        victims_injured_f_6_11=1,
        mrm_violations="killing;maiming",
        mrm_party="nsag",
    )

    imported(monitor, alpha, csv_bytes([row]))

    incident = Incident.objects.get()
    violations = {v.type: v for v in incident.violations.all()}
    assert set(violations) == {"killing", "maiming"}
    assert set(violations["killing"].victims.values_list("sex", "age_group", "count")) == {("m", "12_17", 2)}
    assert set(violations["maiming"].victims.values_list("sex", "age_group", "count")) == {("f", "6_11", 1)}


def test_explosive_accident_takes_the_casualties(monitor, alpha, places):
    row = incident_row(
        categories="explosive",
        perpetrator_category="unknown",
        victims_killed_m_18_59=1,
        victims_injured_f_12_17=2,
        eo_device="ied",
        eo_activity="travelling",
    )

    imported(monitor, alpha, csv_bytes([row]))

    accident = Incident.objects.get().explosive
    assert accident.device_type == "ied"
    assert sorted(accident.casualties.values_list("outcome", "sex")) == [
        ("injured", "f"),
        ("injured", "f"),
        ("killed", "m"),
    ]


def test_names_ignore_case_and_accents(monitor, caseworker_other_area, alpha, places):
    row = incident_row(adm2_code="", adm2_name="SEGOU", adm3_code="", adm3_name="pelengana")

    imported(caseworker_other_area, alpha, csv_bytes([row]))

    assert Incident.objects.get().area == places["pelengana"]


def test_windows_csv_is_read_with_a_warning(caseworker_other_area, alpha, places):
    content = raw_csv(
        [
            ["Date de l'incident", "Date de signalement", "Cercle", "Commune", "Catégories"],
            [days_ago(5).isoformat(), days_ago(4).isoformat(), "Ségou", "Pélengana", "life"],
        ],
        delimiter=";",
        encoding="cp1252",
    )

    with translation.override("fr"):
        job = imported(caseworker_other_area, alpha, content, filename="windows.csv")

    assert job.warnings[0].startswith("Le fichier n'est pas en UTF-8")
    assert Incident.objects.get().area == places["pelengana"]


def test_formulas_are_never_run(monitor, alpha, places):
    from openpyxl import Workbook

    from sentinelle.ingest.kinds import get_kind
    from sentinelle.ingest.workbooks import template_rows

    headers, tags = template_rows(get_kind("incidents"))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    sheet.append(tags)
    values = incident_row(summary='=HYPERLINK("http://example.org","x")')
    sheet.append([values.get(column.key) for column in get_kind("incidents").template_columns()])
    import io

    buffer = io.BytesIO()
    workbook.save(buffer)

    imported(monitor, alpha, buffer.getvalue(), filename="formules.xlsx")

    # openpyxl reads the value Excel cached (none: never calculated), never the formula's effect.
    assert Incident.objects.get().summary == ""


def test_preview_and_mapping_are_shown_before_commit(monitor, alpha, places):
    with translation.override("fr"):
        job = upload(monitor, alpha, csv_bytes([incident_row()]))

    assert job.preview["columns"][:2] == ["Identifiant", "Date de l'incident"]
    assert job.preview["rows"][0]["values"][0] == "A-001"
    assert job.preview["rows"][0]["values"][2] == "Dourou (ML050101)"
    assert ["Commune (P-code)", "Commune (P-code)"] in job.preview["mapping"]
    assert Incident.objects.count() == 0
