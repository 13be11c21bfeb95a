"""The sync: the device's outbox replayed in order, each change once.

Each change is one transaction (a savepoint inside a caller's): its OfflineChange row is inserted first,
then the change is applied through the cases services, then the answer is stored on the row. The change
id is unique: a change sent again (in this request or a later one) answers the stored answer and writes
nothing; two requests carrying the same change at once cannot both apply it, since the second insert
fails on the unique constraint (after the first commits, on PostgreSQL) and its whole transaction rolls
back, and it then answers what the first stored.

Every audit entry the services write for a change carries the device and the time the change was
recorded offline (core/audit/context.py). Changes on "tmp:<id>" (a case registered offline) find their
case through the stored answer of that register change; while it is not applied they wait: the answer
says so, nothing is stored, and the device sends them again later.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from sentinelle.accounts.models import DeviceCredential, User
from sentinelle.cases.models import Case
from sentinelle.core.audit import audit_context
from sentinelle.core.permissions import Perm, get_object_for_user
from sentinelle.offline.models import ChangeKind, ChangeStatus, OfflineChange

from .changes import CASE_APPLIERS, Change
from .outcomes import Outcome, refusal
from .register import register_apply

__all__ = ["TMP_PREFIX", "offline_answers_prune", "offline_sync"]

logger = logging.getLogger(__name__)

TMP_PREFIX = "tmp:"
STORED = {ChangeStatus.APPLIED, ChangeStatus.REFUSED, ChangeStatus.CONFLICT, ChangeStatus.REVIEW}


class _NotStored(Exception):
    """The change waits (its case is not registered yet): answered, not kept."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.status)
        self.outcome = outcome


class BadChange(ValueError):
    pass


def _read(raw) -> Change:
    """One change of the request, or BadChange when it cannot be told apart from another."""
    if not isinstance(raw, dict):
        raise BadChange
    try:
        change_id = str(uuid.UUID(str(raw.get("change_id"))))
    except ValueError:
        raise BadChange from None
    kind = raw.get("kind")
    recorded_at = parse_datetime(str(raw.get("recorded_at") or ""))
    fields, versions = raw.get("fields") or {}, raw.get("base_versions") or {}
    if kind not in ChangeKind.values or recorded_at is None:
        raise BadChange(change_id)
    if not isinstance(fields, dict) or not isinstance(versions, dict):
        raise BadChange(change_id)
    if timezone.is_naive(recorded_at):
        recorded_at = timezone.make_aware(recorded_at)
    replaces = raw.get("replaces")
    try:
        replaces = str(uuid.UUID(str(replaces))) if replaces else None
    except ValueError:
        replaces = None
    return Change(
        change_id=change_id,
        kind=kind,
        case_ref=str(raw.get("case") or "")[:64],
        recorded_at=recorded_at,
        fields=fields,
        base_versions=versions,
        replaces=replaces,
    )


def _stored(change_id: str) -> OfflineChange | None:
    return OfflineChange.objects.filter(change_id=change_id).first()


def _replay(actor: User, stored: OfflineChange, change_id: str) -> dict:
    """The answer a change already received got; nothing is written again."""
    if stored.user_id != actor.pk:
        # Someone else's change id: nothing of it is told.
        return Outcome(ChangeStatus.REFUSED, gettext("This change cannot be applied.")).answer(change_id)
    return stored.answer


# --- The case a change is about ------------------------------------------------------------------------


def _registered_case_id(actor: User, reference: str) -> str | None:
    """The public id of the case opened by the register change `tmp:<id>` (or by the change that settled
    it after a review), or None while none is applied."""
    try:
        register_id = uuid.UUID(reference[len(TMP_PREFIX) :])
    except ValueError:
        return None
    applied = OfflineChange.objects.filter(
        Q(change_id=register_id) | Q(replaces=register_id),
        user=actor,
        kind=ChangeKind.REGISTER,
        status=ChangeStatus.APPLIED,
        case__isnull=False,
    ).select_related("case")
    row = applied.order_by("received_at", "id").first()
    return str(row.case.public_id) if row is not None else None


def _case(actor: User, change: Change, request) -> Case:
    """The case the change is about, in the actor's scope for editing (Http404, audited, otherwise)."""
    reference = change.case_ref
    if reference.startswith(TMP_PREFIX):
        public_id = _registered_case_id(actor, reference)
        if public_id is None:
            message = gettext("Waiting for the registration of this person to be settled.")
            raise _NotStored(Outcome(ChangeStatus.WAITING, message))
    else:
        public_id = reference
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        public_id = None
    queryset = Case.objects.filter(is_archived=False).select_related("person", "organisation", "area")
    return get_object_for_user(actor, queryset, public_id, Perm.CASE_EDIT, request=request)


