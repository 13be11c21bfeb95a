"""In Chromium: the IMO filters the national dashboard to one region and one quarter and downloads a table."""

import csv
import datetime

import pytest
from django.urls import reverse

from sentinelle.core.tests.browser import browser_sign_in
from sentinelle.monitoring.tests.factories import days_ago
from sentinelle.reports.tests.dashboards_world import world_fixture  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def quarter_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = day.replace(month=first_month, day=1)
    next_start = (start.replace(day=28) + datetime.timedelta(days=95)).replace(day=1)
    return start, next_start - datetime.timedelta(days=1)


def test_imo_filters_to_a_region_and_a_quarter_and_downloads_the_table(browser_page, world, imo):
    page = browser_page
    start, end = quarter_of(days_ago(10))  # the quarter of the world's incidents
    browser_sign_in(page, "imo")
    page.goto(reverse("reports:dashboard-national"))
    assert page.locator("html").get_attribute("lang") == "fr"
    page.fill("#id_area", "Mopti")
    page.fill("#id_date_from", start.isoformat())
    page.fill("#id_date_to", end.isoformat())
    with page.expect_navigation():
        page.click(".dash-filters button[type=submit]")
    assert "area=Mopti" in page.url
    # The map now breaks Mopti down by cercle.
    section = page.locator("section#incidents_map")
    assert "Bandiagara" in section.locator("svg title").first.text_content()
    with page.expect_download() as info:
        section.locator("a", has_text="CSV").click()
    download = info.value
    assert download.suggested_filename == f"sentinelle-incidents_map-{end.isoformat()}.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    # The analysts' legend above the headers, then the HXL row, then exact figures (marked † where a
    # reader's would differ).
    assert "*" in rows[0][0] and "†" in rows[0][0]
    assert rows[2] == ["#adm2+code", "#adm2+name", "#event+num"]
    assert [*rows[3][:2], rows[3][2].rstrip("†")] == ["ML0501", "Bandiagara", "8"]
    assert [rows[4][1], rows[4][2].rstrip("†")] == ["Total", "8"]
