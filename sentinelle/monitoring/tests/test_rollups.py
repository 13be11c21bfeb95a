"""The monitoring roll-ups (core/rollups.py, monitoring/rollups.py) against the records.

A world of random writes through the services (records, updates, consent withdrawn, submissions,
verifications, rejections, duplicate links, imports), then: every roll-up table recomputed from the records
equals the maintained one, and every query a roll-up answers gives exactly the base query's rows, cell
keys included, for every dataset x grouping x filter the test reaches, under the GBV floor and without.
"""

import datetime
import random
from itertools import combinations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sentinelle.accounts.tests.factories import make_member
from sentinelle.core import dataset_rollups, datasets, rollups
from sentinelle.core.datasets import Filters, GBVFloorError
from sentinelle.core.models import Role
from sentinelle.core.periods import month_aligned, month_split
from sentinelle.monitoring.inputs import ViolationVictimCell
from sentinelle.monitoring.models import DuplicateCandidate, Incident
from sentinelle.monitoring.services.duplicates import duplicate_link
from sentinelle.monitoring.services.incidents import (
    incident_import_many,
    incident_reject,
    incident_submit,
    incident_update,
    incident_verify,
)
from sentinelle.monitoring.tests.factories import (
    casualty,
    cercle_of,
    commune_of,
    explosive_incident_input,
    explosive_input,
    gbv_allegation_input,
    gbv_incident_input,
    incident_input,
    make_incident,
    victim,
    violation_incident_input,
    violation_input,
)

DATASETS = ("incidents", "victims", "gbv_incidents", "grave_violations", "eo_casualties")
MONTHS = (datetime.date(2026, 8, 1), datetime.date(2026, 9, 1), datetime.date(2026, 10, 1))


def _day(rng) -> datetime.date:
    return rng.choice(MONTHS) + datetime.timedelta(days=rng.randrange(28))


def _dated(data, rng):
    data.date_start = _day(rng)
    data.date_reported = data.date_start + datetime.timedelta(days=2)
    return data


def _random_input(rng, area):
    kind = rng.choice(["plain", "plain", "allegation", "violations", "explosive"])
    if kind == "plain":
        categories = rng.sample(["life", "integrity", "liberty", "property", "movement"], rng.randint(1, 2))
        victims = [
            victim(rng.choice(["killed", "injured", "affected"]), sex, age, rng.randint(1, 4))
            for sex, age in rng.sample([("m", "18_59"), ("f", "0_17"), ("f", "60_plus"), ("m", "6_11")], 2)
        ]
        data = incident_input(
            area,
            categories=categories,
            victims=victims,
            perpetrator_category=rng.choice(["nsag", "state_forces", "unknown"]),
            source_mechanism=rng.choice(["monitoring_interview", "media"]),
        )
    elif kind == "allegation":
        data = gbv_allegation_input(area)
    elif kind == "violations":
        children = [
            ViolationVictimCell(sex="m", age_group="12_17", count=rng.randint(1, 3)),
            ViolationVictimCell(sex="f", age_group="6_11", count=1),
            ViolationVictimCell(sex="m", age_group="0_5", count=1),
        ]
        lines = [
            violation_input("killing", victims=children, verification=rng.choice(["pending", "verified"])),
            # Counted once per event, with and without children recorded.
            violation_input("attack_school", victims=children[:2] if rng.random() < 0.5 else []),
        ]
        if rng.random() < 0.3:
            lines.append(violation_input("sexual_violence", victims=[children[1]]))
        data = violation_incident_input(
            area, *lines, victims=[victim("killed", "m", "12_17", 2), victim("killed", "f", "6_11", 1)]
        )
    else:
        data = explosive_incident_input(
            area,
            explosive=explosive_input(
                device_type=rng.choice(["ied", "landmine"]),
                casualties=[casualty("killed", "m", 34), casualty("injured", "f", 12, civilian=False)],
            ),
        )
    return _dated(data, rng)


