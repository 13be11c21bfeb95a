"""Alert rules evaluated on incidents, and the alerts they raise (what users do with alerts and which
areas they follow: alert_actions.py; flash reports: flash_reports.py).

`alerts_evaluate` runs after the incidents' transaction has committed (services.hooks). Every query it
makes is an aggregate over indexed columns (status, date_start, area) limited to the areas and days the
new incidents touch, so it costs the same with a thousand or a million incidents. A threshold rule fires
once per area and window: later incidents in an overlapping window join the alert already raised.
Notifications (e-mail, webhook) carry the alert's figures, never an account, coordinates or a name.
"""

import datetime
import logging
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from itertools import accumulate

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Sum, Value, When
from django.utils import timezone

from sentinelle.core.audit import audit_record_many
from sentinelle.core.models import AuditAction
from sentinelle.core.tasks import enqueue_after_commit
from sentinelle.geography.models import AdminArea
from sentinelle.geography.paths import ancestor_paths, path_at_level
from sentinelle.monitoring.models import (
    Alert,
    AlertRule,
    FlashReport,
    GraveViolation,
    Incident,
    IncidentCategory,
    IncidentStatus,
)
from sentinelle.monitoring.services import _bulk
from sentinelle.monitoring.services.flash_content import draft_title
from sentinelle.monitoring.services.flash_figures import id_chunks

logger = logging.getLogger(__name__)

COUNTED_STATUSES = (IncidentStatus.SUBMITTED, IncidentStatus.VERIFIED)
# Incident ids per query: well under SQLite's and PostgreSQL's parameter limits.
ID_CHUNK = 500
# Incidents older than this (by date) still count in windows but raise no new alert: re-importing last
# year's data must not flood the followers with alerts about events long handled. 0 disables the limit.
DEFAULT_ALERT_MAX_AGE_DAYS = 90


def _setting(name: str, default):
    return getattr(settings, "SENTINELLE", {}).get(name, default)


# --- Evaluation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _New:
    """What evaluation needs of one new incident (loaded once for all rules)."""

    pk: int
    public_id: object
    version_id: int
    path: str
    level: int
    date_start: datetime.date
    date_end: datetime.date | None
    victims: int
    killed: int


def counted_incidents(rule: AlertRule):
    """Incidents that count for `rule`: in statistics (not drafts, rejected or linked duplicates)."""
    incidents = Incident.objects.filter(
        status__in=COUNTED_STATUSES, duplicate_of__isnull=True, is_archived=False
    )
    if rule.categories:
        incidents = incidents.filter(
            Exists(IncidentCategory.objects.filter(incident=OuterRef("pk"), category__in=rule.categories))
        )
    if rule.violation_types:
        incidents = incidents.filter(
            Exists(GraveViolation.objects.filter(incident=OuterRef("pk"), type__in=rule.violation_types))
        )
    if rule.area_id:
        incidents = incidents.filter(
            area__version_id=rule.area.version_id, area__path__startswith=rule.area.path
        )
    # Incident's default ordering would enter the GROUP BY of the aggregates.
    return incidents.order_by()


def _metric(metric: str):
    if metric == AlertRule.Metric.VICTIMS:
        return Sum("victims_total")
    if metric == AlertRule.Metric.KILLED:
        return Sum("killed_total")
    return Count("pk")


def _own_metric(metric: str, incident: _New) -> int:
    if metric == AlertRule.Metric.VICTIMS:
        return incident.victims
    if metric == AlertRule.Metric.KILLED:
        return incident.killed
    return 1


