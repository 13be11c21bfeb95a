"""Every figure the dashboards show, by key (a page lists keys; an export asks for one key).

Each figure is computed from the declared datasets (core.datasets) only, under the page's scope, and
leaves through disclosure control. The counting rules are the datasets': linked duplicates count once,
GBV only with consent to report, grave violations by the MRM rules.
"""

from collections.abc import Callable

from django.utils.translation import gettext as _

from sentinelle.core import datasets
from sentinelle.core.codes import CHILD_AGE_GROUPS
from sentinelle.core.disclosure import TOTAL, Audience, Cell, Suppression, show_cell
from sentinelle.reports.dashboards.build import MEASURE_TAGS, crosstab, dimension_of, labeller, skipped_note
from sentinelle.reports.dashboards.scope import DashboardScope
from sentinelle.reports.dashboards.tables import (
    EMPTY,
    Column,
    Figure,
    Row,
    Shown,
    Table,
    bars_of,
)

FIGURES: dict[str, Callable[[DashboardScope], Figure]] = {}


def figure(key: str):
    def register(function):
        FIGURES[key] = lambda scope: function(scope, key)
        return function

    return register


# --- Protection monitoring ------------------------------------------------------------------------


@figure("incidents_by_month")
def incidents_by_month(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Incidents by category and month"),
        dataset="incidents",
        rows="month",
        columns="category",
        chart="columns",
        notes=(_("An incident of several categories counts under each: the totals by month add them up."),),
    )


@figure("incidents_map")
def incidents_map(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Incidents by area"),
        dataset="incidents",
        rows="area",
        chart="map",
        notes=(_("Darker areas had more incidents; simplified boundaries."),),
    )


@figure("victims_by_sex_age")
def victims_by_sex_age(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Victims by sex and age"),
        dataset="victims",
        rows="age_group",
        columns="sex",
        chart="cells",
    )


@figure("victims_children")
def victims_children(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Child victims by outcome and sex"),
        dataset="victims",
        rows="outcome",
        columns="sex",
        fixed={"age_group": list(CHILD_AGE_GROUPS)},
    )


@figure("gbv_types")
def gbv_types(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("GBV incidents by type"),
        dataset="gbv_incidents",
        rows="gbv_type",
        gbv=True,
        notes=(_("Only incidents whose survivor consented to reporting are counted."),),
    )


@figure("gbv_by_sex_age")
def gbv_by_sex_age(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("GBV survivors by sex and age"),
        dataset="gbv_incidents",
        rows="age_group",
        columns="sex",
        gbv=True,
        chart="cells",
    )


@figure("gbv_by_month")
def gbv_by_month(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("GBV incidents by month"),
        dataset="gbv_incidents",
        rows="month",
        gbv=True,
        chart="bars",
    )


@figure("gbv_map")
def gbv_map(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("GBV incidents by area"),
        dataset="gbv_incidents",
        rows="area",
        gbv=True,
        chart="map",
    )


@figure("grave_violations")
def grave_violations(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Grave violations against children (MRM)"),
        dataset="grave_violations",
        rows="violation_type",
        notes=(
            _(
                "MRM counting rules: killing, maiming, recruitment, sexual violence and abduction once per "
                "child victim; attacks on schools and hospitals and denial of access once per violation."
            ),
        ),
    )


@figure("grave_violations_by_sex_age")
def grave_violations_by_sex_age(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Child victims of grave violations by sex and age"),
        dataset="grave_violations",
        rows="age_group",
        columns="sex",
        chart="cells",
        drop_rows=(None,),
        notes=(_("Violations counted once per event (attacks on schools...) have no victim here."),),
    )


@figure("grave_violations_by_month")
def grave_violations_by_month(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Grave violations by month"),
        dataset="grave_violations",
        rows="month",
        columns="verification",
        chart="columns",
    )


@figure("eo_casualties")
def eo_casualties(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Explosive ordnance casualties"),
        dataset="eo_casualties",
        rows="outcome",
        columns="sex",
    )


@figure("eo_by_device")
def eo_by_device(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Explosive ordnance casualties by device"),
        dataset="eo_casualties",
        rows="device_type",
    )


# --- Population movement --------------------------------------------------------------------------


@figure("displacement_by_status")
def displacement_by_status(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Displaced and returned people by status (latest figures)"),
        dataset="population",
        rows="status",
        notes=(_("Latest round of each area on or before the end of the period."),),
    )


@figure("displacement_map")
def displacement_map(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("People counted by area (latest figures)"),
        dataset="population",
        rows="area",
        chart="map",
    )


@figure("displacement_events")
def displacement_events(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("People displaced by events, by cause"),
        dataset="displacement_events",
        rows="cause",
    )


def _needs_year(scope: DashboardScope) -> int | None:
    """The latest year of needs on or before the end of the period (or the latest there is)."""
    filters, _skipped = scope.filters_for("people_in_need")
    years = [row["year"] for row in datasets.aggregate("people_in_need", group_by=["year"], filters=filters)]
    years = [year for year in years if year]
    if not years:
        return None
    before = [year for year in years if year <= scope.as_of.year]
    return max(before or years)


