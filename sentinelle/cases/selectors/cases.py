"""Reads of cases, always scoped through the policy: lists, one case (audited), its file, the step it is
at, overdue tasks, who saw it, and the case worker's and manager's home pages.

The step is computed from what was recorded (standards §4), never stored:
  registration   the case is open, nothing else yet
  assessment     an assessment exists
  case_plan      a plan is in force: approved, or saved when the organisation requires no approval
  implementation the plan is under way: an action done or a referral made (not cancelled) since the plan
  follow_up      a follow-up recorded on or after the day the plan was made
  closure        the case is closed
Each step needs the ones before it: an emergency referral made before any assessment leaves the case at
registration until it is assessed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import (
    Approval,
    ApprovalStatus,
    Assistance,
    BreakGlassAccess,
    Case,
    CasePlan,
    CasePlanAction,
    CaseStatus,
    CaseStep,
    Consent,
    FollowUp,
    Person,
    Referral,
    ReferralEvent,
    ReferralStatus,
    RiskLevel,
    Task,
    Transfer,
)
from sentinelle.core.crypto import keyed_hash
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.core.permissions import (
    Perm,
    audit_refusal,
    get_object_for_user,
    has_perm,
    is_member_for,
    organisations_in_scope,
    refuse,
    scope_queryset,
)

__all__ = [
    "CaseFilters",
    "break_glass_miss",
    "case_file",
    "case_for_break_glass",
    "case_get",
    "case_list",
    "case_overdue_actions",
    "case_overdue_tasks",
    "case_step",
    "case_steps",
    "case_who_saw",
    "caseworker_home",
    "manager_dashboard",
    "person_cases",
    "scoped_cases",
    "transfers_received",
]

PlanStatus = CasePlan.Status
RISK_ORDER = [RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW, ""]
ACTIVE_REFERRAL = [ReferralStatus.PENDING, ReferralStatus.ACCEPTED]
# How far back the home page shows answers to the case worker's referrals and break-the-glass notices.
RECENT_DAYS = 14
BREAK_GLASS_NOTICE_DAYS = 30


def scoped_cases(user, perm: Perm = Perm.CASE_VIEW) -> QuerySet:
    """The cases the user may `perm`: the policy's filter applies to the case table itself (no join, no
    DISTINCT), so that a page of the newest cases reads from an index."""
    return scope_queryset(user, Case.objects.filter(is_archived=False), perm)


def _overdue_tasks_count(today: date):
    counts = (
        Task.objects.filter(case=OuterRef("pk"), done_on__isnull=True, due_on__lt=today, is_archived=False)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _active_referrals_count():
    counts = (
        Referral.objects.filter(case=OuterRef("pk"), status__in=ACTIVE_REFERRAL)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def with_counts(cases: QuerySet, today: date | None = None) -> QuerySet:
    """Cases with `overdue_tasks` and `active_referrals` counted in the same query."""
    today = today or timezone.localdate()
    return cases.annotate(
        overdue_tasks=_overdue_tasks_count(today), active_referrals=_active_referrals_count()
    )


@dataclass
class CaseFilters:
    status: str = ""
    case_type: str = ""
    risk_level: str = ""
    # An AdminArea or its public id: the case's area within that subtree.
    area: object = None
    organisation: object = None
    mine: bool = False
    # A case number (or its beginning); names are searched through the persons' search, never here.
    q: str = ""
    opened_from: date | None = None
    opened_to: date | None = None
    overdue: bool = False


def _area(value):
    from sentinelle.geography.models import AdminArea

    if value is None or value == "" or isinstance(value, AdminArea):
        return value or None
    return AdminArea.objects.filter(public_id=value).first()


def case_list(*, user, filters: CaseFilters | dict | None = None) -> QuerySet:
    """The user's cases (Perm.CASE_VIEW), filtered, newest first, with counts, in one query.

    No related row is joined: the list shows the case's own fields, and a caller that needs the person or
    the area asks for them (joining the encrypted person row cost a decryption per case shown)."""
    if isinstance(filters, dict) or filters is None:
        filters = CaseFilters(**(filters or {}))
    cases = scoped_cases(user)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.case_type:
        cases = cases.filter(case_type=filters.case_type)
    if filters.risk_level:
        cases = cases.filter(risk_level="" if filters.risk_level == "none" else filters.risk_level)
    area = _area(filters.area)
    if area is not None:
        cases = cases.filter(area__version_id=area.version_id, area__path__startswith=area.path)
    if filters.organisation:
        organisation = filters.organisation
        cases = cases.filter(
            organisation__public_id=organisation
            if not hasattr(organisation, "pk")
            else organisation.public_id
        )
    if filters.mine:
        cases = cases.filter(
            Q(owner=user) | Q(pk__in=Case.collaborators.through.objects.filter(user=user).values("case"))
        )
    if filters.q:
        cases = cases.filter(case_number__istartswith=filters.q.strip())
    if filters.opened_from:
        cases = cases.filter(opened_on__gte=filters.opened_from)
    if filters.opened_to:
        cases = cases.filter(opened_on__lte=filters.opened_to)
    cases = with_counts(cases)
    if filters.overdue:
        cases = cases.filter(overdue_tasks__gt=0)
    return cases.order_by("-opened_on", "-id")


def case_get(*, user, public_id, request=None) -> Case:
    """One case the user may see (Http404 otherwise, alike); the read is audited."""
    queryset = Case.objects.filter(is_archived=False).select_related(
        "person", "area", "owner", "organisation"
    )
    return get_object_for_user(user, queryset, public_id, Perm.CASE_VIEW, request=request)


# --- Steps -----------------------------------------------------------------------------------------


def case_steps(cases) -> dict[int, str]:
    """{case id: CaseStep} for many cases in five queries, whatever their number."""
    cases = list(cases)
    steps: dict[int, str] = {}
    open_ids = []
    for case in cases:
        if case.status != CaseStatus.OPEN:
            steps[case.pk] = CaseStep.CLOSURE
        else:
            open_ids.append(case.pk)
    if not open_ids:
        return steps
    assessed = set(
        Case.objects.filter(pk__in=open_ids, assessments__is_archived=False).values_list("pk", flat=True)
    )
    plans: dict[int, list[tuple]] = defaultdict(list)
    for case_id, status, created_at in CasePlan.objects.filter(
        case_id__in=open_ids, is_archived=False
    ).values_list("case_id", "status", "created_at"):
        plans[case_id].append((status, created_at))
    actions_done = defaultdict(list)
    for case_id, done_on in CasePlanAction.objects.filter(
        plan__case_id__in=open_ids, done_on__isnull=False
    ).values_list("plan__case_id", "done_on"):
        actions_done[case_id].append(done_on)
    referrals = defaultdict(list)
    for case_id, created_at in (
        Referral.objects.filter(case_id__in=open_ids)
        .exclude(status=ReferralStatus.CANCELLED)
        .values_list("case_id", "created_at")
    ):
        referrals[case_id].append(timezone.localdate(created_at))
    follow_ups = defaultdict(list)
    for case_id, day in FollowUp.objects.filter(case_id__in=open_ids, is_archived=False).values_list(
        "case_id", "date"
    ):
        follow_ups[case_id].append(day)
    by_id = {c.pk: c for c in cases}
    for case_id in open_ids:
        steps[case_id] = _step(
            by_id[case_id],
            case_id in assessed,
            plans[case_id],
            actions_done[case_id],
            referrals[case_id],
            follow_ups[case_id],
        )
    return steps


def _step(case, assessed, plans, actions_done, referrals, follow_ups) -> str:
    if not assessed:
        return CaseStep.REGISTRATION
    in_force = {PlanStatus.APPROVED}
    if not case.organisation.requires_supervisor_approval:
        in_force.add(PlanStatus.DRAFT)
    dates = [timezone.localdate(created) for status, created in plans if status in in_force]
    if not dates:
        return CaseStep.ASSESSMENT
    planned_on = min(dates)
    if any(day >= planned_on for day in follow_ups):
        return CaseStep.FOLLOW_UP
    if actions_done or any(day >= planned_on for day in referrals):
        return CaseStep.IMPLEMENTATION
    return CaseStep.CASE_PLAN


def case_step(case: Case) -> str:
    return case_steps([case])[case.pk]


# --- Tasks -----------------------------------------------------------------------------------------


def task_is_overdue(task: Task, today: date | None = None) -> bool:
    return task.done_on is None and task.due_on < (today or timezone.localdate())


def case_overdue_tasks(case: Case, *, today: date | None = None) -> list[Task]:
    """Open tasks past their due date (none on a closed case)."""
    if case.status != CaseStatus.OPEN:
        return []
    today = today or timezone.localdate()
    return list(
        Task.objects.filter(case=case, done_on__isnull=True, due_on__lt=today, is_archived=False)
        .select_related("assigned_to")
        .order_by("due_on", "id")
    )


def case_overdue_actions(case: Case, *, today: date | None = None) -> list[CasePlanAction]:
    """Actions of the case's plans not done by their date (none on a closed case)."""
    if case.status != CaseStatus.OPEN:
        return []
    today = today or timezone.localdate()
    return list(
        CasePlanAction.objects.filter(
            plan__case=case,
            plan__is_archived=False,
            plan__status__in=[PlanStatus.APPROVED, PlanStatus.DRAFT],
            done_on__isnull=True,
            due_on__lt=today,
        ).order_by("due_on", "id")
    )


