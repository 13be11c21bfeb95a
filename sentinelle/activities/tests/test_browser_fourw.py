"""In Chromium: a partner's manager records an activity in the month's 4W report and submits it; the IMO
validates it; the results framework's indicator computed from the 4W (people reached by awareness sessions)
then shows the new value, and the activity is in the 4W matrix. Selectors use field names and test ids:
they hold in either language.
"""

import datetime

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.activities.models import Activity, ActivityReport
from sentinelle.activities.tests.factories_reporting import (  # noqa: F401  (fixture)
    ProjectFactory,
    places_fixture,
)
from sentinelle.activities.tests.factories_results import make_framework, make_indicator, make_tree
from sentinelle.core.tests.browser import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_partner_submits_the_monthly_4w_and_the_imo_validates(
    browser_page, live_server, manager, imo, alpha, places
):
    project = ProjectFactory(organisation=alpha, code="PROTECT-ALPHA")
    device = TOTPDevice.objects.create(user=manager, name="phone", confirmed=True)
    month = timezone.localdate().replace(day=1)
    day = (month + datetime.timedelta(days=1)).isoformat()
    year = month.year
    framework = make_framework(
        alpha, code="PROTECT-CR", start=datetime.date(year, 1, 1), end=datetime.date(year, 12, 31)
    )
    indicator = make_indicator(
        framework,
        make_tree(framework)[2],
        "P1.1",
        {
            "kind": "value",
            "dataset": "activities",
            "measure": "people_reached",
            "filters": {"activity_type": "awareness"},
        },
        disaggregations=["sex"],
        targets=[(datetime.date(year, 1, 1), datetime.date(year, 12, 31), 100)],
    )
    indicator_url = f"/activites/indicateurs/{indicator.public_id}/?year={year}"
    page = browser_page
    browser_sign_in(page, "manager", device)

    # Record an activity: type, project, chained place selects, dates, people reached.
    page.goto(f"/activites/activite/nouvelle/?month={month:%Y-%m}")
    form = page.get_by_test_id("activity-form")
    form.locator("[name=activity_type]").select_option("awareness")
    form.locator("[name=project]").select_option(str(project.public_id))
    form.locator("[name=title]").fill("Sensibilisation sur la documentation civile")
    form.locator("[name=region]").select_option("ML05")
    page.locator("[name=cercle] option[value=ML0501]").wait_for(state="attached")
    # Each choice swaps the place selects (HTMX): let the swap settle before the next choice, or a late
    # answer to the region replaces the cercle just chosen.
    page.wait_for_load_state("networkidle")
    page.locator("[name=cercle]").select_option("ML0501")
    page.locator("[name=commune] option[value=ML050101]").wait_for(state="attached")
    page.locator("[name=commune]").select_option("ML050101")
    form.locator("[name=start_date]").fill(day)
    form.locator("[name=end_date]").fill(day)
    form.locator("[name=b_idp_f_18_59]").fill("23")
    form.locator("[name=b_idp_m_6_11]").fill("11")
    form.locator("button[name=save]").click()
    page.wait_for_url("**/activites/rapports/*/")
    activity = Activity.objects.get()
    assert activity.area == places["dourou"] and activity.project == project
    report = activity.report

    # Submit the month's report.
    page.get_by_test_id("submit-report").click()
    page.wait_for_load_state()
    report.refresh_from_db()
    assert report.status == "submitted"
    assert "warn" in page.get_by_test_id("report-status").locator(".badge").get_attribute("class").split()

    # The IMO (no two-factor for this role) finds it in the queue and validates it.
    other = page.context.browser.new_context(locale="fr-FR", base_url=live_server.url)
    other.set_default_timeout(15000)
    cluster = other.new_page()
    try:
        browser_sign_in(cluster, "imo")
        cluster.goto(indicator_url)
        assert "34" not in cluster.locator("table.table").first.inner_text()
        cluster.goto("/activites/rapports/")
        cluster.get_by_test_id("review-queue").locator(f"a[href$='{report.public_id}/']").click()
        cluster.wait_for_url(f"**/rapports/{report.public_id}/")
        cluster.get_by_test_id("validate-report").click()
        cluster.wait_for_load_state()
        report.refresh_from_db()
        assert report.status == "validated"
        assert ActivityReport.objects.get().reviewed_by == imo

        # The indicator page shows the new value (34 people reached against a target of 100).
        cluster.goto(indicator_url)
        by_year = cluster.locator("table.table").first.inner_text()
        assert "34" in by_year and "100" in by_year

        # The validated activity is in the 4W with its people reached (34: 23 women, 11 boys).
        cluster.goto(f"/activites/4w/?organisation=ALPHA&month={month:%Y-%m}")
        row = cluster.get_by_test_id("fourw-table").locator("tbody tr").first
        cells = row.locator("td").all_inner_texts()
        assert cells[0].startswith("ALPHA") and "Dourou" in cells[2]
        assert cells[4:10] == ["23", "11", "0", "11", "23", "34"]
    finally:
        other.close()


def test_the_form_shows_the_unknown_part_of_the_totals_as_they_are_typed(
    browser_page, live_server, manager, alpha, places
):
    # The PROSMED's public show: 872 people, 556 women, the men not given; a workshop of 26, 5 women.
    device = TOTPDevice.objects.create(user=manager, name="phone", confirmed=True)
    page = browser_page
    browser_sign_in(page, "manager", device)
    page.goto(f"/activites/activite/nouvelle/?month={timezone.localdate():%Y-%m}")
    form = page.get_by_test_id("activity-form")
    host = form.locator("details", has=page.locator("[name=reached_total_host]"))
    host.locator("summary").click()

    host.locator("[name=reached_total_host]").fill("872")
    host.locator("[name=reached_f_total_host]").fill("556")

    assert host.locator("[data-unknown=sex]").inner_text() == "316"
    assert host.locator("[data-unknown=age]").inner_text() == "872"
    form.locator("#section-training summary").click()
    form.locator("[name=p_magistrate_f]").fill("5")
    form.locator("[name=participants_magistrate]").fill("26")
    row = form.locator("tr", has=page.locator("[name=participants_magistrate]"))
    assert row.locator("[data-unknown=sex]").inner_text() == "21"
