"""Who works on a case: collaborators, transfers (ownership changes on acceptance) and break-the-glass.

A transfer to another organisation hands over the whole file: it needs a current referral consent that
covers that organisation for any service type. Break-the-glass gives a manager a time-limited access to a
case of their own organisation outside their scope (another area), for a written reason; it is audited
(BREAK_GLASS), shown on the case, and the owner is told in the app (a note on the case) and by e-mail
(case number and link, no identity, no reason: the reason may name someone). Across organisations, access
is requested and granted instead (case_access.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from sentinelle.cases.models import BreakGlassAccess, Case, CaseNote, CaseStatus, Task, Transfer
from sentinelle.cases.rollups import case_rollups_refresh
from sentinelle.cases.selectors.cases import break_glass_miss
from sentinelle.core import validation
from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure, has_perm, home_organisation, is_member_for, refuse
from sentinelle.core.validation import Errors

from ._casework import (
    DEFAULT_BREAK_GLASS_HOURS,
    MAX_BREAK_GLASS_HOURS,
    absolute_url,
    mail_after_commit,
    refused,
    required_text,
    setting,
)
from .consent import consent_covering

__all__ = [
    "break_glass_hours",
    "break_glass_open",
    "case_assign",
    "may_assign",
    "transfer_accept",
    "transfer_decline",
    "transfer_request",
]

BREAK_GLASS_MIN_REASON = 15


def _audit(actor, case: Case, event: str, request=None, action=AuditAction.UPDATE, **detail) -> None:
    audit_record(
        action=action,
        user=actor,
        obj=case,
        organisation=case.organisation,
        request=request,
        detail={"event": event, "case_number": case.case_number, **detail},
    )
    case_rollups_refresh(case_ids=[case.pk])
    figures_changed("cases")


def may_assign(user, case: Case) -> bool:
    """Only the case worker who owns the case or a manager of it decides who else reads it: a
    collaborator cannot widen the team. (The case page asks it to offer the form.)"""
    return has_perm(user, Perm.CASE_EDIT, case) and (
        case.owner_id == user.pk or has_perm(user, Perm.CASE_APPROVE, case)
    )


def case_assign(*, actor, case: Case, collaborators, request=None) -> Case:
    """Set the users who work on the case with its case worker (they must work in the case's organisation)."""
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    if case.owner_id != actor.pk:
        ensure(actor, Perm.CASE_APPROVE, case, request=request, message=refused())
    users = [u for u in dict.fromkeys(collaborators) if u.pk != case.owner_id]
    errors = Errors()
    for user in users:
        if not user.is_active or not is_member_for(user, Perm.CASE_VIEW, case.organisation):
            errors.add(
                "collaborators",
                gettext("%(user)s does not work on cases in this organisation.") % {"user": user.username},
            )
    errors.raise_if_any()
    with transaction.atomic():
        case.collaborators.set(users)
        case.updated_by = actor
        case.save(update_fields=["updated_by", "updated_at"])
        _audit(actor, case, "collaborators_set", request, users=sorted(u.pk for u in users))
    return case


# --- Transfers -------------------------------------------------------------------------------------


def _cannot_receive() -> str:
    return gettext("This person cannot receive cases in that organisation.")


def _transfer_organisation(case: Case, to_user, to_organisation):
    """Where the case goes: the given organisation, else the case's own when the receiving user holds
    cases there, else the receiving user's home organisation for cases; None when the user cannot
    receive cases there."""
    if to_organisation is None:
        if is_member_for(to_user, Perm.CASE_CREATE, case.organisation):
            return case.organisation
        to_organisation = home_organisation(to_user, Perm.CASE_CREATE)
    if to_organisation is None or not is_member_for(to_user, Perm.CASE_CREATE, to_organisation):
        return None
    return to_organisation


def transfer_request(
    *, actor, case: Case, to_user, reason: str, to_organisation=None, request=None
) -> Transfer:
    """Propose the case to another case worker (of this or another organisation); they accept or decline."""
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    errors = Errors()
    reason = required_text(errors, reason, field="reason")
    if to_user.pk == case.owner_id or not to_user.is_active:
        errors.add("to_user", gettext("Choose another case worker than the current one."))
    elif (to_organisation := _transfer_organisation(case, to_user, to_organisation)) is None:
        errors.add("to_user", _cannot_receive())
    elif (
        to_organisation.pk != case.organisation_id
        and consent_covering(case=case, organisation=to_organisation) is None
    ):
        errors.add(
            "to_organisation",
            gettext(
                "The person has not consented to their file being shared with %(organisation)s: record a "
                "referral consent naming this organisation (for any service) before transferring the case."
            )
            % {"organisation": to_organisation.acronym},
        )
    errors.raise_if_any()
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=case.pk)
        if case.status != CaseStatus.OPEN:
            validation.refuse(gettext("This case is closed: reopen it first."))
        if Transfer.objects.filter(case=case, status=Transfer.Status.PENDING).exists():
            validation.refuse(gettext("A transfer of this case is already waiting for an answer."))
        transfer = Transfer.objects.create(
            case=case,
            from_user=case.owner,
            to_user=to_user,
            to_organisation=to_organisation,
            reason=reason,
            created_by=actor,
            updated_by=actor,
        )
        _audit(
            actor,
            case,
            "transfer_requested",
            request,
            to_user=to_user.pk,
            to_organisation=to_organisation.acronym,
        )
        number = case.case_number

        def compose(user):
            subject = gettext("[Sentinelle] A case is proposed to you: %(number)s") % {"number": number}
            body = gettext(
                "A case (%(number)s) is proposed to you as its new case worker. Accept or decline it in "
                "Sentinelle: %(url)s"
            ) % {"number": number, "url": absolute_url("core:home")}
            return subject, body

        mail_after_commit([to_user], compose)
    return transfer


