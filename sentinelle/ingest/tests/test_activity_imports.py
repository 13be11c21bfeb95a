"""The "activities" (4W) import: rows into the month's report, refusals by row and column, idempotent."""

import datetime

import pytest
from django.utils import timezone, translation

from sentinelle.activities.models import (
    Activity,
    ActivityReport,
    Beneficiaries,
    Training,
    TrainingParticipants,
)
from sentinelle.activities.services.reporting import (
    activity_report_submit,
    activity_report_validate,
    period_get_or_create,
    period_lock,
)
from sentinelle.activities.tests.factories_reporting import ProjectFactory, ReportFactory
from sentinelle.core import datasets
from sentinelle.core.datasets import get as get_dataset
from sentinelle.core.datasets import label_of, strip_keys
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.geography.tests.factories import AdminAreaFactory
from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.services import import_job_commit, import_job_upload
from sentinelle.ingest.tests.conftest import errors_of, fixture_bytes
from sentinelle.ingest.workbooks import template_csv, template_xlsx
from sentinelle.monitoring.tests.factories import cercle_of, commune_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def last_month() -> datetime.date:
    return (this_month() - datetime.timedelta(days=1)).replace(day=1)


def row(**values) -> dict:
    """Two sessions in Dourou (a commune of Bandiagara, Mopti) this month: 14 women and 6 boys, IDPs."""
    data = {
        "reference": "DRC-2026-001",
        "activity_type": "pss_session",
        "title": "Groupe de parole",
        "adm2_code": "ML0501",
        "adm3_code": "ML050101",
        "start_date": (this_month() + datetime.timedelta(days=2)).isoformat(),
        "end_date": (this_month() + datetime.timedelta(days=3)).isoformat(),
        "quantity": 2,
        "population_status": "idp",
        "reached_f_18_59": 14,
        "reached_m_12_17": 6,
    }
    data.update(values)
    return data


def csv_bytes(rows) -> bytes:
    return template_csv(get_kind("activities"), rows)


def upload(user, organisation, content: bytes, filename="4w.csv"):
    return import_job_upload(
        actor=user, kind="activities", organisation=organisation, filename=filename, content=content
    )


def header(key: str) -> str:
    return get_kind("activities").columns_by_key[key].french_label()


def refused(job) -> list[tuple]:
    assert job.status == "invalid"
    assert Activity.objects.count() == 0
    return errors_of(job)


def test_rows_go_into_the_month_report(manager, alpha, places):
    ProjectFactory(organisation=alpha, code="PROTECT-DRC")
    content = csv_bytes(
        [
            row(project="PROTECT-DRC"),
            row(
                reference="DRC-2026-002",
                activity_type="civil_documentation",
                adm3_code="",
                adm2_code="ML0401",
                population_status="host",
                reached_f_18_59="",
                reached_m_12_17="",
                reached_f_0_5=9,
                start_date=(last_month() + datetime.timedelta(days=5)).isoformat(),
                end_date=(last_month() + datetime.timedelta(days=5)).isoformat(),
            ),
        ]
    )

    job = upload(manager, alpha, content)
    assert job.status == "valid", errors_of(job)
    import_job_commit(actor=manager, job=job)

    first, second = Activity.objects.order_by("source_key")
    assert (first.source_key, first.area.pcode, first.project.code) == (
        "DRC-2026-001",
        "ML050101",
        "PROTECT-DRC",
    )
    assert first.report.period.month == this_month()
    assert sorted(first.beneficiaries.values_list("sex", "age_group", "population_status", "count")) == [
        ("f", "18_59", "idp", 14),
        ("m", "12_17", "idp", 6),
    ]
    assert second.report.period.month == last_month() and second.area.pcode == "ML0401"
    assert ActivityReport.objects.filter(organisation=alpha, status="draft").count() == 2
    assert (
        AuditEntry.objects.filter(action=AuditAction.IMPORT, object_type="activities.activity").count() == 1
    )


