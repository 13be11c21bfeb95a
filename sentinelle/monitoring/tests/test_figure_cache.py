"""The figure cache (core/figure_cache.py) on real incident services: a repeated figure is read from the
cache, and a committed write through a service moves it at once (no refresh window: the roll-ups keep
the first view after a write cheap). These tests commit (transactional_db): inside a transaction the
cache stands aside, which is what the other dataset tests rely on."""

import datetime
import io
from unittest.mock import ANY

import pytest
from django.core.management import call_command
from django.db import transaction

from sentinelle.core import figure_cache, rollups
from sentinelle.core.datasets import Filters, aggregate
from sentinelle.core.disclosure import CELL_KEY
from sentinelle.core.models import DataStamp, FigureCache
from sentinelle.monitoring.models import Incident
from sentinelle.monitoring.services.incidents import incident_reject
from sentinelle.monitoring.tests.factories import cercle_of, make_incident

pytestmark = pytest.mark.django_db(transaction=True)


def _total(**filters):
    return aggregate("incidents", filters=Filters(**filters))[0]["count"]


def test_a_repeated_figure_is_read_from_the_cache(monitor, mopti, django_assert_max_num_queries):
    make_incident(actor=monitor, area=cercle_of(mopti), status="submitted")
    assert _total() == 1
    assert FigureCache.objects.count() == 1
    # Stamps and the cached row: the incident table is not read again.
    with django_assert_max_num_queries(2) as captured:
        assert _total() == 1
    assert not any("monitoring_incident" in q["sql"] for q in captured.captured_queries)


def test_a_committed_write_through_a_service_moves_the_figure(monitor, imo, mopti):
    area = cercle_of(mopti)
    first = make_incident(actor=monitor, area=area, status="submitted")
    assert _total() == 1
    make_incident(actor=monitor, area=area, status="verified", reviewer=imo)
    assert _total() == 2
    incident_reject(actor=imo, incident=Incident.objects.get(pk=first.pk), reason="Saisi deux fois.")
    assert _total() == 1


def test_under_a_flow_of_writes_every_figure_is_exact_at_once(monitor, imo, mopti):
    area = cercle_of(mopti)
    make_incident(actor=monitor, area=area, status="submitted")
    assert _total() == 1
    assert aggregate("incidents", group_by=["admin1"]) == [{"admin1": mopti.pcode, "count": 1, CELL_KEY: ANY}]
    # No refresh window: each committed write shows in the very next figure, from the roll-ups.
    for expected in (2, 3):
        make_incident(actor=monitor, area=area, status="submitted")
        assert _total() == expected
        assert aggregate("incidents", group_by=["admin1"])[0]["count"] == expected
    incident_reject(actor=imo, incident=Incident.objects.order_by("pk").last(), reason="Saisi deux fois.")
    assert _total() == 2


def test_figures_of_other_apps_move_at_once():
    computed = []

    def compute():
        computed.append(1)
        return [{"count": len(computed)}]

    assert figure_cache.cached(scope="activities", parts=["x"], compute=compute) == [{"count": 1}]
    assert figure_cache.cached(scope="activities", parts=["x"], compute=compute) == [{"count": 1}]
    figure_cache.figures_changed("activities")
    # A 4W report validated a moment ago shows on the indicator at once.
    assert figure_cache.cached(scope="activities", parts=["x"], compute=compute) == [{"count": 2}]


def test_other_filters_and_groupings_are_other_figures(monitor, mopti):
    area = cercle_of(mopti)
    make_incident(actor=monitor, area=area, status="submitted")
    assert _total() == 1
    assert _total(date_to=datetime.date(2000, 1, 1)) == 0
    by_month = aggregate("incidents", group_by=["month"])
    # Dates survive the round trip through the cache (JSON with tagged dates).
    assert aggregate("incidents", group_by=["month"]) == by_month
    assert isinstance(by_month[0]["month"], datetime.date)


def test_a_write_elsewhere_leaves_monitoring_figures_cached():
    DataStamp.objects.create(scope="monitoring", version=3)
    figure_cache.figures_changed("cases")
    assert dict(DataStamp.objects.values_list("scope", "version")) == {"monitoring": 3, "cases": 1}
    figure_cache.figures_changed(figure_cache.EVERYTHING)
    assert DataStamp.objects.get(scope="*").version == 1
    with pytest.raises(ValueError, match="directory"):
        figure_cache.figures_changed("directory")  # no figure counts the directory


def test_a_rolled_back_write_moves_nothing_and_nothing_is_cached_inside_a_transaction(monitor, mopti):
    make_incident(actor=monitor, area=cercle_of(mopti), status="submitted")
    before = list(DataStamp.objects.values_list("scope", "version"))
    with pytest.raises(RuntimeError), transaction.atomic():
        figure_cache.figures_changed("monitoring")
        assert _total() == 1
        raise RuntimeError
    assert list(DataStamp.objects.values_list("scope", "version")) == before
    assert not FigureCache.objects.exists()


def test_an_old_result_is_computed_again(monitor, mopti):
    make_incident(actor=monitor, area=cercle_of(mopti), status="submitted")
    assert _total() == 1
    # A change made outside the services (a repair), its roll-ups recomputed without moving the stamps:
    # shown once the result is old enough.
    Incident.objects.update(status="draft")
    for rollup in rollups.registered("incident"):
        rollups.rebuild(rollup)
    assert _total() == 1
    FigureCache.objects.update(computed_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    assert _total() == 0


def test_rebuilding_the_rollups_moves_every_figure(monitor, mopti):
    make_incident(actor=monitor, area=cercle_of(mopti), status="submitted")
    assert _total() == 1
    Incident.objects.update(status="draft")
    call_command("rollups_rebuild", "--keyed-by", "incident", stdout=io.StringIO())
    assert _total() == 0


def test_the_cache_can_be_switched_off(monitor, mopti, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "FIGURE_CACHE_SECONDS": 0}
    make_incident(actor=monitor, area=cercle_of(mopti), status="submitted")
    assert _total() == 1
    assert not FigureCache.objects.exists()


def test_the_incident_map_counts_are_cached_per_scope_and_move_with_a_new_incident(
    monitor, imo, mopti, signed_in
):
    from django.urls import reverse

    area = cercle_of(mopti)
    make_incident(actor=monitor, area=area, status="submitted")
    client = signed_in(imo)
    client.get(reverse("monitoring:incident-list"))
    assert FigureCache.objects.filter(scope="monitoring").count() == 1
    first = client.get(reverse("monitoring:incident-list")).context["map"]
    make_incident(actor=monitor, area=area, status="submitted")
    second = client.get(reverse("monitoring:incident-list")).context["map"]
    assert first != second
    # Another user's scope is another key: the monitor's own list is counted for the monitor.
    signed_in(monitor).get(reverse("monitoring:incident-list"))
    assert FigureCache.objects.filter(scope="monitoring").count() == 2
