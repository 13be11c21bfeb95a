"""Access to a case across organisations: requested by a manager of another organisation, granted for a
limited time or refused by a manager of the organisation that holds the case. Break-the-glass stays
inside the organisation (case_team.py); across organisations, access is requested and granted (design §6).

A request names a case number and is answered alike whether the number names such a case or not: a row
is written either way (with its case only when the number names another organisation's case that the
requester cannot read), so that neither the page, the requester's list nor their organisation's audit
log tells them whether the case exists. Only the owning organisation's managers see the requests on their
cases (selectors/access.py); a request nobody answers lapses (_casework.access_request_days).

A grant writes a BreakGlassAccess row for the requester, which a manager's scope already reads until it
expires (core/permissions.py `_case_rows`): the case and its person open for reading, each read audited
by case_get. Requests, grants and refusals are audited; the requester is told of the decision and the case
worker of a grant (e-mail after commit, never a name or a reason: a reason may name someone).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from sentinelle.cases.models import BreakGlassAccess, Case, CaseAccessRequest, CaseNote
from sentinelle.core import validation
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import (
    Perm,
    ensure,
    has_perm,
    home_organisation,
    is_member_for,
    may_act_for,
    refuse,
    users_with,
)
from sentinelle.core.validation import Errors

from ._casework import (
    absolute_url,
    access_request_days,
    mail_after_commit,
    refused,
    required_text,
)
from .case_team import BREAK_GLASS_MIN_REASON, break_glass_hours

__all__ = [
    "access_request_lapsed",
    "case_access_grant",
    "case_access_refuse",
    "case_access_request",
]

Status = CaseAccessRequest.Status
CASE_NUMBER_MAX = 24


def access_request_lapsed(access_request: CaseAccessRequest, now=None) -> bool:
    """A request still waiting after ACCESS_REQUEST_DAYS is no longer answered."""
    now = now or timezone.now()
    return access_request.created_at <= now - timedelta(days=access_request_days())


def _audit(actor, access_request: CaseAccessRequest, event: str, request=None, **detail) -> None:
    """Requests are filed under the requesting organisation (the request itself is the object, whether or
    not it names a case); decisions under the case's organisation, on the case."""
    case = access_request.case if event != "access_requested" else None
    audit_record(
        action=AuditAction.CREATE if event == "access_requested" else AuditAction.UPDATE,
        user=actor,
        obj=case or access_request,
        organisation=case.organisation if case is not None else access_request.requesting_organisation,
        request=request,
        detail={"event": event, "access_request": str(access_request.public_id), **detail},
    )


# --- Request --------------------------------------------------------------------------------------


def _target(actor, number: str) -> Case | None:
    """The case the request is about: another organisation's case the actor cannot read; else None."""
    case = Case.objects.select_related("organisation").filter(case_number=number, is_archived=False).first()
    if case is None or is_member_for(actor, Perm.BREAK_GLASS, case.organisation):
        return None  # inside the organisation, break-the-glass serves
    if has_perm(actor, Perm.CASE_VIEW, case):
        return None  # already readable (a grant under way, a referral does not open the case)
    return case


def case_access_request(
    *, actor, case_number: str, reason: str, hours: int | None = None, request=None
) -> CaseAccessRequest:
    """Ask the organisation that holds case `case_number` for read access for `hours` (Perm.BREAK_GLASS:
    a manager). Answered alike whether the case exists or not; asking again while a request for the same
    number waits returns that request."""
    ensure(actor, Perm.BREAK_GLASS, request=request, object_type="cases.caseaccessrequest")
    errors = Errors()
    number = required_text(errors, case_number, field="case_number").upper()
    if len(number) > CASE_NUMBER_MAX:
        errors.add(
            None, gettext("A case number has at most %(count)s characters.") % {"count": CASE_NUMBER_MAX}
        )
    reason = required_text(errors, reason, field="reason", min_length=BREAK_GLASS_MIN_REASON)
    hours = break_glass_hours(errors, hours)
    errors.raise_if_any()
    organisation = home_organisation(actor, Perm.BREAK_GLASS)
    since = timezone.now() - timedelta(days=access_request_days())
    with transaction.atomic():
        waiting = CaseAccessRequest.objects.filter(
            requested_by=actor, case_number=number, status=Status.REQUESTED, created_at__gt=since
        ).first()
        if waiting is not None:
            _audit(actor, waiting, "access_requested", request, repeated=True, hours=hours)
            return waiting
        case = _target(actor, number)
        access_request = CaseAccessRequest.objects.create(
            case_number=number,
            case=case,
            requested_by=actor,
            requesting_organisation=organisation,
            reason=reason,
            hours_requested=hours,
            created_by=actor,
            updated_by=actor,
        )
        _audit(actor, access_request, "access_requested", request, hours=hours)
        if case is not None:
            _notify_managers(case, organisation, hours)
    return access_request


