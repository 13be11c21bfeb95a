"""Referrals from a case to a service: the harmonised referral form, consent check, and the loop
pending -> accepted -> completed (or declined, or cancelled by the referring side).

The referral form holds only what each type of service needs (REFERRAL_FORMS below, data with French
labels once translated). A referral is refused, and nothing written, unless a current consent of the
person covers the receiving organisation and the service type (services/consent.py). The receiving
service's focal points are told in the app (their queue) and by e-mail, which carries the reference, the
service type, the urgency and a link, never a name. The provider side (Perm.REFERRAL_RECEIVE on the
referral) accepts, declines with a reason and records the service given; a referral to a service outside
Sentinelle is answered by the referring side, who prints its form. Every status change writes a
ReferralEvent and an audit entry; completing a referral marks its case plan action done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from sentinelle.accounts.models import User
from sentinelle.cases.models import (
    CasePlanAction,
    CaseStatus,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Urgency,
)
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import ROLE_PERMISSIONS, Perm
from sentinelle.directory.models import ServiceStatus, ServiceType

from ._casework import (
    absolute_url,
    check_choice,
    invalid,
    mail_after_commit,
    new_reference,
    referral_response_hours,
    require,
    required_text,
)
from .consent import consent_covering

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

# --- The harmonised referral form --------------------------------------------------------------------

YES_NO_UNKNOWN = (("yes", _("Yes")), ("no", _("No")), ("unknown", _("Unknown")))
YES_NO_UNDECIDED = (("yes", _("Yes")), ("no", _("No")), ("undecided", _("Undecided")))


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    # choice | text | number | date
    kind: str = "choice"
    choices: tuple = ()
    required: bool = True
    help_text: str = ""


LANGUAGE = FormField(
    "language",
    _("Language the person prefers"),
    "text",
    required=False,
    help_text=_("e.g. Bambara, Fulfulde, Songhai, Tamasheq, French"),
)

# Per service type, the minimum the receiving service needs to act, in the order it is asked.
REFERRAL_FORMS: dict[str, list[FormField]] = {
    ServiceType.HEALTH: [
        FormField(
            "time_since_incident",
            _("Time since the incident"),
            choices=(
                ("under_72h", _("Less than 72 hours (post-exposure prophylaxis still possible)")),
                ("72_120h", _("72 to 120 hours (emergency contraception still possible)")),
                ("over_120h", _("More than 120 hours")),
                ("not_applicable", _("Not applicable (no sexual violence)")),
            ),
            help_text=_("For sexual violence, care within 72 hours prevents HIV infection: refer at once."),
        ),
        FormField(
            "health_need",
            _("Care needed"),
            choices=(
                ("clinical_management_of_rape", _("Clinical management of rape")),
                ("injury", _("Care of injuries")),
                ("reproductive_health", _("Sexual and reproductive health")),
                ("mental_health", _("Mental health")),
                ("chronic_illness", _("Chronic illness or disability")),
                ("other", pgettext_lazy("care needed", "Other")),
            ),
        ),
        FormField("known_allergies", _("Known allergies?"), choices=YES_NO_UNKNOWN),
        FormField("injuries", _("Injuries or pain needing care now?"), choices=YES_NO_UNKNOWN),
        LANGUAGE,
    ],
    ServiceType.PSS: [
        FormField(
            "distress_level",
            _("Level of distress observed"),
            choices=(("mild", _("Mild")), ("moderate", _("Moderate")), ("severe", _("Severe"))),
        ),
        FormField("risk_of_self_harm", _("Thoughts of self-harm or suicide?"), choices=YES_NO_UNKNOWN),
        FormField(
            "preferred_staff_sex",
            _("Prefers to be received by"),
            choices=(("female", _("A woman")), ("male", _("A man")), ("no_preference", _("No preference"))),
            required=False,
        ),
        LANGUAGE,
    ],
    ServiceType.LEGAL: [
        FormField(
            "legal_need",
            _("Legal need"),
            choices=(
                ("criminal_complaint", _("Criminal complaint")),
                ("family", _("Family matter (marriage, divorce, custody, inheritance)")),
                ("land_property", _("Land or property")),
                ("detention", _("Arrest or detention")),
                ("documentation", _("Civil documentation")),
                ("other", pgettext_lazy("legal need", "Other")),
            ),
        ),
        FormField("wants_legal_action", _("Does the person want legal action?"), choices=YES_NO_UNDECIDED),
        FormField("deadline", _("Hearing date or legal deadline, if any"), "date", required=False),
        LANGUAGE,
    ],
    ServiceType.CIVIL_DOCUMENTATION: [
        FormField(
            "document_needed",
            _("Document needed"),
            choices=(
                ("birth_certificate", _("Birth certificate (or supplementary judgement)")),
                ("national_id", _("National identity card / NINA")),
                ("nationality_certificate", _("Certificate of nationality")),
                ("marriage_certificate", _("Marriage certificate")),
                ("death_certificate", _("Death certificate")),
                ("other", pgettext_lazy("document needed", "Other")),
            ),
        ),
        FormField(
            "supporting_documents",
            _("Supporting documents or witnesses available?"),
            choices=YES_NO_UNKNOWN,
        ),
        LANGUAGE,
    ],
    ServiceType.SECURITY: [
        FormField("immediate_danger", _("Is the person in immediate danger?"), choices=YES_NO_UNKNOWN),
        FormField(
            "wants_complaint", _("Does the person want to file a complaint?"), choices=YES_NO_UNDECIDED
        ),
        LANGUAGE,
    ],
    ServiceType.SHELTER: [
        FormField("immediate_danger", _("Is the person in immediate danger?"), choices=YES_NO_UNKNOWN),
        FormField(
            "duration_needed",
            _("Stay needed"),
            choices=(
                ("few_nights", _("A few nights")),
                ("weeks", _("Several weeks")),
                ("unknown", _("Unknown")),
            ),
        ),
        FormField("accompanying_children", _("Children coming with the person"), "number", required=False),
        LANGUAGE,
    ],
    ServiceType.LIVELIHOOD: [
        FormField(
            "livelihood_need",
            _("Support needed"),
            choices=(
                ("income_activity", _("Income-generating activity")),
                ("vocational_training", _("Vocational training")),
                ("cash_for_work", _("Cash for work")),
                ("other", pgettext_lazy("support needed", "Other")),
            ),
        ),
        FormField("household_size", _("People in the household"), "number", required=False),
        LANGUAGE,
    ],
    ServiceType.EDUCATION: [
        FormField(
            "schooling_level",
            _("Last level of schooling"),
            choices=(
                ("none", _("Never went to school")),
                ("primary", _("Primary (fondamental 1)")),
                ("lower_secondary", _("Lower secondary (fondamental 2)")),
                ("secondary", _("Secondary")),
                ("koranic", _("Koranic school only")),
            ),
        ),
        FormField("months_out_of_school", _("Months out of school"), "number", required=False),
        LANGUAGE,
    ],
    ServiceType.CHILD_PROTECTION: [
        FormField(
            "care_situation",
            _("Care situation of the child"),
            choices=(
                ("with_parents", _("With one or both parents")),
                ("with_relatives", _("With relatives")),
                ("unaccompanied", _("Unaccompanied")),
                ("separated", _("Separated, with another adult")),
                ("alternative_care", _("In alternative care")),
            ),
        ),
        FormField(
            "caregiver_informed", _("Is the caregiver informed of the referral?"), choices=YES_NO_UNKNOWN
        ),
        LANGUAGE,
    ],
    ServiceType.CASH_IPA: [
        FormField("assistance_need", _("Need the assistance would cover"), "text"),
        FormField("household_size", _("People in the household"), "number", required=False),
    ],
    ServiceType.REHABILITATION: [
        FormField(
            "rehabilitation_need",
            _("Rehabilitation needed"),
            choices=(
                ("prosthesis_orthosis", _("Prosthesis or orthosis")),
                ("mobility_aid", _("Wheelchair or walking aid")),
                ("physiotherapy", _("Physiotherapy")),
                ("other", pgettext_lazy("rehabilitation needed", "Other")),
            ),
        ),
        FormField("explosive_injury", _("Injury caused by an explosive device?"), choices=YES_NO_UNKNOWN),
        LANGUAGE,
    ],
    ServiceType.OTHER: [FormField("need", _("What is needed"), "text"), LANGUAGE],
}

TEXT_MAX_LENGTH = 300


def referral_form_fields(service_type: str) -> list[FormField]:
    return REFERRAL_FORMS.get(service_type, REFERRAL_FORMS[ServiceType.OTHER])


def _clean_value(spec: FormField, value):
    """The stored value (codes, ISO dates, ints, short text); raises ValueError with a French message."""
    if spec.kind == "choice":
        if value not in {code for code, _label in spec.choices}:
            raise ValueError(gettext("Choose one of the proposed answers."))
        return value
    if spec.kind == "number":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError(gettext("Enter a whole number.")) from None
        if number < 0:
            raise ValueError(gettext("Enter a whole number.")) from None
        return number
    if spec.kind == "date":
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(gettext("Enter a date.")) from None
    text = str(value).strip()
    if len(text) > TEXT_MAX_LENGTH:
        raise ValueError(gettext("Write at most %(count)s characters.") % {"count": TEXT_MAX_LENGTH})
    return text


def referral_form_clean(service_type: str, form: dict) -> dict:
    """Check the referral form of a service type; errors by "form.<field>" (French once translated)."""
    specs = {spec.key: spec for spec in referral_form_fields(service_type)}
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for key in form or {}:
        if key not in specs:
            errors[f"form.{key}"] = [gettext("This question is not part of this referral form.")]
    for key, spec in specs.items():
        value = (form or {}).get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                errors[f"form.{key}"] = [gettext("This field is required.")]
            continue
        try:
            cleaned[key] = _clean_value(spec, value)
        except ValueError as error:
            errors[f"form.{key}"] = [str(error)]
    if errors:
        raise ValidationError(errors)
    return cleaned


def referral_form_display(service_type: str, form: dict) -> list[tuple[str, str]]:
    """(question, answer) pairs in the form's order, answers as labels, for pages and the printed form."""
    pairs = []
    for spec in referral_form_fields(service_type):
        if spec.key not in form:
            continue
        value = form[spec.key]
        if spec.kind == "choice":
            value = dict(spec.choices).get(value, value)
        elif spec.kind == "date":
            value = formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        pairs.append((str(spec.label), str(value)))
    return pairs


