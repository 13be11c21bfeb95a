"""Population figures: one at a time (page) or a whole table (import)."""

import datetime
from dataclasses import fields

from django.db import transaction
from django.utils.translation import gettext as _

from sentinelle.accounts.models import Organisation
from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.validation import Errors
from sentinelle.displacement.models import (
    PopulationBreakdown,
    PopulationFigure,
)
from sentinelle.displacement.services._common import (
    FigureLine,
    ImportResult,
    _require,
    _round_taken_message,
    _same_round,
    figure_check,
)
from sentinelle.geography.models import AdminArea

# --- Figures ----------------------------------------------------------------------------------


def _write_breakdown(figure: PopulationFigure, breakdown: dict) -> None:
    figure.breakdown.all().delete()
    PopulationBreakdown.objects.bulk_create(
        PopulationBreakdown(figure=figure, sex=sex, age_group=age, count=count)
        for (sex, age), count in sorted(breakdown.items())
        if count
    )


def _line(arguments: dict) -> FigureLine:
    """The figure a write's arguments describe (taken first thing, from its locals())."""
    values = {name.name: arguments[name.name] for name in fields(FigureLine)}
    return FigureLine(**{**values, "breakdown": values["breakdown"] or {}})


def figure_record(
    *,
    actor,
    organisation: Organisation | None,
    area: AdminArea | None,
    round_date: datetime.date | None,
    status: str,
    source: str,
    individuals: int | None,
    households: int | None = None,
    breakdown: dict[tuple[str, str], int] | None = None,
    source_key: str = "",
    request=None,
) -> PopulationFigure:
    """Record one figure (`breakdown`: (sex, age group) -> count, cells of 0 left out)."""
    data = _line(locals())
    _require(
        actor,
        data.organisation,
        data.area,
        request=request,
        object_type="displacement.populationfigure",
        action="figure_record",
    )
    errors = Errors()
    figure_check(errors, data)
    if not errors:
        existing = _same_round(data)
        if existing is not None:
            errors.add("round_date", _round_taken_message(existing))
    errors.raise_if_any()
    with transaction.atomic():
        figure = PopulationFigure.objects.create(
            organisation=data.organisation,
            area=data.area,
            round_date=data.round_date,
            status=data.status,
            source=data.source,
            individuals=data.individuals,
            households=data.households,
            source_key=data.source_key or data.natural_key(),
            created_by=actor,
            updated_by=actor,
        )
        _write_breakdown(figure, data.breakdown)
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=figure,
            request=request,
            detail={"area": data.area.pcode, "status": data.status, "round": data.round_date.isoformat()},
        )
        figures_changed("displacement")
    return figure


def figure_update(
    *,
    actor,
    figure: PopulationFigure,
    organisation: Organisation | None,
    area: AdminArea | None,
    round_date: datetime.date | None,
    status: str,
    source: str,
    individuals: int | None,
    households: int | None = None,
    breakdown: dict[tuple[str, str], int] | None = None,
    request=None,
) -> PopulationFigure:
    """Correct a figure; moving it to another organisation or area needs the right there too."""
    data = _line({**locals(), "source_key": figure.source_key})
    _require(actor, data.organisation, data.area, request=request, obj=figure, action="figure_update")
    errors = Errors()
    figure_check(errors, data)
    if not errors:
        existing = _same_round(data, exclude_pk=figure.pk)
        if existing is not None:
            errors.add("round_date", _round_taken_message(existing))
    errors.raise_if_any()
    changed = sorted(
        name
        for name in ("organisation", "area", "round_date", "status", "source", "individuals", "households")
        if getattr(figure, name) != getattr(data, name)
    )
    with transaction.atomic():
        for name in ("organisation", "area", "round_date", "status", "source", "individuals", "households"):
            setattr(figure, name, getattr(data, name))
        figure.updated_by = actor
        figure.save()
        _write_breakdown(figure, data.breakdown)
        audit_record(
            action=AuditAction.UPDATE, user=actor, obj=figure, request=request, detail={"fields": changed}
        )
        figures_changed("displacement")
    return figure


def figures_import(
    *, actor, organisation: Organisation, rows: list[FigureLine], request=None
) -> ImportResult:
    """Write many figures at once, all or nothing; rows whose source key is known are left unchanged.

    Errors are keyed "<index>.<field>" so that the import names the row.
    """
    for row in rows:
        _require(
            actor,
            row.organisation,
            row.area,
            request=request,
            object_type="displacement.populationfigure",
            action="figures_import",
        )
    errors = Errors()
    keys = [row.source_key or row.natural_key() for row in rows]
    known = set(
        PopulationFigure.objects.filter(organisation=organisation, source_key__in=keys).values_list(
            "source_key", flat=True
        )
    )
    fresh: list[tuple[int, FigureLine, str]] = []
    seen_rounds: dict[tuple, int] = {}
    for index, (row, key) in enumerate(zip(rows, keys, strict=True)):
        figure_check(errors, row, prefix=f"{index}.")
        if key in known:
            continue
        natural = (row.area.pk if row.area else None, row.status, row.round_date, row.source)
        if natural in seen_rounds:
            errors.add(
                f"{index}.round_date",
                _("Same area, status, round and source as row %(row)s.") % {"row": seen_rounds[natural] + 1},
            )
            continue
        seen_rounds[natural] = index
        if row.area is not None and f"{index}.area" not in errors:
            existing = _same_round(row)
            if existing is not None:
                errors.add(f"{index}.round_date", _round_taken_message(existing))
        fresh.append((index, row, key))
    errors.raise_if_any()
    with transaction.atomic():
        figures = PopulationFigure.objects.bulk_create(
            PopulationFigure(
                organisation=row.organisation,
                area=row.area,
                round_date=row.round_date,
                status=row.status,
                source=row.source,
                individuals=row.individuals,
                households=row.households,
                source_key=key,
                created_by=actor,
                updated_by=actor,
            )
            for _index, row, key in fresh
        )
        if figures and figures[0].pk is None:
            # Databases that do not return keys from bulk inserts: read them back by source key.
            by_key = dict(
                PopulationFigure.objects.filter(
                    organisation=organisation, source_key__in=[key for _i, _r, key in fresh]
                ).values_list("source_key", "pk")
            )
            for figure in figures:
                figure.pk = by_key[figure.source_key]
        PopulationBreakdown.objects.bulk_create(
            PopulationBreakdown(figure=figure, sex=sex, age_group=age, count=count)
            for figure, (_index, row, _key) in zip(figures, fresh, strict=True)
            for (sex, age), count in sorted(row.breakdown.items())
            if count
        )
        audit_record(
            action=AuditAction.IMPORT,
            user=actor,
            organisation=organisation,
            object_type="displacement.populationfigure",
            request=request,
            detail={"created": len(fresh), "unchanged": len(rows) - len(fresh)},
        )
        figures_changed("displacement")
    return ImportResult(created=len(fresh), unchanged=len(rows) - len(fresh))