def _apply(actor: User, change: Change, request) -> tuple[Outcome, Case | None]:
    """Apply one change through the services; a refusal (policy, validation) is an outcome."""
    case = None
    try:
        if change.kind == ChangeKind.REGISTER:
            outcome = register_apply(actor, change, request)
        else:
            case = _case(actor, change, request)
            outcome = CASE_APPLIERS[change.kind](actor, case, change, request)
    except _NotStored as waiting:
        outcome = waiting.outcome
    except (ValidationError, PermissionDenied, Http404) as error:
        outcome = refusal(error)
    if case is None and outcome.case:
        case = Case.objects.filter(public_id=outcome.case).first()
    if case is not None and change.case_ref.startswith(TMP_PREFIX) and not outcome.case:
        outcome.case = str(case.public_id)
    return outcome, case


def _sync_one(actor: User, device: DeviceCredential, raw, request) -> dict:
    try:
        change = _read(raw)
    except BadChange as error:
        given = raw.get("change_id") if isinstance(raw, dict) else None
        message = gettext("This change cannot be read: update the app, then send it again.")
        return Outcome(ChangeStatus.REFUSED, message).answer(str(error.args[0] if error.args else given))
    stored = _stored(change.change_id)
    if stored is not None:
        return _replay(actor, stored, change.change_id)
    context = {"device": str(device.public_id), "offline_at": change.recorded_at.isoformat()}
    try:
        with audit_context(**context), transaction.atomic():
            row = OfflineChange.objects.create(
                change_id=change.change_id,
                device=device,
                user=actor,
                kind=change.kind,
                case_ref=change.case_ref,
                replaces=change.replaces,
                recorded_at=change.recorded_at,
                status=ChangeStatus.REFUSED,
            )
            outcome, case = _apply(actor, change, request)
            if outcome.status not in STORED:
                # Not kept: the device sends it again. What the attempt wrote on the way (a refused
                # search's audit entry and throttle) is kept.
                row.delete()
                return outcome.answer(change.change_id)
            answer = outcome.answer(change.change_id)
            row.status = outcome.status
            row.case = case
            row.result = _json(answer)
            row.applied_at = timezone.now() if outcome.status == ChangeStatus.APPLIED else None
            row.save(update_fields=["status", "case", "result", "applied_at"])
            return answer
    except IntegrityError:
        stored = _stored(change.change_id)
        if stored is None:
            raise
        return _replay(actor, stored, change.change_id)


def _json(answer: dict) -> str:
    return json.dumps(answer, cls=DjangoJSONEncoder, ensure_ascii=False)


def offline_sync(*, actor: User, device: DeviceCredential, changes, request=None) -> list[dict]:
    """Replay the device's changes in order; one answer per change, in the same order (see the module
    docstring). A change the server fails to apply (a fault, not a refusal) waits: it is logged, nothing of
    it is kept, and the device sends it again."""
    answers = []
    for raw in changes if isinstance(changes, list) else []:
        try:
            answers.append(_sync_one(actor, device, raw, request))
        except Exception:
            logger.exception("offline sync: a change could not be applied")
            change_id = str(raw.get("change_id")) if isinstance(raw, dict) else ""
            message = gettext("The server could not apply this change now: it will be sent again.")
            answers.append(Outcome(ChangeStatus.WAITING, message).answer(change_id))
    return answers


# --- Stored answers past any resend --------------------------------------------------------------------

# Days after which a stored answer is cut to what holds no identity: a device's data expire after
# SENTINELLE["OFFLINE_DAYS"] without a sync, so no device resends a change later than that; the margin covers
# a device that synced on its last day.
PRUNE_MARGIN_DAYS = 7


def offline_answers_prune(*, now=None) -> int:
    """Cut the stored answers no device can ask for again to their status and case (a conflict's values and
    a review's candidates name persons; the retention rule must not find them here). The number cut."""
    from sentinelle.offline.selectors import offline_days

    now = now or timezone.now()
    before = now - datetime.timedelta(days=offline_days() + PRUNE_MARGIN_DAYS)
    cut = 0
    # Only a conflict's or a review's answer names anyone (the values, the candidates).
    rows = OfflineChange.objects.filter(
        received_at__lt=before, status__in=[ChangeStatus.CONFLICT, ChangeStatus.REVIEW]
    ).only("pk", "result")
    for row in rows.iterator(chunk_size=500):
        answer = row.answer
        kept = Outcome(
            answer.get("status", ""),
            gettext("This change was received earlier."),
            case=answer.get("case", ""),
            person=answer.get("person", ""),
        ).answer(answer.get("change_id", ""))
        if answer != kept:
            OfflineChange.objects.filter(pk=row.pk).update(result=_json(kept))
            cut += 1
    return cut