def test_the_xlsx_template_works_too(manager, alpha, places):
    job = upload(manager, alpha, template_xlsx(get_kind("activities"), [row()]), filename="4w.xlsx")

    assert job.status == "valid", errors_of(job)
    import_job_commit(actor=manager, job=job)
    assert Activity.objects.count() == 1


def test_reimport_is_idempotent_with_or_without_reference(manager, alpha, places):
    content = csv_bytes([row(), row(reference="", title="Sans référence")])
    import_job_commit(actor=manager, job=upload(manager, alpha, content))
    assert Activity.objects.count() == 2

    again = upload(manager, alpha, content)
    import_job_commit(actor=manager, job=again)

    assert Activity.objects.count() == 2
    again.refresh_from_db()
    assert (again.created_count, again.unchanged_count) == (0, 2)


def test_locked_period_refuses_the_file_with_row_and_column(manager, imo, alpha, places):
    period_lock(actor=imo, period=period_get_or_create(last_month()))
    content = csv_bytes(
        [
            row(),
            row(
                reference="DRC-2026-002",
                start_date=(last_month() + datetime.timedelta(days=1)).isoformat(),
                end_date=(last_month() + datetime.timedelta(days=1)).isoformat(),
            ),
        ]
    )

    job = upload(manager, alpha, content)

    assert refused(job) == [
        (
            4,
            header("start_date"),
            f"La période {last_month():%m/%Y} est verrouillée : seul un administrateur peut la rouvrir.",
        )
    ]
    assert ActivityReport.objects.count() == 0


def test_validated_report_refuses_new_rows(manager, alpha, places):
    ReportFactory(organisation=alpha, period=period_get_or_create(this_month()), status="validated")

    job = upload(manager, alpha, csv_bytes([row()]))

    assert refused(job) == [
        (
            3,
            header("start_date"),
            f"Le rapport de {this_month():%m/%Y} est validé : il ne peut plus être modifié.",
        )
    ]


def test_locked_after_validation_refuses_at_commit(manager, imo, alpha, places):
    job = upload(manager, alpha, csv_bytes([row()]))
    assert job.status == "valid"
    period_lock(actor=imo, period=period_get_or_create(this_month()))

    job = import_job_commit(actor=manager, job=job)

    assert job.status == "invalid"
    assert [(number, column) for number, column, _message in errors_of(job)] == [(3, header("start_date"))]
    assert Activity.objects.count() == 0
    assert ActivityReport.objects.count() == 0


def test_unknown_pcode_and_project(manager, alpha, places):
    job = upload(manager, alpha, csv_bytes([row(adm3_code="ML059999"), row(reference="B", project="NOPE")]))

    errors = refused(job)
    assert (3, header("adm3_code")) == errors[0][:2]
    assert "ML059999" in errors[0][2]
    assert errors[1] == (4, header("project"), "Aucun projet « NOPE » de ALPHA dans Sentinelle.")


def test_counts_without_population_group(manager, alpha, places):
    job = upload(manager, alpha, csv_bytes([row(population_status="")]))

    assert refused(job) == [
        (
            3,
            header("population_status"),
            "Indiquez le groupe de population des personnes touchées (idp, idp_returnee, repatriate, "
            "refugee, host).",
        )
    ]


def test_training_needs_its_topic(manager, alpha, places):
    job = upload(manager, alpha, csv_bytes([row(activity_type="training")]))

    assert refused(job) == [(3, header("training_topic"), "Indiquez le thème de la formation.")]


def test_caseworker_outside_their_area_is_refused(caseworker_other_area, alpha, places):
    job = upload(caseworker_other_area, alpha, csv_bytes([row()]))

    [(number, _column, message)] = refused(job)
    assert number == 3
    assert message == "Vous ne pouvez pas enregistrer d'activités de ALPHA à Dourou."


def test_dates_outside_the_month(manager, alpha, places):
    start = this_month() + datetime.timedelta(days=20)
    job = upload(
        manager,
        alpha,
        csv_bytes(
            [row(start_date=start.isoformat(), end_date=(start + datetime.timedelta(days=20)).isoformat())]
        ),
    )

    [(number, column, message)] = refused(job)
    assert (number, column) == (3, header("end_date"))
    assert message.startswith("La date de fin doit tomber dans le mois du rapport")


