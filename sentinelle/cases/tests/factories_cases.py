"""Builders for the case management tests, through the real services (policy, validation, audit apply).

commune = commune_in(mopti)                                   # a commune under a conftest region
case = make_case(caseworker_in_area, commune)                 # person registered + case opened
service = make_service(beta, commune, "health", focal_points=[focal_point])
consent_for(caseworker_in_area, case, organisations=[beta])   # a referral consent
referral = make_referral(caseworker_in_area, case, service)   # with a valid form for its type
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from sentinelle.cases.models import Case, ConsentGivenBy, ConsentPurpose, Referral
from sentinelle.cases.rollups import case_rollups_refresh, referral_rollups_refresh
from sentinelle.cases.services.cases import assessment_record, case_open, case_plan_save
from sentinelle.cases.services.consent import consent_record
from sentinelle.cases.services.referrals import referral_create
from sentinelle.cases.tests.factories_persons import commune_in, register
from sentinelle.directory.models import Service

__all__ = [
    "VALID_FORMS",
    "assessed_and_planned",
    "commune_in",
    "consent_for",
    "make_case",
    "make_referral",
    "make_service",
    "plan_actions",
    "register",
]

# A valid referral form per service type used in the tests.
VALID_FORMS = {
    "health": {
        "time_since_incident": "under_72h",
        "health_need": "clinical_management_of_rape",
        "known_allergies": "no",
        "injuries": "yes",
    },
    "pss": {"distress_level": "severe", "risk_of_self_harm": "no"},
    "legal": {"legal_need": "criminal_complaint", "wants_legal_action": "undecided"},
    "civil_documentation": {"document_needed": "birth_certificate", "supporting_documents": "yes"},
    "shelter": {"immediate_danger": "yes", "duration_needed": "few_nights", "accompanying_children": 2},
}


def make_case(actor, area, *, case_type="gbv", risk_level="", person=None, given_name="Aminata", **fields):
    """Register a person in `area` (unless given) and open a case for them as `actor`."""
    person = person or register(actor, area=area, given_name=given_name, family_name="Traoré")
    return case_open(actor=actor, person=person, case_type=case_type, risk_level=risk_level, **fields)


def make_service(provider, area, service_type="health", *, focal_points=(), name=None):
    service = Service.objects.create(
        name=name or f"Service {service_type} {provider.acronym}",
        service_type=service_type,
        provider=provider,
        area=area,
    )
    if focal_points:
        service.focal_points.set(focal_points)
    return service


def consent_for(actor, case, *, organisations=(), service_types=(), given_by=ConsentGivenBy.PERSON):
    return consent_record(
        actor=actor,
        person=case.person,
        case=case,
        purpose=ConsentPurpose.REFERRAL,
        given_by=given_by,
        given_on=timezone.localdate(),
        organisations=organisations,
        service_types=service_types,
    )


def make_referral(actor, case, service, *, urgency="urgent", reason="Prise en charge médicale.", **fields):
    form = fields.pop("form", VALID_FORMS[service.service_type])
    return referral_create(
        actor=actor, case=case, service=service, urgency=urgency, reason=reason, form=form, **fields
    )


def plan_actions(*needs: str, due_in_days: int = 7) -> list[dict]:
    due = timezone.localdate() + datetime.timedelta(days=due_in_days)
    return [
        {"need": need, "description": f"Orienter vers {need}", "responsible": "Gestionnaire", "due_on": due}
        for need in needs or ("health",)
    ]


def assessed_and_planned(actor, case, *, risk_level="high", needs=("health",)):
    """Assessment then a case plan (in force when the organisation requires no approval)."""
    assessment_record(actor=actor, case=case, risk_level=risk_level, needs=list(needs))
    return case_plan_save(actor=actor, case=case, goals="Sécurité et soins.", actions=plan_actions(*needs))


def update_cases(cases, **fields) -> None:
    """Change cases around the services (a test's shortcut), their figures refreshed as a service does."""
    ids = [case.pk for case in cases]
    Case.objects.filter(pk__in=ids).update(**fields)
    case_rollups_refresh(case_ids=ids)


def update_referrals(referrals, **fields) -> None:
    """Change referrals around the services (a test's shortcut), their figures refreshed as a service does."""
    ids = [referral.pk for referral in referrals]
    Referral.objects.filter(pk__in=ids).update(**fields)
    referral_rollups_refresh(referral_ids=ids)