def _notify_managers(case: Case, requesting, hours: int) -> None:
    """The owning organisation's managers who may decide on this case (its area within theirs)."""
    managers = [
        user
        for user in users_with(Perm.CASE_APPROVE, [case.organisation_id])
        if may_act_for(user, Perm.CASE_APPROVE, organisation=case.organisation, area=case.area)
    ]
    number, acronym = case.case_number, requesting.acronym if requesting else ""

    def compose(user):
        subject = gettext("[Sentinelle] A request for access to your case %(number)s") % {"number": number}
        body = gettext(
            "A manager of %(organisation)s asks to read case %(number)s for %(hours)s hours. Grant or "
            "refuse the request in Sentinelle: %(url)s"
        ) % {
            "organisation": acronym,
            "number": number,
            "hours": hours,
            "url": absolute_url("cases:access-request-queue"),
        }
        return subject, body

    mail_after_commit(managers, compose)


# --- Decision -------------------------------------------------------------------------------------


def _check_decider(actor, access_request: CaseAccessRequest, request) -> Case:
    """A manager of the organisation that holds the case (through a membership of its own: an
    administrator or another organisation does not decide for it), with the case within their areas."""
    case = access_request.case
    if case is None:
        refuse(actor, Perm.CASE_APPROVE, message=refused(), obj=access_request, request=request)
    ensure(actor, Perm.CASE_APPROVE, case, request=request, message=refused())
    if not is_member_for(actor, Perm.CASE_APPROVE, case.organisation):
        refuse(actor, Perm.CASE_APPROVE, message=refused(), obj=case, request=request)
    return case


def _open_request(actor, access_request: CaseAccessRequest, request) -> None:
    """Still waiting for an answer; a lapsed request is marked so (audited) and refused."""
    if access_request.status != Status.REQUESTED:
        validation.refuse(gettext("This request was already answered."))
    if access_request_lapsed(access_request):
        with transaction.atomic():
            CaseAccessRequest.objects.filter(pk=access_request.pk, status=Status.REQUESTED).update(
                status=Status.EXPIRED, updated_by=actor, updated_at=timezone.now()
            )
            _audit(actor, access_request, "access_request_lapsed", request)
        validation.refuse(
            gettext(
                "This request waited more than %(days)s days: it has lapsed. The requester may ask again."
            )
            % {"days": access_request_days()}
        )


def _lock(access_request: CaseAccessRequest) -> CaseAccessRequest:
    locked = CaseAccessRequest.objects.select_for_update().get(pk=access_request.pk)
    if locked.status != Status.REQUESTED:
        validation.refuse(gettext("This request was already answered."))
    return locked


