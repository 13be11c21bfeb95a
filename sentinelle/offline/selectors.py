"""What a device takes offline: the minimum of the open cases the user owns or is assigned to.

Only those cases, through the policy's scope for editing cases (a manager's organisation-wide reach does
not fill a device; a GBV case another worker holds is never in it), and of each only what the work
needs: identity and contact details, risk, step, open tasks, the plan's actions, the last notes and
follow-ups, consents, and the versions of the fields a device may change (for conflicts at sync). Every
case and person sent is a read of protected data: one audit entry each, with the device, written in one
insert. A constant number of queries, whatever the number of cases.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from sentinelle.cases.models import (
    Case,
    CaseNote,
    CasePlan,
    CasePlanAction,
    CaseStatus,
    CaseStep,
    Consent,
    FieldVersion,
    FollowUp,
    RiskLevel,
    Task,
)
from sentinelle.cases.models.versions import VERSIONED_FIELDS, VersionedRecord
from sentinelle.cases.selectors.cases import case_steps, persons_visible, scoped_cases
from sentinelle.cases.selectors.persons import current_age
from sentinelle.core.audit import audit_record_many
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm

__all__ = ["LAST_SHOWN", "offline_caseload", "offline_days"]

# How many of the latest notes and follow-ups of a case go offline.
LAST_SHOWN = 5
PlanStatus = CasePlan.Status


def offline_days() -> int:
    return int(settings.SENTINELLE.get("OFFLINE_DAYS", 7))


def _cases(user) -> list[Case]:
    assigned = Case.collaborators.through.objects.filter(user=user).values("case")
    mine = scoped_cases(user, Perm.CASE_EDIT).filter(
        Q(owner=user) | Q(pk__in=assigned), status=CaseStatus.OPEN
    )
    return list(mine.select_related("person__area", "organisation").order_by("opened_on", "id"))


def _latest(queryset, order: list):
    """The LAST_SHOWN latest rows of each case (one query: a window over the cases)."""
    ranked = queryset.annotate(rank=Window(RowNumber(), partition_by=[F("case_id")], order_by=order))
    return ranked.filter(rank__lte=LAST_SHOWN)


def _plan_actions(cases: list[Case]) -> dict[int, list[CasePlanAction]]:
    """The actions of the plan in force of each case (as cases.services.case_plans.plan_in_force)."""
    in_force: dict[int, int] = {}
    by_id = {case.pk: case for case in cases}
    plans = CasePlan.objects.filter(
        case_id__in=list(by_id), is_archived=False, status__in=[PlanStatus.APPROVED, PlanStatus.DRAFT]
    ).order_by("-created_at", "-id")
    for case_id, plan_id, status in plans.values_list("case_id", "id", "status"):
        if case_id in in_force:
            continue
        if status == PlanStatus.APPROVED or not by_id[case_id].organisation.requires_supervisor_approval:
            in_force[case_id] = plan_id
    actions: dict[int, list] = defaultdict(list)
    case_of_plan = {plan_id: case_id for case_id, plan_id in in_force.items()}
    for action in CasePlanAction.objects.filter(plan_id__in=list(case_of_plan)).order_by("due_on", "id"):
        actions[case_of_plan[action.plan_id]].append(action)
    return actions


def _versions(cases: list[Case]) -> dict[tuple[str, int], dict[str, int]]:
    rows = FieldVersion.objects.filter(
        Q(record_type=VersionedRecord.CASE, record_id__in=[case.pk for case in cases])
        | Q(record_type=VersionedRecord.PERSON, record_id__in=[case.person_id for case in cases])
    )
    found: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
    for record_type, record_id, name, version in rows.values_list(
        "record_type", "record_id", "field", "version"
    ):
        found[(record_type, record_id)][name] = version
    return found


def _case_versions(case: Case, versions) -> dict[str, int]:
    answer = {}
    for record_type, record_id in ((VersionedRecord.PERSON, case.person_id), (VersionedRecord.CASE, case.pk)):
        known = versions.get((record_type, record_id), {})
        for name in VERSIONED_FIELDS[record_type]:
            answer[f"{record_type}.{name}"] = known.get(name, 0)
    return answer


def _person(case: Case, visible: bool) -> dict:
    person = case.person
    shown = {
        "id": str(person.public_id),
        "code": person.person_code,
        "sex": person.sex,
        "age": current_age(person),
        "area_label": person.area.name_fr,
    }
    if visible:
        for name in ("given_name", "family_name", "phone", "address", "caregiver_name", "caregiver_phone"):
            shown[name] = getattr(person, name)
    return shown


def _date(value) -> str | None:
    return value.isoformat() if value is not None else None


def offline_caseload(*, user, device, request=None) -> dict:
    """The caseload the device keeps (the JSON of the offline contract), its reads audited."""
    cases = _cases(user)
    ids = [case.pk for case in cases]
    person_ids = {case.person_id for case in cases}
    visible = persons_visible(user, person_ids)
    steps = case_steps(cases)
    tasks = defaultdict(list)
    for task in Task.objects.filter(case_id__in=ids, done_on__isnull=True, is_archived=False).order_by(
        "due_on", "id"
    ):
        tasks[task.case_id].append(task)
    notes = defaultdict(list)
    for note in _latest(
        CaseNote.objects.filter(case_id__in=ids, is_archived=False).select_related("created_by"),
        [F("created_at").desc(), F("id").desc()],
    ):
        notes[note.case_id].append(note)
    follow_ups = defaultdict(list)
    for follow_up in _latest(
        FollowUp.objects.filter(case_id__in=ids, is_archived=False), [F("date").desc(), F("id").desc()]
    ):
        follow_ups[follow_up.case_id].append(follow_up)
    consents = defaultdict(list)
    for consent in Consent.objects.filter(
        Q(case_id__in=ids) | Q(case__isnull=True, person_id__in=person_ids), is_archived=False
    ).order_by("-given_on", "-id"):
        consents[("case", consent.case_id) if consent.case_id else ("person", consent.person_id)].append(
            consent
        )
    actions = _plan_actions(cases)
    versions = _versions(cases)
    answer = [
        _case(case, steps, tasks, actions, notes, follow_ups, consents, versions, case.person_id in visible)
        for case in cases
    ]
    read = [*cases, *(case.person for case in cases if case.person_id in visible)]
    audit_record_many(
        action=AuditAction.READ,
        user=user,
        objects=read,
        request=request,
        detail={"offline": "caseload", "device": str(device.public_id)},
    )
    return {
        "synced_at": timezone.now().isoformat(),
        "offline_days": offline_days(),
        "cases": answer,
        "pending": [],
    }


def _case(case, steps, tasks, actions, notes, follow_ups, consents, versions, visible) -> dict:
    step = steps[case.pk]
    return {
        "id": str(case.public_id),
        "number": case.case_number,
        "type": case.case_type,
        "type_label": str(case.get_case_type_display()),
        "status": case.status,
        "step": step,
        "step_label": str(CaseStep(step).label),
        "risk_level": case.risk_level,
        "risk_label": str(RiskLevel(case.risk_level).label) if case.risk_level else "",
        "opened_on": _date(case.opened_on),
        "person": _person(case, visible),
        "versions": _case_versions(case, versions),
        "tasks": [
            {"id": str(task.public_id), "title": task.title, "due_on": _date(task.due_on), "kind": task.kind}
            for task in tasks[case.pk]
        ],
        "plan_actions": [
            {
                "id": str(action.pk),
                "text": action.description,
                "due_on": _date(action.due_on),
                "done_on": _date(action.done_on),
            }
            for action in actions[case.pk]
        ],
        "notes": [
            {
                "at": note.created_at.isoformat(),
                "text": note.text,
                "by": note.created_by.display_name if note.created_by_id else "",
            }
            for note in notes[case.pk]
        ],
        "follow_ups": [
            {
                "date": _date(item.date),
                "kind": item.kind,
                "kind_label": str(item.get_kind_display()),
                "notes": item.notes,
            }
            for item in follow_ups[case.pk]
        ],
        "consents": [
            {
                "purpose": consent.purpose,
                "purpose_label": str(consent.get_purpose_display()),
                "given_on": _date(consent.given_on),
                "withdrawn_on": _date(consent.withdrawn_on),
            }
            for consent in [*consents[("case", case.pk)], *consents[("person", case.person_id)]]
        ],
    }
