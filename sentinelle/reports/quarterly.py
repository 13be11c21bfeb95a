"""The quarterly programme report (seed 004, PROSMED): results by outcome from a results framework.

For the quarter: the programme's presentation (lead, partners, donors), then one section per outcome
with each indicator's value against its target, achievement and traffic light (the activities app's
rules: selectors/results.py), and the women / men split where the indicator declares a disaggregation
by sex. Counts go through disclosure control (core/disclosure.py): a count from 1 to 4 reads "<5", the
others are perturbed by up to 2 from their cell keys (a computed count: its records' keys, read from the
same aggregate as the value; a count entered by hand: a key derived under the key ring's secret from the
indicator, the period and the sex), and the frozen cell keeps the exact value beside the reader's figure.
Percentages are not counts and are shown as computed. The report is published: indicators are computed
for the public audience, under the GBV floor of core/datasets.py (an indicator over GBV records only below
the protocol's level reads "—"; one that leaves GBV records out there says so in its section).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from sentinelle.activities.computations import VALUE, Evaluator
from sentinelle.activities.models import IndicatorSource, IndicatorUnit, NodeLevel, ResultsFramework
from sentinelle.activities.selectors.results import (
    achievement,
    framework_results,
    indicator_result,
    manual_value,
    period_label,
    programme_of,
    target_for,
    traffic_light,
    year_period,
)
from sentinelle.core import datasets
from sentinelle.core.disclosure import CELL_KEY, Cell, number, secret_key, threshold_setting
from sentinelle.core.disclosure import percent as french_percent
from sentinelle.reports.report_tables import frozen

SEXES = ("f", "m")


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    from calendar import monthrange

    first = 3 * (quarter - 1) + 1
    return datetime.date(year, first, 1), datetime.date(year, first + 2, monthrange(year, first + 2)[1])


def previous_quarter(today: datetime.date) -> tuple[int, int]:
    quarter = (today.month - 1) // 3 + 1
    return (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)


def quarterly_title(framework: ResultsFramework, start, end) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        name = framework.programme.code if framework.programme_id else framework.code
        return _("Quarterly report %(programme)s — %(period)s") % {
            "programme": name,
            "period": period_label(start, end),
        }


def _number(value) -> str:
    """A value, target or baseline the French way ("2 400", "58,8"); "—" when there is none."""
    return "—" if value is None else number(Decimal(value))


def _percent(value, places: int = 1) -> str | None:
    """ "58,8 %" (a no-break space before the sign); None when there is none."""
    return None if value is None else french_percent(value, places)


def _sex_values(indicator, evaluator: Evaluator, start, end) -> dict | None:
    if "sex" not in (indicator.disaggregations or []):
        return None
    if indicator.source == IndicatorSource.MANUAL:
        entries = list(indicator.values.all())
        values = {
            sex: manual_value(indicator, entries, start, end, disaggregation={"sex": sex}) for sex in SEXES
        }
        return values if any(value is not None for value in values.values()) else None
    if evaluator.floor_refuses(indicator.computation, group_by=("sex",)):
        return None
    rows = evaluator.evaluate(indicator.computation, date_from=start, date_to=end, group_by=("sex",))
    return {sex: rows.get((sex,), Decimal(0)) for sex in SEXES}


def _cell_keys(indicator, evaluator: Evaluator, start, end, group_by=()) -> dict[tuple, int | None]:
    """The cell keys of a count indicator's value for the period ({(): key}, or by sex): from the records
    of a computed count (the aggregate its value came from, cached), or derived from the indicator for a
    value entered by hand; None for a count of a source's own aggregates (exact)."""
    if indicator.source == IndicatorSource.MANUAL:
        if group_by:
            return {(sex,): secret_key(indicator.public_id, start, end, sex) for sex in SEXES}
        return {(): secret_key(indicator.public_id, start, end)}
    computation = indicator.computation or {}
    if computation.get("kind", VALUE) != VALUE:
        return {}
    dataset = datasets.get(computation["dataset"])
    if not dataset.perturbed:
        return {(): None} if not group_by else {(sex,): None for sex in SEXES}
    # The filters the evaluator computed the value with (read only): the same records, hence the same keys.
    filters = evaluator._part_filters(computation, computation.get("context") or {}, start, end)
    if filters is None:
        return {}
    rows = datasets.aggregate(
        dataset.name,
        measures=[computation.get("measure") or dataset.default_measure],
        group_by=list(group_by),
        filters=filters,
        exact=evaluator.scope.exact,
    )
    return {tuple(row[dim] for dim in group_by): row.get(CELL_KEY, 0) for row in rows}


def _indicator_figures(result, sex_values: dict | None, threshold: int, keys: dict, sex_keys: dict) -> dict:
    indicator = result.indicator
    percentage = indicator.unit == IndicatorUnit.PERCENTAGE
    value = result.value
    entry = {
        "code": indicator.code,
        "name": indicator.name_fr,
        "unit": indicator.unit,
        "baseline": _number(indicator.baseline),
        "target": _number(result.target),
        "light": result.light,
        "percent": _percent(result.percent, 0),
        "sex": None,
    }
    if percentage or value is None:
        entry["value"] = [_percent(value), ""]
        if sex_values:
            entry["sex"] = {sex: [_percent(sex_values[sex]), ""] for sex in SEXES}
        return entry
    total = Cell(int(value), keys.get((), 0))
    entry["value"] = frozen(total, threshold)
    if sex_values:
        entry["sex"] = {
            sex: frozen(Cell(int(sex_values[sex] or 0), sex_keys.get((sex,), 0)), threshold) for sex in SEXES
        }
    # Achievement would give a small count back from the target: it is withheld with the count. A
    # perturbed count's achievement is computed from the reader's figure.
    published = total.published(threshold)
    entry["percent_hidden"] = published is None
    if published is not None and published != total.value:
        entry["percent"], entry["light"] = _achievement_of(published, result.target)
    return entry


