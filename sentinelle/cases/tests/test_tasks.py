"""Overdue flags on tasks, plan actions and referrals, with frozen time; the home pages count them."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from sentinelle.cases.selectors.cases import (
    case_list,
    case_overdue_actions,
    case_overdue_tasks,
    caseworker_home,
    manager_dashboard,
)
from sentinelle.cases.selectors.referrals import referral_overdue
from sentinelle.cases.services.cases import assessment_record, case_close, task_complete
from sentinelle.cases.tests.factories_cases import (
    assessed_and_planned,
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Bandiagara")


def at(days: int, hours: int = 0):
    return time_machine.travel(START + datetime.timedelta(days=days, hours=hours), tick=False)


def test_the_assessment_task_is_overdue_the_day_after_its_deadline(caseworker_in_area, manager, commune):
    with at(0):
        case = make_case(caseworker_in_area, commune, risk_level="high")
        assert case_overdue_tasks(case) == []
    with at(1):
        assert case_overdue_tasks(case) == []  # due today: not yet late
    with at(2):
        [task] = case_overdue_tasks(case)
        assert task.kind == "assessment"
        home = caseworker_home(user=caseworker_in_area)
        assert home["overdue_task_count"] == 1
        assert [c.overdue_tasks for c in home["cases_by_risk"]["high"]] == [1]
        assert manager_dashboard(user=manager)["overdue_tasks_by_risk"] == {"high": 1}
        assert list(case_list(user=caseworker_in_area, filters={"overdue": True})) == [case]
        assessment_record(actor=caseworker_in_area, case=case, risk_level="high")
        assert case_overdue_tasks(case) == []


def test_a_done_task_or_a_closed_case_is_never_overdue(caseworker_in_area, commune):
    with at(0):
        first = make_case(caseworker_in_area, commune)
        second = make_case(caseworker_in_area, commune, given_name="Kadiatou")
    with at(10):
        task_complete(actor=caseworker_in_area, task=first.tasks.get())
        case_close(actor=caseworker_in_area, case=second, reason="moved")
        second.refresh_from_db()
        assert case_overdue_tasks(first) == [] and case_overdue_tasks(second) == []


def test_plan_actions_past_their_date_are_overdue(caseworker_in_area, commune):
    with at(0):
        case = make_case(caseworker_in_area, commune)
        assessed_and_planned(caseworker_in_area, case)  # actions due in 7 days
    with at(7):
        assert case_overdue_actions(case) == []
    with at(8):
        assert len(case_overdue_actions(case)) == 1


def test_referrals_past_their_respond_by_are_flagged(caseworker_in_area, focal_point, beta, commune):
    with at(0):
        case = make_case(caseworker_in_area, commune)
        consent_for(caseworker_in_area, case)
        referral = make_referral(caseworker_in_area, case, make_service(beta, commune), urgency="emergency")
        assert referral.respond_by == timezone.now() + datetime.timedelta(hours=12)
    with at(0, hours=11):
        assert not referral_overdue(user=focal_point).exists()
    with at(0, hours=13):
        assert list(referral_overdue(user=focal_point).values_list("pk", flat=True)) == [referral.pk]
        assert list(referral_overdue(user=caseworker_in_area, side="sent")) == [referral]
        assert [r.reference for r in caseworker_home(user=caseworker_in_area)["referrals_overdue"]] == [
            referral.reference
        ]
