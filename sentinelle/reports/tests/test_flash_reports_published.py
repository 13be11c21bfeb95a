"""Published flash reports are on the reports page for every reader; drafts stay with the IMO."""

import pytest
from django.urls import reverse

from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.monitoring.services.flash_reports import flash_report_publish, flash_report_update
from sentinelle.monitoring.tests.test_flash_reports import ACCOUNT, commune, report  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(imo, report):  # noqa: F811
    flash_report_update(actor=imo, report=report, immediate_needs="Abris et soins.")
    return flash_report_publish(actor=imo, report=report)


def test_a_reader_finds_and_downloads_a_published_flash_report(signed_in, reader, published):
    client = signed_in(reader)
    page = client.get(reverse("reports:report-list")).content.decode()
    assert published.title in page
    url = reverse("reports:flash-report-pdf", args=[published.public_id])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(
        action=AuditAction.EXPORT, user=reader, object_id=str(published.public_id)
    ).exists()


def test_a_draft_flash_report_is_neither_listed_nor_downloadable(signed_in, reader, report):  # noqa: F811
    client = signed_in(reader)
    assert report.title not in client.get(reverse("reports:report-list")).content.decode()
    response = client.get(reverse("reports:flash-report-pdf", args=[report.public_id]))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT, user=reader).exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=reader).exists()


def test_the_published_pdf_keeps_the_account_out(signed_in, reader, published):
    import shutil
    import subprocess

    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    content = signed_in(reader).get(reverse("reports:flash-report-pdf", args=[published.public_id])).content
    command = [pdftotext, "-", "-"]
    text = subprocess.run(command, input=content, capture_output=True, check=True).stdout.decode()  # noqa: S603
    assert "Mariam" not in text and ACCOUNT not in text
