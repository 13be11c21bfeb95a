"""Alert rules on displacement events (design §7: "rules on incidents and displacement").

Displacement is a sibling app: monitoring never imports it. Its services announce
DISPLACEMENT_EVENTS_RECORDED (core.hooks) with the new events' ids once committed, and this module
reads the events only through the "displacement_events" dataset (core.datasets). Rules whose subject is
displacement count people displaced (or events) per area of `area_level`:
  - THRESHOLD: the total of the days of a `window_days` window reaches `threshold`; one alert per
    rule, area and window, and later events in an alerted window update its value;
  - ALWAYS: one day's arrivals in an area reach `threshold` on their own (one alert per day and area).
Alerts, their flash-report drafts, audit entries and notifications are those of services/alerts.py.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sentinelle.core import datasets
from sentinelle.core.audit import audit_record
from sentinelle.core.hooks import DISPLACEMENT_EVENTS_RECORDED, follow
from sentinelle.core.models import AuditAction
from sentinelle.geography.models import AdminArea
from sentinelle.geography.selectors import cod_version_default
from sentinelle.monitoring.models import Alert, AlertRule, FlashReport
from sentinelle.monitoring.services.alerts import DEFAULT_ALERT_MAX_AGE_DAYS, _fire, _setting, overlaps

logger = logging.getLogger(__name__)

DATASET = "displacement_events"
LEVEL_DIMENSIONS = {1: "admin1", 2: "admin2", 3: "admin3"}


def register_followers() -> None:
    """Called from MonitoringConfig.ready: displacement events reach the alert rules."""
    follow(DISPLACEMENT_EVENTS_RECORDED, displacement_events_alert)


def _measure(rule: AlertRule) -> str:
    return "events" if rule.metric == AlertRule.Metric.EVENTS else "individuals"


def displacement_events_alert(*, event_ids, notify: bool = True) -> list[Alert]:
    """Evaluate the active displacement rules against these (just recorded) events; the alerts fired.

    A rule that fails is logged and skipped: the events are recorded and the other rules must run.
    """
    ids = sorted({int(pk) for pk in event_ids})
    if not ids:
        return []
    rules = list(
        AlertRule.objects.filter(
            is_active=True, is_archived=False, subject=AlertRule.Subject.DISPLACEMENT
        ).select_related("area")
    )
    fired: list[Alert] = []
    for rule in rules:
        try:
            fired += _evaluate(rule, ids, notify=notify)
        except Exception:
            logger.exception("Displacement alert rule %s could not be evaluated.", rule.public_id)
    return fired


def _new_days_by_area(rule: AlertRule, ids: list[int]) -> dict[str, set[datetime.date]]:
    """The days of the new events, by P-code of the rule's area level (old events raise nothing)."""
    dimension = LEVEL_DIMENSIONS[rule.area_level]
    max_age = int(_setting("ALERT_MAX_AGE_DAYS", DEFAULT_ALERT_MAX_AGE_DAYS))
    filters = datasets.Filters(
        date_from=timezone.localdate() - datetime.timedelta(days=max_age) if max_age else None,
        areas=(rule.area,) if rule.area_id else (),
        extra={"ids": ids},
    )
    rows = datasets.aggregate(DATASET, measures=["events"], group_by=["date", dimension], filters=filters)
    days: dict[str, set[datetime.date]] = {}
    for row in rows:
        # An event known only above the rule's level cannot be counted in one of its areas.
        if row[dimension]:
            days.setdefault(row[dimension], set()).add(row["date"])
    return days


def _daily(rule: AlertRule, area: AdminArea, low: datetime.date, high: datetime.date) -> dict:
    filters = datasets.Filters(date_from=low, date_to=high, areas=(area,))
    rows = datasets.aggregate(DATASET, measures=[_measure(rule)], group_by=["date"], filters=filters)
    return {row["date"]: row[_measure(rule)] for row in rows}


def _evaluate(rule: AlertRule, ids: list[int], *, notify: bool) -> list[Alert]:
    new = _new_days_by_area(rule, ids)
    if not new:
        return []
    version = rule.area.version if rule.area_id else cod_version_default()
    areas = {area.pcode: area for area in AdminArea.objects.filter(version=version, pcode__in=list(new))}
    days = 1 if rule.kind == AlertRule.Kind.ALWAYS else max(1, rule.window_days)
    fired = []
    for pcode, new_days in new.items():
        if pcode in areas:
            fired += _evaluate_area(rule, areas[pcode], sorted(new_days), days, notify=notify)
    return fired


