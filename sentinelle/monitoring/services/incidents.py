"""Writes of incidents: record, update, submit, verify, reject, and the bulk import every channel shares.

Each service checks the policy first (a refusal raises PermissionDenied, is audited, and writes nothing
else), validates (ValidationError with French messages by argument), writes in one transaction
with a timeline event and one audit entry, and schedules the follow-ups (duplicate detection, alerts)
after commit through `hooks.incidents_entered`. The confidential account and coordinates never appear
in the timeline or the audit log: a change to them is recorded without its values.

GBV survivor details (`gbv`) are taken only from GBV service providers
(Perm.GBV_SURVIVOR_RECORD for the organisation and area): anyone else gets a "gbv" error saying so, and
nothing is written. An incident of category GBV without them is an allegation, like any other incident.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure, ensure_organisation, has_perm, may_act_for
from sentinelle.core.validation import Errors
from sentinelle.monitoring.inputs import IncidentRow
from sentinelle.monitoring.models import (
    Channel,
    ExplosiveAccident,
    GBVIncident,
    GraveViolation,
    Incident,
    IncidentCategory,
    IncidentEvent,
    IncidentReferenceCounter,
    IncidentStatus,
    VictimCount,
)
from sentinelle.monitoring.rollups import incident_rollups_add, incident_rollups_updating
from sentinelle.monitoring.services import _bulk, hooks
from sentinelle.monitoring.services._incident_rows import (
    SCALAR_FIELDS,
    build_incident,
    build_rows,
    incident_from_values,
    incident_values,
    load_children,
    snapshot,
    write_rows,
)
from sentinelle.monitoring.validation import (
    incident_check,
    incident_validate,
    survivor_details_refused,
    victim_cells,
)

__all__ = [
    "ImportResult",
    "incident_find_by_source",
    "incident_import_many",
    "incident_record",
    "incident_reject",
    "incident_submit",
    "incident_update",
    "incident_validate",
    "incident_verify",
]

Kind = IncidentEvent.Kind


@dataclass
class ImportResult:
    created: int
    unchanged: int
    # One per input row, in row order: the incident created, or the one already there (same source id).
    incidents: list[Incident]
    # The incidents created as submitted: they enter duplicate detection and alerts (follow_up).
    entered_ids: list[int] = field(default_factory=list)


# --- Policy ------------------------------------------------------------------------------------


def _refused() -> str:
    return gettext("You are not allowed to do this on this incident.")


def _resolve_organisation(actor, organisation, perm: Perm, request):
    """The organisation the incident is recorded for (see permissions.ensure_organisation)."""
    return ensure_organisation(
        actor, perm, organisation, request=request, message=_refused(), object_type="monitoring.incident"
    )


def _outside_areas_message() -> str:
    return gettext("This area is outside your areas of responsibility.")


def _may_record_survivor(actor, organisation, area) -> bool:
    """GBV survivor details (GBVIMS) are for GBV service providers only: a monitor records allegations."""
    area = area if hasattr(area, "path") else None
    return may_act_for(actor, Perm.GBV_SURVIVOR_RECORD, organisation=organisation, area=area)


def _entered(ids: list[int]) -> None:
    hooks.incidents_entered(list(ids))


# --- References ---------------------------------------------------------------------------------


def _reserve_references(count: int, year: int) -> list[str]:
    """`count` new references of `year`. The counter row stays locked until the caller commits."""
    if count == 0:
        return []
    updated = IncidentReferenceCounter.objects.filter(year=year).update(last=F("last") + count)
    if not updated:
        try:
            with transaction.atomic():
                IncidentReferenceCounter.objects.create(year=year, last=count)
        except IntegrityError:  # another transaction created the year's row first
            IncidentReferenceCounter.objects.filter(year=year).update(last=F("last") + count)
    last = IncidentReferenceCounter.objects.filter(year=year).values_list("last", flat=True).get()
    return [f"INC-{year}-{number:06d}" for number in range(last - count + 1, last + 1)]


# --- Reads used by the channels -----------------------------------------------------------------


def incident_find_by_source(*, organisation, source_id: str) -> Incident | None:
    if not source_id:
        return None
    return Incident.objects.filter(organisation=organisation, source_id=source_id).first()


# --- Record and update --------------------------------------------------------------------------


def _event(incident, kind, actor, now, *, changes=None, note="") -> IncidentEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return IncidentEvent(incident=incident, kind=kind, user=user, at=now, changes=changes or {}, note=note)


def incident_record(
    *,
    actor,
    organisation=None,
    channel: str = Channel.WEB,
    submit: bool = False,
    request=None,
    **fields,
) -> Incident:
    """Record an incident for `organisation` (default: the actor's first where they may record).

    `fields`: the incident's fields, the keyword arguments named by `inputs.IncidentRow` (date_start,
    date_reported, area, categories, perpetrator_category, source_mechanism, and the optional ones;
    its parts as `VictimCell`, `GBVDetails`, `ViolationLine`, `ExplosiveDetails` with `CasualtyLine`).
    """
    data = IncidentRow(**fields)
    organisation = _resolve_organisation(actor, organisation, Perm.INCIDENT_CREATE, request)
    existing = incident_find_by_source(organisation=organisation, source_id=data.source_id)
    if existing is not None:
        return existing
    errors = Errors()
    incident_check(errors, data)
    area = data.area if hasattr(data.area, "path") else None
    allowed = area is None or may_act_for(actor, Perm.INCIDENT_CREATE, organisation=organisation, area=area)
    if not allowed:
        errors.add("area", _outside_areas_message())
    if data.gbv is not None and not _may_record_survivor(actor, organisation, area):
        errors.add("gbv", survivor_details_refused())
    errors.raise_if_any()
    now = timezone.now()
    status = IncidentStatus.SUBMITTED if submit else IncidentStatus.DRAFT
    try:
        with transaction.atomic():
            # Written under a provisional reference, numbered last: the year's counter row stays locked from
            # the reservation to the commit, so all that comes before runs beside other writers (8 phones
            # submitting at once all waited on that row while each wrote its rows and roll-ups).
            incident = build_incident(
                data,
                organisation=organisation,
                actor=actor,
                channel=channel,
                status=status,
                reference=f"TMP-{uuid.uuid4().hex[:28]}",
                now=now,
            )
            incident.save()
            write_rows([build_rows(incident, data)])
            events = [_event(incident, Kind.CREATED, actor, now)]
            if submit:
                events.append(
                    _event(incident, Kind.SUBMITTED, actor, now, changes={"status": ["draft", "submitted"]})
                )
            IncidentEvent.objects.bulk_create(events)
            [incident.reference] = _reserve_references(1, timezone.localdate().year)
            Incident.objects.filter(pk=incident.pk).update(reference=incident.reference)
            audit_record(
                action=AuditAction.CREATE,
                user=actor,
                obj=incident,
                organisation=organisation,
                request=request,
                detail={"reference": incident.reference, "status": status, "channel": channel},
            )
            # Last: the roll-up cells it moves stay locked until the commit (core/rollups.py).
            incident_rollups_add(incident_ids=[incident.pk])
            figures_changed("monitoring")
            if submit:
                _entered([incident.pk])
    except IntegrityError:
        # The same source id was recorded by a concurrent request: that one wins, this one changes nothing.
        existing = incident_find_by_source(organisation=organisation, source_id=data.source_id)
        if existing is None:
            raise
        return existing
    return incident


def incident_update(*, actor, incident: Incident, request=None, **fields) -> Incident:
    """Change an incident to `fields` (all of them, as `incident_record` takes them); the changed fields go
    to the timeline (confidential ones without values)."""
    data = IncidentRow(**fields)
    ensure(actor, Perm.INCIDENT_EDIT, incident, request=request, message=_refused())
    errors = Errors()
    incident_check(errors, data)
    area = data.area if hasattr(data.area, "path") else None
    moved = area is not None and area.pk != incident.area_id
    if moved and not may_act_for(actor, Perm.INCIDENT_EDIT, organisation=incident.organisation, area=area):
        errors.add("area", _outside_areas_message())
    has_survivor = GBVIncident.objects.filter(incident=incident).exists()
    if (data.gbv is not None or has_survivor) and not _may_record_survivor(
        actor, incident.organisation, area or incident.area
    ):
        # Nor may their details be changed or dropped by someone who could not have recorded them.
        message = survivor_details_refused() if data.gbv is not None else _survivor_on_record_message()
        errors.add("gbv", message)
    if data.source_id and data.source_id != incident.source_id:
        other = incident_find_by_source(organisation=incident.organisation, source_id=data.source_id)
        if other is not None:
            errors.add(
                "source_id",
                gettext("Another incident of your organisation already has this source identifier."),
            )
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("area", "settlement")
            .get(pk=incident.pk)
        )
        before = snapshot(locked, load_children(locked))
        updated = build_incident(
            data,
            organisation=locked.organisation,
            actor=actor,
            channel=locked.channel,
            status=locked.status,
            reference=locked.reference,
            now=now,
        )
        updated.source_id = data.source_id or locked.source_id
        rows = build_rows(updated, data)
        after = snapshot(updated, rows)
        changes = _diff(before, after)
        if not changes:
            return locked
        for field in UPDATED_FIELDS:
            setattr(locked, field, getattr(updated, field))
        locked.updated_by = actor
        with incident_rollups_updating(incident_ids=[locked.pk]):
            locked.save()
            _replace_children(locked, data)
        IncidentEvent.objects.create(
            incident=locked, kind=Kind.UPDATED, user=actor, at=now, changes=changes, note=""
        )
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=locked,
            organisation=locked.organisation,
            request=request,
            detail={"reference": locked.reference, "fields": sorted(changes)},
        )
        figures_changed("monitoring")
    return locked


def _survivor_on_record_message() -> str:
    return gettext(
        "This incident holds survivor details recorded by a GBV service provider: only such a provider "
        "may change it."
    )


UPDATED_FIELDS = (*SCALAR_FIELDS, "area", "settlement", "victims_total", "killed_total")
ENCRYPTED_KEYS = frozenset({"account", "coordinates"})
HIDDEN = "…"


def _diff(before: dict, after: dict) -> dict:
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        changes[key] = [HIDDEN, HIDDEN] if key in ENCRYPTED_KEYS else [old, new]
    return changes


def _replace_children(incident: Incident, data: IncidentRow) -> None:
    IncidentCategory.objects.filter(incident=incident).delete()
    VictimCount.objects.filter(incident=incident).delete()
    GraveViolation.objects.filter(incident=incident).delete()
    GBVIncident.objects.filter(incident=incident).delete()
    ExplosiveAccident.objects.filter(incident=incident).delete()
    write_rows([build_rows(incident, data)])


# --- Workflow -----------------------------------------------------------------------------------


def _transition(*, actor, incident, perm, allowed_from, to, kind, request, note="", extra=None) -> Incident:
    ensure(actor, perm, incident, request=request, message=_refused())
    now = timezone.now()
    with transaction.atomic():
        current = Incident.objects.select_for_update().values_list("status", flat=True).get(pk=incident.pk)
        if current not in allowed_from:
            raise ValidationError(
                gettext("This incident is %(status)s: it cannot be %(action)s.")
                % {"status": IncidentStatus(current).label.lower(), "action": _ACTION_WORDS[to]()}
            )
        incident.status = to
        fields = ["status", "updated_at", "updated_by"]
        incident.updated_by = actor
        for name, value in (extra or {}).items():
            setattr(incident, name, value(now) if callable(value) else value)
            fields.append(name)
        with incident_rollups_updating(incident_ids=[incident.pk]):
            incident.save(update_fields=fields)
        IncidentEvent.objects.create(
            incident=incident, kind=kind, user=actor, at=now, changes={"status": [current, to]}, note=note
        )
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=incident,
            organisation=incident.organisation,
            request=request,
            detail={"reference": incident.reference, "transition": f"{current}->{to}"},
        )
        figures_changed("monitoring")
        if to in (IncidentStatus.SUBMITTED, IncidentStatus.VERIFIED):
            _entered([incident.pk])
    return incident


_ACTION_WORDS = {
    IncidentStatus.SUBMITTED: lambda: gettext("submitted"),
    IncidentStatus.VERIFIED: lambda: gettext("verified"),
    IncidentStatus.REJECTED: lambda: gettext("rejected"),
}


def incident_submit(*, actor, incident: Incident, request=None) -> Incident:
    """Draft (or a rejected incident corrected by its organisation) -> submitted."""
    return _transition(
        actor=actor,
        incident=incident,
        perm=Perm.INCIDENT_EDIT,
        allowed_from=(IncidentStatus.DRAFT, IncidentStatus.REJECTED),
        to=IncidentStatus.SUBMITTED,
        kind=Kind.SUBMITTED,
        request=request,
        extra={"submitted_at": lambda now: now, "rejection_reason": ""},
    )


def incident_verify(*, actor, incident: Incident, request=None) -> Incident:
    return _transition(
        actor=actor,
        incident=incident,
        perm=Perm.INCIDENT_REVIEW,
        allowed_from=(IncidentStatus.SUBMITTED,),
        to=IncidentStatus.VERIFIED,
        kind=Kind.VERIFIED,
        request=request,
        extra={"reviewed_at": lambda now: now, "reviewed_by": actor},
    )


def incident_reject(*, actor, incident: Incident, reason: str, request=None) -> Incident:
    """Submitted or verified -> rejected, with a reason the organisation reads in the timeline."""
    reason = (reason or "").strip()
    if has_perm(actor, Perm.INCIDENT_REVIEW, incident) and not reason:
        raise ValidationError({"reason": [gettext("Give the reason for the rejection.")]})
    return _transition(
        actor=actor,
        incident=incident,
        perm=Perm.INCIDENT_REVIEW,
        allowed_from=(IncidentStatus.SUBMITTED, IncidentStatus.VERIFIED),
        to=IncidentStatus.REJECTED,
        kind=Kind.REJECTED,
        request=request,
        note=reason,
        extra={"reviewed_at": lambda now: now, "reviewed_by": actor, "rejection_reason": reason},
    )


# --- Bulk import --------------------------------------------------------------------------------


def _attach_communes(rows: list[IncidentRow]) -> None:
    """Load the communes of the rows' settlements in one query (validation reads their paths)."""
    from sentinelle.geography.models import AdminArea

    missing = {
        row.settlement.admin3_id
        for row in rows
        if row.settlement is not None and "admin3" not in row.settlement._state.fields_cache
    }
    if not missing:
        return
    communes = AdminArea.objects.only("id", "path", "version_id", "level", "parent_id").in_bulk(missing)
    for row in rows:
        if row.settlement is not None and "admin3" not in row.settlement._state.fields_cache:
            row.settlement.admin3 = communes[row.settlement.admin3_id]


