"""Monitoring's side effects, queued after commit (core/tasks.py): the follow-ups of entered incidents,
and an alert's e-mails and webhooks. Arguments are ids; each task is safe to run again and retried."""

import logging

from django.db import transaction
from django_tasks import task

from sentinelle.core.tasks import TaskFailed, mail_send, retried
from sentinelle.monitoring.models import Alert
from sentinelle.monitoring.services import hooks
from sentinelle.monitoring.services.alert_notifications import (
    alert_messages,
    webhook_call,
    webhook_payload,
    webhook_targets,
    webhook_url,
)

logger = logging.getLogger(__name__)


@task()
@retried
def incidents_follow_up_run(*, incident_ids: list[int]) -> None:
    """Duplicates, then alerts, for incidents just submitted or verified. Both skip what they already
    found (a pair already proposed, an alert already fired), so a retry adds nothing twice."""
    hooks.incidents_follow_up(incident_ids)


def _alert(alert_id: int) -> Alert | None:
    return Alert.objects.select_related("rule", "area").filter(pk=alert_id).first()


@task()
@retried
def alert_notify(*, alert_id: int) -> dict:
    """One alert's notifications: kept for the tasks queued under this name before the upgrade to
    `alerts_notify`, so that none of their messages is lost. Nothing queues it any more."""
    return _notify([alert_id])


@task()
@retried
def alerts_notify(*, alert_ids: list[int]) -> dict:
    """Queue the e-mails (one task per recipient and alert) and webhook calls (one per target and alert)
    of alerts raised together, all or none: a retry of this task never queues a message twice. One task
    per evaluation, not per alert: an import that raises hundreds of alerts queues one task in its
    follow-ups, and the messages are composed here, in the worker."""
    return _notify(alert_ids)


def _notify(alert_ids: list[int]) -> dict:
    alerts = Alert.objects.select_related("rule", "area").filter(pk__in=alert_ids).order_by("pk")
    may_see: dict[int, bool] = {}  # each recipient's permission, asked once for all the alerts
    planned = [(alert, alert_messages(alert, may_see=may_see), webhook_targets(alert)) for alert in alerts]
    with transaction.atomic():
        for alert, messages, targets in planned:
            for user_id, subject, body in messages:
                mail_send.enqueue(user_id=user_id, subject=str(subject), body=body)
            for target in targets:
                alert_webhook_send.enqueue(alert_id=alert.pk, target=target)
    return {
        "mails": sum(len(messages) for _alert, messages, _targets in planned),
        "webhooks": sum(len(targets) for _alert, _messages, targets in planned),
    }


@task()
@retried
def alert_webhook_send(*, alert_id: int, target: str) -> bool:
    """POST the alert to one webhook target ("site" or "rule"); a refused call raises, so the task
    retries with back-off and, after the last attempt, stays failed for administrators to see. A call
    answered 2xx ends the task: it is never repeated."""
    alert = _alert(alert_id)
    url = webhook_url(alert, target) if alert else ""
    if not url:
        return False
    if not url.lower().startswith(("http://", "https://")):
        logger.warning("Alert webhook skipped: only http(s) URLs are called.")
        return False
    if not webhook_call(url, webhook_payload(alert)):
        raise TaskFailed(f"Alert {alert.public_id}: the {target} webhook did not answer 2xx.")
    return True