@pytest.fixture
def world(monitor, caseworker_in_area, imo, admin, alpha, beta, mopti, segou):
    rng = random.Random(17)
    cercles = [cercle_of(mopti, pcode="ML0501"), cercle_of(mopti, pcode="ML0502")]
    areas = [*cercles, commune_of(cercles[0], pcode="ML050101"), commune_of(cercles[1], pcode="ML050201")]
    segou_area = cercle_of(segou, pcode="ML0401")
    beta_monitor = make_member(Role.MONITOR, beta, areas=[mopti, segou], username="monitor_beta")
    made = []
    for index in range(30):
        actor = monitor if index % 3 else beta_monitor
        area = segou_area if actor is beta_monitor and index % 2 else rng.choice(areas)
        status = rng.choice(["draft", "submitted", "submitted", "verified", "rejected"])
        made.append(
            make_incident(actor=actor, area=area, status=status, reviewer=imo, data=_random_input(rng, area))
        )
    for consent in (True, True, False, True, False):
        area = rng.choice(areas)
        data = _dated(gbv_incident_input(area, gbv={"consent_to_report": consent}), rng)
        made.append(make_incident(actor=caseworker_in_area, area=area, status="draft", data=data))
    # Imports, submitted and as drafts.
    for organisation, submit in ((beta, True), (alpha, True), (alpha, False)):
        rows = [_random_input(rng, rng.choice(areas)) for _ in range(6)]
        made += incident_import_many(
            actor=admin, organisation=organisation, rows=rows, submit=submit, follow_up=False
        ).incidents
    # Updates: another area, month, categories or victims; consent withdrawn then given again.
    for incident in rng.sample(made[:30], 8):
        incident.refresh_from_db()
        if incident.status == "rejected":
            continue
        incident_update(actor=admin, incident=incident, **vars(_random_input(rng, rng.choice(areas))))
    # Survivors' records (their provider's drafts): consent withdrawn, or given after all.
    survivors = [incident for incident in made if hasattr(incident, "gbv")][-4:]
    for survivor, consent in zip(survivors, (False, True, True, False), strict=True):
        data = _dated(gbv_incident_input(survivor.area, gbv={"consent_to_report": consent}), rng)
        incident_update(actor=caseworker_in_area, incident=survivor, **vars(data))
        incident_submit(actor=caseworker_in_area, incident=survivor)
    # The workflow: drafts submitted, then some verified or rejected.
    for incident in Incident.objects.filter(status="draft").order_by("pk")[:8]:
        incident_submit(actor=admin, incident=incident)
    submitted = list(Incident.objects.filter(status="submitted").order_by("pk"))
    for incident in submitted[:4]:
        incident_verify(actor=imo, incident=incident)
    for incident in submitted[4:7]:
        incident_reject(actor=imo, incident=incident, reason="Informations insuffisantes.")
    # Duplicate links, one of them onto an incident already linked (followed to its root).
    counted = list(Incident.objects.filter(status__in=["submitted", "verified"]).order_by("pk"))
    for first, second in ((counted[0], counted[1]), (counted[2], counted[3]), (counted[1], counted[4])):
        candidate = DuplicateCandidate.objects.create(first=first, second=second, score=0.9)
        duplicate_link(actor=imo, candidate=candidate)
    return {"areas": areas, "mopti": mopti, "alpha": alpha, "admin": admin, "imo": imo}


def _snapshot():
    return {rollup.model: rollups.stored_rows(rollup) for rollup in rollups.registered("incident")}


def test_every_rollup_recomputed_from_the_records_equals_the_maintained_one(world):
    assert Incident.objects.filter(duplicate_of__isnull=False).count() == 3
    for rollup in rollups.registered("incident"):
        stored = rollups.stored_rows(rollup)
        assert stored, rollup.model.__name__
        assert stored == rollups.recomputed_rows(rollup), rollup.model.__name__
    # And a rebuild gives the same tables.
    before = _snapshot()
    rollups.rollups_rebuild("incident")
    assert _snapshot() == before


