"""Each kind of change recorded on a case offline, applied through the service the web page calls, as
the user: the policy and the validation are the services' own, so a change the user may no longer make
is refused with the service's reason.

Conflicts are found field by field (cases/models/versions.py): a versioned field the device changed whose
version moved on the server since the device's copy, to another value, is not written; both values go
back to the device, with the server's version for the worker's answer (a new change). Fields changed on
one side only are applied. Never last-write-wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext

from sentinelle.cases.models import Case, CasePlanAction, FieldVersion, Person, Task
from sentinelle.cases.models.versions import VersionedRecord
from sentinelle.cases.services import cases as case_services
from sentinelle.cases.services.consent import consent_record
from sentinelle.cases.services.persons import person_update
from sentinelle.offline.models import ChangeKind, ChangeStatus
from sentinelle.offline.rules import PERSON_UPDATE_FIELDS, field_label

from .outcomes import Outcome, as_bool, as_date, as_int, as_list, as_text, as_uuid

__all__ = ["CASE_APPLIERS", "Change"]


@dataclass
class Change:
    """One change of the device's outbox, read from the request."""

    change_id: str
    kind: str
    case_ref: str
    recorded_at: datetime
    fields: dict = field(default_factory=dict)
    base_versions: dict = field(default_factory=dict)
    replaces: str | None = None

    def base_version(self, key: str) -> int:
        value = as_int(self.base_versions.get(key, 0))
        return value if isinstance(value, int) else -1  # unreadable: never equal to the server's


def _applied(message: str, case: Case) -> Outcome:
    return Outcome(ChangeStatus.APPLIED, message, case=str(case.public_id))


# --- Conflicts --------------------------------------------------------------------------------------


def _versions(record_type: str, record_id: int) -> dict[str, int]:
    rows = FieldVersion.objects.filter(record_type=record_type, record_id=record_id)
    return dict(rows.values_list("field", "version"))


def _split(change: Change, record, record_type: str, proposed: dict) -> tuple[dict, list[dict]]:
    """(values to write, conflicts): what the device changed, against the record read under lock."""
    versions = _versions(record_type, record.pk)
    writes, conflicts = {}, []
    for name, value in proposed.items():
        current = getattr(record, name)
        if value == current:
            continue  # the same value on both sides (or nothing changed): nothing to write
        key = f"{record_type}.{name}"
        server_version = versions.get(name, 0)
        if change.base_version(key) == server_version:
            writes[name] = value
            continue
        conflicts.append(
            {
                "field": key,
                "label": field_label(key),
                "server": current,
                "device": value,
                "server_version": server_version,
            }
        )
    return writes, conflicts


def _conflict_message(conflicts: list[dict], applied: list[str]) -> str:
    message = gettext(
        "Changed on the server since your copy, not written: %(fields)s. Compare both values and send "
        "the one to keep."
    ) % {"fields": ", ".join(conflict["label"] for conflict in conflicts)}
    if applied:
        message += " " + gettext("Written: %(fields)s.") % {"fields": ", ".join(applied)}
    return message


# --- One applier per kind -----------------------------------------------------------------------------


def _follow_up(actor, case: Case, change: Change, request) -> Outcome:
    values = change.fields
    case_services.follow_up_record(
        actor=actor,
        case=case,
        date=as_date(values.get("date")),
        kind=as_text(values.get("kind")),
        notes=as_text(values.get("notes")),
        plan_reviewed=as_bool(values.get("plan_reviewed")),
        next_follow_up_on=as_date(values.get("next_follow_up_on")),
        request=request,
    )
    return _applied(gettext("Follow-up recorded."), case)


def _note(actor, case: Case, change: Change, request) -> Outcome:
    case_services.note_add(actor=actor, case=case, text=as_text(change.fields.get("text")), request=request)
    return _applied(gettext("Note added."), case)


def _task_done(actor, case: Case, change: Change, request) -> Outcome:
    task = Task.objects.filter(
        case=case, public_id=as_uuid(change.fields.get("task")), is_archived=False
    ).first()
    if task is None:
        return Outcome(ChangeStatus.REFUSED, gettext("This task is no longer on the case."))
    task.case = case
    case_services.task_complete(
        actor=actor, task=task, done_on=as_date(change.fields.get("done_on")), request=request
    )
    return _applied(gettext("Task done."), case)


def _plan_action_done(actor, case: Case, change: Change, request) -> Outcome:
    plan = case_services.plan_in_force(case)
    action_id = as_int(change.fields.get("action"))
    action = (
        CasePlanAction.objects.filter(plan=plan, pk=action_id).select_related("plan").first()
        if plan is not None and isinstance(action_id, int)
        else None
    )
    if action is None:
        return Outcome(ChangeStatus.REFUSED, gettext("This action is no longer in the case plan."))
    action.plan.case = case
    case_services.plan_action_complete(
        actor=actor, action=action, done_on=as_date(change.fields.get("done_on")), request=request
    )
    return _applied(gettext("Case plan action done."), case)


def _consent(actor, case: Case, change: Change, request) -> Outcome:
    values = change.fields
    consent_record(
        actor=actor,
        person=case.person,
        case=case,
        purpose=as_text(values.get("purpose")),
        given_by=as_text(values.get("given_by")),
        given_on=as_date(values.get("given_on")),
        request=request,
    )
    return _applied(gettext("Consent recorded."), case)


def _assessment(actor, case: Case, change: Change, request) -> Outcome:
    """An assessment sets the case's risk level: when that changed on the server since the device's copy
    (to another level), nothing is recorded, since an assessment is one record."""
    values = change.fields
    risk_level = as_text(values.get("risk_level"))
    locked = Case.objects.select_for_update().get(pk=case.pk)
    _writes, conflicts = _split(change, locked, VersionedRecord.CASE, {"risk_level": risk_level})
    if conflicts:
        message = _conflict_message(conflicts, [])
        return Outcome(ChangeStatus.CONFLICT, message, case=str(case.public_id), conflicts=conflicts)
    case_services.assessment_record(
        actor=actor,
        case=case,
        risk_level=risk_level,
        assessed_on=as_date(values.get("assessed_on")),
        needs=as_list(values.get("needs")),
        summary=as_text(values.get("summary")),
        request=request,
    )
    return _applied(gettext("Assessment recorded."), case)


def _person_update(actor, case: Case, change: Change, request) -> Outcome:
    proposed = {
        name: as_text(change.fields[name]).strip() for name in PERSON_UPDATE_FIELDS if name in change.fields
    }
    person = Person.objects.select_for_update().get(pk=case.person_id)
    writes, conflicts = _split(change, person, VersionedRecord.PERSON, proposed)
    if writes:
        person_update(actor=actor, person=person, request=request, **writes)
    if conflicts:
        applied = [field_label(f"person.{name}") for name in writes]
        message = _conflict_message(conflicts, applied)
        return Outcome(ChangeStatus.CONFLICT, message, case=str(case.public_id), conflicts=conflicts)
    return _applied(gettext("Contact details saved."), case)


CASE_APPLIERS = {
    ChangeKind.FOLLOW_UP: _follow_up,
    ChangeKind.NOTE: _note,
    ChangeKind.TASK_DONE: _task_done,
    ChangeKind.ASSESSMENT: _assessment,
    ChangeKind.PLAN_ACTION_DONE: _plan_action_done,
    ChangeKind.CONSENT: _consent,
    ChangeKind.PERSON_UPDATE: _person_update,
}
