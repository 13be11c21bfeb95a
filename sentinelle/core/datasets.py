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

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sentinelle.core import figure_cache
from sentinelle.core.disclosure import CELL_KEY, add_keys, gbv_min_admin_level
from sentinelle.core.periods import month_aligned, month_split, period_lookups
from sentinelle.core.record_keys import KEY_RANGE

# Area dimensions every dataset with an area gets: the record's area rolled up to that level.
AREA_LEVELS = {"admin1": 1, "admin2": 2, "admin3": 3}
AREA_DIMENSION_LABELS = {"admin1": _("Region"), "admin2": _("Cercle"), "admin3": _("Commune")}


@dataclass(frozen=True)
class Dimension:
    label: str
    field: str
    # code -> label, for display; None when the value is its own label (a year, an organisation acronym).
    choices: Mapping | None = None


@dataclass(frozen=True)
class Measure:
    label: str
    # A fresh aggregate expression each call (Count("pk", distinct=True), Sum("count")...).
    expression: Callable


@dataclass(frozen=True)
class Filters:
    """The filters every dataset understands; `extra` holds the dataset's own (code lists)."""

    date_from: date | None = None
    date_to: date | None = None
    # AdminArea instances: rows located in any of their subtrees.
    areas: tuple = ()
    organisation_ids: tuple = ()
    extra: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Rollup:
    """A roll-up table that answers some of a dataset's queries (see "Roll-ups" in the module docstring).

    `model` holds one row per month x area x organisation x `gbv` x the dimension columns, with the
    measures summed over the base rows of that cell (`sums`, named for the model's fields) and, for a
    perturbed dataset, `key_sum` (the cell's record keys summed modulo KEY_RANGE). `source(ids)` gives the
    base rows of the records with these ids (None: every record), with the dataset's counting rules;
    `columns` says what each group column holds (an expression or an ORM path over those rows).
    `keyed_by` names the records the ids are of ("incident"): the services that write them keep every
    roll-up keyed by them current (core/rollups.py).

    Reading: `dimensions` and `filters` map the dataset's names to the model's columns (ORM paths, so
    "organisation__acronym" works), `measures` maps the dataset's measures to summed columns. `multi` are
    the columns where one record falls in several rows (an incident's categories, a violation's victim
    cells): the roll-up then serves only the queries that group by each of them or filter on one value,
    so that no record is counted twice. `nulls` are the values stored where the base row has none (NULL
    would defeat ON CONFLICT), read back as None. `records` is the summed column that counts the base rows
    of a cell: a group exists when it is above 0 (a cell whose records left stays at 0). The tables are
    written by core/rollups.py."""

    model: type
    keyed_by: str
    source: Callable
    columns: Mapping[str, object]
    sums: Mapping[str, object]
    measures: Mapping[str, str]
    records: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, str] = field(default_factory=dict)
    month: str | None = "month"
    area: str | None = "area"
    organisation: str | None = "organisation"
    gbv: str | None = None
    key_sum: str | None = None
    multi: frozenset = frozenset()
    nulls: Mapping[str, object] = field(default_factory=dict)
    # How `manage.py rollups_rebuild` recomputes the table, when not from `source` (core/rollups.rebuild).
    rebuild: Callable | None = None

    @property
    def size(self) -> int:
        """How fine the table is (its group columns): the smallest covering roll-up is read."""
        return len(self.columns)


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    # The permission that lets a user read this dataset's aggregates (checked by the caller).
    perm: str
    # Base rows, with the domain's counting rules applied; receives the filters for datasets that
    # answer "as of" a date (the latest population round) rather than over a period.
    base: Callable[[Filters], QuerySet]
    measures: dict[str, Measure]
    dimensions: dict[str, Dimension]
    default_measure: str
    date_field: str | None = None
    # The timestamp `date_field` is the local date of (a TruncDate annotation): periods filter it by range.
    moment_field: str | None = None
    area_field: str | None = None
    organisation_field: str | None = None
    # Filter name -> ORM path; a list value filters with __in, a scalar with equality.
    filters: dict[str, str] = field(default_factory=dict)
    # True when `base` applies the dates itself (snapshot datasets).
    dates_in_base: bool = False
    # True when no record is dated after the day it is written (the services refuse a date in the future,
    # or the date is the moment of writing): a period ending today or later then reads as open-ended, so
    # whole months of the roll-ups answer "the year to date" without reading this month's records.
    dated_up_to_today: bool = False
    # GBV records (see the module docstring): every record, or the rows `gbv_q` selects; `gbv_codes` maps a
    # filter to the codes that select GBV records only (a filter holding nothing else selects only GBV).
    gbv: bool = False
    gbv_q: Q | None = None
    gbv_codes: Mapping[str, frozenset] = field(default_factory=dict)
    # Disclosure control (core/disclosure.py), declared by every dataset: True when its figures are counts
    # of records that carry a record key (the cell key method applies), False for figures that are
    # already aggregates published by their sources (shown exactly). None (undeclared) fails a test.
    perturbed: bool | None = None
    # Roll-up tables that answer the queries they cover (smallest first), else `base` is queried.
    rollups: tuple[Rollup, ...] = ()

    @property
    def scope(self) -> str:
        """The domain app whose records this dataset counts: the app that declared its base rows."""
        parts = getattr(self.base, "__module__", "").split(".")
        return parts[1] if len(parts) > 2 and parts[0] == "sentinelle" else "*"

    def all_dimensions(self) -> dict[str, Dimension]:
        dims = dict(self.dimensions)
        if self.area_field:
            for name, label in AREA_DIMENSION_LABELS.items():
                dims[name] = Dimension(label, self.area_field)
        return dims


