"""`/healthz`: 200 when every check passes, 503 naming the failing one; one word per check, never a figure
that would tell when people are at work; no session, no cookie, no audit entry."""

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from sentinelle.core import audit, backups, health
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction, AuditEntry, Heartbeat

pytestmark = pytest.mark.django_db

URL = reverse("core:healthz")
WORDS = {"ok", "off", "unknown", "unreachable", "stale", "never", "late", "unreadable"}
CHECKS = ["database", "worker", "tasks", "backup", "audit_anchor"]


@pytest.fixture
def production(settings, tmp_path):
    """Tasks queued in the database (a worker expected), backups expected daily, anchors configured."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SENTINELLE = {
        **settings.SENTINELLE,
        "AUDIT_ANCHOR_DIR": str(tmp_path / "anchors"),
        "HEALTH_BACKUP_HOURS": 26,
    }
    return tmp_path / "anchors" / audit.ANCHOR_FILE


@pytest.fixture
def healthy(production):
    health.heartbeat_record(health.WORKER)
    audit.write_anchor("backup")  # what a completed backup appends (core/backups.py)
    audit.write_anchor("command")
    return production


def _backup_anchor(age: timedelta):
    with time_machine.travel(timezone.now() - age):
        audit.write_anchor("backup")


def _beat(name, age: timedelta):
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now() - age})


def _task(*, enqueued_ago=timedelta(0), run_after=None):
    task = DBTaskResult.objects.create(
        task_path="sentinelle.core.tasks.mail_send",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=run_after or get_date_max(),
        exception_class_path="",
        traceback="",
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - enqueued_ago)


def _get(client):
    response = client.get(URL)
    body = response.json()
    assert list(body["checks"]) == CHECKS
    assert set(body["checks"].values()) <= WORDS
    return response, body["checks"]


def test_healthy_installation_answers_200(client, healthy):
    response, checks = _get(client)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert checks == dict.fromkeys(CHECKS, "ok")


def test_it_is_public_cheap_and_sets_no_cookie_nor_writes(
    client, healthy, signed_in, admin, django_assert_max_num_queries
):
    entries = AuditEntry.objects.count()
    with django_assert_max_num_queries(5):
        response = client.get(URL)
    assert response.status_code == 200
    assert not response.cookies
    assert "no-cache" in response["Cache-Control"]
    # A signed-in browser's session is neither read into an audit entry nor refreshed.
    response = signed_in(admin).get(URL)
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert AuditEntry.objects.count() == entries


def test_only_reads_are_answered(client, healthy):
    assert client.post(URL).status_code == 405


def test_activity_does_not_change_the_answer(client, healthy):
    """Pending tasks and fresh audit entries (someone just recorded something) are invisible."""
    before = client.get(URL).content
    for _n in range(3):
        _task()
        audit_record(action=AuditAction.CREATE, object_type="monitoring.incident", object_id="x")
    assert client.get(URL).content == before


def test_unreachable_database_fails_every_check_that_needs_it(client, healthy, monkeypatch):
    def broken():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken)
    response, checks = _get(client)
    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert checks == {"database": "unreachable", **dict.fromkeys(CHECKS[1:], "unknown")}


@pytest.mark.parametrize(("age", "word"), [(timedelta(minutes=4), "ok"), (timedelta(minutes=6), "stale")])
def test_worker_heartbeat_age(client, healthy, age, word):
    _beat(health.WORKER, age)
    response, checks = _get(client)
    assert checks["worker"] == word
    assert response.status_code == (200 if word == "ok" else 503)


def test_worker_that_never_ran(client, healthy):
    Heartbeat.objects.filter(name=health.WORKER).delete()
    response, checks = _get(client)
    assert (response.status_code, checks["worker"]) == (503, "never")


def test_no_worker_expected_when_tasks_run_at_once(client, healthy, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    Heartbeat.objects.filter(name=health.WORKER).delete()
    response, checks = _get(client)
    assert (response.status_code, checks["worker"], checks["tasks"]) == (200, "off", "off")


def test_a_task_waiting_too_long(client, healthy):
    _task(enqueued_ago=timedelta(minutes=10))
    _task(run_after=timezone.now() + timedelta(hours=1), enqueued_ago=timedelta(hours=2))  # deferred retry
    assert _get(client)[1]["tasks"] == "ok"

    _task(enqueued_ago=timedelta(minutes=16))
    response, checks = _get(client)
    assert (response.status_code, checks["tasks"]) == (503, "late")


def test_a_retry_due_long_ago_is_late(client, healthy):
    _task(run_after=timezone.now() - timedelta(minutes=20), enqueued_ago=timedelta(hours=1))
    assert _get(client)[1]["tasks"] == "late"


@pytest.mark.parametrize(("age", "word"), [(timedelta(hours=25), "ok"), (timedelta(hours=27), "stale")])
def test_last_backup_age(client, production, age, word):
    health.heartbeat_record(health.WORKER)
    _backup_anchor(age)
    for _n in range(3):  # anchors written since, by the worker or the timer
        audit_record(action=AuditAction.CREATE, object_type="cases.case", object_id="x")
        audit.write_anchor("worker")
    response, checks = _get(client)
    assert checks["backup"] == word
    assert response.status_code == (200 if word == "ok" else 503)


def test_never_backed_up(client, production):
    health.heartbeat_record(health.WORKER)
    audit.write_anchor("command")
    response, checks = _get(client)
    assert (response.status_code, checks["backup"]) == (503, "never")


def test_a_backup_beyond_the_scanned_end_of_the_anchor_file_is_stale(client, healthy, monkeypatch):
    monkeypatch.setattr(health, "SCAN_BYTES", 100)
    audit.write_anchor("command", detail={"padding": "x" * 200})
    assert _get(client)[1]["backup"] == "stale"


def test_backup_check_off(client, production, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "HEALTH_BACKUP_HOURS": 0}
    health.heartbeat_record(health.WORKER)
    audit.write_anchor("command")
    response, checks = _get(client)
    assert (response.status_code, checks["backup"]) == (200, "off")


def test_audit_entries_left_unanchored(client, healthy):
    with time_machine.travel(timezone.now() - timedelta(minutes=31)):
        audit_record(action=AuditAction.CREATE, object_type="cases.case", object_id="x")
    response, checks = _get(client)
    assert (response.status_code, checks["audit_anchor"]) == (503, "late")

    audit.write_anchor("command")
    assert _get(client)[1]["audit_anchor"] == "ok"


def test_an_idle_log_needs_no_new_anchor(client, healthy):
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert _get(client)[1]["audit_anchor"] == "ok"


def test_a_forged_anchor_line_is_unreadable(client, healthy):
    line = json.loads(healthy.read_text().splitlines()[-1])
    line["head_id"] += 1000
    with healthy.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    response, checks = _get(client)
    assert (response.status_code, checks["audit_anchor"]) == (503, "unreadable")


def test_no_anchor_directory_is_off(client, healthy, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "AUDIT_ANCHOR_DIR": ""}
    checks = _get(client)[1]
    assert (checks["audit_anchor"], checks["backup"]) == ("off", "off")


def test_plain_http_is_not_redirected_for_the_health_check(client, healthy, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(URL).status_code == 200
    assert client.get(reverse("core:home")).status_code == 301


# --- Who beats -------------------------------------------------------------------------------------


def test_the_worker_records_its_heartbeat():
    call_command("run_jobs", "--once", stdout=io.StringIO())
    assert Heartbeat.objects.get(name=health.WORKER).at > timezone.now() - timedelta(minutes=1)


def test_a_worker_beats_at_most_every_thirty_seconds(production, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: clock[0])
    beat = health.WorkerHeartbeat()
    beat.tick()
    first = Heartbeat.objects.get(name=health.WORKER).at
    clock[0] += 10
    beat.tick()
    assert Heartbeat.objects.get(name=health.WORKER).at == first
    clock[0] += 25
    beat.tick()
    assert Heartbeat.objects.get(name=health.WORKER).at > first


@pytest.mark.django_db(transaction=True)
def test_a_completed_backup_is_seen(client, production, tmp_path):
    health.heartbeat_record(health.WORKER)
    audit.write_anchor("command")
    assert _get(client)[1]["backup"] == "never"
    backups.backup(tmp_path / "backup")
    assert _get(client)[1] == dict.fromkeys(CHECKS, "ok")


@pytest.mark.django_db(transaction=True)
def test_a_failed_backup_is_not(client, production, tmp_path):
    health.heartbeat_record(health.WORKER)
    audit.write_anchor("command")
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "something").write_text("x")
    with pytest.raises(backups.BackupError):
        backups.backup(tmp_path / "backup")
    assert _get(client)[1]["backup"] == "never"
