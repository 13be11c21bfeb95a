"""Step 3 of a case: the case plan with its actions, and the supervisor approvals of plans and closures
(when the organisation asks for them)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Case,
    CasePlan,
    CasePlanAction,
    CaseStatus,
    TaskKind,
)
from sentinelle.core import validation
from sentinelle.core.permissions import Perm, ensure
from sentinelle.core.validation import Errors
from sentinelle.directory.models import ServiceType

from ._casework import (
    apply_closure,
    audit_case,
    check_choice,
    check_date,
    close_tasks,
    deadline_days,
    ensure_task,
    lock_open,
    refused,
    required_text,
    requires_approval,
    task_title,
    touch,
)

PlanStatus = CasePlan.Status


# --- ----------------------------------------------------------------------------


def _clean_actions(errors: Errors, actions) -> list[dict]:
    cleaned = []
    for index, action in enumerate(actions, start=1):
        field = f"actions.{index}"
        need = action.get("need", "")
        check_choice(errors, need, ServiceType, field=f"{field}.need")
        due_on = action.get("due_on")
        if not isinstance(due_on, date):
            errors.add(f"{field}.due_on", gettext("Enter a date."))
        description = required_text(errors, action.get("description", ""), field=f"{field}.description")
        responsible = required_text(errors, action.get("responsible", ""), field=f"{field}.responsible")
        cleaned.append(
            {
                "id": action.get("id"),
                "need": need,
                "description": description,
                "responsible": responsible[:200],
                "due_on": due_on,
            }
        )
    return cleaned


def plan_in_force(case: Case) -> CasePlan | None:
    """The plan the case follows: the latest approved one, or, when no approval is required, the latest
    saved one (draft or approved)."""
    statuses = [PlanStatus.APPROVED]
    if not requires_approval(case):
        statuses.append(PlanStatus.DRAFT)
    return (
        CasePlan.objects.filter(case=case, is_archived=False, status__in=statuses)
        .order_by("-created_at")
        .first()
    )


def _plan_takes_effect(case: Case, plan: CasePlan, today: date) -> None:
    close_tasks(case, TaskKind.CASE_PLAN, today)
    due = plan.review_on or today + timedelta(days=deadline_days("FOLLOW_UP_DEADLINES", case.risk_level))
    ensure_task(case, TaskKind.FOLLOW_UP, due, task_title(TaskKind.FOLLOW_UP))


def case_plan_save(
    *, actor, case: Case, goals: str = "", review_on: date | None = None, actions=(), request=None
) -> CasePlan:
    """Save the case plan (step 3): its goals and actions (need, description, who, by when; pass an
    action's "id" to keep it, with its done date and referral). A draft or returned plan is edited in
    place; a plan awaiting approval cannot change; an approved plan that needs approval is followed by a
    new draft while it stays in force. Without an approval requirement the saved plan is in force."""
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    errors = Errors()
    cleaned = _clean_actions(errors, actions)
    if not cleaned:
        errors.add("actions", gettext("A case plan needs at least one action."))
    errors.raise_if_any()
    today = timezone.localdate()
    with transaction.atomic():
        case = lock_open(case)
        latest = CasePlan.objects.filter(case=case, is_archived=False).order_by("-created_at").first()
        if latest is not None and latest.status == PlanStatus.PENDING_APPROVAL:
            validation.refuse(gettext("The case plan is awaiting approval: it cannot be changed now."))
        previous = latest
        if latest is None or (latest.status == PlanStatus.APPROVED and requires_approval(case)):
            plan = CasePlan(case=case, created_by=actor)
        else:
            plan = latest
        plan.status = PlanStatus.APPROVED if plan.status == PlanStatus.APPROVED else PlanStatus.DRAFT
        plan.goals = goals.strip()
        plan.review_on = review_on
        plan.updated_by = actor
        plan.save()
        _write_actions(plan, previous, cleaned)
        if not requires_approval(case):
            _plan_takes_effect(case, plan, today)
        touch(case, actor)
        audit_case(actor, case, "case_plan_saved", request, plan=str(plan.public_id), actions=len(cleaned))
    return plan


def _write_actions(plan: CasePlan, previous: CasePlan | None, cleaned: list[dict]) -> None:
    """Replace the plan's actions; kept ids carry their done date and referral (also into a new version)."""
    sources = [plan] + ([previous] if previous is not None and previous.pk != plan.pk else [])
    known = {a.pk: a for a in CasePlanAction.objects.filter(plan__in=sources)}
    saved_ids = set()
    for item in cleaned:
        old = known.get(item["id"]) if item["id"] is not None else None
        if old is not None and old.plan_id == plan.pk:
            action = old
        else:
            action = CasePlanAction(plan=plan)
            if old is not None:
                action.done_on, action.referral_id = old.done_on, old.referral_id
        action.need = item["need"]
        action.description = item["description"]
        action.responsible = item["responsible"]
        action.due_on = item["due_on"]
        action.save()
        saved_ids.add(action.pk)
    removed = CasePlanAction.objects.filter(plan=plan).exclude(pk__in=saved_ids)
    if removed.filter(referral__isnull=False).exists():
        validation.refuse(gettext("An action with a referral cannot be removed from the plan."), "actions")
    removed.delete()


def case_plan_submit_for_approval(*, actor, plan: CasePlan, request=None) -> Approval:
    """Ask a manager to approve the case plan (organisations with requires_supervisor_approval)."""
    case = plan.case
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    with transaction.atomic():
        case = lock_open(case)
        plan = CasePlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status not in (PlanStatus.DRAFT, PlanStatus.REJECTED):
            validation.refuse(gettext("Only a draft or returned case plan can be submitted for approval."))
        if not plan.actions.exists():
            validation.refuse(gettext("A case plan needs at least one action."), "actions")
        plan.status = PlanStatus.PENDING_APPROVAL
        plan.updated_by = actor
        plan.save(update_fields=["status", "updated_by", "updated_at"])
        approval = Approval.objects.create(
            case=case, kind=ApprovalKind.CASE_PLAN, plan=plan, created_by=actor, updated_by=actor
        )
        audit_case(actor, case, "approval_requested", request, kind=ApprovalKind.CASE_PLAN)
    return approval


def approval_decide(*, actor, approval: Approval, approve: bool, note: str = "", request=None) -> Approval:
    """A manager approves or returns a case plan or a closure (Perm.CASE_APPROVE; never their own request)."""
    case = approval.case
    ensure(actor, Perm.CASE_APPROVE, case, request=request, message=refused())
    if approval.created_by_id == actor.pk:
        validation.refuse(gettext("Another manager must decide on a request you made yourself."))
    errors = Errors()
    if not approve:
        note = required_text(errors, note, field="note")
    errors.raise_if_any()
    today = timezone.localdate()
    with transaction.atomic():
        approval = Approval.objects.select_for_update(of=("self",)).select_related("plan").get(pk=approval.pk)
        if approval.status != ApprovalStatus.REQUESTED:
            validation.refuse(gettext("This request was already decided."))
        case = Case.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=case.pk)
        approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        approval.decided_by = actor
        approval.decided_at = timezone.now()
        approval.note = note.strip()
        approval.updated_by = actor
        approval.save()
        if approval.kind == ApprovalKind.CASE_PLAN and approval.plan is not None:
            approval.plan.status = PlanStatus.APPROVED if approve else PlanStatus.REJECTED
            approval.plan.updated_by = actor
            approval.plan.save(update_fields=["status", "updated_by", "updated_at"])
            if approve:
                _plan_takes_effect(case, approval.plan, today)
        tasks_closed = {}
        if approval.kind == ApprovalKind.CLOSURE:
            if approve and case.status == CaseStatus.OPEN:
                closed = apply_closure(case, actor, approval.closure_reason, case.closure_note, today)
                tasks_closed = {"tasks_closed": closed}
            elif not approve:
                case.closure_note = ""
                touch(case, actor, "closure_note")
        audit_case(
            actor,
            case,
            "approval_decided",
            request,
            kind=approval.kind,
            status=approval.status,
            **tasks_closed,
        )
    return approval


def plan_action_complete(*, actor, action: CasePlanAction, done_on: date | None = None, request=None):
    """Mark a case plan action done (a referral's completion does it by itself)."""
    case = action.plan.case
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    errors = Errors()
    done_on = check_date(errors, done_on or timezone.localdate(), field="done_on")
    errors.raise_if_any()
    with transaction.atomic():
        case = lock_open(case)
        if action.done_on is not None:
            validation.refuse(gettext("This action is already done."))
        action.done_on = done_on
        action.save(update_fields=["done_on"])
        audit_case(actor, case, "plan_action_done", request, action=action.pk)
    return action