def _decide_transfer(actor, transfer: Transfer, request) -> Transfer:
    if actor.pk != transfer.to_user_id:
        refuse(actor, Perm.CASE_EDIT, message=refused(), obj=transfer.case, request=request)
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.status != Transfer.Status.PENDING:
        validation.refuse(gettext("This transfer was already answered."))
    return locked


def transfer_accept(*, actor, transfer: Transfer, request=None) -> Transfer:
    """The receiving case worker accepts: they own the case; moving to another organisation also leaves
    the old organisation's collaborators behind. Open tasks follow the case to its new case worker."""
    with transaction.atomic():
        transfer = _decide_transfer(actor, transfer, request)
        if not is_member_for(actor, Perm.CASE_CREATE, transfer.to_organisation):
            validation.refuse(_cannot_receive(), "to_user")
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=transfer.case_id)
        )
        if case.status != CaseStatus.OPEN:
            validation.refuse(gettext("This case is closed: reopen it first."))
        previous_owner_id = case.owner_id
        moved = transfer.to_organisation_id != case.organisation_id
        case.owner = actor
        case.organisation = transfer.to_organisation
        case.updated_by = actor
        case.save(update_fields=["owner", "organisation", "updated_by", "updated_at"])
        if moved:
            case.collaborators.clear()
        else:
            case.collaborators.remove(actor)
        Task.objects.filter(case=case, done_on__isnull=True, assigned_to_id=previous_owner_id).update(
            assigned_to=actor
        )
        transfer.status = Transfer.Status.ACCEPTED
        transfer.decided_at = timezone.now()
        transfer.updated_by = actor
        transfer.save(update_fields=["status", "decided_at", "updated_by", "updated_at"])
        _audit(
            actor, case, "transfer_accepted", request, from_user=previous_owner_id, moved_organisation=moved
        )
    return transfer


def transfer_decline(*, actor, transfer: Transfer, reason: str, request=None) -> Transfer:
    errors = Errors()
    reason = required_text(errors, reason, field="reason")
    errors.raise_if_any()
    with transaction.atomic():
        transfer = _decide_transfer(actor, transfer, request)
        transfer.status = Transfer.Status.DECLINED
        transfer.decided_at = timezone.now()
        transfer.decline_reason = reason
        transfer.updated_by = actor
        transfer.save(update_fields=["status", "decided_at", "decline_reason", "updated_by", "updated_at"])
        _audit(actor, transfer.case, "transfer_declined", request)
    return transfer


# --- Break the glass -------------------------------------------------------------------------------


def break_glass_hours(errors: Errors, hours: int | None) -> int:
    """Hours of a break-the-glass access or of a granted request: SENTINELLE["BREAK_GLASS_HOURS"] by
    default, between 1 and SENTINELLE["BREAK_GLASS_MAX_HOURS"]."""
    hours = int(hours if hours is not None else setting("BREAK_GLASS_HOURS", DEFAULT_BREAK_GLASS_HOURS))
    maximum = int(setting("BREAK_GLASS_MAX_HOURS", MAX_BREAK_GLASS_HOURS))
    if not 1 <= hours <= maximum:
        errors.add("hours", gettext("Choose between 1 and %(hours)s hours.") % {"hours": maximum})
    return hours


def break_glass_open(
    *, actor, case: Case, reason: str, hours: int | None = None, request=None
) -> BreakGlassAccess:
    """Open a case of the actor's own organisation that is outside their scope (another area) for
    `hours` after writing why (break_glass_hours). Perm.BREAK_GLASS through a membership of the case's
    organisation: break-the-glass stays inside the organisation that holds the case (design §6), and
    another organisation's case is refused exactly as the break-the-glass page answers an unknown number
    (selectors.cases.break_glass_miss). A case already within reach needs no glass broken."""
    if not is_member_for(actor, Perm.BREAK_GLASS, case.organisation):
        break_glass_miss(
            actor, case, case_number=case.case_number, request=request, exception=PermissionDenied
        )
    if has_perm(actor, Perm.CASE_VIEW, case):
        validation.refuse(gettext("You can already open this case."))
    errors = Errors()
    reason = required_text(errors, reason, field="reason", min_length=BREAK_GLASS_MIN_REASON)
    hours = break_glass_hours(errors, hours)
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        access = BreakGlassAccess.objects.create(
            case=case, user=actor, reason=reason, granted_at=now, expires_at=now + timedelta(hours=hours)
        )
        owner = case.owner
        with translation.override(owner.language or settings.LANGUAGE_CODE):
            until = formats.date_format(timezone.localtime(access.expires_at), "DATETIME_FORMAT")
            text = gettext(
                "Break-the-glass access opened by %(user)s until %(until)s. Reason given: %(reason)s"
            ) % {"user": actor.username, "until": until, "reason": reason}
        CaseNote.objects.create(case=case, text=text, created_by=actor, updated_by=actor)
        _audit(
            actor,
            case,
            "break_glass",
            request,
            action=AuditAction.BREAK_GLASS,
            hours=hours,
            expires_at=access.expires_at.isoformat(),
        )
        number, username = case.case_number, actor.username

        def compose(user):
            subject = gettext("[Sentinelle] Break-the-glass access to your case %(number)s") % {
                "number": number
            }
            body = gettext(
                "%(user)s opened your case %(number)s by break-the-glass for %(hours)s hours. The reason is "
                "written on the case: %(url)s"
            ) % {"user": username, "number": number, "hours": hours, "url": absolute_url("core:home")}
            return subject, body

        mail_after_commit([owner], compose)
    return access
