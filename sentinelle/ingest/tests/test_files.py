"""The uploaded file: encrypted at rest, removed as soon as no step needs it."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from sentinelle.ingest.models import ImportFile, ImportJob
from sentinelle.ingest.services import files_purge
from sentinelle.ingest.tests.conftest import commit, csv_bytes, incident_row, upload

pytestmark = pytest.mark.django_db

SECRET = "Récit de Mariam, 17 ans, du village de Dourou"


def stored_content(job) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM ingest_importfile WHERE job_id = %s", [job.pk])
        return cursor.fetchone()[0]


def test_the_file_is_encrypted_at_rest_and_removed_once_imported(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(account=SECRET)]))

    raw = stored_content(job)
    assert raw.startswith("enc1:") and "Mariam" not in raw
    assert ImportFile.decode(ImportFile.objects.get(job=job).content).decode("utf-8-sig").count("Mariam") == 1

    commit(monitor, job)

    assert not ImportFile.objects.filter(job=job).exists()


def test_a_refused_file_is_not_kept(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row(adm3_code="ML059999", account=SECRET)]))
    empty = upload(monitor, alpha, b"")

    assert (job.status, empty.status) == ("invalid", "invalid")
    assert not ImportFile.objects.exists()


def test_a_valid_file_left_unimported_is_removed_after_the_delay(monitor, alpha, places):
    fresh = upload(monitor, alpha, csv_bytes([incident_row()]))
    old = upload(monitor, alpha, csv_bytes([incident_row(source_id="A-2")]))
    ImportJob.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(days=31))

    assert files_purge() == 1

    assert ImportFile.objects.filter(job=fresh).exists()
    assert not ImportFile.objects.filter(job=old).exists()
    old = commit(monitor, ImportJob.objects.get(pk=old.pk))
    assert (old.status, old.failure) == (
        "failed",
        "Le fichier de cet import n'est plus conservé ; envoyez-le de nouveau.",
    )


def test_the_worker_removes_files_no_longer_needed(monitor, alpha, places):
    job = upload(monitor, alpha, csv_bytes([incident_row()]))
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - datetime.timedelta(days=40))

    call_command("run_jobs", "--once")

    assert not ImportFile.objects.exists()
