"""One record of a case for the views that act on it (a task, a case plan, an approval, an assistance, a
transfer, a consent), and the people a case's forms offer. Each read takes the user and goes through the
policy (404 alike); records reached through a case were read with `case_get` first."""

from __future__ import annotations

from django.db.models import QuerySet

from sentinelle.accounts.models import Organisation
from sentinelle.cases.models import Approval, Assistance, Case, CasePlan, Consent, Task, Transfer
from sentinelle.cases.selectors.cases import case_consents, transfers_received
from sentinelle.core.models import Role
from sentinelle.core.permissions import (
    Perm,
    get_object_for_user,
    organisations_for,
    organisations_in_scope,
    roles_with,
    users_with,
)

__all__ = [
    "approval_get",
    "assistance_get",
    "case_collaborator_choices",
    "case_colleagues",
    "case_consent_get",
    "case_plan_get",
    "incident_recorder_organisation",
    "task_get",
    "transfer_received_get",
]


def task_get(*, user, public_id, request=None) -> Task:
    """A task of a case the user may change (Http404 otherwise, alike)."""
    queryset = Task.objects.select_related("case")
    return get_object_for_user(user, queryset, public_id, Perm.CASE_EDIT, request=request)


def approval_get(*, user, public_id, request=None) -> Approval:
    """An approval request the user may decide (Http404 otherwise, alike)."""
    queryset = Approval.objects.select_related("case", "plan")
    return get_object_for_user(user, queryset, public_id, Perm.CASE_APPROVE, request=request)


def case_plan_get(*, user, public_id, request=None) -> CasePlan:
    """A case plan the user may change (Http404 otherwise, alike)."""
    queryset = CasePlan.objects.select_related("case")
    return get_object_for_user(user, queryset, public_id, Perm.CASE_EDIT, request=request)


def assistance_get(*, user, public_id, perm: Perm, request=None) -> Assistance:
    """An assistance the user may `perm` (Http404 otherwise, alike)."""
    queryset = Assistance.objects.select_related("case")
    return get_object_for_user(user, queryset, public_id, perm, request=request)


def transfer_received_get(*, user, public_id) -> Transfer | None:
    """One of the transfers proposed to the user and awaiting their answer; None for any other."""
    return transfers_received(user=user).filter(public_id=public_id).first()


def case_consent_get(*, user, case: Case, public_id) -> Consent | None:
    """One of the consents shown on a case (read through case_get: the user may see it); None for any
    other. Whether the user may change it is the service's question."""
    return case_consents(case).select_related("case", "person").filter(public_id=public_id).first()


def case_colleagues(*, user) -> QuerySet:
    """Those who may hold cases in the user's organisations (transfers within the organisation); an
    administrator's membership holds no caseload."""
    roles = [role for role in roles_with(Perm.CASE_CREATE) if role != Role.ADMIN]
    organisations = organisations_for(user, Perm.CASE_CREATE)
    return users_with(Perm.CASE_CREATE, organisations, roles=roles).exclude(pk=user.pk).order_by("username")


def case_collaborator_choices(*, user, case: Case) -> QuerySet:
    """Active users of the case's organisation who may hold cases (case workers, managers), but its case
    worker: those who may be set to work on the case (read through case_get: the user may see it)."""
    return users_with(Perm.CASE_CREATE, [case.organisation]).exclude(pk=case.owner_id).order_by("username")


def incident_recorder_organisation(*, user) -> Organisation | None:
    """The organisation whose GBV incident recorder the user exports: the first, by acronym, of those
    where the user may export cases."""
    organisations = organisations_in_scope(user, Perm.CASE_EXPORT)
    queryset = Organisation.objects.filter(is_archived=False)
    if organisations is not None:
        queryset = queryset.filter(pk__in=organisations)
    return queryset.order_by("acronym").first()
