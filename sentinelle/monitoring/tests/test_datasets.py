"""Monitoring datasets against a hand-counted fixture: linked duplicates once, drafts and rejected never,
GBV only with consent to report, MRM counting rules.

Fixture, in a cercle of Mopti, recorded by alpha's monitor:
  I1 submitted, I2 verified: two men (18-59) killed each            -> 2 incidents, 4 victims
  I3 submitted, linked as the same event as I1                        -> not counted
  I4 draft, I5 rejected                                               -> not counted
  G1 GBV, consent, woman of 24; G3 GBV, consent, girl of 15          -> 2 GBV incidents (18-59, 12-17)
  G2 GBV without consent                                              -> in no figure
  V1 killing: boys 12-17 x2, girl 6-11 x1; V2 two attacks on schools -> killing 3, attack_school 2
  E1 explosive accident: man killed, girl injured; E2 draft           -> 2 casualties
"""

import pytest

from sentinelle.core import datasets
from sentinelle.core.datasets import Filters, GBVFloorError
from sentinelle.monitoring.inputs import ViolationVictimCell
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    explosive_incident_input,
    gbv_allegation_input,
    gbv_incident_input,
    link_duplicate,
    make_incident,
    victim,
    violation_incident_input,
    violation_input,
)


def aggregate(*args, **kwargs):
    """The figures without their cell keys (core/disclosure.py), as these tests compare them."""
    return datasets.strip_keys(datasets.aggregate(*args, **kwargs))


@pytest.fixture
def recorded(monitor, caseworker_in_area, imo, mopti):
    area = cercle_of(mopti)
    made = {}

    def make(name, status="submitted", **kwargs):
        # Survivor details (GBVIMS) are recorded by a GBV service provider's case worker, never a monitor.
        data = kwargs.get("data")
        actor = caseworker_in_area if data is not None and data.gbv is not None else monitor
        made[name] = make_incident(actor=actor, area=area, status=status, reviewer=imo, **kwargs)

    make("I1")
    make("I2", "verified")
    make("I3")
    make("I4", "draft")
    make("I5", "rejected")
    link_duplicate(made["I3"], made["I1"])
    make("G1", data=gbv_incident_input(area))
    make("G2", data=gbv_incident_input(area, gbv={"consent_to_report": False, "survivor_code": "S-0002"}))
    make("G3", data=gbv_incident_input(area, gbv={"survivor_age": 15, "survivor_code": "S-0003"}))
    children = [
        ViolationVictimCell(sex="m", age_group="12_17", count=2),
        ViolationVictimCell(sex="f", age_group="6_11", count=1),
    ]
    make(
        "V1",
        data=violation_incident_input(
            area,
            violation_input("killing", victims=children),
            victims=[victim("killed", "m", "12_17", 2), victim("killed", "f", "6_11", 1)],
        ),
    )
    make(
        "V1dup",
        data=violation_incident_input(
            area,
            violation_input("killing", victims=children),
            victims=[victim("killed", "m", "12_17", 2), victim("killed", "f", "6_11", 1)],
        ),
    )
    link_duplicate(made["V1dup"], made["V1"])
    make(
        "V2",
        data=violation_incident_input(
            area,
            violation_input("attack_school"),
            violation_input("attack_school"),
            categories=["child_rights"],
            victims=[],
        ),
    )
    make("E1", data=explosive_incident_input(area))
    make("E2", "draft", data=explosive_incident_input(area))
    return made


def _by(name, dim, **kwargs):
    return {
        row[dim]: row[kwargs.get("measure", "count")]
        for row in aggregate(
            name, group_by=[dim], **{key: value for key, value in kwargs.items() if key != "measure"}
        )
    }


def test_incidents_count_once_and_never_drafts_rejected_or_unconsented(recorded):
    # I1 I2, G1 G3, V1 V2, E1: the linked duplicates (I3, V1dup), I4, I5, E2 and G2 are out.
    assert aggregate("incidents") == [{"count": 7}]
    by_category = _by("incidents", "category")
    assert by_category["life"] == 2 + 1 and by_category["gbv"] == 2 and by_category["explosive"] == 1


def test_linked_duplicate_counts_once(recorded):
    link_duplicate(recorded["I3"], None)
    assert aggregate("incidents") == [{"count": 8}]


def test_victims_by_sex_and_outcome(recorded):
    # I1 2 + I2 2 men killed; G1 G3 one woman/girl affected each; V1 2 boys + 1 girl killed; E1 man, girl.
    assert aggregate("victims") == [{"count": 4 + 2 + 3 + 2}]
    assert _by("victims", "outcome") == {"killed": 4 + 3 + 1, "affected": 2, "injured": 1}
    assert _by("victims", "sex") == {"m": 4 + 2 + 1, "f": 2 + 1 + 1}


def test_gbv_only_with_consent_by_age_group(recorded):
    assert aggregate("gbv_incidents") == [{"count": 2}]
    assert _by("gbv_incidents", "age_group") == {"18_59": 1, "12_17": 1}
    assert _by("gbv_incidents", "gbv_type") == {"rape": 2}


def test_grave_violations_follow_the_mrm_rules(recorded):
    assert _by("grave_violations", "violation_type") == {"killing": 3, "attack_school": 2}
    assert aggregate("grave_violations") == [{"count": 5}]
    killing = Filters(extra={"violation_type": "killing"})
    assert _by("grave_violations", "sex", filters=killing) == {"m": 2, "f": 1}
    assert aggregate("grave_violations", measures=["violations"]) == [{"violations": 3}]


