"""A year of case load for the demo dashboards and reports: about fifty more cases of DRC's case worker in
the Mopti region, with consent and referrals answered by the services' side (DRC's own psychosocial
services through manager.drc, DRPFEF-MOPTI's through focal.drpfef) or still waiting (other providers).

Everything goes through the services (policy, encryption, audit). Only the referral dates are moved back
afterwards, so that the demo reads as a year of work rather than one afternoon (`referral_create` stamps
the present); nothing else is written around the services. Each case goes through the steps its age
makes likely (older ones mostly closed, with their tasks), so that the case worker's tasks fall due around
today. Deterministic (seeded), fictitious names.
"""

import datetime
import random

from django.utils import timezone

from sentinelle.cases.models import ConsentGivenBy, ConsentPurpose, Referral
from sentinelle.cases.services import cases as casework
from sentinelle.cases.services import referrals
from sentinelle.cases.services.consent import consent_record
from sentinelle.cases.services.persons import person_register
from sentinelle.directory.models import Service

CASES = 48
GIVEN_F = ["Aminata", "Mariam", "Awa", "Djeneba", "Rokia", "Assitan", "Salimata", "Bintou", "Fanta", "Nana"]
GIVEN_M = ["Moussa", "Amadou", "Ibrahim", "Oumar", "Hamidou", "Souleymane", "Bakary", "Issa", "Modibo", "Ali"]
FAMILY = ["Traoré", "Coulibaly", "Diallo", "Cissé", "Maïga", "Touré", "Keïta", "Sidibé", "Guindo", "Dicko"]
# case type, share of women, (age low, age high), referral service types (first: most common)
PROFILES = [
    ("gbv", 0.92, (13, 45), ["pss", "health", "legal", "shelter"]),
    ("child_protection", 0.5, (4, 17), ["child_protection", "pss", "education"]),
    ("general_protection", 0.55, (18, 70), ["legal", "civil_documentation", "pss"]),
    ("ipa", 0.6, (18, 60), ["pss", "legal"]),
]
RISKS = ["high", "medium", "medium", "low"]


def seed_caseload(*, worker, focal, manager, areas: list, stdout) -> int:
    """Open the cases and their referrals; returns how many cases were opened."""
    rng = random.Random(2026)
    today = timezone.localdate()
    services = _services_by_type(areas[0])
    opened = 0
    for index in range(CASES):
        case_type, women, (low, high), needs = PROFILES[index % len(PROFILES)]
        sex = "f" if rng.random() < women else "m"
        given = rng.choice(GIVEN_F if sex == "f" else GIVEN_M)
        age = rng.randint(low, high)
        area = areas[index % len(areas)]
        person = person_register(
            actor=worker, given_name=given, family_name=rng.choice(FAMILY), sex=sex, age=age, area=area
        )
        opened_on = today - datetime.timedelta(days=rng.randint(5, 360))
        case = casework.case_open(
            actor=worker,
            person=person,
            case_type=case_type,
            risk_level=rng.choice(RISKS),
            opened_on=opened_on,
        )
        opened += 1
        consent_record(
            actor=worker,
            person=person,
            case=case,
            purpose=ConsentPurpose.REFERRAL,
            given_by=ConsentGivenBy.CAREGIVER if age < 18 else ConsentGivenBy.PERSON,
            given_on=opened_on,
        )
        referred = needs[: rng.choice([1, 1, 2])]
        for need in referred:
            service = services.get(need)
            if service is not None:
                _refer(rng, worker, focal, manager, case, service, opened_on, today)
        _progress(rng, worker, case, referred, opened_on, today)
    stdout.write(f"Demo case load: {opened} more cases with their referrals over the year.")
    return opened


def _progress(rng, worker, case, needs, opened_on, today) -> None:
    """Take the case as far through the steps as its age makes likely, so that its open tasks fall due
    around today: a case worker finds a handful overdue, not one per case. Older cases are mostly closed
    (their tasks close with them); the others have a plan whose review falls within the coming weeks."""
    age = (today - opened_on).days
    if age < 4:
        return  # the assessment is still to do
    assessed_on = opened_on + datetime.timedelta(days=rng.randint(1, 3))
    casework.assessment_record(
        actor=worker, case=case, risk_level=case.risk_level or "medium", assessed_on=assessed_on, needs=needs
    )
    if age < 12:
        return  # the case plan is being written
    casework.case_plan_save(
        actor=worker,
        case=case,
        goals="Sécurité, soins et suivi (démonstration).",
        review_on=today + datetime.timedelta(days=rng.randint(-2, 30)),
        actions=[
            {
                "need": need,
                "description": "Orientation et accompagnement (démonstration).",
                "responsible": "Gestionnaire de cas",
                "due_on": today + datetime.timedelta(days=rng.randint(2, 40)),
            }
            for need in needs
        ],
    )
    if age > 120 and rng.random() < 0.7:
        reason = rng.choice(["needs_met", "needs_met", "needs_met", "moved", "transferred", "declined"])
        casework.case_close(actor=worker, case=case, reason=reason)


def _services_by_type(area) -> dict:
    """One active service per type in the region, preferring those whose side the demo can answer."""
    preferred = {"pss": "DRC", "child_protection": "DRPFEF-MOPTI", "shelter": "DRPFEF-MOPTI"}
    found = {}
    region = area.path_pcodes[1] if len(area.path_pcodes) > 1 else ""
    candidates = Service.objects.filter(
        status="active", is_archived=False, area__path__contains=f"/{region}/"
    )
    for service in candidates.select_related("provider").order_by("source_id"):
        wanted = preferred.get(service.service_type)
        if service.service_type not in found or (wanted and service.provider.acronym == wanted):
            found[service.service_type] = service
    return found


def _refer(rng, worker, focal, manager, case, service, opened_on, today) -> None:
    referral = referrals.referral_create(
        actor=worker,
        case=case,
        service=service,
        urgency=rng.choice(["routine", "urgent", "urgent", "emergency"]),
        reason="Orientation de démonstration (aucun nom).",
        form=_form(service.service_type),
    )
    answering = {"DRC": manager, "DRPFEF-MOPTI": focal}.get(service.provider.acronym)
    sent = opened_on + datetime.timedelta(days=rng.randint(0, 4))
    moved = {"created_at": _at(min(sent, today))}
    outcome = rng.random()
    if answering is not None and outcome < 0.85:
        if outcome < 0.1:
            referrals.referral_decline(
                actor=answering, referral=referral, reason="Capacité atteinte ce mois-ci."
            )
            moved["declined_at"] = _at(min(sent + datetime.timedelta(days=2), today))
        else:
            referrals.referral_accept(actor=answering, referral=referral)
            moved["accepted_at"] = _at(min(sent + datetime.timedelta(days=1), today))
            if outcome < 0.7 and (today - sent).days > 10:
                referrals.referral_complete(
                    actor=answering, referral=referral, service_given="Service fourni (démonstration)."
                )
                moved["completed_at"] = _at(min(sent + datetime.timedelta(days=rng.randint(3, 20)), today))
    Referral.objects.filter(pk=referral.pk).update(**moved)


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def _form(service_type: str) -> dict:
    from sentinelle.demo.cases.showcase import _form as demo_form

    return demo_form(service_type)
