"""Kobo/ODK exports of Sentinelle's forms: flat CSV, XLSX with repeat groups, the GBV form."""

import pytest

from sentinelle.ingest.tests.conftest import days_ago, errors_of, raw_csv, upload
from sentinelle.ingest.tests.test_imports import imported
from sentinelle.monitoring.models import Incident

pytestmark = pytest.mark.django_db


def test_kobo_export_of_the_incident_form(monitor, alpha, places):
    headers = [
        "start",
        "end",
        "when/date_start",
        "when/date_end",
        "when/date_estimated",
        "when/date_reported",
        "where/region",
        "where/cercle",
        "where/commune",
        "where/coordinates",
        "what/categories",
        "what/categories/life",
        "what/categories/property",
        "what/perpetrator_category",
        "what/summary",
        "what/account",
        "has_victims",
        "displacement/displaced_households",
        "displacement/displaced_individuals",
        "source/source_mechanism",
        "source/reliability",
        "source/sharing_level",
        "meta/instanceID",
        "_id",
        "_uuid",
        "_submission_time",
        "_index",
    ]
    uuid = "1f0b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    values = [
        "2025-03-01T10:00:00.000+00:00",
        "2025-03-01T10:20:00.000+00:00",
        days_ago(6).isoformat(),
        "",
        "no",
        days_ago(5).isoformat(),
        "ML05",
        "ML0501",
        "ML050101",
        "14.35 -3.61 280 5",
        "life property",
        "1",
        "1",
        "nsag",
        "Attaque du marché.",
        "Récit confidentiel.",
        "no",
        "4",
        "25",
        "community_focal_point",
        "c",
        "organisation",
        f"uuid:{uuid}",
        "812",
        uuid,
        "2025-03-01T10:30:00",
        "1",
    ]
    content = raw_csv([headers, values], delimiter=";")

    job = imported(monitor, alpha, content, filename="export-kobo.csv")

    assert job.format == "kobo_csv"
    # Metadata and one-column-per-option of select_multiple are no data: nothing to warn about.
    assert job.warnings == []
    incident = Incident.objects.get()
    assert incident.source_id == f"uuid:{uuid}"
    assert incident.area == places["dourou"]
    assert set(incident.category_links.values_list("category", flat=True)) == {"life", "property"}
    assert (incident.source_mechanism, incident.reliability, incident.coordinates) == (
        "community_focal_point",
        "c",
        "14.35,-3.61",
    )
    # Exported again later (or already received through OpenRosa): nothing changes.
    again = imported(monitor, alpha, content, filename="export-kobo.csv")
    assert (again.created_count, again.unchanged_count) == (0, 1)


def test_kobo_export_of_the_gbv_form(caseworker_in_area, alpha, places):
    headers = [
        "consent_to_report",
        "when/date_start",
        "when/date_reported",
        "when/time_of_day",
        "where/region",
        "where/cercle",
        "where/commune",
        "where/location_type",
        "survivor/survivor_sex",
        "survivor/survivor_age",
        "survivor/displacement_status",
        "survivor/displacement_stage",
        "classification/penetration",
        "classification/sexual_contact",
        "classification/physical_assault",
        "perpetrator/perpetrator_count",
        "perpetrator/perpetrator_sex",
        "perpetrator/perpetrator_relationship",
        "perpetrator/perpetrator_category",
        "services/referral_health",
        "services/wants_legal_action",
        "report/summary",
        "report/other_categories",
        "meta/instanceID",
        "_uuid",
    ]
    values = [
        "yes",
        days_ago(9).isoformat(),
        days_ago(2).isoformat(),
        "night",
        "ML05",
        "ML0501",
        "ML050101",
        "bush",
        "f",
        "16",
        "idp",
        "during_refuge",
        "no",
        "yes",
        "",
        "2",
        "m",
        "armed_actor",
        "nsag",
        "referred",
        "undecided",
        "Survivante prise en charge.",
        "movement",
        "uuid:0a0b0c0d-1111-4222-8333-444455556666",
        "0a0b0c0d-1111-4222-8333-444455556666",
    ]

    imported(caseworker_in_area, alpha, raw_csv([headers, values]), filename="vbg.csv")

    incident = Incident.objects.get()
    assert set(incident.category_links.values_list("category", flat=True)) == {"gbv", "movement"}
    gbv = incident.gbv
    assert (gbv.gbv_type, gbv.survivor_age, gbv.consent_to_report, gbv.perpetrator_count) == (
        "sexual_assault",
        16,
        True,
        2,
    )
    assert gbv.referrals == {"health": "referred"}
    assert incident.source_mechanism == "gbvims"


