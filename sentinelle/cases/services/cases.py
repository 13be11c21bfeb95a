"""Writes of a case through the six steps (standards §4): open, assess, plan (with approval when the
organisation asks for it), follow up, close (idem) and reopen; tasks with due dates and notes.

Every service checks the policy first (a refusal is audited, raises PermissionDenied and writes nothing
else), validates (ValidationError, French once translated), writes in one transaction with one audit
entry on the case (action CREATE when opened, UPDATE with an "event" otherwise, so the case's history is
found by its public id), and sends mail after commit. Audit details hold codes and references, never
free text: a note or a reason may name someone.

Collaborators, transfers and break-the-glass access live in case_team.py, individual protection
assistance in assistance.py, case plans and approvals in case_plans.py; all are re-exported here.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Assessment,
    Case,
    CaseNote,
    CasePlan,
    CaseStatus,
    CaseType,
    ClosureReason,
    FollowUp,
    RiskLevel,
    Task,
    TaskKind,
)
from sentinelle.cases.rollups import case_rollups_refresh
from sentinelle.cases.tasks import tracing_case_match
from sentinelle.core import validation
from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure, refuse
from sentinelle.core.tasks import enqueue_after_commit
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
    new_reference,
    refused,
    required_text,
    requires_approval,
    resolve_organisation,
    task_title,
    touch,
)
from .assistance import assistance_approve, assistance_cancel, assistance_disburse, assistance_request
from .case_plans import (
    approval_decide,
    case_plan_save,
    case_plan_submit_for_approval,
    plan_action_complete,
    plan_in_force,
)
from .case_team import break_glass_open, case_assign, transfer_accept, transfer_decline, transfer_request
from .versions import field_versions_bump

__all__ = [
    "approval_decide",
    "assessment_record",
    "assistance_approve",
    "assistance_cancel",
    "assistance_disburse",
    "assistance_request",
    "break_glass_open",
    "case_assign",
    "case_close",
    "case_open",
    "case_plan_save",
    "case_plan_submit_for_approval",
    "case_reopen",
    "follow_up_record",
    "note_add",
    "plan_action_complete",
    "task_add",
    "task_complete",
    "transfer_accept",
    "transfer_decline",
    "transfer_request",
]

PlanStatus = CasePlan.Status


# --- Step 1: registration -------------------------------------------------------------------------


def _check_incident(actor, incident, organisation, request, errors: Errors) -> None:
    """The incident is the organisation's, visible to the actor, and not already followed by an open case."""
    ensure(actor, Perm.INCIDENT_VIEW, incident, request=request, message=refused())
    if incident.organisation_id != organisation.pk:
        refuse(actor, Perm.INCIDENT_VIEW, message=refused(), obj=incident, request=request)
    existing = Case.objects.filter(incident=incident, status=CaseStatus.OPEN).first()
    if existing is not None:
        errors.add(
            "incident",
            gettext("This incident is already followed by the open case %(number)s.")
            % {"number": existing.case_number},
        )


def case_open(
    *,
    actor,
    person,
    case_type: str,
    organisation=None,
    risk_level: str = "",
    protection_concerns=(),
    incident=None,
    opened_on: date | None = None,
    request=None,
) -> Case:
    """Open a case for a person (step 1). The actor becomes its case worker; an assessment task is due
    within the response deadline of the risk level (SENTINELLE["RESPONSE_DEADLINES"])."""
    organisation = resolve_organisation(
        actor, organisation, Perm.CASE_CREATE, object_type="cases.case", request=request
    )
    ensure(
        actor,
        Perm.CASE_CREATE,
        organisation=organisation,
        area=person.area,
        request=request,
        message=gettext("This person's commune is outside your areas of responsibility."),
        object_type="cases.case",
    )
    ensure(actor, Perm.PERSON_VIEW, person, request=request, message=refused())
    errors = Errors()
    if incident is not None:
        _check_incident(actor, incident, organisation, request, errors)
    check_choice(errors, case_type, CaseType, field="case_type")
    check_choice(errors, risk_level, RiskLevel, field="risk_level", allow_blank=True)
    opened_on = check_date(errors, opened_on or timezone.localdate(), field="opened_on")
    if person.merged_into_id is not None:
        errors.add(
            "person", gettext("This person was merged into another record: open the case on that record.")
        )
    errors.raise_if_any()
    concerns = [str(c).strip() for c in protection_concerns if str(c).strip()]
    with transaction.atomic():
        case = Case.objects.create(
            case_number=new_reference(Case, "case_number", "CAS"),
            person=person,
            case_type=case_type,
            organisation=organisation,
            owner=actor,
            area=person.area,
            risk_level=risk_level,
            opened_on=opened_on,
            protection_concerns=concerns,
            incident=incident,
            created_by=actor,
            updated_by=actor,
        )
        due = opened_on + timedelta(days=deadline_days("RESPONSE_DEADLINES", risk_level))
        ensure_task(case, TaskKind.ASSESSMENT, due, task_title(TaskKind.ASSESSMENT))
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=case,
            organisation=organisation,
            request=request,
            detail={
                "case_number": case.case_number,
                "case_type": case_type,
                "risk_level": risk_level,
                "person": person.person_code,
                "incident": incident.reference if incident is not None else "",
            },
        )
        case_rollups_refresh(case_ids=[case.pk])
        figures_changed("cases")
        if case_type == CaseType.CHILD_PROTECTION:
            # A family may already be looking for this child (the match needs tracing consent).
            enqueue_after_commit(tracing_case_match, case_id=case.pk)
    return case


