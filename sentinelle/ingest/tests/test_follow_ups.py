"""The follow-ups of an incident import (duplicates, alerts): once per job, a task queued after its commit,
never forgotten."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sentinelle.core.models import AuditEntry
from sentinelle.core.tasks import tasks_run_pending
from sentinelle.ingest.models import ImportJob
from sentinelle.ingest.services import jobs_run_pending
from sentinelle.ingest.tests.conftest import commit, csv_bytes, days_ago, errors_of, incident_row, upload
from sentinelle.monitoring.models import Alert, AlertRule
from sentinelle.monitoring.services import alerts
from sentinelle.monitoring.services.alert_rules import alert_rule_create
from sentinelle.monitoring.tests.factories import flash_report_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(admin):
    return alert_rule_create(
        actor=admin,
        name="Pic d'incidents",
        kind=AlertRule.Kind.THRESHOLD,
        area_level=2,
        metric=AlertRule.Metric.EVENTS,
        threshold=3,
        window_days=7,
    )


@pytest.fixture
def area_evaluations(monkeypatch):
    """(rule, areas) of each grouped query of a threshold rule's evaluation, in order."""
    calls = []
    original = alerts._daily_by_cell

    def spy(rule, cells, areas):
        calls.append((rule.pk, sorted(area.pcode for area in cells)))
        return original(rule, cells, areas)

    monkeypatch.setattr(alerts, "_daily_by_cell", spy)
    return calls