_REGISTRY: dict[str, Dataset] = {}


class DatasetError(ValueError):
    """A request for an unknown dataset, measure, dimension or filter (the message is for the user)."""


class GBVFloorError(DatasetError):
    """A query that would count only GBV records below the level the sharing protocol allows."""


# What the GBV floor does to a query (gbv_floor).
FLOOR_NONE = ""
FLOOR_WITHHELD = "withheld"


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
        within = Q()
        for area in filters.areas:
            within |= Q(
                **{
                    f"{dataset.area_field}__path__startswith": area.path,
                    f"{dataset.area_field}__version_id": area.version_id,
                }
            )
        queryset = queryset.filter(within)
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
        if isinstance(value, list | tuple | set | frozenset):
            queryset = queryset.filter(**{f"{path}__in": list(value)})
        else:
            queryset = queryset.filter(**{path: value})
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
    rollup = covering_rollup(dataset, measures, group_by, filters, floor=floor)
    if rollup is not None:
        return _compute_from_rollup(dataset, rollup, measures, group_by, filters, floor=floor)
    partial, whole = month_split(filters)
    if partial and whole is not None and not dataset.dates_in_base:
        # A period that does not fall on month boundaries (the year to date, the last 30 days): its whole
        # months from the roll-up, the days of its first and last months from the records (a few weeks of
        # records at most). Records are counted in the month of their date, so the parts never overlap and
        # their figures and cell keys add up (as the roll-up's own months do).
        rollup = covering_rollup(dataset, measures, group_by, whole, floor=floor)
        if rollup is not None:
            parts = [_compute_from_rollup(dataset, rollup, measures, group_by, whole, floor=floor)]
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
    area_dims = [dim for dim in group_by if dim in AREA_LEVELS]
    sql_fields = [dims[dim].field for dim in group_by if dim not in AREA_LEVELS]
    if area_dims:
        sql_fields.append(f"{dataset.area_field}_id")
    queryset = filtered(dataset, filters, group_by=group_by, exact=exact)
    expressions = {measure: dataset.measures[measure].expression() for measure in measures}
    if dataset.perturbed:
        expressions[CELL_KEY] = cell_key_expression()
    if not sql_fields:
        row = queryset.aggregate(**expressions)
        return [_keyed({measure: row[measure] or 0 for measure in measures}, row, dataset)]
    raw = queryset.order_by().values(*sql_fields).annotate(**expressions)
    if not area_dims:
        return [_rename(row, group_by, dims, measures, dataset) for row in raw]
    return _roll_up_areas(list(raw), group_by, dims, measures, f"{dataset.area_field}_id", dataset)


# --- Roll-ups ---------------------------------------------------------------------------------------


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


