"""In Chromium, on a desktop and on a phone: the 4W matrix of a demo-like volume (150 activities) shows
its activities a page at a time, so that the page stays a few screens tall (issue 15, item 11: it was
13,381 px), fits the screen's width, and the next page keeps the filters."""

import pytest

from sentinelle.activities.models import ReportStatus
from sentinelle.activities.tests.factories_reporting import (  # noqa: F401  (fixture)
    ActivityFactory,
    ReportFactory,
    places_fixture,
)
from sentinelle.activities.views.reporting import FOURW_PAGE_SIZE
from sentinelle.core.tests.browser import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1366, 768), "phone": (360, 740)}
MAX_HEIGHT = {"desktop": 4000, "phone": 7000}


@pytest.mark.parametrize("screen", SCREENS)
def test_the_4w_matrix_pages_its_activities(browser_page, imo, alpha, beta, places, screen):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), SCREENS[screen], strict=True)))
    for organisation, count in ((alpha, 80), (beta, 70)):
        report = ReportFactory(organisation=organisation, status=ReportStatus.VALIDATED)
        for index in range(count):
            area = places["dourou"] if index % 2 else places["pelengana"]
            ActivityFactory(
                report=report,
                area=area,
                title=f"Séance de sensibilisation communautaire n° {index}",
                reached=[("f", "18_59", "idp", 12 + index), ("m", "18_59", "idp", 9)],
            )
    browser_sign_in(page, "imo")

    page.goto("/activites/4w/")
    rows = page.get_by_test_id("fourw-table").locator("tbody tr")
    assert rows.count() == FOURW_PAGE_SIZE
    height, width = page.evaluate(
        "[document.documentElement.scrollHeight, document.documentElement.scrollWidth]"
    )
    assert height < MAX_HEIGHT[screen], f"{screen}: {height} px"
    assert width <= SCREENS[screen][0]
    # The summary still counts every activity.
    assert "150" in page.get_by_test_id("fourw-summary").locator("tfoot").inner_text()

    page.locator(".pagination a[rel=next]").click()
    page.wait_for_url("**page=2#activities")
    assert rows.count() == FOURW_PAGE_SIZE
