"""Demo population movement: eight monthly CMP rounds for cercles of Mopti, Ségou, Tombouctou, Gao and
Ménaka (a cercle of Gao in the 2015 COD), displacement events (one large arrival in Douentza that raises
the demo displacement alert when monitoring's rule exists), return intentions, and people in need.

The latest round reproduces the CMP figures quoted in seed 002 (30 September 2019): IDPs in Mopti
61 083, Gao 53 380, Ségou 24 291, Tombouctou 22 641, Ménaka 16 430; 54 % women, 53 % children; 73 % of
surveyed households wishing to return. Earlier rounds rise towards them. The Mopti cercle is reported by
commune for IDPs, to show how a cercle is counted through its communes.

Idempotent: figures by source key, events by source key, surveys by area and date, needs by cell.
Dates follow today (the rounds are the last eight month-ends), as the other apps' demo data does.
"""

import dataclasses
import datetime

from django.utils import timezone

from sentinelle.accounts.models import Organisation, User
from sentinelle.core.hooks import DISPLACEMENT_EVENTS_RECORDED, followers
from sentinelle.displacement import services
from sentinelle.displacement.models import (
    DisplacementEvent,
    PeopleInNeed,
    PopulationFigure,
    ReturnIntention,
)
from sentinelle.geography.models import AdminArea
from sentinelle.geography.selectors import cod_version_default

ROUNDS = 8
# Latest IDP figure per area (P-code of a cercle, or of communes of the Mopti cercle).
IDPS = {
    # Mopti region: 61 083
    "ML0502": 18_500,  # Bandiagara
    "ML0503": 9_800,  # Bankass
    "ML0506": 12_400,  # Douentza
    "ML0507": 8_900,  # Koro
    "ML050109": 6_200,  # Mopti Commune (cercle of Mopti, by commune)
    "ML050114": 3_100,  # Socoura
    "ML050105": 2_183,  # Konna
    # Ségou: 24 291
    "ML0405": 9_800,  # Niono
    "ML0407": 7_491,  # Macina
    "ML0402": 7_000,  # Ségou
    # Tombouctou: 22 641
    "ML0601": 9_641,
    "ML0603": 6_500,  # Goundam
    "ML0605": 6_500,  # Niafunké
    # Gao: 53 380
    "ML0701": 28_380,
    "ML0702": 15_000,  # Ansongo
    "ML0703": 10_000,  # Bourem
    # Ménaka: 16 430
    "ML0704": 16_430,
}
# Share of the latest figure at each round, oldest first: displacement grew through the year.
GROWTH = [0.78, 0.8, 0.83, 0.86, 0.9, 0.93, 0.97, 1.0]
# Ménaka saw a sudden rise three rounds ago.
MENAKA_GROWTH = [0.52, 0.55, 0.56, 0.58, 0.86, 0.9, 0.95, 1.0]
RETURNEES = {"ML0701": 40_000, "ML0601": 35_000, "ML0501": 8_000, "ML0702": 9_500}
REPATRIATES = {"ML0601": 9_000, "ML0701": 6_500, "ML0605": 2_400}
# Women and girls 54 %, children 53 % (seed 002).
BREAKDOWN = {
    ("f", "0_5"): 0.11,
    ("f", "6_11"): 0.09,
    ("f", "12_17"): 0.07,
    ("f", "18_59"): 0.24,
    ("f", "60_plus"): 0.03,
    ("m", "0_5"): 0.10,
    ("m", "6_11"): 0.09,
    ("m", "12_17"): 0.07,
    ("m", "18_59"): 0.17,
    ("m", "60_plus"): 0.03,
}
PERSONS_PER_HOUSEHOLD = 5.6

