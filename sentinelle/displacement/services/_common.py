"""Lines, policy and validation shared by the population services."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from sentinelle.accounts.models import Organisation
from sentinelle.core.codes import AgeGroup, PopulationStatus, Sex
from sentinelle.core.permissions import Perm, ensure, refuse
from sentinelle.core.validation import Errors
from sentinelle.displacement.models import (
    FIGURE_STATUSES,
    FigureSource,
    PopulationFigure,
)
from sentinelle.geography.models import AdminArea

MAX_TEXT = 2000


@dataclass(frozen=True)
class FigureLine:
    """One figure of a population write: a figure recorded on the page, or a row of an import."""

    organisation: Organisation
    area: AdminArea
    round_date: datetime.date
    status: str
    source: str
    individuals: int
    households: int | None = None
    # (sex, age group) -> count; cells of 0 are left out.
    breakdown: dict[tuple[str, str], int] = field(default_factory=dict)
    source_key: str = ""

    def natural_key(self) -> str:
        return f"{self.area.pcode}|{self.status}|{self.round_date.isoformat()}|{self.source}"


@dataclass(frozen=True)
class IntentionLine:
    """One return intentions survey of an area."""

    organisation: Organisation
    area: AdminArea
    survey_date: datetime.date
    population_status: str
    households_surveyed: int
    wish_return: int
    wish_stay: int
    wish_elsewhere: int
    source: str
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class NeedLine:
    """One cell of a people in need table (area, year, group): recorded on the page, or a row of an import."""

    organisation: Organisation
    area: AdminArea
    year: int
    population_status: str
    people_in_need: int
    source: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    unchanged: int


# --- Policy -----------------------------------------------------------------------------------


def _require(
    actor, organisation, area, *, request=None, obj=None, object_type: str = "", action: str
) -> None:
    """The actor may record population data for `organisation` in `area` (and change `obj`)."""
    if organisation is None or (obj is not None and obj.is_archived):
        refuse(
            actor,
            Perm.POPULATION_MANAGE,
            message=_refused(),
            obj=obj,
            object_type=object_type,
            request=request,
            detail={"action": action},
        )
    ensure(
        actor,
        Perm.POPULATION_MANAGE,
        obj,
        organisation=organisation,
        area=area,
        request=request,
        message=_refused(),
        object_type=object_type,
        detail={"action": action},
    )


def _refused() -> str:
    return _("You may not record population data for this organisation or area.")


# --- Validation -------------------------------------------------------------------------------


def _check_count(errors: Errors, key: str, value, *, required: bool = True) -> None:
    if value is None:
        if required:
            errors.add(key, _("Give a number."))
    elif value < 0:
        errors.add(key, _("The number cannot be negative."))


def _check_date(errors: Errors, key: str, value) -> None:
    if value is None:
        errors.add(key, _("Give the date."))
    elif value > timezone.localdate():
        errors.add(key, _("The date cannot be in the future."))


def _check_area(errors: Errors, key: str, area, *, levels: tuple[int, ...]) -> None:
    if area is None:
        errors.add(key, _("Give the area."))
    elif area.level not in levels:
        names = {1: _("a region"), 2: _("a cercle"), 3: _("a commune")}
        errors.add(
            key,
            _("%(name)s (%(pcode)s) is not at the right level: give %(levels)s.")
            % {
                "name": area.name_fr,
                "pcode": area.pcode,
                "levels": _(" or ").join(str(names[level]) for level in levels),
            },
        )


def figure_check(errors: Errors, data: FigureLine, *, prefix: str = "") -> None:
    """Add every problem of one figure to `errors` (fields after `prefix`)."""
    if data.organisation is None:
        errors.add(prefix + "organisation", _("Give the reporting organisation."))
    _check_area(errors, prefix + "area", data.area, levels=(2, 3))
    _check_date(errors, prefix + "round_date", data.round_date)
    if data.status not in FIGURE_STATUSES:
        if data.status == PopulationStatus.HOST:
            errors.add(
                prefix + "status",
                _("Host communities are not counted in population figures: use people in need."),
            )
        else:
            errors.add(
                prefix + "status", _("Unknown population status “%(value)s”.") % {"value": data.status}
            )
    if data.source not in FigureSource.values:
        errors.add(prefix + "source", _("Unknown source “%(value)s”.") % {"value": data.source})
    _check_count(errors, prefix + "individuals", data.individuals)
    _check_count(errors, prefix + "households", data.households, required=False)
    if (
        data.households is not None
        and data.individuals is not None
        and data.households > data.individuals >= 0
    ):
        errors.add(prefix + "households", _("More households than individuals."))
    breakdown_total = 0
    for (sex, age_group), count in data.breakdown.items():
        if sex not in Sex.values or age_group not in AgeGroup.values:
            errors.add(
                prefix + "breakdown",
                _("Unknown sex or age group “%(value)s”.") % {"value": f"{sex} {age_group}"},
            )
        elif count is not None and count < 0:
            errors.add(prefix + "breakdown", _("The number cannot be negative."))
        else:
            breakdown_total += count or 0
    if data.individuals is not None and 0 <= data.individuals < breakdown_total:
        errors.add(
            prefix + "breakdown",
            _("The breakdown by sex and age (%(total)s) is more than the individuals (%(individuals)s).")
            % {"total": breakdown_total, "individuals": data.individuals},
        )
    if len(data.source_key or "") > 128:
        errors.add(prefix + "source_key", _("At most %(limit)s characters.") % {"limit": 128})


def _same_round(data: FigureLine, *, exclude_pk=None):
    duplicates = PopulationFigure.objects.filter(
        area=data.area,
        status=data.status,
        round_date=data.round_date,
        source=data.source,
        is_archived=False,
    )
    if exclude_pk is not None:
        duplicates = duplicates.exclude(pk=exclude_pk)
    return duplicates.select_related("organisation").first()


def _round_taken_message(existing: PopulationFigure) -> str:
    return _(
        "This round is already recorded for this area, status and source (by %(organisation)s): "
        "change that figure instead."
    ) % {"organisation": existing.organisation.acronym}