class _AreaIndex:
    """The areas the rules can reach from the new incidents, from one query: each incident's ancestor at a
    level, and the areas under an area (the cells that alert rules count in).

    Only the subtrees holding new incidents, from the highest level a rule counts at (`from_level`), are
    read: a phone's one submission reads its region's or cercle's areas, not the country's."""

    def __init__(self, incidents, *, from_level: int):
        roots = {(i.version_id, path_at_level(i.path, min(from_level, i.level))) for i in incidents}
        subtrees = Q()
        for version_id, root in roots:
            subtrees |= Q(version_id=version_id, path__startswith=root)
        areas = AdminArea.objects.filter(subtrees).defer("geometry", "bbox")
        self.by_path = {(area.version_id, area.path): area for area in areas}
        self.by_pk = {area.pk: area for area in self.by_path.values()}
        self.under: dict[tuple[int, str], list[int]] = defaultdict(list)
        for (version_id, path), area in self.by_path.items():
            for above in ancestor_paths(path):
                self.under[(version_id, above)].append(area.pk)

    def ancestor(self, incident: _New, level: int) -> AdminArea | None:
        """The area of `level` containing the incident's area (itself at its own level)."""
        for path in ancestor_paths(incident.path):
            area = self.by_path.get((incident.version_id, path))
            if area is not None and area.level == level:
                return area
        return None

    def subtree(self, area: AdminArea) -> list[int]:
        return self.under.get((area.version_id, area.path), [])


def _load_new(incident_ids) -> dict[int, _New]:
    ids = sorted({int(pk) for pk in incident_ids})
    loaded: dict[int, _New] = {}
    fields = (
        "pk",
        "public_id",
        "area__version_id",
        "area__path",
        "area__level",
        "date_start",
        "date_end",
        "victims_total",
        "killed_total",
    )
    max_age = int(_setting("ALERT_MAX_AGE_DAYS", DEFAULT_ALERT_MAX_AGE_DAYS))
    for chunk in id_chunks(ids, ID_CHUNK):
        rows = Incident.objects.filter(
            pk__in_ids=chunk, status__in=COUNTED_STATUSES, duplicate_of__isnull=True, is_archived=False
        )
        if max_age:
            rows = rows.filter(date_start__gte=timezone.localdate() - datetime.timedelta(days=max_age))
        for row in rows.order_by().values_list(*fields):
            loaded[row[0]] = _New(*row)
    return loaded


def _matching(rule: AlertRule, new: dict[int, _New]) -> list[_New]:
    if not (rule.categories or rule.violation_types or rule.area_id):
        return list(new.values())
    matching: list[_New] = []
    for chunk in id_chunks(sorted(new), ID_CHUNK):
        ids = counted_incidents(rule).filter(pk__in_ids=chunk).values_list("pk", flat=True)
        matching.extend(new[pk] for pk in ids)
    return matching


def alerts_evaluate(*, incident_ids, notify: bool = True) -> list[Alert]:
    """Evaluate every active rule against these (just submitted, verified or imported) incidents.

    Returns the alerts fired. A rule that fails is logged and skipped: the incidents are already
    recorded and must stay so, and the other rules must still run.
    """
    rules = list(
        AlertRule.objects.filter(
            is_active=True, is_archived=False, subject=AlertRule.Subject.INCIDENTS
        ).select_related("area")
    )
    if not rules:
        return []
    new = _load_new(incident_ids)
    if not new:
        return []
    areas = _AreaIndex(new.values(), from_level=min(rule.area_level for rule in rules))
    fired: list[Alert] = []
    # Alerts already raised that new incidents join: (alert, incident ids, its new value), written
    # together at the end so that their flash-report drafts are read in one go.
    joins: list[tuple[Alert, list[int], int]] = []
    for rule in rules:
        try:
            incidents = _matching(rule, new)
            if rule.kind == AlertRule.Kind.ALWAYS:
                fired += _evaluate_always(rule, incidents, areas, notify=notify)
            else:
                fired += _evaluate_threshold(rule, incidents, areas, notify=notify, joins=joins)
        except Exception:
            logger.exception("Alert rule %s could not be evaluated.", rule.public_id)
    if joins:
        try:
            _alerts_join(joins)
        except Exception:
            logger.exception("Incidents could not join %s alerts.", len(joins))
    return fired


@dataclass
class _Planned:
    """An alert to raise: where, over which days, its value, its trigger and its incidents."""

    area: AdminArea
    window: tuple[datetime.date, datetime.date]
    value: int
    trigger_key: str
    incident_ids: list[int]


