"""The cases and referrals roll-ups (cases/rollups.py): kept exact by the services, read as the records.

Random writes through the services (cases opened, assessed, closed, reopened, transferred to another
organisation; persons changed and merged; referrals made, accepted, declined, completed, cancelled), and
after each one every roll-up equals the same table recomputed from the records. Then every query the
roll-ups answer gives, row for row and cell key for cell key, what the records give.
"""

import contextlib
import datetime
import itertools
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sentinelle.accounts.tests.factories import OrganisationFactory, make_member
from sentinelle.cases.models import Case, ClosureReason, Referral, RiskLevel
from sentinelle.cases.services.cases import (
    assessment_record,
    case_close,
    case_reopen,
    transfer_accept,
    transfer_request,
)
from sentinelle.cases.services.persons import person_merge, person_merge_undo, person_update
from sentinelle.cases.services.referrals import (
    referral_accept,
    referral_cancel,
    referral_complete,
    referral_decline,
)
from sentinelle.cases.tests.factories_cases import (
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)
from sentinelle.core import dataset_rollups, datasets
from sentinelle.core.datasets import AREA_LEVELS, DatasetError, Filters
from sentinelle.core.models import Role
from sentinelle.core.rollups import recomputed_rows, stored_rows

pytestmark = pytest.mark.django_db

DATASETS = ("cases", "referrals")
CASE_TYPES = ("gbv", "child_protection", "gbv", "general_protection", "ipa")
REFUSED = (ValidationError, PermissionDenied)


def assert_rollups_exact() -> None:
    for name in DATASETS:
        for rollup in datasets.get(name).rollups:
            assert stored_rows(rollup) == recomputed_rows(rollup), rollup.model.__name__


def snapshot() -> dict:
    return {
        rollup.model.__name__: sorted(map(repr, stored_rows(rollup)))
        for name in DATASETS
        for rollup in datasets.get(name).rollups
    }


@pytest.fixture
def world(caseworker_in_area, caseworker_other_area, manager, focal_point, beta, mopti, segou):
    here, there = commune_in(mopti, "Sévaré"), commune_in(segou, "Markala")
    gamma = OrganisationFactory(acronym="GAMMA")
    receiver = make_member(Role.CASEWORKER, gamma, areas=[mopti, segou], username="gamma_cw")
    services = [
        make_service(beta, here, "pss"),
        make_service(beta, here, "health"),
        make_service(beta, there),
    ]
    cases = []
    for index in range(8):
        actor, area = (caseworker_in_area, here) if index % 3 else (caseworker_other_area, there)
        case = make_case(
            actor,
            area,
            case_type=CASE_TYPES[index % len(CASE_TYPES)],
            risk_level=("", "high", "low")[index % 3],
            given_name=f"Personne{index}",
        )
        consent_for(actor, case, organisations=[beta, gamma])
        cases.append(case)
    return {
        "cases": cases,
        "services": services,
        "workers": [caseworker_in_area, caseworker_other_area],
        "manager": manager,
        "focal_point": focal_point,
        "receiver": receiver,
    }


def _owner(world, case):
    case.refresh_from_db()
    return next((user for user in [*world["workers"], world["receiver"]] if user.pk == case.owner_id), None)


def _step(rng: random.Random, world) -> str:
    """One random write through a service (it may be refused: then it must change nothing)."""
    cases = list(Case.objects.filter(pk__in=[case.pk for case in world["cases"]]))
    case = rng.choice(cases)
    owner = _owner(world, case) or rng.choice(world["workers"])
    referrals = list(Referral.objects.filter(case__in=cases))
    kind = rng.choice(
        ["assess", "close", "reopen", "person", "refer", "respond", "respond", "transfer", "merge", "open"]
    )
    if kind == "assess":
        assessment_record(actor=owner, case=case, risk_level=rng.choice(RiskLevel.values))
    elif kind == "close":
        case_close(actor=owner, case=case, reason=rng.choice(ClosureReason.values))
    elif kind == "reopen":
        case_reopen(actor=owner, case=case, reason="Nouvelle information.")
    elif kind == "person":
        person_update(
            actor=owner, person=case.person, sex=rng.choice(("f", "m")), age=rng.choice((4, 15, 30, 70))
        )
    elif kind == "refer":
        make_referral(owner, case, rng.choice(world["services"]), urgency=rng.choice(("urgent", "routine")))
    elif kind == "respond" and referrals:
        referral = rng.choice(referrals)
        action = rng.choice(("accept", "decline", "complete", "cancel"))
        if action == "accept":
            referral_accept(actor=world["focal_point"], referral=referral)
        elif action == "decline":
            referral_decline(actor=world["focal_point"], referral=referral, reason="Pas de place.")
        elif action == "complete":
            referral_complete(actor=world["focal_point"], referral=referral, service_given="Soins.")
        else:
            referral_cancel(actor=_owner(world, referral.case) or owner, referral=referral, reason="Annulée.")
    elif kind == "transfer":
        transfer = transfer_request(actor=owner, case=case, to_user=world["receiver"], reason="Déménagement")
        transfer_accept(actor=world["receiver"], transfer=transfer)
    elif kind == "merge":
        other = rng.choice([c for c in cases if c.person_id != case.person_id])
        merge = person_merge(actor=world["manager"], kept=case.person, merged=other.person)
        if rng.random() < 0.5:
            person_merge_undo(actor=world["manager"], merge=merge)
    elif kind == "open":
        world["cases"].append(
            make_case(owner, case.area, case_type=rng.choice(CASE_TYPES), given_name="Nouvelle")
        )
    return kind


