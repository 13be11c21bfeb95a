"""The one builder of dashboard figures: a dataset grouped by one or two dimensions, through disclosure
control, with its chart. Dimensions are the dataset's, plus "area": the level below the page's area
(regions nationally, cercles in a region, communes in a cercle), capped for GBV figures."""

import re

from django.utils.translation import gettext as _

from sentinelle.core import datasets
from sentinelle.core.disclosure import TOTAL
from sentinelle.reports.dashboards.scope import FILTER_LABELS, DashboardScope
from sentinelle.reports.dashboards.tables import (
    Figure,
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


def skipped_note(skipped: list[str]) -> str:
    if not skipped:
        return ""
    names = ", ".join(str(FILTER_LABELS[name]) for name in skipped)
    return _("Not filtered by: %(filters)s (this figure does not have them).") % {"filters": names}


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
    # GBV incidents picked out by the category filter are GBV figures: the protocol's level applies.
    gbv = gbv or (scope.category == "gbv" and "category" in ds.filters)
    filters, skipped = scope.filters_for(dataset, fixed=fixed, gbv=gbv, period=period)
    row_dim, row_level = dimension_of(scope, rows, gbv=gbv)
    col_dim, col_level = dimension_of(scope, columns, gbv=gbv) if columns else (None, None)
    measure = measure or ds.default_measure
    group_by = [row_dim, *([col_dim] if col_dim else [])]
    data = datasets.aggregate(dataset, measures=[measure], group_by=group_by, filters=filters)
    counts: dict = {}
    for item in data:
        if item[row_dim] in drop_rows:
            continue
        key_ = (item[row_dim], item[col_dim] if col_dim else measure)
        counts[key_] = counts.get(key_, 0) + int(item[measure] or 0)
    counts = {k: v for k, v in counts.items() if v}
    if "category" in (row_dim, col_dim) and not gbv and scope.gbv_area() != scope.area:
        # A category breakdown in an area finer than the GBV protocol allows leaves GBV out.
        counts = {k: v for k, v in counts.items() if "gbv" not in k}
        notes.append(
            _("GBV incidents are left out here: the sharing protocol does not allow them at this level.")
        )
    if gbv and scope.gbv_area() != scope.area:
        notes.append(_("GBV figures are not broken down below the level the sharing protocol allows."))
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
    threshold = scope.threshold
    if chart == "bars":
        figure.chart = bars_of(table, label=title, threshold=threshold)
    elif chart == "cells":
        figure.chart = cell_bars_of(table, label=title, threshold=threshold)
    elif chart == "columns":
        figure.chart = columns_of(table, label=title, threshold=threshold)
    elif chart == "map" and row_level:
        within = scope.gbv_area() if gbv else scope.area
        figure.map = map_of(table, version=scope.version, level=row_level, within=within, threshold=threshold)
    return figure
