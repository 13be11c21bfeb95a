"""Consent per purpose (design §6): record it, withdraw it, and find the consent that covers a referral.

A referral consent names the organisations and the service types it covers. Each list that is empty
means "any": organisations=[BETA] covers every BETA service, service_types=["health"] every health
service, both together only BETA's health services, both empty any referral. Withdrawing a consent
cancels the referrals that still rely on it (pending or accepted): sharing stops when consent stops.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import (
    Case,
    CaseType,
    Consent,
    ConsentGivenBy,
    ConsentPurpose,
    Referral,
    ReferralEvent,
    ReferralStatus,
)
from sentinelle.cases.tasks import tracing_case_match
from sentinelle.core import validation
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import CHILD_AGE_GROUPS
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure, has_perm, refuse
from sentinelle.core.tasks import enqueue_after_commit
from sentinelle.core.validation import Errors
from sentinelle.directory.models import ServiceType

from ._casework import check_choice, check_date, refused

__all__ = ["consent_covering", "consent_record", "consent_refusal", "consent_withdraw"]


def consent_record(
    *,
    actor,
    person,
    case=None,
    purpose: str,
    given_by: str,
    given_on: date,
    organisations=(),
    service_types=(),
    request=None,
) -> Consent:
    """Record a consent given for one purpose (on a case, or on the person before a case is opened)."""
    if case is not None:
        ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    elif not (has_perm(actor, Perm.PERSON_CREATE) and has_perm(actor, Perm.PERSON_VIEW, person)):
        refuse(actor, Perm.PERSON_VIEW, message=refused(), obj=person, request=request)
    if case is not None and case.person_id != person.pk:
        validation.refuse(
            gettext("This consent is for another person than the person of the case."), "person"
        )
    errors = Errors()
    check_choice(errors, purpose, ConsentPurpose, field="purpose")
    check_choice(errors, given_by, ConsentGivenBy, field="given_by")
    check_date(errors, given_on, field="given_on")
    if given_by == ConsentGivenBy.CHILD_ASSENT and person.age_group not in CHILD_AGE_GROUPS:
        errors.add("given_by", gettext("A child's assent is only recorded for a child."))
    types = list(dict.fromkeys(service_types))
    for service_type in types:
        check_choice(errors, service_type, ServiceType, field="service_types")
    organisations = list(dict.fromkeys(organisations))
    if purpose != ConsentPurpose.REFERRAL and (types or organisations):
        errors.add(
            "purpose", gettext("Organisations and service types are named only for a referral consent.")
        )
    errors.raise_if_any()
    with transaction.atomic():
        consent = Consent.objects.create(
            person=person,
            case=case,
            purpose=purpose,
            given_by=given_by,
            given_on=given_on,
            service_types=types,
            created_by=actor,
            updated_by=actor,
        )
        if organisations:
            consent.organisations.set(organisations)
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=consent,
            organisation=case.organisation if case is not None else person.organisation,
            request=request,
            detail={
                "case": case.case_number if case is not None else "",
                "purpose": purpose,
                "given_by": given_by,
                "organisations": [o.acronym for o in organisations],
                "service_types": types,
            },
        )
        if purpose == ConsentPurpose.TRACING:
            # Consent makes the person's child-protection cases matchable against families' requests.
            for case_id in Case.objects.filter(
                person=person, case_type=CaseType.CHILD_PROTECTION, is_archived=False
            ).values_list("pk", flat=True):
                enqueue_after_commit(tracing_case_match, case_id=case_id)
    return consent


def consent_withdraw(*, actor, consent: Consent, withdrawn_on: date | None = None, request=None) -> Consent:
    """Withdraw a consent; referrals still relying on it are cancelled (their services are told so)."""
    if consent.case is not None:
        ensure(actor, Perm.CASE_EDIT, consent.case, request=request, message=refused())
    elif not has_perm(actor, Perm.PERSON_VIEW, consent.person):
        refuse(actor, Perm.PERSON_VIEW, message=refused(), obj=consent.person, request=request)
    errors = Errors()
    withdrawn_on = check_date(errors, withdrawn_on or timezone.localdate(), field="withdrawn_on")
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_on is not None:
            validation.refuse(gettext("This consent was already withdrawn."))
        if withdrawn_on < locked.given_on:
            validation.refuse(gettext("A consent cannot be withdrawn before it was given."), "withdrawn_on")
        consent.withdrawn_on = withdrawn_on
        consent.updated_by = actor
        consent.save(update_fields=["withdrawn_on", "updated_by", "updated_at"])
        open_referrals = list(
            Referral.objects.select_for_update().filter(
                consent=consent, status__in=[ReferralStatus.PENDING, ReferralStatus.ACCEPTED]
            )
        )
        for referral in open_referrals:
            referral.status = ReferralStatus.CANCELLED
            referral.cancelled_at = now
            referral.updated_by = actor
            referral.save(update_fields=["status", "cancelled_at", "updated_by", "updated_at"])
        ReferralEvent.objects.bulk_create(
            [
                ReferralEvent(
                    referral=r, at=now, user=actor, status=ReferralStatus.CANCELLED, note="consent_withdrawn"
                )
                for r in open_referrals
            ]
        )
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=consent,
            request=request,
            detail={
                "event": "consent_withdrawn",
                "purpose": consent.purpose,
                "referrals_cancelled": [r.reference for r in open_referrals],
            },
        )
    return consent


def _current_referral_consents(case):
    return (
        Consent.objects.filter(
            Q(case__isnull=True) | Q(case_id=case.pk),
            person_id=case.person_id,
            purpose=ConsentPurpose.REFERRAL,
            withdrawn_on__isnull=True,
            is_archived=False,
        )
        .prefetch_related("organisations")
        .order_by("-given_on", "-id")
    )


def _covers_organisation(consent: Consent, organisation) -> bool:
    named = {o.pk for o in consent.organisations.all()}
    return not named or (organisation is not None and organisation.pk in named)


def _covers_type(consent: Consent, service_type: str | None) -> bool:
    return not consent.service_types or (service_type is not None and service_type in consent.service_types)


def consent_refusal(*, case, organisation=None, service_type: str) -> str:
    """Why no current referral consent covers sending the case's person to `organisation` (None: a
    service outside Sentinelle) for `service_type`, saying which of the two did not match and what the
    consents do cover: a case worker must be able to fix it from the message alone."""
    place = organisation.acronym if organisation is not None else gettext("a service outside Sentinelle")
    kind = ServiceType(service_type).label
    consents = list(_current_referral_consents(case))
    if not consents:
        return gettext(
            "Referral refused: the person has no current referral consent (none was recorded, or it was "
            "withdrawn). Record their consent to be referred to %(organisation)s for %(type)s, then refer "
            "again."
        ) % {"organisation": place, "type": kind}
    by_organisation = [c for c in consents if _covers_organisation(c, organisation)]
    by_type = [c for c in consents if _covers_type(c, service_type)]
    values = {"organisation": place, "type": kind}
    if by_organisation:
        # Each of these names service types (one naming none would have covered the referral).
        values["types"] = ", ".join(
            dict.fromkeys(label for c in by_organisation for label in c.service_type_labels)
        )
        message = gettext(
            "Referral refused: the type of service does not match. The person's consent covers "
            "%(organisation)s, but only for %(types)s, not for %(type)s. Record a consent that covers "
            "%(type)s, then refer again."
        )
    elif by_type:
        values["organisations"] = ", ".join(
            dict.fromkeys(o.acronym for c in by_type for o in c.organisations.all())
        )
        message = gettext(
            "Referral refused: the organisation does not match. The person's consent covers %(type)s, "
            "but only with %(organisations)s, not %(organisation)s. Record a consent that covers "
            "%(organisation)s, then refer again."
        )
    else:
        values["coverage"] = "; ".join(
            gettext("%(organisations)s for %(types)s")
            % {
                "organisations": ", ".join(o.acronym for o in c.organisations.all()),
                "types": ", ".join(c.service_type_labels),
            }
            for c in consents
        )
        message = gettext(
            "Referral refused: neither the organisation nor the type of service matches. The person's "
            "consent covers %(coverage)s, not %(organisation)s for %(type)s. Record a consent for this "
            "referral, then refer again."
        )
    return message % values


def consent_covering(*, case, organisation=None, service_type: str | None = None) -> Consent | None:
    """The current referral consent of the case's person that covers sending to `organisation` (None: a
    service outside Sentinelle, only covered by a consent naming no organisation) for `service_type`
    (None: the whole file, as in a transfer, only covered by a consent naming no service type).

    A consent given on another case of the same person does not travel to this one; one given on the
    person before any case does."""
    for consent in _current_referral_consents(case):
        if _covers_organisation(consent, organisation) and _covers_type(consent, service_type):
            return consent
    return None
