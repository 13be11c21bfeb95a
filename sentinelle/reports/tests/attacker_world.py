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
from sentinelle.core.rollups import rollups_rebuild
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
    rollups_rebuild(keyed_by="case")  # cases written around the services (core/rollups.py)
    national = AdminArea.objects.get(version=mopti.version, level=0)
    return World(national, regions, cercles, communes, months, organisations, children)


def world_from_database(*, deep_regions: int = 1, deep_cercles: int = 1, months=None) -> World:
    """The world of the data already in the database (the demo data, the bench database): every region
    holding records; in the `deep_regions` regions with the most records, every cercle holding records;
    and in the `deep_cercles` busiest of those cercles, every commune holding records (areas without any
    record count 0 everywhere: leaving them out keeps every sum true). The months are the last complete
    quarter unless given; the organisations are those with records."""
    from sentinelle.accounts.models import Organisation
    from sentinelle.monitoring.models import Incident

    months = months or last_quarter()
    located = list(Incident.objects.values_list("area_id", flat=True).distinct())
    located += list(Case.objects.values_list("area_id", flat=True).distinct())
    by_pk = {area.pk: area for area in AdminArea.objects.filter(pk__in=set(located))}
    lineage: dict = {}
    for area in list(by_pk.values()):
        while area is not None and area.pk not in lineage:
            lineage[area.pk] = area
            area = area.parent
    areas = [area for area in lineage.values() if area.level >= 1]
    national = next(area for area in lineage.values() if area.level == 0)
    weight = {area.pk: 0 for area in areas}
    for pk in located:
        area = by_pk[pk]
        while area is not None and area.level >= 1:
            weight[area.pk] += 1
            area = area.parent
    regions = sorted((a for a in areas if a.level == 1), key=lambda a: a.pcode)
    deep = sorted(regions, key=lambda a: -weight[a.pk])[:deep_regions]
    below = [a for a in areas if a.level >= 2 and any(region.contains(a) for region in deep)]
    cercles = sorted((a for a in below if a.level == 2), key=lambda a: a.pcode)
    busiest = sorted(cercles, key=lambda a: -weight[a.pk])[: deep_cercles * len(deep)]
    communes = sorted(
        (a for a in below if a.level == 3 and any(cercle.contains(a) for cercle in busiest)),
        key=lambda a: a.pcode,
    )
    children: dict = {None: [region.pcode for region in regions]}
    for area in [*deep, *busiest]:
        children[area.pcode] = sorted(kid.pcode for kid in [*cercles, *communes] if kid.parent_id == area.pk)
    organisation_ids = set(Incident.objects.values_list("organisation_id", flat=True))
    organisation_ids |= set(Case.objects.values_list("organisation_id", flat=True))
    organisations = list(Organisation.objects.filter(pk__in=organisation_ids).order_by("acronym"))
    return World(national, regions, cercles, communes, months, organisations, children)
