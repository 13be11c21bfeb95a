# ruff: noqa: F811 (the fixtures of reports_world are imported, then used as arguments)
"""Reports: generating, versioning, publishing, who may do what, and the pages."""

import pytest
from django.contrib.messages import constants
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.reports.models import Report, ReportKind, ReportStatus, ReportVersion
from sentinelle.reports.services import report_generate, report_narrative_update, report_publish
from sentinelle.reports.tests.reports_world import cercle, month, recorded  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(imo, recorded, month):
    return report_generate(
        actor=imo, kind=ReportKind.MONTHLY_ANALYSIS, period_start=month[0], period_end=month[1]
    )


def test_generate_writes_version_one_with_a_prefilled_narrative(report, imo):
    assert report.status == ReportStatus.DRAFT and report.organisation.acronym == "CLUSTER"
    version = report.current_version
    assert version.number == 1 and version.created_by == imo
    assert set(version.narrative) == {"context", "threats", "effects", "capacities"}
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="reports.report").count() == 1


def test_editing_the_narrative_creates_a_new_version(report, imo):
    narrative = {**report.current_version.narrative, "context": "Contexte révisé."}
    report_narrative_update(actor=imo, report=report, narrative=narrative)
    report.refresh_from_db()
    assert report.current_version.number == 2
    assert report.current_version.narrative["context"] == "Contexte révisé."
    assert report.current_version.figures == ReportVersion.objects.get(report=report, number=1).figures
    # Unchanged text: no new version.
    report_narrative_update(actor=imo, report=report, narrative=narrative)
    assert report.versions.count() == 2


def test_a_version_is_immutable(report):
    version = report.current_version
    version.narrative = {"context": "Changé en douce"}
    with pytest.raises(ValidationError):
        version.save()
    assert ReportVersion.objects.get(pk=version.pk).narrative != {"context": "Changé en douce"}


def test_publish_freezes_the_version_readers_see(report, imo):
    report_publish(actor=imo, report=report)
    published = report.current_version
    assert report.status == ReportStatus.PUBLISHED and report.published_version == published
    with pytest.raises(ValidationError):
        report_publish(actor=imo, report=report)
    report_narrative_update(actor=imo, report=report, narrative={"context": "Suite."})
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and report.current_version.number == 2
    assert report.published_version == published  # still what readers see


def test_regenerating_refreshes_the_figures_and_keeps_the_narrative(report, imo, month):
    report_narrative_update(actor=imo, report=report, narrative={"context": "Texte de l'IMO."})
    again = report_generate(
        actor=imo, kind=ReportKind.MONTHLY_ANALYSIS, period_start=month[0], period_end=month[1]
    )
    assert again.pk == report.pk and again.current_version.number == 3
    assert again.current_version.narrative["context"] == "Texte de l'IMO."


def test_reader_and_manager_cannot_generate_the_monthly_analysis(reader, manager, month, recorded):
    for actor in (reader, manager):
        before = (Report.objects.count(), ReportVersion.objects.count())
        with pytest.raises(PermissionDenied):
            report_generate(
                actor=actor, kind=ReportKind.MONTHLY_ANALYSIS, period_start=month[0], period_end=month[1]
            )
        assert (Report.objects.count(), ReportVersion.objects.count()) == before
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=reader).exists()


def test_manager_of_another_organisation_cannot_edit_or_publish(report, manager, outsider):
    for actor in (manager, outsider):
        with pytest.raises(PermissionDenied):
            report_narrative_update(actor=actor, report=report, narrative={"context": "Non."})
        with pytest.raises(PermissionDenied):
            report_publish(actor=actor, report=report)
    report.refresh_from_db()
    assert report.versions.count() == 1 and report.published_version is None


# --- Pages -----------------------------------------------------------------------------------------


def test_reader_sees_only_published_reports(report, imo, reader, signed_in):
    client = signed_in(reader)
    assert report.title not in client.get(reverse("reports:report-list")).content.decode()
    detail = reverse("reports:report-detail", args=[report.public_id])
    assert client.get(detail).status_code == 404
    assert client.get(reverse("reports:report-pdf", args=[report.public_id])).status_code == 404
    report_publish(actor=imo, report=report)
    page = client.get(reverse("reports:report-list")).content.decode()
    assert report.title in page and reverse("reports:report-pdf", args=[report.public_id]) in page
    response = client.get(detail)
    assert response.status_code == 200 and "&lt;5" in response.content.decode()


def test_reader_cannot_generate_or_publish(report, reader, signed_in, month):
    client = signed_in(reader)
    before = (Report.objects.count(), ReportVersion.objects.count())
    assert client.get(reverse("reports:report-monthly-generate")).status_code == 403
    assert (
        client.post(reverse("reports:report-monthly-generate"), {"month": f"{month[0]:%Y-%m}"}).status_code
        == 403
    )
    assert client.post(reverse("reports:report-publish", args=[report.public_id])).status_code == 403
    assert (Report.objects.count(), ReportVersion.objects.count()) == before
    report.refresh_from_db()
    assert report.published_version is None


def test_imo_generates_edits_and_publishes_through_the_pages(imo, signed_in, recorded, month):
    client = signed_in(imo)
    assert client.get(reverse("reports:report-monthly-generate")).status_code == 200
    response = client.post(reverse("reports:report-monthly-generate"), {"month": f"{month[0]:%Y-%m}"})
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"{report.public_id}/")
    page = client.get(reverse("reports:report-detail", args=[report.public_id])).content.decode()
    assert "3*" in page  # the analyst's draft preview: exact, marked
    edit = reverse("reports:report-narrative", args=[report.public_id])
    assert client.get(edit).status_code == 200
    client.post(edit, {"context": "A", "threats": "B", "effects": "C", "capacities": "D"})
    assert report.versions.count() == 2
    client.post(reverse("reports:report-publish", args=[report.public_id]))
    report.refresh_from_db()
    assert report.published_version.number == 2


def test_downloads_are_audited(report, imo, signed_in):
    client = signed_in(imo)
    response = client.get(reverse("reports:report-xlsx", args=[report.public_id]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("at")
    assert entry.detail["format"] == "xlsx" and entry.detail["version"] == 1


def test_the_list_page_queries_are_bounded(report, imo, signed_in, django_assert_max_num_queries):
    client = signed_in(imo)
    report_publish(actor=imo, report=report)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("reports:report-list")).status_code == 200


def test_the_report_page_queries_are_bounded(report, imo, reader, signed_in, django_assert_max_num_queries):
    report_publish(actor=imo, report=report)
    client = signed_in(reader)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("reports:report-detail", args=[report.public_id]))
    assert response.status_code == 200


def test_generate_refuses_every_problem_at_once(imo, month):
    with pytest.raises(ValidationError) as refused:
        report_generate(
            actor=imo, kind=ReportKind.PROGRAMME_QUARTERLY, period_start=month[1], period_end=month[0]
        )

    assert set(refused.value.message_dict) == {"framework", "__all__"}
    assert not Report.objects.exists()


def test_publishing_twice_shows_the_refusal_as_a_message(report, imo, signed_in):
    client = signed_in(imo)
    publish = reverse("reports:report-publish", args=[report.public_id])
    client.post(publish, follow=True)  # published, its message shown
    audit_before = AuditEntry.objects.count()

    response = client.post(publish, follow=True)

    # One message, the refusal (not "Version 1 is published."), and nothing written.
    assert [message.level for message in response.context["messages"]] == [constants.ERROR]
    assert AuditEntry.objects.count() == audit_before
