"""Closing a case closes its open tasks with the closure's reason (issue 15, item 9), in the one transaction
and under the one audit entry of the closure; a refused or awaiting closure leaves the tasks as they were."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from sentinelle.cases.models import Approval, CaseStatus, Task, TaskKind
from sentinelle.cases.selectors.cases import caseworker_home
from sentinelle.cases.services.cases import (
    approval_decide,
    assessment_record,
    case_close,
    task_add,
    task_complete,
)
from sentinelle.cases.tests.factories_cases import commune_in, make_case
from sentinelle.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Douentza")


@pytest.fixture
def case(caseworker_in_area, commune):
    """A case with the case plan to write (the "Plan d'action à établir" of the issue), a call to make and
    a task already done."""
    case = make_case(caseworker_in_area, commune)
    assessment_record(actor=caseworker_in_area, case=case, risk_level="medium")
    today = timezone.localdate()
    task_add(actor=caseworker_in_area, case=case, title="Appeler la famille", due_on=today)
    done = task_add(actor=caseworker_in_area, case=case, title="Visite", due_on=today)
    task_complete(actor=caseworker_in_area, task=done, done_on=today - datetime.timedelta(days=1))
    return case


def closure_entries(case):
    return AuditEntry.objects.filter(object_id=str(case.public_id), detail__event="closed")


def test_closing_a_case_leaves_no_open_task(caseworker_in_area, case):
    assert case.tasks.filter(done_on__isnull=True, kind=TaskKind.CASE_PLAN).exists()

    case_close(actor=caseworker_in_area, case=case, reason="moved")

    assert not case.tasks.filter(done_on__isnull=True).exists()
    closed = case.tasks.filter(closure_reason="moved")
    assert sorted(closed.values_list("kind", flat=True)) == [TaskKind.CASE_PLAN, TaskKind.OTHER]
    assert set(closed.values_list("done_on", flat=True)) == {timezone.localdate()}
    done = case.tasks.get(title="Visite")
    assert (done.closure_reason, done.done_on) == ("", timezone.localdate() - datetime.timedelta(days=1))
    (entry,) = closure_entries(case)
    assert entry.detail["reason"] == "moved" and entry.detail["tasks_closed"] == 2


def test_the_case_workers_home_no_longer_counts_the_closed_cases_tasks(caseworker_in_area, case):
    Task.objects.filter(case=case).update(due_on=timezone.localdate() - datetime.timedelta(days=30))
    before = len(caseworker_home(user=caseworker_in_area)["tasks"])

    case_close(actor=caseworker_in_area, case=case, reason="needs_met")

    assert before == 3 - 1  # the two open tasks; the done one was never counted
    assert caseworker_home(user=caseworker_in_area)["tasks"] == []


def test_a_refused_closure_changes_nothing(caseworker_other_area, case):
    open_before = list(case.tasks.filter(done_on__isnull=True).values_list("pk", flat=True))

    with pytest.raises(PermissionDenied):
        case_close(actor=caseworker_other_area, case=case, reason="moved")

    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert list(case.tasks.filter(done_on__isnull=True).values_list("pk", flat=True)) == open_before
    assert not case.tasks.exclude(closure_reason="").exists()
    assert not closure_entries(case).exists()


def test_an_invalid_reason_changes_nothing(caseworker_in_area, case):
    with pytest.raises(ValidationError):
        case_close(actor=caseworker_in_area, case=case, reason="bored")

    assert case.tasks.filter(done_on__isnull=True).count() == 2


def test_tasks_wait_for_the_approval_and_close_with_it(caseworker_in_area, manager, alpha, case):
    alpha.requires_supervisor_approval = True
    alpha.save()

    case_close(actor=caseworker_in_area, case=case, reason="needs_met")
    assert case.tasks.filter(done_on__isnull=True).count() == 2

    approval_decide(actor=manager, approval=Approval.objects.get(case=case), approve=True)

    assert not case.tasks.filter(done_on__isnull=True).exists()
    assert case.tasks.filter(closure_reason="needs_met").count() == 2
    entry = AuditEntry.objects.get(object_id=str(case.public_id), detail__event="approval_decided")
    assert entry.detail["tasks_closed"] == 2


def test_the_case_page_shows_the_tasks_closed_with_the_case(signed_in, caseworker_in_area, case):
    case_close(actor=caseworker_in_area, case=case, reason="moved")

    response = signed_in(caseworker_in_area).get(reverse("cases:case-detail", args=[case.public_id]))

    page = response.content.decode()
    assert page.count('data-testid="task-closed-with-case"') == 2
    assert "Étape\u00a0:" in page or "Step:" in page
