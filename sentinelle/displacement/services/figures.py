"""Population figures: one at a time (page) or a whole table (import)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sentinelle.accounts.models import Organisation
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.displacement.models import (
    PopulationBreakdown,
    PopulationFigure,
)
from sentinelle.displacement.services._common import (
    FigureInput,
    ImportResult,
    _require,
    _round_taken_message,
    _same_round,
    figure_errors,
)

# --- Figures ----------------------------------------------------------------------------------


def _write_breakdown(figure: PopulationFigure, breakdown: dict) -> None:
    figure.breakdown.all().delete()
    PopulationBreakdown.objects.bulk_create(
        PopulationBreakdown(figure=figure, sex=sex, age_group=age, count=count)
        for (sex, age), count in sorted(breakdown.items())
        if count
    )


def figure_record(*, actor, data: FigureInput, request=None) -> PopulationFigure:
    _require(
        actor,
        data.organisation,
        data.area,
        request=request,
        object_type="displacement.populationfigure",
        action="figure_record",
    )
    errors = figure_errors(data)
    if not errors:
        existing = _same_round(data)
        if existing is not None:
            errors["round_date"] = [_round_taken_message(existing)]
    if errors:
        raise ValidationError(errors)
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
    return figure


def figure_update(*, actor, figure: PopulationFigure, data: FigureInput, request=None) -> PopulationFigure:
    """Correct a figure; moving it to another organisation or area needs the right there too."""
    _require(actor, data.organisation, data.area, request=request, obj=figure, action="figure_update")
    errors = figure_errors(data)
    if not errors:
        existing = _same_round(data, exclude_pk=figure.pk)
        if existing is not None:
            errors["round_date"] = [_round_taken_message(existing)]
    if errors:
        raise ValidationError(errors)
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
    return figure


def figure_breakdown(figure: PopulationFigure) -> dict[tuple[str, str], int]:
    return {(cell.sex, cell.age_group): cell.count for cell in figure.breakdown.all()}


def figures_import(
    *, actor, organisation: Organisation, rows: list[FigureInput], request=None
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
    errors: dict[str, list[str]] = {}
    keys = [row.source_key or row.natural_key() for row in rows]
    known = set(
        PopulationFigure.objects.filter(organisation=organisation, source_key__in=keys).values_list(
            "source_key", flat=True
        )
    )
    fresh: list[tuple[int, FigureInput, str]] = []
    seen_rounds: dict[tuple, int] = {}
    for index, (row, key) in enumerate(zip(rows, keys, strict=True)):
        for name, messages in figure_errors(row).items():
            errors[f"{index}.{name}"] = messages
        if key in known:
            continue
        natural = (row.area.pk if row.area else None, row.status, row.round_date, row.source)
        if natural in seen_rounds:
            errors.setdefault(f"{index}.round_date", []).append(
                _("Same area, status, round and source as row %(row)s.") % {"row": seen_rounds[natural] + 1}
            )
            continue
        seen_rounds[natural] = index
        if row.area is not None and f"{index}.area" not in errors:
            existing = _same_round(row)
            if existing is not None:
                errors.setdefault(f"{index}.round_date", []).append(_round_taken_message(existing))
        fresh.append((index, row, key))
    if errors:
        raise ValidationError(errors)
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
    return ImportResult(created=len(fresh), unchanged=len(rows) - len(fresh))
