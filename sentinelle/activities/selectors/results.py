"""Reads of results frameworks: the tree, and each indicator's value against its target.

Rules (the indicator pages explain them):
- Value of a computed indicator: its declared computation (activities/computations.py) over the period,
  in the area when one is chosen.
- Value of a manual indicator (IndicatorValue, entered with evidence): for a period, the entry for exactly
  that period wins, and among several entries for the same period (corrections) the latest entered wins;
  without one, a number adds up the latest entry of each period inside the asked period, a percentage
  takes the latest entry of the most recent period inside it.
- Target: the target for exactly that period; otherwise a number adds up the targets of the periods
  inside it, a percentage takes the narrowest target whose period overlaps it (a rate to keep).
- Achievement = value / target; traffic light green from 90 %, amber from 60 %, red below, grey when
  there is no target or no value (ACHIEVEMENT_GREEN / ACHIEVEMENT_AMBER below, the one place to change).

Queries: the framework page loads the tree, targets and manual values in a constant number of queries,
then runs one aggregate per part of each computed indicator (two for a ratio), never per area or period.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from sentinelle.accounts.models import Organisation
from sentinelle.activities import computations
from sentinelle.activities.computations import Evaluator, Scope
from sentinelle.activities.models import (
    Indicator,
    IndicatorSource,
    IndicatorTarget,
    IndicatorUnit,
    IndicatorValue,
    ResultNode,
    ResultsFramework,
)
from sentinelle.core.permissions import Perm, get_object_for_user, organisations_in_scope, scope_queryset

ACHIEVEMENT_GREEN = Decimal(90)
ACHIEVEMENT_AMBER = Decimal(60)
GREEN, AMBER, RED, GREY = "green", "amber", "red", "grey"


def traffic_light(percent: Decimal | None) -> str:
    if percent is None:
        return GREY
    if percent >= ACHIEVEMENT_GREEN:
        return GREEN
    if percent >= ACHIEVEMENT_AMBER:
        return AMBER
    return RED


def achievement(value: Decimal | None, target: Decimal | None) -> Decimal | None:
    if value is None or target is None or target == 0:
        return None
    return Decimal(value) / Decimal(target) * 100


@dataclass
class Result:
    """One indicator for one period (and area): value, target, baseline, achievement and light."""

    indicator: Indicator
    start: datetime.date
    end: datetime.date
    value: Decimal | None
    target: Decimal | None
    percent: Decimal | None = None
    light: str = GREY

    def __post_init__(self):
        self.percent = achievement(self.value, self.target)
        self.light = traffic_light(self.percent)

    @property
    def baseline(self):
        return self.indicator.baseline

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)


@dataclass
class NodeRow:
    node: ResultNode
    depth: int
    results: list[Result] = field(default_factory=list)

    @property
    def indent(self) -> str:
        """Em spaces before the title: the tree reads without a stylesheet rule."""
        return "\u2003" * (2 * self.depth)


# --- Lists and objects ----------------------------------------------------------------------------


def framework_list(*, user):
    queryset = ResultsFramework.objects.filter(is_archived=False).select_related(
        "programme", "owner_organisation"
    )
    return scope_queryset(user, queryset, Perm.INDICATOR_VIEW).annotate(
        indicator_count=Count("indicators", filter=Q(indicators__is_archived=False))
    )


def owner_choices(*, user):
    """The organisations a framework may belong to: those whose frameworks the user edits."""
    organisations = organisations_in_scope(user, Perm.INDICATOR_EDIT)
    owners = Organisation.objects.filter(is_archived=False).order_by("acronym")
    return owners if organisations is None else owners.filter(pk__in=organisations)


def framework_get(*, user, public_id, request=None, perm=Perm.INDICATOR_VIEW) -> ResultsFramework:
    queryset = ResultsFramework.objects.filter(is_archived=False).select_related(
        "programme", "owner_organisation"
    )
    return get_object_for_user(user, queryset, public_id, perm, request=request)


def node_get(*, user, public_id, request=None, perm=Perm.INDICATOR_EDIT) -> ResultNode:
    queryset = ResultNode.objects.filter(is_archived=False).select_related("framework")
    return get_object_for_user(user, queryset, public_id, perm, request=request)


def indicator_get(*, user, public_id, request=None, perm=Perm.INDICATOR_VIEW) -> Indicator:
    queryset = Indicator.objects.filter(is_archived=False).select_related(
        "framework__programme", "framework__owner_organisation", "node"
    )
    return get_object_for_user(user, queryset, public_id, perm, request=request)


def programme_of(framework: ResultsFramework):
    """The framework's programme with its partners and areas loaded (for the computations' context)."""
    if framework.programme_id is None:
        return None
    from sentinelle.activities.models import Programme

    return Programme.objects.prefetch_related("implementing_partners", "areas").get(pk=framework.programme_id)


# --- Periods ---------------------------------------------------------------------------------------


def _last_day(year: int, month: int) -> datetime.date:
    from calendar import monthrange

    return datetime.date(year, month, monthrange(year, month)[1])


def year_period(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def quarter_periods(year: int) -> list[tuple[datetime.date, datetime.date]]:
    return [(datetime.date(year, month, 1), _last_day(year, month + 2)) for month in (1, 4, 7, 10)]


def framework_years(framework: ResultsFramework, *, today: datetime.date | None = None) -> list[int]:
    """The framework's years, and the current year (records keep coming after a strategy ends)."""
    today = today or timezone.localdate()
    years = set(range(framework.start_date.year, framework.end_date.year + 1))
    years = {year for year in years if year <= max(today.year, framework.start_date.year)}
    years.add(today.year)
    return sorted(years)