def _existing_by_source(organisation, source_ids: set[str]) -> dict[str, Incident]:
    found: dict[str, Incident] = {}
    # Which are recorded, by one set look-up; only those (usually none) are loaded.
    ids = sorted(_bulk.existing_source_ids(Incident, organisation_id=organisation.pk, source_ids=source_ids))
    for start in range(0, len(ids), 900):  # under SQLite's parameter limit
        chunk = ids[start : start + 900]
        # exclude(source_id="") lets SQLite use the partial unique index on (organisation, source_id).
        rows = Incident.objects.filter(organisation=organisation, source_id__in=chunk).exclude(source_id="")
        for incident in rows.order_by():
            found[incident.source_id] = incident
    return found


def _bulk_write(incidents, values, rows: list[IncidentRow], *, actor, now, submit) -> None:
    """Insert the incidents and their rows with prepared statements (see _bulk), details with the ORM."""
    _bulk.insert_values(Incident, values)
    _bulk.adopt_ids(incidents, "reference")
    pairs = list(zip(incidents, rows, strict=True))
    _bulk.insert_tuples(
        IncidentCategory,
        ["incident_id", "category"],
        ((incident.pk, category) for incident, row in pairs for category in dict.fromkeys(row.categories)),
    )
    _bulk.insert_tuples(
        VictimCount,
        ["incident_id", "outcome", "sex", "age_group", "count"],
        (
            (incident.pk, outcome, sex, age_group, count)
            for incident, row in pairs
            for (outcome, sex, age_group), count in sorted(victim_cells(row).items())
        ),
    )
    detailed = [
        build_rows(incident, row) for incident, row in pairs if row.gbv or row.violations or row.explosive
    ]
    write_rows(detailed, with_counts=False)
    event_field = IncidentEvent._meta.get_field
    at = _bulk.db_value(event_field("at"), now)
    user_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    no_change = _bulk.db_value(event_field("changes"), {})
    submitted = _bulk.db_value(event_field("changes"), {"status": ["draft", "submitted"]})
    note = gettext("Imported.")
    events = [(incident.pk, at, user_id, str(Kind.CREATED), no_change, note) for incident in incidents]
    if submit:
        events += [(incident.pk, at, user_id, str(Kind.SUBMITTED), submitted, "") for incident in incidents]
    _bulk.insert_tuples(IncidentEvent, ["incident_id", "at", "user_id", "kind", "changes", "note"], events)


