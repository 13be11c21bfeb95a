"""Reads of population movement, and the counting rules every figure of the app goes through.

Which population figures count "as of" a date (`counted_rows`), in this order:
  1. Rounds: only the newest round on or before the date counts for an area and status (a stock is
     never added across rounds).
  2. Sources: when several sources gave that same round, the first in SOURCE_PRIORITY counts
     (CMP/DTM, then authorities, then partners); they are never added.
  3. Cercle against communes: for a cercle and a status, the communes' figures count when the newest
     of them is at least as recent as the cercle's own latest figure (or the cercle has none);
     otherwise the cercle's figure counts and its communes' are left out. Never both.
The totals, trends, the "population" dataset and the pages all use these rows, so a figure means the
same thing everywhere. Every selector takes the user and scopes with Perm.POPULATION_VIEW (reference
data: read whole by anyone holding it, nothing otherwise).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import NamedTuple

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from sentinelle.accounts.models import Organisation
from sentinelle.core.codes import PopulationStatus
from sentinelle.core.permissions import (
    Perm,
    get_object_for_user,
    has_perm,
    organisations_in_scope,
    scope_queryset,
)
from sentinelle.displacement.models import (
    FIGURE_STATUSES,
    SOURCE_PRIORITY,
    DisplacementEvent,
    PeopleInNeed,
    PopulationFigure,
    ReturnIntention,
)
from sentinelle.geography.models import AdminArea
from sentinelle.geography.paths import ancestor_paths, path_at_level

_RANK = {source: rank for rank, source in enumerate(SOURCE_PRIORITY)}
_UNRANKED = 99


class FigureRow(NamedTuple):
    """What the counting rules need of one figure (one query, no model instances; a tuple, because the
    trend reads a row per area, status and source of its last rounds)."""

    pk: int
    area_id: int
    path: str
    level: int
    version_id: int
    status: str
    round_date: datetime.date
    source: str
    individuals: int
    households: int | None

    @property
    def codes(self) -> list[str]:
        return [code for code in self.path.split("/") if code]

    def code_at(self, level: int) -> str | None:
        codes = self.codes
        return codes[level] if len(codes) > level else None


_ROW_FIELDS = (
    "pk",
    "area_id",
    "area__path",
    "area__level",
    "area__version_id",
    "status",
    "round_date",
    "source",
    "individuals",
    "households",
)


def figure_rows(queryset: QuerySet) -> list[FigureRow]:
    return [FigureRow(*values) for values in queryset.order_by().values_list(*_ROW_FIELDS)]


def _source_rank() -> Case:
    return Case(
        *(When(source=source, then=Value(rank)) for source, rank in _RANK.items()),
        default=Value(_UNRANKED),
        output_field=IntegerField(),
    )


def latest_in_sql(figures: QuerySet, areas: QuerySet) -> QuerySet:
    """Rules 1 and 2 in the database: for each area of `areas` and each population status, the newest
    figure among `figures`, best source, then highest pk (as `_better`), as one lazy queryset.

    Each (area, status) is a correlated subquery that reads the first entries of the partial index
    displacement_figure_round (area, status, newest round first, source and id included): the cost
    follows areas x statuses and never the number of rounds stored, where a window or a max per group
    would read every round. The statuses are the codes of PopulationStatus, which forms and imports
    enforce on every figure."""
    ordering = (F("round_date").desc(), _source_rank().asc(), F("pk").desc())
    branches = [
        areas.order_by()
        .annotate(
            latest=Subquery(
                figures.filter(area_id=OuterRef("pk"), status=status).order_by(*ordering).values("pk")[:1]
            )
        )
        .values("latest")
        for status in PopulationStatus.values
    ]
    # An area without a figure of a status gives NULL, which `IN` never matches (filtering it out would
    # repeat the subquery in WHERE).
    return PopulationFigure.objects.filter(pk__in=branches[0].union(*branches[1:], all=True))


def latest_rows(rows: list[FigureRow], as_of: datetime.date | None = None) -> list[FigureRow]:
    """Rules 1 and 2: per area and status, the newest round on or before `as_of`, best source."""
    best: dict[tuple[int, str], FigureRow] = {}
    for row in rows:
        if as_of is not None and row.round_date > as_of:
            continue
        key = (row.area_id, row.status)
        current = best.get(key)
        if current is None or _better(row, current):
            best[key] = row
    return list(best.values())


def _better(row: FigureRow, other: FigureRow) -> bool:
    if row.round_date != other.round_date:
        return row.round_date > other.round_date
    rank, other_rank = _RANK.get(row.source, _UNRANKED), _RANK.get(other.source, _UNRANKED)
    if rank != other_rank:
        return rank < other_rank
    return row.pk > other.pk


def counted_rows(rows: list[FigureRow], as_of: datetime.date | None = None) -> list[FigureRow]:
    """Rules 1 to 3: the figures that count as of `as_of`, each person once."""
    return one_per_cercle(latest_rows(rows, as_of))


def one_per_cercle(latest: list[FigureRow]) -> list[FigureRow]:
    """Rule 3 on the latest figure of each area and status: a cercle counted through its communes or
    as a whole, never both."""
    # A cercle is known by its COD version and P-code: the same code names another place in another
    # version, whose communes must not replace it.
    cercles: dict[tuple[int, str, str], FigureRow] = {}
    communes: dict[tuple[int, str, str], list[FigureRow]] = defaultdict(list)
    others: list[FigureRow] = []
    for row in latest:
        cercle = row.code_at(2)
        if row.level == 2 and cercle:
            cercles[(row.version_id, cercle, row.status)] = row
        elif row.level >= 3 and cercle:
            communes[(row.version_id, cercle, row.status)].append(row)
        else:
            others.append(row)
    counted = others
    for key in set(cercles) | set(communes):
        cercle_row, commune_rows = cercles.get(key), communes.get(key, [])
        newest_commune = max((row.round_date for row in commune_rows), default=None)
        if commune_rows and (cercle_row is None or newest_commune >= cercle_row.round_date):
            counted.extend(commune_rows)
        elif cercle_row is not None:
            counted.append(cercle_row)
    return counted


def _latest_at_each(rows: list[FigureRow], dates: list[datetime.date]):
    """(day, latest_rows(rows, day)) for each of the sorted `dates`, in one pass over the rows."""
    rows = sorted(rows, key=lambda row: row.round_date)
    best: dict[tuple[int, str], FigureRow] = {}
    position = 0
    for day in dates:
        while position < len(rows) and rows[position].round_date <= day:
            row = rows[position]
            current = best.get((row.area_id, row.status))
            if current is None or _better(row, current):
                best[(row.area_id, row.status)] = row
            position += 1
        yield day, list(best.values())


def counted_figures(as_of: datetime.date | None = None, *, areas=()) -> list[FigureRow]:
    """The figures that count as of `as_of` (rules 1 to 3), for the dataset and the pages.

    One query whatever the number of rounds: rules 1 and 2 in SQL (`latest_in_sql`), then rule 3 here
    on the latest figure of each area and status (bounded by areas x statuses, not by rows)."""
    figures = PopulationFigure.objects.filter(is_archived=False)
    if as_of is not None:
        figures = figures.filter(round_date__lte=as_of)
    places = AdminArea.objects.all()
    if areas:
        within = Q()
        for area in areas:
            # The whole cercle is needed to apply rule 3 even when the filter is one commune.
            top = path_at_level(area.path, 2)
            within |= Q(path__startswith=top, version_id=area.version_id)
        places = places.filter(within)
    return one_per_cercle(figure_rows(latest_in_sql(figures, places)))


def counted_figure_ids(as_of: datetime.date | None = None, *, areas=()) -> list[int]:
    """Primary keys of the figures that count as of `as_of` (see `counted_figures`)."""
    return [row.pk for row in counted_figures(as_of, areas=areas)]


def _viewable(user, queryset: QuerySet) -> QuerySet:
    return scope_queryset(user, queryset, Perm.POPULATION_VIEW)


def _within(queryset: QuerySet, area: AdminArea | None, path: str = "area") -> QuerySet:
    if area is None:
        return queryset
    return queryset.filter(**{f"{path}__path__startswith": area.path, f"{path}__version_id": area.version_id})


# --- Figures ----------------------------------------------------------------------------------


def figure_list(
    *,
    user,
    area: AdminArea | None = None,
    status: str | None = None,
    source: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet:
    """Every recorded figure (all rounds and sources), newest first, for the list page."""
    figures = PopulationFigure.objects.filter(is_archived=False)
    figures = _within(figures, area)
    if status:
        figures = figures.filter(status=status)
    if source:
        figures = figures.filter(source=source)
    if date_from:
        figures = figures.filter(round_date__gte=date_from)
    if date_to:
        figures = figures.filter(round_date__lte=date_to)
    return _viewable(user, figures).select_related("area__parent", "organisation")


def figures_editable(*, user, figures) -> set[int]:
    """Ids of `figures` (instances) the user may edit, in one query: a list shows "Edit" only there."""
    ids = [figure.pk for figure in figures]
    if not ids or not has_perm(user, Perm.POPULATION_MANAGE):
        return set()
    editable = scope_queryset(user, PopulationFigure.objects.filter(pk__in=ids), Perm.POPULATION_MANAGE)
    return set(editable.values_list("pk", flat=True))


def figure_get(*, user, public_id, perm: Perm = Perm.POPULATION_VIEW, request=None) -> PopulationFigure:
    figures = PopulationFigure.objects.filter(is_archived=False).select_related("area", "organisation")
    return get_object_for_user(user, figures, public_id, perm, request=request)


def figure_breakdown(figure: PopulationFigure) -> dict[tuple[str, str], int]:
    """A figure's counts by (sex, age group) (`figure` comes from figure_get: the user may see it)."""
    return {(cell.sex, cell.age_group): cell.count for cell in figure.breakdown.all()}