def default_period(framework: ResultsFramework, *, today: datetime.date | None = None):
    """The current year when the framework runs today, otherwise the framework's whole period."""
    today = today or timezone.localdate()
    if framework.start_date <= today <= framework.end_date:
        return year_period(today.year)
    return framework.start_date, framework.end_date


# --- Targets and manual values -------------------------------------------------------------------


def _overlaps(item, start, end) -> bool:
    return item.period_start <= end and item.period_end >= start


def _inside(item, start, end) -> bool:
    return item.period_start >= start and item.period_end <= end


def target_for(indicator: Indicator, targets, start, end, area=None) -> Decimal | None:
    """The target for the period (see the module's rules); `targets` are the indicator's, prefetched."""
    area_id = area.pk if area is not None else None
    mine = [target for target in targets if target.area_id == area_id]
    exact = [target for target in mine if (target.period_start, target.period_end) == (start, end)]
    if exact:
        return exact[0].value
    if indicator.unit == IndicatorUnit.PERCENTAGE:
        covering = sorted(
            (target for target in mine if _overlaps(target, start, end)),
            key=lambda target: target.period_end - target.period_start,
        )
        return covering[0].value if covering else None
    inside = [target.value for target in mine if _inside(target, start, end)]
    return sum(inside, Decimal(0)) if inside else None


def _latest(entries):
    return max(entries, key=lambda entry: (entry.created_at, entry.pk))


def manual_value(indicator: Indicator, values, start, end, area=None, disaggregation=None) -> Decimal | None:
    """The manual value for the period (see the module's rules); `values` are the indicator's entries."""
    area_id = area.pk if area is not None else None
    wanted = disaggregation or {}
    mine = [entry for entry in values if entry.area_id == area_id and (entry.disaggregation or {}) == wanted]
    exact = [entry for entry in mine if (entry.period_start, entry.period_end) == (start, end)]
    if exact:
        return _latest(exact).value
    by_period = defaultdict(list)
    for entry in mine:
        if _inside(entry, start, end):
            by_period[(entry.period_start, entry.period_end)].append(entry)
    if not by_period:
        return None
    if indicator.unit == IndicatorUnit.PERCENTAGE:
        last_period = max(by_period, key=lambda period: (period[1], period[0]))
        return _latest(by_period[last_period]).value
    return sum((_latest(entries).value for entries in by_period.values()), Decimal(0))