@pytest.fixture
def staged_writes(monkeypatch):
    """Every write, even of one record, through the staged path (core/rollups._apply_staged)."""
    monkeypatch.setattr(rollups, "STAGE_FROM", 1)


def test_every_rollup_is_the_same_when_every_write_is_staged_by_family(staged_writes, world):
    # The world's writes (records, updates, consent, workflow, duplicate links, imports) each staged.
    for rollup in rollups.registered("incident"):
        stored = rollups.stored_rows(rollup)
        assert stored, rollup.model.__name__
        assert stored == rollups.recomputed_rows(rollup), rollup.model.__name__


def _sorted(rows):
    return sorted(rows, key=lambda row: sorted((name, str(value)) for name, value in row.items()))


def _filter_values(dataset) -> dict[str, list]:
    rows = dataset.base(Filters())
    values = {}
    for name, path in dataset.filters.items():
        found = sorted({value for value in rows.values_list(path, flat=True) if value is not None}, key=str)
        values[name] = found[:3]
    return values


def _filter_sets(dataset, world) -> list[Filters]:
    sets = [Filters()]
    for name, values in _filter_values(dataset).items():
        sets += [Filters(extra={name: value}) for value in values]
        sets.append(Filters(extra={name: [values[0]]}))
        if len(values) > 1:
            sets.append(Filters(extra={name: values[:2]}))
    september_end = datetime.date(2026, 9, 30)
    sets += [
        Filters(date_from=MONTHS[1], date_to=september_end),
        Filters(date_from=MONTHS[1]),
        Filters(date_to=september_end),
        Filters(date_from=MONTHS[1] + datetime.timedelta(days=3)),  # not a month boundary: the base
        Filters(areas=(world["mopti"],)),
        Filters(areas=(world["areas"][0],)),
        Filters(areas=(world["areas"][2],)),
        Filters(organisation_ids=(world["alpha"].pk,)),
        Filters(date_from=MONTHS[1], areas=(world["areas"][1],), extra={"organisation": "ALPHA"}),
    ]
    return sets


def _queries(dataset, world):
    dims = list(dataset.all_dimensions())
    groupings = [(), *((dim,) for dim in dims)]
    for grouping in [*groupings, *combinations(dims, 2)]:
        yield grouping, Filters()
    for grouping in groupings:
        for filters in _filter_sets(dataset, world)[1:]:
            yield grouping, filters


def test_every_query_a_rollup_answers_gives_the_base_rows_cell_keys_included(world):
    used = set()
    for name in DATASETS:
        dataset = datasets.get(name)
        for measure in dataset.measures:
            for group_by, filters in _queries(dataset, world):
                for exact in (True, False):
                    try:
                        floor = datasets.gbv_floor(dataset, group_by=group_by, filters=filters, exact=exact)
                    except GBVFloorError:
                        continue
                    rollup = dataset_rollups.covering_rollup(
                        dataset, [measure], group_by, filters, floor=floor
                    )
                    if rollup is None:
                        continue
                    used.add(rollup.model)
                    got = dataset_rollups.compute_from_rollup(
                        dataset, rollup, [measure], group_by, filters, floor=floor
                    )
                    expected = datasets.compute_from_base(
                        dataset, [measure], list(group_by), filters, exact=exact
                    )
                    query = (name, measure, group_by, filters, exact, rollup.model.__name__)
                    assert _sorted(got) == _sorted(expected), query
    assert used == {rollup.model for rollup in rollups.registered("incident")}


