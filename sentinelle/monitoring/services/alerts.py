"""Alert rules, the alerts they raise on incidents, and who follows which area (flash reports:
flash_reports.py).

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
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure
from sentinelle.core.tasks import enqueue_after_commit
from sentinelle.geography.models import AdminArea
from sentinelle.monitoring.models import (
    Alert,
    AlertRule,
    AreaFollow,
    FlashReport,
    GraveViolation,
    Incident,
    IncidentCategory,
    IncidentStatus,
)
from sentinelle.monitoring.services.flash_content import flash_report_draft, flash_report_drafts
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
    """The new incidents' areas and all their ancestors, from one query on the materialised paths."""

    def __init__(self, incidents):
        prefixes: set[str] = set()
        versions: set[int] = set()
        for incident in incidents:
            versions.add(incident.version_id)
            parts = incident.path.split("/")[:-1]
            prefixes.update("/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
        areas = AdminArea.objects.filter(version_id__in=versions, path__in=prefixes).defer("geometry", "bbox")
        self.by_path = {(area.version_id, area.path): area for area in areas}

    def ancestor(self, incident: _New, level: int) -> AdminArea | None:
        """The area of `level` containing the incident's area (itself at its own level)."""
        parts = incident.path.split("/")[:-1]
        for i in range(len(parts)):
            area = self.by_path.get((incident.version_id, "/".join(parts[: i + 1]) + "/"))
            if area is not None and area.level == level:
                return area
        return None


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
            pk__in=chunk, status__in=COUNTED_STATUSES, duplicate_of__isnull=True, is_archived=False
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
        ids = counted_incidents(rule).filter(pk__in=chunk).values_list("pk", flat=True)
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
    areas = _AreaIndex(new.values())
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
    fired = []
    for key, incident in candidates.items():
        if key in done:
            continue
        # An incident located less precisely than the rule's level is reported at its own area.
        area = areas.ancestor(incident, min(rule.area_level, incident.level))
        if area is None:
            continue
        alert = _fire(
            rule=rule,
            area=area,
            window=(incident.date_start, incident.date_end or incident.date_start),
            value=_own_metric(rule.metric, incident),
            incident_ids=[incident.pk],
            trigger_key=key,
            notify=notify,
        )
        if alert is not None:
            fired.append(alert)
    return fired


def _evaluate_threshold(
    rule: AlertRule, incidents: list[_New], areas: _AreaIndex, *, notify, joins: list
) -> list[Alert]:
    groups: dict[AdminArea, list[_New]] = defaultdict(list)
    for incident in incidents:
        area = areas.ancestor(incident, rule.area_level)
        # An incident known only at the cercle cannot be counted in one of its communes.
        if area is not None:
            groups[area].append(incident)
    fired = []
    for area, members in groups.items():
        fired += _evaluate_area(rule, area, members, notify=notify, joins=joins)
    return fired


def _evaluate_area(
    rule: AlertRule, area: AdminArea, members: list[_New], *, notify, joins: list
) -> list[Alert]:
    """Windows of `window_days` containing a new incident whose total reaches the threshold.

    One aggregate query gives the metric per day over the days any such window can cover; windows
    are then slid over those daily totals in memory (at most a few hundred values).
    """
    days = max(1, rule.window_days)
    width = datetime.timedelta(days=days - 1)
    new_days = sorted({incident.date_start for incident in members})
    low, high = new_days[0] - width, new_days[-1] + width
    in_area = counted_incidents(rule).filter(
        area_id__in=AdminArea.objects.filter(version_id=area.version_id, path__startswith=area.path).values(
            "pk"
        )
    )
    existing = list(
        Alert.objects.filter(rule=rule, area=area, window_end__gte=low, window_start__lte=high).order_by()
    )
    for alert in existing:
        alert.rule, alert.area = rule, area  # read by the flash-report draft
    # The daily totals also cover the alerts already raised, whose figures are refreshed from them.
    daily = dict(
        in_area.filter(
            date_start__range=(
                min([low, *(alert.window_start for alert in existing)]),
                max([high, *(alert.window_end for alert in existing)]),
            )
        )
        .values("date_start")
        .annotate(value=_metric(rule.metric))
        .values_list("date_start", "value")
    )
    windows = [(alert.window_start, alert.window_end) for alert in existing]
    span = (high - low).days + 1
    totals = list(
        accumulate((daily.get(low + datetime.timedelta(days=i)) or 0 for i in range(span)), initial=0)
    )
    new_offsets = [(day - low).days for day in new_days]
    fired = []
    for end in range(days - 1, span):
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
        alert = _fire(
            rule=rule,
            area=area,
            window=window,
            value=value,
            incident_ids=list(in_area.filter(date_start__range=window).values_list("pk", flat=True)),
            trigger_key=f"window:{window[0].isoformat()}/{window[1].isoformat()}",
            notify=notify,
        )
        windows.append(window)
        if alert is not None:
            fired.append(alert)
    for alert in existing:
        joining = [m.pk for m in members if alert.window_start <= m.date_start <= alert.window_end]
        if joining:
            joins.append((alert, joining, _window_total(daily, (alert.window_start, alert.window_end))))
    return fired


def overlaps(window, windows) -> bool:
    """Does the (start, end) `window` overlap one of `windows` (an alert already fired for it)?"""
    return any(window[0] <= seen_end and seen_start <= window[1] for seen_start, seen_end in windows)


def _fire(*, rule, area, window, value, incident_ids, trigger_key, notify, draft=None) -> Alert | None:
    """Create the alert, its flash-report draft and its audit entry; None if it already exists.

    `draft(alert)` gives the report's first content (default: from the alert's incidents).
    """
    with transaction.atomic():
        alert, created = Alert.objects.get_or_create(
            rule=rule,
            area=area,
            trigger_key=trigger_key,
            defaults={"window_start": window[0], "window_end": window[1], "value": value},
        )
        if not created:
            return None
        if incident_ids:
            alert.incidents.add(*incident_ids)
        FlashReport.objects.create(alert=alert, **(draft or flash_report_draft)(alert))
        audit_record(
            action=AuditAction.CREATE,
            obj=alert,
            detail={
                "rule": str(rule.public_id),
                "area": area.pcode,
                "value": value,
                "incidents": len(incident_ids),
                "window": [window[0].isoformat(), window[1].isoformat()],
            },
        )
        if notify:
            from sentinelle.monitoring.tasks import alert_notify

            enqueue_after_commit(alert_notify, alert_id=alert.pk)
    return alert


def _window_total(daily: dict, window) -> int:
    day, total = window[0], 0
    while day <= window[1]:
        total += daily.get(day) or 0
        day += datetime.timedelta(days=1)
    return total


def _alerts_join(joins: list[tuple[Alert, list[int], int]]) -> None:
    """Later incidents of episodes already alerted join their alerts, whose figures stay true.

    For all the alerts of an evaluation at once: one query finds the links already there, one inserts
    the others, one reads the drafts; each alert that gained incidents gets its new value (the rule's
    total over its window), its untouched draft refilled (drafts computed together), one audit entry.
    """
    through = Alert.incidents.through
    alert_ids = [alert.pk for alert, _joining, _value in joins]
    ids = sorted({pk for _alert, joining, _value in joins for pk in joining})
    linked: set[tuple[int, int]] = set()
    for chunk in id_chunks(ids, ID_CHUNK):
        linked.update(
            through.objects.filter(alert_id__in=alert_ids, incident_id__in=chunk)
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
        # A draft nobody has touched yet is refilled; an edited or published one is the IMO's.
        reports = {
            report.alert_id: report
            for report in FlashReport.objects.filter(
                alert_id__in=[alert.pk for alert, _new, _value in added],
                status=FlashReport.Status.DRAFT,
                updated_by__isnull=True,
            )
        }
        drafts = flash_report_drafts([alert for alert, _new, _value in added if alert.pk in reports])
        for alert_id, report in reports.items():
            for name, content in drafts[alert_id].items():
                setattr(report, name, content)
            report.save()
        for alert, new, _value in added:
            audit_record(
                action=AuditAction.UPDATE,
                obj=alert,
                detail={"incidents_added": len(new), "value": alert.value},
            )


# --- Alerts ------------------------------------------------------------------------------------


def _alert_set_status(*, actor, alert: Alert, status: str, allowed_from: tuple, request=None) -> Alert:
    ensure(actor, Perm.ALERT_VIEW, alert, request=request)
    if alert.status not in allowed_from:
        raise ValidationError(
            _("This alert is already “%(status)s”.") % {"status": Alert.Status(alert.status).label}
        )
    with transaction.atomic():
        alert.status = status
        alert.updated_by = actor
        alert.save(update_fields=["status", "updated_by", "updated_at"])
        audit_record(
            action=AuditAction.UPDATE, user=actor, obj=alert, request=request, detail={"status": status}
        )
    return alert


def alert_acknowledge(*, actor, alert: Alert, request=None) -> Alert:
    return _alert_set_status(
        actor=actor,
        alert=alert,
        status=Alert.Status.ACKNOWLEDGED,
        allowed_from=(Alert.Status.OPEN,),
        request=request,
    )


def alert_close(*, actor, alert: Alert, request=None) -> Alert:
    return _alert_set_status(
        actor=actor,
        alert=alert,
        status=Alert.Status.CLOSED,
        allowed_from=(Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED),
        request=request,
    )


# --- Followed areas ----------------------------------------------------------------------------


def area_follow(*, actor, area: AdminArea, request=None) -> AreaFollow:
    ensure(actor, Perm.AREA_FOLLOW, request=request)
    with transaction.atomic():
        follow, created = AreaFollow.objects.get_or_create(user=actor, area=area)
        if created:
            audit_record(
                action=AuditAction.CREATE,
                user=actor,
                object_type="monitoring.areafollow",
                object_id=str(area.public_id),
                request=request,
                detail={"area": area.pcode},
            )
    return follow


def area_unfollow(*, actor, area: AdminArea, request=None) -> bool:
    ensure(actor, Perm.AREA_FOLLOW, request=request)
    with transaction.atomic():
        deleted, _details = AreaFollow.objects.filter(user=actor, area=area).delete()
        if deleted:
            audit_record(
                action=AuditAction.ARCHIVE,
                user=actor,
                object_type="monitoring.areafollow",
                object_id=str(area.public_id),
                request=request,
                detail={"area": area.pcode},
            )
    return bool(deleted)
