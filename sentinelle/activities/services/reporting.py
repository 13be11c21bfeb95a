"""Writes of the monthly 4W reporting: periods, each organisation's report and its activities.

The workflow of a report (one per organisation and month):

    draft ──submit──> submitted ──validate──> validated
      ^                   │  └──return──> returned ──submit──> submitted
      └───────────────────┘ (validated reports can also be returned while the period is open)

Partner staff (ACTIVITY_EDIT in the organisation, within their areas for the activity's area) add and
change activities while the report is a draft or returned, and submit it. The IMO (ACTIVITY_REVIEW)
validates or returns it with a comment, locks the month and publishes its 4W; only an administrator
(PERIOD_REOPEN) reopens a locked month. Once a month is locked nothing in it changes: every service
refuses with a French message, writes nothing and audits the refusal.

Refusals are audited before the write's transaction so that the rollback never takes the audit away.
The period services (lock, reopen, publish) live in services/periods.py and are re-exported here.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, fields

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sentinelle.activities.models import (
    Activity,
    ActivityReport,
    ActivityType,
    Beneficiaries,
    ParticipantCategory,
    Project,
    ReportingPeriod,
    ReportStatus,
    Training,
    TrainingParticipants,
)
from sentinelle.activities.rollups import activity_rollups_updating
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import AgeGroup, PopulationStatus, Sex
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, audit_refusal, ensure
from sentinelle.core.validation import Errors
from sentinelle.geography.models import AdminArea, AdminLevel

from .counts import (
    BeneficiaryCell,
    ParticipantCell,
    ParticipantTotal,
    ReachedTotal,
    complete_beneficiaries,
    complete_participants,
)
from .periods import (
    fourw_publish,
    month_end,
    month_label,
    month_of,
    period_get_or_create,
    period_lock,
    period_reopen,
    refuse_locked,
)

__all__ = [
    "ActivityLine",
    "BeneficiaryCell",
    "ImportOutcome",
    "ParticipantCell",
    "ParticipantTotal",
    "ReachedTotal",
    "activity_archive",
    "activity_check",
    "activity_create",
    "activity_import_many",
    "activity_report_return",
    "activity_report_submit",
    "activity_report_validate",
    "activity_update",
    "fourw_publish",
    "month_of",
    "period_get_or_create",
    "period_lock",
    "period_reopen",
    "report_get_or_create",
]

# The statuses in which partner staff may still change a report's activities.
EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)
# Which transition leaves which statuses.
TRANSITIONS = {
    "submit": (ReportStatus.DRAFT, ReportStatus.RETURNED),
    "validate": (ReportStatus.SUBMITTED,),
    "return": (ReportStatus.SUBMITTED, ReportStatus.VALIDATED),
}
BENEFICIARY_SEXES = (Sex.FEMALE, Sex.MALE)
# Each coarse group (children or adults, the finer group unknown) after the fine groups it holds.
BENEFICIARY_AGES = (
    AgeGroup.AGE_0_5,
    AgeGroup.AGE_6_11,
    AgeGroup.AGE_12_17,
    AgeGroup.CHILDREN,
    AgeGroup.AGE_18_59,
    AgeGroup.AGE_60_PLUS,
    AgeGroup.ADULTS,
)


@dataclass(frozen=True)
class ActivityLine:
    """One activity: what activity_create and activity_update take as arguments, and a row of a 4W import."""

    activity_type: str
    area: AdminArea | None
    start_date: datetime.date | None
    end_date: datetime.date | None
    project: Project | None = None
    title: str = ""
    status: str = "completed"
    quantity: int | None = None
    beneficiaries: Sequence[BeneficiaryCell] = ()
    training_topic: str = ""
    training_place: str = ""
    training_trainers: str = ""
    participants: Sequence[ParticipantCell] = ()
    # Totals with an unknown part (services/counts.py): their rest beyond the cells is sex unknown.
    reached_totals: Sequence[ReachedTotal] = ()
    participant_totals: Sequence[ParticipantTotal] = ()
    source_key: str = ""

    def completed_beneficiaries(self) -> list[BeneficiaryCell]:
        return complete_beneficiaries(self.beneficiaries, self.reached_totals)[0]

    def completed_participants(self) -> list[ParticipantCell]:
        return complete_participants(self.participants, self.participant_totals)[0]


def _line(arguments: dict) -> ActivityLine:
    """The activity a service's arguments describe (taken first thing, from its locals())."""
    return ActivityLine(**{name.name: arguments[name.name] for name in fields(ActivityLine)})


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    unchanged: int


