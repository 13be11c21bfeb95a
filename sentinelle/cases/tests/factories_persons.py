"""Person builders for the tests: through the services, as a case worker would register them.

Cases and consents are written directly (their services belong to the case management engineer): the
person tests only need rows to move, scope and match.
"""

import datetime
import uuid

from django.utils import timezone

from sentinelle.cases.models import Case, CaseType, Consent, ConsentGivenBy, ConsentPurpose
from sentinelle.cases.rollups import case_rollups_refresh
from sentinelle.cases.services.persons import person_register
from sentinelle.geography.tests.factories import AdminAreaFactory


def area_tree(region, *, cercles=("Douentza", "Bandiagara"), communes=2) -> dict:
    """Cercles (level 2) under `region`, each with communes (level 3): {"Douentza": [commune, ...]}."""
    tree = {}
    for index, name in enumerate(cercles, start=1):
        cercle = AdminAreaFactory(parent=region, level=2, pcode=f"{region.pcode}{index:02d}", name_fr=name)
        tree[name] = [
            AdminAreaFactory(
                parent=cercle, level=3, pcode=f"{cercle.pcode}{number:02d}", name_fr=f"{name} {number}"
            )
            for number in range(1, communes + 1)
        ]
    return tree


def commune_in(region, name: str = "Commune") -> object:
    """One commune (with its cercle) under a region."""
    cercle = AdminAreaFactory(parent=region, level=2, name_fr=f"Cercle {name}")
    return AdminAreaFactory(parent=cercle, level=3, name_fr=name)


def register(actor, *, area, given_name="Aminata", family_name="Traoré", sex="f", age=30, **fields):
    return person_register(
        actor=actor, area=area, given_name=given_name, family_name=family_name, sex=sex, age=age, **fields
    )


def open_case(
    person,
    *,
    owner,
    organisation=None,
    case_type=CaseType.CHILD_PROTECTION,
    area=None,
    opened_on=None,
    status="open",
):
    case = Case.objects.create(
        case_number=f"CAS-T-{uuid.uuid4().hex[:10]}",
        person=person,
        case_type=case_type,
        organisation=organisation or person.organisation,
        owner=owner,
        area=area or person.area,
        opened_on=opened_on or timezone.localdate(),
        status=status,
        created_by=owner,
    )
    case_rollups_refresh(case_ids=[case.pk])  # the figures count it, as after case_open
    return case


def give_consent(person, *, case=None, purpose=ConsentPurpose.TRACING, withdrawn=False):
    today = timezone.localdate()
    return Consent.objects.create(
        person=person,
        case=case,
        purpose=purpose,
        given_by=ConsentGivenBy.CAREGIVER,
        given_on=today,
        withdrawn_on=today if withdrawn else None,
    )


def register_child(
    actor, *, area, given_name, family_name, sex, age, other_names="", years_ago=0, consent=True, owner=None
):
    """A separated child registered `years_ago` with a child-protection case (and tracing consent)."""
    person = register(
        actor,
        area=area,
        given_name=given_name,
        family_name=family_name,
        sex=sex,
        age=age,
        other_names=other_names,
    )
    registered = timezone.now() - datetime.timedelta(days=365 * years_ago + 10 if years_ago else 0)
    type(person).objects.filter(pk=person.pk).update(created_at=registered)
    person.created_at = registered
    case = open_case(person, owner=owner or actor, opened_on=registered.date())
    if consent:
        give_consent(person, case=case)
    return person, case