def kobo_workbook(sheets: dict[str, list[list]]) -> bytes:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


KOBO_MAIN = [
    "when/date_start",
    "when/date_reported",
    "where/cercle",
    "where/commune",
    "what/categories",
    "what/perpetrator_category",
    "has_victims",
    "child_rights/violation_number",
    "explosive/device_type",
    "explosive/has_casualties",
    "meta/instanceID",
    "_uuid",
    "_index",
]


def test_kobo_workbook_brings_its_repeat_groups(monitor, alpha, places):
    start, reported = days_ago(7).isoformat(), days_ago(6).isoformat()
    content = kobo_workbook(
        {
            "sentinelle_incident": [
                KOBO_MAIN,
                [
                    start,
                    reported,
                    "ML0501",
                    "ML050101",
                    "life child_rights",
                    "nsag",
                    "yes",
                    1,
                    "",
                    "",
                    "uuid:k-1",
                    "k-1",
                    1,
                ],
                [
                    start,
                    reported,
                    "ML0501",
                    "",
                    "explosive",
                    "unknown",
                    "no",
                    "",
                    "ied",
                    "yes",
                    "uuid:k-2",
                    "k-2",
                    2,
                ],
            ],
            "victims": [
                [
                    "victims/victim_outcome",
                    "victims/victim_sex",
                    "victims/victim_age_group",
                    "victims/victim_count",
                    "_index",
                    "_parent_table_name",
                    "_parent_index",
                ],
                ["killed", "m", "18_59", 2, 1, "sentinelle_incident", 1],
                ["killed", "f", "12_17", 1, 2, "sentinelle_incident", 1],
            ],
            "violations": [
                [
                    "violation_type",
                    "perpetrator_party",
                    "verification",
                    "facility",
                    "_index",
                    "_parent_index",
                ],
                ["killing", "nsag", "pending", "", 1, 1],
            ],
            "violation_victims": [
                ["child_sex", "child_age_group", "child_count", "_index", "_parent_index"],
                ["f", "12_17", 1, 1, 1],
            ],
            "casualties": [
                [
                    "casualty_sex",
                    "casualty_age",
                    "casualty_outcome",
                    "casualty_civilian",
                    "_index",
                    "_parent_index",
                ],
                ["m", 14, "killed", "yes", 1, 2],
                ["m", 15, "injured", "yes", 2, 2],
            ],
        }
    )

    job = imported(monitor, alpha, content, filename="kobo.xlsx")

    assert job.format == "kobo_xlsx" and job.warnings == []
    first = Incident.objects.get(source_id="uuid:k-1")
    assert set(first.victim_counts.values_list("outcome", "sex", "age_group", "count")) == {
        ("killed", "m", "18_59", 2),
        ("killed", "f", "12_17", 1),
    }
    [violation] = first.violations.all()
    assert set(violation.victims.values_list("sex", "age_group", "count")) == {("f", "12_17", 1)}
    second = Incident.objects.get(source_id="uuid:k-2")
    assert sorted(second.explosive.casualties.values_list("outcome", "age")) == [
        ("injured", 15),
        ("killed", 14),
    ]


def test_kobo_csv_without_its_repeat_groups_is_refused(monitor, alpha, places):
    content = raw_csv(
        [
            [
                "when/date_start",
                "when/date_reported",
                "where/cercle",
                "what/categories",
                "has_victims",
                "_uuid",
            ],
            [days_ago(7).isoformat(), days_ago(6).isoformat(), "ML0501", "life", "yes", "k-3"],
        ]
    )

    job = upload(monitor, alpha, content)

    assert errors_of(job) == [
        (
            2,
            "has_victims",
            "Le formulaire indique des victimes que ce fichier n'a pas : Kobo les met sur une feuille "
            "à part. Exportez les données au format XLSX et importez ce classeur.",
        )
    ]
    assert Incident.objects.count() == 0
