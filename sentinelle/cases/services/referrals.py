"""Referrals from a case to a service: the harmonised referral form, consent check, and the loop
pending -> accepted -> completed (or declined, or cancelled by the referring side).

The referral form holds only what each type of service needs (referral_forms.py). A referral is refused,
and nothing written, unless a current consent of the person covers the receiving organisation and the
service type (services/consent.py). The receiving service's focal points are told in the app (their
queue) and by e-mail, which carries the reference, the service type, the urgency and a link, never a
name. The provider side (Perm.REFERRAL_RECEIVE on the referral) accepts, declines with a reason and
records the feedback (service given, its date, follow-up needed); a referral to a service outside
Sentinelle is answered by the referring side, who prints its form and records the feedback part the
service returns. Every status change writes a ReferralEvent and an audit entry; completing a referral
marks its case plan action done, and follow-up needed adds a follow-up task for the case worker.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext

from sentinelle.cases.models import (
    CasePlanAction,
    CaseStatus,
    Referral,
    ReferralEvent,
    ReferralStatus,
    TaskKind,
    Urgency,
)
from sentinelle.cases.rollups import referral_rollups_refresh
from sentinelle.core import validation
from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction, Role
from sentinelle.core.permissions import Perm, ensure, roles_with, users_with
from sentinelle.core.validation import Errors
from sentinelle.directory.models import ServiceStatus, ServiceType

from ._casework import (
    absolute_url,
    check_choice,
    check_date,
    deadline_days,
    ensure_task,
    mail_after_commit,
    new_reference,
    referral_response_hours,
    refused,
    required_text,
    task_title,
)
from .consent import consent_covering, consent_refusal
from .referral_forms import (
    REFERRAL_FORMS,
    FormField,
    referral_form_clean,
    referral_form_display,
    referral_form_fields,
)

__all__ = [
    "REFERRAL_FORMS",
    "FormField",
    "referral_accept",
    "referral_cancel",
    "referral_complete",
    "referral_create",
    "referral_decline",
    "referral_form_clean",
    "referral_form_display",
    "referral_form_fields",
]

# --- Notifications --------------------------------------------------------------------------------


def _receivers(referral: Referral) -> list:
    """The service's focal points; when it names none, the provider's focal points and managers."""
    if referral.service_id is None:
        return []
    service = referral.service
    users = list(service.focal_points.filter(is_active=True))
    if users:
        return users
    # An administrator's membership in the provider is not a service desk.
    roles = [role for role in roles_with(Perm.REFERRAL_RECEIVE) if role != Role.ADMIN]
    return list(users_with(Perm.REFERRAL_RECEIVE, [service.provider_id], roles=roles))


def _notify_receivers(referral: Referral, event: str) -> None:
    reference = referral.reference
    service_type, urgency = referral.service_type, referral.urgency
    respond_by = referral.respond_by

    def compose(user):
        values = {
            "reference": reference,
            "type": ServiceType(service_type).label,
            "urgency": Urgency(urgency).label,
            "respond_by": formats.date_format(timezone.localtime(respond_by), "DATETIME_FORMAT"),
            "url": absolute_url("cases:referral-queue"),
        }
        if event == "created":
            subject = gettext("[Sentinelle] New referral %(reference)s: %(type)s, %(urgency)s") % values
            body = (
                gettext(
                    "A new referral (%(reference)s) was sent to your service.\nType of service: %(type)s\n"
                    "Urgency: %(urgency)s\nPlease accept or decline it by %(respond_by)s.\nYour referral "
                    "queue: %(url)s"
                )
                % values
            )
        else:
            subject = gettext("[Sentinelle] Referral %(reference)s cancelled") % values
            body = (
                gettext(
                    "The referral %(reference)s (%(type)s) was cancelled by the referring organisation.\n"
                    "Your referral queue: %(url)s"
                )
                % values
            )
        return subject, body

    mail_after_commit(_receivers(referral), compose)


def _notify_referring(referral: Referral, status: str, actor) -> None:
    reference, case = referral.reference, referral.case
    if case.owner_id == actor.pk:
        return

    def compose(user):
        values = {
            "reference": reference,
            "number": case.case_number,
            "status": ReferralStatus(status).label.lower(),
            "url": absolute_url("core:home"),
        }
        subject = gettext("[Sentinelle] Referral %(reference)s %(status)s") % values
        body = (
            gettext("The referral %(reference)s of case %(number)s was %(status)s. Details: %(url)s") % values
        )
        return subject, body

    mail_after_commit([case.owner], compose)


# --- The loop -------------------------------------------------------------------------------------


def _record(
    actor, referral: Referral, status: str, request, *, note: str = "", event: str = "", extra=None
) -> None:
    ReferralEvent.objects.create(referral=referral, at=timezone.now(), user=actor, status=status, note=note)
    audit_record(
        action=AuditAction.CREATE if status == ReferralStatus.PENDING else AuditAction.UPDATE,
        user=actor,
        obj=referral,
        request=request,
        detail={
            "event": event or f"referral_{status}",
            "reference": referral.reference,
            "case_number": referral.case.case_number,
            "service_type": referral.service_type,
            "urgency": referral.urgency,
            "status": status,
            **(extra or {}),
        },
    )
    referral_rollups_refresh(referral_ids=[referral.pk])
    figures_changed("cases")


def referral_create(
    *,
    actor,
    case,
    service=None,
    external_service: str = "",
    service_type: str = "",
    urgency: str,
    reason: str,
    form: dict,
    plan_action: CasePlanAction | None = None,
    request=None,
) -> Referral:
    """Refer the case's person to a service of the directory (or one outside Sentinelle, by name)."""
    ensure(actor, Perm.REFERRAL_CREATE, case, request=request, message=refused())
    if case.status != CaseStatus.OPEN:
        validation.refuse(gettext("This case is closed: reopen it first."))
    errors = Errors()
    external_service = (external_service or "").strip()
    if (service is None) == (not external_service):
        errors.add(
            "service", gettext("Choose a service of the directory, or name a service outside Sentinelle.")
        )
    if service is not None:
        service_type = service_type or service.service_type
        if service.service_type != service_type:
            errors.add("service_type", gettext("This service does not offer this type of service."))
        if service.status != ServiceStatus.ACTIVE or service.is_archived:
            errors.add("service", gettext("This service is not taking referrals at the moment."))
    check_choice(errors, service_type, ServiceType, field="service_type")
    check_choice(errors, urgency, Urgency, field="urgency")
    reason = required_text(errors, reason, field="reason")
    cleaned = referral_form_clean(errors, service_type, form)
    if plan_action is not None and plan_action.plan.case_id != case.pk:
        errors.add("plan_action", gettext("This action belongs to another case."))
    errors.raise_if_any()
    provider = service.provider if service is not None else None
    consent = consent_covering(case=case, organisation=provider, service_type=service_type)
    if consent is None:
        validation.refuse(consent_refusal(case=case, organisation=provider, service_type=service_type))
    now = timezone.now()
    with transaction.atomic():
        referral = Referral.objects.create(
            reference=new_reference(Referral, "reference", "REF"),
            case=case,
            service=service,
            external_service=external_service[:300],
            service_type=service_type,
            consent=consent,
            urgency=urgency,
            form=cleaned,
            reason=reason,
            respond_by=now + timedelta(hours=referral_response_hours(urgency)),
            created_by=actor,
            updated_by=actor,
        )
        if plan_action is not None:
            plan_action.referral = referral
            plan_action.save(update_fields=["referral"])
        _record(actor, referral, ReferralStatus.PENDING, request, event="referral_created")
        _notify_receivers(referral, "created")
    return referral