# --- Who may report ---------------------------------------------------------------------------


def _require_edit(actor, organisation, area, *, obj=None, request=None, action: str) -> None:
    """The actor records activities of `organisation` in `area` (and may change `obj` when given)."""
    ensure(
        actor,
        Perm.ACTIVITY_EDIT,
        obj,
        organisation=organisation,
        area=area,
        request=request,
        message=_("You may not record activities of this organisation in this area."),
        object_type="activities.activity",
        detail={"action": action},
    )


def report_get_or_create(*, organisation, month: datetime.date) -> ActivityReport:
    period = period_get_or_create(month)
    report, _created = ActivityReport.objects.get_or_create(organisation=organisation, period=period)
    return report


def _require_open(actor, report: ActivityReport, *, action: str, request=None) -> None:
    """The report's month is open and the report still in the partner's hands, or the refusal is audited."""
    if report.period.is_locked:
        refuse_locked(actor, obj=report.period, action=action, request=request)
    if report.status not in EDITABLE:
        refuse_locked(
            actor,
            obj=report,
            action=action,
            request=request,
            message=_("This report is %(status)s: it can no longer be changed. Ask the IMO to return it.")
            % {"status": ReportStatus(report.status).label.lower()},
        )


# --- Validation -----------------------------------------------------------------------------


def activity_check(errors: Errors, data: ActivityLine, *, organisation, month: datetime.date) -> None:
    """Add every problem of an activity of `organisation` reported for `month` to `errors`, by field."""
    add = errors.add

    if data.activity_type not in ActivityType.values:
        add("activity_type", _("Choose the type of activity."))
    if data.area is None:
        add("area", _("Choose the cercle (and the commune if known)."))
    elif data.area.level not in (AdminLevel.CERCLE, AdminLevel.COMMUNE):
        add("area", _("The place of an activity is a cercle or a commune."))
    first, last = month_of(month), month_end(month)
    if data.start_date is None:
        add("start_date", _("Give the start date."))
    elif not first <= data.start_date <= last:
        add(
            "start_date",
            _("The start date must fall within the reporting month (%(month)s).")
            % {"month": month_label(first)},
        )
    if data.end_date is None:
        add("end_date", _("Give the end date."))
    elif data.start_date and data.end_date < data.start_date:
        add("end_date", _("The end date cannot be before the start date."))
    elif not first <= data.end_date <= last:
        add(
            "end_date",
            _("The end date must fall within the reporting month (%(month)s); report the rest next month.")
            % {"month": month_label(first)},
        )
    if data.project is not None and data.project.organisation_id != organisation.pk:
        add("project", _("This project belongs to another organisation."))
    if data.quantity is not None and data.quantity < 0:
        add("quantity", _("The quantity cannot be negative."))
    cells = set()
    for cell in data.beneficiaries:
        key = (cell.sex, cell.age_group, cell.population_status)
        if (
            cell.sex not in Sex.values
            or cell.age_group not in AgeGroup.values
            or cell.population_status not in PopulationStatus.values
        ):
            add("beneficiaries", _("Unknown sex, age group or population status."))
        elif cell.count < 0:
            add("beneficiaries", _("A number of people cannot be negative."))
        elif key in cells:
            add("beneficiaries", _("The same group of people is given twice."))
        cells.add(key)
    for key, messages in complete_beneficiaries(data.beneficiaries, data.reached_totals)[1].items():
        for message in messages:
            add(key, message)
    if data.activity_type == ActivityType.TRAINING:
        if not data.training_topic.strip():
            add("training_topic", _("Give the topic of the training."))
    elif data.training_topic:
        add("training_topic", _("Training details are only for activities of type training."))
    elif data.participants or data.participant_totals:
        add("participants", _("Training details are only for activities of type training."))
    groups = set()
    for participant in data.participants:
        if participant.category not in ParticipantCategory.values or participant.sex not in Sex.values:
            add("participants", _("Unknown category or sex of participants."))
        elif participant.count < 0:
            add("participants", _("A number of participants cannot be negative."))
        elif (participant.category, participant.sex) in groups:
            add("participants", _("The same group of participants is given twice."))
        groups.add((participant.category, participant.sex))
    for total in data.participant_totals:
        if total.category not in ParticipantCategory.values:
            add("participants", _("Unknown category or sex of participants."))
    for key, messages in complete_participants(data.participants, data.participant_totals)[1].items():
        for message in messages:
            add(key, message)


