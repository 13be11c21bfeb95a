"""Declared computations of indicators: a count or sum over a dataset, or a ratio of two.

An indicator's `computation` (JSON) is one of:

    {"kind": "value", "dataset": "referrals", "measure": "count",
     "filters": {"service_type": "pss", "status": "completed", "case_type": "gbv"}}

    {"kind": "ratio", "numerator": {<value>}, "denominator": {<value>}, "scale": 100}

- `dataset` is a dataset of core/datasets.py (`register`ed by each app's datasets.py); `measure` one of
  its measures (default: the dataset's default measure); `filters` its filters, each a code or a list of
  codes (checked against the dimension of the same name when it has a code list).
- `"context": {"programme_partners": true, "programme_areas": true}` (on the computation or on a part)
  limits the figure to the programme's implementing partners (organisation filter) and areas (area
  filter); it needs a framework linked to a programme. A programme that lists no partner (no area)
  does not restrict.
- A ratio is numerator / denominator x scale (default 1; 100 for a percentage). A zero denominator
  gives no value (shown "—"), never 0 % and never an error.

Evaluation goes through `core.datasets.aggregate` only, for a period (date_from, date_to), an optional
area, and an optional disaggregation (group_by among sex, age_group, population_status, admin1, admin2,
where the dataset has that dimension). Series by period take one grouped query per part (by month),
whatever the number of periods; breakdowns by area one query per part, whatever the number of areas.

The GBV floor of core/datasets.py applies unless the scope is `exact` (the analysts, Perm.STATS_EXACT):
below the protocol's level GBV records are left out of a part, and a part of GBV records only is refused,
which makes the value None (shown "—"), never 0. `floor_note` says which, in words.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sentinelle.core import datasets
from sentinelle.core.datasets import DatasetError, Filters, GBVFloorError
from sentinelle.core.periods import month_aligned

VALUE = "value"
RATIO = "ratio"
CONTEXT_KEYS = ("programme_partners", "programme_areas")
VALUE_KEYS = {"kind", "dataset", "measure", "filters", "context"}
RATIO_KEYS = {"kind", "numerator", "denominator", "scale", "context"}
# Indicator disaggregation codes (Disaggregation) -> the dataset dimensions they break down by.
DISAGGREGATION_DIMENSIONS = {
    "sex": ("sex",),
    "age": ("age_group",),
    "area": ("admin1", "admin2"),
    "population_status": ("population_status",),
}
GROUPABLE = ("sex", "age_group", "population_status", "admin1", "admin2")


# --- Validation ---------------------------------------------------------------------------------


def _value_errors(part, where: str, *, has_programme: bool) -> list[str]:
    prefix = f"{where} : " if where else ""
    if not isinstance(part, dict):
        return [prefix + _("a value must be an object with a dataset.")]
    errors = []
    unknown = sorted(set(part) - VALUE_KEYS)
    for key in unknown:
        errors.append(prefix + _("Unknown key in the computation: %(name)s.") % {"name": key})
    kind = part.get("kind", VALUE)
    if kind != VALUE:
        errors.append(prefix + _("Only a value (count or sum) may be a part of a ratio."))
        return errors
    name = part.get("dataset")
    if not name:
        return [*errors, prefix + _("Choose a dataset.")]
    try:
        dataset = datasets.get(str(name))
    except DatasetError as error:
        return [*errors, prefix + str(error.args[0])]
    measure = part.get("measure")
    if measure is not None and measure not in dataset.measures:
        errors.append(
            prefix
            + _("Unknown measure for %(dataset)s: %(name)s (known: %(known)s).")
            % {"dataset": dataset.name, "name": measure, "known": ", ".join(dataset.measures)}
        )
    filters = part.get("filters", {})
    if not isinstance(filters, dict):
        errors.append(prefix + _("The filters must be an object of names and codes."))
        filters = {}
    dimensions = dataset.all_dimensions()
    for filter_name, value in filters.items():
        if filter_name not in dataset.filters:
            errors.append(
                prefix
                + _("Unknown filter for %(dataset)s: %(name)s (known: %(known)s).")
                % {"dataset": dataset.name, "name": filter_name, "known": ", ".join(dataset.filters)}
            )
            continue
        values = value if isinstance(value, list) else [value]
        if not values or any(isinstance(item, dict | list) or item in (None, "") for item in values):
            errors.append(
                prefix
                + _("Give a code (or a list of codes) for the filter %(name)s.") % {"name": filter_name}
            )
            continue
        choices = dimensions[filter_name].choices if filter_name in dimensions else None
        for item in values:
            if choices is not None and item not in choices:
                errors.append(
                    prefix
                    + _("Unknown code for the filter %(name)s of %(dataset)s: %(value)s.")
                    % {"name": filter_name, "dataset": dataset.name, "value": item}
                )
    errors += _context_errors(part.get("context"), prefix, has_programme=has_programme)
    return errors


def _context_errors(context, prefix: str, *, has_programme: bool) -> list[str]:
    if context is None:
        return []
    if not isinstance(context, dict):
        return [prefix + _("The context must be an object (programme_partners, programme_areas).")]
    errors = [
        prefix
        + _("Unknown context: %(name)s (known: %(known)s).") % {"name": key, "known": ", ".join(CONTEXT_KEYS)}
        for key in context
        if key not in CONTEXT_KEYS
    ]
    if any(context.get(key) for key in CONTEXT_KEYS) and not has_programme:
        errors.append(prefix + _("The programme context needs a results framework linked to a programme."))
    return errors


def computation_errors(computation, *, disaggregations=(), has_programme: bool = False) -> list[str]:
    """Every problem of a computation, in the user's language; empty when it may be saved."""
    if not isinstance(computation, dict) or not computation:
        return [_("The computation must be an object with a kind (value or ratio).")]
    kind = computation.get("kind", VALUE)
    if kind == VALUE:
        errors = _value_errors(computation, "", has_programme=has_programme)
        parts = [computation]
    elif kind == RATIO:
        errors = [
            _("Unknown key in the computation: %(name)s.") % {"name": key}
            for key in sorted(set(computation) - RATIO_KEYS)
        ]
        parts = []
        for key, label in (("numerator", _("numerator")), ("denominator", _("denominator"))):
            if key not in computation or not computation[key]:
                errors.append(
                    _("A ratio needs a numerator and a denominator: the %(part)s is missing.")
                    % {"part": label}
                )
                continue
            errors += _value_errors(computation[key], label, has_programme=has_programme)
            parts.append(computation[key])
        scale = computation.get("scale", 1)
        if isinstance(scale, bool) or not isinstance(scale, int | float) or scale <= 0:
            errors.append(_("The scale of a ratio must be a positive number (100 for a percentage)."))
        errors += _context_errors(computation.get("context"), "", has_programme=has_programme)
    else:
        return [_("Unknown kind of computation: %(kind)s (expected value or ratio).") % {"kind": kind}]
    if errors:
        return errors
    for code in disaggregations:
        if code not in DISAGGREGATION_DIMENSIONS:
            errors.append(_("Unknown disaggregation: %(name)s.") % {"name": code})
            continue
        for part in parts:
            dataset = datasets.get(part["dataset"])
            if not set(DISAGGREGATION_DIMENSIONS[code]) <= set(dataset.all_dimensions()):
                errors.append(
                    _("The disaggregation by %(name)s is not available for the dataset %(dataset)s.")
                    % {"name": code, "dataset": dataset.name}
                )
    return errors


