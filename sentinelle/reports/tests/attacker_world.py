"""A world with the structure of real protection data, for the differencing attacker's test.

Three regions (Mopti ML05, Ségou ML04, Tombouctou ML06), each with two cercles of two communes; three
organisations; the three months of the last complete calendar quarter. In every commune and month, a drawn
number of incidents (many 1 to 4, some 5 to 15) of several categories (GBV among them, with consent),
perpetrators and organisations, each with one or two victim cells by outcome, sex and age group; and a
drawn number of cases of the four types, risk levels, sexes and age groups. Incidents arrive through the
bulk import path (monitoring/services/_bulk.py), persons through the registration service, cases through
the ORM: every record gets its key from the database. Everything is located at communes, so that an
area's records are exactly its communes'.

The draws come from a fixed seed: the same world every run (the record keys are the database's own).
"""

import datetime
import random
import uuid
from dataclasses import dataclass, field

from django.utils import timezone

from sentinelle.accounts.tests.factories import OrganisationFactory
from sentinelle.cases.models import Case
from sentinelle.cases.tests.factories_persons import register
from sentinelle.geography.models import AdminArea
from sentinelle.geography.tests.factories import AdminAreaFactory
from sentinelle.monitoring.services.incidents import incident_import_many
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    commune_of,
    gbv_overrides,
    incident_input,
    victim,
)

SEED = 13
# Incidents in a commune and month: many small counts, some larger ones.
INCIDENT_COUNTS = (0, 1, 1, 2, 2, 3, 4, 5, 6, 7, 9, 12, 15)
CASE_COUNTS = (0, 1, 1, 2, 3, 4, 6, 8)
CATEGORIES = ("life", "life", "life", "property", "property", "liberty", "integrity", "gbv")
PERPETRATORS = ("nsag", "nsag", "state_forces", "unknown")
OUTCOMES = ("killed", "injured", "affected")
SEXES = ("f", "m", "m", "unknown")
AGES = ("6_11", "12_17", "18_59", "18_59", "60_plus", "unknown")
CASE_TYPES = ("gbv", "child_protection", "child_protection", "general_protection", "ipa")
RISKS = ("high", "medium", "medium", "low")


@dataclass
class World:
    national: object
    regions: list
    cercles: list
    communes: list
    # Month index (0, 1, 2) -> (first day, last day).
    months: list[tuple[datetime.date, datetime.date]]
    organisations: list
    children: dict = field(default_factory=dict)  # P-code (or None: Mali) -> child P-codes

    def areas(self) -> list:
        return [*self.regions, *self.cercles, *self.communes]


def last_quarter() -> list[tuple[datetime.date, datetime.date]]:
    """The three months (first day, last day) of the last complete calendar quarter."""
    today = timezone.localdate()
    quarter_start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    end = quarter_start - datetime.timedelta(days=1)
    first = end.replace(month=3 * ((end.month - 1) // 3) + 1, day=1)
    months = []
    for _ in range(3):
        last = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(
            days=1
        )
        months.append((first, last))
        first = last + datetime.timedelta(days=1)
    return months


def build_world(*, mopti, segou, alpha, beta, admin, manager) -> World:
    rng = random.Random(SEED)
    tombouctou = AdminAreaFactory(
        version=mopti.version, level=1, pcode="ML06", parent=mopti.parent, name_fr="Tombouctou"
    )
    regions = [segou, mopti, tombouctou]
    cercles, communes, children = [], [], {None: [region.pcode for region in regions]}
    for region in regions:
        children[region.pcode] = []
        for c in (1, 2):
            cercle = cercle_of(region, pcode=f"{region.pcode}0{c}")
            cercles.append(cercle)
            children[region.pcode].append(cercle.pcode)
            children[cercle.pcode] = []
            for m in (1, 2):
                commune = commune_of(cercle, pcode=f"{cercle.pcode}0{m}")
                communes.append(commune)
                children[cercle.pcode].append(commune.pcode)
    organisations = [alpha, beta, OrganisationFactory(acronym="GAMMA")]
    months = last_quarter()
    today = timezone.localdate()

    by_organisation: dict = {organisation.pk: [] for organisation in organisations}
    for commune in communes:
        for first, last in months:
            for _ in range(rng.choice(INCIDENT_COUNTS)):
                day = first + datetime.timedelta(days=rng.randrange((last - first).days + 1))
                category = rng.choice(CATEGORIES)
                organisation = rng.choice(organisations)
                overrides = {
                    "date_start": day,
                    "date_reported": min(day + datetime.timedelta(days=2), today),
                    "categories": [category],
                    "perpetrator_category": rng.choice(PERPETRATORS),
                    "victims": [
                        victim(
                            rng.choice(OUTCOMES),
                            rng.choice(SEXES),
                            rng.choice(AGES),
                            rng.choice((1, 1, 2, 3)),
                        )
                        for _cell in range(rng.choice((1, 1, 2)))
                    ],
                }
                if category == "gbv":
                    overrides = {**overrides, **gbv_overrides(), "date_start": day}
                    overrides["date_reported"] = min(day + datetime.timedelta(days=2), today)
                by_organisation[organisation.pk].append(incident_input(commune, **overrides))
    for organisation in organisations:
        incident_import_many(
            actor=admin, organisation=organisation, rows=by_organisation[organisation.pk], follow_up=False
        )

    for commune in communes:
        for first, last in months:
            for index in range(rng.choice(CASE_COUNTS)):
                person = register(
                    manager,
                    area=commune,
                    given_name=f"P{commune.pcode}{first:%m}{index}",
                    sex=rng.choice(("f", "f", "m")),
                    age=rng.choice((4, 9, 15, 16, 25, 34, 70)),
                )
                Case.objects.create(
                    case_number=f"CAS-A-{uuid.uuid4().hex[:10]}",
                    person=person,
                    case_type=rng.choice(CASE_TYPES),
                    risk_level=rng.choice(RISKS),
                    organisation=person.organisation,
                    owner=manager,
                    area=commune,
                    opened_on=first + datetime.timedelta(days=rng.randrange((last - first).days + 1)),
                    status="open",
                    created_by=manager,
                )
    national = AdminArea.objects.get(version=mopti.version, level=0)
    return World(national, regions, cercles, communes, months, organisations, children)