# --- One case's file -------------------------------------------------------------------------------


def case_file(*, user, case: Case) -> dict:
    """Everything recorded on a case already fetched with case_get, in a constant number of queries.

    `person` is None when the user may see the case but not the person's identity.
    """
    today = timezone.localdate()
    now = timezone.now()
    person = case.person if has_perm(user, Perm.PERSON_VIEW, case.person) else None
    plans = list(
        case.plans.filter(is_archived=False)
        .prefetch_related(Prefetch("actions", queryset=CasePlanAction.objects.select_related("referral")))
        .order_by("-created_at")
    )
    tasks = list(
        case.tasks.filter(is_archived=False).select_related("assigned_to").order_by("done_on", "due_on")
    )
    for task in tasks:
        task.is_overdue = case.status == CaseStatus.OPEN and task_is_overdue(task, today)
    referrals = list(
        case.referrals.select_related("service__provider", "consent")
        .prefetch_related(Prefetch("events", queryset=ReferralEvent.objects.select_related("user")))
        .order_by("-created_at")
    )
    for referral in referrals:
        referral.is_overdue = referral.status == ReferralStatus.PENDING and referral.respond_by < now
    return {
        "case": case,
        "person": person,
        "step": case_step(case),
        "assessments": list(case.assessments.filter(is_archived=False).order_by("-assessed_on", "-id")),
        "plans": plans,
        "follow_ups": list(case.follow_ups.filter(is_archived=False).order_by("-date", "-id")),
        "tasks": tasks,
        "notes": list(
            case.notes.filter(is_archived=False).select_related("created_by").order_by("-created_at")
        ),
        "referrals": referrals,
        "consents": list(
            Consent.objects.filter(
                Q(case=case) | Q(case__isnull=True, person_id=case.person_id), is_archived=False
            )
            .prefetch_related("organisations")
            .order_by("-given_on", "-id")
        ),
        "approvals": list(case.approvals.select_related("created_by", "decided_by").order_by("-created_at")),
        "assistance": list(case.assistance.filter(is_archived=False).order_by("-created_at")),
        "transfers": list(case.transfers.select_related("from_user", "to_user", "to_organisation")),
        "break_glass": list(case.break_glass.select_related("user").order_by("-granted_at")),
        "collaborators": list(case.collaborators.all()),
    }


