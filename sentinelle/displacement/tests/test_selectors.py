"""The counting rules: newest round, one source per round, a cercle through its communes or whole."""

import pytest

from sentinelle.displacement import selectors
from sentinelle.displacement.tests.factories import d, make_event, make_figure, make_need

pytestmark = pytest.mark.django_db


def totals(user, **kwargs) -> dict:
    return {row["pcode"]: row["individuals"] for row in selectors.figure_totals(user=user, **kwargs)}


def test_latest_round_counts_never_the_sum_of_rounds(imo, alpha, places):
    make_figure(places.bandiagara, alpha, round_date=d(2024, 1, 31), individuals=1000)
    make_figure(places.bandiagara, alpha, round_date=d(2024, 2, 29), individuals=1200)
    make_figure(places.bandiagara, alpha, round_date=d(2024, 3, 31), individuals=900)

    assert totals(imo) == {"ML0501": 900}
    assert totals(imo, as_of=d(2024, 3, 1)) == {"ML0501": 1200}
    assert totals(imo, as_of=d(2023, 12, 31)) == {}


def test_statuses_are_separate_stocks(imo, alpha, places):
    make_figure(places.bandiagara, alpha, status="idp", individuals=1000)
    make_figure(places.bandiagara, alpha, status="idp_returnee", individuals=300)

    [row] = selectors.figure_totals(user=imo)
    assert row["by_status"]["idp"]["individuals"] == 1000
    assert row["by_status"]["idp_returnee"]["individuals"] == 300
    assert row["individuals"] == 1300


def test_one_source_per_round_by_priority_never_added(imo, alpha, beta, places):
    make_figure(places.bandiagara, beta, source="partner", individuals=700)
    make_figure(places.bandiagara, alpha, source="authorities", individuals=800)
    assert totals(imo) == {"ML0501": 800}
    make_figure(places.bandiagara, alpha, source="cmp", individuals=750)
    assert totals(imo) == {"ML0501": 750}


def test_a_newer_round_of_a_lower_source_wins_over_an_older_cmp_round(imo, alpha, places):
    make_figure(places.bandiagara, alpha, source="cmp", round_date=d(2024, 1, 31), individuals=750)
    make_figure(places.bandiagara, alpha, source="partner", round_date=d(2024, 2, 29), individuals=500)

    assert totals(imo) == {"ML0501": 500}


def test_communes_replace_the_cercle_when_as_recent(imo, alpha, places):
    make_figure(places.bandiagara, alpha, round_date=d(2024, 2, 29), individuals=1000)
    make_figure(places.dourou, alpha, round_date=d(2024, 3, 31), individuals=400)
    make_figure(places.kendie, alpha, round_date=d(2024, 2, 29), individuals=250)

    # The communes' newest round (March) is newer than the cercle's (February): 400 + 250, never + 1000.
    assert totals(imo) == {"ML0501": 650}
    assert totals(imo, level=1) == {"ML05": 650}
    assert totals(imo, level=3) == {"ML050101": 400, "ML050102": 250}


def test_a_newer_cercle_figure_replaces_older_communes(imo, alpha, places):
    make_figure(places.dourou, alpha, round_date=d(2024, 1, 31), individuals=400)
    make_figure(places.bandiagara, alpha, round_date=d(2024, 2, 29), individuals=1000)

    assert totals(imo) == {"ML0501": 1000}
    # Before the cercle's round, the commune counted.
    assert totals(imo, as_of=d(2024, 2, 1)) == {"ML0501": 400}


def test_region_totals_add_cercles(imo, alpha, places):
    make_figure(places.bandiagara, alpha, individuals=1000)
    make_figure(places.hombori, alpha, individuals=200)
    make_figure(places.segou_cercle, alpha, individuals=50)

    assert totals(imo, level=1) == {"ML05": 1200, "ML04": 50}
    assert totals(imo, level=1, area=places.mopti) == {"ML05": 1200}


def test_area_filter_on_a_commune_still_applies_the_cercle_rule(imo, alpha, places):
    make_figure(places.dourou, alpha, round_date=d(2024, 1, 31), individuals=400)
    make_figure(places.bandiagara, alpha, round_date=d(2024, 2, 29), individuals=1000)

    assert selectors.latest_figures(user=imo, area=places.dourou) == []


def test_trend_applies_the_rules_at_each_round(imo, alpha, places):
    make_figure(places.bandiagara, alpha, round_date=d(2024, 1, 31), individuals=1000)
    make_figure(places.bandiagara, alpha, round_date=d(2024, 2, 29), individuals=1200, source="partner")
    make_figure(places.bandiagara, alpha, round_date=d(2024, 2, 29), individuals=1100, source="cmp")
    make_figure(places.bandiagara, alpha, round_date=d(2024, 2, 29), individuals=90, status="refugee")
    make_figure(places.hombori, alpha, round_date=d(2024, 3, 31), individuals=300)

    series = selectors.figure_trend(user=imo, area=places.mopti)

    assert [(p["date"], p["by_status"], p["total"]) for p in series] == [
        (d(2024, 1, 31), {"idp": 1000}, 1000),
        (d(2024, 2, 29), {"idp": 1100, "refugee": 90}, 1190),
        (d(2024, 3, 31), {"idp": 1400, "refugee": 90}, 1490),
    ]


