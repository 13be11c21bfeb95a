"""Who works on a case: collaborators, transfers (ownership changes on acceptance) and break-the-glass.

A transfer to another organisation hands over the whole file: it needs a current referral consent that
covers that organisation for any service type. Break-the-glass gives a manager a time-limited access to a
case outside their scope, for a written reason; it is audited (BREAK_GLASS), shown on the case, and the
owner is told in the app (a note on the case) and by e-mail (case number and link, no identity, no reason:
the reason may name someone).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from sentinelle.cases.models import BreakGlassAccess, Case, CaseNote, CaseStatus, Task, Transfer
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import ROLE_PERMISSIONS, Perm, has_perm, memberships_of

from ._casework import (
    DEFAULT_BREAK_GLASS_HOURS,
    MAX_BREAK_GLASS_HOURS,
    absolute_url,
    deny,
    invalid,
    mail_after_commit,
    require,
    required_text,
    setting,
    works_in,
)
from .consent import consent_covering

__all__ = ["break_glass_open", "case_assign", "transfer_accept", "transfer_decline", "transfer_request"]

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


def case_assign(*, actor, case: Case, collaborators, request=None) -> Case:
    """Set the users who work on the case with its case worker (they must work in the case's organisation).

    Only the case worker who owns the case or a manager of it decides who else reads it: a collaborator
    cannot widen the team.
    """
    require(actor, Perm.CASE_EDIT, case, request=request)
    if case.owner_id != actor.pk and not has_perm(actor, Perm.CASE_APPROVE, case):
        deny(actor, Perm.CASE_APPROVE, obj=case, request=request)
    users = [u for u in dict.fromkeys(collaborators) if u.pk != case.owner_id]
    for user in users:
        if not user.is_active or not works_in(user, case.organisation, Perm.CASE_VIEW):
            invalid(
                gettext("%(user)s does not work on cases in this organisation.") % {"user": user.username},
                "collaborators",
            )
    with transaction.atomic():
        case.collaborators.set(users)
        case.updated_by = actor
        case.save(update_fields=["updated_by", "updated_at"])
        _audit(actor, case, "collaborators_set", request, users=sorted(u.pk for u in users))
    return case


# --- Transfers -------------------------------------------------------------------------------------


def _transfer_organisation(case: Case, to_user, to_organisation):
    if to_organisation is None:
        if works_in(to_user, case.organisation):
            return case.organisation
        to_organisation = next(
            (m.organisation for m in memberships_of(to_user) if Perm.CASE_CREATE in ROLE_PERMISSIONS[m.role]),
            None,
        )
    if to_organisation is None or not works_in(to_user, to_organisation):
        invalid(gettext("This person cannot receive cases in that organisation."), "to_user")
    return to_organisation


def transfer_request(
    *, actor, case: Case, to_user, reason: str, to_organisation=None, request=None
) -> Transfer:
    """Propose the case to another case worker (of this or another organisation); they accept or decline."""
    require(actor, Perm.CASE_EDIT, case, request=request)
    reason = required_text(reason, field="reason")
    if to_user.pk == case.owner_id or not to_user.is_active:
        invalid(gettext("Choose another case worker than the current one."), "to_user")
    to_organisation = _transfer_organisation(case, to_user, to_organisation)
    if (
        to_organisation.pk != case.organisation_id
        and consent_covering(case=case, organisation=to_organisation) is None
    ):
        invalid(
            gettext(
                "The person has not consented to their file being shared with %(organisation)s: record a "
                "referral consent naming this organisation (for any service) before transferring the case."
            )
            % {"organisation": to_organisation.acronym},
            "to_organisation",
        )
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=case.pk)
        if case.status != CaseStatus.OPEN:
            invalid(gettext("This case is closed: reopen it first."))
        if Transfer.objects.filter(case=case, status=Transfer.Status.PENDING).exists():
            invalid(gettext("A transfer of this case is already waiting for an answer."))
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
        deny(actor, Perm.CASE_EDIT, obj=transfer.case, request=request)
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.status != Transfer.Status.PENDING:
        invalid(gettext("This transfer was already answered."))
    return locked


def transfer_accept(*, actor, transfer: Transfer, request=None) -> Transfer:
    """The receiving case worker accepts: they own the case; moving to another organisation also leaves
    the old organisation's collaborators behind. Open tasks follow the case to its new case worker."""
    with transaction.atomic():
        transfer = _decide_transfer(actor, transfer, request)
        if not works_in(actor, transfer.to_organisation):
            invalid(gettext("This person cannot receive cases in that organisation."), "to_user")
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=transfer.case_id)
        )
        if case.status != CaseStatus.OPEN:
            invalid(gettext("This case is closed: reopen it first."))
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
    reason = required_text(reason, field="reason")
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


def break_glass_open(
    *, actor, case: Case, reason: str, hours: int | None = None, request=None
) -> BreakGlassAccess:
    """Open a case outside the manager's scope for `hours` (default SENTINELLE["BREAK_GLASS_HOURS"], at
    most 24) after writing why. Perm.BREAK_GLASS; a case already within reach needs no glass broken."""
    if not has_perm(actor, Perm.BREAK_GLASS):
        deny(actor, Perm.BREAK_GLASS, obj=case, request=request)
    reason = required_text(reason, field="reason", min_length=BREAK_GLASS_MIN_REASON)
    hours = int(hours if hours is not None else setting("BREAK_GLASS_HOURS", DEFAULT_BREAK_GLASS_HOURS))
    maximum = int(setting("BREAK_GLASS_MAX_HOURS", MAX_BREAK_GLASS_HOURS))
    if not 1 <= hours <= maximum:
        invalid(gettext("Choose between 1 and %(hours)s hours.") % {"hours": maximum}, "hours")
    if has_perm(actor, Perm.CASE_VIEW, case):
        invalid(gettext("You can already open this case."))
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