def case_access_grant(
    *, actor, access_request: CaseAccessRequest, hours: int | None = None, request=None
) -> CaseAccessRequest:
    """Grant the requester read access to the case for `hours` (default: the hours asked; at most
    SENTINELLE["BREAK_GLASS_MAX_HOURS"]). A manager of the case's organisation (Perm.CASE_APPROVE)."""
    case = _check_decider(actor, access_request, request)
    _open_request(actor, access_request, request)
    requester = access_request.requested_by
    if not requester.is_active or not has_perm(requester, Perm.BREAK_GLASS):
        validation.refuse(gettext("The person who asked can no longer receive access to a case."))
    errors = Errors()
    hours = break_glass_hours(errors, hours if hours is not None else access_request.hours_requested)
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(access_request)
        access = BreakGlassAccess.objects.create(
            case=case,
            user=requester,
            reason=locked.reason,
            granted_at=now,
            expires_at=now + timedelta(hours=hours),
        )
        locked.status = Status.GRANTED
        locked.decided_by = actor
        locked.decided_at = now
        locked.expires_at = access.expires_at
        locked.access = access
        locked.updated_by = actor
        locked.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "expires_at",
                "access",
                "updated_by",
                "updated_at",
            ]
        )
        organisation = locked.requesting_organisation
        with translation.override(case.owner.language or settings.LANGUAGE_CODE):
            until = formats.date_format(timezone.localtime(access.expires_at), "DATETIME_FORMAT")
            text = gettext(
                "Read access granted by %(manager)s to %(user)s (%(organisation)s) until %(until)s, at "
                "their request. Reason given: %(reason)s"
            ) % {
                "manager": actor.username,
                "user": requester.username,
                "organisation": organisation.acronym,
                "until": until,
                "reason": locked.reason,
            }
        CaseNote.objects.create(case=case, text=text, created_by=actor, updated_by=actor)
        _audit(
            actor,
            locked,
            "access_granted",
            request,
            case_number=case.case_number,
            to_user=requester.pk,
            to_organisation=organisation.acronym,
            hours=hours,
            expires_at=access.expires_at.isoformat(),
        )
        _tell_granted(locked, case, hours)
    return locked


def _tell_granted(access_request: CaseAccessRequest, case: Case, hours: int) -> None:
    number, expires_at = case.case_number, access_request.expires_at
    acronym = access_request.requesting_organisation.acronym

    def to_requester(user):
        until = formats.date_format(timezone.localtime(expires_at), "DATETIME_FORMAT")
        subject = gettext("[Sentinelle] Access to case %(number)s granted") % {"number": number}
        body = gettext(
            "Your request to read case %(number)s was granted until %(until)s. Each reading is recorded: "
            "%(url)s"
        ) % {"number": number, "until": until, "url": absolute_url("cases:case-detail", case.public_id)}
        return subject, body

    def to_owner(user):
        subject = gettext("[Sentinelle] Access to your case %(number)s granted to another organisation") % {
            "number": number
        }
        body = gettext(
            "A manager of your organisation granted %(organisation)s read access to your case %(number)s "
            "for %(hours)s hours. It is written on the case: %(url)s"
        ) % {"organisation": acronym, "number": number, "hours": hours, "url": absolute_url("core:home")}
        return subject, body

    mail_after_commit([access_request.requested_by], to_requester)
    mail_after_commit([case.owner], to_owner)


def case_access_refuse(
    *, actor, access_request: CaseAccessRequest, reason: str, request=None
) -> CaseAccessRequest:
    """Refuse the request, saying why (shown to the requester in Sentinelle, never in the e-mail)."""
    case = _check_decider(actor, access_request, request)
    _open_request(actor, access_request, request)
    errors = Errors()
    reason = required_text(errors, reason, field="reason")
    errors.raise_if_any()
    with transaction.atomic():
        locked = _lock(access_request)
        locked.status = Status.REFUSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = reason
        locked.updated_by = actor
        locked.save(
            update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_by", "updated_at"]
        )
        _audit(actor, locked, "access_refused", request, case_number=case.case_number)
        number = case.case_number

        def compose(user):
            subject = gettext("[Sentinelle] Access to case %(number)s refused") % {"number": number}
            body = gettext(
                "Your request to read case %(number)s was refused. The answer is in Sentinelle: %(url)s"
            ) % {"number": number, "url": absolute_url("cases:access-request-create")}
            return subject, body

        mail_after_commit([locked.requested_by], compose)
    return locked