def manageable_organisations(*, user) -> QuerySet:
    """Organisations the user may record population data for (the choices of the forms)."""
    organisations = Organisation.objects.filter(is_archived=False).order_by("acronym")
    ids = organisations_in_scope(user, Perm.POPULATION_MANAGE)
    return organisations if ids is None else organisations.filter(pk__in=ids)


def latest_figures(*, user, as_of: datetime.date | None = None, area: AdminArea | None = None) -> list:
    """The figures that count as of `as_of` (see the module's rules), as model instances."""
    if not has_perm(user, Perm.POPULATION_VIEW):
        return []
    ids = counted_figure_ids(as_of, areas=(area,) if area else ())
    figures = _within(PopulationFigure.objects.filter(pk__in=ids), area)
    return list(_viewable(user, figures).select_related("area__parent", "organisation"))


def figure_totals(
    *, user, as_of: datetime.date | None = None, level: int = 2, area: AdminArea | None = None
) -> list[dict]:
    """Counted individuals and households by area of `level` and status:
    [{"pcode", "name", "status": {status: {"individuals", "households"}}, "individuals"}], largest first."""
    if not has_perm(user, Perm.POPULATION_VIEW):
        return []
    # The rows as tuples: model instances (with their areas' geometry) would cost more than the rules.
    ids = counted_figure_ids(as_of, areas=(area,) if area else ())
    figures = figure_rows(_within(_viewable(user, PopulationFigure.objects.filter(pk__in=ids)), area))
    codes: set[str] = set()
    totals: dict[str, dict] = {}
    for figure in figures:
        code = figure.code_at(level)
        if code is None:
            continue
        codes.add(code)
        entry = totals.setdefault(code, {"pcode": code, "by_status": {}, "individuals": 0, "households": 0})
        cell = entry["by_status"].setdefault(figure.status, {"individuals": 0, "households": 0})
        cell["individuals"] += figure.individuals
        cell["households"] += figure.households or 0
        entry["individuals"] += figure.individuals
        entry["households"] += figure.households or 0
    version_ids = {figure.version_id for figure in figures}
    names = dict(
        AdminArea.objects.filter(pcode__in=codes, version_id__in=version_ids).values_list("pcode", "name_fr")
    )
    rows = []
    for code, entry in totals.items():
        entry["name"] = names.get(code, code)
        entry["cells"] = [
            entry["by_status"].get(status, {}).get("individuals", 0) for status in FIGURE_STATUSES
        ]
        rows.append(entry)
    return sorted(rows, key=lambda entry: (-entry["individuals"], entry["name"]))