def validate_computation(computation, *, disaggregations=(), has_programme: bool = False) -> None:
    errors = computation_errors(computation, disaggregations=disaggregations, has_programme=has_programme)
    if errors:
        raise ValidationError({"computation": errors})


def parse(text: str):
    """JSON text from a form; ValidationError with a French message when it does not read."""
    try:
        return json.loads(text) if text and text.strip() else {}
    except json.JSONDecodeError as error:
        raise ValidationError(
            _("The computation is not valid JSON (line %(line)s, column %(column)s).")
            % {"line": error.lineno, "column": error.colno}
        ) from None


# --- Description in words ------------------------------------------------------------------------


def _code_label(dataset, name: str, code) -> str:
    dimension = dataset.all_dimensions().get(name)
    if dimension is None or dimension.choices is None:
        return str(code)
    return str(dimension.choices.get(code, code))


def _describe_value(part: dict) -> str:
    dataset = datasets.get(part["dataset"])
    measure = dataset.measures[part.get("measure") or dataset.default_measure]
    text = str(measure.label)
    if str(measure.label) != str(dataset.label):
        text = _("%(measure)s (%(dataset)s)") % {"measure": measure.label, "dataset": dataset.label}
    conditions = []
    for name, value in part.get("filters", {}).items():
        values = value if isinstance(value, list) else [value]
        dimension = dataset.all_dimensions().get(name)
        label = dimension.label if dimension else name
        conditions.append(f"{label} : " + _(" or ").join(_code_label(dataset, name, item) for item in values))
    if conditions:
        text += _(", where ") + " ; ".join(conditions)
    return text + _context_words(part.get("context"))