def _prefetched_indicators(queryset):
    return queryset.filter(is_archived=False).prefetch_related(
        Prefetch("targets", queryset=IndicatorTarget.objects.select_related("area").order_by("period_start")),
        Prefetch(
            "values",
            queryset=IndicatorValue.objects.filter(is_archived=False)
            .select_related("area")
            .order_by("period_start"),
        ),
    )


# --- Results ---------------------------------------------------------------------------------------


def indicator_result(indicator: Indicator, evaluator: Evaluator, start, end, *, area=None) -> Result:
    targets = list(indicator.targets.all())
    if indicator.source == IndicatorSource.MANUAL:
        value = manual_value(indicator, list(indicator.values.all()), start, end, area=area)
    else:
        value = evaluator.evaluate(indicator.computation, date_from=start, date_to=end)[()]
    return Result(indicator, start, end, value, target_for(indicator, targets, start, end, area=area))


def framework_results(
    framework: ResultsFramework, *, start, end, area=None, exact: bool = False
) -> tuple[list[NodeRow], Evaluator]:
    """The tree (objective > outcome > output) in display order, each node with its indicators' results;
    `exact` for the analysts only (otherwise the GBV floor of core/datasets.py applies)."""
    nodes = list(ResultNode.objects.filter(framework=framework, is_archived=False).order_by("order", "code"))
    indicators = list(
        _prefetched_indicators(Indicator.objects.filter(framework=framework)).order_by("order", "code")
    )
    evaluator = Evaluator(Scope(area=area, programme=programme_of(framework), exact=exact))
    by_node = defaultdict(list)
    for indicator in indicators:
        by_node[indicator.node_id].append(indicator_result(indicator, evaluator, start, end, area=area))
    children = defaultdict(list)
    for node in nodes:
        children[node.parent_id].append(node)
    rows: list[NodeRow] = []

    def walk(parent_id, depth):
        for node in children.get(parent_id, []):
            rows.append(NodeRow(node, depth, by_node.get(node.pk, [])))
            walk(node.pk, depth + 1)

    walk(None, 0)
    return rows, evaluator


@dataclass
class IndicatorReport:
    """What the indicator page shows: results by period, by area, by disaggregation."""

    indicator: Indicator
    description: str
    periods: list[Result]
    quarters: list[Result]
    by_area: list[dict]
    breakdowns: list[dict]
    entries: list
    queries: int


def _light_row(label, value, target=None):
    percent = achievement(value, target)
    return {
        "label": label,
        "value": value,
        "target": target,
        "percent": percent,
        "light": traffic_light(percent),
    }


def indicator_report(indicator: Indicator, *, year: int, area=None, exact: bool = False) -> IndicatorReport:
    framework = indicator.framework
    indicator = (
        _prefetched_indicators(Indicator.objects.filter(pk=indicator.pk))
        .select_related("framework", "node")
        .get()
    )
    targets = list(indicator.targets.all())
    entries = list(indicator.values.all())
    evaluator = Evaluator(Scope(area=area, programme=programme_of(framework), exact=exact))
    years = [year_period(y) for y in framework_years(framework)]
    quarters = quarter_periods(year)
    if indicator.source == IndicatorSource.MANUAL:

        def result(start, end):
            return Result(
                indicator,
                start,
                end,
                manual_value(indicator, entries, start, end, area=area),
                target_for(indicator, targets, start, end, area=area),
            )

        periods = [result(*period) for period in years]
        quarter_results = [result(*period) for period in quarters]
        by_area, breakdowns = [], []
    else:
        series = evaluator.series(indicator.computation, [*years, *quarters])
        periods = [
            Result(indicator, s, e, series[(s, e)][()], target_for(indicator, targets, s, e, area=area))
            for s, e in years
        ]
        quarter_results = [
            Result(indicator, s, e, series[(s, e)][()], target_for(indicator, targets, s, e, area=area))
            for s, e in quarters
        ]
        by_area, breakdowns = _breakdowns(indicator, evaluator, year, by_cercle=area is not None)
    return IndicatorReport(
        indicator=indicator,
        description=computations.describe(indicator.computation),
        periods=periods,
        quarters=quarter_results,
        by_area=by_area,
        breakdowns=breakdowns,
        entries=sorted(entries, key=lambda entry: (entry.period_start, entry.created_at), reverse=True),
        queries=evaluator.queries,
    )


