"""Reads of the monthly 4W reporting: reports, activities, periods and the 4W matrix.

Who sees what:
  - partner staff see their organisation's reports, and its activities within their areas (the policy);
  - the IMO (global ACTIVITY_VIEW) sees every organisation's reports once submitted: drafts stay with
    their organisation, whoever else holds a global grant;
  - the 4W matrix (FOURW_VIEW, everyone) shows the validated activities of published months; reviewers
    (ACTIVITY_REVIEW) also see validated and submitted activities of months not yet published.
Every list is a constant number of queries: totals come from conditional sums in the same query.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from sentinelle.accounts.models import Organisation
from sentinelle.activities.models import (
    Activity,
    ActivityReport,
    ParticipantCategory,
    Project,
    ReportingPeriod,
    ReportStatus,
)
from sentinelle.core.codes import ADULT_AGE_GROUPS, CHILD_AGE_GROUPS, AgeGroup, PopulationStatus, Sex
from sentinelle.core.permissions import (
    Perm,
    get_object_for_user,
    has_perm,
    organisations_for,
    scope_queryset,
)
from sentinelle.geography.models import AdminLevel

# The rows of an activity's grid: the fine groups always, the coarse and unknown ones when they hold people.
_GRID_AGES = (
    AgeGroup.AGE_0_5,
    AgeGroup.AGE_6_11,
    AgeGroup.AGE_12_17,
    AgeGroup.CHILDREN,
    AgeGroup.AGE_18_59,
    AgeGroup.AGE_60_PLUS,
    AgeGroup.ADULTS,
    AgeGroup.UNKNOWN,
)
_ALWAYS_SHOWN = (
    AgeGroup.AGE_0_5,
    AgeGroup.AGE_6_11,
    AgeGroup.AGE_12_17,
    AgeGroup.AGE_18_59,
    AgeGroup.AGE_60_PLUS,
)
_GRID_SEXES = (Sex.FEMALE, Sex.MALE, Sex.UNKNOWN)
_HEAVY_AREA = [
    f"{prefix}{name}"
    for prefix in ("area__", "area__parent__", "area__parent__parent__")
    for name in ("geometry", "bbox")
]


def member_organisations(user, perm: Perm = Perm.ACTIVITY_VIEW) -> set[int]:
    """Organisations the user belongs to with `perm` (global grants do not make one a member)."""
    return {organisation.pk for organisation in organisations_for(user, perm)}


def _not_someone_elses_draft(user, prefix: str = "") -> Q:
    return ~Q(**{f"{prefix}status": ReportStatus.DRAFT}) | Q(
        **{f"{prefix}organisation_id__in": member_organisations(user)}
    )


def reached_annotations(prefix: str = "") -> dict:
    """Conditional sums of an activity's beneficiaries (`prefix` reaches the activity from the model)."""
    count = f"{prefix}beneficiaries__count"
    rel = f"{prefix}beneficiaries__"
    sums = {
        "reached_f": Sum(count, filter=Q(**{f"{rel}sex": Sex.FEMALE})),
        "reached_m": Sum(count, filter=Q(**{f"{rel}sex": Sex.MALE})),
        "reached_unknown_sex": Sum(count, filter=Q(**{f"{rel}sex": Sex.UNKNOWN})),
        "reached_children": Sum(count, filter=Q(**{f"{rel}age_group__in": CHILD_AGE_GROUPS})),
        "reached_adults": Sum(count, filter=Q(**{f"{rel}age_group__in": ADULT_AGE_GROUPS})),
        "reached_total": Sum(count),
    }
    for status in PopulationStatus.values:
        sums[f"reached_{status}"] = Sum(count, filter=Q(**{f"{rel}population_status": status}))
    return sums


# --- Reports ----------------------------------------------------------------------------------------


def visible_reports(user) -> QuerySet:
    reports = scope_queryset(user, ActivityReport.objects.all(), Perm.ACTIVITY_VIEW)
    return reports.filter(_not_someone_elses_draft(user))


def report_list(*, user, status: str = "", period=None, organisation_id=None) -> QuerySet:
    reports = (
        visible_reports(user)
        .select_related("organisation", "period", "submitted_by", "reviewed_by")
        .annotate(
            activity_count=Count("activities", filter=Q(activities__is_archived=False), distinct=True),
            reached_total=Sum("activities__beneficiaries__count", filter=Q(activities__is_archived=False)),
        )
        .order_by("-period__month", "organisation__acronym")
    )
    if status:
        reports = reports.filter(status=status)
    if period is not None:
        reports = reports.filter(period=period)
    if organisation_id is not None:
        reports = reports.filter(organisation_id=organisation_id)
    return reports