def figure_trend(
    *, user, area: AdminArea | None = None, as_of: datetime.date | None = None, rounds: int = 12
) -> list[dict]:
    """Totals by status as of each of the last `rounds` round dates in the area (rules applied at each
    date, so a round counted later does not change what an earlier point said):
    [{"date", "by_status": {status: individuals}, "total"}], oldest first."""
    if not has_perm(user, Perm.POPULATION_VIEW):
        return []
    figures = PopulationFigure.objects.filter(is_archived=False)
    if as_of is not None:
        figures = figures.filter(round_date__lte=as_of)
    figures = _within(_viewable(user, figures), area)
    dates = sorted(figures.order_by("-round_date").values_list("round_date", flat=True).distinct()[:rounds])
    if not dates:
        return []
    # What counts at any of these dates is a round after the first of them, or the figure that counted
    # at the first (older rounds lose to it): three queries, however many rounds are stored.
    places = AdminArea.objects.all()
    if area is not None:
        places = places.filter(path__startswith=area.path, version_id=area.version_id)
    rows = figure_rows(latest_in_sql(figures.filter(round_date__lte=dates[0]), places))
    rows += figure_rows(figures.filter(round_date__gt=dates[0]))
    series = []
    for day, latest in _latest_at_each(rows, dates):
        by_status: dict[str, int] = defaultdict(int)
        for row in one_per_cercle(latest):
            by_status[row.status] += row.individuals
        series.append({"date": day, "by_status": dict(by_status), "total": sum(by_status.values())})
    return series