def test_explosive_casualties(recorded, mopti, segou):
    assert _by("eo_casualties", "outcome") == {"killed": 1, "injured": 1}
    assert _by("eo_casualties", "admin1") == {"ML05": 2}
    assert aggregate("eo_casualties", filters=Filters(areas=(segou,))) == [{"count": 0}]


# --- Children and adults without finer age group (issue 14, point 1) ----------------------------------


@pytest.fixture
def fine_and_coarse(monitor, mopti):
    """Two sources of the same kind of event: one gives ages (girls 0-5 x2, a boy 12-17, three men 18-59),
    the other children and adults only (girls 5, boys 4, men 6 and one victim of unknown age); and a
    killing of three boys 0-17 and a girl of 12-17 with an attack on a school (no victim)."""
    area = cercle_of(mopti)
    fine = [
        victim("killed", "f", "0_5", 2),
        victim("killed", "m", "12_17", 1),
        victim("killed", "m", "18_59", 3),
    ]
    coarse = [
        victim("killed", "f", "0_17", 5),
        victim("killed", "m", "0_17", 4),
        victim("killed", "m", "18_plus", 6),
        victim("killed", "unknown", "unknown", 1),
    ]
    make_incident(actor=monitor, area=area, status="submitted", victims=fine)
    make_incident(actor=monitor, area=area, status="submitted", victims=coarse)
    children = [
        ViolationVictimCell(sex="m", age_group="0_17", count=3),
        ViolationVictimCell(sex="f", age_group="12_17", count=1),
    ]
    make_incident(
        actor=monitor,
        area=area,
        status="submitted",
        data=violation_incident_input(
            area,
            violation_input("killing", victims=children),
            violation_input("attack_school"),
            victims=[victim("killed", "m", "0_17", 3), victim("killed", "f", "12_17", 1)],
        ),
    )


def test_victims_by_age_band_add_up_fine_and_coarse_groups(fine_and_coarse):
    assert _by("victims", "age_band") == {"children": 2 + 1 + 5 + 4 + 3 + 1, "adults": 3 + 6, "unknown": 1}
    by_age = _by("victims", "age_group")
    assert by_age["0_17"] == 5 + 4 + 3 and by_age["18_plus"] == 6 and by_age["0_5"] == 2
    children = Filters(extra={"age_band": "children", "sex": "m"})
    assert aggregate("victims", filters=children) == [{"count": 1 + 4 + 3}]


def test_grave_violations_by_age_band(fine_and_coarse):
    killing = Filters(extra={"violation_type": "killing"})
    assert _by("grave_violations", "age_band", filters=killing) == {"children": 4}
    # The attack on the school has no victim: no age band, as it has no sex or age group.
    assert _by("grave_violations", "age_band") == {"children": 4, None: 1}
    assert _by("grave_violations", "age_group", filters=killing) == {"0_17": 3, "12_17": 1}


def test_age_band_and_coarse_groups_are_declared_where_victims_are_counted():
    for name in ("victims", "grave_violations", "eo_casualties"):
        dimensions = datasets.get(name).dimensions
        assert set(dimensions["age_band"].choices) == {"children", "adults", "unknown"}
        assert {"0_17", "18_plus"} <= set(dimensions["age_group"].choices)
    # A survivor's age group follows from the age recorded: never a coarse one.
    assert not {"0_17", "18_plus"} & set(datasets.get("gbv_incidents").dimensions["age_group"].choices)


def test_gbv_allegations_count_among_incidents_by_category_never_in_gbvims(
    monitor, caseworker_in_area, mopti
):
    """Issue 14, point 2: a monitor's allegations (no survivor details) are monitoring incidents."""
    area = cercle_of(mopti)
    for _ in range(4):
        make_incident(actor=monitor, area=area, status="submitted", data=gbv_allegation_input(area))
    make_incident(actor=caseworker_in_area, area=area, status="submitted", data=gbv_incident_input(area))

    assert _by("incidents", "category") == {"gbv": 4 + 1}
    assert aggregate("victims", filters=Filters(extra={"category": "gbv"})) == [{"count": 4 * 2 + 1}]
    # GBVIMS counts the GBV service provider's record only (GBV form, classification, consent).
    assert aggregate("gbv_incidents") == [{"count": 1}]
    assert _by("gbv_incidents", "gbv_type") == {"rape": 1}


def test_the_gbv_floor_leaves_allegations_out_below_the_region(monitor, mopti):
    area = cercle_of(mopti)
    make_incident(actor=monitor, area=area, status="submitted", data=gbv_allegation_input(area))
    make_incident(actor=monitor, area=area, status="submitted")

    assert aggregate("incidents", filters=Filters(areas=(area,))) == [{"count": 1}]
    assert aggregate("incidents", filters=Filters(areas=(area,)), exact=True) == [{"count": 2}]
    with pytest.raises(GBVFloorError):
        aggregate("incidents", filters=Filters(areas=(area,), extra={"category": "gbv"}))
    assert aggregate("incidents", filters=Filters(areas=(mopti,), extra={"category": "gbv"})) == [
        {"count": 1}
    ]