# --- Notifications --------------------------------------------------------------------------------

RECEIVING_ROLES = [role for role, perms in ROLE_PERMISSIONS.items() if Perm.REFERRAL_RECEIVE in perms]


def _receivers(referral: Referral) -> list:
    """The service's focal points; when it names none, the provider's focal points and managers."""
    if referral.service_id is None:
        return []
    service = referral.service
    users = list(service.focal_points.filter(is_active=True))
    if users:
        return users
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation_id=service.provider_id,
            memberships__role__in=[r for r in RECEIVING_ROLES if r != "admin"],
            memberships__is_archived=False,
        ).distinct()
    )


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


def _record(actor, referral: Referral, status: str, request, *, note: str = "", event: str = "") -> None:
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
        },
    )


def _consent_message(service, service_type: str) -> str:
    values = {
        "organisation": service.provider.acronym
        if service is not None
        else gettext("a service outside Sentinelle"),
        "type": ServiceType(service_type).label,
    }
    return (
        gettext(
            "Referral refused: the person has not given a current consent to be referred to "
            "%(organisation)s for %(type)s. Record their consent for this referral (organisation or type "
            "of service), or check that it was not withdrawn, then refer again."
        )
        % values
    )


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
    require(actor, Perm.REFERRAL_CREATE, case, request=request)
    external_service = (external_service or "").strip()
    if (service is None) == (not external_service):
        invalid(
            gettext("Choose a service of the directory, or name a service outside Sentinelle."), "service"
        )
    if service is not None:
        service_type = service_type or service.service_type
        if service.service_type != service_type:
            invalid(gettext("This service does not offer this type of service."), "service_type")
        if service.status != ServiceStatus.ACTIVE or service.is_archived:
            invalid(gettext("This service is not taking referrals at the moment."), "service")
    check_choice(service_type, ServiceType, field="service_type")
    check_choice(urgency, Urgency, field="urgency")
    reason = required_text(reason, field="reason")
    cleaned = referral_form_clean(service_type, form)
    if plan_action is not None and plan_action.plan.case_id != case.pk:
        invalid(gettext("This action belongs to another case."), "plan_action")
    if case.status != CaseStatus.OPEN:
        invalid(gettext("This case is closed: reopen it first."))
    consent = consent_covering(
        case=case, organisation=service.provider if service is not None else None, service_type=service_type
    )
    if consent is None:
        invalid(_consent_message(service, service_type))
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
    require(actor, perm, referral, request=request)


