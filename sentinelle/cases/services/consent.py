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
    Consent,
    ConsentGivenBy,
    ConsentPurpose,
    Referral,
    ReferralEvent,
    ReferralStatus,
)
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import CHILD_AGE_GROUPS
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure, has_perm, refuse
from sentinelle.directory.models import ServiceType

from ._casework import check_choice, check_date, invalid, refused

__all__ = ["consent_covering", "consent_record", "consent_withdraw"]


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
        invalid(gettext("This consent is for another person than the person of the case."), "person")
    check_choice(purpose, ConsentPurpose, field="purpose")
    check_choice(given_by, ConsentGivenBy, field="given_by")
    check_date(given_on, field="given_on")
    if given_by == ConsentGivenBy.CHILD_ASSENT and person.age_group not in CHILD_AGE_GROUPS:
        invalid(gettext("A child's assent is only recorded for a child."), "given_by")
    types = list(dict.fromkeys(service_types))
    for service_type in types:
        check_choice(service_type, ServiceType, field="service_types")
    organisations = list(dict.fromkeys(organisations))
    if purpose != ConsentPurpose.REFERRAL and (types or organisations):
        invalid(gettext("Organisations and service types are named only for a referral consent."), "purpose")
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
    return consent


def consent_withdraw(*, actor, consent: Consent, withdrawn_on: date | None = None, request=None) -> Consent:
    """Withdraw a consent; referrals still relying on it are cancelled (their services are told so)."""
    if consent.case is not None:
        ensure(actor, Perm.CASE_EDIT, consent.case, request=request, message=refused())
    elif not has_perm(actor, Perm.PERSON_VIEW, consent.person):
        refuse(actor, Perm.PERSON_VIEW, message=refused(), obj=consent.person, request=request)
    withdrawn_on = check_date(withdrawn_on or timezone.localdate(), field="withdrawn_on")
    now = timezone.now()
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_on is not None:
            invalid(gettext("This consent was already withdrawn."))
        if withdrawn_on < locked.given_on:
            invalid(gettext("A consent cannot be withdrawn before it was given."), "withdrawn_on")
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


def consent_covering(*, case, organisation=None, service_type: str | None = None) -> Consent | None:
    """The current referral consent of the case's person that covers sending to `organisation` (None: a
    service outside Sentinelle, only covered by a consent naming no organisation) for `service_type`
    (None: the whole file, as in a transfer, only covered by a consent naming no service type).

    A consent given on another case of the same person does not travel to this one; one given on the
    person before any case does."""
    consents = (
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
    for consent in consents:
        named_orgs = {o.pk for o in consent.organisations.all()}
        if named_orgs and (organisation is None or organisation.pk not in named_orgs):
            continue
        if consent.service_types and (service_type is None or service_type not in consent.service_types):
            continue
        return consent
    return None
