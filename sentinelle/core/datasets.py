"""Declared datasets: every figure Sentinelle computes, with the same filters everywhere.

Each domain app declares the figures its records give in `<app>/datasets.py` (imported when the app is
ready, see `CoreConfig.ready`): a base queryset that already applies the counting rules of the domain
(linked duplicates count once, GBV only with consent to report, MRM rules...), the measures (counts and
sums), the dimensions one may group by, and the filters. Indicators (activities), dashboards and the
statistics API (reports, api) compute through `aggregate`, never by hand-written queries, so a figure
means the same thing wherever it is shown, and the layers above never import the domain apps' models.

Aggregates are not scoped to the user's records: they are counts, which design §6 lets the IMO and
managers see across organisations. The caller checks `dataset.perm` and passes every output that leaves
the analysts through disclosure control.

The GBV floor (design §6, SENTINELLE["GBV_MIN_ADMIN_LEVEL"]) is applied here, where every figure is
computed, for every audience but the exact one (`exact=True`, Perm.STATS_EXACT). Each dataset declares
its GBV records (`gbv=True`: all of them; `gbv_q`: those of a mixed dataset; `gbv_codes`: the filter codes
that select GBV records only). A query whose area filter or area grouping is finer than the floor counts
no GBV record in any of its figures, totals included, so that no subtraction of such figures gives a GBV
count back; a query that would count GBV records only (a GBV dataset, category=gbv, case_type=gbv...)
is refused (GBVFloorError) rather than answered with a silent zero. `gbv_floor` says which of the two
applies, before anything is computed, so that callers can say so under the figure.

Roll-ups: a dataset may declare roll-up tables (`Rollup`): its figures by month x the record's area x the
dimensions it offers, with a `gbv` flag for the floor and the cells' record keys summed (`key_sum`), kept
exact by the services in the transaction of every write (core/rollups.py). `aggregate` reads the smallest
roll-up that covers the query (its measures, groupings and filters; dates on month boundaries; a record
that falls in several rows of it, such as an incident's categories, only with that column grouped by or
fixed to one value), else the records as above. Both give the same rows, cell keys included: a test
compares them for every query it can reach (monitoring/tests/test_rollups.py).
"""

from collections.abc import Mapping
from dataclasses import replace

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sentinelle.core import dataset_rollups, figure_cache
from sentinelle.core.dataset_rows import cell_key_expression, code_filter, grouped_rows
from sentinelle.core.dataset_types import (  # the datasets' declarations, imported from here by the apps
    AREA_DIMENSION_LABELS,
    AREA_LEVELS,
    FLOOR_NONE,
    FLOOR_WITHHELD,
    Dataset,
    DatasetError,
    Dimension,
    Filters,
    GBVFloorError,
    Measure,
    Rollup,
)
from sentinelle.core.disclosure import CELL_KEY, add_keys, gbv_min_admin_level
from sentinelle.core.periods import month_split, period_lookups
from sentinelle.core.scopes import area_q

__all__ = [
    "AREA_DIMENSION_LABELS",
    "AREA_LEVELS",
    "FLOOR_NONE",
    "FLOOR_WITHHELD",
    "Dataset",
    "DatasetError",
    "Dimension",
    "Filters",
    "GBVFloorError",
    "Measure",
    "Rollup",
    "aggregate",
    "all_datasets",
    "cell_key_expression",
    "compute_from_base",
    "gbv_floor",
    "gbv_withheld_note",
    "get",
    "label_of",
    "register",
    "strip_keys",
]


_REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    _REGISTRY[dataset.name] = dataset
    return dataset


def get(name: str) -> Dataset:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DatasetError(_("Unknown dataset: %(name)s.") % {"name": name}) from None


def all_datasets() -> list[Dataset]:
    return sorted(_REGISTRY.values(), key=lambda dataset: dataset.name)


def has_gbv(dataset: Dataset) -> bool:
    return dataset.gbv or dataset.gbv_q is not None


def selects_only_gbv(dataset: Dataset, extra: Mapping) -> bool:
    """Does the dataset, under these filters of its own, hold GBV records only?"""
    if dataset.gbv:
        return True
    for name, codes in dataset.gbv_codes.items():
        value = extra.get(name)
        if value is None or value == "":
            continue
        values = set(value) if isinstance(value, list | tuple | set | frozenset) else {value}
        if values and {str(code) for code in values} <= {str(code) for code in codes}:
            return True
    return False


