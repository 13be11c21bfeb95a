"""Demo alert rules, the IMO following Mopti, and the alerts the demo incidents raise (incidents.py).

Idempotent: rules and follows are found by name and area, evaluation fires each (rule, area, window) once,
and a flash report is published only if none is yet. Notifications are off: the demo sends no e-mail.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from sentinelle.accounts.models import User
from sentinelle.geography.selectors import area_get_by_pcode
from sentinelle.monitoring.models import Alert, AlertRule, FlashReport, Incident
from sentinelle.monitoring.services.alert_actions import area_follow
from sentinelle.monitoring.services.alert_rules import alert_rule_create
from sentinelle.monitoring.services.alerts import (
    COUNTED_STATUSES,
    DEFAULT_ALERT_MAX_AGE_DAYS,
    alerts_evaluate,
)
from sentinelle.monitoring.services.flash_reports import flash_report_publish, flash_report_update

RULES = [
    # Displacement events (recorded by the displacement demo) reach this rule through core/hooks.py.
    {
        "name": "Afflux de déplacés dans un cercle",
        "subject": AlertRule.Subject.DISPLACEMENT,
        "kind": AlertRule.Kind.THRESHOLD,
        "area_level": 2,
        "metric": AlertRule.Metric.DISPLACED,
        "threshold": 1000,
        "window_days": 7,
    },
    {
        "name": "Attaque contre une école",
        "kind": AlertRule.Kind.ALWAYS,
        "violation_types": ["attack_school"],
        "metric": AlertRule.Metric.EVENTS,
        "threshold": 1,
    },
    {
        "name": "Au moins 5 personnes tuées",
        "kind": AlertRule.Kind.ALWAYS,
        "metric": AlertRule.Metric.KILLED,
        "threshold": 5,
    },
    {
        "name": "Pic d'incidents dans un cercle",
        "kind": AlertRule.Kind.THRESHOLD,
        "area_level": 2,
        "metric": AlertRule.Metric.EVENTS,
        "threshold": 10,
        "window_days": 7,
    },
    {
        "name": "Pic d'incidents dans une région",
        "kind": AlertRule.Kind.THRESHOLD,
        "area_level": 1,
        "metric": AlertRule.Metric.EVENTS,
        "threshold": 10,
        "window_days": 7,
    },
    {
        "name": "Accident d'engin explosif",
        "kind": AlertRule.Kind.ALWAYS,
        "categories": ["explosive"],
        "metric": AlertRule.Metric.EVENTS,
        "threshold": 1,
    },
]

IMMEDIATE_NEEDS = (
    "Prise en charge médicale des blessés et soutien psychosocial des familles ; "
    "évaluation rapide de protection (ERP) par les partenaires présents dans la zone."
)
RESPONSE = "Le cluster régional a informé les partenaires ; une mission conjointe est en préparation."


def seed(*, stdout, style) -> None:
    admin = User.objects.filter(username="admin").first()
    imo = User.objects.filter(username="imo").first()
    if admin is None or imo is None:
        stdout.write(style.WARNING("Demo alerts skipped: the demo admin and imo accounts are missing."))
        return
    created = 0
    for fields in RULES:
        if not AlertRule.objects.filter(name=fields["name"], is_archived=False).exists():
            alert_rule_create(actor=admin, **fields)
            created += 1
    mopti = area_get_by_pcode("ML05")
    if mopti is not None:
        area_follow(actor=imo, area=mopti)

    # Only recent incidents raise alerts: keep the query to them (indexed on status and date).
    incidents = Incident.objects.filter(status__in=COUNTED_STATUSES)
    max_age = int(getattr(settings, "SENTINELLE", {}).get("ALERT_MAX_AGE_DAYS", DEFAULT_ALERT_MAX_AGE_DAYS))
    if max_age:
        incidents = incidents.filter(date_start__gte=timezone.localdate() - datetime.timedelta(days=max_age))
    ids = list(incidents.order_by().values_list("pk", flat=True))
    fired = alerts_evaluate(incident_ids=ids, notify=False)

    published = FlashReport.objects.filter(status=FlashReport.Status.PUBLISHED).count()
    if not published:
        report = (
            FlashReport.objects.filter(status=FlashReport.Status.DRAFT, alert__isnull=False)
            .order_by("created_at", "id")
            .first()
        )
        if report is not None:
            flash_report_update(actor=imo, report=report, immediate_needs=IMMEDIATE_NEEDS, response=RESPONSE)
            flash_report_publish(actor=imo, report=report)
            published = 1
    stdout.write(
        style.SUCCESS(
            f"Demo alerts: {created} rules created, {len(fired)} alerts raised now "
            f"({Alert.objects.count()} in all), {published} flash report(s) published."
        )
    )