def case_who_saw(*, user, case: Case) -> list[dict]:
    """Who opened this case or its person's record, and who broke the glass to do it (newest first)."""
    if not has_perm(user, Perm.CASE_VIEW, case):
        refuse(user, Perm.CASE_VIEW, message=gettext("Not found."), exception=Http404, obj=case)
    ids = [str(case.public_id), str(case.person.public_id)]
    return list(
        AuditEntry.objects.filter(
            object_id__in=ids, action__in=[AuditAction.READ, AuditAction.BREAK_GLASS, AuditAction.EXPORT]
        )
        .order_by("-id")
        .values("username", "user_id", "at", "action", "object_type", "organisation__acronym")[:500]
    )


# --- Home pages ------------------------------------------------------------------------------------


def transfers_received(*, user) -> QuerySet:
    """Cases proposed to this user, awaiting their answer (they see the case number, type and risk only).

    Read by recipient rather than through the policy: until accepted the case is not theirs to open.
    """
    return Transfer.objects.filter(to_user=user, status=Transfer.Status.PENDING).select_related(
        "case", "from_user", "to_organisation"
    )


def caseworker_home(*, user) -> dict:
    """My open cases by risk (with step and overdue counts), my overdue and coming tasks, answers to my
    referrals, referrals received by my services, cases proposed to me, break-the-glass on my cases."""
    from sentinelle.cases.selectors.referrals import referral_queue_count

    today = timezone.localdate()
    now = timezone.now()
    assigned = Case.collaborators.through.objects.filter(user=user).values("case")
    mine = scoped_cases(user).filter(Q(owner=user) | Q(pk__in=assigned), status=CaseStatus.OPEN)
    cases = list(
        with_counts(mine, today).select_related("person", "area", "organisation").order_by("opened_on")
    )
    steps = case_steps(cases)
    by_risk: dict[str, list] = {risk: [] for risk in RISK_ORDER}
    for case in cases:
        case.step = steps[case.pk]
        by_risk[case.risk_level or ""].append(case)
    tasks = list(
        Task.objects.filter(
            case__in=mine, assigned_to=user, done_on__isnull=True, due_on__lte=today + timedelta(days=7)
        )
        .select_related("case")
        .order_by("due_on", "id")
    )
    for task in tasks:
        task.is_overdue = task_is_overdue(task, today)
    answered = list(
        Referral.objects.filter(case__in=mine, updated_at__gte=now - timedelta(days=RECENT_DAYS))
        .exclude(status=ReferralStatus.PENDING)
        .select_related("case", "service__provider")
        .order_by("-updated_at")
    )
    waiting = list(
        Referral.objects.filter(case__in=mine, status=ReferralStatus.PENDING, respond_by__lt=now)
        .select_related("case", "service__provider")
        .order_by("respond_by")
    )
    return {
        "cases_by_risk": by_risk,
        "case_count": len(cases),
        "tasks": tasks,
        "overdue_task_count": sum(1 for t in tasks if t.is_overdue),
        "referral_answers": answered,
        "referrals_overdue": waiting,
        # Counted, not loaded: a service may have tens of thousands waiting.
        "received_referral_count": (
            referral_queue_count(user=user) if has_perm(user, Perm.REFERRAL_RECEIVE) else 0
        ),
        "transfers_received": list(transfers_received(user=user)),
        "break_glass_notices": list(
            BreakGlassAccess.objects.filter(
                case__owner=user, granted_at__gte=now - timedelta(days=BREAK_GLASS_NOTICE_DAYS)
            )
            .select_related("case", "user")
            .order_by("-granted_at")
        ),
    }