def test_rows_of_another_organisation_are_refused(manager, alpha, places):
    job = upload(
        manager, alpha, csv_bytes([row(organisation="ALPHA"), row(reference="B", organisation="BETA")])
    )

    [(number, column, _message)] = refused(job)
    assert (number, column) == (4, "Organisation")


# --- Issue 14, points 3 and 4: nothing lost at intake ---------------------------------------------------
#
# p3_formations_prosmed.*: four trainings of the PROSMED in March 2026 with their participants by category
# and sex, as the partner knows them: 25 judicial police officers (no figure by sex), 18 prosecutors (4
# women, 14 men), 23 magistrates (6 women, the men not given), 20 planning focal points (7 women, 13 men).
# p4_sensibilisation_prosmed.*: awareness sessions whose people reached are a total with an unknown part:
# 140 students of the ENA (no figure by sex), 872 people of whom 556 women, 83 religious actors of whom 22
# women. Before, the participant and total columns were not recognised: the trainings counted "0
# trainings, 0 participants" and the 1,095 people reached were dropped (or a split had to be invented).

P3_FILES = ["p3_formations_prosmed.csv", "p3_formations_prosmed.xlsx", "p3_formations_prosmed_hxl.csv"]
P4_FILES = [
    "p4_sensibilisation_prosmed.csv",
    "p4_sensibilisation_prosmed.xlsx",
    "p4_sensibilisation_prosmed_hxl.csv",
]
MARCH = datetime.date(2026, 3, 1)


@pytest.fixture
def prosmed(alpha, mali_mopti):
    """The PROSMED project of ALPHA, and Bamako (region, district, Commune III) next to Mopti's places."""
    bamako = AdminAreaFactory(
        version=mali_mopti["ML05"].version,
        level=1,
        pcode="ML09",
        parent=mali_mopti["ML05"].parent,
        name_fr="Bamako",
    )
    commune_of(cercle_of(bamako, pcode="ML0901", name_fr="Bamako"), pcode="ML090103", name_fr="Commune III")
    return ProjectFactory(organisation=alpha, code="PROSMED")


def upload_fixture(user, organisation, name: str):
    return upload(user, organisation, fixture_bytes(name), filename=name)


def import_and_validate(manager, imo, organisation, name: str):
    """The partner imports the file and submits its report of March; the cluster validates it."""
    job = upload_fixture(manager, organisation, name)
    assert job.status == "valid", errors_of(job)
    import_job_commit(actor=manager, job=job)
    report = ActivityReport.objects.get(organisation=organisation, period__month=MARCH)
    activity_report_submit(actor=manager, report=report)
    activity_report_validate(actor=imo, report=report)
    return job


def aggregate(name: str, **options) -> list[dict]:
    return strip_keys(datasets.aggregate(name, **options))


def by_sex(rows, measure: str, key: str = "sex") -> dict:
    return {row[key]: row[measure] for row in rows}


@pytest.mark.parametrize("name", P3_FILES)
def test_p3_training_participants_are_imported_by_category_and_sex(manager, imo, alpha, prosmed, name):
    import_and_validate(manager, imo, alpha, name)

    assert Training.objects.count() == 4
    cells = {
        (p.training.activity.source_key, p.category, p.sex): p.count
        for p in TrainingParticipants.objects.select_related("training__activity")
    }
    assert cells == {
        ("PROSMED-F-2603-01", "police", "unknown"): 25,
        ("PROSMED-F-2603-02", "magistrate", "f"): 4,
        ("PROSMED-F-2603-02", "magistrate", "m"): 14,
        ("PROSMED-F-2603-03", "magistrate", "f"): 6,
        ("PROSMED-F-2603-03", "magistrate", "unknown"): 17,
        ("PROSMED-F-2603-04", "other", "f"): 7,
        ("PROSMED-F-2603-04", "other", "m"): 13,
    }
    # The statistic: before, "0 trainings, 0 participants"; after, every validated training and person.
    [total] = aggregate("trainings", measures=["count", "participants"])
    assert total == {"count": 4, "participants": 86}
    rows = aggregate("trainings", measures=["participants"], group_by=["category", "sex"])
    assert {(r["category"], r["sex"]): r["participants"] for r in rows} == {
        ("police", "unknown"): 25,
        ("magistrate", "f"): 10,
        ("magistrate", "m"): 14,
        ("magistrate", "unknown"): 17,
        ("other", "f"): 7,
        ("other", "m"): 13,
    }
    # What must not happen: a split invented for the 25 officers and the 17 magistrates.
    assert not TrainingParticipants.objects.filter(category="police").exclude(sex="unknown").exists()