def _require_receiving_side(actor, referral: Referral, request) -> None:
    """The provider side answers; for a service outside Sentinelle, the referring side records its answer."""
    perm = Perm.REFERRAL_RECEIVE if referral.service_id is not None else Perm.REFERRAL_CREATE
    ensure(actor, perm, referral, request=request, message=refused())


def _lock(referral: Referral, allowed: tuple[str, ...]) -> Referral:
    locked = (
        Referral.objects.select_for_update(of=("self",)).select_related("case", "service").get(pk=referral.pk)
    )
    if locked.status not in allowed:
        validation.refuse(
            gettext("This referral is %(status)s: this step is not possible.")
            % {"status": ReferralStatus(locked.status).label.lower()}
        )
    return locked


def _save(referral: Referral, actor, *fields: str) -> None:
    referral.updated_by = actor
    referral.save(update_fields=["status", *fields, "updated_by", "updated_at"])


def referral_accept(*, actor, referral: Referral, note: str = "", request=None) -> Referral:
    _require_receiving_side(actor, referral, request)
    with transaction.atomic():
        referral = _lock(referral, (ReferralStatus.PENDING,))
        referral.status = ReferralStatus.ACCEPTED
        referral.accepted_at = timezone.now()
        referral.handled_by = actor
        _save(referral, actor, "accepted_at", "handled_by")
        _record(actor, referral, ReferralStatus.ACCEPTED, request, note=note.strip())
        _notify_referring(referral, ReferralStatus.ACCEPTED, actor)
    return referral


