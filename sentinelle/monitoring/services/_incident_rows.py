"""From an IncidentRow to unsaved model rows, and their bulk writes (shared by record, update, import).

One code path builds the rows of one incident or of ten thousand: `write_rows` inserts every kind of row
with one bulk insert per table, so an import costs a constant number of statements per batch. `snapshot`
gives a comparable, JSON-ready picture of an incident (stored, or about to be) for the timeline's
"what changed".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sentinelle.monitoring.classification import classify, reporting_delay, survivor_case_context
from sentinelle.monitoring.inputs import IncidentRow
from sentinelle.monitoring.models import (
    Casualty,
    ExplosiveAccident,
    GBVIncident,
    GraveViolation,
    Incident,
    IncidentCategory,
    Outcome,
    VictimCount,
    ViolationVictims,
    age_group_of,
)
from sentinelle.monitoring.services._bulk import create_many
from sentinelle.monitoring.validation import victim_cells

BATCH = 2000

GBV_FIELDS = (
    "survivor_code",
    "survivor_age",
    "survivor_age_estimated",
    "survivor_sex",
    "displacement_status",
    "disability",
    "marital_status",
    "separation_status",
    "displacement_stage",
    "time_of_day",
    "location_type",
    "harmful_practice",
    "goods_exchanged",
    "abduction_type",
    "reported_elsewhere",
    "previous_incidents",
    "perpetrator_count",
    "perpetrator_sex",
    "perpetrator_age_group",
    "perpetrator_relationship",
    "perpetrator_occupation",
    "previous_incident_with_perpetrator",
    "referred_from",
    "referrals",
    "wants_legal_action",
    "consent_to_report",
)
GBV_DERIVED = (
    "classification_answers",
    "gbv_type",
    "reporting_delay",
    "is_intimate_partner_violence",
    "is_child_sexual_abuse",
    "is_early_marriage",
    "is_possible_sexual_exploitation",
    "is_possible_sexual_slavery",
    "is_harmful_traditional_practice",
)
SCALAR_FIELDS = (
    "date_start",
    "date_end",
    "date_estimated",
    "date_reported",
    "coordinates",
    "account",
    "summary",
    "perpetrator_category",
    "displaced_households",
    "displaced_individuals",
    "source_mechanism",
    "reliability",
    "sharing_level",
    "source_id",
)


@dataclass
class IncidentRows:
    """The rows that belong to one incident, unsaved."""

    incident: Incident
    categories: list[IncidentCategory] = field(default_factory=list)
    victims: list[VictimCount] = field(default_factory=list)
    gbv: GBVIncident | None = None
    violations: list[tuple[GraveViolation, list[ViolationVictims]]] = field(default_factory=list)
    explosive: tuple[ExplosiveAccident, list[Casualty]] | None = None


def _incident_value_plan() -> list[tuple[str, object]]:
    """(attname, default) of Incident's concrete fields in order; a callable default is called per row."""
    plan = []
    for model_field in Incident._meta.concrete_fields:
        if model_field.primary_key:
            default = None
        elif model_field.has_default() and callable(model_field.default):
            default = model_field.default  # public_id: a new UUID per row
        else:
            default = model_field.get_default()  # "" for text fields, None for nullable ones
        plan.append((model_field.attname, default))
    return plan


_PLAN: list[tuple[str, object]] = []


def incident_values(
    data: IncidentRow, *, organisation, user_id, channel, status, reference, now, cells=None
) -> list:
    """Every concrete field value of a new incident, in field order (positional construction is several
    times faster than keywords, which counts for imports)."""
    if not _PLAN:
        _PLAN.extend(_incident_value_plan())
    cells = victim_cells(data) if cells is None else cells
    given = {name: getattr(data, name) for name in SCALAR_FIELDS}
    given["coordinates"] = given["coordinates"] or ""
    given["account"] = given["account"] or ""
    given["summary"] = given["summary"] or ""
    given.update(
        reference=reference,
        organisation_id=organisation.pk,
        status=status,
        area_id=data.area.pk,
        settlement_id=data.settlement.pk if data.settlement is not None else None,
        channel=channel,
        victims_total=sum(cells.values()),
        killed_total=sum(count for (outcome, _s, _a), count in cells.items() if outcome == Outcome.KILLED),
        submitted_at=now if status != "draft" else None,
        created_by_id=user_id,
        updated_by_id=user_id,
        created_at=now,
        updated_at=now,
    )
    return [
        given[name] if name in given else (default() if callable(default) else default)
        for name, default in _PLAN
    ]


def incident_from_values(values: list, data: IncidentRow, organisation) -> Incident:
    incident = Incident(*values)
    cache = incident._state.fields_cache
    cache["area"] = data.area
    cache["organisation"] = organisation
    if data.settlement is not None:
        cache["settlement"] = data.settlement
    return incident


def build_incident(data: IncidentRow, *, organisation, actor, channel, status, reference, now) -> Incident:
    user_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    values = incident_values(
        data,
        organisation=organisation,
        user_id=user_id,
        channel=channel,
        status=status,
        reference=reference,
        now=now,
    )
    return incident_from_values(values, data, organisation)


def _gbv_row(incident: Incident, data: IncidentRow) -> GBVIncident:
    gbv = data.gbv
    result = classify(gbv.answers or {})
    context = survivor_case_context(gbv, result.gbv_type)
    return GBVIncident(
        incident=incident,
        classification_answers=[[key, answer] for key, answer in result.asked],
        gbv_type=str(result.gbv_type),
        reporting_delay=str(reporting_delay(data.date_end or data.date_start, data.date_reported)),
        **{name: getattr(gbv, name) for name in GBV_FIELDS if name != "referrals"},
        referrals=dict(gbv.referrals or {}),
        **context.as_fields(),
    )


