"""The declared-dataset layer: filters, grouping, area roll-up and refusals of unknown names."""

import datetime

import pytest
from django.db.models import Count, Sum

from sentinelle.core import datasets
from sentinelle.core.datasets import Dataset, DatasetError, Dimension, Filters, Measure
from sentinelle.monitoring.models import Incident, VictimCount
from sentinelle.monitoring.tests.factories import cercle_of, commune_of, make_incident, victim

pytestmark = pytest.mark.django_db


@pytest.fixture
def probe():
    """A throwaway dataset over victim counts, removed after the test."""
    dataset = datasets.register(
        Dataset(
            name="test_victims",
            label="victims",
            perm="incident.view",
            base=lambda filters: VictimCount.objects.exclude(incident__status="draft"),
            measures={
                "victims": Measure("victims", lambda: Sum("count")),
                "incidents": Measure("incidents", lambda: Count("incident", distinct=True)),
            },
            dimensions={"sex": Dimension("sex", "sex", {"f": "Female", "m": "Male"})},
            default_measure="victims",
            date_field="incident__date_start",
            area_field="incident__area",
            organisation_field="incident__organisation",
            filters={"outcome": "outcome"},
        )
    )
    yield dataset
    datasets._REGISTRY.pop("test_victims")


@pytest.fixture
def records(monitor, manager, mopti, segou, outsider):
    """Mopti: a cercle incident (3 victims) and a commune incident (2 + 1); Ségou: 4; one draft ignored."""
    bandiagara = cercle_of(mopti, pcode="ML0503")
    bankass = commune_of(bandiagara, pcode="ML050301")
    niono = cercle_of(segou, pcode="ML0405")
    day = datetime.date(2026, 3, 10)
    make_incident(
        actor=monitor,
        area=bandiagara,
        status="submitted",
        date_start=day,
        victims=[victim("killed", "m", count=3)],
    )
    make_incident(
        actor=monitor,
        area=bankass,
        status="submitted",
        date_start=day + datetime.timedelta(days=30),
        victims=[victim("killed", "f", count=2), victim("injured", "m", count=1)],
    )
    make_incident(
        actor=manager,
        area=niono,
        status="submitted",
        date_start=day,
        victims=[victim("injured", "f", count=4)],
    )
    make_incident(actor=monitor, area=bankass, status="draft", victims=[victim("killed", "m", count=50)])
    return {"bandiagara": bandiagara, "bankass": bankass, "niono": niono, "day": day}


def test_totals_without_grouping(probe, records):
    assert datasets.aggregate("test_victims", measures=["victims", "incidents"]) == [
        {"victims": 10, "incidents": 3}
    ]


def test_group_by_a_code_list(probe, records):
    rows = datasets.aggregate("test_victims", group_by=["sex"])
    assert sorted((row["sex"], row["victims"]) for row in rows) == [("f", 6), ("m", 4)]


def test_area_dimensions_roll_records_up_to_the_asked_level(probe, records):
    by_region = datasets.aggregate("test_victims", group_by=["admin1"])
    assert sorted((row["admin1"], row["victims"]) for row in by_region) == [("ML04", 4), ("ML05", 6)]
    by_cercle = datasets.aggregate("test_victims", group_by=["admin2", "sex"])
    assert sorted((row["admin2"], row["sex"], row["victims"]) for row in by_cercle) == [
        ("ML0405", "f", 4),
        ("ML0503", "f", 2),
        ("ML0503", "m", 4),
    ]
    # A record located at the cercle has no commune: it falls under None, it is not dropped.
    by_commune = datasets.aggregate("test_victims", group_by=["admin3"])
    assert sorted((str(row["admin3"]), row["victims"]) for row in by_commune) == [
        ("ML050301", 3),
        ("None", 7),
    ]


def test_filters_apply_dates_areas_organisations_and_codes(probe, records, mopti, alpha):
    day = records["day"]
    assert datasets.aggregate(
        "test_victims", filters=Filters(date_from=day + datetime.timedelta(days=1))
    ) == [{"victims": 3}]
    assert datasets.aggregate("test_victims", filters=Filters(date_to=day)) == [{"victims": 7}]
    assert datasets.aggregate("test_victims", filters=Filters(areas=(mopti,))) == [{"victims": 6}]
    assert datasets.aggregate("test_victims", filters=Filters(areas=(records["bankass"],))) == [
        {"victims": 3}
    ]
    assert datasets.aggregate("test_victims", filters=Filters(extra={"outcome": "injured"})) == [
        {"victims": 5}
    ]
    assert datasets.aggregate("test_victims", filters=Filters(extra={"outcome": ["injured", "killed"]})) == [
        {"victims": 10}
    ]
    assert datasets.aggregate("test_victims", filters=Filters(organisation_ids=(alpha.pk,))) == [
        {"victims": 10}
    ]


def test_an_empty_selection_answers_zero_not_none(probe, db):
    assert datasets.aggregate("test_victims") == [{"victims": 0}]
    assert datasets.aggregate("test_victims", group_by=["sex"]) == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"name": "nope"}, "Unknown dataset"),
        ({"name": "test_victims", "measures": ["deaths"]}, "Unknown measure"),
        ({"name": "test_victims", "group_by": ["colour"]}, "Unknown dimension"),
        ({"name": "test_victims", "filters": Filters(extra={"colour": "red"})}, "Unknown filter"),
    ],
)
def test_unknown_names_are_refused_with_a_message(probe, db, call, message):
    from django.utils import translation

    with translation.override("en"), pytest.raises(DatasetError, match=message):
        datasets.aggregate(**call)


def test_label_of_uses_the_dimension_choices(probe):
    assert datasets.label_of(probe, "sex", "f") == "Female"
    assert datasets.label_of(probe, "admin1", "ML05") == "ML05"
    assert datasets.label_of(probe, "sex", None) == ""


def test_every_declared_dataset_names_fields_that_exist(db):
    """A typo in a dataset declaration fails here, not on a dashboard."""
    for dataset in datasets.all_datasets():
        group_by = list(dataset.all_dimensions())
        rows = datasets.aggregate(dataset.name, measures=list(dataset.measures), group_by=group_by)
        assert rows == [], dataset.name
    assert Incident.objects.count() == 0