def _evaluate_area(rule, area, new_days: list[datetime.date], days: int, *, notify: bool) -> list[Alert]:
    """Windows of `days` days containing a new event whose total reaches the threshold (as alerts.py)."""
    width = datetime.timedelta(days=days - 1)
    low, high = new_days[0] - width, new_days[-1] + width
    daily = _daily(rule, area, low, high)
    existing = list(Alert.objects.filter(rule=rule, area=area, window_end__gte=low, window_start__lte=high))
    windows = [(alert.window_start, alert.window_end) for alert in existing]
    fired = []
    for new_day in new_days:
        for offset in range(days):
            start = new_day - datetime.timedelta(days=days - 1 - offset)
            window = (start, start + width)
            value = sum(daily.get(start + datetime.timedelta(days=i), 0) for i in range(days))
            if value < rule.threshold:
                continue
            if overlaps(window, windows):
                continue
            alert = _fire(
                rule=rule,
                area=area,
                window=window,
                value=value,
                incident_ids=[],
                trigger_key=f"displacement:{window[0].isoformat()}/{window[1].isoformat()}",
                notify=notify,
                draft=displacement_report_draft,
            )
            windows.append(window)
            if alert is not None:
                fired.append(alert)
            break
    for alert in existing:
        if any(alert.window_start <= day <= alert.window_end for day in new_days):
            _alert_refresh(rule, alert, daily)
    return fired


def _alert_refresh(rule: AlertRule, alert: Alert, daily: dict) -> None:
    """Events recorded later in an alerted window: the alert's value (and untouched draft) follow."""
    span = (alert.window_end - alert.window_start).days + 1
    value = sum(daily.get(alert.window_start + datetime.timedelta(days=i), 0) for i in range(span))
    if value == alert.value:
        return
    with transaction.atomic():
        alert.value = value
        alert.save(update_fields=["value", "updated_at"])
        report = FlashReport.objects.filter(alert=alert).first()
        if report is not None and report.status == FlashReport.Status.DRAFT and report.updated_by_id is None:
            for name, content in displacement_report_draft(alert).items():
                setattr(report, name, content)
            report.save()
        audit_record(action=AuditAction.UPDATE, obj=alert, detail={"value": value})


# --- Flash report draft --------------------------------------------------------------------------


def _period(first: datetime.date, last: datetime.date) -> str:
    if first == last:
        return _("on %(date)s") % {"date": date_format(first, "j F Y")}
    return _("from %(start)s to %(end)s") % {
        "start": date_format(first, "j F Y"),
        "end": date_format(last, "j F Y"),
    }


def displacement_report_draft(alert: Alert) -> dict:
    """The first draft of a displacement alert's flash report, from the events' coded figures only
    (never their descriptions), in the site language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _draft(alert)


def _draft(alert: Alert) -> dict:
    rule, area = alert.rule, alert.area
    filters = datasets.Filters(date_from=alert.window_start, date_to=alert.window_end, areas=(area,))
    dataset = datasets.get(DATASET)
    by_cause = datasets.aggregate(
        DATASET, measures=["events", "individuals", "households"], group_by=["cause"], filters=filters
    )
    events = sum(row["events"] for row in by_cause)
    individuals = sum(row["individuals"] for row in by_cause)
    households = sum(row["households"] for row in by_cause)
    period = _period(alert.window_start, alert.window_end)
    causes = ", ".join(
        f"{datasets.label_of(dataset, 'cause', row['cause'])} ({row['individuals']})"
        for row in sorted(by_cause, key=lambda row: -row["individuals"])
    )
    values = {
        "rule": rule.name,
        "area": area.name_fr,
        "pcode": area.pcode,
        "value": alert.value,
        "threshold": rule.threshold,
        "days": rule.window_days,
        "period": period,
    }
    what = [
        _(
            "Displacement alert rule “%(rule)s”: %(value)s in %(area)s %(period)s "
            "(threshold: %(threshold)s in %(days)s days)."
        )
        % values,
        _("Displacement events: %(events)s.") % {"events": events},
    ]
    if causes:
        what.append(_("Causes (individuals): %(list)s.") % {"list": causes})
    displacement = _("Individuals displaced: %(individuals)s; households: %(households)s.") % {
        "individuals": individuals,
        "households": households,
    }
    return {
        "title": _("%(rule)s: %(area)s (%(pcode)s), %(period)s") % values,
        "what": "\n".join(what),
        "where": f"{area.name_fr} ({area.pcode})",
        "when": _("Window: %(period)s.") % {"period": period},
        "victims": "",
        "displacement": displacement,
        "perpetrators": "",
        "immediate_needs": "",
        "response": "",
        "figures": {
            "subject": AlertRule.Subject.DISPLACEMENT,
            "rule": {
                "name": rule.name,
                "kind": rule.kind,
                "metric": rule.metric,
                "threshold": rule.threshold,
                "window_days": rule.window_days,
            },
            "value": alert.value,
            "window": [alert.window_start.isoformat(), alert.window_end.isoformat()],
            "area": {"pcode": area.pcode, "name": area.name_fr, "level": area.level},
            "events": events,
            "individuals": individuals,
            "households": households,
            "causes": {row["cause"]: row["individuals"] for row in by_cause},
        },
    }


# --- Demo ---------------------------------------------------------------------------------------