def _evaluate_always(rule: AlertRule, incidents: list[_New], areas: _AreaIndex, *, notify) -> list[Alert]:
    candidates = {
        f"incident:{incident.public_id}": incident
        for incident in incidents
        if _own_metric(rule.metric, incident) >= rule.threshold
    }
    done: set[str] = set()
    for keys in id_chunks(sorted(candidates), ID_CHUNK):
        done.update(
            Alert.objects.filter(rule=rule, trigger_key__in=keys).values_list("trigger_key", flat=True)
        )
    planned = []
    for key, incident in candidates.items():
        if key in done:
            continue
        # An incident located less precisely than the rule's level is reported at its own area.
        area = areas.ancestor(incident, min(rule.area_level, incident.level))
        if area is None:
            continue
        window = (incident.date_start, incident.date_end or incident.date_start)
        planned.append(_Planned(area, window, _own_metric(rule.metric, incident), key, [incident.pk]))
    return _fire_many(rule, planned, notify=notify)


def _evaluate_threshold(
    rule: AlertRule, incidents: list[_New], areas: _AreaIndex, *, notify, joins: list
) -> list[Alert]:
    """Windows of `window_days` containing a new incident whose total reaches the threshold, in every
    area of the rule's level that new incidents fall in (a cell: the area over the days a window
    holding a new incident can cover).

    For all the cells at once: one query reads the alerts already raised there, one grouped query the
    metric per cell and day; windows are then slid over those daily totals in memory.
    """
    groups: dict[AdminArea, list[_New]] = defaultdict(list)
    for incident in incidents:
        area = areas.ancestor(incident, rule.area_level)
        # An incident known only at the cercle cannot be counted in one of its communes.
        if area is not None:
            groups[area].append(incident)
    if not groups:
        return []
    days = max(1, rule.window_days)
    width = datetime.timedelta(days=days - 1)
    new_days = {
        area: sorted({incident.date_start for incident in members}) for area, members in groups.items()
    }
    spans = {area: (found[0] - width, found[-1] + width) for area, found in new_days.items()}
    existing: dict[AdminArea, list[Alert]] = defaultdict(list)
    by_pk = {area.pk: area for area in groups}
    for chunk in id_chunks(sorted(by_pk), ID_CHUNK):
        for alert in Alert.objects.filter(
            rule=rule,
            area_id__in_ids=chunk,
            window_end__gte=min(low for low, _high in spans.values()),
            window_start__lte=max(high for _low, high in spans.values()),
        ).order_by():
            area = by_pk[alert.area_id]
            if alert.window_end >= spans[area][0] and alert.window_start <= spans[area][1]:
                alert.rule, alert.area = rule, area  # read by the flash-report draft
                existing[area].append(alert)
    # The daily totals also cover the alerts already raised, whose figures are refreshed from them.
    cells = {
        area: (
            min([low, *(alert.window_start for alert in existing[area])]),
            max([high, *(alert.window_end for alert in existing[area])]),
        )
        for area, (low, high) in spans.items()
    }
    daily = _daily_by_cell(rule, cells, areas)
    planned: list[_Planned] = []
    for area, members in groups.items():
        planned += _slide(rule, area, new_days[area], spans[area], daily[area], existing[area])
        for alert in existing[area]:
            joining = [m.pk for m in members if alert.window_start <= m.date_start <= alert.window_end]
            if joining:
                window = (alert.window_start, alert.window_end)
                joins.append((alert, joining, _window_total(daily[area], window)))
    _window_incidents(rule, planned, areas)
    return _fire_many(rule, planned, notify=notify)


def _daily_by_cell(rule: AlertRule, cells: dict, areas: _AreaIndex) -> dict[AdminArea, dict]:
    """{area: {day: the rule's metric}} over each cell's days, from one grouped query."""
    order = list(cells)
    cell = Case(
        *[
            When(Q(area_id__in=areas.subtree(area), date_start__range=cells[area]), then=Value(index))
            for index, area in enumerate(order)
        ],
        default=None,
        output_field=IntegerField(),
    )
    rows = (
        counted_incidents(rule)
        .filter(
            area_id__in_ids=[pk for area in order for pk in areas.subtree(area)],
            date_start__range=(min(low for low, _high in cells.values()), max(h for _l, h in cells.values())),
        )
        .annotate(cell=cell)
        .filter(cell__isnull=False)
        .values("cell", "date_start")
        .annotate(value=_metric(rule.metric))
        .values_list("cell", "date_start", "value")
    )
    daily: dict[AdminArea, dict] = {area: {} for area in order}
    for index, day, value in rows:
        daily[order[index]][day] = value
    return daily