EVENTS = [
    # key, days ago, destination, origin, individuals, households, cause, description
    (
        "demo-evt-1",
        6,
        "ML0506",
        "ML0507",
        2_350,
        410,
        "armed_conflict",
        "Arrivée de ménages fuyant des attaques contre plusieurs villages ; accueil en familles et "
        "sur un site spontané.",
    ),
    (
        "demo-evt-2",
        12,
        "ML0405",
        "ML0407",
        180,
        31,
        "intercommunal",
        "Tensions entre éleveurs et agriculteurs.",
    ),
    ("demo-evt-3", 20, "ML0702", None, 420, 70, "natural_disaster", "Crue du fleuve : quartiers inondés."),
    ("demo-evt-4", 27, "ML0601", "ML0605", 95, 17, "threat", "Menaces contre des leaders communautaires."),
]
INTENTIONS = [
    # area, days ago, surveyed, return, stay, elsewhere, conditions
    ("ML0502", 40, 420, 300, 95, 25, ["security", "shelter", "services"]),
    ("ML0701", 45, 510, 380, 100, 30, ["security", "livelihood"]),
    ("ML0601", 50, 300, 225, 60, 15, ["security", "documentation"]),
    ("ML0405", 55, 210, 150, 45, 15, ["security", "social_cohesion"]),
]
HOST_SHARE = 0.35


def _month_ends(today: datetime.date, count: int) -> list[datetime.date]:
    ends, day = [], today.replace(day=1) - datetime.timedelta(days=1)
    while len(ends) < count:
        ends.append(day)
        day = day.replace(day=1) - datetime.timedelta(days=1)
    return ends[::-1]


def _figures(areas: dict, organisation, today) -> list[services.FigureLine]:
    rows = []
    for index, round_date in enumerate(_month_ends(today, ROUNDS)):
        latest = index == ROUNDS - 1
        for pcode, final in IDPS.items():
            growth = MENAKA_GROWTH if pcode == "ML0704" else GROWTH
            rows.append(
                _figure(areas[pcode], organisation, round_date, "idp", round(final * growth[index]), latest)
            )
        for status, table in (("idp_returnee", RETURNEES), ("repatriate", REPATRIATES)):
            for pcode, final in table.items():
                # Returns grow slowly (0.9 to 1.0 of the latest figure).
                value = round(final * (0.9 + 0.1 * index / (ROUNDS - 1)))
                rows.append(_figure(areas[pcode], organisation, round_date, status, value, False))
    return rows


def _figure(area, organisation, round_date, status, individuals, with_breakdown) -> services.FigureLine:
    breakdown = {}
    if with_breakdown:
        breakdown = {cell: int(individuals * share) for cell, share in BREAKDOWN.items()}
    data = services.FigureLine(
        organisation=organisation,
        area=area,
        round_date=round_date,
        status=status,
        source="cmp",
        individuals=individuals,
        households=round(individuals / PERSONS_PER_HOUSEHOLD),
        breakdown=breakdown,
    )
    return dataclasses.replace(data, source_key=f"demo:{data.natural_key()}")