def _achievement_of(value, target) -> tuple[str | None, str]:
    """The achievement (text) and traffic light of a readers' figure against its target."""
    percent = achievement(Decimal(value), target)
    return _percent(percent, 0), traffic_light(percent)


def _year_to_date(indicator, evaluator, start, end, threshold: int, same=None) -> dict | None:
    """Without a target for the quarter: the value since 1 January against the year's target."""
    year_start = datetime.date(start.year, 1, 1)
    result = same or indicator_result(indicator, evaluator, year_start, end)
    year_target = target_for(indicator, list(indicator.targets.all()), *year_period(start.year))
    if year_target is None:
        return None
    percent = achievement(result.value, year_target)
    entry = {"target": _number(year_target), "light": traffic_light(percent)}
    entry["percent"] = _percent(percent, 0)
    if result.value is None or indicator.unit == IndicatorUnit.PERCENTAGE:
        entry["value"] = [_percent(result.value), ""]
        entry["percent_hidden"] = False
    else:
        keys = _cell_keys(indicator, evaluator, year_start, end)
        cell = Cell(int(result.value), keys.get((), 0))
        entry["value"] = frozen(cell, threshold)
        published = cell.published(threshold)
        entry["percent_hidden"] = published is None
        if published is not None and published != cell.value:
            entry["percent"], entry["light"] = _achievement_of(published, year_target)
    return entry


def quarterly_figures(*, framework: ResultsFramework, start, end) -> dict:
    with translation.override(settings.LANGUAGE_CODE):
        return _quarterly_figures(framework, start, end)


def _quarterly_figures(framework, start, end) -> dict:
    threshold = threshold_setting()
    rows, evaluator = framework_results(framework, start=start, end=end)
    # Sections: each outcome with its outputs' indicators; without outcomes, each top-level result.
    has_outcomes = any(row.node.level == NodeLevel.OUTCOME for row in rows)
    sections: list[dict] = []
    current = None
    for row in rows:
        starts_section = row.node.level == NodeLevel.OUTCOME if has_outcomes else row.depth == 0
        if starts_section:
            current = {
                "key": row.node.code,
                "code": row.node.code,
                "title": row.node.title_fr,
                "indicators": [],
            }
            sections.append(current)
        if current is None or (has_outcomes and row.node.level == NodeLevel.OBJECTIVE):
            continue
        for result in row.results:
            indicator = result.indicator
            sex_values = _sex_values(indicator, evaluator, start, end)
            counted = indicator.unit != IndicatorUnit.PERCENTAGE and result.value is not None
            keys = _cell_keys(indicator, evaluator, start, end) if counted else {}
            sex_keys = (
                _cell_keys(indicator, evaluator, start, end, ("sex",)) if counted and sex_values else {}
            )
            figures = _indicator_figures(result, sex_values, threshold, keys, sex_keys)
            figures["result"] = row.node.code
            note = (
                evaluator.floor_note(indicator.computation)
                if indicator.source != IndicatorSource.MANUAL
                else ""
            )
            if note:
                current.setdefault("notes", []).append(f"{indicator.code} : {note}")
            if result.target is None and start.month != 1:
                figures["annual"] = _year_to_date(indicator, evaluator, start, end, threshold)
            elif result.target is None:
                figures["annual"] = _year_to_date(indicator, evaluator, start, end, threshold, same=result)
            current["indicators"].append(figures)
    programme = programme_of(framework)
    presentation = {
        "framework": framework.name,
        "code": framework.code,
        "description": framework.description,
    }
    if programme is not None:
        presentation.update(
            {
                "programme": f"{programme.code} — {programme.name}",
                "description": programme.description or framework.description,
                "lead": programme.lead_organisation.acronym if programme.lead_organisation_id else "",
                "partners": ", ".join(sorted(p.acronym for p in programme.implementing_partners.all())),
                "donors": ", ".join(sorted(d.acronym for d in programme.donors.all())),
            }
        )
    for section in sections:
        section["narrative"] = "\n".join([_outcome_sentence(section, threshold), *section.get("notes", [])])
    return {
        "kind": "programme_quarterly",
        "threshold": threshold,
        "period": period_label(start, end),
        "presentation": presentation,
        "sections": sections,
    }


def _outcome_sentence(section: dict, threshold: int) -> str:
    lights = [
        item["light"] if item["light"] != "grey" else (item.get("annual") or {}).get("light", "grey")
        for item in section["indicators"]
    ]
    counted = [light for light in lights if light != "grey"]
    on_track = counted.count("green")
    if not section["indicators"]:
        return _("No indicator is attached to this result.")
    if not counted:
        return _("No indicator of this result has both a target and a value for the period.")
    return _(
        "%(on_track)s of %(count)s indicators with a target and a value are on track (90 %% or more)."
    ) % {
        "on_track": on_track,
        "count": len(counted),
    }


def prefilled_narrative(figures: dict) -> dict:
    out = {"overview": ""}
    out.update({section["key"]: section.get("narrative", "") for section in figures.get("sections", [])})
    return out