def _organisation_cases(user) -> QuerySet:
    """The cases of the organisations the user manages (break-the-glass cases of others left out)."""
    cases = scoped_cases(user)
    organisations = organisations_in_scope(user, Perm.CASE_APPROVE)
    if organisations is not None:
        cases = cases.filter(organisation_id__in=organisations)
    return cases


def manager_dashboard(*, user) -> dict:
    """The organisation's case load by risk and type, case workers' loads, overdue tasks and referrals,
    and what waits for the manager's decision. A constant number of queries."""
    today = timezone.localdate()
    now = timezone.now()
    cases = _organisation_cases(user)
    open_cases = cases.filter(status=CaseStatus.OPEN)
    load: dict[str, dict[str, int]] = {risk: defaultdict(int) for risk in RISK_ORDER}
    for row in open_cases.values("risk_level", "case_type").annotate(n=Count("pk")).order_by():
        load[row["risk_level"] or ""][row["case_type"]] += row["n"]
    status_counts = {
        row["status"]: row["n"] for row in cases.values("status").annotate(n=Count("pk")).order_by()
    }
    overdue = Task.objects.filter(
        case__in=open_cases, done_on__isnull=True, due_on__lt=today, is_archived=False
    )
    overdue_by_risk = {
        row["case__risk_level"] or "": row["n"]
        for row in overdue.values("case__risk_level").annotate(n=Count("pk")).order_by()
    }
    caseload = list(
        open_cases.values("owner_id", "owner__username")
        .annotate(
            open=Count("pk"),
            high=Count("pk", filter=Q(risk_level=RiskLevel.HIGH)),
            unassessed=Count("pk", filter=Q(risk_level="")),
        )
        .order_by("-open", "owner__username")
    )
    received = scope_queryset(user, Referral.objects.all(), Perm.REFERRAL_RECEIVE)
    return {
        "open_by_risk": {risk: dict(types) for risk, types in load.items()},
        "status_counts": status_counts,
        "overdue_tasks_by_risk": overdue_by_risk,
        "overdue_tasks": list(overdue.select_related("case", "assigned_to").order_by("due_on", "id")[:50]),
        "caseload": caseload,
        "approvals": list(
            Approval.objects.filter(case__in=cases, status=ApprovalStatus.REQUESTED)
            .select_related("case", "created_by", "plan")
            .order_by("created_at")
        ),
        "assistance_to_approve": list(
            Assistance.objects.filter(case__in=cases, status=Assistance.Status.REQUESTED)
            .select_related("case")
            .order_by("created_at")
        ),
        "referrals_sent_overdue": list(
            Referral.objects.filter(case__in=open_cases, status=ReferralStatus.PENDING, respond_by__lt=now)
            .select_related("case", "service__provider")
            .order_by("respond_by")
        ),
        "referrals_received_overdue": list(
            Referral.objects.filter(
                pk__in=received.values("pk"), status=ReferralStatus.PENDING, respond_by__lt=now
            )
            .select_related("service")
            .only("public_id", "reference", "service_type", "urgency", "respond_by", "service__name")
            .order_by("respond_by")
        ),
        "transfers_pending": list(
            Transfer.objects.filter(case__in=cases, status=Transfer.Status.PENDING).select_related(
                "case", "to_user", "to_organisation"
            )
        ),
    }


