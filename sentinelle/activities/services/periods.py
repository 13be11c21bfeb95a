"""Writes of reporting periods: a month opens with its first report; the IMO locks it and publishes its
4W; only an administrator reopens it. Each change is audited; refusals too (before the transaction, so that
the rollback never takes the audit away).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sentinelle.activities.models import PeriodStatus, ReportingPeriod, ReportStatus
from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure, refuse

__all__ = [
    "fourw_publish",
    "month_end",
    "month_label",
    "month_of",
    "period_get_or_create",
    "period_lock",
    "period_reopen",
    "refuse_locked",
]


# --- Periods ------------------------------------------------------------------------------------


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(month: datetime.date) -> datetime.date:
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def month_label(month: datetime.date) -> str:
    return month.strftime("%m/%Y")


def period_get_or_create(month: datetime.date) -> ReportingPeriod:
    """The reporting period of the month of `month` (any day of it), created open on first use.

    Creating a period is not a user's act (it opens with the first report of the month): not audited.
    """
    first = month_of(month)
    period, _created = ReportingPeriod.objects.get_or_create(
        month=first, defaults={"deadline": month_end(first) + datetime.timedelta(days=10)}
    )
    return period


def refuse_locked(actor, *, obj, action: str, request=None, message: str | None = None):
    """Audit a refused write on a locked month (or a closed report) and raise its French message."""
    refuse(
        actor,
        message=message
        or _("The period %(month)s is locked: only an administrator can reopen it.")
        % {"month": month_label(obj.month if isinstance(obj, ReportingPeriod) else obj.period.month)},
        exception=ValidationError,
        obj=obj,
        request=request,
        detail={"action": action, "reason": "period_locked" if message is None else "report_closed"},
    )


def period_lock(*, actor, period: ReportingPeriod, request=None) -> ReportingPeriod:
    ensure(actor, Perm.ACTIVITY_REVIEW, period, request=request)
    if period.is_locked:
        raise ValidationError(_("This period is already locked."))
    with transaction.atomic():
        period.status = PeriodStatus.LOCKED
        period.locked_at = timezone.now()
        period.locked_by = actor
        period.updated_by = actor
        period.save(update_fields=["status", "locked_at", "locked_by", "updated_by", "updated_at"])
        audit_record(
            action=AuditAction.UPDATE, user=actor, obj=period, request=request, detail={"action": "lock"}
        )
        figures_changed("activities")
    return period


def period_reopen(*, actor, period: ReportingPeriod, request=None) -> ReportingPeriod:
    """An administrator reopens a locked month; its 4W is withdrawn until published again."""
    ensure(actor, Perm.PERIOD_REOPEN, period, request=request)
    if not period.is_locked:
        raise ValidationError(_("This period is not locked."))
    with transaction.atomic():
        period.status = PeriodStatus.OPEN
        period.locked_at = None
        period.locked_by = None
        period.fourw_published_at = None
        period.fourw_published_by = None
        period.updated_by = actor
        period.save()
        audit_record(
            action=AuditAction.UPDATE, user=actor, obj=period, request=request, detail={"action": "reopen"}
        )
        figures_changed("activities")
    return period


def fourw_publish(*, actor, period: ReportingPeriod, request=None) -> ReportingPeriod:
    """Publish the 4W of a locked month: its validated activities become visible to every reader."""
    ensure(actor, Perm.ACTIVITY_REVIEW, period, request=request)
    if not period.is_locked:
        raise ValidationError(_("Lock the period before publishing its 4W."))
    with transaction.atomic():
        period.fourw_published_at = timezone.now()
        period.fourw_published_by = actor
        period.updated_by = actor
        period.save(update_fields=["fourw_published_at", "fourw_published_by", "updated_by", "updated_at"])
        validated = period.reports.filter(status=ReportStatus.VALIDATED).count()
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=period,
            request=request,
            detail={"action": "publish_4w", "validated_reports": validated},
        )
        figures_changed("activities")
    return period