def _lock(referral: Referral, allowed: tuple[str, ...]) -> Referral:
    locked = (
        Referral.objects.select_for_update(of=("self",)).select_related("case", "service").get(pk=referral.pk)
    )
    if locked.status not in allowed:
        invalid(
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
    reason = required_text(reason, field="reason")
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


def referral_complete(*, actor, referral: Referral, service_given: str, request=None) -> Referral:
    """Record the service given and close the referral; a pending referral served at once is accepted
    at the same time. The case plan actions that pointed at this referral are marked done."""
    _require_receiving_side(actor, referral, request)
    service_given = required_text(service_given, field="service_given")
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
        referral.handled_by = actor
        _save(referral, actor, "accepted_at", "completed_at", "service_given", "handled_by")
        CasePlanAction.objects.filter(referral=referral, done_on__isnull=True).update(
            done_on=timezone.localdate(now)
        )
        _record(actor, referral, ReferralStatus.COMPLETED, request)
        _notify_referring(referral, ReferralStatus.COMPLETED, actor)
    return referral


def referral_cancel(*, actor, referral: Referral, reason: str, request=None) -> Referral:
    """The referring side withdraws a referral that is not yet answered or completed."""
    require(actor, Perm.REFERRAL_CREATE, referral, request=request)
    reason = required_text(reason, field="reason")
    with transaction.atomic():
        referral = _lock(referral, (ReferralStatus.PENDING, ReferralStatus.ACCEPTED))
        referral.status = ReferralStatus.CANCELLED
        referral.cancelled_at = timezone.now()
        _save(referral, actor, "cancelled_at")
        _record(actor, referral, ReferralStatus.CANCELLED, request, note=reason)
        _notify_receivers(referral, "cancelled")
    return referral