@figure("people_in_need")
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


# --- Case management ------------------------------------------------------------------------------


@figure("referral_funnel")
def referral_funnel(scope, key):
    """Referrals made, accepted (or completed), completed: each stage a count, none revealing a small one."""
    filters, skipped = scope.filters_for("referrals")
    rows = datasets.aggregate("referrals", group_by=["status"], filters=filters)
    by_status = {row["status"]: int(row["count"] or 0) for row in rows}
    stages = [
        ("made", _("Referrals made"), sum(v for s, v in by_status.items() if s != "cancelled")),
        (
            "accepted",
            _("Accepted or completed"),
            by_status.get("accepted", 0) + by_status.get("completed", 0),
        ),
        ("completed", _("Completed"), by_status.get("completed", 0)),
    ]
    threshold = scope.threshold
    hidden = set()
    for index, (_code, _label, value) in enumerate(stages):
        if 0 < value < threshold:
            hidden.add(index)
    # The difference between two stages is a count too: a small one hides the smaller stage.
    for index in range(len(stages) - 1):
        difference = stages[index][2] - stages[index + 1][2]
        if 0 < difference < threshold:
            hidden.add(index + 1)
    cells = []
    for index, (_code, _label, value) in enumerate(stages):
        cell = Cell(value, Suppression.PRIMARY if index in hidden else Suppression.NONE)
        cells.append(_shown(scope, cell))
    measure = str(datasets.get("referrals").measures["count"].label)
    table = Table(
        row_header=_("Stage"),
        row_tag="#status+stage",
        columns=[Column("count", measure, MEASURE_TAGS["referrals"])],
        rows=[Row(code, label, [cell]) for (code, label, value), cell in zip(stages, cells, strict=True)]
        if any(value for _c, _l, value in stages)
        else [],
    )
    figure = Figure(key=key, title=_("Referrals from made to completed"), table=table)
    figure.notes.append(_("Cancelled referrals are left out; declined ones count as made only."))
    if note := skipped_note(skipped):
        figure.notes.append(note)
    figure.skipped = skipped
    if not table.is_empty:
        figure.chart = bars_of(table, label=figure.title, threshold=threshold)
    return figure


def _shown(scope: DashboardScope, cell: Cell) -> Shown:
    visible = not cell.suppressed or scope.audience == Audience.ANALYST
    text = show_cell(cell, threshold=scope.threshold, audience=scope.audience)
    return Shown(
        text, cell.value if visible else None, cell.suppressed, cell.suppression == Suppression.PRIMARY
    )


@figure("referrals_by_service")
def referrals_by_service(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Referrals by type of service and status"),
        dataset="referrals",
        rows="service_type",
        columns="status",
    )


@figure("caseload_by_risk")
def caseload_by_risk(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Open cases by risk level and type"),
        dataset="cases",
        rows="risk_level",
        columns="case_type",
        fixed={"status": "open"},
        period=False,
        notes=(_("Open cases today, whenever they were opened: counts only."),),
    )


@figure("cases_child_protection")
def cases_child_protection(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Open child protection cases by risk level"),
        dataset="cases",
        rows="risk_level",
        columns="sex",
        fixed={"status": "open", "case_type": "child_protection"},
        period=False,
    )


@figure("cases_gbv")
def cases_gbv(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Open GBV cases by risk level"),
        dataset="cases",
        rows="risk_level",
        fixed={"status": "open", "case_type": "gbv"},
        period=False,
    )


# --- Partners' activities (4W) --------------------------------------------------------------------


@figure("activities_by_type")
def activities_by_type(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("People reached by type of activity"),
        dataset="activities",
        rows="activity_type",
        notes=(_("Validated monthly 4W reports only."),),
    )


@figure("activities_by_organisation")
def activities_by_organisation(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("Activities by organisation"),
        dataset="activities",
        rows="organisation",
        measure="count",
    )


@figure("reached_by_sex_age")
def reached_by_sex_age(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("People reached by sex and age"),
        dataset="activities",
        rows="age_group",
        columns="sex",
        chart="cells",
        drop_rows=(None,),
    )


@figure("trainings")
def trainings(scope, key):
    return crosstab(
        scope,
        key=key,
        title=_("People trained by category and sex"),
        dataset="trainings",
        rows="category",
        columns="sex",
    )


@figure("coverage")
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
        figure.chart = bars_of(table, label=figure.title, threshold=scope.threshold, column=1)
    return figure


def _coverage_cells(need: Shown, reached: Shown) -> list[Shown]:
    if need.value and reached.value is not None:
        ratio = round(100 * reached.value / need.value, 1)
        share = Shown(f"{ratio:g} %", ratio)
    else:
        share = Shown("—", None)
    return [need if need.text else Shown("—", None), reached if reached.text else Shown("—", None), share]


def build(keys: list[str], scope: DashboardScope) -> list[Figure]:
    return [FIGURES[key](scope) for key in keys]
