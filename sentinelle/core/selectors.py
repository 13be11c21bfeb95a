"""Reads owned by core: the audit log, scoped like everything else, and the failed background tasks."""

from datetime import date

from django.db.models import QuerySet

from sentinelle.core.models import AuditEntry
from sentinelle.core.permissions import Perm, organisations_in_scope, scope_queryset


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
    """The audit entries the user may read, newest first; each filter given (not empty) narrows them."""
    lookups = {
        "username__iexact": username,
        "action": action,
        "outcome": outcome,
        "object_id": object_id,
        "at__date__gte": since,
        "at__date__lte": until,
    }
    entries = scope_queryset(user, AuditEntry.objects.all(), Perm.AUDIT_VIEW)
    entries = entries.filter(**{lookup: value for lookup, value in lookups.items() if value})
    return entries.select_related("organisation").order_by("-id")


def task_failure_list(*, user, limit: int = 20) -> list:
    """The latest background tasks that failed for good (every retry spent, core/tasks.py), newest first:
    an e-mail or a webhook that never went out. Administrators only (audit log in every organisation): a
    task belongs to no organisation. Task name, time, attempt and error class: never the arguments."""
    if organisations_in_scope(user, Perm.AUDIT_VIEW) is not None:
        return []
    from django_tasks_db.models import DBTaskResult

    failed = DBTaskResult.objects.failed().order_by("-finished_at")
    return [
        {
            "task": result.task_path.rsplit(".", 1)[-1],
            "finished_at": result.finished_at,
            "attempt": (result.args_kwargs.get("kwargs") or {}).get("attempt", 1),
            "error": result.exception_class_path.rsplit(".", 1)[-1],
        }
        for result in failed.only("task_path", "finished_at", "args_kwargs", "exception_class_path")[:limit]
    ]
