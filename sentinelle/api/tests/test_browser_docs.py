"""In Chromium, on a desktop and on a phone: the API documentation fits the screen's width (issue 15,
item 13: it was 2,616 px wide) and reads French in the French interface."""

import pytest
from django.utils import translation

from sentinelle.api.views import resources

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1366, 768), "phone": (360, 740)}


@pytest.mark.parametrize("screen", SCREENS)
def test_the_api_docs_fit_the_screen(browser_page, screen):
    page = browser_page
    width = SCREENS[screen][0]
    page.set_viewport_size({"width": width, "height": SCREENS[screen][1]})
    page.goto("/api/v1/docs/")

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    with translation.override("fr"):
        assert page.get_by_text(str(resources.ApiRootView.api_description), exact=True).is_visible()
    stats = page.locator("table.api-table")
    assert stats.locator("tbody tr").count() >= 5
    assert stats.bounding_box()["width"] <= width