def seed(*, stdout, style) -> None:
    version = cod_version_default()
    imo = User.objects.filter(username="imo").first()
    oim = Organisation.objects.filter(acronym="OIM").first()
    drc = Organisation.objects.filter(acronym="DRC").first()
    if version is None or imo is None or oim is None:
        stdout.write(style.WARNING("Demo population movement: no geography, IMO or OIM, nothing created."))
        return
    pcodes = set(IDPS) | set(RETURNEES) | set(REPATRIATES) | {"ML0501", "ML0507", "ML0407", "ML0605"}
    pcodes |= {area for _k, _d, area, *_rest in EVENTS}
    areas = {area.pcode: area for area in AdminArea.objects.filter(version=version, pcode__in=pcodes)}
    if not pcodes <= set(areas):
        stdout.write(style.WARNING("Demo population movement: areas missing, nothing created."))
        return
    today = timezone.localdate()
    figures = _figures(areas, oim, today)
    # A partner's figure for Bandiagara in the latest round: shown in the list, never added (the CMP counts).
    if drc is not None:
        partner = _figure(areas["ML0502"], drc, figures[-1].round_date, "idp", 17_900, False)
        partner = dataclasses.replace(partner, source="partner")
        figures.append(dataclasses.replace(partner, source_key=f"demo:{partner.natural_key()}"))
    known = set(
        PopulationFigure.objects.filter(source_key__startswith="demo:").values_list("source_key", flat=True)
    )
    missing = [row for row in figures if row.source_key not in known]
    for organisation in {row.organisation for row in missing}:
        services.figures_import(
            actor=imo,
            organisation=organisation,
            rows=[row for row in missing if row.organisation == organisation],
        )
    events = _events(imo, oim, areas, today)
    intentions = _intentions(imo, oim, areas, today)
    needs = _needs(imo, oim, areas, version, today)
    alerting = bool(followers(DISPLACEMENT_EVENTS_RECORDED))
    stdout.write(
        style.SUCCESS(
            f"Demo population movement: {len(missing)} figures created "
            f"({len(figures) - len(missing)} already there), {events} events, "
            f"{intentions} return intention surveys, {needs} people-in-need cells"
            + ("" if alerting else " (no alert follower registered)")
            + "."
        )
    )


def _events(imo, organisation, areas, today) -> int:
    known = set(
        DisplacementEvent.objects.filter(source_key__startswith="demo-evt").values_list(
            "source_key", flat=True
        )
    )
    created = 0
    for key, days, destination, origin, individuals, households, cause, description in EVENTS:
        if key in known:
            continue
        services.event_record(
            actor=imo,
            organisation=organisation,
            date=today - datetime.timedelta(days=days),
            destination_area=areas[destination],
            origin_area=areas.get(origin) if origin else None,
            individuals=individuals,
            households=households,
            cause=cause,
            source="cmp",
            description=description,
            source_key=key,
        )
        created += 1
    return created


def _intentions(imo, organisation, areas, today) -> int:
    created = 0
    for pcode, days, surveyed, wish_return, stay, elsewhere, conditions in INTENTIONS:
        day = today - datetime.timedelta(days=days)
        if ReturnIntention.objects.filter(
            area=areas[pcode], survey_date=day, organisation=organisation
        ).exists():
            continue
        services.return_intention_record(
            actor=imo,
            organisation=organisation,
            area=areas[pcode],
            survey_date=day,
            population_status="idp",
            households_surveyed=surveyed,
            wish_return=wish_return,
            wish_stay=stay,
            wish_elsewhere=elsewhere,
            conditions=conditions,
            source="cmp",
        )
        created += 1
    return created


def _needs(imo, organisation, areas, version, today) -> int:
    """People in need by cercle from the HNO 2024, and the same cells for the current year (so that
    coverage can be read against this year's activities)."""
    by_cercle: dict[str, int] = {}
    for pcode, value in IDPS.items():
        by_cercle[pcode[:6]] = by_cercle.get(pcode[:6], 0) + value
    cercles = {
        area.pcode: area for area in AdminArea.objects.filter(version=version, pcode__in=list(by_cercle))
    }
    rows = []
    for year in sorted({2024, today.year}):
        for pcode, idps in by_cercle.items():
            for status, value in (("idp", idps), ("host", round(idps * HOST_SHARE))):
                rows.append(
                    services.NeedLine(
                        organisation=organisation,
                        area=cercles[pcode],
                        year=year,
                        population_status=status,
                        people_in_need=value,
                        source=f"HNO {year}",
                    )
                )
    existing = set(
        PeopleInNeed.objects.filter(is_archived=False).values_list("area_id", "year", "population_status")
    )
    missing = [row for row in rows if (row.area.pk, row.year, row.population_status) not in existing]
    if missing:
        services.people_in_need_import(actor=imo, organisation=organisation, rows=missing)
    return len(missing)
