"""In Chromium, on a desktop and on a phone: the dashboard's charts keep their text readable (the narrow
drawing on a phone: labels above the bars, at least 10 px), and the list of figures jumps to each one
(issue 15, item 14: labels shrank to about 5 px and the national dashboard is 5,100 px tall on a phone)."""

import pytest

from sentinelle.core.tests.browser import browser_sign_in
from sentinelle.reports.tests.dashboards_world import world_fixture  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1366, 768), "phone": (360, 740)}

# The rendered size of the smallest text of every visible chart, in CSS pixels.
SMALLEST_TEXT = """() => {
  let smallest = Infinity, charts = 0;
  for (const svg of document.querySelectorAll('svg.chart')) {
    if (!svg.getBoundingClientRect().width) continue;
    charts += 1;
    for (const text of svg.querySelectorAll('text')) {
      if (!text.getBoundingClientRect().height) continue;
      const size = parseFloat(getComputedStyle(text).fontSize) * svg.getScreenCTM().a;
      smallest = Math.min(smallest, size);
    }
  }
  return [charts, smallest];
}"""


@pytest.mark.parametrize("screen", SCREENS)
def test_charts_stay_readable_and_figures_are_a_jump_away(browser_page, world, imo, screen):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), SCREENS[screen], strict=True)))
    browser_sign_in(page, "imo")
    page.goto("/analyse/tableaux-de-bord/")

    charts, smallest = page.evaluate(SMALLEST_TEXT)
    assert charts >= 2
    assert smallest >= 10, f"{screen}: chart text drawn at {smallest:.1f} px"
    narrow = page.locator("svg.chart-narrow").first
    assert narrow.is_visible() == (screen == "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREENS[screen][0]

    menu = page.get_by_test_id("figure-menu")
    links = menu.locator("a")
    assert links.count() >= 4
    last = links.last
    key = last.get_attribute("href").lstrip("#")
    menu.locator("summary").click()
    last.click()
    page.wait_for_url(f"**#{key}")
    figure = page.locator(f"section#{key} h2")
    box = figure.bounding_box()
    assert 0 <= box["y"] < SCREENS[screen][1], "the chosen figure is on the screen"
    assert menu.get_attribute("open") is None, "the list folds once a figure is chosen"
    assert menu.locator("summary").is_visible(), "the list stays at hand (sticky)"
