"""4W reporting pages: entry, review, periods, the 4W matrix; 404 alike; bounded queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from sentinelle.activities.models import Activity, ActivityReport, ReportingPeriod
from sentinelle.activities.services.reporting import period_get_or_create
from sentinelle.activities.tests.factories_reporting import (  # noqa: F401  (fixture)
    ActivityFactory,
    ProjectFactory,
    ReportFactory,
    places_fixture,
    this_month,
)
from sentinelle.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def form_data(places, **values) -> dict:
    month = this_month()
    data = {
        "month": month.strftime("%Y-%m"),
        "activity_type": "pss_session",
        "title": "Groupe de parole",
        "region": "ML05",
        "cercle": "ML0501",
        "commune": "ML050101",
        "start_date": (month + datetime.timedelta(days=1)).isoformat(),
        "end_date": (month + datetime.timedelta(days=1)).isoformat(),
        "status": "completed",
        "b_idp_f_18_59": "14",
        "b_idp_m_12_17": "6",
    }
    data.update(values)
    return data


def test_partner_adds_an_activity_through_the_form(signed_in, manager, alpha, places):
    project = ProjectFactory(organisation=alpha, code="PROTECT-DRC")
    client = signed_in(manager)
    page = client.get(reverse("activities:activity-create"))
    assert page.status_code == 200
    assert b"Dourou" not in page.content  # communes come once the cercle is chosen

    response = client.post(
        reverse("activities:activity-create"), form_data(places, project=str(project.public_id))
    )

    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:report-detail", args=[activity.report.public_id])
    assert (activity.area, activity.project, activity.activity_type) == (
        places["dourou"],
        project,
        "pss_session",
    )
    assert sorted(activity.beneficiaries.values_list("sex", "age_group", "population_status", "count")) == [
        ("f", "18_59", "idp", 14),
        ("m", "12_17", "idp", 6),
    ]


def test_form_errors_are_shown_and_nothing_saved(signed_in, manager, places):
    response = signed_in(manager).post(
        reverse("activities:activity-create"),
        form_data(places, start_date="2019-01-01", cercle="", commune=""),
    )

    assert response.status_code == 200
    assert Activity.objects.count() == 0
    assert set(response.context["form"].errors) == {"cercle"}


def test_service_errors_land_on_their_fields(signed_in, manager, places):
    response = signed_in(manager).post(
        reverse("activities:activity-create"), form_data(places, start_date="2019-01-01")
    )

    assert response.status_code == 200
    assert Activity.objects.count() == 0
    assert set(response.context["form"].errors) == {"start_date"}


def test_location_part_lists_the_communes_of_the_cercle(signed_in, manager, places):
    response = signed_in(manager).post(
        reverse("activities:activity-form-part"), {"region": "ML05", "cercle": "ML0501"}
    )

    assert response.status_code == 200
    assert b"Dourou" in response.content and "Pélengana" not in response.content.decode()


def test_submit_and_validate_through_the_pages(signed_in, client, manager, imo, alpha, places):
    report = ActivityFactory(report=ReportFactory(organisation=alpha), area=places["dourou"]).report
    signed_in(manager).post(reverse("activities:report-submit", args=[report.public_id]))
    report.refresh_from_db()
    assert report.status == "submitted"

    client.logout()
    page = signed_in(imo).get(reverse("activities:report-list"))
    assert report.organisation.acronym.encode() in page.content
    client.post(reverse("activities:report-validate", args=[report.public_id]))
    report.refresh_from_db()
    assert report.status == "validated"


def test_return_without_comment_is_explained(signed_in, imo, alpha, places):
    report = ReportFactory(organisation=alpha, status="submitted")

    response = signed_in(imo).post(reverse("activities:report-return", args=[report.public_id]), follow=True)

    with translation.override("fr"):
        expected = translation.gettext("Say what the organisation must correct.")
    assert expected in [str(m) for m in response.context["messages"]]
    report.refresh_from_db()
    assert report.status == "submitted"


@pytest.mark.parametrize("name", ["activities:report-detail", "activities:report-submit"])
def test_outsider_gets_404_on_another_organisations_report(signed_in, outsider, alpha, name):
    report = ReportFactory(organisation=alpha)
    client = signed_in(outsider)

    response = (
        client.post(reverse(name, args=[report.public_id]))
        if "submit" in name
        else client.get(reverse(name, args=[report.public_id]))
    )

    assert response.status_code == 404
    report.refresh_from_db()
    assert report.status == "draft"


def test_imo_gets_404_on_a_draft_report(signed_in, imo, alpha):
    report = ReportFactory(organisation=alpha)

    assert signed_in(imo).get(reverse("activities:report-detail", args=[report.public_id])).status_code == 404


def test_caseworker_of_another_area_gets_404_on_the_activity(signed_in, caseworker_other_area, alpha, places):
    activity = ActivityFactory(report=ReportFactory(organisation=alpha), area=places["dourou"])

    for name in ("activities:activity-detail", "activities:activity-edit"):
        assert (
            signed_in(caseworker_other_area).get(reverse(name, args=[activity.public_id])).status_code == 404
        )


def test_reader_cannot_report(signed_in, reader):
    assert signed_in(reader).get(reverse("activities:activity-create")).status_code == 403
    assert signed_in(reader).get(reverse("activities:report-list")).status_code == 403


def test_period_pages_lock_publish_and_reopen(signed_in, client, imo, admin, alpha):
    period = period_get_or_create(this_month())
    signed_in(imo)
    assert client.get(reverse("activities:period-list")).status_code == 200
    client.post(reverse("activities:period-lock", args=[period.public_id]))
    client.post(reverse("activities:period-publish", args=[period.public_id]))
    assert client.post(reverse("activities:period-reopen", args=[period.public_id])).status_code == 403
    period.refresh_from_db()
    assert period.is_locked and period.fourw_published_at is not None

    client.logout()
    signed_in(admin).post(reverse("activities:period-reopen", args=[period.public_id]))
    period.refresh_from_db()
    assert not period.is_locked


def _many_reports(alpha, beta, places, count=4):
    for index in range(count):
        month = (this_month() - datetime.timedelta(days=31 * index)).replace(day=1)
        period = ReportingPeriod.objects.get_or_create(month=month)[0]
        for organisation in (alpha, beta):
            report = ReportFactory(organisation=organisation, period=period, status="validated")
            for area in (places["dourou"], places["pelengana"], places["douentza"]):
                ActivityFactory(
                    report=report,
                    area=area,
                    project=ProjectFactory(organisation=organisation),
                    reached=[("f", "18_59", "idp", 3), ("m", "0_5", "host", 2)],
                )
        period.status = "locked"
        period.fourw_published_at = period.created_at
        period.save()


def test_report_list_queries_are_bounded(signed_in, imo, alpha, beta, places, django_assert_max_num_queries):
    _many_reports(alpha, beta, places)
    client = signed_in(imo)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("activities:report-list"))

    assert response.status_code == 200
    assert ActivityReport.objects.count() == 8


def test_fourw_matrix_queries_are_bounded_and_totals_right(
    signed_in, reader, alpha, beta, places, django_assert_max_num_queries
):
    _many_reports(alpha, beta, places)
    client = signed_in(reader)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("activities:fourw-matrix"))

    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary.total == [24, 120]
    assert summary.row_totals["ALPHA"] == [12, 60]
    assert summary.column_totals["ML0501"] == [8, 40]


def test_fourw_filters(signed_in, reader, alpha, beta, places):
    _many_reports(alpha, beta, places, count=2)
    client = signed_in(reader)

    response = client.get(
        reverse("activities:fourw-matrix"),
        {"organisation": "ALPHA", "area": "ML05", "month": this_month().strftime("%Y-%m")},
    )

    rows = response.context["activities"]
    assert len(rows) == 2
    assert {row.organisation.acronym for row in rows} == {"ALPHA"}
    assert {row.area.pcode for row in rows} == {"ML050101", "ML0503"}


def test_unpublished_months_stay_hidden_from_readers(signed_in, reader, imo, alpha, places):
    report = ReportFactory(organisation=alpha, status="validated")
    ActivityFactory(report=report, area=places["dourou"])

    assert signed_in(reader).get(reverse("activities:fourw-matrix")).context["activities"] == []
    assert len(signed_in(imo).get(reverse("activities:fourw-matrix")).context["activities"]) == 1


def test_programme_pages(signed_in, reader, imo, alpha, places):
    from sentinelle.activities.tests.factories_reporting import ProgrammeFactory

    programme = ProgrammeFactory(code="PROTECT", lead_organisation=alpha, budget=11270000)
    ProjectFactory(programme=programme, organisation=alpha, code="PROTECT-ALPHA")
    client = signed_in(reader)

    listing = client.get(reverse("activities:programme-list"))
    detail = client.get(reverse("activities:programme-detail", args=[programme.public_id]))

    assert b"PROTECT" in listing.content
    assert b"PROTECT-ALPHA" in detail.content and b"CHF" in detail.content
    assert client.get(reverse("activities:programme-create")).status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).exists()


def test_imo_opens_a_period_ahead(signed_in, imo, manager):
    signed_in(imo).post(reverse("activities:period-open"), {"month": "2026-12"})

    assert ReportingPeriod.objects.filter(month=datetime.date(2026, 12, 1)).exists()


def test_partner_cannot_open_a_period(signed_in, manager):
    response = signed_in(manager).post(reverse("activities:period-open"), {"month": "2026-12"})

    assert response.status_code == 403
    assert not ReportingPeriod.objects.exists()


def test_activity_page_edit_and_remove(signed_in, manager, alpha, places):
    client = signed_in(manager)
    client.post(
        reverse("activities:activity-create"),
        form_data(places, activity_type="training", training_topic="Gestion de cas", p_police_m="7"),
    )
    activity = Activity.objects.get()
    assert activity.training.participants.get().count == 7

    page = client.get(reverse("activities:activity-detail", args=[activity.public_id]))
    assert page.status_code == 200 and b"Gestion de cas" in page.content
    form = client.get(reverse("activities:activity-edit", args=[activity.public_id]))
    assert form.status_code == 200
    assert form.context["form"].initial["b_idp_f_18_59"] == 14

    client.post(
        reverse("activities:activity-edit", args=[activity.public_id]),
        form_data(places, title="Corrigé", commune="", b_idp_f_18_59="20"),
    )
    activity.refresh_from_db()
    assert (activity.title, activity.area, activity.activity_type) == (
        "Corrigé",
        places["bandiagara"],
        "pss_session",
    )
    assert (
        not hasattr(activity, "training")
        or not type(activity).objects.filter(training__isnull=False).exists()
    )

    client.post(reverse("activities:activity-archive", args=[activity.public_id]))
    activity.refresh_from_db()
    assert activity.is_archived
    report = client.get(reverse("activities:report-detail", args=[activity.report.public_id]))
    assert report.context["activities"] == []


def test_validated_report_shows_no_edit_controls(signed_in, manager, alpha, places):
    report = ReportFactory(organisation=alpha, status="validated")
    activity = ActivityFactory(report=report, area=places["dourou"])
    client = signed_in(manager)

    page = client.get(reverse("activities:report-detail", args=[report.public_id]))
    assert page.context["can_edit"] is False
    client.post(
        reverse("activities:activity-edit", args=[activity.public_id]), form_data(places, title="Interdit")
    )
    activity.refresh_from_db()
    assert activity.title == ""


def test_unknown_filter_value_matches_nothing(signed_in, reader, alpha, beta, places):
    _many_reports(alpha, beta, places, count=1)

    response = signed_in(reader).get(reverse("activities:fourw-matrix"), {"organisation": "NOBODY"})

    assert response.status_code == 200
    assert list(response.context["activities"]) == []


def test_the_4w_matrix_pages_its_activities_in_the_same_queries(signed_in, imo, alpha, beta, places):
    """Issue 15, item 11: a page of 25 activities, the summary still over all of them, and as many queries
    for 3 months of reports as for 6 (no query per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sentinelle.activities.views.reporting import FOURW_PAGE_SIZE

    client = signed_in(imo)
    counts = []
    for months in (3, 6):
        Activity.objects.all().delete()
        _many_reports(alpha, beta, places, count=months)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("activities:fourw-matrix"))
        counts.append(len(queries))
    assert counts[0] == counts[1]
    page = response.context["page"]
    assert (page.paginator.count, len(page.object_list)) == (36, FOURW_PAGE_SIZE)
    assert response.context["summary"].total[0] == 36
    second = client.get(reverse("activities:fourw-matrix"), {"page": 2})
    assert len(second.context["activities"]) == 36 - FOURW_PAGE_SIZE
    assert "page=" not in second.context["query"]  # exports take the filters, never the page