def referral_decline(*, actor, referral: Referral, reason: str, request=None) -> Referral:
    _require_receiving_side(actor, referral, request)
    errors = Errors()
    reason = required_text(errors, reason, field="reason")
    errors.raise_if_any()
    with transaction.atomic():
        referral = _lock(referral, (ReferralStatus.PENDING, ReferralStatus.ACCEPTED))
        referral.status = ReferralStatus.DECLINED
        referral.declined_at = timezone.now()
        referral.decline_reason = reason
        referral.handled_by = actor
        _save(referral, actor, "declined_at", "decline_reason", "handled_by")
        _record(actor, referral, ReferralStatus.DECLINED, request, note=reason)
        _notify_referring(referral, ReferralStatus.DECLINED, actor)
    return referral


def referral_complete(
    *,
    actor,
    referral: Referral,
    service_given: str,
    service_date: date | None = None,
    follow_up_needed: bool = False,
    follow_up: str = "",
    request=None,
) -> Referral:
    """Record the feedback (the service given, its date, whether follow-up is needed) and close the
    referral; a pending referral served at once is accepted at the same time. A service outside
    Sentinelle returns the feedback part of the printed form, which the referring case worker records
    here in one step. The case plan actions that pointed at this referral are marked done; follow-up
    needed puts a follow-up task on the case worker's list (an open case: within its risk level's
    follow-up deadline)."""
    _require_receiving_side(actor, referral, request)
    errors = Errors()
    service_given = required_text(errors, service_given, field="service_given")
    service_date = check_date(errors, service_date or timezone.localdate(), field="service_date")
    if "service_date" not in errors and service_date < timezone.localdate(referral.created_at):
        errors.add(
            "service_date", gettext("The service cannot have been given before the referral was made.")
        )
    follow_up = required_text(errors, follow_up, field="follow_up") if follow_up_needed else ""
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        referral = _lock(referral, (ReferralStatus.PENDING, ReferralStatus.ACCEPTED))
        if referral.accepted_at is None:
            referral.accepted_at = now
            ReferralEvent.objects.create(
                referral=referral, at=now, user=actor, status=ReferralStatus.ACCEPTED
            )
        referral.status = ReferralStatus.COMPLETED
        referral.completed_at = now
        referral.service_given = service_given
        referral.service_date = service_date
        referral.follow_up_needed = bool(follow_up_needed)
        referral.follow_up = follow_up
        referral.handled_by = actor
        _save(
            referral,
            actor,
            "accepted_at",
            "completed_at",
            "service_given",
            "service_date",
            "follow_up_needed",
            "follow_up",
            "handled_by",
        )
        today = timezone.localdate(now)
        CasePlanAction.objects.filter(referral=referral, done_on__isnull=True).update(done_on=today)
        case = referral.case
        if referral.follow_up_needed and case.status == CaseStatus.OPEN:
            due_on = today + timedelta(days=deadline_days("FOLLOW_UP_DEADLINES", case.risk_level))
            ensure_task(case, TaskKind.FOLLOW_UP, due_on, task_title(TaskKind.FOLLOW_UP))
        # The referring side records a service outside Sentinelle's returned feedback.
        event = "referral_feedback_recorded" if referral.service_id is None else ""
        _record(
            actor,
            referral,
            ReferralStatus.COMPLETED,
            request,
            event=event,
            extra={"follow_up_needed": referral.follow_up_needed},
        )
        _notify_referring(referral, ReferralStatus.COMPLETED, actor)
    return referral


def referral_cancel(*, actor, referral: Referral, reason: str, request=None) -> Referral:
    """The referring side withdraws a referral that is not yet answered or completed."""
    ensure(actor, Perm.REFERRAL_CREATE, referral, request=request, message=refused())
    errors = Errors()
    reason = required_text(errors, reason, field="reason")
    errors.raise_if_any()
    with transaction.atomic():
        referral = _lock(referral, (ReferralStatus.PENDING, ReferralStatus.ACCEPTED))
        referral.status = ReferralStatus.CANCELLED
        referral.cancelled_at = timezone.now()
        _save(referral, actor, "cancelled_at")
        _record(actor, referral, ReferralStatus.CANCELLED, request, note=reason)
        _notify_receivers(referral, "cancelled")
    return referral