def build_rows(incident: Incident, data: IncidentRow) -> IncidentRows:
    rows = IncidentRows(incident=incident)
    rows.categories = [
        IncidentCategory(incident=incident, category=c) for c in dict.fromkeys(data.categories)
    ]
    rows.victims = [
        VictimCount(incident=incident, outcome=outcome, sex=sex, age_group=age_group, count=count)
        for (outcome, sex, age_group), count in sorted(victim_cells(data).items())
    ]
    if data.gbv is not None:
        rows.gbv = _gbv_row(incident, data)
    for item in data.violations:
        violation = GraveViolation(
            incident=incident,
            type=item.type,
            perpetrator_party=item.perpetrator_party,
            verification=item.verification,
            facility=item.facility or "",
        )
        merged: dict[tuple[str, str], int] = {}
        for cell in item.victims:
            merged[(cell.sex, cell.age_group)] = merged.get((cell.sex, cell.age_group), 0) + cell.count
        victims = [
            ViolationVictims(violation=violation, sex=sex, age_group=age_group, count=count)
            for (sex, age_group), count in sorted(merged.items())
            if count > 0
        ]
        rows.violations.append((violation, victims))
    if data.explosive is not None:
        accident = ExplosiveAccident(
            incident=incident, device_type=data.explosive.device_type, activity=data.explosive.activity
        )
        casualties = [
            Casualty(
                accident=accident,
                sex=casualty.sex,
                age=casualty.age,
                age_group=age_group_of(casualty.age),
                outcome=casualty.outcome,
                civilian=casualty.civilian,
                displacement_status=casualty.displacement_status or "",
            )
            for casualty in data.explosive.casualties
        ]
        rows.explosive = (accident, casualties)
    return rows


def _relink(objects, attribute: str) -> None:
    """Point each row at its (now saved) parent: the parent's id was unknown when the row was built."""
    for obj in objects:
        setattr(obj, attribute, getattr(obj, attribute))


def write_rows(all_rows: list[IncidentRows], *, with_counts: bool = True) -> None:
    """Insert the child rows of saved incidents: one bulk insert per table (`with_counts=False`: the
    typed details only, the caller writes categories and victim counts itself)."""
    categories = [c for rows in all_rows for c in rows.categories] if with_counts else []
    victims = [v for rows in all_rows for v in rows.victims] if with_counts else []
    gbv = [rows.gbv for rows in all_rows if rows.gbv is not None]
    violations = [v for rows in all_rows for v, _cells in rows.violations]
    accidents = [rows.explosive[0] for rows in all_rows if rows.explosive is not None]
    for objects in (categories, victims, gbv, violations, accidents):
        _relink(objects, "incident")
    for objects in (categories, victims, gbv, violations, accidents):
        create_many(objects, batch_size=BATCH)
    violation_victims = [cell for rows in all_rows for _v, cells in rows.violations for cell in cells]
    casualties = [c for rows in all_rows if rows.explosive is not None for c in rows.explosive[1]]
    _relink(violation_victims, "violation")
    _relink(casualties, "accident")
    create_many(violation_victims, batch_size=BATCH)
    create_many(casualties, batch_size=BATCH)


def load_children(incident: Incident) -> IncidentRows:
    """The stored rows of one incident, for comparison with an update."""
    rows = IncidentRows(incident=incident)
    rows.categories = list(incident.category_links.all())
    rows.victims = list(incident.victim_counts.all())
    rows.gbv = GBVIncident.objects.filter(incident=incident).first()
    rows.violations = [(v, list(v.victims.all())) for v in incident.violations.prefetch_related("victims")]
    accident = ExplosiveAccident.objects.filter(incident=incident).prefetch_related("casualties").first()
    if accident is not None:
        rows.explosive = (accident, list(accident.casualties.all()))
    return rows


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def snapshot(incident: Incident, rows: IncidentRows) -> dict:
    """{key: JSON-ready value} of everything an update can change."""
    picture = {name: _plain(getattr(incident, name)) for name in SCALAR_FIELDS}
    picture["area"] = incident.area.pcode
    picture["settlement"] = incident.settlement.pcode if incident.settlement is not None else None
    picture["categories"] = sorted(c.category for c in rows.categories)
    picture["victims"] = sorted(f"{v.outcome}/{v.sex}/{v.age_group}: {v.count}" for v in rows.victims)
    if rows.gbv is not None:
        for name in GBV_FIELDS + GBV_DERIVED:
            picture[f"gbv.{name}"] = _plain(getattr(rows.gbv, name))
    if rows.violations:
        picture["violations"] = sorted(
            f"{v.type}/{v.perpetrator_party}/{v.verification}/{v.facility}: "
            + ", ".join(sorted(f"{c.sex}/{c.age_group}={c.count}" for c in cells))
            for v, cells in rows.violations
        )
    if rows.explosive is not None:
        accident, casualties = rows.explosive
        picture["explosive.device_type"] = accident.device_type
        picture["explosive.activity"] = accident.activity
        picture["explosive.casualties"] = sorted(
            f"{c.outcome}/{c.sex}/{c.age}/{'civilian' if c.civilian else 'other'}/{c.displacement_status}"
            for c in casualties
        )
    return picture