# Periods off month boundaries (the dashboards' "year to date", "last 30 days"): whole months from the
# roll-up, the first and last months' days from the records.
OFF_MONTHS = [
    Filters(date_from=datetime.date(2026, 8, 10), date_to=datetime.date(2026, 10, 20)),  # both ends
    Filters(date_from=datetime.date(2026, 8, 1), date_to=datetime.date(2026, 10, 12)),  # to date
    Filters(date_from=datetime.date(2026, 8, 17)),  # open end
    Filters(date_to=datetime.date(2026, 9, 14)),  # open start
    Filters(date_from=datetime.date(2026, 9, 3), date_to=datetime.date(2026, 9, 21)),  # inside one month
    Filters(date_from=datetime.date(2026, 8, 31), date_to=datetime.date(2026, 9, 1)),  # two single days
]


def test_month_split_covers_the_period_once():
    for filters in OFF_MONTHS:
        partial, whole = month_split(filters)
        days = [(part.date_from, part.date_to) for part in partial]
        if whole is not None:
            assert month_aligned(whole.date_from, whole.date_to)
            days.append((whole.date_from, whole.date_to))
        covered = set()
        for first, last in days:
            first = first or datetime.date(2026, 1, 1)
            last = last or datetime.date(2026, 12, 31)
            span = {first + datetime.timedelta(days=n) for n in range((last - first).days + 1)}
            assert not covered & span, filters  # no day twice
            covered |= span
        expected_first = filters.date_from or datetime.date(2026, 1, 1)
        expected_last = filters.date_to or datetime.date(2026, 12, 31)
        assert covered == {
            expected_first + datetime.timedelta(days=n)
            for n in range((expected_last - expected_first).days + 1)
        }
    assert month_split(Filters(date_from=MONTHS[0])) == ([], Filters(date_from=MONTHS[0]))


def test_a_period_off_month_boundaries_reads_the_rollup_and_gives_the_base_rows(world, monkeypatch):
    read = []
    original = dataset_rollups.compute_from_rollup
    monkeypatch.setattr(
        dataset_rollups,
        "compute_from_rollup",
        lambda *args, **kwargs: read.append(1) or original(*args, **kwargs),
    )
    for name in DATASETS:
        dataset = datasets.get(name)
        groupings = [(), *((dim,) for dim in dataset.all_dimensions())]
        for group_by in groupings:
            for filters in OFF_MONTHS:
                for exact in (True, False):
                    try:
                        datasets.gbv_floor(dataset, group_by=group_by, filters=filters, exact=exact)
                    except GBVFloorError:
                        continue
                    got = datasets._compute(
                        dataset, [dataset.default_measure], list(group_by), filters, exact=exact
                    )
                    expected = datasets.compute_from_base(
                        dataset, [dataset.default_measure], list(group_by), filters, exact=exact
                    )
                    assert _sorted(got) == _sorted(expected), (name, group_by, filters, exact)
    assert read  # the whole months did come from the roll-ups


def test_the_year_to_date_reads_whole_months_only_no_incident_being_dated_after_today(world, monkeypatch):
    """A period ending today: no record of these datasets is dated after today (the services refuse a
    future date), so its last month is read whole from the roll-ups, with the records' own figures."""
    from django.utils import timezone

    from_base = []
    original = datasets.compute_from_base
    monkeypatch.setattr(
        datasets,
        "compute_from_base",
        lambda *args, **kwargs: from_base.append(1) or original(*args, **kwargs),
    )
    today = timezone.localdate()
    for name in DATASETS:
        dataset = datasets.get(name)
        for filters in (Filters(date_from=MONTHS[0], date_to=today), Filters(date_to=today)):
            for group_by in ((), ("month",), ("admin1",)):
                got = datasets._compute(
                    dataset, [dataset.default_measure], list(group_by), filters, exact=True
                )
                assert not from_base, (name, group_by)
                expected = original(dataset, [dataset.default_measure], list(group_by), filters, exact=True)
                assert _sorted(got) == _sorted(expected), (name, group_by, filters)
    # A period ending before today still reads its last days from the records.
    yesterday_of_a_month = datetime.date(2026, 9, 14)
    datasets._compute(
        datasets.get("incidents"), ["count"], [], Filters(date_to=yesterday_of_a_month), exact=True
    )
    assert from_base


