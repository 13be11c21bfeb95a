"""The declared datasets against hand-counted fixtures."""

import pytest

from sentinelle.core.datasets import Filters, aggregate
from sentinelle.displacement.tests.factories import d, make_event, make_figure, make_need

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(alpha, beta, places):
    # Bandiagara: cercle figure in January, communes in February (communes count from February).
    make_figure(places.bandiagara, alpha, round_date=d(2024, 1, 31), individuals=1000, households=200)
    make_figure(places.dourou, alpha, round_date=d(2024, 2, 29), individuals=400, households=80)
    make_figure(places.kendie, alpha, round_date=d(2024, 2, 29), individuals=300, households=60)
    # Douentza: two sources for the same round (CMP counts), and an older round.
    make_figure(places.douentza, alpha, round_date=d(2024, 1, 31), individuals=50, households=10)
    make_figure(places.douentza, alpha, round_date=d(2024, 2, 29), individuals=120, households=30)
    make_figure(places.douentza, beta, round_date=d(2024, 2, 29), individuals=999, source="partner")
    make_figure(
        places.douentza, alpha, round_date=d(2024, 2, 29), individuals=40, households=None, status="refugee"
    )
    # Ségou: a later round than the date asked below.
    make_figure(places.segou_cercle, alpha, round_date=d(2024, 1, 31), individuals=10, households=2)
    make_figure(places.segou_cercle, alpha, round_date=d(2024, 4, 30), individuals=70, households=14)


def rows(name, **kwargs):
    return sorted(aggregate(name, **kwargs), key=lambda row: tuple(str(v) for v in row.values()))


def test_population_as_of(figures):
    as_of = Filters(date_to=d(2024, 3, 31))

    assert aggregate("population", measures=["individuals", "households"], filters=as_of) == [
        {"individuals": 400 + 300 + 120 + 40 + 10, "households": 80 + 60 + 30 + 0 + 2}
    ]
    assert rows("population", group_by=["admin1"], filters=as_of) == [
        {"admin1": "ML04", "individuals": 10},
        {"admin1": "ML05", "individuals": 860},
    ]
    assert rows("population", group_by=["admin2", "status"], filters=as_of) == [
        {"admin2": "ML0401", "status": "idp", "individuals": 10},
        {"admin2": "ML0501", "status": "idp", "individuals": 700},
        {"admin2": "ML0502", "status": "idp", "individuals": 120},
        {"admin2": "ML0502", "status": "refugee", "individuals": 40},
    ]


def test_population_earlier_date_and_filters(figures, places, alpha):
    january = Filters(date_to=d(2024, 1, 31))
    assert aggregate("population", filters=january) == [{"individuals": 1000 + 50 + 10}]
    assert aggregate("population", filters=Filters(date_to=d(2024, 5, 1), areas=(places.segou,))) == [
        {"individuals": 70}
    ]
    refugees = Filters(date_to=d(2024, 3, 31), extra={"status": "refugee"})
    assert aggregate("population", filters=refugees) == [{"individuals": 40}]
    assert rows("population", group_by=["source"], filters=Filters(date_to=d(2024, 3, 31))) == [
        {"source": "cmp", "individuals": 870}
    ]


def test_displacement_events(alpha, places):
    make_event(
        places.dourou, alpha, date=d(2024, 3, 1), individuals=100, households=20, cause="armed_conflict"
    )
    make_event(places.kendie, alpha, date=d(2024, 3, 3), individuals=60, households=None, cause="threat")
    make_event(
        places.pelengana, alpha, date=d(2024, 3, 3), individuals=5, households=1, cause="armed_conflict"
    )
    make_event(
        places.hombori, alpha, date=d(2024, 4, 3), individuals=7, households=1, cause="natural_disaster"
    )
    march = Filters(date_from=d(2024, 3, 1), date_to=d(2024, 3, 31))

    assert aggregate(
        "displacement_events", measures=["events", "individuals", "households"], filters=march
    ) == [{"events": 3, "individuals": 165, "households": 21}]
    assert rows(
        "displacement_events", measures=["individuals"], group_by=["admin2", "cause"], filters=march
    ) == [
        {"admin2": "ML0401", "cause": "armed_conflict", "individuals": 5},
        {"admin2": "ML0501", "cause": "armed_conflict", "individuals": 100},
        {"admin2": "ML0501", "cause": "threat", "individuals": 60},
    ]


def test_people_in_need(alpha, places):
    make_need(places.bandiagara, alpha, people_in_need=5000)
    make_need(places.dourou, alpha, people_in_need=3000)
    make_need(places.douentza, alpha, people_in_need=2000)
    make_need(places.douentza, alpha, people_in_need=800, population_status="host")
    make_need(places.segou_cercle, alpha, people_in_need=100, year=2023)

    assert rows("people_in_need", group_by=["year", "admin1"]) == [
        {"year": 2023, "admin1": "ML04", "people_in_need": 100},
        {"year": 2024, "admin1": "ML05", "people_in_need": 3000 + 2000 + 800},
    ]
    assert rows("people_in_need", group_by=["population_status"], filters=Filters(extra={"year": 2024})) == [
        {"population_status": "host", "people_in_need": 800},
        {"population_status": "idp", "people_in_need": 5000},
    ]


def test_population_reads_one_row_per_area_and_status_whatever_the_rounds(alpha, beta, places, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sentinelle.displacement import selectors

    read = []
    figure_rows = selectors.figure_rows

    def counting(queryset):
        rows = figure_rows(queryset)
        read.append(len(rows))
        return rows

    monkeypatch.setattr(selectors, "figure_rows", counting)
    as_of = Filters(date_to=d(2024, 12, 31))
    make_figure(places.bandiagara, alpha, round_date=d(2024, 1, 31), individuals=10)
    with CaptureQueriesContext(connection) as few:
        aggregate("population", group_by=["admin1"], filters=as_of)
    for month in range(2, 13):
        day = d(2024, month, 28)
        make_figure(places.bandiagara, alpha, round_date=day, individuals=month)
        make_figure(places.bandiagara, beta, round_date=day, source="partner", individuals=999)
        make_figure(places.hombori, alpha, round_date=day, status="refugee", individuals=month)
    read.clear()
    with CaptureQueriesContext(connection) as many:
        rows = aggregate("population", group_by=["admin1"], filters=as_of)

    assert rows == [{"admin1": "ML05", "individuals": 12 + 12}]
    # The latest figure of each area and status reaches Python, never the rounds before it.
    assert read == [2]
    assert len(many.captured_queries) == len(few.captured_queries) <= 3
