"""Displacement events, return intentions and people in need."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sentinelle.accounts.models import Organisation
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import PopulationStatus
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.hooks import DISPLACEMENT_EVENTS_RECORDED, announce
from sentinelle.core.models import AuditAction
from sentinelle.core.validation import Errors
from sentinelle.displacement.models import (
    FIGURE_STATUSES,
    DisplacementEvent,
    EventCause,
    FigureSource,
    PeopleInNeed,
    ReturnCondition,
    ReturnIntention,
)
from sentinelle.displacement.services._common import (
    MAX_TEXT,
    ImportResult,
    IntentionLine,
    NeedLine,
    _check_area,
    _check_count,
    _check_date,
    _require,
)
from sentinelle.geography.models import AdminArea

# --- Events -----------------------------------------------------------------------------------


def event_check(errors: Errors, data: dict) -> None:
    """Add every problem of a displacement event (event_record's arguments) to `errors`."""
    if data["organisation"] is None:
        errors.add("organisation", _("Give the reporting organisation."))
    _check_date(errors, "date", data["date"])
    _check_area(errors, "destination_area", data["destination_area"], levels=(2, 3))
    if data["origin_area"] is not None:
        _check_area(errors, "origin_area", data["origin_area"], levels=(1, 2, 3))
    _check_count(errors, "individuals", data["individuals"])
    if data["individuals"] == 0:
        errors.add("individuals", _("A displacement concerns at least one person."))
    _check_count(errors, "households", data["households"], required=False)
    if data["cause"] not in EventCause.values:
        errors.add("cause", _("Unknown cause “%(value)s”.") % {"value": data["cause"]})
    if data["source"] not in FigureSource.values:
        errors.add("source", _("Unknown source “%(value)s”.") % {"value": data["source"]})
    if len(data["description"] or "") > MAX_TEXT:
        errors.add("description", _("At most %(limit)s characters.") % {"limit": MAX_TEXT})


def event_record(
    *,
    actor,
    organisation: Organisation | None,
    date: datetime.date | None,
    destination_area: AdminArea | None,
    individuals: int | None,
    cause: str,
    source: str,
    origin_area: AdminArea | None = None,
    households: int | None = None,
    description: str = "",
    source_key: str = "",
    request=None,
) -> DisplacementEvent:
    _require(
        actor,
        organisation,
        destination_area,
        request=request,
        object_type="displacement.displacementevent",
        action="event_record",
    )
    values = {
        "organisation": organisation,
        "date": date,
        "origin_area": origin_area,
        "destination_area": destination_area,
        "households": households,
        "individuals": individuals,
        "cause": cause,
        "source": source,
        "description": (description or "").strip(),
        "source_key": source_key,
    }
    errors = Errors()
    event_check(errors, {**values, "description": description})
    errors.raise_if_any()
    with transaction.atomic():
        event = DisplacementEvent.objects.create(**values, created_by=actor, updated_by=actor)
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=event,
            request=request,
            detail={
                "area": destination_area.pcode,
                "individuals": individuals,
                "cause": cause,
            },
        )
        figures_changed("displacement")
        announce(DISPLACEMENT_EVENTS_RECORDED, event_ids=[event.pk])
    return event


# --- Return intentions ------------------------------------------------------------------------------


def return_intention_check(errors: Errors, data: IntentionLine) -> None:
    """Add every problem of a return intentions survey to `errors`."""
    if data.organisation is None:
        errors.add("organisation", _("Give the reporting organisation."))
    _check_area(errors, "area", data.area, levels=(2, 3))
    _check_date(errors, "survey_date", data.survey_date)
    if data.population_status not in FIGURE_STATUSES:
        errors.add(
            "population_status",
            _("Unknown population status “%(value)s”.") % {"value": data.population_status},
        )
    for key in ("households_surveyed", "wish_return", "wish_stay", "wish_elsewhere"):
        _check_count(errors, key, getattr(data, key))
    if data.source not in FigureSource.values:
        errors.add("source", _("Unknown source “%(value)s”.") % {"value": data.source})
    unknown = [code for code in data.conditions if code not in ReturnCondition.values]
    if unknown:
        errors.add("conditions", _("Unknown conditions: %(codes)s.") % {"codes": ", ".join(unknown)})
    counts = [data.households_surveyed, data.wish_return, data.wish_stay, data.wish_elsewhere]
    if all(count is not None and count >= 0 for count in counts):
        answered = data.wish_return + data.wish_stay + data.wish_elsewhere
        if answered != data.households_surveyed:
            errors.add(
                "households_surveyed",
                _("Households by wish (%(answered)s) must add up to the households surveyed (%(surveyed)s).")
                % {"answered": answered, "surveyed": data.households_surveyed},
            )


def return_intention_record(
    *,
    actor,
    organisation: Organisation | None,
    area: AdminArea | None,
    survey_date: datetime.date | None,
    population_status: str,
    households_surveyed: int | None,
    wish_return: int | None,
    wish_stay: int | None,
    wish_elsewhere: int | None,
    source: str,
    conditions=(),
    request=None,
) -> ReturnIntention:
    data = IntentionLine(
        organisation=organisation,
        area=area,
        survey_date=survey_date,
        population_status=population_status,
        households_surveyed=households_surveyed,
        wish_return=wish_return,
        wish_stay=wish_stay,
        wish_elsewhere=wish_elsewhere,
        source=source,
        conditions=tuple(conditions),
    )
    _require(
        actor,
        data.organisation,
        data.area,
        request=request,
        object_type="displacement.returnintention",
        action="return_intention_record",
    )
    errors = Errors()
    return_intention_check(errors, data)
    errors.raise_if_any()
    with transaction.atomic():
        intention = ReturnIntention.objects.create(
            organisation=data.organisation,
            area=data.area,
            survey_date=data.survey_date,
            population_status=data.population_status,
            households_surveyed=data.households_surveyed,
            wish_return=data.wish_return,
            wish_stay=data.wish_stay,
            wish_elsewhere=data.wish_elsewhere,
            conditions=sorted(set(data.conditions)),
            source=data.source,
            created_by=actor,
            updated_by=actor,
        )
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=intention,
            request=request,
            detail={"area": data.area.pcode, "surveyed": data.households_surveyed},
        )
        figures_changed("displacement")
    return intention


