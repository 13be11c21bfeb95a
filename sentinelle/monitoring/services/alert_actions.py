"""What users do with alerts: acknowledge and close them, follow the areas whose alerts reach them
(raising them: alerts.py). Each write one transaction and one audit entry, through the permission policy."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure
from sentinelle.geography.models import AdminArea
from sentinelle.monitoring.models import Alert, AreaFollow

# --- Alerts ------------------------------------------------------------------------------------


def _alert_set_status(*, actor, alert: Alert, status: str, allowed_from: tuple, request=None) -> Alert:
    ensure(actor, Perm.ALERT_VIEW, alert, request=request)
    if alert.status not in allowed_from:
        raise ValidationError(
            _("This alert is already “%(status)s”.") % {"status": Alert.Status(alert.status).label}
        )
    with transaction.atomic():
        alert.status = status
        alert.updated_by = actor
        alert.save(update_fields=["status", "updated_by", "updated_at"])
        audit_record(
            action=AuditAction.UPDATE, user=actor, obj=alert, request=request, detail={"status": status}
        )
    return alert


def alert_acknowledge(*, actor, alert: Alert, request=None) -> Alert:
    return _alert_set_status(
        actor=actor,
        alert=alert,
        status=Alert.Status.ACKNOWLEDGED,
        allowed_from=(Alert.Status.OPEN,),
        request=request,
    )


def alert_close(*, actor, alert: Alert, request=None) -> Alert:
    return _alert_set_status(
        actor=actor,
        alert=alert,
        status=Alert.Status.CLOSED,
        allowed_from=(Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED),
        request=request,
    )


# --- Followed areas ----------------------------------------------------------------------------


def area_follow(*, actor, area: AdminArea, request=None) -> AreaFollow:
    ensure(actor, Perm.AREA_FOLLOW, request=request)
    with transaction.atomic():
        follow, created = AreaFollow.objects.get_or_create(user=actor, area=area)
        if created:
            audit_record(
                action=AuditAction.CREATE,
                user=actor,
                object_type="monitoring.areafollow",
                object_id=str(area.public_id),
                request=request,
                detail={"area": area.pcode},
            )
    return follow


def area_unfollow(*, actor, area: AdminArea, request=None) -> bool:
    ensure(actor, Perm.AREA_FOLLOW, request=request)
    with transaction.atomic():
        deleted, _details = AreaFollow.objects.filter(user=actor, area=area).delete()
        if deleted:
            audit_record(
                action=AuditAction.ARCHIVE,
                user=actor,
                object_type="monitoring.areafollow",
                object_id=str(area.public_id),
                request=request,
                detail={"area": area.pcode},
            )
    return bool(deleted)
