"""Cell keys computed with the figures (core/datasets.aggregate): the sum of the distinct records' keys
modulo KEY_RANGE, the same whatever the query that reaches the same records; never for the sources' own
aggregates."""

import pytest

from sentinelle.core import datasets
from sentinelle.core.datasets import Filters
from sentinelle.core.disclosure import CELL_KEY
from sentinelle.core.record_keys import KEY_RANGE
from sentinelle.monitoring.models import Incident, VictimCount
from sentinelle.monitoring.tests.factories import cercle_of, make_incident, victim

pytestmark = pytest.mark.django_db


def key_sum(queryset) -> int:
    return sum(queryset.values_list("record_key", flat=True)) % KEY_RANGE


@pytest.fixture
def incidents(monitor, mopti):
    cercle = cercle_of(mopti)
    make_incident(actor=monitor, area=cercle, status="submitted")
    make_incident(actor=monitor, area=cercle, status="submitted", categories=["life", "property"])
    make_incident(
        actor=monitor, area=cercle, status="submitted", victims=[victim("injured", "f", "12_17", 3)]
    )
    return cercle


def test_a_cell_key_is_the_sum_of_its_records_keys(incidents):
    [total] = datasets.aggregate("incidents")
    assert total["count"] == 3 and total[CELL_KEY] == key_sum(Incident.objects.all())
    [victims] = datasets.aggregate("victims")
    assert victims[CELL_KEY] == key_sum(VictimCount.objects.all())


def test_a_join_that_repeats_a_record_does_not_count_its_key_twice(incidents):
    by_category = {row["category"]: row for row in datasets.aggregate("incidents", group_by=["category"])}
    life = Incident.objects.filter(category_links__category="life")
    assert by_category["life"]["count"] == 3 and by_category["life"][CELL_KEY] == key_sum(life)
    assert by_category["property"][CELL_KEY] == key_sum(
        Incident.objects.filter(category_links__category="property")
    )


def test_the_same_records_get_the_same_key_whatever_the_query(incidents, mopti):
    by_region = {row["admin1"]: row for row in datasets.aggregate("incidents", group_by=["admin1"])}
    [filtered] = datasets.aggregate("incidents", filters=Filters(areas=(mopti,)))
    [by_cercle] = datasets.aggregate("incidents", group_by=["admin2"], filters=Filters(areas=(incidents,)))
    assert by_region["ML05"][CELL_KEY] == filtered[CELL_KEY] == by_cercle[CELL_KEY]
    assert by_region["ML05"]["count"] == filtered["count"] == by_cercle["count"] == 3


def test_the_sources_own_aggregates_carry_no_key(alpha, mopti):
    from sentinelle.displacement.tests.factories import make_figure

    make_figure(cercle_of(mopti), alpha, status="idp", individuals=3, households=1)
    for name in ("population", "people_in_need", "displacement_events"):
        assert all(CELL_KEY not in row for row in datasets.aggregate(name, group_by=["admin1"])), name
