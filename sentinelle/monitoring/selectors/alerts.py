"""Reads of the alert pages, scoped by the policy (alerts are cluster-wide for those who may see them;
the incidents behind an alert only as far as the reader may see incidents)."""

from django.db.models import Count

from sentinelle.core.permissions import Perm, get_object_for_user, scope_queryset
from sentinelle.monitoring.models import Alert, AlertRule, AreaFollow, FlashReport, Incident


def alert_rule_list(*, user, include_archived: bool = False):
    rules = scope_queryset(user, AlertRule.objects.select_related("area"), Perm.ALERT_VIEW)
    if not include_archived:
        rules = rules.filter(is_archived=False)
    return rules.annotate(alert_count=Count("alerts")).order_by("-is_active", "name")


def alert_rule_get(*, user, public_id, request=None) -> AlertRule:
    return get_object_for_user(
        user,
        AlertRule.objects.select_related("area").filter(is_archived=False),
        public_id,
        Perm.ALERT_RULE_MANAGE,
        request=request,
    )


def alert_list(*, user, status: str = "", rule: AlertRule | None = None):
    alerts = scope_queryset(
        user, Alert.objects.select_related("rule", "area", "flash_report"), Perm.ALERT_VIEW
    )
    if status in Alert.Status.values:
        alerts = alerts.filter(status=status)
    if rule is not None:
        alerts = alerts.filter(rule=rule)
    return alerts.annotate(incident_count=Count("incidents")).order_by("-created_at", "-id")


def alert_get(*, user, public_id, request=None) -> Alert:
    return get_object_for_user(
        user,
        Alert.objects.select_related("rule", "area", "area__parent", "flash_report"),
        public_id,
        Perm.ALERT_VIEW,
        request=request,
    )


def alert_incidents(*, user, alert: Alert, limit: int = 200) -> tuple[list[Incident], int]:
    """The first `limit` of the alert's incidents the user may see, and how many others it has (the page
    only counts them: not seen by this user, or beyond the limit)."""
    incidents = Incident.objects.filter(alerts=alert).select_related("area", "organisation")
    shown = list(scope_queryset(user, incidents, Perm.INCIDENT_VIEW).order_by("-date_start", "-id")[:limit])
    return shown, max(0, alert.incidents.count() - len(shown))


def flash_report_get(*, user, public_id, perm: Perm = Perm.ALERT_VIEW, request=None) -> FlashReport:
    return get_object_for_user(
        user,
        FlashReport.objects.select_related("alert", "alert__rule", "alert__area", "alert__area__parent"),
        public_id,
        perm,
        request=request,
    )


def area_follow_list(*, user):
    """The user's own followed areas (nobody sees another's)."""
    return AreaFollow.objects.filter(user=user).select_related("area", "area__parent").order_by("area__path")


def flash_reports_published(*, user):
    """Published flash reports: a published product, read by everyone who reads reports (readers too)."""
    published = FlashReport.objects.filter(status=FlashReport.Status.PUBLISHED, is_archived=False)
    return scope_queryset(user, published.select_related("alert__area"), Perm.REPORT_VIEW).order_by(
        "-published_at"
    )


def flash_report_published_get(*, user, public_id, request=None) -> FlashReport:
    """One published flash report (404 alike for a draft, for anyone without REPORT_VIEW)."""
    published = FlashReport.objects.filter(status=FlashReport.Status.PUBLISHED, is_archived=False)
    return get_object_for_user(
        user,
        published.select_related("alert", "alert__rule", "alert__area", "alert__area__parent"),
        public_id,
        Perm.REPORT_VIEW,
        request=request,
    )