def incident_import_many(
    *,
    actor,
    organisation,
    rows: list[IncidentRow],
    channel: str = Channel.IMPORT,
    submit: bool = True,
    request=None,
    follow_up: bool = True,
) -> ImportResult:
    """Write many incidents at once, all or nothing, idempotent by source id.

    Rows are validated again here (in memory, cheap): a row that fails raises ValidationError whose keys
    are "<row index>.<field>" (index from 0 in `rows`) and nothing is written. Rows whose source id is
    already recorded for the organisation (or repeated within `rows`) are left unchanged.
    `follow_up=False` skips duplicate detection and alerts: the caller runs them itself (the demo,
    without e-mail; an import job, once for the whole file, with `hooks.incidents_follow_up`).
    """
    ensure(
        actor,
        Perm.IMPORT_RUN,
        organisation=organisation,
        request=request,
        message=_refused(),
        object_type="monitoring.incident",
    )
    now = timezone.now()
    status = IncidentStatus.SUBMITTED if submit else IncidentStatus.DRAFT
    with transaction.atomic():
        existing = _existing_by_source(organisation, {row.source_id for row in rows if row.source_id})
        order: list[Incident | int] = []  # an existing incident, or the index in `to_create`
        to_create: list[tuple[int, IncidentRow]] = []
        seen: dict[str, int] = {}
        for index, row in enumerate(rows):
            if row.source_id and row.source_id in existing:
                order.append(existing[row.source_id])
            elif row.source_id and row.source_id in seen:
                order.append(seen[row.source_id])
            else:
                if row.source_id:
                    seen[row.source_id] = len(to_create)
                order.append(len(to_create))
                to_create.append((index, row))
        _attach_communes([row for _index, row in to_create])
        errors = Errors()
        areas_checked: dict[int, bool] = {}
        survivor_checked: dict[int | None, bool] = {}
        today = timezone.localdate()
        for index, row in to_create:
            row_errors = Errors()
            incident_check(row_errors, row, today=today)
            for key, messages in row_errors.as_dict().items():
                for message in messages:
                    errors.add(f"{index}.{key}", message)
            area = row.area
            if area is not None and hasattr(area, "path"):
                if area.pk not in areas_checked:
                    areas_checked[area.pk] = may_act_for(
                        actor, Perm.IMPORT_RUN, organisation=organisation, area=area
                    )
                if not areas_checked[area.pk]:
                    errors.add(f"{index}.area", _outside_areas_message())
            if row.gbv is not None:
                key = getattr(area, "pk", None)
                if key not in survivor_checked:
                    survivor_checked[key] = _may_record_survivor(actor, organisation, area)
                if not survivor_checked[key]:
                    errors.add(f"{index}.gbv", survivor_details_refused())
        errors.raise_if_any()
        references = _reserve_references(len(to_create), timezone.localdate().year)
        user_id = actor.pk if getattr(actor, "is_authenticated", False) else None
        values = [
            incident_values(
                row,
                organisation=organisation,
                user_id=user_id,
                channel=channel,
                status=status,
                reference=reference,
                now=now,
            )
            for (_index, row), reference in zip(to_create, references, strict=True)
        ]
        incidents = [
            incident_from_values(row_values, row, organisation)
            for row_values, (_index, row) in zip(values, to_create, strict=True)
        ]
        _bulk_write(
            incidents, values, [row for _index, row in to_create], actor=actor, now=now, submit=submit
        )
        audit_record(
            action=AuditAction.IMPORT,
            user=actor,
            organisation=organisation,
            object_type="monitoring.incident",
            request=request,
            detail={
                "created": len(incidents),
                "unchanged": len(rows) - len(incidents),
                "channel": channel,
                "status": status,
            },
        )
        incident_rollups_add(incident_ids=[incident.pk for incident in incidents])
        figures_changed("monitoring")
        if submit and incidents and follow_up:
            _entered([incident.pk for incident in incidents])
    result = [incidents[item] if isinstance(item, int) else item for item in order]
    return ImportResult(
        created=len(incidents),
        unchanged=len(rows) - len(incidents),
        incidents=result,
        entered_ids=[incident.pk for incident in incidents] if submit else [],
    )
