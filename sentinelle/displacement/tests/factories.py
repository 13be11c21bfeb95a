"""Builders for population movement tests: service arguments and lines (no database), and records written
directly.

figure = make_figure(area, org, individuals=100, round_date=d(2024, 3, 31))   # direct, no policy
services.figure_record(actor=imo, **figure_input(area, org, individuals=100))  # a service's arguments
services.figures_import(..., rows=[figure_line(area, org)])                   # lines of an import
"""

from __future__ import annotations

import datetime

from sentinelle.displacement.models import DisplacementEvent, PeopleInNeed, PopulationFigure
from sentinelle.displacement.services import FigureLine, NeedLine


def d(year: int, month: int, day: int) -> datetime.date:
    return datetime.date(year, month, day)


def figure_input(area, organisation, **values) -> dict:
    fields = {
        "organisation": organisation,
        "area": area,
        "round_date": d(2024, 3, 31),
        "status": "idp",
        "source": "cmp",
        "individuals": 100,
        "households": 20,
    }
    fields.update(values)
    return fields


def figure_line(area, organisation, **values) -> FigureLine:
    return FigureLine(**figure_input(area, organisation, **values))


def make_figure(area, organisation, **values) -> PopulationFigure:
    data = figure_line(area, organisation, **values)
    figure = PopulationFigure.objects.create(
        organisation=organisation,
        area=area,
        round_date=data.round_date,
        status=data.status,
        source=data.source,
        individuals=data.individuals,
        households=data.households,
        source_key=data.source_key or data.natural_key(),
    )
    for (sex, age), count in data.breakdown.items():
        figure.breakdown.create(sex=sex, age_group=age, count=count)
    return figure


def event_input(area, organisation, **values) -> dict:
    fields = {
        "organisation": organisation,
        "date": datetime.date.today() - datetime.timedelta(days=2),
        "destination_area": area,
        "individuals": 300,
        "households": 50,
        "cause": "armed_conflict",
        "source": "cmp",
    }
    fields.update(values)
    return fields


def make_event(area, organisation, **values) -> DisplacementEvent:
    data = event_input(area, organisation, **values)
    return DisplacementEvent.objects.create(**data)


def intention_input(area, organisation, **values) -> dict:
    fields = {
        "organisation": organisation,
        "area": area,
        "survey_date": d(2024, 3, 15),
        "population_status": "idp",
        "households_surveyed": 100,
        "wish_return": 73,
        "wish_stay": 20,
        "wish_elsewhere": 7,
        "source": "cmp",
        "conditions": ["security", "shelter"],
    }
    fields.update(values)
    return fields


def need_input(area, organisation, **values) -> dict:
    fields = {
        "organisation": organisation,
        "area": area,
        "year": 2024,
        "population_status": "idp",
        "people_in_need": 5000,
        "source": "HNO 2024",
    }
    fields.update(values)
    return fields


def need_line(area, organisation, **values) -> NeedLine:
    return NeedLine(**need_input(area, organisation, **values))


def make_need(area, organisation, **values) -> PeopleInNeed:
    return PeopleInNeed.objects.create(**need_input(area, organisation, **values))