@pytest.mark.parametrize("name", P3_FILES)
def test_p3_reimport_of_the_same_file_changes_nothing(manager, alpha, prosmed, name):
    first = upload_fixture(manager, alpha, name)
    import_job_commit(actor=manager, job=first)
    cells = sorted(TrainingParticipants.objects.values_list("category", "sex", "count"))

    again = upload_fixture(manager, alpha, name)
    import_job_commit(actor=manager, job=again)

    again.refresh_from_db()
    assert (again.created_count, again.unchanged_count) == (0, 4)
    assert Training.objects.count() == 4
    assert sorted(TrainingParticipants.objects.values_list("category", "sex", "count")) == cells


def test_p3_a_training_of_one_category_may_use_the_category_column(manager, alpha, places):
    content = csv_bytes(
        [
            row(
                activity_type="training",
                training_topic="Gestion des cas de VBG",
                population_status="",
                reached_f_18_59="",
                reached_m_12_17="",
                participant_category="Travailleurs sociaux",
                participants_f=9,
                participants_total=12,
            )
        ]
    )

    job = upload(manager, alpha, content)
    assert job.status == "valid", errors_of(job)
    import_job_commit(actor=manager, job=job)

    assert sorted(TrainingParticipants.objects.values_list("category", "sex", "count")) == [
        ("social_worker", "f", 9),
        ("social_worker", "unknown", 3),
    ]


def test_p3_participants_without_their_category_are_refused(manager, alpha, places):
    training = {
        "activity_type": "training",
        "training_topic": "Gestion des cas",
        "population_status": "",
        "reached_f_18_59": "",
        "reached_m_12_17": "",
    }
    content = csv_bytes(
        [
            row(**training, participants_total=12),
            row(
                **training,
                reference="B",
                participant_category="police",
                participants_total=5,
                participants_police_m=3,
            ),
        ]
    )

    errors = refused(upload(manager, alpha, content))

    assert [(number, column) for number, column, _message in errors] == [
        (3, header("participant_category")),
        (4, header("participant_category")),
    ]
    assert TrainingParticipants.objects.count() == 0


def test_p3_participants_of_an_activity_that_is_not_a_training_are_refused(manager, alpha, places):
    errors = refused(upload(manager, alpha, csv_bytes([row(participants_police_total=5)])))

    assert [(number, column) for number, column, _message in errors] == [
        (3, header("participants_police_total"))
    ]


@pytest.mark.parametrize("name", P4_FILES)
def test_p4_people_reached_with_sex_unknown_are_imported_not_split(manager, imo, alpha, prosmed, name):
    import_and_validate(manager, imo, alpha, name)

    cells = {
        (b.activity.source_key, b.sex, b.age_group, b.population_status): b.count
        for b in Beneficiaries.objects.select_related("activity")
    }
    assert cells == {
        ("PROSMED-S-2603-01", "unknown", "unknown", "host"): 140,
        ("PROSMED-S-2603-02", "f", "unknown", "host"): 556,
        ("PROSMED-S-2603-02", "unknown", "unknown", "host"): 316,
        ("PROSMED-S-2603-03", "f", "unknown", "host"): 22,
        ("PROSMED-S-2603-03", "unknown", "unknown", "host"): 61,
    }
    # The statistic: before, 3 activities and 0 people reached; after, all 1,095, 517 of unknown sex.
    [total] = aggregate("activities", measures=["count", "people_reached"])
    assert total == {"count": 3, "people_reached": 1095}
    rows = aggregate("activities", measures=["people_reached"], group_by=["sex"])
    assert by_sex(rows, "people_reached") == {"f": 578, "unknown": 517}
    assert label_of(get_dataset("activities"), "sex", "unknown") == "Sexe inconnu"
    # What must not happen: men (or any age) invented for the rest.
    assert not Beneficiaries.objects.filter(sex="m").exists()
    assert not Beneficiaries.objects.exclude(age_group="unknown").exists()


