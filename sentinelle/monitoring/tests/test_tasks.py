"""Monitoring's side effects as queued tasks: a submission's follow-ups, an alert's e-mails and webhooks run
by the worker, never in the request; a failing webhook is retried, then left failed for administrators."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sentinelle.core.tasks import MAX_ATTEMPTS, tasks_run_pending
from sentinelle.monitoring.models import Alert, AlertRule
from sentinelle.monitoring.services.alert_rules import alert_rule_create
from sentinelle.monitoring.services.alerts import alerts_evaluate
from sentinelle.monitoring.tests.factories import cercle_of, days_ago, make_incident, today

pytestmark = pytest.mark.django_db(transaction=True)


class _Hook(BaseHTTPRequestHandler):
    calls = 0
    status = 500

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls += 1
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_url():
    _Hook.calls, _Hook.status = 0, 500
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture
def queued(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> int:
    return tasks_run_pending(worker="test-worker")


def tasks_named(name: str):
    return DBTaskResult.objects.filter(task_path=f"sentinelle.monitoring.tasks.{name}")


def always_rule(admin, hook_url) -> AlertRule:
    """A rule raising an alert on every incident, with its own webhook."""
    return alert_rule_create(
        actor=admin,
        name="Toujours",
        kind=AlertRule.Kind.ALWAYS,
        metric=AlertRule.Metric.EVENTS,
        threshold=1,
        webhook_url=hook_url,
    )


def submitted(monitor, mopti):
    cercle = cercle_of(mopti, pcode="ML0501", name_fr="Mopti-Cercle")
    return make_incident(
        actor=monitor, area=cercle, status="submitted", date_start=days_ago(2), date_reported=today()
    )


def test_a_submission_queues_its_follow_ups_and_the_worker_notifies(
    queued, admin, imo, monitor, mopti, hook_url
):
    _Hook.status = 200
    always_rule(admin, hook_url)
    incident = submitted(monitor, mopti)

    # The request only queued the follow-up: no alert, no mail, no call yet.
    [follow_up] = tasks_named("incidents_follow_up_run")
    assert follow_up.args_kwargs["kwargs"] == {"incident_ids": [incident.pk]}
    assert not Alert.objects.exists() and mail.outbox == [] and _Hook.calls == 0

    assert run_worker() == 4  # follow-up, notify, one mail (the IMO), one webhook call
    assert Alert.objects.count() == 1
    assert [m.to for m in mail.outbox] == [[imo.email]]
    assert _Hook.calls == 1
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()


def test_alerts_raised_together_queue_one_notification_task_and_every_message(
    queued, admin, imo, monitor, mopti, hook_url, monkeypatch
):
    from sentinelle.monitoring.services import alert_notifications

    asked = []
    policy = alert_notifications.has_perm
    monkeypatch.setattr(
        alert_notifications, "has_perm", lambda user, perm: asked.append(user.pk) or policy(user, perm)
    )
    _Hook.status = 200
    always_rule(admin, hook_url)
    incidents = [submitted(monitor, mopti) for _ in range(3)]
    DBTaskResult.objects.all().delete()  # their own follow-ups: evaluated together below, as an import does

    fired = alerts_evaluate(incident_ids=[incident.pk for incident in incidents])

    assert len(fired) == 3
    [notify] = tasks_named("alerts_notify")  # one task for the three alerts, not one each
    assert sorted(notify.args_kwargs["kwargs"]["alert_ids"]) == sorted(alert.pk for alert in fired)
    assert mail.outbox == [] and _Hook.calls == 0
    assert run_worker() == 1 + 3 + 3  # the notification, then one mail and one call per alert
    assert [m.to for m in mail.outbox] == [[imo.email]] * 3
    assert sorted(asked) == sorted(set(asked)) and imo.pk in asked  # each recipient asked once, not per alert
    assert len({m.subject + m.body for m in mail.outbox}) == 3  # each alert's own message
    assert _Hook.calls == 3
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()

    # Run again (a retry of the evaluation): nothing is raised or queued twice.
    assert alerts_evaluate(incident_ids=[incident.pk for incident in incidents]) == []
    assert tasks_named("alerts_notify").count() == 1


def test_a_notification_queued_one_alert_at_a_time_before_the_upgrade_still_goes_out(
    queued, admin, imo, monitor, mopti, hook_url
):
    from sentinelle.monitoring.tasks import alert_notify

    _Hook.status = 200
    always_rule(admin, hook_url)
    incident = submitted(monitor, mopti)
    DBTaskResult.objects.all().delete()
    [alert] = alerts_evaluate(incident_ids=[incident.pk], notify=False)
    alert_notify.enqueue(alert_id=alert.pk)  # as the previous release queued it

    assert run_worker() == 3  # the old task, then its mail and webhook call
    assert [m.to for m in mail.outbox] == [[imo.email]] and _Hook.calls == 1
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()


def test_a_failing_webhook_is_retried_then_failed_for_the_administrator(
    queued, admin, manager, imo, monitor, mopti, hook_url, signed_in
):
    always_rule(admin, hook_url)
    submitted(monitor, mopti)
    run_worker()
    assert _Hook.calls == 1 and len(mail.outbox) == 1  # the mail went out; the call did not

    for _attempt in range(2, MAX_ATTEMPTS + 1):
        assert run_worker() == 0  # the retry waits
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        assert run_worker() == 1
    assert _Hook.calls == MAX_ATTEMPTS
    [failed] = DBTaskResult.objects.filter(status="FAILED")
    assert failed.task_path == "sentinelle.monitoring.tasks.alert_webhook_send"
    assert failed.args_kwargs["kwargs"]["attempt"] == MAX_ATTEMPTS
    assert "url" not in failed.args_kwargs["kwargs"] and hook_url not in str(failed.args_kwargs)
    assert len(mail.outbox) == 1  # retrying the call never sends the mail again

    page = signed_in(admin).get(reverse("core:audit-list")).content.decode()
    assert "alert_webhook_send" in page and "TaskFailed" in page
    assert "alert_webhook_send" not in signed_in(manager).get(reverse("core:audit-list")).content.decode()


def test_a_webhook_that_answers_on_a_retry_is_called_no_more(queued, admin, monitor, mopti, hook_url):
    always_rule(admin, hook_url)
    submitted(monitor, mopti)
    run_worker()
    _Hook.status = 200
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    assert run_worker() == 1
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    assert run_worker() == 0
    assert _Hook.calls == 2
    assert not DBTaskResult.objects.filter(status="FAILED").exists()


def test_a_draft_queues_nothing(queued, monitor, mopti):
    cercle = cercle_of(mopti, pcode="ML0501", name_fr="Mopti-Cercle")
    make_incident(actor=monitor, area=cercle, status="draft", date_start=days_ago(2), date_reported=today())
    assert not DBTaskResult.objects.exists()
