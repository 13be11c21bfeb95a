"""The "activities" (4W) import: rows into the month's report, refusals by row and column, idempotent."""

import datetime

import pytest
from django.utils import timezone, translation

from sentinelle.activities.models import Activity, ActivityReport
from sentinelle.activities.services.reporting import period_get_or_create, period_lock
from sentinelle.activities.tests.factories_reporting import ProjectFactory, ReportFactory
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.services import import_job_commit, import_job_upload
from sentinelle.ingest.tests.conftest import errors_of
from sentinelle.ingest.workbooks import template_csv, template_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def needs_french(msgid: str):
    """Precise French messages: active once the lead merges /work/tools/fr_reporting.py (skipped before)."""
    with translation.override("fr"):
        missing = translation.gettext(msgid) == msgid
    return pytest.mark.skipif(missing, reason="French translation not merged yet")


LOCKED = "The period %(month)s is locked: only an administrator can reopen it."


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


@needs_french(LOCKED)
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


@needs_french("The report of %(month)s is %(status)s: it can no longer be changed.")
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


@needs_french("No project “%(code)s” of %(organisation)s in Sentinelle.")
def test_unknown_pcode_and_project(manager, alpha, places):
    job = upload(manager, alpha, csv_bytes([row(adm3_code="ML059999"), row(reference="B", project="NOPE")]))

    errors = refused(job)
    assert (3, header("adm3_code")) == errors[0][:2]
    assert "ML059999" in errors[0][2]
    assert errors[1] == (4, header("project"), "Aucun projet « NOPE » de ALPHA dans Sentinelle.")


@needs_french(
    "Give the population group of the people reached (idp, idp_returnee, repatriate, refugee, host)."
)
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


@needs_french("Give the topic of the training.")
def test_training_needs_its_topic(manager, alpha, places):
    job = upload(manager, alpha, csv_bytes([row(activity_type="training")]))

    assert refused(job) == [(3, header("training_topic"), "Indiquez le thème de la formation.")]


@needs_french("You may not record activities of %(organisation)s in %(area)s.")
def test_caseworker_outside_their_area_is_refused(caseworker_other_area, alpha, places):
    job = upload(caseworker_other_area, alpha, csv_bytes([row()]))

    [(number, _column, message)] = refused(job)
    assert number == 3
    assert message == "Vous ne pouvez pas enregistrer d'activités de ALPHA à Dourou."


@needs_french("The end date must fall within the reporting month (%(month)s); report the rest next month.")
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
