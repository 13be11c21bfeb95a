"""MRM counting: per child victim for five violations, per event for attacks and denial of access."""

import pytest

from sentinelle.core import datasets
from sentinelle.core.datasets import Filters
from sentinelle.monitoring import mrm
from sentinelle.monitoring.inputs import ViolationVictimCell
from sentinelle.monitoring.models import Incident
from sentinelle.monitoring.services.duplicates import duplicate_link, duplicates_detect
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    make_incident,
    victim,
    violation_incident_input,
    violation_input,
)


def _children(*counts):
    sexes = ["m", "f", "unknown"]
    return [ViolationVictimCell(sex=sexes[i % 3], age_group="12_17", count=n) for i, n in enumerate(counts)]


@pytest.mark.parametrize(
    "violation_type", ["killing", "maiming", "recruitment", "sexual_violence", "abduction"]
)
def test_per_victim_types_count_each_child(violation_type):
    assert mrm.counted_per_victim(violation_type)
    assert mrm.violation_count(violation_type, 4) == 4


@pytest.mark.parametrize("violation_type", ["attack_school", "attack_hospital", "denial_access"])
def test_per_event_types_count_once_whatever_the_children(violation_type):
    assert not mrm.counted_per_victim(violation_type)
    assert mrm.violation_count(violation_type, 250) == 1


def test_per_victim_violation_needs_a_victim_and_children_only():
    errors = mrm.violation_errors(violation_input("abduction", victims=[]), "violations")
    assert "violations.victims" in errors
    adults = [ViolationVictimCell(sex="f", age_group="18_59", count=1)]
    assert "v.victims" in mrm.violation_errors(violation_input("abduction", victims=adults), "v")
    assert mrm.violation_errors(violation_input("attack_hospital"), "violations") == {}


@pytest.fixture
def area(mopti):
    return cercle_of(mopti)


def _totals(**extra) -> dict[str, int]:
    """The grave_violations dataset (the one counting path: datasets.py) by violation type."""
    rows = datasets.aggregate("grave_violations", group_by=["violation_type"], filters=Filters(extra=extra))
    return {row["violation_type"]: row["count"] for row in datasets.strip_keys(rows)}


def test_one_incident_with_several_violations(monitor, area):
    violations = [
        violation_input("killing", victims=_children(2, 3)),
        violation_input("maiming", victims=_children(1, 2)),
        violation_input("attack_school", victims=_children(120, 130)),
        violation_input("attack_school"),
        violation_input("denial_access", victims=_children(250)),
    ]
    make_incident(
        actor=monitor, area=area, status="submitted", data=violation_incident_input(area, *violations)
    )
    assert _totals() == {"killing": 5, "maiming": 3, "attack_school": 2, "denial_access": 1}


def test_totals_follow_the_rules_and_skip_drafts(monitor, imo, area, django_assert_max_num_queries):
    killing = violation_input("killing", victims=_children(2, 1))
    school = violation_input("attack_school", victims=_children(40))
    counted = make_incident(
        actor=monitor,
        area=area,
        status="submitted",
        data=violation_incident_input(area, killing, school, victims=[victim("killed", "m", "12_17", 3)]),
    )
    make_incident(actor=monitor, area=area, status="draft", data=violation_incident_input(area, killing))
    recruitment = violation_input("recruitment", victims=_children(4), verification="verified")
    make_incident(
        actor=monitor,
        area=area,
        status="verified",
        reviewer=imo,
        data=violation_incident_input(area, recruitment),
    )
    with django_assert_max_num_queries(1):
        totals = _totals()
    assert totals == {"killing": 3, "attack_school": 1, "recruitment": 4}
    assert _totals(verification="verified") == {"recruitment": 4}
    rows = datasets.aggregate(
        "grave_violations",
        group_by=["sex", "age_group"],
        filters=Filters(extra={"violation_type": "killing"}),
    )
    by_cell = {(row["sex"], row["age_group"]): row["count"] for row in datasets.strip_keys(rows)}
    assert by_cell == {("m", "12_17"): 2, ("f", "12_17"): 1}
    assert counted.pk in set(mrm.statistics_incidents(Incident.objects.all()).values_list("pk", flat=True))


def test_linked_duplicate_counts_once(monitor, outsider, imo, area):
    from sentinelle.accounts.tests.factories import make_member
    from sentinelle.core.models import Role

    other_monitor = make_member(Role.MONITOR, outsider.memberships.get().organisation, username="m2")
    data = violation_incident_input(area, violation_input("killing", victims=_children(2)))
    first = make_incident(actor=monitor, area=area, status="submitted", data=data)
    second = make_incident(actor=other_monitor, area=area, status="submitted", data=data)
    assert _totals()["killing"] == 4
    [candidate] = duplicates_detect(incident_ids=[first.pk, second.pk])
    from sentinelle.monitoring.models import DuplicateCandidate

    duplicate_link(actor=imo, candidate=DuplicateCandidate.objects.get(first=candidate.first_id))
    assert _totals()["killing"] == 2
