"""Reading a dataset's roll-up tables (see "Roll-ups" in core/datasets.py): which table answers a query
exactly (`covering_rollup`) and its rows (`compute_from_rollup`), the same as the records would give."""

from django.db.models import Sum

from sentinelle.core.dataset_rows import code_filter, grouped_rows
from sentinelle.core.dataset_types import AREA_LEVELS, FLOOR_WITHHELD, Dataset, Dimension, Filters, Rollup
from sentinelle.core.disclosure import CELL_KEY
from sentinelle.core.periods import month_aligned
from sentinelle.core.scopes import area_q


def _single(value) -> bool:
    if isinstance(value, list | tuple | set | frozenset):
        return len(value) == 1
    return True


def covers(rollup: Rollup, dataset: Dataset, measures, group_by, filters: Filters, *, floor: str) -> bool:
    """Does this roll-up give exactly the base query's answer (see Rollup)?"""
    if any(measure not in rollup.measures for measure in measures):
        return False
    if dataset.perturbed and not rollup.key_sum:
        return False
    if floor == FLOOR_WITHHELD and dataset.gbv_q is not None and not rollup.gbv:
        return False
    pinned = set()
    for dim in group_by:
        if dim in AREA_LEVELS:
            if not rollup.area:
                return False
        elif dim in rollup.dimensions:
            pinned.add(rollup.dimensions[dim])
        else:
            return False
    for name, value in filters.extra.items():
        if name not in rollup.filters:
            return False
        if _single(value):
            pinned.add(rollup.filters[name])
    if (filters.date_from or filters.date_to) and (
        dataset.dates_in_base or not rollup.month or not month_aligned(filters.date_from, filters.date_to)
    ):
        return False
    if filters.areas and not rollup.area:
        return False
    if filters.organisation_ids and not rollup.organisation:
        return False
    return rollup.multi <= pinned


def covering_rollup(dataset: Dataset, measures, group_by, filters: Filters, *, floor: str) -> Rollup | None:
    """The smallest of the dataset's roll-ups that answers this query, or None (the base is queried)."""
    found = [
        rollup
        for rollup in dataset.rollups
        if covers(rollup, dataset, measures, group_by, filters, floor=floor)
    ]
    return min(found, key=lambda rollup: rollup.size) if found else None


def compute_from_rollup(
    dataset: Dataset, rollup: Rollup, measures, group_by, filters: Filters, *, floor: str
) -> list[dict]:
    queryset = rollup.model.objects.filter(**{f"{rollup.records}__gt": 0})
    if floor == FLOOR_WITHHELD and dataset.gbv_q is not None:
        queryset = queryset.filter(**{rollup.gbv: False})
    if filters.date_from:
        queryset = queryset.filter(**{f"{rollup.month}__gte": filters.date_from})
    if filters.date_to:
        queryset = queryset.filter(**{f"{rollup.month}__lte": filters.date_to})
    if filters.areas:
        queryset = queryset.filter(area_q(rollup.area, filters.areas))
    if filters.organisation_ids:
        queryset = queryset.filter(**{f"{rollup.organisation}__in": list(filters.organisation_ids)})
    for name, value in filters.extra.items():
        queryset = queryset.filter(code_filter(rollup.filters[name], value))
    expressions = {measure: Sum(rollup.measures[measure]) for measure in measures}
    if dataset.perturbed:
        expressions[CELL_KEY] = Sum(rollup.key_sum)
    # The roll-up's columns stand in for the dataset's fields (the same names in the rows).
    dims = {
        dim: Dimension(dimension.label, rollup.dimensions.get(dim, ""), dimension.choices)
        for dim, dimension in dataset.all_dimensions().items()
    }
    return grouped_rows(
        queryset,
        expressions,
        dataset=dataset,
        measures=measures,
        group_by=group_by,
        dims=dims,
        area_column=f"{rollup.area}_id",
        nulls=rollup.nulls,
    )