# --- Step 2: assessment ---------------------------------------------------------------------------


def _check_needs(errors: Errors, needs) -> list[str]:
    needs = list(dict.fromkeys(needs))
    for need in needs:
        check_choice(errors, need, ServiceType, field="needs")
    return needs


def assessment_record(
    *,
    actor,
    case: Case,
    risk_level: str,
    assessed_on: date | None = None,
    needs=(),
    summary: str = "",
    request=None,
) -> Assessment:
    """Record an assessment (step 2): sets the case's risk level, closes the assessment task and sets the
    case plan's deadline (SENTINELLE["CASE_PLAN_DEADLINES"])."""
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    errors = Errors()
    check_choice(errors, risk_level, RiskLevel, field="risk_level")
    assessed_on = check_date(
        errors, assessed_on or timezone.localdate(), field="assessed_on", not_before=case.opened_on
    )
    needs = _check_needs(errors, needs)
    errors.raise_if_any()
    today = timezone.localdate()
    with transaction.atomic():
        case = lock_open(case)
        assessment = Assessment.objects.create(
            case=case,
            assessed_on=assessed_on,
            risk_level=risk_level,
            needs=needs,
            summary=summary.strip(),
            created_by=actor,
            updated_by=actor,
        )
        if case.risk_level != risk_level:
            field_versions_bump(Case, case.pk, ["risk_level"], actor=actor)
        case.risk_level = risk_level
        touch(case, actor, "risk_level")
        close_tasks(case, TaskKind.ASSESSMENT, today)
        if not CasePlan.objects.filter(case=case, is_archived=False).exists():
            due = assessed_on + timedelta(days=deadline_days("CASE_PLAN_DEADLINES", risk_level))
            ensure_task(case, TaskKind.CASE_PLAN, due, task_title(TaskKind.CASE_PLAN))
        audit_case(
            actor,
            case,
            "assessment_recorded",
            request,
            assessment=str(assessment.public_id),
            risk_level=risk_level,
            needs=needs,
        )
    return assessment


# --- Steps 4-5: implementation and follow-up ------------------------------------------------------


def follow_up_record(
    *,
    actor,
    case: Case,
    date: date,
    kind: str,
    notes: str = "",
    plan_reviewed: bool = False,
    next_follow_up_on: date | None = None,
    request=None,
) -> FollowUp:
    """Record a follow-up (step 5); the next one is due on `next_follow_up_on`, or after the follow-up
    deadline of the risk level (SENTINELLE["FOLLOW_UP_DEADLINES"]) while a plan is in force."""
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    errors = Errors()
    check_date(errors, date, field="date", not_before=case.opened_on)
    check_choice(errors, kind, FollowUp.Kind, field="kind")
    if date is not None and next_follow_up_on is not None and next_follow_up_on <= date:
        errors.add("next_follow_up_on", gettext("The next follow-up must come after this one."))
    errors.raise_if_any()
    today = timezone.localdate()
    with transaction.atomic():
        case = lock_open(case)
        follow_up = FollowUp.objects.create(
            case=case,
            date=date,
            kind=kind,
            notes=notes.strip(),
            plan_reviewed=plan_reviewed,
            created_by=actor,
            updated_by=actor,
        )
        close_tasks(case, TaskKind.FOLLOW_UP, today)
        if next_follow_up_on is None and plan_in_force(case) is not None:
            next_follow_up_on = date + timedelta(days=deadline_days("FOLLOW_UP_DEADLINES", case.risk_level))
        if next_follow_up_on is not None:
            ensure_task(case, TaskKind.FOLLOW_UP, next_follow_up_on, task_title(TaskKind.FOLLOW_UP))
        touch(case, actor)
        audit_case(actor, case, "follow_up_recorded", request, follow_up=str(follow_up.public_id))
    return follow_up


