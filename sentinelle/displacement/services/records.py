"""Displacement events, return intentions and people in need."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sentinelle.accounts.models import Organisation
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import PopulationStatus
from sentinelle.core.hooks import DISPLACEMENT_EVENTS_RECORDED, announce
from sentinelle.core.models import AuditAction
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
    EventInput,
    ImportResult,
    IntentionInput,
    NeedInput,
    _check_area,
    _check_count,
    _check_date,
    _Errors,
    _require,
)

# --- Events -----------------------------------------------------------------------------------


def event_errors(data: EventInput) -> dict[str, list[str]]:
    errors = _Errors()
    if data.organisation is None:
        errors.add("organisation", _("Give the reporting organisation."))
    _check_date(errors, "date", data.date)
    _check_area(errors, "destination_area", data.destination_area, levels=(2, 3))
    if data.origin_area is not None:
        _check_area(errors, "origin_area", data.origin_area, levels=(1, 2, 3))
    _check_count(errors, "individuals", data.individuals)
    if data.individuals == 0:
        errors.add("individuals", _("A displacement concerns at least one person."))
    _check_count(errors, "households", data.households, required=False)
    if data.cause not in EventCause.values:
        errors.add("cause", _("Unknown cause “%(value)s”.") % {"value": data.cause})
    if data.source not in FigureSource.values:
        errors.add("source", _("Unknown source “%(value)s”.") % {"value": data.source})
    if len(data.description or "") > MAX_TEXT:
        errors.add("description", _("At most %(limit)s characters.") % {"limit": MAX_TEXT})
    return dict(errors)


def event_record(*, actor, data: EventInput, request=None) -> DisplacementEvent:
    _require(
        actor,
        data.organisation,
        data.destination_area,
        request=request,
        object_type="displacement.displacementevent",
        action="event_record",
    )
    errors = event_errors(data)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        event = DisplacementEvent.objects.create(
            organisation=data.organisation,
            date=data.date,
            origin_area=data.origin_area,
            destination_area=data.destination_area,
            households=data.households,
            individuals=data.individuals,
            cause=data.cause,
            source=data.source,
            description=(data.description or "").strip(),
            source_key=data.source_key,
            created_by=actor,
            updated_by=actor,
        )
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=event,
            request=request,
            detail={
                "area": data.destination_area.pcode,
                "individuals": data.individuals,
                "cause": data.cause,
            },
        )
        announce(DISPLACEMENT_EVENTS_RECORDED, event_ids=[event.pk])
    return event


# --- Return intentions ------------------------------------------------------------------------------


def return_intention_errors(data: IntentionInput) -> dict[str, list[str]]:
    errors = _Errors()
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
    if not errors:
        answered = data.wish_return + data.wish_stay + data.wish_elsewhere
        if answered != data.households_surveyed:
            errors.add(
                "households_surveyed",
                _("Households by wish (%(answered)s) must add up to the households surveyed (%(surveyed)s).")
                % {"answered": answered, "surveyed": data.households_surveyed},
            )
    return dict(errors)


def return_intention_record(*, actor, data: IntentionInput, request=None) -> ReturnIntention:
    _require(
        actor,
        data.organisation,
        data.area,
        request=request,
        object_type="displacement.returnintention",
        action="return_intention_record",
    )
    errors = return_intention_errors(data)
    if errors:
        raise ValidationError(errors)
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
    return intention


# --- People in need -----------------------------------------------------------------------------------


def need_errors(data: NeedInput) -> dict[str, list[str]]:
    errors = _Errors()
    if data.organisation is None:
        errors.add("organisation", _("Give the reporting organisation."))
    _check_area(errors, "area", data.area, levels=(1, 2, 3))
    if data.year is None or not 2000 <= data.year <= timezone.localdate().year + 1:
        errors.add("year", _("Give a year between 2000 and next year."))
    if data.population_status not in PopulationStatus.values:
        errors.add(
            "population_status",
            _("Unknown population group “%(value)s”.") % {"value": data.population_status},
        )
    _check_count(errors, "people_in_need", data.people_in_need)
    if not (data.source or "").strip():
        errors.add("source", _("Give the source (e.g. HNO 2024)."))
    elif len(data.source) > 100:
        errors.add("source", _("At most %(limit)s characters.") % {"limit": 100})
    return dict(errors)


def _need_existing(data: NeedInput):
    return PeopleInNeed.objects.filter(
        area=data.area, year=data.year, population_status=data.population_status, is_archived=False
    ).first()


def people_in_need_record(*, actor, data: NeedInput, request=None) -> PeopleInNeed:
    """Record (or correct) the people in need of an area, year and group: one figure per cell."""
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
    errors = need_errors(data)
    if errors:
        raise ValidationError(errors)
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
    return need


def people_in_need_import(
    *, actor, organisation: Organisation, rows: list[NeedInput], request=None
) -> ImportResult:
    """Write a needs table, all or nothing; a cell already recorded with the same figure is unchanged, a
    cell recorded with another figure is refused (correct it on the page, where the change is audited)."""
    errors: dict[str, list[str]] = {}
    seen: dict[tuple, int] = {}
    fresh: list[NeedInput] = []
    for index, row in enumerate(rows):
        _require(
            actor,
            row.organisation,
            row.area,
            request=request,
            object_type="displacement.peopleinneed",
            action="people_in_need_import",
        )
        row_errors = need_errors(row)
        for name, messages in row_errors.items():
            errors[f"{index}.{name}"] = messages
        if row_errors:
            continue
        key = (row.area.pk, row.year, row.population_status)
        if key in seen:
            errors[f"{index}.area"] = [
                _("Same area, year and group as row %(row)s.") % {"row": seen[key] + 1}
            ]
            continue
        seen[key] = index
        existing = _need_existing(row)
        if existing is None:
            fresh.append(row)
        elif existing.people_in_need != row.people_in_need:
            errors[f"{index}.people_in_need"] = [
                _("Already recorded for this area, year and group with %(value)s people in need.")
                % {"value": existing.people_in_need}
            ]
    if errors:
        raise ValidationError(errors)
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
    return ImportResult(created=len(fresh), unchanged=len(rows) - len(fresh))