# --- Events, intentions, needs --------------------------------------------------------------------


def event_list(
    *,
    user,
    area: AdminArea | None = None,
    cause: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet:
    events = _within(DisplacementEvent.objects.filter(is_archived=False), area, "destination_area")
    if cause:
        events = events.filter(cause=cause)
    if date_from:
        events = events.filter(date__gte=date_from)
    if date_to:
        events = events.filter(date__lte=date_to)
    return _viewable(user, events).select_related(
        "destination_area__parent", "origin_area__parent", "organisation"
    )


def event_totals(events: QuerySet) -> dict:
    return events.order_by().aggregate(
        events=Count("pk"), individuals=Sum("individuals"), households=Sum("households")
    )


def return_intention_list(*, user, area: AdminArea | None = None) -> QuerySet:
    intentions = _within(ReturnIntention.objects.filter(is_archived=False), area)
    return _viewable(user, intentions).select_related("area__parent", "organisation")


def return_intention_summary(*, user, area: AdminArea | None = None) -> dict:
    """Households by wish over the surveys, with shares, and how often each condition is named."""
    intentions = return_intention_list(user=user, area=area)
    totals = intentions.order_by().aggregate(
        surveyed=Sum("households_surveyed"),
        wish_return=Sum("wish_return"),
        wish_stay=Sum("wish_stay"),
        wish_elsewhere=Sum("wish_elsewhere"),
        surveys=Count("pk"),
    )
    totals = {key: value or 0 for key, value in totals.items()}
    surveyed = totals["surveyed"]
    for key in ("wish_return", "wish_stay", "wish_elsewhere"):
        totals[f"{key}_share"] = round(100 * totals[key] / surveyed) if surveyed else None
    conditions: dict[str, int] = defaultdict(int)
    for named in intentions.values_list("conditions", flat=True):
        for code in named or []:
            conditions[code] += 1
    totals["conditions"] = sorted(conditions.items(), key=lambda item: (-item[1], item[0]))
    return totals


def people_in_need_list(
    *, user, area: AdminArea | None = None, year: int | None = None, status: str | None = None
) -> QuerySet:
    needs = _within(PeopleInNeed.objects.filter(is_archived=False), area)
    if year:
        needs = needs.filter(year=year)
    if status:
        needs = needs.filter(population_status=status)
    return _viewable(user, needs).select_related("area__parent", "organisation")


def people_in_need_latest_year(*, user) -> int:
    """The latest year with people in need recorded (this year when there is none)."""
    latest = people_in_need_list(user=user).order_by("-year").values_list("year", flat=True).first()
    return latest or timezone.localdate().year


def counted_need_ids(queryset: QuerySet) -> list[int]:
    """People in need counted once: when an area and areas below it both have a figure for the same
    year and group, the most detailed figures count (the HNO gives cercles; a commune figure refines)."""
    rows = list(
        queryset.order_by().values_list("pk", "area__path", "area__version_id", "year", "population_status")
    )
    detailed = defaultdict(set)
    for _pk, path, version, year, status in rows:
        detailed[(version, year, status)].update(ancestor_paths(path)[:-1])
    return [pk for pk, path, version, year, status in rows if path not in detailed[(version, year, status)]]


def coverage(*, user, year: int, level: int = 2, status: str | None = None) -> list[dict]:
    """People in need by area of `level` for a year, with people reached when the activities' figures are
    available through core.datasets (None otherwise): [{"pcode", "name", "pin", "reached", "rate"}]."""
    needs = people_in_need_list(user=user, year=year, status=status)
    counted = PeopleInNeed.objects.filter(pk__in=counted_need_ids(needs)).select_related("area")
    totals: dict[str, int] = defaultdict(int)
    version_ids = set()
    for need in counted:
        codes = need.area.path_pcodes
        if len(codes) > level:
            totals[codes[level]] += need.people_in_need
            version_ids.add(need.area.version_id)
    names = dict(
        AdminArea.objects.filter(pcode__in=list(totals), version_id__in=version_ids).values_list(
            "pcode", "name_fr"
        )
    )
    reached = _people_reached(year=year, level=level, status=status)
    rows = []
    for code, pin in totals.items():
        value = None if reached is None else reached.get(code, 0)
        rows.append(
            {
                "pcode": code,
                "name": names.get(code, code),
                "pin": pin,
                "reached": value,
                "rate": round(100 * value / pin) if value is not None and pin else None,
            }
        )
    return sorted(rows, key=lambda row: (-row["pin"], row["name"]))


def _people_reached(*, year: int, level: int, status: str | None) -> dict | None:
    """Beneficiaries of the year's activities by area code, from the "activities" dataset if it exists
    and declares a beneficiaries measure; None when it does not (the page then shows needs only)."""
    from sentinelle.core import datasets

    try:
        dataset = datasets.get("activities")
    except datasets.DatasetError:
        return None
    measure = next((name for name in ("beneficiaries", "people_reached") if name in dataset.measures), None)
    dimension = {1: "admin1", 2: "admin2", 3: "admin3"}.get(level)
    if measure is None or dimension not in dataset.all_dimensions():
        return None
    extra = {}
    if status and "population_status" in dataset.filters:
        extra["population_status"] = status
    filters = datasets.Filters(
        date_from=datetime.date(year, 1, 1), date_to=datetime.date(year, 12, 31), extra=extra
    )
    try:
        rows = datasets.aggregate("activities", measures=[measure], group_by=[dimension], filters=filters)
    except datasets.DatasetError:
        return None
    return {row[dimension]: row[measure] for row in rows if row[dimension]}