@pytest.fixture
def queued(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def follow_up_tasks():
    return DBTaskResult.objects.filter(task_path="sentinelle.ingest.tasks.import_job_follow_up_run")


def rows(count: int, *, first: int = 0, days: int = 10) -> list[dict]:
    return [incident_row(source_id=f"B-{first + i:03d}", date_start=days_ago(days)) for i in range(count)]


@pytest.fixture
def imported(django_capture_on_commit_callbacks):
    """Upload and commit a file; what the commit queued runs once it has committed (tests: at once)."""

    def run(user, organisation, content):
        job = upload(user, organisation, content)
        assert job.status == "valid", errors_of(job)
        with django_capture_on_commit_callbacks(execute=True):
            job = commit(user, job)
        assert job.status == "committed", (errors_of(job), job.failure)
        job.refresh_from_db()
        return job

    return run


def test_an_import_evaluates_each_area_once_and_the_alert_figures_are_right(
    monitor, alpha, places, rule, area_evaluations, imported
):
    job = imported(monitor, alpha, csv_bytes(rows(12)))

    assert area_evaluations == [(rule.pk, ["ML0501"])]
    [alert] = Alert.objects.filter(rule=rule)
    assert alert.area.pcode == "ML0501" and alert.value == 12 and alert.incidents.count() == 12
    report = flash_report_of(alert)  # written from the incidents when first read
    # A cercle rule is below the GBV protocol's level: its value (which could count GBV) is not stated.
    assert report.figures["incidents"] == 12 and report.figures["value"] is None
    assert report.figures["victims"]["total"] == 24  # two men killed per row
    assert job.follow_up_ids == []


def test_a_second_import_joins_the_alert_once_with_true_figures(
    monitor, alpha, places, rule, area_evaluations, imported
):
    imported(monitor, alpha, csv_bytes(rows(4)))
    [alert] = Alert.objects.filter(rule=rule)
    area_evaluations.clear()
    entries_before = AuditEntry.objects.filter(object_id=str(alert.public_id)).count()

    imported(monitor, alpha, csv_bytes(rows(5, first=100)))

    assert area_evaluations == [(rule.pk, ["ML0501"])]
    assert list(Alert.objects.filter(rule=rule)) == [alert]  # joined, no second alert
    alert.refresh_from_db()
    assert alert.value == 9 and alert.incidents.count() == 9
    report = flash_report_of(alert)  # written from the incidents when first read
    assert report.figures["incidents"] == 9 and report.figures["value"] is None
    assert report.figures["victims"]["total"] == 18
    entries = AuditEntry.objects.filter(object_id=str(alert.public_id))
    assert entries.count() == entries_before + 1  # one entry for the join
    assert entries.order_by("-pk").first().detail == {"incidents_added": 5, "value": 9}


def test_re_importing_the_same_file_changes_no_alert(monitor, alpha, places, rule, imported):
    content = csv_bytes(rows(4))
    imported(monitor, alpha, content)
    [alert] = Alert.objects.filter(rule=rule)
    job = imported(monitor, alpha, content)
    assert job.created_count == 0 and job.follow_up_ids == []
    alert.refresh_from_db()
    assert alert.value == 4 and Alert.objects.filter(rule=rule).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_request_only_queues_the_follow_ups_and_the_worker_runs_them(
    queued, monitor, alpha, places, rule, area_evaluations
):
    job = commit(monitor, upload(monitor, alpha, csv_bytes(rows(6))))

    # Committed; the follow-ups wait as one task, the job keeping its records until they are done.
    job.refresh_from_db()
    assert job.status == "committed" and len(job.follow_up_ids) == 6 and job.claimed_by == ""
    [task] = follow_up_tasks()
    assert task.args_kwargs["kwargs"] == {"job_id": job.pk}
    assert not Alert.objects.exists() and area_evaluations == []
    assert jobs_run_pending(worker="worker:test") == 0  # the task's, not the import worker's

    assert tasks_run_pending(worker="worker:test") >= 1
    job.refresh_from_db()
    assert job.follow_up_ids == [] and job.claimed_by == ""
    assert area_evaluations == [(rule.pk, ["ML0501"])]
    assert Alert.objects.get(rule=rule).value == 6
    assert follow_up_tasks().get().status == "SUCCESSFUL"
    # Run again (a retry): nothing new.
    assert tasks_run_pending(worker="worker:test") == 0 and jobs_run_pending(worker="worker:test") == 0
    assert Alert.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_follow_ups_whose_task_was_lost_or_whose_worker_died_are_not_forgotten(
    queued, monitor, alpha, places, rule, settings
):
    job = commit(monitor, upload(monitor, alpha, csv_bytes(rows(4))))
    follow_up_tasks().delete()  # lost (or its worker died while running it)
    # A worker that died mid-way left its claim.
    ImportJob.objects.filter(pk=job.pk).update(claimed_by="worker:dead", claimed_at=timezone.now())
    assert jobs_run_pending(worker="worker:test") == 0  # not overdue yet: someone may be on it

    timeout = timedelta(seconds=settings.SENTINELLE.get("IMPORT_JOB_TIMEOUT_SECONDS", 300) + 1)
    ImportJob.objects.filter(pk=job.pk).update(
        committed_at=timezone.now() - timeout, claimed_at=timezone.now() - timeout
    )
    assert jobs_run_pending(worker="worker:test") == 1
    job.refresh_from_db()
    assert job.follow_up_ids == [] and job.claimed_by == ""
    assert Alert.objects.get(rule=rule).value == 4
    assert jobs_run_pending(worker="worker:test") == 0


def test_failing_follow_ups_leave_the_import_committed(monitor, alpha, places, rule, monkeypatch, imported):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("sentinelle.monitoring.services.hooks.incidents_follow_up", broken)
    job = imported(monitor, alpha, csv_bytes(rows(3)))
    assert job.created_count == 3 and job.follow_up_ids == []
    assert jobs_run_pending(worker="worker:test") == 0


@pytest.mark.parametrize("chunk", [5_000, 2])
def test_drafts_read_together_are_the_drafts_read_alone(
    monitor, alpha, places, rule, admin, chunk, monkeypatch, imported
):
    from sentinelle.monitoring.services import flash_figures
    from sentinelle.monitoring.services.flash_content import flash_report_drafts

    # Read by chunks of two incident ids, the drafts are the same as read in one go.
    monkeypatch.setattr(flash_figures, "CHUNK", chunk)
    alert_rule_create(
        actor=admin, name="Tout", kind=AlertRule.Kind.ALWAYS, metric=AlertRule.Metric.EVENTS, threshold=1
    )
    content = [
        *rows(3),
        # A monitor's GBV allegation (no survivor details): under the GBV floor like any GBV record.
        incident_row(
            source_id="B-901",
            categories="gbv",
            victims_killed_m_18_59=None,
            victims_affected_f_18_59=1,
        ),
    ]
    imported(monitor, alpha, csv_bytes(content))
    alerts_ = list(Alert.objects.select_related("rule", "area").order_by("pk"))
    assert len(alerts_) >= 3
    together = flash_report_drafts(alerts_)
    for alert in alerts_:
        assert flash_report_drafts([alert])[alert.pk] == together[alert.pk]
    threshold = next(a for a in alerts_ if a.rule_id == rule.pk)
    figures = together[threshold.pk]["figures"]
    # The rule is on a cercle, below the GBV protocol's level: the GBV incident is in no figure of the draft,
    # and the rule's value (which counted it) is not stated.
    assert figures["incidents"] == 3 and figures["gbv_withheld"] == "all" and figures["value"] is None
    assert figures["victims"]["total"] == 6 and figures["categories"] == {"life": 3}


def test_the_command_line_runs_the_follow_ups_itself(admin, alpha, places, rule, settings, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "incidents.csv"
    path.write_bytes(csv_bytes(rows(4)))
    call_command("import_data", "incidents", str(path), "--org", "ALPHA", "--commit")

    job = ImportJob.objects.get()
    assert job.status == "committed" and job.follow_up_ids == [] and job.claimed_by == ""
    assert Alert.objects.get(rule=rule).value == 4