def test_reader_sees_nothing(reader, alpha, places):
    make_figure(places.bandiagara, alpha)
    make_event(places.bandiagara, alpha)

    assert selectors.figure_totals(user=reader) == []
    assert selectors.figure_list(user=reader).count() == 0
    assert selectors.event_list(user=reader).count() == 0
    assert selectors.figure_trend(user=reader) == []


def test_monitor_reads_every_organisation(monitor, beta, places):
    make_figure(places.segou_cercle, beta, individuals=50)

    assert totals(monitor) == {"ML0401": 50}


def test_event_filters(imo, alpha, places):
    make_event(places.dourou, alpha, cause="armed_conflict", date=d(2024, 3, 1), individuals=100)
    make_event(places.hombori, alpha, cause="natural_disaster", date=d(2024, 3, 5), individuals=40)
    make_event(places.pelengana, alpha, cause="armed_conflict", date=d(2024, 4, 1), individuals=10)

    assert selectors.event_list(user=imo, area=places.mopti).count() == 2
    assert selectors.event_list(user=imo, cause="armed_conflict").count() == 2
    events = selectors.event_list(user=imo, date_from=d(2024, 3, 2), date_to=d(2024, 3, 31))
    assert selectors.event_totals(events) == {"events": 1, "individuals": 40, "households": 50}


def test_return_intention_summary(imo, alpha, places):
    from sentinelle.displacement.models import ReturnIntention

    common = {
        "organisation": alpha,
        "survey_date": d(2024, 3, 1),
        "population_status": "idp",
        "source": "cmp",
    }
    ReturnIntention.objects.create(
        area=places.dourou,
        households_surveyed=100,
        wish_return=70,
        wish_stay=20,
        wish_elsewhere=10,
        conditions=["security", "shelter"],
        **common,
    )
    ReturnIntention.objects.create(
        area=places.hombori,
        households_surveyed=100,
        wish_return=76,
        wish_stay=14,
        wish_elsewhere=10,
        conditions=["security"],
        **common,
    )

    summary = selectors.return_intention_summary(user=imo)

    assert summary["surveyed"] == 200 and summary["wish_return"] == 146
    assert summary["wish_return_share"] == 73
    assert summary["conditions"] == [("security", 2), ("shelter", 1)]
    assert selectors.return_intention_summary(user=imo, area=places.segou)["surveyed"] == 0


def test_people_in_need_most_detailed_counts_once(imo, alpha, places):
    make_need(places.bandiagara, alpha, people_in_need=5000)
    make_need(places.dourou, alpha, people_in_need=3000)
    make_need(places.kendie, alpha, people_in_need=1500)
    make_need(places.douentza, alpha, people_in_need=2000)
    make_need(places.douentza, alpha, people_in_need=999, year=2023)

    rows = selectors.coverage(user=imo, year=2024)

    assert [(row["pcode"], row["pin"]) for row in rows] == [("ML0501", 4500), ("ML0502", 2000)]
    assert [(row["pcode"], row["pin"]) for row in selectors.coverage(user=imo, year=2024, level=1)] == [
        ("ML05", 6500)
    ]


def test_coverage_uses_the_activities_dataset(imo, alpha, places, monkeypatch):
    from sentinelle.core import datasets

    calls = []

    def fake_aggregate(name, *, measures, group_by, filters):
        calls.append((name, measures, group_by, filters.date_from, filters.extra))
        return [{"admin2": "ML0501", "people_reached": 1500}, {"admin2": None, "people_reached": 9}]

    monkeypatch.setattr(datasets, "aggregate", fake_aggregate)
    make_need(places.bandiagara, alpha, people_in_need=5000)
    make_need(places.douentza, alpha, people_in_need=2000)

    rows = selectors.coverage(user=imo, year=2024, status="idp")

    assert [(row["pcode"], row["pin"], row["reached"], row["rate"]) for row in rows] == [
        ("ML0501", 5000, 1500, 30),
        ("ML0502", 2000, 0, 0),
    ]
    assert calls == [
        ("activities", ["people_reached"], ["admin2"], d(2024, 1, 1), {"population_status": "idp"})
    ]


# --- Edge cases of the rules, now applied in SQL (rules 1 and 2) and on the latest rows (rule 3) ----------


def test_a_source_tie_at_the_newest_round_goes_by_priority_not_by_order_of_entry(imo, alpha, beta, places):
    make_figure(places.bandiagara, alpha, source="cmp", round_date=d(2024, 1, 31), individuals=750)
    make_figure(places.bandiagara, alpha, source="authorities", round_date=d(2024, 2, 29), individuals=800)
    make_figure(places.bandiagara, beta, source="partner", round_date=d(2024, 2, 29), individuals=999)

    # The older CMP round loses to the newer round; within it, authorities before partner.
    assert totals(imo) == {"ML0501": 800}
    assert totals(imo, as_of=d(2024, 2, 28)) == {"ML0501": 750}