def _below_floor(group_by, filters: Filters) -> str:
    """ "filter" or "group" when the query's area filter or area grouping is finer than the floor."""
    floor = gbv_min_admin_level()
    if any(area.level > floor for area in filters.areas):
        return "filter"
    if any(AREA_LEVELS[dim] > floor for dim in group_by if dim in AREA_LEVELS):
        return "group"
    return ""


def gbv_floor(dataset: Dataset, *, group_by=(), filters: Filters | None = None, exact: bool = False) -> str:
    """FLOOR_NONE, or FLOOR_WITHHELD when the query's figures leave every GBV record out; raises
    GBVFloorError when they would count nothing else. Decided from the query alone, never from the data:
    whether a GBV record exists must not change the answer."""
    filters = filters or Filters()
    if exact or not has_gbv(dataset):
        return FLOOR_NONE
    below = _below_floor(group_by, filters)
    if not below:
        return FLOOR_NONE
    if selects_only_gbv(dataset, filters.extra):
        level = gbv_min_admin_level()
        if below == "filter":
            message = _(
                "GBV figures are not broken down below admin level %(level)d "
                "(information-sharing protocol): filter on a coarser area."
            )
        else:
            message = _(
                "GBV figures are not broken down below admin level %(level)d "
                "(information-sharing protocol): group by a coarser area."
            )
        raise GBVFloorError(message % {"level": level})
    return FLOOR_WITHHELD


def gbv_withheld_note() -> str:
    """What a figure whose GBV records were left out says under it (and the API in its answer)."""
    return str(
        _(
            "GBV records are left out of this figure and of its totals: the information-sharing protocol "
            "does not allow them below admin level %(level)d."
        )
        % {"level": gbv_min_admin_level()}
    )


def filtered(dataset: Dataset, filters: Filters, *, group_by=(), exact: bool = False) -> QuerySet:
    """The dataset's rows under the filters (before grouping), under the GBV floor for `group_by` unless
    `exact` (the analysts)."""
    floor = gbv_floor(dataset, group_by=group_by, filters=filters, exact=exact)
    queryset = dataset.base(filters)
    if floor == FLOOR_WITHHELD and dataset.gbv_q is not None:
        queryset = queryset.exclude(dataset.gbv_q)
    if dataset.date_field and not dataset.dates_in_base:
        moment = dataset.moment_field
        lookups = period_lookups(
            moment or dataset.date_field, filters.date_from, filters.date_to, moment=bool(moment)
        )
        if lookups:
            queryset = queryset.filter(**lookups)
    if filters.areas:
        if not dataset.area_field:
            raise DatasetError(_("This dataset has no area."))
        queryset = queryset.filter(area_q(dataset.area_field, filters.areas))
    if filters.organisation_ids:
        if not dataset.organisation_field:
            raise DatasetError(_("This dataset has no organisation."))
        queryset = queryset.filter(**{f"{dataset.organisation_field}__in": list(filters.organisation_ids)})
    for name, value in filters.extra.items():
        path = dataset.filters.get(name)
        if path is None:
            raise DatasetError(
                _("Unknown filter for %(dataset)s: %(name)s.") % {"dataset": dataset.name, "name": name}
            )
        queryset = queryset.filter(code_filter(path, value))
    return queryset


def aggregate(
    name: str,
    *,
    measures: list[str] | tuple = (),
    group_by: list[str] | tuple = (),
    filters: Filters | None = None,
    exact: bool = False,
) -> list[dict]:
    """Rows of {dimension: code, ..., measure: value}; one row with the totals when nothing is grouped.

    `exact` is for the analysts' audience only (Perm.STATS_EXACT): every other answer is under the GBV
    floor (see `gbv_floor`; GBVFloorError when refused).

    Rows of a perturbed dataset also carry the group's cell key under CELL_KEY ("_key", see
    core/disclosure.py): the sum of its distinct records' keys modulo KEY_RANGE, computed in the same
    query as the figure, so that the same records give the same key whatever the query that reached
    them. Callers pass it to disclosure control and never show it (every output strips it).

    Area dimensions (admin1/admin2/admin3) group by the record's area in SQL, then roll up to the
    asked level here: a handful of hundred areas at most, and counts (and keys, modulo KEY_RANGE) add up
    across areas because a record has one area. A record located above the asked level falls under None.
    """
    dataset = get(name)
    filters = filters or Filters()
    measures = list(measures) or [dataset.default_measure]
    dims = dataset.all_dimensions()
    for measure in measures:
        if measure not in dataset.measures:
            raise DatasetError(
                _("Unknown measure for %(dataset)s: %(name)s.") % {"dataset": dataset.name, "name": measure}
            )
    for dim in group_by:
        if dim not in dims:
            raise DatasetError(
                _("Unknown dimension for %(dataset)s: %(name)s.") % {"dataset": dataset.name, "name": dim}
            )
    floor = gbv_floor(dataset, group_by=group_by, filters=filters, exact=exact)
    return figure_cache.cached(
        scope=dataset.scope,
        # The floor is part of the key: an answer without GBV records is never served as the exact one.
        parts=[dataset.name, measures, list(group_by), _filters_key(filters), f"gbv:{floor or 'all'}"],
        compute=lambda: _compute(dataset, measures, list(group_by), filters, exact=exact),
    )


