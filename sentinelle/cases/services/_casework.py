"""Helpers shared by the case management services: the organisation a record is made for, references,
deadlines, mail.

Refusals go through the policy (`ensure`, `refuse`: audited before they raise), outside the transaction
that would roll back, so that the refusal stays on record while nothing else is written. Mail goes out
after commit and never carries a name: references, codes and a link only.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import date

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import Case, CaseStatus, Task, TaskKind
from sentinelle.cases.rollups import case_rollups_refresh
from sentinelle.core import tasks, validation
from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure_organisation
from sentinelle.core.validation import Errors

logger = logging.getLogger(__name__)

# Days allowed per risk level; SENTINELLE[...] overrides them (standards §4: deployment configuration,
# to be agreed with the Mali CP AoR). "unknown" applies before the risk is assessed.
DEFAULT_DEADLINES = {
    "RESPONSE_DEADLINES": {"high": 1, "medium": 3, "low": 7, "unknown": 3},
    "CASE_PLAN_DEADLINES": {"high": 3, "medium": 7, "low": 14, "unknown": 7},
    "FOLLOW_UP_DEADLINES": {"high": 7, "medium": 14, "low": 30, "unknown": 14},
}
# Hours a receiving service has to accept or decline, per urgency.
DEFAULT_REFERRAL_RESPONSE_HOURS = {"emergency": 12, "urgent": 72, "routine": 168}
DEFAULT_BREAK_GLASS_HOURS = 4
MAX_BREAK_GLASS_HOURS = 24
# Days a request for access to another organisation's case waits for an answer before it lapses.
DEFAULT_ACCESS_REQUEST_DAYS = 7

# No 0/O or 1/I: references are read out over the phone.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def setting(name: str, default):
    return getattr(settings, "SENTINELLE", {}).get(name, default)


def deadline_days(kind: str, risk_level: str) -> int:
    """Days allowed for `kind` (RESPONSE_, CASE_PLAN_ or FOLLOW_UP_DEADLINES) at a risk level."""
    table = {**DEFAULT_DEADLINES[kind], **setting(kind, {})}
    return int(table.get(risk_level or "unknown", table.get("medium", 3)))


def access_request_days() -> int:
    return int(setting("ACCESS_REQUEST_DAYS", DEFAULT_ACCESS_REQUEST_DAYS))


def referral_response_hours(urgency: str) -> int:
    table = {**DEFAULT_REFERRAL_RESPONSE_HOURS, **setting("REFERRAL_RESPONSE_HOURS", {})}
    return int(table.get(urgency, table["routine"]))


def new_reference(model, field: str, prefix: str) -> str:
    """A random reference such as CAS-2026-7K3M9Q: unguessable, and it does not reveal case volumes."""
    year = timezone.localdate().year
    for _attempt in range(20):
        code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
        candidate = f"{prefix}-{year}-{code}"
        if not model._default_manager.filter(**{field: candidate}).exists():
            return candidate
    raise RuntimeError("Could not draw a free reference.")  # 32^6 codes a year: never in practice


# --- Policy ---------------------------------------------------------------------------------------
# Every check goes through the policy (core/permissions.py): `ensure` for an action on a record or for an
# organisation and area before the record exists, `refuse` for a refusal decided here (both audit it).


def refused() -> str:
    """The message of a refusal on a case or one of its records (it names no record)."""
    return gettext("You are not allowed to do this on this case.")


def resolve_organisation(actor, organisation, perm: Perm, *, object_type: str, request=None):
    """The organisation a new record of case management is made for (see permissions.ensure_organisation)."""
    return ensure_organisation(
        actor, perm, organisation, request=request, message=refused(), object_type=object_type
    )


# --- Validation ----------------------------------------------------------------------------------
# Each helper checks one value, adds what is wrong to the service's `Errors` and returns the value; the
# service calls `errors.raise_if_any()` before it writes (core/validation.py). A single condition that
# makes every other check pointless (a closed case, a decided request) is `validation.refuse(...)`.


def check_date(
    errors: Errors, value: date | None, *, field: str, not_before: date | None = None
) -> date | None:
    """A date that is set, not in the future and not before `not_before`."""
    if value is None:
        errors.add(field, gettext("Enter a date."))
    elif value > timezone.localdate():
        errors.add(field, gettext("This date is in the future."))
    elif not_before is not None and value < not_before:
        errors.add(field, gettext("This date is before the case was opened."))
    return value


def required_text(errors: Errors, value: str, *, field: str, min_length: int = 1) -> str:
    value = (value or "").strip()
    if len(value) < min_length:
        if min_length > 1:
            errors.add(field, gettext("Write at least %(count)s characters.") % {"count": min_length})
        else:
            errors.add(field, gettext("This field is required."))
    return value


def check_choice(errors: Errors, value: str, choices, *, field: str, allow_blank: bool = False) -> str:
    if allow_blank and not value:
        return ""
    if value not in choices.values:
        errors.add(field, gettext("Unknown value: %(value)s.") % {"value": value})
    return value


# --- Links and mail ------------------------------------------------------------------------------


def absolute_url(url_name: str, *args) -> str:
    """The page's address for a message; the site root when the page does not exist (yet)."""
    try:
        path = reverse(url_name, args=args)
    except NoReverseMatch:
        path = "/"
    return setting("SITE_URL", "").rstrip("/") + path


