"""How an alert reaches people: e-mail to the area's followers and the IMOs, and optional webhooks.

What each message and call says; monitoring/tasks.py sends them, as tasks queued after the alert's
transaction commits, retried. Messages carry the alert's figures and places only, never an account,
coordinates or a name. A failure never touches the alert: it exists regardless.
"""

import json
import logging
import urllib.request
from collections import defaultdict

from django.conf import settings
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from sentinelle.accounts.models import User
from sentinelle.core.models import Role
from sentinelle.core.permissions import Perm, has_perm
from sentinelle.geography.paths import ancestor_paths
from sentinelle.monitoring.models import Alert, AlertRule, AreaFollow, Category, IncidentCategory

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 5


def _setting(name: str, default):
    return getattr(settings, "SENTINELLE", {}).get(name, default)


def alert_recipients(alert: Alert, *, may_see: dict[int, bool] | None = None) -> list:
    """Active users with an e-mail who follow the alert's area or an area above it (or above one of
    its incidents' areas) and may see alerts, plus every cluster IMO. `may_see` keeps each user's answer
    across the alerts of one notification task (the policy reads the user's memberships)."""
    paths = {alert.area.path} | set(alert.incidents.values_list("area__path", flat=True))
    prefixes = {above for path in paths for above in ancestor_paths(path)}
    followers = AreaFollow.objects.filter(
        area__version_id=alert.area.version_id, area__path__in=prefixes
    ).values("user_id")
    imos = Q(
        memberships__role=Role.IMO,
        memberships__is_archived=False,
        memberships__organisation__is_archived=False,
    )
    users = (
        User.objects.filter(Q(pk__in=followers) | imos, is_active=True, email__isnull=False)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    may_see = {} if may_see is None else may_see
    for user in users:
        if user.pk not in may_see:
            may_see[user.pk] = has_perm(user, Perm.ALERT_VIEW)
    return [user for user in users if may_see[user.pk]]


def _alert_url(alert: Alert) -> str:
    path = reverse("monitoring:alert-detail", args=[alert.public_id])
    return _setting("SITE_URL", "").rstrip("/") + path


def alert_summary(alert: Alert) -> dict:
    """The alert as a notification says it: figures and places only."""
    rule = alert.rule
    categories = (
        IncidentCategory.objects.filter(incident__alerts=alert)
        .values("category")
        .annotate(n=Count("incident", distinct=True))
        .order_by("-n", "category")
    )
    return {
        "alert": alert,
        "rule": rule,
        "area": alert.area,
        "metric": AlertRule.Metric(rule.metric).label,
        "incident_count": alert.incidents.count(),
        "categories": [(Category(row["category"]).label, row["n"]) for row in categories],
        "url": _alert_url(alert),
    }


def alert_messages(alert: Alert, *, may_see: dict[int, bool] | None = None) -> list[tuple[int, str, str]]:
    """(user id, subject, body) of the alert's e-mail to each recipient, in the recipient's language: one
    message per person, so followers never see each other's addresses."""
    by_language: dict[str, list] = defaultdict(list)
    for user in alert_recipients(alert, may_see=may_see):
        by_language[user.language or settings.LANGUAGE_CODE].append(user)
    messages = []
    for language, users in by_language.items():
        with translation.override(language):
            context = alert_summary(alert)
            subject = _("[Sentinelle] Alert: %(rule)s, %(area)s (%(pcode)s)") % {
                "rule": alert.rule.name,
                "area": alert.area.name_fr,
                "pcode": alert.area.pcode,
            }
            body = render_to_string("monitoring/alerts/alert_email.txt", context)
        messages += [(user.pk, subject, body) for user in users]
    return messages


# Where an alert's webhooks go: the site's (SENTINELLE["ALERT_WEBHOOK_URL"]) and the rule's own. A task
# names the target, not the URL (which may hold a token), and reads the URL when it runs.
WEBHOOK_TARGETS = ("site", "rule")


def webhook_url(alert: Alert, target: str) -> str:
    return _setting("ALERT_WEBHOOK_URL", "") if target == "site" else alert.rule.webhook_url


def webhook_targets(alert: Alert) -> list[str]:
    """The targets with a URL, the same URL once."""
    urls = {}
    for target in WEBHOOK_TARGETS:
        urls.setdefault(webhook_url(alert, target), target)
    return [target for url, target in urls.items() if url]


def webhook_payload(alert: Alert) -> dict:
    summary = alert_summary(alert)
    return {
        "event": "alert.fired",
        "alert": str(alert.public_id),
        "rule": {"id": str(alert.rule.public_id), "name": alert.rule.name, "kind": alert.rule.kind},
        "area": {"pcode": alert.area.pcode, "name": alert.area.name_fr, "level": alert.area.level},
        "window_start": alert.window_start.isoformat(),
        "window_end": alert.window_end.isoformat(),
        "metric": alert.rule.metric,
        "value": alert.value,
        "incidents": summary["incident_count"],
        "url": summary["url"],
    }


def webhook_call(url: str, payload: dict) -> bool:
    """POST the payload as JSON; True on a 2xx answer. Never raises: the alert exists regardless."""
    if not url.lower().startswith(("http://", "https://")):
        logger.warning("Alert webhook skipped: only http(s) URLs are called.")
        return False
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "Sentinelle"},
        method="POST",
    )
    timeout = float(_setting("ALERT_WEBHOOK_TIMEOUT", WEBHOOK_TIMEOUT_SECONDS))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            return 200 <= response.status < 300
    except Exception as error:
        # The URL may hold a token: log the failure's kind only.
        logger.warning("Alert webhook failed for alert %s: %s", payload.get("alert"), type(error).__name__)
        return False
