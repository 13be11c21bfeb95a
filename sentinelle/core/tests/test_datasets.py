# ruff: noqa: F811 (the gbv_world fixture is imported, then used as an argument)
"""The declared-dataset layer: filters, grouping, area roll-up, refusals of unknown names, and the GBV floor
(no GBV record below the protocol's level outside the analysts)."""

import datetime

import pytest
from django.db.models import Count, Sum

from sentinelle.core import datasets
from sentinelle.core.datasets import Dataset, DatasetError, Dimension, Filters, Measure
from sentinelle.core.tests.gbv_world import gbv_world  # noqa: F401
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
        rows = datasets.aggregate(
            dataset.name, measures=list(dataset.measures), group_by=group_by, exact=True
        )
        assert rows == [], dataset.name
        if not dataset.gbv:
            # Below the GBV floor for everyone else: the declared GBV records (gbv_q) are left out.
            rows = datasets.aggregate(dataset.name, measures=list(dataset.measures), group_by=group_by)
            assert rows == [], dataset.name
    assert Incident.objects.count() == 0


# --- The GBV floor (design §6): below the protocol's level, no GBV record in any figure ----------------

MIXED = ("incidents", "victims", "grave_violations", "eo_casualties", "cases", "referrals")


def _total(name, *, exact=False, group_by=(), **filters) -> int:
    dataset = datasets.get(name)
    rows = datasets.aggregate(name, group_by=group_by, filters=Filters(**filters), exact=exact)
    return sum(int(row[dataset.default_measure] or 0) for row in rows)


def test_every_dataset_that_can_hold_gbv_records_declares_them():
    declared = {d.name: (d.gbv, d.gbv_q is not None) for d in datasets.all_datasets()}
    assert declared["gbv_incidents"] == (True, False)
    assert all(declared[name] == (False, True) for name in MIXED)
    assert {name for name, flags in declared.items() if any(flags)} == {"gbv_incidents", *MIXED}
    assert datasets.get("cases").gbv_codes == {"case_type": frozenset({"gbv"})}
    assert datasets.get("incidents").gbv_codes == {"category": frozenset({"gbv"})}


def test_below_the_floor_gbv_records_are_in_no_figure_totals_included(gbv_world):
    from sentinelle.core.tests.gbv_world import GBV

    dourou, bandiagara, mopti = gbv_world["dourou"], gbv_world["bandiagara"], gbv_world["mopti"]
    # The commune's total no longer holds the GBV cases: subtracting the other types gives 0, not 6.
    by_type = {
        row["case_type"]: row["count"]
        for row in datasets.aggregate("cases", group_by=["case_type"], filters=Filters(areas=(dourou,)))
    }
    assert "gbv" not in by_type
    total = _total("cases", areas=(dourou,))
    assert total - by_type["child_protection"] - by_type["general_protection"] == 0 != GBV
    # Incidents: the 16 life and property incidents and the killing; not the 6 GBV nor sexual violence.
    assert _total("incidents", areas=(dourou,)) == 17
    # A GBV code among others: the GBV incidents are left out, the others counted.
    assert _total("incidents", areas=(dourou,), extra={"category": ["gbv", "life"]}) == 8  # with the killing
    assert _total("grave_violations", areas=(dourou,)) == 7
    assert _total("referrals", areas=(bandiagara,)) == 7
    # A breakdown below the floor leaves them out too, without an area filter.
    rows = datasets.aggregate("incidents", group_by=["admin3"])
    assert {row["admin3"]: row["count"] for row in rows} == {"ML050101": 17, "ML050102": 5}
    # The region (the protocol's level) and the analysts count everything.
    assert _total("incidents", areas=(mopti,)) == 29 and _total("cases", group_by=["admin1"]) == 21
    assert _total("incidents", areas=(dourou,), exact=True) == 24
    assert _total("cases", areas=(dourou,), exact=True) == 21