@pytest.mark.parametrize("name", P4_FILES)
def test_p4_reimport_of_the_same_file_changes_nothing(manager, alpha, prosmed, name):
    import_job_commit(actor=manager, job=upload_fixture(manager, alpha, name))
    cells = sorted(Beneficiaries.objects.values_list("sex", "age_group", "count"))

    again = upload_fixture(manager, alpha, name)
    import_job_commit(actor=manager, job=again)

    again.refresh_from_db()
    assert (again.created_count, again.unchanged_count) == (0, 3)
    assert sorted(Beneficiaries.objects.values_list("sex", "age_group", "count")) == cells


def test_p4_a_split_larger_than_its_total_refuses_the_file(manager, alpha, prosmed):
    # The partner typed the men of the religious actors (83, of whom 22 women) as 70.
    text = fixture_bytes("p4_sensibilisation_prosmed_hxl.csv").decode("utf-8")
    content = text.replace("83,22,", "83,22,70").encode("utf-8")

    errors = refused(upload(manager, alpha, content, filename="p4.csv"))

    assert [(number, column) for number, column, _message in errors] == [(5, "Personnes touchées (total)")]
    assert Beneficiaries.objects.count() == 0 and ActivityReport.objects.count() == 0


def test_p4_the_refusal_is_in_french(manager, alpha, places):
    errors = refused(upload(manager, alpha, csv_bytes([row(reached_total=15)])))

    assert errors == [
        (
            3,
            header("reached_total"),
            "Les personnes touchées données par sexe et âge (20) sont plus nombreuses que le total (15).",
        )
    ]


def test_p4_totals_by_sex_leave_the_age_unknown(manager, alpha, places):
    content = csv_bytes([row(reached_f_total=20, reached_m_total=6, reached_total=30)])

    import_job_commit(actor=manager, job=upload(manager, alpha, content))

    assert sorted(Beneficiaries.objects.values_list("sex", "age_group", "count")) == [
        ("f", "18_59", 14),
        ("f", "unknown", 6),
        ("m", "12_17", 6),
        ("unknown", "unknown", 4),
    ]


def test_p4_coarse_age_columns_are_children_and_adults(manager, alpha, places):
    content = (
        "Réf.,Cercle,Commune,Type,Début,Groupe,Filles,Garçons 0-5,Femmes\r\n"
        "#meta+id,#adm2+code,#adm3+code,#activity+type,#date+start,#group+population,"
        "#reached+f+children,#reached+m+children+age_0_5,#reached+f+adults\r\n"
        f"X-1,ML0501,ML050101,awareness,{this_month().isoformat()},idp,12,3,20\r\n"
    ).encode()

    job = upload(manager, alpha, content)
    assert job.status == "valid", errors_of(job)
    import_job_commit(actor=manager, job=job)

    assert sorted(Beneficiaries.objects.values_list("sex", "age_group", "count")) == [
        ("f", "0_17", 12),
        ("f", "18_plus", 20),
        ("m", "0_5", 3),
    ]


def test_p4_a_coarse_age_column_next_to_its_finer_groups_is_refused(manager, alpha, places):
    # "Filles" (all girls) and "Filles 0-5": the 0-5 may be among the girls; counted twice otherwise.
    errors = refused(upload(manager, alpha, csv_bytes([row(reached_f_0_17=15, reached_f_0_5=3)])))

    assert [(number, column) for number, column, _message in errors] == [(3, header("reached_f_0_17"))]
    assert Beneficiaries.objects.count() == 0
