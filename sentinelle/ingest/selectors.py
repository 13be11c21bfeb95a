"""Reads of import jobs, always scoped by the policy (Perm.IMPORT_RUN: the organisation's jobs; IMO all)."""

from sentinelle.core.permissions import Perm, get_object_for_user, scope_queryset
from sentinelle.ingest.models import ImportJob

# What a list needs; errors and previews can be large and stay in the database.
LIST_DEFERRED = ("errors", "warnings", "preview")


def import_job_list(*, user, kind: str | None = None):
    jobs = scope_queryset(user, ImportJob.objects.all(), Perm.IMPORT_RUN)
    if kind:
        jobs = jobs.filter(kind=kind)
    return (
        jobs.select_related("organisation", "created_by").defer(*LIST_DEFERRED).order_by("-created_at", "-id")
    )


def import_job_get(*, user, public_id, request=None) -> ImportJob:
    """One job the user may see, or Http404 alike for absent and not theirs."""
    return get_object_for_user(
        user,
        ImportJob.objects.select_related("organisation", "created_by", "committed_by"),
        public_id,
        Perm.IMPORT_RUN,
        request=request,
    )