def _filters_key(filters: Filters) -> list:
    def plain(value):
        if isinstance(value, list | tuple | set | frozenset):
            return sorted(str(item) for item in value)
        return str(value)

    return [
        str(filters.date_from),
        str(filters.date_to),
        sorted((area.version_id, area.path) for area in filters.areas),
        sorted(filters.organisation_ids),
        sorted((name, plain(value)) for name, value in filters.extra.items()),
    ]


def _compute(
    dataset: Dataset, measures: list[str], group_by: list[str], filters: Filters, *, exact: bool
) -> list[dict]:
    floor = gbv_floor(dataset, group_by=group_by, filters=filters, exact=exact)
    if dataset.dated_up_to_today and filters.date_to and filters.date_to >= timezone.localdate():
        filters = replace(filters, date_to=None)  # the same records: none is dated after today
    rollup = dataset_rollups.covering_rollup(dataset, measures, group_by, filters, floor=floor)
    if rollup is not None:
        return dataset_rollups.compute_from_rollup(dataset, rollup, measures, group_by, filters, floor=floor)
    partial, whole = month_split(filters)
    if partial and whole is not None and not dataset.dates_in_base:
        # A period that does not fall on month boundaries (the year to date, the last 30 days): its whole
        # months from the roll-up, the days of its first and last months from the records (a few weeks of
        # records at most). Records are counted in the month of their date, so the parts never overlap and
        # their figures and cell keys add up (as the roll-up's own months do).
        rollup = dataset_rollups.covering_rollup(dataset, measures, group_by, whole, floor=floor)
        if rollup is not None:
            parts = [
                dataset_rollups.compute_from_rollup(dataset, rollup, measures, group_by, whole, floor=floor)
            ]
            parts += [compute_from_base(dataset, measures, group_by, days, exact=exact) for days in partial]
            return _added(parts, group_by, measures, dataset)
    return compute_from_base(dataset, measures, group_by, filters, exact=exact)


def _added(parts: list[list[dict]], group_by, measures, dataset: Dataset) -> list[dict]:
    """Rows of disjoint sets of records added cell by cell (figures summed, cell keys added)."""
    totals: dict[tuple, dict] = {}
    for rows in parts:
        for row in rows:
            cell = tuple(row[dim] for dim in group_by)
            if cell not in totals:
                totals[cell] = dict(row)
                continue
            total = totals[cell]
            for measure in measures:
                total[measure] = (total[measure] or 0) + (row[measure] or 0)
            if dataset.perturbed:
                total[CELL_KEY] = add_keys(total[CELL_KEY], row[CELL_KEY])
    return list(totals.values())


def compute_from_base(
    dataset: Dataset, measures: list[str], group_by: list[str], filters: Filters, *, exact: bool
) -> list[dict]:
    """The figures from the records themselves (what a roll-up must give back, row for row)."""
    dims = dataset.all_dimensions()
    queryset = filtered(dataset, filters, group_by=group_by, exact=exact)
    expressions = {measure: dataset.measures[measure].expression() for measure in measures}
    if dataset.perturbed:
        expressions[CELL_KEY] = cell_key_expression()
    return grouped_rows(
        queryset,
        expressions,
        dataset=dataset,
        measures=measures,
        group_by=group_by,
        dims=dims,
        area_column=f"{dataset.area_field}_id",
    )


def strip_keys(rows: list[dict]) -> list[dict]:
    """The rows without their cell keys (for callers that pass figures on without disclosure control)."""
    return [{name: value for name, value in row.items() if name != CELL_KEY} for row in rows]


def label_of(dataset: Dataset, dimension: str, code) -> str:
    """The display label of a dimension value (area names are resolved by the caller's area map)."""
    choices = dataset.all_dimensions()[dimension].choices
    if choices is None or code is None:
        return "" if code is None else str(code)
    return str(choices.get(code, code))
