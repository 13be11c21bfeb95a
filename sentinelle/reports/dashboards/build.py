"""The one builder of dashboard figures: a dataset grouped by one or two dimensions, through disclosure
control, with its chart. Dimensions are the dataset's, plus "area": the level below the page's area
(regions nationally, cercles in a region, communes in a cercle), capped for GBV-only figures.

Every figure's numbers come from `aggregate` here, for the page's audience: below the GBV protocol's
level, GBV records are left out of the figure (a note says so) or, for a figure of GBV records only, the
figure is refused and shows why instead of numbers (its exports refuse too). The cells carry their keys
from the aggregate to `protected_table` (the cell key method, core/disclosure.py), and every figure of a
perturbed dataset says once what its readers get (or the analysts' legend)."""

import re

from django.utils.translation import gettext as _

from sentinelle.core import datasets
from sentinelle.core.disclosure import CELL_KEY, TOTAL, add_keys, audience_note
from sentinelle.reports.dashboards.scope import FILTER_LABELS, DashboardScope
from sentinelle.reports.dashboards.tables import (
    Figure,
    Table,
    bars_of,
    cell_bars_of,
    columns_of,
    map_of,
    protected_table,
)

# HXL hashtags of the row dimensions and of each dataset's measure (exports).
ROW_TAGS = {
    "month": "#date+month",
    "category": "#event+category",
    "gbv_type": "#event+type+gbv",
    "violation_type": "#event+type+mrm",
    "outcome": "#impact+type",
    "device_type": "#item+type+eo",
    "status": "#status",
    "risk_level": "#severity",
    "case_type": "#sector+type",
    "service_type": "#service+type",
    "activity_type": "#activity+type",
    "organisation": "#org+acronym",
    "sex": "#group+sex",
    "age_group": "#group+age",
    "population_status": "#population+type",
    "cause": "#cause",
    "year": "#date+year",
}
MEASURE_TAGS = {
    "incidents": "#event+num",
    "victims": "#affected+num",
    "gbv_incidents": "#event+num+gbv",
    "grave_violations": "#affected+num+mrm",
    "eo_casualties": "#affected+num+eo",
    "population": "#affected+num",
    "displacement_events": "#affected+num+displaced",
    "people_in_need": "#inneed+num",
    "cases": "#indicator+num+cases",
    "referrals": "#indicator+num+referrals",
    "activities": "#reached+num",
    "trainings": "#reached+num+trained",
}


def hxl_attribute(code) -> str:
    if code == TOTAL:
        return "total"
    text = re.sub(r"[^a-z0-9_]+", "_", str(code).lower()).strip("_") or "none"
    return text if text[0].isalpha() else f"c{text}"


def month_label(value) -> str:
    return f"{value:%Y-%m}" if value else "—"


def dimension_of(scope: DashboardScope, name: str, *, gbv: bool) -> tuple[str, int | None]:
    """The aggregate dimension for a figure dimension ("area" -> admin1/2/3) and its area level."""
    if name == "area":
        level = scope.area_level(gbv=gbv)
        return f"admin{level}", level
    return name, None


def labeller(scope: DashboardScope, dataset, dimension: str, level: int | None):
    if level is not None:
        names = scope.area_names(level)
        return lambda code: names.get(code, code) if code else _("Not located at this level")
    if dimension == "month":
        return month_label
    return lambda code: (
        datasets.label_of(dataset, dimension, code) if code not in (None, "") else _("Not given")
    )


def ordered(dataset, dimension: str, codes: set, label) -> list:
    choices = dataset.all_dimensions()[dimension].choices
    if choices:
        order = {code: index for index, code in enumerate(choices)}
        return sorted(codes, key=lambda code: (code is None, order.get(code, len(order)), str(code)))
    if dimension == "month" or dimension == "year":
        return sorted(codes, key=lambda code: (code is None, code or 0))
    return sorted(codes, key=lambda code: (code is None, str(label(code))))


def aggregate(scope: DashboardScope, dataset: str, *, measures, group_by, filters, notes: list) -> list[dict]:
    """`core.datasets.aggregate` for the page's audience; the GBV floor's note is added to `notes`.
    Raises GBVFloorError for a figure of GBV records only below the protocol's level."""
    floor = datasets.gbv_floor(
        datasets.get(dataset), group_by=group_by, filters=filters, exact=scope.is_analyst
    )
    rows = datasets.aggregate(
        dataset, measures=measures, group_by=group_by, filters=filters, exact=scope.is_analyst
    )
    if floor == datasets.FLOOR_WITHHELD:
        notes.append(datasets.gbv_withheld_note())
    return rows