def _validated(data: ActivityLine, *, organisation, month) -> None:
    errors = Errors()
    activity_check(errors, data, organisation=organisation, month=month)
    errors.raise_if_any()


# --- Activities -------------------------------------------------------------------------------


def _write_details(activity: Activity, data: ActivityLine) -> None:
    activity.beneficiaries.all().delete()
    Beneficiaries.objects.bulk_create(
        Beneficiaries(
            activity=activity,
            sex=cell.sex,
            age_group=cell.age_group,
            population_status=cell.population_status,
            count=cell.count,
        )
        for cell in data.completed_beneficiaries()
        if cell.count > 0
    )
    Training.objects.filter(activity=activity).delete()
    if data.activity_type == ActivityType.TRAINING:
        training = Training.objects.create(
            activity=activity,
            topic=data.training_topic.strip(),
            place=data.training_place.strip(),
            trainers=data.training_trainers.strip(),
        )
        TrainingParticipants.objects.bulk_create(
            TrainingParticipants(training=training, category=p.category, sex=p.sex, count=p.count)
            for p in data.completed_participants()
            if p.count > 0
        )


def _fill(activity: Activity, data: ActivityLine) -> None:
    activity.project = data.project
    activity.activity_type = data.activity_type
    activity.title = data.title.strip()
    activity.area = data.area
    activity.start_date = data.start_date
    activity.end_date = data.end_date
    activity.status = data.status
    activity.quantity = data.quantity


def activity_create(
    *,
    actor,
    organisation,
    month: datetime.date,
    activity_type: str,
    area: AdminArea | None,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    project: Project | None = None,
    title: str = "",
    status: str = "completed",
    quantity: int | None = None,
    beneficiaries: Sequence[BeneficiaryCell] = (),
    training_topic: str = "",
    training_place: str = "",
    training_trainers: str = "",
    participants: Sequence[ParticipantCell] = (),
    reached_totals: Sequence[ReachedTotal] = (),
    participant_totals: Sequence[ParticipantTotal] = (),
    source_key: str = "",
    request=None,
) -> Activity:
    """Add an activity to the organisation's report of `month` (created on first use).

    `beneficiaries` and `participants` are cells by group; `reached_totals` and `participant_totals` are
    totals whose part beyond their cells is recorded with sex (or age) unknown (services/counts.py).
    """
    data = _line(locals())
    _require_edit(actor, organisation, data.area, request=request, action="create")
    period = period_get_or_create(month)
    if period.is_locked:
        refuse_locked(actor, obj=period, action="create", request=request)
    report = ActivityReport.objects.filter(organisation=organisation, period=period).first()
    if report is not None:
        _require_open(actor, report, action="create", request=request)
    _validated(data, organisation=organisation, month=period.month)
    with transaction.atomic():
        if report is None:
            report, _created = ActivityReport.objects.get_or_create(
                organisation=organisation, period=period, defaults={"created_by": actor, "updated_by": actor}
            )
        activity = Activity(
            report=report,
            organisation=organisation,
            source_key=data.source_key,
            created_by=actor,
            updated_by=actor,
        )
        _fill(activity, data)
        activity.save()
        _write_details(activity, data)
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=activity,
            request=request,
            detail={"report": str(report.public_id), "type": activity.activity_type},
        )
        figures_changed("activities")
    return activity