def test_below_the_floor_no_figure_moves_when_gbv_records_are_added(gbv_world):
    from sentinelle.core.tests.gbv_world import add_gbv

    dourou, bandiagara = gbv_world["dourou"], gbv_world["bandiagara"]

    def figures(exact):
        out = {}
        for name in MIXED:
            dataset = datasets.get(name)
            measures = list(dataset.measures)
            for filters, group_by in (
                (Filters(areas=(dourou,)), ()),
                (Filters(areas=(bandiagara,)), ("admin3",)),
                (Filters(), ("admin2",)),
            ):
                rows = datasets.aggregate(
                    name, measures=measures, group_by=group_by, filters=filters, exact=exact
                )
                out[(name, filters.areas, group_by)] = sorted(map(str, rows))
        return out

    public, exact = figures(False), figures(True)
    add_gbv(gbv_world)
    assert figures(False) == public
    assert figures(True) != exact  # the analysts see the new records


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("gbv_incidents", {}),
        ("incidents", {"category": ["gbv"]}),
        ("victims", {"category": "gbv"}),
        ("cases", {"case_type": ["gbv"]}),
        ("referrals", {"case_type": "gbv"}),
        ("grave_violations", {"violation_type": ["sexual_violence"]}),
    ],
)
def test_a_question_about_gbv_records_only_is_refused_below_the_floor(gbv_world, name, extra):
    dourou, mopti = gbv_world["dourou"], gbv_world["mopti"]
    with pytest.raises(datasets.GBVFloorError, match="niveau administratif 1"):
        datasets.aggregate(name, filters=Filters(areas=(dourou,), extra=extra))
    with pytest.raises(datasets.GBVFloorError):
        datasets.aggregate(name, group_by=["admin2"], filters=Filters(extra=extra))
    # Never a silent zero; the region and the analysts get the figure.
    assert _total(name, areas=(mopti,), extra=extra) > 0
    assert _total(name, areas=(dourou,), extra=extra, exact=True) > 0


def test_the_refusal_and_the_floor_are_decided_from_the_question_not_the_data(db, mopti):
    commune = commune_of(cercle_of(mopti))
    with pytest.raises(datasets.GBVFloorError):  # no record at all: refused all the same
        datasets.aggregate("cases", filters=Filters(areas=(commune,), extra={"case_type": "gbv"}))
    cases = datasets.get("cases")
    floor = datasets.gbv_floor(cases, filters=Filters(areas=(commune,)))
    assert floor == datasets.FLOOR_WITHHELD
    assert datasets.gbv_floor(cases, filters=Filters(areas=(mopti,))) == datasets.FLOOR_NONE
    assert datasets.gbv_floor(cases, filters=Filters(areas=(commune,)), exact=True) == datasets.FLOOR_NONE
    # A GBV code among others is not a question about GBV only: the GBV rows are left out.
    mixed = Filters(areas=(commune,), extra={"case_type": ["gbv", "ipa"]})
    assert datasets.gbv_floor(cases, filters=mixed) == datasets.FLOOR_WITHHELD


def test_the_floor_follows_the_setting(gbv_world, settings):
    dourou, bandiagara = gbv_world["dourou"], gbv_world["bandiagara"]
    settings.SENTINELLE = {**settings.SENTINELLE, "GBV_MIN_ADMIN_LEVEL": 2}
    assert _total("gbv_incidents", areas=(bandiagara,)) == 6
    with pytest.raises(datasets.GBVFloorError):
        datasets.aggregate("gbv_incidents", filters=Filters(areas=(dourou,)))
    settings.SENTINELLE = {**settings.SENTINELLE, "GBV_MIN_ADMIN_LEVEL": 3}
    assert _total("gbv_incidents", areas=(dourou,)) == 6 and _total("cases", areas=(dourou,)) == 21


@pytest.mark.django_db(transaction=True)
def test_a_cached_exact_answer_is_never_served_to_others(monitor, caseworker_in_area, mopti):
    """The figure cache keys each answer by what the floor did to it (these tests commit: the cache works)."""
    from sentinelle.core.models import FigureCache
    from sentinelle.monitoring.tests.factories import gbv_incident_input

    commune = commune_of(cercle_of(mopti))
    make_incident(
        actor=caseworker_in_area, area=commune, status="submitted", data=gbv_incident_input(commune)
    )
    make_incident(actor=monitor, area=commune, status="submitted")
    assert _total("incidents", areas=(commune,), exact=True) == 2
    assert _total("incidents", areas=(commune,)) == 1
    assert _total("incidents", areas=(commune,), exact=True) == 2
    assert FigureCache.objects.count() == 2