def _context_words(context) -> str:
    context = context or {}
    words = []
    if context.get("programme_partners"):
        words.append(_("the programme's implementing partners only"))
    if context.get("programme_areas"):
        words.append(_("in the programme's areas"))
    return f" ({', '.join(words)})" if words else ""


def describe(computation) -> str:
    """The computation in words, in the active language (the indicator page shows it)."""
    if not computation or computation_errors(computation, has_programme=True):
        return ""
    if computation.get("kind", VALUE) == VALUE:
        return _describe_value(computation)
    scale = computation.get("scale", 1)
    text = _("%(numerator)s divided by %(denominator)s") % {
        "numerator": _describe_value(computation["numerator"]),
        "denominator": _describe_value(computation["denominator"]),
    }
    if scale == 100:
        text += _(", as a percentage")
    elif scale != 1:
        text += _(", times %(scale)s") % {"scale": scale}
    return text + _context_words(computation.get("context"))


def available_breakdowns(computation) -> list[str]:
    """The group_by dimensions (GROUPABLE) every part of the computation has."""
    parts = value_parts(computation)
    if not parts:
        return []
    common = set(GROUPABLE)
    for part in parts:
        common &= set(datasets.get(part["dataset"]).all_dimensions())
    return [name for name in GROUPABLE if name in common]


def value_parts(computation) -> list[dict]:
    if not computation:
        return []
    if computation.get("kind", VALUE) == VALUE:
        return [computation]
    return [computation["numerator"], computation["denominator"]]


# --- Evaluation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Where and for whom: an optional area, and the programme of the framework (for the context)."""

    area: object | None = None
    programme: object | None = None
    # The analysts' audience (Perm.STATS_EXACT): the GBV floor does not apply.
    exact: bool = False


def _area_within(inner, outer) -> bool:
    return outer.contains(inner)


def _areas(scope: Scope, use_programme_areas: bool):
    """The areas to filter on, or None when the intersection of area and programme areas is empty."""
    programme_areas = list(scope.programme.areas.all()) if (use_programme_areas and scope.programme) else []
    if not programme_areas:
        return (scope.area,) if scope.area else ()
    if scope.area is None:
        return tuple(programme_areas)
    kept = [area for area in programme_areas if _area_within(area, scope.area)]
    if any(_area_within(scope.area, area) for area in programme_areas):
        kept = [scope.area]
    return tuple(kept) or None