def activity_update(
    *,
    actor,
    activity: Activity,
    activity_type: str,
    area: AdminArea | None,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    project: Project | None = None,
    title: str = "",
    status: str = "completed",
    quantity: int | None = None,
    beneficiaries: Sequence[BeneficiaryCell] = (),
    training_topic: str = "",
    training_place: str = "",
    training_trainers: str = "",
    participants: Sequence[ParticipantCell] = (),
    reached_totals: Sequence[ReachedTotal] = (),
    participant_totals: Sequence[ParticipantTotal] = (),
    request=None,
) -> Activity:
    """Change an activity of a draft or returned report (the arguments are activity_create's)."""
    data = _line({**locals(), "source_key": activity.source_key})
    _require_edit(actor, activity.organisation, activity.area, obj=activity, request=request, action="update")
    _require_edit(actor, activity.organisation, data.area, obj=activity, request=request, action="update")
    report = activity.report
    _require_open(actor, report, action="update", request=request)
    _validated(data, organisation=activity.organisation, month=report.period.month)
    with transaction.atomic():
        _fill(activity, data)
        activity.updated_by = actor
        activity.save()
        _write_details(activity, data)
        audit_record(action=AuditAction.UPDATE, user=actor, obj=activity, request=request)
        figures_changed("activities")
    return activity


def activity_archive(*, actor, activity: Activity, request=None) -> Activity:
    """Take an activity out of its (draft or returned) report; it stays in the database, archived."""
    _require_edit(
        actor, activity.organisation, activity.area, obj=activity, request=request, action="archive"
    )
    _require_open(actor, activity.report, action="archive", request=request)
    with transaction.atomic():
        activity.is_archived = True
        activity.updated_by = actor
        activity.save(update_fields=["is_archived", "updated_by", "updated_at"])
        audit_record(action=AuditAction.ARCHIVE, user=actor, obj=activity, request=request)
        figures_changed("activities")
    return activity


def activity_import_many(*, actor, organisation, rows: list[ActivityLine], request=None) -> ImportOutcome:
    """All-or-nothing import of a partner's 4W file: each row goes to the report of its start month.

    Rows whose source key is already recorded for the organisation are left unchanged (idempotent).
    Refused whole (ValidationError keyed "<row index>.<field>") when a row's month is locked or its
    report is no longer in the partner's hands; the refusal is audited once.
    """
    errors = Errors()
    for data in rows:
        _require_edit(actor, organisation, data.area, request=request, action="import")
    keys = [data.source_key for data in rows if data.source_key]
    known = set(
        Activity.objects.filter(
            organisation=organisation, source_key__in=keys, is_archived=False
        ).values_list("source_key", flat=True)
    )
    fresh = [(index, data) for index, data in enumerate(rows) if data.source_key not in known]
    months = {month_of(data.start_date) for _index, data in fresh if data.start_date}
    periods = {p.month: p for p in ReportingPeriod.objects.filter(month__in=months)}
    reports = {
        r.period.month: r
        for r in ActivityReport.objects.filter(
            organisation=organisation, period__month__in=months
        ).select_related("period")
    }
    for index, data in fresh:
        if data.start_date is None:
            errors.add(f"{index}.start_date", _("Give the start date."))
            continue
        month = month_of(data.start_date)
        period, report = periods.get(month), reports.get(month)
        if period is not None and period.is_locked:
            errors.add(
                f"{index}.start_date",
                _("The period %(month)s is locked: only an administrator can reopen it.")
                % {"month": month_label(month)},
            )
        elif report is not None and report.status not in EDITABLE:
            errors.add(
                f"{index}.start_date",
                _("The report of %(month)s is %(status)s: it can no longer be changed.")
                % {"month": month_label(month), "status": ReportStatus(report.status).label.lower()},
            )
        row_errors = Errors()
        activity_check(row_errors, data, organisation=organisation, month=month)
        for key, messages in row_errors.as_dict().items():
            if key != "start_date" or f"{index}.start_date" not in errors:
                for message in messages:
                    errors.add(f"{index}.{key}", message)
    if errors:
        audit_refusal(
            actor,
            organisation=organisation,
            object_type="activities.activity",
            request=request,
            detail={
                "action": "import",
                "rows": len(rows),
                "refused_rows": len({k.split(".")[0] for k in errors.as_dict()}),
            },
        )
        errors.raise_if_any()
    with transaction.atomic():
        for month in months:
            if month not in reports:
                reports[month] = report_get_or_create(organisation=organisation, month=month)
        for _index, data in fresh:
            activity = Activity(
                report=reports[month_of(data.start_date)],
                organisation=organisation,
                source_key=data.source_key,
                created_by=actor,
                updated_by=actor,
            )
            _fill(activity, data)
            activity.save()
            _write_details(activity, data)
        audit_record(
            action=AuditAction.IMPORT,
            user=actor,
            organisation=organisation,
            object_type="activities.activity",
            request=request,
            detail={"created": len(fresh), "unchanged": len(rows) - len(fresh)},
        )
        figures_changed("activities")
    return ImportOutcome(created=len(fresh), unchanged=len(rows) - len(fresh))


