"""Individual protection assistance (IPA) on a case: cash in XOF or in kind, requested by the case worker,
approved by a manager (never the requester), then disbursed. Amounts and items are not identities; the
purpose is free text, so it stays out of the audit log."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import Assistance, Case, CaseStatus
from sentinelle.core import validation
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure
from sentinelle.core.validation import Errors

from ._casework import check_choice, check_date, refused, required_text

__all__ = ["assistance_approve", "assistance_cancel", "assistance_disburse", "assistance_request"]

Status = Assistance.Status


def _audit(actor, assistance: Assistance, event: str, request=None, **detail) -> None:
    case = assistance.case
    audit_record(
        action=AuditAction.CREATE if event == "assistance_requested" else AuditAction.UPDATE,
        user=actor,
        obj=case,
        organisation=case.organisation,
        request=request,
        detail={
            "event": event,
            "case_number": case.case_number,
            "assistance": str(assistance.public_id),
            "kind": assistance.kind,
            "amount_xof": assistance.amount_xof,
            **detail,
        },
    )


def _transition(assistance: Assistance, allowed: tuple[str, ...]) -> Assistance:
    locked = (
        Assistance.objects.select_for_update(of=("self",))
        .select_related("case__organisation")
        .get(pk=assistance.pk)
    )
    if locked.status not in allowed:
        validation.refuse(
            gettext("This assistance is %(status)s: this step is not possible.")
            % {"status": Status(locked.status).label.lower()}
        )
    return locked


def assistance_request(
    *,
    actor,
    case: Case,
    kind: str,
    purpose: str,
    amount_xof: int | None = None,
    items: str = "",
    request=None,
) -> Assistance:
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    if case.status != CaseStatus.OPEN:
        validation.refuse(gettext("This case is closed: reopen it first."))
    errors = Errors()
    check_choice(errors, kind, Assistance.Kind, field="kind")
    purpose = required_text(errors, purpose, field="purpose")[:300]
    if kind == Assistance.Kind.CASH:
        if not isinstance(amount_xof, int) or amount_xof <= 0:
            errors.add("amount_xof", gettext("Enter the amount in XOF (a whole number above zero)."))
        items = ""
    else:
        items = required_text(errors, items, field="items")[:300]
        amount_xof = None
    errors.raise_if_any()
    with transaction.atomic():
        assistance = Assistance.objects.create(
            case=case,
            kind=kind,
            amount_xof=amount_xof,
            items=items,
            purpose=purpose,
            created_by=actor,
            updated_by=actor,
        )
        _audit(actor, assistance, "assistance_requested", request)
    return assistance


def assistance_approve(*, actor, assistance: Assistance, request=None) -> Assistance:
    """A manager approves (Perm.CASE_APPROVE on the case; not their own request)."""
    ensure(actor, Perm.CASE_APPROVE, assistance.case, request=request, message=refused())
    if assistance.created_by_id == actor.pk:
        validation.refuse(gettext("Another manager must decide on a request you made yourself."))
    with transaction.atomic():
        locked = _transition(assistance, (Status.REQUESTED,))
        locked.status = Status.APPROVED
        locked.approved_by = actor
        locked.approved_at = timezone.now()
        locked.updated_by = actor
        locked.save(update_fields=["status", "approved_by", "approved_at", "updated_by", "updated_at"])
        _audit(actor, locked, "assistance_approved", request)
    return locked


def assistance_disburse(
    *, actor, assistance: Assistance, disbursed_on: date | None = None, request=None
) -> Assistance:
    ensure(actor, Perm.CASE_EDIT, assistance.case, request=request, message=refused())
    errors = Errors()
    disbursed_on = check_date(errors, disbursed_on or timezone.localdate(), field="disbursed_on")
    errors.raise_if_any()
    with transaction.atomic():
        locked = _transition(assistance, (Status.APPROVED,))
        if locked.approved_at and disbursed_on < timezone.localdate(locked.approved_at):
            validation.refuse(
                gettext("The assistance cannot be disbursed before it was approved."), "disbursed_on"
            )
        locked.status = Status.DISBURSED
        locked.disbursed_on = disbursed_on
        locked.updated_by = actor
        locked.save(update_fields=["status", "disbursed_on", "updated_by", "updated_at"])
        _audit(actor, locked, "assistance_disbursed", request, disbursed_on=disbursed_on.isoformat())
    return locked


def assistance_cancel(*, actor, assistance: Assistance, request=None) -> Assistance:
    ensure(actor, Perm.CASE_EDIT, assistance.case, request=request, message=refused())
    with transaction.atomic():
        locked = _transition(assistance, (Status.REQUESTED, Status.APPROVED))
        locked.status = Status.CANCELLED
        locked.updated_by = actor
        locked.save(update_fields=["status", "updated_by", "updated_at"])
        _audit(actor, locked, "assistance_cancelled", request)
    return locked