def review_queue(*, user) -> QuerySet:
    """Submitted reports waiting for the IMO, oldest month first."""
    if not has_perm(user, Perm.ACTIVITY_REVIEW):
        return ActivityReport.objects.none()
    return report_list(user=user, status=ReportStatus.SUBMITTED).order_by("period__month", "submitted_at")


def report_get(*, user, public_id, request=None) -> ActivityReport:
    queryset = visible_reports(user).select_related("organisation", "period", "submitted_by", "reviewed_by")
    return get_object_for_user(user, queryset, public_id, Perm.ACTIVITY_VIEW, request=request)


# --- Activities ---------------------------------------------------------------------------------


def visible_activities(user, perm: Perm = Perm.ACTIVITY_VIEW) -> QuerySet:
    activities = scope_queryset(user, Activity.objects.filter(is_archived=False), perm)
    return activities.filter(_not_someone_elses_draft(user, "report__"))


def _with_places(activities: QuerySet) -> QuerySet:
    return activities.select_related(
        "organisation", "project", "area__parent__parent", "report__period"
    ).defer(*_HEAVY_AREA)


def report_activities(*, user, report: ActivityReport) -> QuerySet:
    return (
        _with_places(visible_activities(user).filter(report=report))
        .annotate(**reached_annotations())
        .order_by("start_date", "pk")
    )


def activity_get(*, user, public_id, perm: Perm = Perm.ACTIVITY_VIEW, request=None) -> Activity:
    queryset = _with_places(visible_activities(user, perm)).select_related("report__organisation")
    activity = get_object_for_user(user, queryset, public_id, perm, request=request)
    return activity


def activity_details(activity: Activity) -> dict:
    """The beneficiaries grid (women, men, sex unknown) and the training of one activity, for its page."""
    cells = {(b.sex, b.age_group, b.population_status): b.count for b in activity.beneficiaries.all()}
    grid = []
    for status, status_label in PopulationStatus.choices:
        rows = []
        for age in _GRID_AGES:
            counts = [cells.get((sex, age, status), 0) for sex in _GRID_SEXES]
            if age in _ALWAYS_SHOWN or any(counts):
                rows.append((AgeGroup(age).label, counts))
        if any(sum(counts) for _label, counts in rows):
            grid.append({"caption": status_label, "rows": rows})
    training = getattr(activity, "training", None) if activity.activity_type == "training" else None
    participants = list(training.participants.all()) if training else []
    by_category = {(p.category, p.sex): p.count for p in participants}
    participant_rows = []
    for category, label in ParticipantCategory.choices:
        counts = [by_category.get((category, sex), 0) for sex in _GRID_SEXES]
        if any(counts):
            participant_rows.append((label, [*counts, sum(counts)]))
    return {
        "grid": grid,
        "training": training,
        "participants": participants,
        "participant_rows": participant_rows,
        "total": sum(cells.values()),
    }


def entry_organisations(user) -> list:
    """Organisations the user may report activities for, from their memberships."""
    return sorted(organisations_for(user, Perm.ACTIVITY_EDIT), key=lambda o: o.acronym)


def entry_projects(organisations) -> QuerySet:
    return (
        Project.objects.filter(is_archived=False, organisation__in=organisations)
        .select_related("organisation")
        .order_by("organisation__acronym", "code")
    )


# --- Periods ------------------------------------------------------------------------------------


def period_list(*, user, months: int = 12) -> list[ReportingPeriod]:
    periods = (
        scope_queryset(user, ReportingPeriod.objects.all(), Perm.ACTIVITY_VIEW)
        .select_related("locked_by", "fourw_published_by")
        .annotate(
            submitted=Count("reports", filter=Q(reports__status=ReportStatus.SUBMITTED)),
            validated=Count("reports", filter=Q(reports__status=ReportStatus.VALIDATED)),
            returned=Count("reports", filter=Q(reports__status=ReportStatus.RETURNED)),
            drafts=Count("reports", filter=Q(reports__status=ReportStatus.DRAFT)),
        )
        .order_by("-month")
    )
    return list(periods[:months])


def period_get(*, user, public_id, request=None) -> ReportingPeriod:
    return get_object_for_user(
        user, ReportingPeriod.objects.all(), public_id, Perm.FOURW_VIEW, request=request
    )


