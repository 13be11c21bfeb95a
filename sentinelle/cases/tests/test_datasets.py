"""Case-management datasets against a hand-counted fixture, and the indicators the seeds compute from them.

C1 GBV case (woman), Mopti: R1 PSS completed, R2 health pending
C2 child-protection case (woman registered by default), Mopti: R3 PSS completed
C3 GBV case, Ségou: R4 PSS pending
Survivors who received PSS (completed PSS referrals on GBV cases): 1.
Share of referred cases managed (completed over referred): 2 / 4 = 50 %; by region Mopti 2/3, Ségou 0/1.
"""

from decimal import Decimal

import pytest

from sentinelle.activities.computations import Evaluator
from sentinelle.cases.tests.factories_cases import (
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
    update_cases,
    update_referrals,
)
from sentinelle.core import datasets
from sentinelle.core.datasets import Filters


def aggregate(*args, **kwargs):
    """The figures without their cell keys (core/disclosure.py), as these tests compare them."""
    return datasets.strip_keys(datasets.aggregate(*args, **kwargs))


PSS_SURVIVORS = {
    "kind": "value",
    "dataset": "referrals",
    "measure": "count",
    "filters": {"service_type": "pss", "status": "completed", "case_type": "gbv"},
}
MANAGED_SHARE = {
    "kind": "ratio",
    "numerator": {"kind": "value", "dataset": "referrals", "filters": {"status": "completed"}},
    "denominator": {"kind": "value", "dataset": "referrals"},
    "scale": 100,
}


@pytest.fixture
def casework(caseworker_in_area, caseworker_other_area, beta, mopti, segou):
    here, there = commune_in(mopti, "Sévaré"), commune_in(segou, "Markala")
    pss_here, health_here = make_service(beta, here, "pss"), make_service(beta, here, "health")
    pss_there = make_service(beta, there, "pss")
    c1 = make_case(caseworker_in_area, here, case_type="gbv", risk_level="high")
    c2 = make_case(caseworker_in_area, here, case_type="child_protection", given_name="Fanta")
    c3 = make_case(caseworker_other_area, there, case_type="gbv", given_name="Kadia")
    for actor, case in ((caseworker_in_area, c1), (caseworker_in_area, c2), (caseworker_other_area, c3)):
        consent_for(actor, case, organisations=[beta])
    r1 = make_referral(caseworker_in_area, c1, pss_here)
    make_referral(caseworker_in_area, c1, health_here)
    r3 = make_referral(caseworker_in_area, c2, pss_here)
    make_referral(caseworker_other_area, c3, pss_there)
    update_referrals([r1, r3], status="completed")
    return {"c1": c1, "c2": c2, "c3": c3}


def test_cases_by_type_and_risk(casework):
    rows = aggregate("cases", group_by=["case_type"])
    assert {row["case_type"]: row["count"] for row in rows} == {"gbv": 2, "child_protection": 1}
    assert aggregate("cases", filters=Filters(extra={"risk_level": "high"})) == [{"count": 1}]
    assert {r["sex"]: r["count"] for r in aggregate("cases", group_by=["sex"])} == {"f": 3}


def test_archived_cases_are_left_out(casework):
    update_cases([casework["c2"]], is_archived=True)
    assert aggregate("cases") == [{"count": 2}]


def test_referrals_by_service_type_status_and_case_type(casework):
    rows = aggregate("referrals", group_by=["service_type", "status"])
    assert {(r["service_type"], r["status"]): r["count"] for r in rows} == {
        ("pss", "completed"): 2,
        ("health", "pending"): 1,
        ("pss", "pending"): 1,
    }
    assert {r["case_type"]: r["count"] for r in aggregate("referrals", group_by=["case_type"])} == {
        "gbv": 3,
        "child_protection": 1,
    }


def test_survivors_who_received_pss(casework):
    assert Evaluator().evaluate(PSS_SURVIVORS, date_from=None, date_to=None) == {(): 1}
    by_sex = Evaluator().evaluate(PSS_SURVIVORS, date_from=None, date_to=None, group_by=["sex"])
    assert by_sex == {("f",): 1}


def test_share_of_referred_cases_managed_by_region(casework):
    evaluator = Evaluator()
    assert evaluator.evaluate(MANAGED_SHARE, date_from=None, date_to=None) == {(): Decimal(50)}
    by_region = evaluator.evaluate(MANAGED_SHARE, date_from=None, date_to=None, group_by=["admin1"])
    assert by_region == {("ML05",): Decimal(2) / 3 * 100, ("ML04",): Decimal(0)}


def test_ratio_with_zero_denominator_has_no_value(casework):
    ipa = {
        **MANAGED_SHARE,
        "numerator": {"dataset": "referrals", "filters": {"status": "completed", "case_type": "ipa"}},
        "denominator": {"dataset": "referrals", "filters": {"case_type": "ipa"}},
    }
    assert Evaluator().evaluate(ipa, date_from=None, date_to=None) == {(): None}


@pytest.mark.parametrize("zone", ["Africa/Bamako", "Africa/Lagos"])
def test_referral_periods_follow_the_local_day_of_each_referral(casework, zone):
    """A period counts the referrals made on its days, in the current time zone, the last moment of its
    last day included and the first of the next day not: compared by range on the timestamp (its index),
    never by casting every row to its date."""
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from sentinelle.cases.models import Referral

    with timezone.override(zone):
        local = timezone.get_current_timezone()
        moments = [
            datetime.datetime(2026, 3, 9, 23, 59, 59, tzinfo=local),  # before the period
            datetime.datetime(2026, 3, 10, 0, 0, 0, tzinfo=local),  # its first moment
            datetime.datetime(2026, 3, 20, 23, 59, 59, 999999, tzinfo=local),  # its last moment
            datetime.datetime(2026, 3, 21, 0, 0, 0, tzinfo=local),  # the next day
        ]
        referrals = list(Referral.objects.order_by("pk"))
        for referral, moment in zip(referrals, moments, strict=True):
            update_referrals([referral], created_at=moment)
        period = Filters(date_from=datetime.date(2026, 3, 10), date_to=datetime.date(2026, 3, 20))
        with CaptureQueriesContext(connection) as queries:
            assert aggregate("referrals", filters=period) == [{"count": 2}]
        assert not any("AT TIME ZONE" in q["sql"] or "django_datetime_cast_date" in q["sql"] for q in queries)
        by_day = aggregate("referrals", group_by=["status"], filters=Filters(date_from=moments[3].date()))
        assert sum(row["count"] for row in by_day) == 1
