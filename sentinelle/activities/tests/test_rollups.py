"""The activities roll-ups (activities/rollups.py): kept exact by the 4W services, read as the records.

Random writes through the services (activities recorded, changed, archived and imported in draft reports;
reports submitted, validated, returned and validated again), and after each one every roll-up equals the
same table recomputed from the records. Then every query the roll-ups answer gives, row for row and cell
key for cell key, what the records give; a query on two beneficiary dimensions is left to the records.
"""

import contextlib
import datetime
import itertools
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sentinelle.activities.models import Activity, ActivityReport, ReportStatus
from sentinelle.activities.services.reporting import (
    ActivityLine,
    BeneficiaryCell,
    activity_archive,
    activity_create,
    activity_import_many,
    activity_report_return,
    activity_report_submit,
    activity_report_validate,
    activity_update,
)
from sentinelle.activities.tests.factories_reporting import (  # noqa: F401  (fixture)
    ProjectFactory,
    last_month,
    places_fixture,
    this_month,
)
from sentinelle.core import dataset_rollups, datasets
from sentinelle.core.datasets import Filters
from sentinelle.core.rollups import recomputed_rows, stored_rows

pytestmark = pytest.mark.django_db

REFUSED = (ValidationError, PermissionDenied)
CELLS = [
    ("f", "18_59", "idp"),
    ("m", "18_59", "idp"),
    ("f", "6_11", "host"),
    ("m", "0_17", "idp_returnee"),
    ("unknown", "60_plus", "host"),
]
MEASURES = ["count", "people_reached"]


def assert_rollups_exact() -> None:
    for rollup in datasets.get("activities").rollups:
        assert stored_rows(rollup) == recomputed_rows(rollup), rollup.model.__name__


def snapshot() -> dict:
    return {
        rollup.model.__name__: sorted(map(repr, stored_rows(rollup)))
        for rollup in datasets.get("activities").rollups
    }


def _line(rng: random.Random, places, project, month) -> dict:
    day = month + datetime.timedelta(days=rng.randrange(27))
    cells = rng.sample(CELLS, rng.randrange(len(CELLS) + 1))
    return {
        "activity_type": rng.choice(("awareness", "civil_documentation", "pss_session")),
        "area": rng.choice((places["dourou"], places["pelengana"])),
        "start_date": day,
        "end_date": day,
        "status": rng.choice(("completed", "completed", "ongoing", "planned", "cancelled")),
        "project": rng.choice((None, project)),
        "beneficiaries": [BeneficiaryCell(*cell, rng.randrange(1, 30)) for cell in cells],
    }


@pytest.fixture
def world(manager, imo, alpha, places):
    return {
        "manager": manager,
        "imo": imo,
        "alpha": alpha,
        "places": places,
        "project": ProjectFactory(organisation=alpha),
    }


def _step(rng: random.Random, world) -> str:
    manager, imo, alpha = world["manager"], world["imo"], world["alpha"]
    month = rng.choice((this_month(), last_month()))
    reports = list(ActivityReport.objects.filter(organisation=alpha))
    report = rng.choice(reports) if reports else None
    activities = list(Activity.objects.filter(organisation=alpha, is_archived=False))
    kind = rng.choice(["record", "record", "update", "archive", "import", "submit", "validate", "return"])
    if kind == "record":
        activity_create(
            actor=manager,
            organisation=alpha,
            month=month,
            **_line(rng, world["places"], world["project"], month),
        )
    elif kind == "update" and activities:
        activity = rng.choice(activities)
        month = activity.report.period.month
        activity_update(
            actor=manager, activity=activity, **_line(rng, world["places"], world["project"], month)
        )
    elif kind == "archive" and activities:
        activity_archive(actor=manager, activity=rng.choice(activities))
    elif kind == "import":
        rows = [
            ActivityLine(
                **_line(rng, world["places"], world["project"], month), source_key=f"k{rng.randrange(10**6)}"
            )
            for _ in range(rng.randrange(1, 4))
        ]
        activity_import_many(actor=manager, organisation=alpha, rows=rows)
    elif kind == "submit" and report:
        activity_report_submit(actor=manager, report=report)
    elif kind == "validate" and report:
        activity_report_validate(actor=imo, report=report)
    elif kind == "return" and report:
        activity_report_return(actor=imo, report=report, comment="Corriger les chiffres.")
    return kind


def test_random_writes_through_the_services_keep_every_rollup_exact(world):
    rng = random.Random(17)
    done, counted = set(), 0
    for _ in range(60):
        before = snapshot()
        try:
            done.add(_step(rng, world))
        except REFUSED:
            assert snapshot() == before  # a refused write moved no figure
        assert_rollups_exact()
        counted += ActivityReport.objects.filter(status=ReportStatus.VALIDATED).exists()
    assert {"record", "import", "submit", "validate", "return"} <= done
    assert counted > 5  # validated reports counted for a while, then some returned