def _slide(rule, area, new_days: list, span: tuple, daily: dict, existing: list[Alert]) -> list[_Planned]:
    """The windows of one cell to raise: reaching the threshold, holding a new incident, overlapping no
    alert already raised (nor one planned before them)."""
    days = max(1, rule.window_days)
    low, high = span
    windows = [(alert.window_start, alert.window_end) for alert in existing]
    length = (high - low).days + 1
    totals = list(
        accumulate((daily.get(low + datetime.timedelta(days=i)) or 0 for i in range(length)), initial=0)
    )
    new_offsets = [(day - low).days for day in new_days]
    planned = []
    for end in range(days - 1, length):
        start = end - days + 1
        value = totals[end + 1] - totals[start]
        if value < rule.threshold:
            continue
        first_new = bisect_left(new_offsets, start)
        if first_new == len(new_offsets) or new_offsets[first_new] > end:
            continue
        window = (low + datetime.timedelta(days=start), low + datetime.timedelta(days=end))
        if overlaps(window, windows):
            continue
        key = f"window:{window[0].isoformat()}/{window[1].isoformat()}"
        planned.append(_Planned(area, window, value, key, []))
        windows.append(window)
    return planned


def _window_incidents(rule: AlertRule, planned: list[_Planned], areas: _AreaIndex) -> None:
    """Fill each planned window with the incidents it counts: one query for all of them."""
    if not planned:
        return
    by_area: dict[int, list[_Planned]] = defaultdict(list)
    for plan in planned:
        for pk in areas.subtree(plan.area):
            by_area[pk].append(plan)
    rows = (
        counted_incidents(rule)
        .filter(
            area_id__in_ids=sorted(by_area),
            date_start__range=(min(p.window[0] for p in planned), max(p.window[1] for p in planned)),
        )
        .values_list("pk", "area_id", "date_start")
    )
    for pk, area_id, day in rows:
        for plan in by_area[area_id]:
            if plan.window[0] <= day <= plan.window[1]:
                plan.incident_ids.append(pk)
                break


def overlaps(window, windows) -> bool:
    """Does the (start, end) `window` overlap one of `windows` (an alert already fired for it)?"""
    return any(window[0] <= seen_end and seen_start <= window[1] for seen_start, seen_end in windows)


def _fire(*, rule, area, window, value, incident_ids, trigger_key, notify, draft=None) -> Alert | None:
    """Raise one alert (see _fire_many); None if it already exists. `draft(alert)` gives the report's
    first content (default: written from the alert's incidents when first read)."""
    drafts = None if draft is None else (lambda alerts: {alert.pk: draft(alert) for alert in alerts})
    plan = _Planned(area, window, value, trigger_key, list(incident_ids))
    fired = _fire_many(rule, [plan], notify=notify, drafts=drafts)
    return fired[0] if fired else None