def persons_visible(user, person_ids) -> set[int]:
    """Which of these persons' identities the user may see (Perm.PERSON_VIEW), in one query."""
    if not has_perm(user, Perm.PERSON_VIEW):
        return set()
    scoped = scope_queryset(user, Person.objects.filter(pk__in=list(person_ids)), Perm.PERSON_VIEW)
    return set(scoped.values_list("pk", flat=True))


def case_consents(case: Case) -> QuerySet:
    """The consents shown on a case (already authorised): the case's own and the person's general ones."""
    return Consent.objects.filter(
        Q(case=case) | Q(case__isnull=True, person_id=case.person_id), is_archived=False
    )


def case_for_break_glass(*, user, case_number: str, request=None) -> Case | None:
    """The case a manager asks to open by break-the-glass, found by its (random) number.

    Break-the-glass stays inside the organisation that holds the case (design §6): only a case of an
    organisation where the user holds Perm.BREAK_GLASS through a membership of their own is found; within
    it, the glass is broken to reach the case outside the user's areas. Another organisation's case is
    answered exactly as an unknown number (None, and the same audit entry in the user's organisation's
    log); across organisations, access is requested (services/case_access.py). The access itself is
    granted, audited and notified by services.case_team.break_glass_open.
    """
    if not has_perm(user, Perm.BREAK_GLASS):
        return None
    number = (case_number or "").strip().upper()
    case = Case.objects.select_related("organisation").filter(case_number=number, is_archived=False).first()
    if case is None or not is_member_for(user, Perm.BREAK_GLASS, case.organisation):
        break_glass_miss(user, case, case_number=number, request=request)
        return None
    return case


def break_glass_miss(user, case: Case | None, *, case_number: str, request=None, exception=None) -> None:
    """Audit a break-the-glass attempt that found no case the user may open; with `exception`, refuse it.

    The entry filed under the user's organisation (whose managers read that log) is the same for an
    unknown number and for another organisation's case: no object, the number as a keyed digest only
    (a user may type anything in that field). The owning organisation's log also gets the attempt on
    its case, so that its managers see who tried.
    """
    if case is not None:
        audit_refusal(
            user,
            Perm.BREAK_GLASS,
            obj=case,
            organisation=case.organisation,
            request=request,
            detail={"reason": "outside_organisation"},
        )
    audit = {
        "object_type": "cases.case",
        "request": request,
        "detail": {"reason": "no_case_to_open", "number": keyed_hash(case_number)},
    }
    if exception is None:
        audit_refusal(user, Perm.BREAK_GLASS, **audit)
    else:
        refuse(
            user,
            Perm.BREAK_GLASS,
            message=gettext("You are not allowed to do this on this case."),
            exception=exception,
            **audit,
        )


def person_cases(*, user, person: Person) -> QuerySet:
    """The person's cases the user may see, newest first (the person's page)."""
    return (
        scoped_cases(user)
        .filter(person=person)
        .select_related("organisation", "owner")
        .order_by("-opened_on")
    )