def test_random_writes_through_the_services_keep_every_rollup_exact(world):
    rng = random.Random(17)
    assert_rollups_exact()
    done = set()
    for _ in range(40):
        before = snapshot()
        try:
            done.add(_step(rng, world))
        except REFUSED:
            assert snapshot() == before  # a refused write moved no figure
        assert_rollups_exact()
    assert {"assess", "close", "person", "refer", "respond", "transfer", "merge"} <= done
    assert Referral.objects.exists()


def test_a_refused_write_changes_no_rollup(world):
    case = world["cases"][1]
    before = snapshot()
    with pytest.raises(ValidationError):
        case_reopen(actor=world["workers"][0], case=case, reason="Déjà ouvert.")  # an open case
    referral = make_referral(world["workers"][0], case, world["services"][0])
    after_referral = snapshot()
    assert after_referral != before
    with pytest.raises(PermissionDenied):
        referral_accept(actor=world["workers"][0], referral=referral)  # the referring side
    assert snapshot() == after_referral


# --- Reading: the roll-ups answer as the records ---------------------------------------------------


def _rows(rows: list[dict]) -> list[tuple]:
    return sorted(tuple(sorted((key, str(value)) for key, value in row.items())) for row in rows)


def _answer(compute, *args, **kwargs):
    try:
        return _rows(compute(*args, **kwargs))
    except DatasetError as error:
        return type(error).__name__


def _queries(dataset, areas):
    """Every grouping by up to two dimensions, under no filter or one filter (one value, two values), a
    month-aligned period, an area, an organisation."""
    dims = list(dataset.all_dimensions())
    groupings = [(), *((dim,) for dim in dims), *itertools.combinations(dims, 2)]
    today = datetime.date.today()
    month = today.replace(day=1)
    filters = [
        Filters(),
        Filters(date_from=month),
        Filters(date_from=month - datetime.timedelta(days=40), date_to=month - datetime.timedelta(days=1)),
        Filters(date_from=today),  # not on a month boundary: the records answer
        *(Filters(areas=(area,)) for area in areas),
        Filters(
            organisation_ids=tuple(Case.objects.values_list("organisation_id", flat=True).distinct()[:1])
        ),
    ]
    for name in dataset.filters:
        values = [
            row[name] for row in datasets.compute_from_base(dataset, ["count"], [name], Filters(), exact=True)
        ]
        values = [value for value in values if value is not None]
        if values:
            filters.append(Filters(extra={name: values[0]}))
            filters.append(Filters(extra={name: values[:2]}))
    for group_by in groupings:
        for one in filters:
            yield list(group_by), one


def _assert_rollups_answer_as_records(name: str, areas) -> int:
    dataset = datasets.get(name)
    served = 0
    for group_by, filters in _queries(dataset, areas):
        for exact in (True, False):
            try:
                floor = datasets.gbv_floor(dataset, group_by=group_by, filters=filters, exact=exact)
            except DatasetError:
                continue
            rollup = dataset_rollups.covering_rollup(dataset, ["count"], group_by, filters, floor=floor)
            if rollup is None:
                continue
            served += 1
            from_rollup = _answer(
                dataset_rollups.compute_from_rollup,
                dataset,
                rollup,
                ["count"],
                group_by,
                filters,
                floor=floor,
            )
            from_records = _answer(
                datasets.compute_from_base, dataset, ["count"], group_by, filters, exact=exact
            )
            assert from_rollup == from_records, (name, group_by, filters, exact, rollup.model.__name__)
    return served


def test_every_query_a_rollup_answers_gives_the_records_figures(world, mopti, segou):
    rng = random.Random(3)
    for _ in range(25):
        with contextlib.suppress(*REFUSED):
            _step(rng, world)
    areas = [mopti, segou, world["cases"][0].area]
    for name in DATASETS:
        assert _assert_rollups_answer_as_records(name, areas) > 100


def test_national_figures_by_region_come_from_the_small_rollups(world):
    for name, table in (("cases", "CaseAreaRollup"), ("referrals", "ReferralAreaRollup")):
        dataset = datasets.get(name)
        rollup = dataset_rollups.covering_rollup(dataset, ["count"], ["admin1"], Filters(), floor="")
        assert rollup.model.__name__ == table
    # Fact tables are never read for figures.
    for name in DATASETS:
        for rollup in datasets.get(name).rollups:
            if not rollup.measures:
                assert all(
                    dataset_rollups.covering_rollup(datasets.get(name), ["count"], [dim], Filters(), floor="")
                    is not rollup
                    for dim in [*datasets.get(name).all_dimensions(), *AREA_LEVELS]
                )