def task_add(
    *, actor, case: Case, title: str, due_on: date, assigned_to=None, kind: str = TaskKind.OTHER, request=None
) -> Task:
    """Add a task with a due date (assigned to the case worker unless someone else on the case is named)."""
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    errors = Errors()
    title = required_text(errors, title, field="title")[:200]
    check_choice(errors, kind, TaskKind, field="kind")
    assigned_to = assigned_to or case.owner
    if assigned_to.pk != case.owner_id and not case.collaborators.filter(pk=assigned_to.pk).exists():
        errors.add(
            "assigned_to", gettext("A task is assigned to the case worker or someone assigned to the case.")
        )
    errors.raise_if_any()
    with transaction.atomic():
        case = lock_open(case)
        task = Task.objects.create(
            case=case, kind=kind, title=title, due_on=due_on, assigned_to=assigned_to, created_by=actor
        )
        audit_case(actor, case, "task_added", request, task=str(task.public_id), kind=kind)
    return task


def task_complete(*, actor, task: Task, done_on: date | None = None, request=None) -> Task:
    ensure(actor, Perm.CASE_EDIT, task.case, request=request, message=refused())
    errors = Errors()
    done_on = check_date(errors, done_on or timezone.localdate(), field="done_on")
    errors.raise_if_any()
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.done_on is not None:
            validation.refuse(gettext("This task is already done."))
        task.done_on = done_on
        task.updated_by = actor
        task.save(update_fields=["done_on", "updated_by", "updated_at"])
        audit_case(actor, task.case, "task_done", request, task=str(task.public_id), kind=task.kind)
    return task


def note_add(*, actor, case: Case, text: str, request=None) -> CaseNote:
    """A note on the case (encrypted; also on a closed case)."""
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    errors = Errors()
    text = required_text(errors, text, field="text")
    errors.raise_if_any()
    with transaction.atomic():
        note = CaseNote.objects.create(case=case, text=text, created_by=actor, updated_by=actor)
        audit_case(actor, case, "note_added", request, note=str(note.public_id))
    return note


# --- Step 6: closure --------------------------------------------------------------------------------


def case_close(*, actor, case: Case, reason: str, note: str = "", request=None) -> Case:
    """Close the case (step 6) with a reason, its open tasks with it (closed with the same reason), or,
    when the organisation requires it, ask a manager to approve the closure (the case and its tasks stay
    open until then; see approval_decide)."""
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    errors = Errors()
    check_choice(errors, reason, ClosureReason, field="reason")
    errors.raise_if_any()
    today = timezone.localdate()
    with transaction.atomic():
        case = lock_open(case)
        if requires_approval(case):
            if Approval.objects.filter(
                case=case, kind=ApprovalKind.CLOSURE, status=ApprovalStatus.REQUESTED
            ).exists():
                validation.refuse(gettext("The closure of this case is already awaiting approval."))
            Approval.objects.create(
                case=case,
                kind=ApprovalKind.CLOSURE,
                closure_reason=reason,
                created_by=actor,
                updated_by=actor,
            )
            # The note waits on the case (encrypted) until the closure is decided.
            case.closure_note = note.strip()
            touch(case, actor, "closure_note")
            audit_case(actor, case, "approval_requested", request, kind=ApprovalKind.CLOSURE, reason=reason)
        else:
            tasks_closed = apply_closure(case, actor, reason, note.strip(), today)
            audit_case(actor, case, "closed", request, reason=reason, tasks_closed=tasks_closed)
    return case


def case_reopen(*, actor, case: Case, reason: str, request=None) -> Case:
    """Reopen a closed case; the reason is kept as a note (encrypted)."""
    ensure(actor, Perm.CASE_EDIT, case, request=request, message=refused())
    errors = Errors()
    reason = required_text(errors, reason, field="reason")
    errors.raise_if_any()
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=case.pk)
        if case.status != CaseStatus.CLOSED:
            validation.refuse(gettext("Only a closed case can be reopened."))
        case.status = CaseStatus.OPEN
        case.closed_on = None
        case.closure_reason = ""
        touch(case, actor, "status", "closed_on", "closure_reason")
        CaseNote.objects.create(
            case=case,
            text=gettext("Case reopened: %(reason)s") % {"reason": reason},
            created_by=actor,
            updated_by=actor,
        )
        audit_case(actor, case, "reopened", request)
    return case