def mail_after_commit(users: Iterable, compose: Callable[[object], tuple[str, str]]) -> None:
    """After commit, queue one e-mail per user (in their language) of what `compose(user)` returns: a
    task (core/tasks.py), sent by the worker and retried, never in the request. `compose` must not put a
    name in the subject or body."""
    tasks.mail_after_commit(users, compose)


# --- Case-level helpers shared by cases.py and case_plans.py -------------------------------------


def audit_case(actor, case: Case, event: str, request=None, **detail) -> None:
    audit_record(
        action=AuditAction.UPDATE,
        user=actor,
        obj=case,
        organisation=case.organisation,
        request=request,
        detail={"event": event, "case_number": case.case_number, **detail},
    )
    case_rollups_refresh(case_ids=[case.pk])
    figures_changed("cases")


def lock_open(case: Case) -> Case:
    """Re-read the case under lock; a closed (or transferred) case takes no new step."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status != CaseStatus.OPEN:
        validation.refuse(gettext("This case is closed: reopen it first."))
    return locked


def touch(case: Case, actor, *fields: str) -> None:
    case.updated_by = actor
    case.save(update_fields=[*fields, "updated_by", "updated_at"])


def close_tasks(case: Case, kind: str, today: date) -> None:
    Task.objects.filter(case=case, kind=kind, done_on__isnull=True).update(done_on=today)


def ensure_task(case: Case, kind: str, due_on: date, title: str) -> None:
    """One pending task of this kind: created, or brought forward when the new deadline is earlier."""
    pending = Task.objects.filter(case=case, kind=kind, done_on__isnull=True).order_by("due_on").first()
    if pending is None:
        Task.objects.create(
            case=case, kind=kind, title=title, due_on=due_on, assigned_to=case.owner, created_by=case.owner
        )
    elif due_on < pending.due_on:
        pending.due_on = due_on
        pending.save(update_fields=["due_on", "updated_at"])


def task_title(kind: str) -> str:
    return str(TaskKind(kind).label)


def requires_approval(case: Case) -> bool:
    return bool(case.organisation.requires_supervisor_approval)


def apply_closure(case: Case, actor, reason: str, note: str, today: date) -> int:
    """Close the case, and with it its open tasks (not done: ended, with the closure's reason), so that
    nothing of a closed case stays due; returns how many tasks were closed."""
    case.status = CaseStatus.CLOSED
    case.closed_on = today
    case.closure_reason = reason
    case.closure_note = note
    touch(case, actor, "status", "closed_on", "closure_reason", "closure_note")
    return Task.objects.filter(case=case, done_on__isnull=True).update(
        done_on=today, closure_reason=reason, updated_by=actor, updated_at=timezone.now()
    )