# --- People in need -----------------------------------------------------------------------------------


def need_check(errors: Errors, data: NeedLine, *, prefix: str = "") -> None:
    """Add every problem of one cell of people in need to `errors` (fields after `prefix`)."""
    if data.organisation is None:
        errors.add(prefix + "organisation", _("Give the reporting organisation."))
    _check_area(errors, prefix + "area", data.area, levels=(1, 2, 3))
    if data.year is None or not 2000 <= data.year <= timezone.localdate().year + 1:
        errors.add(prefix + "year", _("Give a year between 2000 and next year."))
    if data.population_status not in PopulationStatus.values:
        errors.add(
            prefix + "population_status",
            _("Unknown population group “%(value)s”.") % {"value": data.population_status},
        )
    _check_count(errors, prefix + "people_in_need", data.people_in_need)
    if not (data.source or "").strip():
        errors.add(prefix + "source", _("Give the source (e.g. HNO 2024)."))
    elif len(data.source) > 100:
        errors.add(prefix + "source", _("At most %(limit)s characters.") % {"limit": 100})


def _need_existing(data: NeedLine):
    return PeopleInNeed.objects.filter(
        area=data.area, year=data.year, population_status=data.population_status, is_archived=False
    ).first()


def people_in_need_record(
    *,
    actor,
    organisation: Organisation | None,
    area: AdminArea | None,
    year: int | None,
    population_status: str,
    people_in_need: int | None,
    source: str,
    request=None,
) -> PeopleInNeed:
    """Record (or correct) the people in need of an area, year and group: one figure per cell."""
    data = NeedLine(
        organisation=organisation,
        area=area,
        year=year,
        population_status=population_status,
        people_in_need=people_in_need,
        source=source,
    )
    existing = _need_existing(data) if data.area is not None else None
    _require(
        actor,
        data.organisation,
        data.area,
        request=request,
        obj=existing,
        object_type="displacement.peopleinneed",
        action="people_in_need_record",
    )
    errors = Errors()
    need_check(errors, data)
    errors.raise_if_any()
    with transaction.atomic():
        if existing is None:
            need = PeopleInNeed.objects.create(
                organisation=data.organisation,
                area=data.area,
                year=data.year,
                population_status=data.population_status,
                people_in_need=data.people_in_need,
                source=data.source.strip(),
                created_by=actor,
                updated_by=actor,
            )
            action = AuditAction.CREATE
        else:
            need = existing
            need.people_in_need, need.source, need.updated_by = (
                data.people_in_need,
                data.source.strip(),
                actor,
            )
            need.organisation = data.organisation
            need.save()
            action = AuditAction.UPDATE
        audit_record(
            action=action,
            user=actor,
            obj=need,
            request=request,
            detail={"area": data.area.pcode, "year": data.year, "group": data.population_status},
        )
        figures_changed("displacement")
    return need


def people_in_need_import(
    *, actor, organisation: Organisation, rows: list[NeedLine], request=None
) -> ImportResult:
    """Write a needs table, all or nothing; a cell already recorded with the same figure is unchanged, a
    cell recorded with another figure is refused (correct it on the page, where the change is audited)."""
    errors = Errors()
    seen: dict[tuple, int] = {}
    fresh: list[NeedLine] = []
    for index, row in enumerate(rows):
        _require(
            actor,
            row.organisation,
            row.area,
            request=request,
            object_type="displacement.peopleinneed",
            action="people_in_need_import",
        )
        found = len(errors.as_dict())
        need_check(errors, row, prefix=f"{index}.")
        if len(errors.as_dict()) > found:  # this row has problems of its own
            continue
        key = (row.area.pk, row.year, row.population_status)
        if key in seen:
            errors.add(
                f"{index}.area", _("Same area, year and group as row %(row)s.") % {"row": seen[key] + 1}
            )
            continue
        seen[key] = index
        existing = _need_existing(row)
        if existing is None:
            fresh.append(row)
        elif existing.people_in_need != row.people_in_need:
            errors.add(
                f"{index}.people_in_need",
                _("Already recorded for this area, year and group with %(value)s people in need.")
                % {"value": existing.people_in_need},
            )
    errors.raise_if_any()
    with transaction.atomic():
        PeopleInNeed.objects.bulk_create(
            PeopleInNeed(
                organisation=row.organisation,
                area=row.area,
                year=row.year,
                population_status=row.population_status,
                people_in_need=row.people_in_need,
                source=row.source.strip(),
                created_by=actor,
                updated_by=actor,
            )
            for row in fresh
        )
        audit_record(
            action=AuditAction.IMPORT,
            user=actor,
            organisation=organisation,
            object_type="displacement.peopleinneed",
            request=request,
            detail={"created": len(fresh), "unchanged": len(rows) - len(fresh)},
        )
        figures_changed("displacement")
    return ImportResult(created=len(fresh), unchanged=len(rows) - len(fresh))
