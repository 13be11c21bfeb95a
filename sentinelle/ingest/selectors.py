"""Reads of import jobs, always scoped by the policy (Perm.IMPORT_RUN: the organisation's jobs; IMO all)."""

from sentinelle.accounts.models import Organisation
from sentinelle.core.permissions import Perm, get_object_for_user, organisations_in_scope, scope_queryset
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


def organisations_for_import(*, user):
    """The organisations the user may import for (every one for the IMO and administrators)."""
    scope = organisations_in_scope(user, Perm.IMPORT_RUN)
    organisations = Organisation.objects.filter(is_archived=False)
    if scope is not None:
        organisations = organisations.filter(pk__in=scope)
    return organisations.order_by("acronym")