def test_an_archived_figure_never_counts(imo, alpha, places):
    make_figure(places.bandiagara, alpha, round_date=d(2024, 1, 31), individuals=750)
    newer = make_figure(places.bandiagara, alpha, round_date=d(2024, 2, 29), individuals=5000)
    newer.is_archived = True
    newer.save()

    assert totals(imo) == {"ML0501": 750}


def test_communes_as_recent_as_the_cercle_replace_it(imo, alpha, places):
    make_figure(places.bandiagara, alpha, round_date=d(2024, 2, 29), individuals=1000)
    make_figure(places.dourou, alpha, round_date=d(2024, 2, 29), individuals=400)

    # Same round date: the communes count (the more detailed figure), never with the cercle.
    assert totals(imo) == {"ML0501": 400}


def test_a_commune_round_after_the_date_does_not_replace_the_cercle(imo, alpha, places):
    make_figure(places.bandiagara, alpha, round_date=d(2024, 2, 29), individuals=1000)
    make_figure(places.dourou, alpha, round_date=d(2024, 1, 31), individuals=300)
    make_figure(places.dourou, alpha, round_date=d(2024, 4, 30), individuals=400)

    assert totals(imo, as_of=d(2024, 3, 31)) == {"ML0501": 1000}
    assert totals(imo, as_of=d(2024, 4, 30)) == {"ML0501": 400}
    assert totals(imo, as_of=d(2024, 1, 31)) == {"ML0501": 300}


def test_each_status_applies_the_cercle_rule_on_its_own(imo, alpha, places):
    make_figure(places.bandiagara, alpha, status="idp", round_date=d(2024, 2, 29), individuals=1000)
    make_figure(places.dourou, alpha, status="idp", round_date=d(2024, 1, 31), individuals=400)
    make_figure(places.bandiagara, alpha, status="refugee", round_date=d(2024, 1, 31), individuals=70)
    make_figure(places.kendie, alpha, status="refugee", round_date=d(2024, 2, 29), individuals=30)

    [row] = selectors.figure_totals(user=imo)
    assert row["by_status"]["idp"]["individuals"] == 1000
    assert row["by_status"]["refugee"]["individuals"] == 30


def test_a_cercle_of_another_cod_version_is_not_replaced_by_these_communes(imo, alpha, places):
    from sentinelle.geography.tests.factories import AdminAreaFactory, CodVersionFactory

    old = CodVersionFactory(code="old-cod")
    country = AdminAreaFactory(version=old, level=0, pcode="ML", parent=None, name_fr="Mali")
    region = AdminAreaFactory(version=old, level=1, pcode="ML05", parent=country, name_fr="Mopti")
    old_cercle = AdminAreaFactory(version=old, level=2, pcode="ML0501", parent=region, name_fr="Ancien")
    make_figure(old_cercle, alpha, round_date=d(2024, 1, 31), individuals=90, source_key="old-cod-1")
    make_figure(places.bandiagara, alpha, round_date=d(2024, 1, 31), individuals=1000)
    make_figure(places.dourou, alpha, round_date=d(2024, 2, 29), individuals=400)

    counted = {figure.area.pk: figure.individuals for figure in selectors.latest_figures(user=imo)}
    assert counted == {old_cercle.pk: 90, places.dourou.pk: 400}


def test_trend_keeps_an_area_whose_latest_round_is_older_than_the_points(imo, alpha, places):
    make_figure(places.bandiagara, alpha, round_date=d(2023, 6, 30), individuals=1000)
    make_figure(places.bandiagara, alpha, round_date=d(2023, 5, 31), individuals=1, source="partner")
    for day, people in ((d(2024, 1, 31), 10), (d(2024, 2, 29), 20), (d(2024, 3, 31), 30)):
        make_figure(places.hombori, alpha, round_date=day, individuals=people)

    series = selectors.figure_trend(user=imo, rounds=2)

    assert [(p["date"], p["total"]) for p in series] == [(d(2024, 2, 29), 1020), (d(2024, 3, 31), 1030)]


def _queries(function) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        function()
    return len(context.captured_queries)


def test_queries_do_not_grow_with_the_rounds_stored(imo, alpha, beta, places):
    def page():
        selectors.figure_totals(user=imo)
        selectors.figure_trend(user=imo)

    make_figure(places.bandiagara, alpha, round_date=d(2020, 1, 31))
    make_figure(places.dourou, alpha, round_date=d(2020, 1, 31))
    page()  # the user's memberships are read once, then kept
    few = _queries(page)
    for year in range(2020, 2025):
        for month in range(2, 13):
            day = d(year, month, 28)
            make_figure(places.bandiagara, alpha, round_date=day, individuals=month)
            make_figure(places.dourou, beta, round_date=day, source="partner", status="refugee")
            make_figure(places.hombori, alpha, round_date=day, status="idp_returnee")

    assert _queries(page) == few
    # Totals: the counted figures, their rows, the area names; the trend: dates and two row sets.
    assert few == 6
