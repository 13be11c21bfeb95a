"""The command line (import_data, make_sample_import) and the background worker (run_jobs)."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sentinelle.ingest import runner
from sentinelle.ingest.models import ImportJob
from sentinelle.ingest.tests.conftest import commit, csv_bytes, errors_of, incident_row, upload
from sentinelle.monitoring.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(tmp_path, places):
    def make(rows: int, name: str = "exemple.xlsx", **options) -> str:
        path = tmp_path / name
        call_command("make_sample_import", "incidents", str(rows), str(path), **options)
        return str(path)

    return make


def test_import_data_without_commit_validates_and_writes_nothing(admin, alpha, sample, capsys):
    path = sample(25)

    call_command("import_data", "incidents", path, "--org", "alpha")

    out = capsys.readouterr().out
    assert "lignes : 25, valides : 25, erreurs : 0" in out
    assert "Aperçu :" in out and "EX1-000001" in out
    assert "relancez avec --commit" in out
    assert Incident.objects.count() == 0
    assert ImportJob.objects.get().status == "valid"


def test_import_data_with_commit_imports_then_changes_nothing(admin, alpha, sample, capsys):
    path = sample(40, "exemple.csv")

    call_command("import_data", "incidents", path, "--org", "ALPHA", "--commit")
    assert "Enregistrements créés : 40 ; déjà présents (inchangés) : 0." in capsys.readouterr().out
    assert Incident.objects.filter(organisation=alpha, status="submitted").count() == 40

    call_command("import_data", "incidents", path, "--org", "ALPHA", "--commit")
    assert "Enregistrements créés : 0 ; déjà présents (inchangés) : 40." in capsys.readouterr().out
    assert Incident.objects.count() == 40


def test_import_data_of_a_broken_file_fails_with_the_errors(admin, alpha, places, tmp_path, capsys):
    path = tmp_path / "casse.csv"
    path.write_bytes(csv_bytes([incident_row(), incident_row(source_id="A-2", adm3_code="ML059999")]))

    with pytest.raises(CommandError) as caught:
        call_command("import_data", "incidents", str(path), "--org", "ALPHA", "--commit")

    assert caught.value.returncode == 1
    assert str(caught.value) == "Erreurs : 1 ; rien n'a été écrit."
    assert "ligne 4 · Commune (P-code): P-code inconnu « ML059999 »" in capsys.readouterr().err
    assert Incident.objects.count() == 0


def test_import_data_under_a_named_account(manager, alpha, sample):
    path = sample(5)

    call_command("import_data", "incidents", path, "--org", "ALPHA", "--commit", "--user", "manager")

    assert set(Incident.objects.values_list("created_by__username", flat=True)) == {"manager"}


def test_import_data_refuses_an_account_that_may_not_import_there(monitor, beta, sample):
    with pytest.raises(CommandError, match=r"^Vous ne pouvez pas importer pour cette organisation\.$"):
        call_command("import_data", "incidents", sample(3), "--org", "BETA", "--user", "monitor")
    assert not ImportJob.objects.exists()


def test_sample_file_has_realistic_valid_rows(admin, alpha, sample):
    path = sample(60, seed=7)

    call_command("import_data", "incidents", path, "--org", "ALPHA", "--commit")

    categories = set(Incident.objects.values_list("category_links__category", flat=True))
    assert {"life", "property"} <= categories
    assert Incident.objects.count() == 60


# --- The worker -----------------------------------------------------------------------------------


@pytest.fixture
def small_inline_limit(settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "IMPORT_INLINE_MAX_ROWS": 5}


def rows(count: int) -> bytes:
    return csv_bytes([incident_row(source_id=f"W-{n:03d}") for n in range(1, count + 1)])


def test_a_large_file_goes_to_the_worker(monitor, alpha, places, small_inline_limit, monkeypatch):
    monkeypatch.setattr(runner, "CHUNK_ROWS", 4)
    monkeypatch.setattr("sentinelle.ingest.services.COMMIT_CHUNK_ROWS", 4)

    job = upload(monitor, alpha, rows(12))
    assert (job.status, job.background, job.claimed_by) == ("uploaded", True, "")

    call_command("run_jobs", "--once")
    job.refresh_from_db()
    assert (job.status, job.valid_count, job.progress, job.claimed_by) == ("valid", 12, 12, "")
    assert Incident.objects.count() == 0

    job = commit(monitor, job)
    assert job.status == "committing"
    call_command("run_jobs", "--once")

    job.refresh_from_db()
    assert (job.status, job.created_count, job.unchanged_count, job.progress) == ("committed", 12, 0, 12)
    assert Incident.objects.count() == 12


def test_a_stale_claim_is_taken_over(monitor, alpha, places, small_inline_limit):
    job = upload(monitor, alpha, rows(8))
    ImportJob.objects.filter(pk=job.pk).update(
        status="validating",
        claimed_by="worker:dead-host:4242",
        claimed_at=timezone.now() - datetime.timedelta(hours=1),
        progress=3,
    )

    call_command("run_jobs", "--once")

    job.refresh_from_db()
    assert (job.status, job.valid_count, job.claimed_by, job.attempts) == ("valid", 8, "", 1)


def test_a_live_claim_is_left_alone(monitor, alpha, places, small_inline_limit):
    job = upload(monitor, alpha, rows(8))
    ImportJob.objects.filter(pk=job.pk).update(claimed_by="worker:busy:1", claimed_at=timezone.now())

    call_command("run_jobs", "--once")

    job.refresh_from_db()
    assert (job.status, job.claimed_by) == ("uploaded", "worker:busy:1")


def test_an_interrupted_commit_resumes_without_duplicates(
    monitor, alpha, places, small_inline_limit, monkeypatch
):
    monkeypatch.setattr("sentinelle.ingest.services.COMMIT_CHUNK_ROWS", 4)
    content = rows(10)
    # The first four rows were written before the worker died (progress and counts moved with them).
    first = commit(
        monitor,
        upload(monitor, alpha, csv_bytes([incident_row(source_id=f"W-{n:03d}") for n in range(1, 5)])),
    )
    assert first.created_count == 4
    job = upload(monitor, alpha, content)
    call_command("run_jobs", "--once")
    job = commit(monitor, ImportJob.objects.get(pk=job.pk))
    ImportJob.objects.filter(pk=job.pk).update(
        progress=4,
        created_count=4,
        claimed_by="worker:dead-host:1",
        claimed_at=timezone.now() - datetime.timedelta(hours=1),
    )

    call_command("run_jobs", "--once")

    job.refresh_from_db()
    assert (job.status, job.created_count, job.unchanged_count, job.progress) == ("committed", 10, 0, 10)
    assert Incident.objects.count() == 10
    assert len(set(Incident.objects.values_list("source_id", flat=True))) == 10


def test_a_job_that_keeps_dying_is_failed(monitor, alpha, places, small_inline_limit):
    job = upload(monitor, alpha, rows(8))
    ImportJob.objects.filter(pk=job.pk).update(
        attempts=3, claimed_by="worker:dead:1", claimed_at=timezone.now() - datetime.timedelta(hours=1)
    )

    call_command("run_jobs", "--once")

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.failure == "Le traitement a été interrompu 3 fois ; envoyez de nouveau le fichier."


def test_an_unexpected_error_fails_the_job_and_writes_nothing(monitor, alpha, places, monkeypatch):
    from sentinelle.ingest.kinds import get_kind

    def broken(**kwargs):
        raise RuntimeError("disk full")

    job = upload(monitor, alpha, rows(3))
    monkeypatch.setattr(get_kind("incidents"), "commit", broken)

    job = commit(monitor, job)

    assert job.status == "failed"
    assert job.failure.startswith("Une erreur interne a arrêté l'import")
    assert Incident.objects.count() == 0
    assert errors_of(job) == []