class Evaluator:
    """Evaluates computations for one scope, remembering each aggregate it ran (pages repeat parts)."""

    def __init__(self, scope: Scope | None = None):
        self.scope = scope or Scope()
        self._memo: dict[tuple, dict] = {}
        self.queries = 0

    def _part_filters(self, part: dict, context: dict, date_from, date_to) -> Filters | None:
        context = {**(context or {}), **(part.get("context") or {})}
        areas = _areas(self.scope, bool(context.get("programme_areas")))
        if areas is None:
            return None
        organisation_ids = ()
        if context.get("programme_partners") and self.scope.programme is not None:
            organisation_ids = tuple(
                sorted(partner.pk for partner in self.scope.programme.implementing_partners.all())
            )
        return Filters(
            date_from=date_from,
            date_to=date_to,
            areas=areas,
            organisation_ids=organisation_ids,
            extra=dict(part.get("filters") or {}),
        )

    def part_rows(
        self, part: dict, context: dict, *, date_from, date_to, group_by=()
    ) -> dict[tuple, Decimal] | None:
        """{(dimension values...): measure} for one value part; () is the key of the total. None when the
        GBV floor refuses the part."""
        key = (
            json.dumps(part, sort_keys=True),
            json.dumps(context or {}, sort_keys=True),
            date_from,
            date_to,
            tuple(group_by),
        )
        if key in self._memo:
            return self._memo[key]
        filters = self._part_filters(part, context, date_from, date_to)
        dataset = datasets.get(part["dataset"])
        measure = part.get("measure") or dataset.default_measure
        out: dict[tuple, Decimal] | None = defaultdict(Decimal)
        if filters is not None:
            self.queries += 1
            try:
                rows = datasets.aggregate(
                    part["dataset"],
                    measures=[measure],
                    group_by=group_by,
                    filters=filters,
                    exact=self.scope.exact,
                )
            except GBVFloorError:
                rows, out = [], None
            for row in rows:
                out[tuple(row[dim] for dim in group_by)] += Decimal(row[measure] or 0)
        self._memo[key] = None if out is None else dict(out)
        return self._memo[key]

    def floor_note(self, computation: dict, *, group_by=()) -> str:
        """What the GBV floor does to the computation's parts, in words ("" when nothing)."""
        return self._floor(computation, group_by)[1]

    def floor_refuses(self, computation: dict, *, group_by=()) -> bool:
        """Is a part of the computation refused by the GBV floor (its value is None)?"""
        return self._floor(computation, group_by)[0]

    def _floor(self, computation: dict, group_by) -> tuple[bool, str]:
        context = computation.get("context") or {}
        note = ""
        for part in value_parts(computation):
            filters = self._part_filters(part, context, None, None)
            if filters is None:
                continue
            try:
                floor = datasets.gbv_floor(
                    datasets.get(part["dataset"]), group_by=group_by, filters=filters, exact=self.scope.exact
                )
            except GBVFloorError as error:
                return True, str(error)
            if floor:
                note = datasets.gbv_withheld_note()
        return False, note

    def evaluate(self, computation: dict, *, date_from: date | None, date_to: date | None, group_by=()):
        """{key: value or None}; key () for the total. A ratio with a zero denominator is None."""
        group_by = tuple(group_by)
        context = computation.get("context") or {}
        if computation.get("kind", VALUE) == VALUE:
            rows = self.part_rows(
                computation, context, date_from=date_from, date_to=date_to, group_by=group_by
            )
            if rows is None:
                return {} if group_by else {(): None}
            return rows if group_by else {(): rows.get((), Decimal(0))}
        numerator = self.part_rows(
            computation["numerator"], context, date_from=date_from, date_to=date_to, group_by=group_by
        )
        denominator = self.part_rows(
            computation["denominator"], context, date_from=date_from, date_to=date_to, group_by=group_by
        )
        if numerator is None or denominator is None:
            return {} if group_by else {(): None}
        keys = set(numerator) | set(denominator) if group_by else {()}
        scale = Decimal(str(computation.get("scale", 1)))
        return {key: ratio(numerator.get(key, 0), denominator.get(key, 0), scale) for key in keys}

    def series(self, computation: dict, periods: list[tuple[date, date]], *, group_by=()) -> dict:
        """{(start, end): {key: value}} for month-aligned periods, in one grouped query per part."""
        if not periods:
            return {}
        parts = value_parts(computation)
        if not all(month_aligned(start, end) for start, end in periods) or not all(
            "month" in datasets.get(part["dataset"]).dimensions for part in parts
        ):
            return {
                (start, end): self.evaluate(computation, date_from=start, date_to=end, group_by=group_by)
                for start, end in periods
            }
        first = min(start for start, _end in periods)
        last = max(end for _start, end in periods)
        context = computation.get("context") or {}
        by_part = [
            self.part_rows(part, context, date_from=first, date_to=last, group_by=(*group_by, "month"))
            for part in parts
        ]
        if any(rows is None for rows in by_part):
            return {(start, end): {} if group_by else {(): None} for start, end in periods}
        out = {}
        for start, end in periods:
            sums = []
            for rows in by_part:
                totals: dict[tuple, Decimal] = defaultdict(Decimal)
                for key, amount in rows.items():
                    month = _as_date(key[-1])
                    if month is not None and start <= month <= end:
                        totals[key[:-1]] += amount
                sums.append(totals)
            if computation.get("kind", VALUE) == VALUE:
                values = dict(sums[0]) if group_by else {(): sums[0].get((), Decimal(0))}
            else:
                scale = Decimal(str(computation.get("scale", 1)))
                keys = set(sums[0]) | set(sums[1]) if group_by else {()}
                values = {key: ratio(sums[0].get(key, 0), sums[1].get(key, 0), scale) for key in keys}
            out[(start, end)] = values
        return out


def ratio(numerator, denominator, scale: Decimal = Decimal(1)) -> Decimal | None:
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator) * scale


def _as_date(value):
    if value is None:
        return None
    return value.date() if hasattr(value, "date") and callable(value.date) else value