def refused(key: str, title: str, error: datasets.GBVFloorError) -> Figure:
    """A figure that may not be shown to this audience: the reason instead of numbers."""
    return Figure(key=key, title=title, table=Table("", "", [], []), refused=str(error))


def skipped_note(skipped: list[str]) -> str:
    if not skipped:
        return ""
    names = ", ".join(str(FILTER_LABELS[name]) for name in skipped)
    return _("Not filtered by: %(filters)s (this figure does not have them).") % {"filters": names}


def cells_of(data: list[dict], *, rows: str, columns: str | None, measure: str, drop_rows=()):
    """({(row, column): count}, {(row, column): cell key}) of aggregate rows, zero cells left out (a
    column code is the measure's name for a one-column table)."""
    counts: dict = {}
    keys: dict = {}
    for item in data:
        if item[rows] in drop_rows:
            continue
        position = (item[rows], item[columns] if columns else measure)
        counts[position] = counts.get(position, 0) + int(item[measure] or 0)
        keys[position] = add_keys(keys.get(position, 0), item.get(CELL_KEY, 0))
    counts = {position: value for position, value in counts.items() if value}
    return counts, {position: keys[position] for position in counts}


def crosstab(
    scope: DashboardScope,
    *,
    key: str,
    title: str,
    dataset: str,
    rows: str,
    columns: str | None = None,
    measure: str | None = None,
    fixed: dict | None = None,
    gbv: bool = False,
    period: bool = True,
    chart: str = "bars",
    totals: bool = True,
    notes: tuple = (),
    drop_rows: tuple = (),
) -> Figure:
    """`dataset` grouped by `rows` (and `columns`), protected, drawn as bars, cell bars, columns or a map."""
    ds = datasets.get(dataset)
    notes = [str(note) for note in notes if note]
    filters, skipped = scope.filters_for(dataset, fixed=fixed, period=period)
    # A figure of GBV records only (a GBV dataset, or picked out by a filter: category, case type) breaks
    # down by area no finer than the protocol allows.
    gbv = gbv or datasets.selects_only_gbv(ds, filters.extra)
    row_dim, row_level = dimension_of(scope, rows, gbv=gbv)
    col_dim, col_level = dimension_of(scope, columns, gbv=gbv) if columns else (None, None)
    measure = measure or ds.default_measure
    group_by = [row_dim, *([col_dim] if col_dim else [])]
    try:
        data = aggregate(scope, dataset, measures=[measure], group_by=group_by, filters=filters, notes=notes)
    except datasets.GBVFloorError as error:
        return refused(key, title, error)
    counts, keys = cells_of(data, rows=row_dim, columns=col_dim, measure=measure, drop_rows=drop_rows)
    row_label = labeller(scope, ds, row_dim, row_level)
    row_codes = ordered(ds, row_dim, {r for r, _c in counts}, row_label)
    if col_dim:
        column_label = labeller(scope, ds, col_dim, col_level)
        column_codes = ordered(ds, col_dim, {c for _r, c in counts}, column_label)
    else:
        column_label = lambda code: str(ds.measures[measure].label)  # noqa: E731
        column_codes = [measure] if counts else []
    tag = MEASURE_TAGS.get(dataset, "#indicator+num")
    table = protected_table(
        counts,
        keys=keys if ds.perturbed else None,
        rows=row_codes,
        columns=column_codes,
        row_label=row_label,
        column_label=column_label,
        row_header=str(ds.all_dimensions()[row_dim].label),
        row_tag=f"#adm{row_level}" if row_level else ROW_TAGS.get(row_dim, f"#meta+{hxl_attribute(row_dim)}"),
        column_tag=lambda code: f"{tag}+{hxl_attribute(code)}" if col_dim else tag,
        audience=scope.audience,
        threshold=scope.threshold,
        totals=totals,
    )
    figure = Figure(key=key, title=title, table=table, notes=notes)
    figure.skipped = skipped
    if note := skipped_note(skipped):
        figure.notes.append(note)
    if table.is_empty:
        return figure
    if ds.perturbed:
        figure.disclosure = audience_note(scope.audience, scope.threshold)
    threshold = scope.threshold
    if chart == "bars":
        figure.chart = bars_of(table, label=title, threshold=threshold)
    elif chart == "cells":
        figure.chart = cell_bars_of(table, label=title, threshold=threshold)
    elif chart == "columns":
        figure.chart = columns_of(table, label=title, threshold=threshold)
    elif chart == "map" and row_level:
        figure.map = map_of(
            table, version=scope.version, level=row_level, within=scope.area, threshold=threshold
        )
    return figure
