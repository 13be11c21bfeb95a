"""Demo cases for `seed_demo` (after accounts and the directory): persons, cases of each type for DRC's
case worker in Mopti, consents, referrals in every status to the DRPFEF-MOPTI services (focal point
focal.drpfef) and to a health service of another provider, overdue tasks, one IPA, and a tracing request
with a proposed match. Everything goes through the services (policy, encryption, audit). Deterministic
and idempotent: a second run finds the demo cases and creates nothing. Names are fictitious.
"""

import datetime

from django.utils import timezone

from sentinelle.accounts.models import Organisation, User
from sentinelle.cases.models import Case, ConsentGivenBy, ConsentPurpose
from sentinelle.cases.services import assistance as ipa
from sentinelle.cases.services import cases as casework
from sentinelle.cases.services import referrals
from sentinelle.cases.services.consent import consent_record
from sentinelle.cases.services.persons import person_register
from sentinelle.cases.services.tracing import tracing_request_create
from sentinelle.demo.cases.caseload import seed_caseload
from sentinelle.directory.models import Service
from sentinelle.geography.models import AdminArea
from sentinelle.geography.selectors import cod_version_default

SEVARE = "ML050109"  # the commune of Mopti (Sévaré), where DRC's case worker works
DOUENTZA = "ML050606"

# given, family, sex, age, commune, case type, risk, days since opened
PEOPLE = [
    ("Fatoumata", "Guindo", "f", 24, SEVARE, "gbv", "high", 12),
    ("Hawa", "Sangaré", "f", 31, SEVARE, "gbv", "medium", 40),
    ("Boubacar", "Dicko", "m", 9, DOUENTZA, "child_protection", "high", 20),
    ("Kadidia", "Cissé", "f", 14, SEVARE, "child_protection", "medium", 8),
    ("Seydou", "Tembély", "m", 45, DOUENTZA, "general_protection", "low", 30),
    ("Oumou", "Kansaye", "f", 38, SEVARE, "ipa", "medium", 15),
    ("Adama", "Ongoïba", "m", 52, SEVARE, "general_protection", "", 3),
]

FORMS = {
    "health": {
        "time_since_incident": "under_72h",
        "health_need": "clinical_management_of_rape",
        "known_allergies": "no",
        "injuries": "yes",
    },
    "shelter": {"immediate_danger": "yes", "duration_needed": "few_nights", "accompanying_children": 1},
}


def _form(service_type: str) -> dict:
    """A complete referral form for the type: the tests' known answers, else each question's first choice."""
    if service_type in FORMS:
        return FORMS[service_type]
    answers = {}
    for spec in referrals.referral_form_fields(service_type):
        if spec.required:
            answers[spec.key] = spec.choices[0][0] if spec.kind == "choice" else "1"
    return answers


def seed(*, stdout, style) -> None:
    users = {u.username: u for u in User.objects.filter(username__in=["caseworker.drc", "focal.drpfef"])}
    version = cod_version_default()
    areas = {}
    if version is not None:
        areas = {a.pcode: a for a in AdminArea.objects.filter(version=version, pcode__in=[SEVARE, DOUENTZA])}
    drpfef = Organisation.objects.filter(acronym="DRPFEF-MOPTI").first()
    if len(users) < 2 or len(areas) < 2 or drpfef is None:
        stdout.write(style.WARNING("Demo cases skipped: demo accounts, organisations or geography missing."))
        return
    worker, focal = users["caseworker.drc"], users["focal.drpfef"]
    if Case.objects.filter(owner=worker).exists():
        stdout.write("Demo cases: already there, nothing created.")
        return
    today = timezone.localdate()
    cases = []
    for given, family, sex, age, pcode, case_type, risk, days in PEOPLE:
        person = person_register(
            actor=worker, given_name=given, family_name=family, sex=sex, age=age, area=areas[pcode]
        )
        case = casework.case_open(
            actor=worker,
            person=person,
            case_type=case_type,
            risk_level=risk,
            opened_on=today - datetime.timedelta(days=days),  # old enough for overdue assessment tasks
        )
        cases.append(case)
    for case in cases[:6]:
        consent_record(
            actor=worker,
            person=case.person,
            case=case,
            purpose=ConsentPurpose.REFERRAL,
            given_by=ConsentGivenBy.CAREGIVER if case.person.age < 18 else ConsentGivenBy.PERSON,
            given_on=case.opened_on,
        )
    casework.assessment_record(actor=worker, case=cases[0], risk_level="high", needs=["health", "shelter"])
    _referrals(worker, focal, drpfef, cases, stdout)
    request = ipa.assistance_request(
        actor=worker, case=cases[5], kind="cash", amount_xof=35000, purpose="Loyer de trois mois"
    )
    _tracing(worker, cases[2], areas[DOUENTZA])
    manager = User.objects.filter(username="manager.drc").first()
    communes = list(
        AdminArea.objects.filter(version=version, level=3, path__startswith=areas[SEVARE].path[:8]).order_by(
            "pcode"
        )[:8]
    )
    if manager is not None and communes:
        seed_caseload(worker=worker, focal=focal, manager=manager, areas=communes, stdout=stdout)
    stdout.write(
        style.SUCCESS(
            f"Demo cases: {len(cases)} cases, referrals in every status, IPA {request.pk}, tracing."
        )
    )


def _service(provider, service_type, area):
    services = Service.objects.filter(service_type=service_type, status="active", is_archived=False)
    if provider is not None:
        services = services.filter(provider=provider)
    else:
        services = services.exclude(provider__acronym__in=["DRC", "DRPFEF-MOPTI"])
    return services.filter(area__path__startswith=area.path[:7]).order_by("source_id").first()


def _referrals(worker, focal, drpfef, cases, stdout) -> None:
    def send(case, service, urgency="urgent"):
        return referrals.referral_create(
            actor=worker,
            case=case,
            service=service,
            urgency=urgency,
            reason="Orientation de démonstration (aucun nom).",
            form=_form(service.service_type),
        )

    shelter = _service(drpfef, "shelter", cases[0].area)
    protection = _service(drpfef, "child_protection", cases[2].area)
    health = _service(None, "health", cases[0].area)
    if not (shelter and protection):
        stdout.write("Demo referrals skipped: the DRPFEF-MOPTI services are missing.")
        return
    send(cases[0], shelter, "emergency")  # pending
    accepted = send(cases[2], protection)
    referrals.referral_accept(actor=focal, referral=accepted)
    declined = send(cases[1], shelter)
    referrals.referral_decline(actor=focal, referral=declined, reason="Plus de place cette semaine.")
    completed = send(cases[3], protection, "routine")
    referrals.referral_accept(actor=focal, referral=completed)
    referrals.referral_complete(actor=focal, referral=completed, service_given="Évaluation et médiation.")
    cancelled = send(cases[4], shelter, "routine")
    referrals.referral_cancel(actor=worker, referral=cancelled, reason="La personne a trouvé un logement.")
    if health is not None:
        send(cases[0], health, "emergency")  # pending, another provider


def _tracing(worker, child_case, area) -> None:
    consent_record(
        actor=worker,
        person=child_case.person,
        case=child_case,
        purpose=ConsentPurpose.TRACING,
        given_by=ConsentGivenBy.CAREGIVER,
        given_on=child_case.opened_on,
    )
    tracing_request_create(
        actor=worker,
        inquirer_name="Aïssata Dicko",
        inquirer_relationship="mère",
        sought_given_name="Boubakar",
        sought_family_name="Diko",
        sought_sex="m",
        sought_age=9,
        last_seen_area=area,
        last_seen_on=child_case.opened_on - datetime.timedelta(days=30),
    )
