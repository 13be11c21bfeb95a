"""The quarterly programme report (seed 004, PROSMED): results by outcome from a results framework.

For the quarter: the programme's presentation (lead, partners, donors), then one section per outcome
with each indicator's value against its target, achievement and traffic light (the activities app's
rules: selectors/results.py), and the women / men split where the indicator declares a disaggregation
by sex. Counts go through disclosure control (a small count of women shows "<5", with complementary
suppression in the indicator's row); percentages are not counts and are shown as computed.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from sentinelle.activities.computations import Evaluator
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
from sentinelle.core.disclosure import protect, threshold_setting

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
    if value is None:
        return "—"
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:.1f}"


def _sex_values(indicator, evaluator: Evaluator, start, end) -> dict | None:
    if "sex" not in (indicator.disaggregations or []):
        return None
    if indicator.source == IndicatorSource.MANUAL:
        entries = list(indicator.values.all())
        values = {
            sex: manual_value(indicator, entries, start, end, disaggregation={"sex": sex}) for sex in SEXES
        }
        return values if any(value is not None for value in values.values()) else None
    rows = evaluator.evaluate(indicator.computation, date_from=start, date_to=end, group_by=("sex",))
    return {sex: rows.get((sex,), Decimal(0)) for sex in SEXES}


def _indicator_figures(result, sex_values: dict | None, threshold: int) -> dict:
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
        "percent": None if result.percent is None else f"{result.percent:.0f} %",
        "sex": None,
    }
    if percentage or value is None:
        entry["value"] = [None if value is None else _number(value) + " %", ""]
        if sex_values:
            entry["sex"] = {
                sex: [None if sex_values[sex] is None else _number(sex_values[sex]) + " %", ""]
                for sex in SEXES
            }
        return entry
    counts = {(indicator.code, "total"): int(value)}
    if sex_values:
        women, men = (int(sex_values[sex] or 0) for sex in SEXES)
        counts = {
            (indicator.code, "f"): women,
            (indicator.code, "m"): men,
            (indicator.code, "other"): max(0, int(value) - women - men),
        }
    table = protect(
        counts, rows=[indicator.code], columns=sorted({c for _r, c in counts}), threshold=threshold
    )
    total = table.row_total(indicator.code)
    entry["value"] = [total.value, str(total.suppression)]
    if sex_values:
        entry["sex"] = {
            sex: [table.cell(indicator.code, sex).value, str(table.cell(indicator.code, sex).suppression)]
            for sex in SEXES
        }
    # Achievement would give a hidden count back from the target: it is withheld with the count.
    entry["percent_hidden"] = total.suppressed
    return entry


def _year_to_date(indicator, evaluator, start, end, threshold: int, same=None) -> dict | None:
    """Without a target for the quarter: the value since 1 January against the year's target."""
    result = same or indicator_result(indicator, evaluator, datetime.date(start.year, 1, 1), end)
    year_target = target_for(indicator, list(indicator.targets.all()), *year_period(start.year))
    if year_target is None:
        return None
    percent = achievement(result.value, year_target)
    entry = {"target": _number(year_target), "light": traffic_light(percent)}
    entry["percent"] = None if percent is None else f"{percent:.0f} %"
    if result.value is None or indicator.unit == IndicatorUnit.PERCENTAGE:
        entry["value"] = [None if result.value is None else _number(result.value) + " %", ""]
        entry["percent_hidden"] = False
    else:
        cell = protect({("x", "x"): int(result.value)}, threshold=threshold).cell("x", "x")
        entry["value"] = [cell.value, str(cell.suppression)]
        entry["percent_hidden"] = cell.suppressed
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
            figures = _indicator_figures(result, _sex_values(indicator, evaluator, start, end), threshold)
            figures["result"] = row.node.code
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
        section["narrative"] = _outcome_sentence(section, threshold)
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
