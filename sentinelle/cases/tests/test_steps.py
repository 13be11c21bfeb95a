"""The case management step is computed from what was recorded (standards §4), never typed."""

import datetime

import pytest
from django.utils import timezone

from sentinelle.cases.models import Case, CaseStep
from sentinelle.cases.selectors.cases import case_step, case_steps
from sentinelle.cases.services.cases import (
    approval_decide,
    assessment_record,
    case_close,
    case_plan_save,
    case_plan_submit_for_approval,
    follow_up_record,
    plan_action_complete,
)
from sentinelle.cases.tests.factories_cases import (
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
    plan_actions,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Mopti")


def fresh(case):
    return Case.objects.select_related("organisation").get(pk=case.pk)


def test_the_six_steps_in_order(caseworker_in_area, focal_point, beta, commune):
    case = make_case(caseworker_in_area, commune)
    assert case_step(fresh(case)) == CaseStep.REGISTRATION
    assessment_record(actor=caseworker_in_area, case=case, risk_level="high", needs=["health"])
    assert case_step(fresh(case)) == CaseStep.ASSESSMENT
    plan = case_plan_save(actor=caseworker_in_area, case=case, actions=plan_actions("health"))
    assert case_step(fresh(case)) == CaseStep.CASE_PLAN
    consent_for(caseworker_in_area, case, organisations=[beta])
    service = make_service(beta, commune, "health", focal_points=[focal_point])
    make_referral(caseworker_in_area, case, service, plan_action=plan.actions.get())
    assert case_step(fresh(case)) == CaseStep.IMPLEMENTATION
    follow_up_record(actor=caseworker_in_area, case=case, date=timezone.localdate(), kind="call")
    assert case_step(fresh(case)) == CaseStep.FOLLOW_UP
    case_close(actor=caseworker_in_area, case=case, reason="needs_met")
    assert case_step(fresh(case)) == CaseStep.CLOSURE


def test_a_plan_awaiting_approval_is_not_yet_in_force(caseworker_in_area, manager, alpha, commune):
    alpha.requires_supervisor_approval = True
    alpha.save()
    case = make_case(caseworker_in_area, commune)
    assessment_record(actor=caseworker_in_area, case=case, risk_level="low")
    plan = case_plan_save(actor=caseworker_in_area, case=case, actions=plan_actions("pss"))
    assert case_step(fresh(case)) == CaseStep.ASSESSMENT
    approval = case_plan_submit_for_approval(actor=caseworker_in_area, plan=plan)
    assert case_step(fresh(case)) == CaseStep.ASSESSMENT
    approval_decide(actor=manager, approval=approval, approve=True)
    assert case_step(fresh(case)) == CaseStep.CASE_PLAN


def test_an_action_done_means_implementation(caseworker_in_area, commune):
    case = make_case(caseworker_in_area, commune)
    assessment_record(actor=caseworker_in_area, case=case, risk_level="medium")
    plan = case_plan_save(actor=caseworker_in_area, case=case, actions=plan_actions("legal"))
    plan_action_complete(actor=caseworker_in_area, action=plan.actions.get())
    assert case_step(fresh(case)) == CaseStep.IMPLEMENTATION


def test_an_emergency_referral_before_assessment_stays_at_registration(
    caseworker_in_area, focal_point, beta, commune
):
    case = make_case(caseworker_in_area, commune)
    consent_for(caseworker_in_area, case)
    make_referral(caseworker_in_area, case, make_service(beta, commune, "health"), urgency="emergency")
    assert case_step(fresh(case)) == CaseStep.REGISTRATION


def test_a_follow_up_before_the_plan_does_not_count(caseworker_in_area, commune):
    case = make_case(caseworker_in_area, commune)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    type(case).objects.filter(pk=case.pk).update(opened_on=yesterday - datetime.timedelta(days=5))
    case.refresh_from_db()
    assessment_record(actor=caseworker_in_area, case=case, risk_level="low", assessed_on=yesterday)
    follow_up_record(actor=caseworker_in_area, case=case, date=yesterday, kind="visit")
    case_plan_save(actor=caseworker_in_area, case=case, actions=plan_actions("health"))
    assert case_step(fresh(case)) == CaseStep.CASE_PLAN


def test_steps_of_many_cases_in_constant_queries(django_assert_max_num_queries, caseworker_in_area, commune):
    cases = [make_case(caseworker_in_area, commune, given_name=f"Awa{i}") for i in range(6)]
    for case in cases[:3]:
        assessment_record(actor=caseworker_in_area, case=case, risk_level="low")
    loaded = list(Case.objects.select_related("organisation").filter(pk__in=[c.pk for c in cases]))
    with django_assert_max_num_queries(5):
        steps = case_steps(loaded)
    assert sorted(steps.values()) == sorted([CaseStep.ASSESSMENT] * 3 + [CaseStep.REGISTRATION] * 3)
