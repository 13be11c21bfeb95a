"""Monthly 4W reporting: the workflow, period locks, partner scoping, all through the services."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from sentinelle.activities.models import Activity, ActivityReport, ReportStatus
from sentinelle.activities.selectors import reporting as selectors
from sentinelle.activities.services.reporting import (
    BeneficiaryCell,
    ParticipantCell,
    activity_create,
    activity_report_return,
    activity_report_submit,
    activity_report_validate,
    activity_update,
    fourw_publish,
    period_get_or_create,
    period_lock,
    period_reopen,
)
from sentinelle.activities.tests.factories_reporting import (  # noqa: F401  (fixture)
    ActivityFactory,
    ProjectFactory,
    ReportFactory,
    last_month,
    places_fixture,
    this_month,
)
from sentinelle.core.models import AuditAction, AuditEntry, AuditOutcome

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def entry(area, month=None, **values) -> dict:
    month = month or this_month()
    data = {
        "activity_type": "awareness",
        "area": area,
        "start_date": month + datetime.timedelta(days=2),
        "end_date": month + datetime.timedelta(days=2),
        "title": "Sensibilisation sur la documentation civile",
        "beneficiaries": [
            BeneficiaryCell("f", "18_59", "idp", 12),
            BeneficiaryCell("m", "18_59", "idp", 8),
            BeneficiaryCell("f", "6_11", "host", 5),
        ],
    }
    data.update(values)
    return data


def denied(user) -> int:
    return AuditEntry.objects.filter(
        user=user, action=AuditAction.DENIED, outcome=AuditOutcome.DENIED
    ).count()


def record(user, organisation, area, month=None, **values) -> Activity:
    month = month or this_month()
    return activity_create(actor=user, organisation=organisation, month=month, **entry(area, month, **values))


# --- Entry and validation ----------------------------------------------------------------------


def test_partner_records_an_activity_in_a_draft_report(manager, alpha, places):
    project = ProjectFactory(organisation=alpha)

    activity = record(manager, alpha, places["dourou"], project=project)

    report = activity.report
    assert (report.organisation, report.period.month, report.status) == (alpha, this_month(), "draft")
    assert activity.organisation == alpha and activity.project == project
    assert sum(b.count for b in activity.beneficiaries.all()) == 25
    assert (
        AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(activity.public_id)).count() == 1
    )


def test_a_training_keeps_its_topic_and_participants(manager, alpha, places):
    activity = record(
        manager,
        alpha,
        places["bandiagara"],
        activity_type="training",
        training_topic="Gestion de cas",
        training_place="Sévaré",
        participants=[ParticipantCell("magistrate", "f", 3), ParticipantCell("police", "m", 7)],
    )

    assert activity.training.topic == "Gestion de cas"
    assert {(p.category, p.sex, p.count) for p in activity.training.participants.all()} == {
        ("magistrate", "f", 3),
        ("police", "m", 7),
    }


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        (
            {"start_date": datetime.date(2020, 1, 5), "end_date": datetime.date(2020, 1, 5)},
            "start_date",
            "The start date must fall within the reporting month",
        ),
        ({"activity_type": "training"}, "training_topic", "Give the topic of the training."),
        ({"area": None}, "area", "Choose the cercle (and the commune if known)."),
    ],
)
def test_invalid_activities_are_refused_with_nothing_written(manager, alpha, places, values, key, message):
    values = dict(values)
    data = entry(values.pop("area", places["dourou"]), **values)

    with pytest.raises((ValidationError, PermissionDenied)) as caught:
        activity_create(actor=manager, organisation=alpha, month=this_month(), **data)

    if isinstance(caught.value, ValidationError):
        assert any(message in m for m in caught.value.message_dict[key])
    assert Activity.objects.count() == 0


def test_end_date_in_the_next_month_is_refused(manager, alpha, places):
    month = this_month()
    data = entry(places["dourou"], end_date=(month + datetime.timedelta(days=40)))

    with pytest.raises(ValidationError) as caught:
        activity_create(actor=manager, organisation=alpha, month=month, **data)

    assert "report the rest next month" in caught.value.message_dict["end_date"][0]


def test_a_project_of_another_organisation_is_refused(manager, alpha, beta, places):
    with pytest.raises(ValidationError) as caught:
        record(manager, alpha, places["dourou"], project=ProjectFactory(organisation=beta))

    assert caught.value.message_dict["project"] == ["This project belongs to another organisation."]


def test_validation_messages_are_french(manager, alpha, places):
    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        record(manager, alpha, places["dourou"], activity_type="training")

    assert caught.value.message_dict["training_topic"] == ["Indiquez le thème de la formation."]


# --- Partner scoping ---------------------------------------------------------------------------------


def test_caseworker_records_in_their_area_only(caseworker_in_area, caseworker_other_area, alpha, places):
    record(caseworker_in_area, alpha, places["dourou"])
    before, refusals = Activity.objects.count(), denied(caseworker_other_area)

    with pytest.raises(PermissionDenied):
        record(caseworker_other_area, alpha, places["dourou"])

    assert Activity.objects.count() == before
    assert denied(caseworker_other_area) == refusals + 1


def test_outsider_cannot_record_for_another_organisation(outsider, alpha, places):
    with pytest.raises(PermissionDenied):
        record(outsider, alpha, places["dourou"])

    assert Activity.objects.count() == 0
    assert ActivityReport.objects.count() == 0
    assert denied(outsider) == 1


def test_partner_scoping_of_activities(
    manager, caseworker_in_area, caseworker_other_area, outsider, imo, alpha, places
):
    in_mopti = record(manager, alpha, places["dourou"])
    in_segou = record(manager, alpha, places["pelengana"])

    def seen(user):
        return set(selectors.visible_activities(user))

    assert seen(manager) == {in_mopti, in_segou}
    assert seen(caseworker_in_area) == {in_mopti}
    assert seen(caseworker_other_area) == {in_segou}
    assert seen(outsider) == set()
    # The IMO does not see a draft report; once submitted, every activity of it.
    assert seen(imo) == set()
    assert list(selectors.visible_reports(imo)) == []
    activity_report_submit(actor=manager, report=in_mopti.report)
    assert seen(imo) == {in_mopti, in_segou}
    assert list(selectors.review_queue(user=imo)) == [in_mopti.report]
    assert list(selectors.visible_reports(outsider)) == []


def test_outsider_cannot_change_or_submit(outsider, manager, alpha, places):
    activity = record(manager, alpha, places["dourou"])

    with pytest.raises(PermissionDenied):
        activity_update(actor=outsider, activity=activity, **entry(places["dourou"], title="autre"))
    with pytest.raises(PermissionDenied):
        activity_report_submit(actor=outsider, report=activity.report)

    activity.refresh_from_db()
    assert activity.title == "Sensibilisation sur la documentation civile"
    assert activity.report.status == "draft"
    assert denied(outsider) == 2


# --- Workflow ---------------------------------------------------------------------------------------


def test_submit_validate_and_read_only_afterwards(manager, imo, alpha, places):
    activity = record(manager, alpha, places["dourou"])
    report = activity_report_submit(actor=manager, report=activity.report)
    assert report.status == "submitted" and report.submitted_by == manager

    # Submitted: the partner can no longer add or change (until returned).
    with pytest.raises(ValidationError) as caught:
        record(manager, alpha, places["dourou"])
    assert "can no longer be changed" in caught.value.messages[0]

    report = activity_report_validate(actor=imo, report=report)
    assert report.status == "validated" and report.reviewed_by == imo

    before = Activity.objects.count()
    with pytest.raises(ValidationError):
        activity_update(actor=manager, activity=activity, **entry(places["dourou"], title="changé"))
    with pytest.raises(ValidationError):
        record(manager, alpha, places["dourou"])
    assert Activity.objects.count() == before
    activity.refresh_from_db()
    assert activity.title == "Sensibilisation sur la documentation civile"
    assert (
        AuditEntry.objects.filter(
            user=manager, action=AuditAction.DENIED, detail__reason="report_closed"
        ).count()
        >= 2
    )


@pytest.mark.parametrize("status", ["draft", "returned", "validated"])
def test_only_submitted_reports_can_be_validated(imo, alpha, status):
    report = ReportFactory(organisation=alpha, status=status)

    with pytest.raises(ValidationError) as caught:
        activity_report_validate(actor=imo, report=report)

    assert "it cannot be validated" in caught.value.messages[0]
    report.refresh_from_db()
    assert report.status == status


@pytest.mark.parametrize("status", ["submitted", "validated"])
def test_submitted_or_validated_reports_cannot_be_submitted(manager, alpha, status):
    report = ReportFactory(organisation=alpha, status=status)

    with pytest.raises(ValidationError):
        activity_report_submit(actor=manager, report=report)

    report.refresh_from_db()
    assert report.status == status


def test_draft_cannot_be_returned(imo, alpha):
    report = ReportFactory(organisation=alpha, status="draft")

    with pytest.raises(ValidationError):
        activity_report_return(actor=imo, report=report, comment="Corriger")


def test_return_needs_a_comment_then_partner_corrects_and_resubmits(manager, imo, alpha, places):
    activity = record(manager, alpha, places["dourou"])
    report = activity_report_submit(actor=manager, report=activity.report)

    with pytest.raises(ValidationError) as caught:
        activity_report_return(actor=imo, report=report, comment="  ")
    assert caught.value.message_dict["comment"] == ["Say what the organisation must correct."]
    report.refresh_from_db()
    assert report.status == "submitted"

    activity_report_return(actor=imo, report=report, comment="Ajoutez les enfants de Dourou.")
    report.refresh_from_db()
    assert (report.status, report.review_comment) == ("returned", "Ajoutez les enfants de Dourou.")

    activity_update(
        actor=manager,
        activity=activity,
        **entry(places["dourou"], beneficiaries=[BeneficiaryCell("f", "0_5", "idp", 4)]),
    )
    assert activity_report_submit(actor=manager, report=report).status == "submitted"


def test_partner_cannot_validate_its_own_report(manager, alpha, places):
    report = activity_report_submit(actor=manager, report=record(manager, alpha, places["dourou"]).report)

    with pytest.raises(PermissionDenied):
        activity_report_validate(actor=manager, report=report)

    report.refresh_from_db()
    assert report.status == "submitted"
    assert denied(manager) == 1


# --- Period locks ---------------------------------------------------------------------------------


def test_locked_period_refuses_every_partner_change(manager, imo, alpha, places):
    activity = record(manager, alpha, places["dourou"])
    period = activity.report.period
    period_lock(actor=imo, period=period)
    activities, reports, refusals = Activity.objects.count(), ActivityReport.objects.count(), denied(manager)

    with pytest.raises(ValidationError) as caught:
        record(manager, alpha, places["dourou"])
    assert caught.value.messages == [
        f"The period {this_month():%m/%Y} is locked: only an administrator can reopen it."
    ]
    with pytest.raises(ValidationError):
        activity_update(actor=manager, activity=activity, **entry(places["dourou"], title="changé"))
    with pytest.raises(ValidationError):
        activity_report_submit(actor=manager, report=activity.report)

    assert (Activity.objects.count(), ActivityReport.objects.count()) == (activities, reports)
    activity.refresh_from_db()
    assert activity.title == "Sensibilisation sur la documentation civile"
    assert activity.report.status == "draft"
    assert denied(manager) == refusals + 3
    assert AuditEntry.objects.filter(user=manager, detail__reason="period_locked").count() == 3


def test_locked_period_refuses_in_french(manager, imo, alpha, places):
    period_lock(actor=imo, period=period_get_or_create(this_month()))

    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        record(manager, alpha, places["dourou"])

    assert caught.value.messages == [
        f"La période {this_month():%m/%Y} est verrouillée : seul un administrateur peut la rouvrir."
    ]


def test_imo_cannot_reopen_admin_can_both_audited(imo, admin, manager, alpha, places):
    period = period_get_or_create(last_month())
    period_lock(actor=imo, period=period)
    assert AuditEntry.objects.filter(user=imo, action=AuditAction.UPDATE, detail__action="lock").count() == 1

    with pytest.raises(PermissionDenied):
        period_reopen(actor=imo, period=period)
    period.refresh_from_db()
    assert period.is_locked
    assert denied(imo) == 1

    period_reopen(actor=admin, period=period)
    period.refresh_from_db()
    assert not period.is_locked
    assert (
        AuditEntry.objects.filter(user=admin, action=AuditAction.UPDATE, detail__action="reopen").count() == 1
    )
    # Reopened: the partner reports again.
    assert record(manager, alpha, places["dourou"], month=last_month()).report.period == period


def test_partners_cannot_lock(manager):
    period = period_get_or_create(this_month())

    with pytest.raises(PermissionDenied):
        period_lock(actor=manager, period=period)

    period.refresh_from_db()
    assert not period.is_locked


def test_imo_cannot_validate_in_a_locked_period(manager, imo, alpha, places):
    report = activity_report_submit(actor=manager, report=record(manager, alpha, places["dourou"]).report)
    period_lock(actor=imo, period=report.period)

    with pytest.raises(ValidationError):
        activity_report_validate(actor=imo, report=report)

    report.refresh_from_db()
    assert report.status == "submitted"


def test_publish_needs_a_locked_period_and_shows_the_4w_to_readers(manager, imo, reader, alpha, places):
    activity = record(manager, alpha, places["dourou"])
    report = activity_report_submit(actor=manager, report=activity.report)
    activity_report_validate(actor=imo, report=report)
    period = report.period

    with pytest.raises(ValidationError):
        fourw_publish(actor=imo, period=period)
    assert list(selectors.fourw_activities(user=reader)) == []
    assert list(selectors.fourw_activities(user=imo)) == [activity]

    period_lock(actor=imo, period=period)
    fourw_publish(actor=imo, period=period)

    [row] = selectors.fourw_activities(user=reader)
    assert (row.reached_f, row.reached_m, row.reached_children, row.reached_adults, row.reached_total) == (
        17,
        8,
        5,
        20,
        25,
    )
    assert row.reached_idp == 20 and row.reached_host == 5


def test_reopen_withdraws_the_publication(imo, admin, reader, alpha):
    report = ReportFactory(organisation=alpha, status=ReportStatus.VALIDATED)
    period = report.period
    period_lock(actor=imo, period=period)
    fourw_publish(actor=imo, period=period)

    period_reopen(actor=admin, period=period)

    period.refresh_from_db()
    assert period.fourw_published_at is None