def published_periods() -> QuerySet:
    return ReportingPeriod.objects.filter(fourw_published_at__isnull=False).order_by("-month")


# --- The 4W matrix ---------------------------------------------------------------------------------


@dataclass
class FourWFilters:
    month: datetime.date | None = None
    area: object = None  # an AdminArea (region or cercle)
    organisation_id: int | None = None
    activity_type: str = ""
    project_id: int | None = None
    nothing: bool = False  # a filter that matches nothing (an unknown choice in the address)


def fourw_filter_choices(*, user) -> tuple[QuerySet, QuerySet]:
    """The organisations that reported something (one subquery) and the projects the 4W filters offer."""
    organisations = Organisation.objects.filter(
        is_archived=False, pk__in=Activity.objects.values("organisation_id")
    ).order_by("acronym")
    return organisations, Project.objects.filter(is_archived=False).order_by("code")


def fourw_base(user) -> QuerySet:
    """The activities that make the 4W for this user (see the module's docstring)."""
    activities = Activity.objects.filter(is_archived=False)
    if has_perm(user, Perm.ACTIVITY_REVIEW):
        return activities.filter(report__status__in=[ReportStatus.VALIDATED, ReportStatus.SUBMITTED])
    return activities.filter(
        report__status=ReportStatus.VALIDATED, report__period__fourw_published_at__isnull=False
    )


def fourw_activities(*, user, filters: FourWFilters | None = None) -> QuerySet:
    filters = filters or FourWFilters()
    if filters.nothing or not has_perm(user, Perm.FOURW_VIEW):
        return Activity.objects.none()
    activities = fourw_base(user)
    if filters.month:
        activities = activities.filter(report__period__month=filters.month)
    if filters.area is not None:
        activities = activities.filter(
            area__path__startswith=filters.area.path, area__version_id=filters.area.version_id
        )
    if filters.organisation_id:
        activities = activities.filter(organisation_id=filters.organisation_id)
    if filters.activity_type:
        activities = activities.filter(activity_type=filters.activity_type)
    if filters.project_id:
        activities = activities.filter(project_id=filters.project_id)
    return (
        _with_places(activities)
        .select_related("project__programme", "report")
        .annotate(**reached_annotations())
        .order_by("-report__period__month", "organisation__acronym", "start_date", "pk")
    )


def levels_of(area) -> dict[int, object]:
    """The area and its ancestors down to the region, by level (loaded with select_related)."""
    found, node = {}, area
    while node is not None and node.level >= AdminLevel.REGION:
        found[node.level] = node
        node = node.parent if node.level > AdminLevel.REGION else None
    return found


@dataclass
class SummaryMatrix:
    """Organisations x cercles: number of activities and people reached in each cell."""

    organisations: list[str] = field(default_factory=list)
    cercles: list[tuple[str, str]] = field(default_factory=list)  # (pcode, name)
    cells: dict = field(default_factory=dict)  # (acronym, pcode) -> [activities, reached]
    row_totals: dict = field(default_factory=dict)
    column_totals: dict = field(default_factory=dict)
    total: list = field(default_factory=lambda: [0, 0])

    def rows(self) -> list[tuple[str, list, list]]:
        return [
            (
                acronym,
                [self.cells.get((acronym, pcode)) for pcode, _name in self.cercles],
                self.row_totals[acronym],
            )
            for acronym in self.organisations
        ]

    def footer(self) -> list:
        return [self.column_totals[pcode] for pcode, _name in self.cercles]


def fourw_summary(activities) -> SummaryMatrix:
    """The summary matrix from the 4W rows already loaded (no further query)."""
    matrix = SummaryMatrix()
    cells: dict = defaultdict(lambda: [0, 0])
    rows: dict = defaultdict(lambda: [0, 0])
    columns: dict = defaultdict(lambda: [0, 0])
    cercles = {}
    for activity in activities:
        cercle = levels_of(activity.area).get(AdminLevel.CERCLE)
        pcode = cercle.pcode if cercle else activity.area.pcode
        cercles[pcode] = cercle.name_fr if cercle else activity.area.name_fr
        acronym = activity.organisation.acronym
        reached = activity.reached_total or 0
        for bucket in (cells[(acronym, pcode)], rows[acronym], columns[pcode], matrix.total):
            bucket[0] += 1
            bucket[1] += reached
    matrix.organisations = sorted(rows)
    matrix.cercles = sorted(cercles.items(), key=lambda item: item[1])
    matrix.cells, matrix.row_totals, matrix.column_totals = dict(cells), dict(rows), dict(columns)
    return matrix