# --- The report's workflow -----------------------------------------------------------------------


def _transition(report: ActivityReport, action: str, label: str) -> None:
    if report.status not in TRANSITIONS[action]:
        raise ValidationError(
            _("This report is %(status)s: it cannot be %(action)s.")
            % {"status": ReportStatus(report.status).label.lower(), "action": label}
        )


def activity_report_submit(*, actor, report: ActivityReport, request=None) -> ActivityReport:
    ensure(actor, Perm.ACTIVITY_EDIT, report, request=request)
    if report.period.is_locked:
        refuse_locked(actor, obj=report.period, action="submit", request=request)
    _transition(report, "submit", _("submitted"))
    with transaction.atomic():
        report.status = ReportStatus.SUBMITTED
        report.submitted_at = timezone.now()
        report.submitted_by = actor
        report.updated_by = actor
        report.save()
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=report,
            request=request,
            detail={"action": "submit", "activities": report.activities.filter(is_archived=False).count()},
        )
        figures_changed("activities")
    return report


def _review(actor, report: ActivityReport, *, action: str, label: str, status: str, comment: str, request):
    ensure(actor, Perm.ACTIVITY_REVIEW, report, request=request)
    if report.period.is_locked:
        refuse_locked(actor, obj=report.period, action=action, request=request)
    _transition(report, action, label)
    with transaction.atomic(), activity_rollups_updating(report_ids=[report.pk]):
        report.status = status
        report.reviewed_at = timezone.now()
        report.reviewed_by = actor
        report.review_comment = comment
        report.updated_by = actor
        report.save()
        audit_record(
            action=AuditAction.UPDATE, user=actor, obj=report, request=request, detail={"action": action}
        )
        figures_changed("activities")
    return report


def activity_report_validate(
    *, actor, report: ActivityReport, comment: str = "", request=None
) -> ActivityReport:
    return _review(
        actor,
        report,
        action="validate",
        label=_("validated"),
        status=ReportStatus.VALIDATED,
        comment=comment.strip(),
        request=request,
    )


def activity_report_return(*, actor, report: ActivityReport, comment: str, request=None) -> ActivityReport:
    if not (comment or "").strip():
        raise ValidationError({"comment": [_("Say what the organisation must correct.")]})
    return _review(
        actor,
        report,
        action="return",
        label=_("returned"),
        status=ReportStatus.RETURNED,
        comment=comment.strip(),
        request=request,
    )