def _breakdowns(indicator, evaluator: Evaluator, year: int, *, by_cercle: bool):
    """By region (by cercle within a chosen region) and by sex, age group, population status."""
    start, end = year_period(year)
    available = computations.available_breakdowns(indicator.computation)
    wanted = set()
    for code in indicator.disaggregations or []:
        wanted |= set(computations.DISAGGREGATION_DIMENSIONS.get(code, ()))
    by_area = []
    area_dim = "admin2" if by_cercle else "admin1"
    if area_dim not in available or area_dim not in wanted:
        area_dim = None
    if area_dim:
        values = evaluator.evaluate(indicator.computation, date_from=start, date_to=end, group_by=(area_dim,))
        areas_by_code = area_names(code for (code,) in values)
        for (code,), value in sorted(values.items(), key=lambda item: str(item[0][0])):
            name = areas_by_code.get(code, code) if code else "—"
            by_area.append(_light_row(name, value))
    breakdowns = []
    for dim in ("sex", "age_group", "population_status"):
        if dim not in available or dim not in wanted:
            continue
        values = evaluator.evaluate(indicator.computation, date_from=start, date_to=end, group_by=(dim,))
        dataset = computations.datasets.get(computations.value_parts(indicator.computation)[0]["dataset"])
        dimension = dataset.all_dimensions()[dim]
        rows = [
            _light_row(computations.datasets.label_of(dataset, dim, code) or "—", value)
            for (code,), value in sorted(values.items(), key=lambda item: str(item[0][0]))
        ]
        breakdowns.append({"label": dimension.label, "rows": rows})
    return by_area, breakdowns


def area_names(codes) -> dict:
    """P-code -> French name of the default COD version, for the area tables."""
    from sentinelle.geography.models import AdminArea

    codes = [code for code in codes if code]
    return dict(
        AdminArea.objects.filter(pcode__in=codes, version__is_default=True).values_list("pcode", "name_fr")
    )


def period_label(start: datetime.date, end: datetime.date) -> str:
    """2024 for a calendar year, T1 2024 for a quarter, the dates otherwise."""
    from django.utils.translation import gettext

    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    if (
        start.day == 1
        and start.month in (1, 4, 7, 10)
        and (start.year, start.month + 2) == (end.year, end.month)
    ):
        return gettext("Q%(quarter)s %(year)s") % {"quarter": (start.month + 2) // 3, "year": start.year}
    return f"{start:%d/%m/%Y}–{end:%d/%m/%Y}"


def bar_chart(results: list[Result], *, width: int = 480, height: int = 160) -> dict:
    """Geometry of a small server-side SVG bar chart of values (and target ticks) by period."""
    values = [r.value for r in results if r.value is not None] + [
        r.target for r in results if r.target is not None
    ]
    top = max(values, default=Decimal(0)) or Decimal(1)
    slot = width / max(len(results), 1)
    bars = []
    for index, result in enumerate(results):
        value = result.value or Decimal(0)
        bar_height = float(value / top) * (height - 20)
        target_y = None if result.target is None else height - 20 - float(result.target / top) * (height - 20)
        bars.append(
            {
                "x": round(index * slot + slot * 0.2, 1),
                "y": round(height - 20 - bar_height, 1),
                "width": round(slot * 0.6, 1),
                "height": round(bar_height, 1),
                "x2": round(index * slot + slot * 0.8, 1),
                "label_x": round(index * slot + slot / 2, 1),
                "label": period_label(result.start, result.end),
                "target_y": None if target_y is None else round(target_y, 1),
                "light": result.light,
                "result": result,
            }
        )
    return {"width": width, "height": height, "bars": bars, "baseline_y": height - 20, "label_y": height - 5}
