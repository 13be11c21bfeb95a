"""Every figure the dashboards show, by key (a page lists keys; an export asks for one key).

Most figures are declarations (`Crosstab`): a dataset, its measure, the dimensions of its rows and
columns, fixed filters, the chart and the notes. The few that compute something of their own (the needs
of the latest year, the referral funnel, coverage against needs) are functions. Either way the numbers
come from the declared datasets (core.datasets) through build.aggregate, for the page's audience and
under the GBV floor, and leave through disclosure control (core.disclosure): nothing here applies a rule
of its own. The counting rules are the datasets': linked duplicates count once, GBV only with consent to
report, grave violations by the MRM rules.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sentinelle.core import datasets
from sentinelle.core.codes import AgeBand
from sentinelle.core.disclosure import CELL_KEY, TOTAL, Cell, add_keys, audience_note
from sentinelle.reports.dashboards.build import (
    MEASURE_TAGS,
    aggregate,
    crosstab,
    dimension_of,
    labeller,
    refused,
    skipped_note,
)
from sentinelle.reports.dashboards.scope import DashboardScope
from sentinelle.reports.dashboards.tables import (
    EMPTY,
    Column,
    Figure,
    Row,
    Shown,
    Table,
    bars_of,
    shown,
)


@dataclass(frozen=True)
class Crosstab:
    """A figure declared as `dataset` grouped by `rows` (and `columns`): build.crosstab draws it.

    `rows`/`columns` are dataset dimensions or "area" (the level below the page's area); `fixed` are
    filters of the figure itself; `period=False` for figures that answer "now" (the open case load);
    `gbv=True` for a figure of GBV records only (its area breakdown stops at the protocol's level)."""

    key: str
    title: Promise
    dataset: str
    rows: str
    columns: str | None = None
    measure: str | None = None
    fixed: dict | None = None
    gbv: bool = False
    period: bool = True
    chart: str = "bars"
    notes: tuple = ()
    drop_rows: tuple = ()

    def __call__(self, scope: DashboardScope) -> Figure:
        return crosstab(
            scope,
            key=self.key,
            title=str(self.title),
            dataset=self.dataset,
            rows=self.rows,
            columns=self.columns,
            measure=self.measure,
            fixed=self.fixed,
            gbv=self.gbv,
            period=self.period,
            chart=self.chart,
            notes=tuple(str(note) for note in self.notes),
            drop_rows=self.drop_rows,
        )


DECLARED = (
    # --- Protection monitoring
    Crosstab(
        "incidents_by_month",
        gettext_lazy("Incidents by category and month"),
        "incidents",
        rows="month",
        columns="category",
        chart="columns",
        notes=(
            gettext_lazy(
                "An incident of several categories counts under each: the totals by month add them up."
            ),
        ),
    ),
    Crosstab(
        "incidents_map",
        gettext_lazy("Incidents by area"),
        "incidents",
        rows="area",
        chart="map",
        notes=(gettext_lazy("Darker areas had more incidents; simplified boundaries."),),
    ),
    Crosstab(
        "victims_by_sex_age",
        gettext_lazy("Victims by sex and age"),
        "victims",
        rows="age_group",
        columns="sex",
        chart="cells",
    ),
    Crosstab(
        "victims_children",
        gettext_lazy("Child victims by outcome and sex"),
        "victims",
        rows="outcome",
        columns="sex",
        # Every child: the fine groups and the coarse one (children 0-17, the finer group unknown).
        fixed={"age_band": AgeBand.CHILDREN.value},
    ),
    Crosstab(
        "gbv_types",
        gettext_lazy("GBV incidents by type"),
        "gbv_incidents",
        rows="gbv_type",
        gbv=True,
        notes=(gettext_lazy("Only incidents whose survivor consented to reporting are counted."),),
    ),
    Crosstab(
        "gbv_by_sex_age",
        gettext_lazy("GBV survivors by sex and age"),
        "gbv_incidents",
        rows="age_group",
        columns="sex",
        gbv=True,
        chart="cells",
    ),
    Crosstab("gbv_by_month", gettext_lazy("GBV incidents by month"), "gbv_incidents", rows="month", gbv=True),
    Crosstab(
        "gbv_map", gettext_lazy("GBV incidents by area"), "gbv_incidents", rows="area", gbv=True, chart="map"
    ),
    Crosstab(
        "grave_violations",
        gettext_lazy("Grave violations against children (MRM)"),
        "grave_violations",
        rows="violation_type",
        notes=(
            gettext_lazy(
                "MRM counting rules: killing, maiming, recruitment, sexual violence and abduction once per "
                "child victim; attacks on schools and hospitals and denial of access once per violation."
            ),
        ),
    ),
    Crosstab(
        "grave_violations_by_sex_age",
        gettext_lazy("Child victims of grave violations by sex and age"),
        "grave_violations",
        rows="age_group",
        columns="sex",
        chart="cells",
        drop_rows=(None,),
        notes=(
            gettext_lazy("Violations counted once per event (attacks on schools...) have no victim here."),
        ),
    ),
    Crosstab(
        "grave_violations_by_month",
        gettext_lazy("Grave violations by month"),
        "grave_violations",
        rows="month",
        columns="verification",
        chart="columns",
    ),
    Crosstab(
        "eo_casualties",
        gettext_lazy("Explosive ordnance casualties"),
        "eo_casualties",
        rows="outcome",
        columns="sex",
    ),
    Crosstab(
        "eo_by_device",
        gettext_lazy("Explosive ordnance casualties by device"),
        "eo_casualties",
        rows="device_type",
    ),
    # --- Population movement (sources' own aggregates: exact)
    Crosstab(
        "displacement_by_status",
        gettext_lazy("Displaced and returned people by status (latest figures)"),
        "population",
        rows="status",
        notes=(gettext_lazy("Latest round of each area on or before the end of the period."),),
    ),
    Crosstab(
        "displacement_map",
        gettext_lazy("People counted by area (latest figures)"),
        "population",
        rows="area",
        chart="map",
    ),
    Crosstab(
        "displacement_events",
        gettext_lazy("People displaced by events, by cause"),
        "displacement_events",
        rows="cause",
    ),
    # --- Case management
    Crosstab(
        "referrals_by_service",
        gettext_lazy("Referrals by type of service and status"),
        "referrals",
        rows="service_type",
        columns="status",
    ),
    Crosstab(
        "caseload_by_risk",
        gettext_lazy("Open cases by risk level and type"),
        "cases",
        rows="risk_level",
        columns="case_type",
        fixed={"status": "open"},
        period=False,
        notes=(gettext_lazy("Open cases today, whenever they were opened: counts only."),),
    ),
    Crosstab(
        "cases_child_protection",
        gettext_lazy("Open child protection cases by risk level"),
        "cases",
        rows="risk_level",
        columns="sex",
        fixed={"status": "open", "case_type": "child_protection"},
        period=False,
    ),
    Crosstab(
        "cases_gbv",
        gettext_lazy("Open GBV cases by risk level"),
        "cases",
        rows="risk_level",
        fixed={"status": "open", "case_type": "gbv"},
        period=False,
    ),
    # --- Partners' activities (4W)
    Crosstab(
        "activities_by_type",
        gettext_lazy("People reached by type of activity"),
        "activities",
        rows="activity_type",
        notes=(gettext_lazy("Validated monthly 4W reports only."),),
    ),
    Crosstab(
        "activities_by_organisation",
        gettext_lazy("Activities by organisation"),
        "activities",
        rows="organisation",
        measure="count",
    ),
    Crosstab(
        "reached_by_sex_age",
        gettext_lazy("People reached by sex and age"),
        "activities",
        rows="age_group",
        columns="sex",
        chart="cells",
        drop_rows=(None,),
    ),
    Crosstab(
        "trainings",
        gettext_lazy("People trained by category and sex"),
        "trainings",
        rows="category",
        columns="sex",
    ),
)

FIGURES: dict[str, Callable[[DashboardScope], Figure]] = {figure.key: figure for figure in DECLARED}


def custom(key: str):
    """Registers a figure that computes something of its own."""

    def register(function):
        FIGURES[key] = lambda scope: function(scope, key)
        return function

    return register


# --- Custom figures -------------------------------------------------------------------------------


def _needs_year(scope: DashboardScope) -> int | None:
    """The latest year of needs on or before the end of the period (or the latest there is)."""
    filters, _skipped = scope.filters_for("people_in_need")
    rows = aggregate(scope, "people_in_need", measures=[], group_by=["year"], filters=filters, notes=[])
    years = [row["year"] for row in rows]
    years = [year for year in years if year]
    if not years:
        return None
    before = [year for year in years if year <= scope.as_of.year]
    return max(before or years)


@custom("people_in_need")
def people_in_need(scope, key):
    year = _needs_year(scope)
    return crosstab(
        scope,
        key=key,
        title=_("People in need by population group"),
        dataset="people_in_need",
        rows="population_status",
        fixed={"year": year} if year else None,
        notes=(_("Needs of %(year)s.") % {"year": year},) if year else (),
    )


@custom("referral_funnel")
def referral_funnel(scope, key):
    """Referrals made, accepted (or completed), completed: each stage a cell of its own (its records' key)."""
    filters, skipped = scope.filters_for("referrals")
    notes: list[str] = []
    title = _("Referrals from made to completed")
    try:
        rows = aggregate(scope, "referrals", measures=[], group_by=["status"], filters=filters, notes=notes)
    except datasets.GBVFloorError as error:
        return refused(key, title, error)

    def stage(statuses) -> Cell:
        chosen = [row for row in rows if statuses(row["status"])]
        return Cell(
            sum(int(row["count"] or 0) for row in chosen), add_keys(0, *(row[CELL_KEY] for row in chosen))
        )

    stages = [
        ("made", _("Referrals made"), stage(lambda status: status != "cancelled")),
        ("accepted", _("Accepted or completed"), stage(lambda status: status in ("accepted", "completed"))),
        ("completed", _("Completed"), stage(lambda status: status == "completed")),
    ]
    measure = str(datasets.get("referrals").measures["count"].label)
    table = Table(
        row_header=_("Stage"),
        row_tag="#status+stage",
        columns=[Column("count", measure, MEASURE_TAGS["referrals"])],
        rows=[
            Row(code, label, [shown(cell, audience=scope.audience, threshold=scope.threshold)])
            for code, label, cell in stages
        ]
        if any(cell.value for _c, _l, cell in stages)
        else [],
    )
    figure = Figure(key=key, title=title, table=table, notes=notes)
    figure.notes.append(_("Cancelled referrals are left out; declined ones count as made only."))
    if note := skipped_note(skipped):
        figure.notes.append(note)
    figure.skipped = skipped
    if not table.is_empty:
        figure.disclosure = audience_note(scope.audience, scope.threshold)
        figure.chart = bars_of(table, label=figure.title, threshold=scope.threshold)
    return figure


@custom("coverage")
def coverage(scope, key):
    """Who does what where against needs: people reached and people in need by area, and the ratio."""
    year = _needs_year(scope)
    reached = crosstab(scope, key=key, title="", dataset="activities", rows="area", chart="")
    needs = crosstab(
        scope,
        key=key,
        title="",
        dataset="people_in_need",
        rows="area",
        fixed={"year": year} if year else None,
        chart="",
    )
    dimension, level = dimension_of(scope, "area", gbv=False)
    label = labeller(scope, None, dimension, level)
    reached_by = {row.code: row.cells[0] for row in reached.table.all_rows()}
    needs_by = {row.code: row.cells[0] for row in needs.table.all_rows()}
    codes = sorted(
        {row.code for row in reached.table.rows} | {row.code for row in needs.table.rows},
        key=lambda code: (code is None, str(label(code))),
    )
    rows = []
    for code in codes:
        rows.append(
            Row(code, label(code), _coverage_cells(needs_by.get(code, EMPTY), reached_by.get(code, EMPTY)))
        )
    totals = None
    if codes:
        totals = Row(
            TOTAL, _("Total"), _coverage_cells(needs_by.get(TOTAL, EMPTY), reached_by.get(TOTAL, EMPTY))
        )
    table = Table(
        row_header=str(datasets.AREA_DIMENSION_LABELS[dimension]),
        row_tag=f"#adm{level}",
        columns=[
            Column("people_in_need", _("People in need"), "#inneed+num"),
            Column("people_reached", _("People reached"), "#reached+num"),
            Column("coverage", _("Coverage (%)"), "#reached+pct"),
        ],
        rows=rows,
        totals=totals,
    )
    figure = Figure(key=key, title=_("Who does what where, against needs"), table=table)
    figure.notes.append(
        _("People reached by validated 4W activities against the people in need of %(year)s.")
        % {"year": year}
        if year
        else _("No people in need recorded: coverage cannot be computed.")
    )
    skipped = sorted(set(reached.skipped) | set(needs.skipped))
    figure.skipped = skipped
    if note := skipped_note(skipped):
        figure.notes.append(note)
    if rows:
        figure.disclosure = audience_note(scope.audience, scope.threshold)
        figure.chart = bars_of(table, label=figure.title, threshold=scope.threshold, column=1)
    return figure


def _coverage_cells(need: Shown, reached: Shown) -> list[Shown]:
    # The ratio is of the figures the audience sees (the reader's protected people reached).
    if need.value and reached.value is not None:
        ratio = round(100 * reached.value / need.value, 1)
        share = Shown(f"{ratio:g} %", ratio)
    else:
        share = Shown("—", None)
    return [need if need.text else Shown("—", None), reached if reached.text else Shown("—", None), share]


def build(keys: list[str], scope: DashboardScope) -> list[Figure]:
    return [FIGURES[key](scope) for key in keys]
