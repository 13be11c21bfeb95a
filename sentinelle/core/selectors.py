"""Reads owned by core: the audit log, scoped like everything else."""

from datetime import date

from django.db.models import QuerySet

from sentinelle.core.models import AuditEntry
from sentinelle.core.permissions import Perm, scope_queryset


def audit_entry_list(
    *,
    user,
    username: str = "",
    action: str = "",
    object_id: str = "",
    outcome: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet:
    entries = scope_queryset(user, AuditEntry.objects.all(), Perm.AUDIT_VIEW)
    if username:
        entries = entries.filter(username__iexact=username)
    if action:
        entries = entries.filter(action=action)
    if outcome:
        entries = entries.filter(outcome=outcome)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    return entries.select_related("organisation").order_by("-id")