def test_a_refused_review_changes_no_rollup(world):
    rng = random.Random(5)
    month = this_month()
    activity = activity_create(
        actor=world["manager"],
        organisation=world["alpha"],
        month=month,
        **_line(rng, world["places"], None, month),
    )
    report = activity_report_submit(actor=world["manager"], report=activity.report)
    activity_report_validate(actor=world["imo"], report=report)
    counted = snapshot()
    with pytest.raises(PermissionDenied):
        activity_report_return(actor=world["manager"], report=report, comment="Non")  # not a reviewer
    with pytest.raises(ValidationError):
        activity_report_validate(actor=world["imo"], report=report)  # already validated
    assert snapshot() == counted
    activity_report_return(actor=world["imo"], report=report, comment="Corriger.")
    assert snapshot() != counted
    assert_rollups_exact()


# --- Reading: the roll-ups answer as the records ---------------------------------------------------


def _rows(rows: list[dict]) -> list[tuple]:
    return sorted(tuple(sorted((key, str(value)) for key, value in row.items())) for row in rows)


def _filters(dataset, areas) -> list[Filters]:
    month = this_month()
    found = [
        Filters(),
        Filters(date_from=month),
        Filters(date_from=last_month(), date_to=month - datetime.timedelta(days=1)),
        Filters(date_from=month + datetime.timedelta(days=3)),  # mid-month: the records answer
        *(Filters(areas=(area,)) for area in areas),
    ]
    for name in dataset.filters:
        rows = datasets.compute_from_base(dataset, ["count"], [name], Filters(), exact=True)
        values = [row[name] for row in rows if row[name] is not None]
        if values:
            found += [Filters(extra={name: values[0]}), Filters(extra={name: values[:2]})]
    return found


def test_every_query_a_rollup_answers_gives_the_records_figures(world, mopti, segou):
    rng = random.Random(8)
    for _ in range(60):
        with contextlib.suppress(*REFUSED):
            _step(rng, world)
    for report in ActivityReport.objects.exclude(status=ReportStatus.VALIDATED).order_by("pk")[::2]:
        with contextlib.suppress(*REFUSED):
            activity_report_submit(actor=world["manager"], report=report)
        activity_report_validate(actor=world["imo"], report=report)
    assert Activity.objects.filter(report__status=ReportStatus.VALIDATED).count() > 5
    dataset = datasets.get("activities")
    dims = list(dataset.all_dimensions())
    served = set()
    for group_by in [(), *((dim,) for dim in dims), *itertools.combinations(dims, 2)]:
        for filters in _filters(dataset, [mopti, segou, world["places"]["dourou"]]):
            rollup = dataset_rollups.covering_rollup(dataset, MEASURES, list(group_by), filters, floor="")
            if rollup is None:
                continue
            served.add(rollup.model.__name__)
            from_rollup = dataset_rollups.compute_from_rollup(
                dataset, rollup, MEASURES, list(group_by), filters, floor=""
            )
            from_records = datasets.compute_from_base(dataset, MEASURES, list(group_by), filters, exact=False)
            assert _rows(from_rollup) == _rows(from_records), (group_by, filters, rollup.model.__name__)
    assert served == {rollup.model.__name__ for rollup in dataset.rollups}


def test_beneficiary_dimensions_are_read_from_the_records_when_an_activity_could_count_twice(world):
    dataset = datasets.get("activities")

    def covering(group_by, **extra):
        return dataset_rollups.covering_rollup(dataset, MEASURES, group_by, Filters(extra=extra), floor="")

    assert covering(["admin1"]).model.__name__ == "ActivityAreaRollup"
    assert covering(["admin1"], activity_type="awareness").model.__name__ == "ActivityRollup"
    assert covering(["sex"]).model.__name__ == "ActivitySexRollup"
    assert covering(["admin1"], population_status="idp").model.__name__ == "ActivityPopulationStatusRollup"
    assert covering(["age_group", "sex"]).model.__name__ == "ActivitySexAgeRollup"
    assert covering(["age_group", "sex"], population_status="idp").model.__name__ == "ActivityCellRollup"
    assert covering(["sex", "age_band"]) is None
    assert covering(["sex"], population_status="idp") is None
    assert covering(["admin1"], sex=["f", "m"]) is None
    assert covering(["sex"], age_band="children") is None
    assert covering(["sex", "age_group"], population_status=["idp", "host"]) is None