def test_a_rollup_answers_only_what_it_covers(world):
    incidents, victims, violations = (datasets.get(n) for n in ("incidents", "victims", "grave_violations"))

    def chosen(dataset, group_by=(), measure="count", **filters):
        rollup = dataset_rollups.covering_rollup(dataset, [measure], group_by, Filters(**filters), floor="")
        return rollup and rollup.model.__name__

    # The national figures by region read the smallest table: all time, or by month for a period.
    assert chosen(incidents, ["admin1"]) == "IncidentAreaTotal"
    assert chosen(victims, ["admin1"]) == "VictimAreaTotal"
    assert chosen(violations, ["admin1"]) == "ViolationAreaTotal"
    assert chosen(incidents, ["admin1"], date_from=MONTHS[0]) == "IncidentAreaRollup"
    assert chosen(incidents, ["month"]) == "IncidentAreaRollup"
    assert chosen(incidents, ["admin1"], organisation_ids=(1,)) == "IncidentRollup"
    # An incident of two categories is in two rows: only with the category fixed or grouped by.
    assert chosen(incidents, ["category", "month"]) == "IncidentCategoryNational"
    assert chosen(incidents, extra={"category": "life"}) == "IncidentCategoryNational"
    # National figures read the national tables; an area, an organisation or an area column, the finer.
    area = world["areas"][0]
    assert chosen(incidents, ["category"], areas=(area,)) == "IncidentCategoryRollup"
    assert chosen(incidents, ["category"], organisation_ids=(1,)) == "IncidentCategoryRollup"
    assert chosen(incidents, ["category", "admin1"]) == "IncidentCategoryRollup"
    assert chosen(victims, ["age_group", "sex"]) == "VictimNational"
    assert chosen(victims, ["age_group", "sex"], areas=(area,)) == "VictimRollup"
    assert chosen(victims, ["age_group", "admin2"]) == "VictimRollup"
    assert chosen(incidents, ["admin1"], extra={"category": ["life", "gbv"]}) is None
    # A violation is in each of its victim cells: only with both sex and age group fixed.
    assert chosen(violations, ["age_group", "sex"]) == "ViolationVictimRollup"
    assert chosen(violations, ["sex"]) is None
    assert chosen(violations, ["sex"], measure="violations", extra={"age_group": "0_5"}) == (
        "ViolationVictimRollup"
    )
    # Whole months only.
    assert chosen(incidents, date_from=MONTHS[0], date_to=datetime.date(2026, 8, 31)) == "IncidentAreaRollup"
    assert chosen(violations, ["sex", "age_group"], date_from=MONTHS[0]) == "ViolationVictimRollup"
    assert chosen(incidents, date_from=MONTHS[0], date_to=datetime.date(2026, 8, 30)) is None


def test_a_refused_write_changes_no_rollup(world, segou):
    before = _snapshot()
    incident = Incident.objects.filter(status="submitted", organisation=world["alpha"]).first()
    outsider = make_member(Role.MONITOR, world["alpha"], areas=[segou], username="monitor_segou")
    with pytest.raises(PermissionDenied):
        incident_update(actor=outsider, incident=incident, **vars(incident_input(world["areas"][0])))
    with pytest.raises(ValidationError):  # a date in the future, refused with nothing written
        future = incident_input(world["areas"][0], date_start=datetime.date(2999, 1, 1))
        incident_update(actor=world["admin"], incident=incident, **vars(future))
    with pytest.raises(ValidationError):  # already submitted
        incident_submit(actor=world["admin"], incident=incident)
    rejected = Incident.objects.filter(status="rejected").first()
    with pytest.raises(ValidationError):
        incident_verify(actor=world["imo"], incident=rejected)
    assert _snapshot() == before