def _fire_many(rule: AlertRule, planned: list[_Planned], *, notify, drafts=None) -> list[Alert]:
    """Raise the planned alerts of one rule together: the alerts, their incidents and their flash reports
    written in bulk, the audit entries in one insert, notifications queued after commit. A report is a
    draft to be written from the incidents when first read (`FlashReport.stale`), unless `drafts(alerts)`
    gives its content now. A trigger already raised (a retry, a concurrent evaluation) is skipped."""
    if not planned:
        return []
    with transaction.atomic():
        # One writer per rule at a time, so that the check below holds until the commit.
        list(AlertRule.objects.select_for_update().filter(pk=rule.pk).values_list("pk", flat=True))
        taken: set[tuple[int, str]] = set()
        for keys in id_chunks(sorted({plan.trigger_key for plan in planned}), ID_CHUNK):
            taken.update(
                Alert.objects.filter(rule=rule, trigger_key__in=keys).values_list("area_id", "trigger_key")
            )
        planned = [plan for plan in planned if (plan.area.pk, plan.trigger_key) not in taken]
        if not planned:
            return []
        alerts = Alert.objects.bulk_create(
            [
                Alert(
                    rule=rule,
                    area=plan.area,
                    trigger_key=plan.trigger_key,
                    window_start=plan.window[0],
                    window_end=plan.window[1],
                    value=plan.value,
                )
                for plan in planned
            ]
        )
        _bulk.insert_tuples(
            Alert.incidents.through,
            ["alert_id", "incident_id"],
            ((alert.pk, pk) for alert, plan in zip(alerts, planned, strict=True) for pk in plan.incident_ids),
        )
        if drafts is None:
            # An incident alert's draft is written from its incidents when it is first read (and again
            # after incidents join it): raising hundreds of alerts in an import writes titles only.
            reports = [FlashReport(alert=alert, title=draft_title(alert), stale=True) for alert in alerts]
        else:
            contents = drafts(alerts)
            reports = [FlashReport(alert=alert, **contents[alert.pk]) for alert in alerts]
        FlashReport.objects.bulk_create(reports)
        audit_record_many(
            action=AuditAction.CREATE,
            objects=alerts,
            detail={"rule": str(rule.public_id)},
            details=[
                {
                    "area": plan.area.pcode,
                    "value": plan.value,
                    "incidents": len(plan.incident_ids),
                    "window": [plan.window[0].isoformat(), plan.window[1].isoformat()],
                }
                for plan in planned
            ],
        )
        if notify:
            from sentinelle.monitoring.tasks import alerts_notify

            enqueue_after_commit(alerts_notify, alert_ids=[alert.pk for alert in alerts])
    return alerts


def _window_total(daily: dict, window) -> int:
    day, total = window[0], 0
    while day <= window[1]:
        total += daily.get(day) or 0
        day += datetime.timedelta(days=1)
    return total


def _alerts_join(joins: list[tuple[Alert, list[int], int]]) -> None:
    """Later incidents of episodes already alerted join their alerts, whose figures stay true.

    For all the alerts of an evaluation at once: one query finds the links already there, one inserts
    the others; each alert that gained incidents gets its new value (the rule's total over its window)
    and one audit entry (written together); its untouched draft is marked to be written again when it is
    next read (one statement): an import that joins hundreds of alerts writes no draft, and a draft joined
    by ten imports before anyone opens it is written once.
    """
    through = Alert.incidents.through
    alert_ids = [alert.pk for alert, _joining, _value in joins]
    ids = sorted({pk for _alert, joining, _value in joins for pk in joining})
    linked: set[tuple[int, int]] = set()
    for chunk in id_chunks(ids, ID_CHUNK):
        linked.update(
            through.objects.filter(alert_id__in=alert_ids, incident_id__in_ids=chunk)
            .order_by()
            .values_list("alert_id", "incident_id")
        )
    added = []
    for alert, joining, value in joins:
        new = [pk for pk in joining if (alert.pk, pk) not in linked]
        if new:
            added.append((alert, new, value))
    if not added:
        return
    with transaction.atomic():
        through.objects.bulk_create(
            [through(alert_id=alert.pk, incident_id=pk) for alert, new, _value in added for pk in new],
            batch_size=1000,
        )
        now = timezone.now()
        for alert, _new, value in added:
            alert.value, alert.updated_at = value, now  # bulk_update does not apply auto_now
        Alert.objects.bulk_update([alert for alert, _new, _value in added], ["value", "updated_at"])
        # A draft nobody has touched yet follows its alert; an edited or published one is the IMO's.
        FlashReport.objects.filter(
            alert_id__in=[alert.pk for alert, _new, _value in added],
            status=FlashReport.Status.DRAFT,
            updated_by__isnull=True,
        ).update(stale=True)
        audit_record_many(
            action=AuditAction.UPDATE,
            objects=[alert for alert, _new, _value in added],
            details=[{"incidents_added": len(new), "value": alert.value} for alert, new, _value in added],
        )
