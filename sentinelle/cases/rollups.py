"""Keeping the cases and referrals roll-ups current (core/rollups.py; declared in cases/datasets.py).

A case's figures depend on the case, its person (sex, age group) and, for its referrals, on the case too
(type, organisation, area), and many services change one of them. So the services do not take contributions
out before their change: each calls, after its change and inside its transaction,

    case_rollups_refresh(case_ids=[...])          # the cases and their referrals
    referral_rollups_refresh(referral_ids=[...])  # these referrals only
    person_rollups_refresh(person_ids=[...])      # the cases of these persons and their referrals

and the refresh takes out what the records' fact rows (the finest roll-up, one row per record) say they
added, reads the records again through the datasets' base rows (an archived record drops out exactly as
the dataset says) and puts the new facts in: a handful of set-based statements whatever the number of
records, right whatever field changed. Refreshes of one case follow each other (its row is locked first,
cases in id order); the roll-up upserts themselves commute.
"""

from collections.abc import Iterable
from dataclasses import replace

from django.db import transaction
from django.db.models import Sum

from sentinelle.cases.models import Case, Referral
from sentinelle.core import datasets
from sentinelle.core.rollups import upsert


def _ids(values: Iterable) -> list[int]:
    return sorted({int(value) for value in values if value is not None})


def _rollups(dataset: str):
    """The dataset's fact table and the roll-ups read for its figures."""
    rollups = datasets.get(dataset).rollups
    facts = next(rollup for rollup in rollups if not rollup.measures)
    return facts, [rollup for rollup in rollups if rollup is not facts]


def _from_facts(rollup):
    """The roll-up as filled from fact rows: the same cells, summed from the facts' own sums."""
    return replace(
        rollup,
        columns={name: name for name in rollup.columns},
        sums={name: Sum(name) for name in rollup.sums},
    )


def _refresh(dataset: str, stored, current) -> None:
    """`stored`: the fact rows of the records; `current`: their base rows now."""
    facts, rollups = _rollups(dataset)
    for rollup in rollups:
        upsert(_from_facts(rollup), stored, sign=-1)
    stored.delete()
    upsert(facts, current, sign=1)
    for rollup in rollups:
        upsert(_from_facts(rollup), stored, sign=1)


def _lock_cases(case_ids: list[int]) -> None:
    list(Case.objects.filter(pk__in_ids=case_ids).order_by("pk").select_for_update().values_list("pk"))


def case_rollups_refresh(*, case_ids: Iterable) -> None:
    """The cases' figures and those of their referrals, read again."""
    case_ids = _ids(case_ids)
    if not case_ids:
        return
    cases, _ = _rollups("cases")
    referrals, _ = _rollups("referrals")
    with transaction.atomic():
        _lock_cases(case_ids)
        _refresh("cases", cases.model.objects.filter(case_id__in_ids=case_ids), cases.source(case_ids))
        _refresh(
            "referrals",
            referrals.model.objects.filter(case_id__in_ids=case_ids),
            referrals.source(None).filter(case_id__in_ids=case_ids),
        )


def referral_rollups_refresh(*, referral_ids: Iterable) -> None:
    """The referrals' figures, read again."""
    referral_ids = _ids(referral_ids)
    if not referral_ids:
        return
    referrals, _ = _rollups("referrals")
    with transaction.atomic():
        _lock_cases(_ids(Referral.objects.filter(pk__in_ids=referral_ids).values_list("case_id", flat=True)))
        _refresh(
            "referrals",
            referrals.model.objects.filter(referral_id__in_ids=referral_ids),
            referrals.source(referral_ids),
        )


def person_rollups_refresh(*, person_ids: Iterable) -> None:
    """The figures of these persons' cases (their sex and age group) and referrals, read again."""
    person_ids = _ids(person_ids)
    if person_ids:
        case_rollups_refresh(
            case_ids=Case.objects.filter(person_id__in=person_ids).values_list("pk", flat=True)
        )