def _compute_from_rollup(
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
        within = Q()
        for area in filters.areas:
            within |= Q(
                **{
                    f"{rollup.area}__path__startswith": area.path,
                    f"{rollup.area}__version_id": area.version_id,
                }
            )
        queryset = queryset.filter(within)
    if filters.organisation_ids:
        queryset = queryset.filter(**{f"{rollup.organisation}__in": list(filters.organisation_ids)})
    for name, value in filters.extra.items():
        path = rollup.filters[name]
        if isinstance(value, list | tuple | set | frozenset):
            queryset = queryset.filter(**{f"{path}__in": list(value)})
        else:
            queryset = queryset.filter(**{path: value})
    expressions = {measure: Sum(rollup.measures[measure]) for measure in measures}
    if dataset.perturbed:
        expressions[CELL_KEY] = Sum(rollup.key_sum)
    # The roll-up's columns stand in for the dataset's fields (the same names in the rows).
    dims = {
        dim: Dimension(dimension.label, rollup.dimensions.get(dim, ""), dimension.choices)
        for dim, dimension in dataset.all_dimensions().items()
    }
    area_dims = [dim for dim in group_by if dim in AREA_LEVELS]
    sql_fields = [dims[dim].field for dim in group_by if dim not in AREA_LEVELS]
    if area_dims:
        sql_fields.append(f"{rollup.area}_id")
    if not sql_fields:
        row = _plain_numbers(queryset.aggregate(**expressions))
        return [_keyed({measure: row[measure] or 0 for measure in measures}, row, dataset)]
    raw = [
        _plain_numbers(row, rollup.nulls)
        for row in queryset.order_by().values(*sql_fields).annotate(**expressions)
    ]
    if not area_dims:
        return [_rename(row, group_by, dims, measures, dataset) for row in raw]
    return _roll_up_areas(raw, group_by, dims, measures, f"{rollup.area}_id", dataset)


def _plain_numbers(row: dict, nulls: Mapping = MappingProxyType({})) -> dict:
    """Sums of whole numbers as int (PostgreSQL sums bigints as numeric), stored NULLs as None."""
    out = {}
    for name, value in row.items():
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        elif name in nulls and value == nulls[name]:
            value = None
        out[name] = value
    return out


def cell_key_expression():
    """The cell key of a group, in SQL: the sum of its distinct base rows' (pk * KEY_RANGE + record_key).

    Distinct per base row, so that a join that repeats a row (an incident's categories, an activity's
    beneficiaries) does not count its key twice; pk * KEY_RANGE is a multiple of KEY_RANGE, so the sum
    modulo KEY_RANGE is the sum of the record keys."""
    value = ExpressionWrapper(F("pk") * KEY_RANGE + F("record_key"), output_field=BigIntegerField())
    return Sum(value, distinct=True)


def _key(raw) -> int:
    return int(raw or 0) % KEY_RANGE


def _keyed(out: dict, row: dict, dataset: Dataset) -> dict:
    if dataset.perturbed:
        out[CELL_KEY] = _key(row.get(CELL_KEY))
    return out


def _rename(row: dict, group_by, dims, measures, dataset: Dataset) -> dict:
    out = {dim: row[dims[dim].field] for dim in group_by}
    out.update({measure: row[measure] or 0 for measure in measures})
    return _keyed(out, row, dataset)


def _roll_up_areas(raw: list[dict], group_by, dims, measures, area_key: str, dataset: Dataset) -> list[dict]:
    from django.apps import apps

    AdminArea = apps.get_model("geography", "AdminArea")
    area_ids = {row[area_key] for row in raw if row[area_key] is not None}
    paths = dict(AdminArea.objects.filter(pk__in=area_ids).values_list("pk", "path"))
    fields = [*measures, CELL_KEY] if dataset.perturbed else list(measures)
    totals: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(fields, 0))
    for row in raw:
        path_codes = [code for code in paths.get(row[area_key], "").split("/") if code]
        key = []
        for dim in group_by:
            if dim in AREA_LEVELS:
                level = AREA_LEVELS[dim]
                key.append(path_codes[level] if len(path_codes) > level else None)
            else:
                key.append(row[dims[dim].field])
        cell = totals[tuple(key)]
        for measure in measures:
            cell[measure] += row[measure] or 0
        if dataset.perturbed:
            cell[CELL_KEY] = add_keys(cell[CELL_KEY], _key(row[CELL_KEY]))
    return [dict(zip(group_by, key, strict=True)) | values for key, values in totals.items()]


def strip_keys(rows: list[dict]) -> list[dict]:
    """The rows without their cell keys (for callers that pass figures on without disclosure control)."""
    return [{name: value for name, value in row.items() if name != CELL_KEY} for row in rows]


def label_of(dataset: Dataset, dimension: str, code) -> str:
    """The display label of a dimension value (area names are resolved by the caller's area map)."""
    choices = dataset.all_dimensions()[dimension].choices
    if choices is None or code is None:
        return "" if code is None else str(code)
    return str(choices.get(code, code))
