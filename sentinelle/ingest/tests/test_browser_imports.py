"""In Chromium, at a desktop width (1366 px) and a phone width (360 px): a user uploads a partner's file
in its own words, maps its values on the job's page and imports it (a GBV service provider's case worker:
the file holds a GBV survivor's details); a monitor's file with several errors per row lists them all.
Nothing may stick out of the page at either width (a wide table scrolls in its own box).
Selectors use field names and test ids: they hold in either language.
"""

import os

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.core.tests.browser import browser_sign_in
from sentinelle.ingest.models import ImportJob
from sentinelle.ingest.tests.conftest import FIXTURES
from sentinelle.monitoring.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1366, 360]


def nothing_sticks_out(page, width: int) -> None:
    """The page is no wider than the window, and every field of the mapping form lies inside it."""
    wide = page.locator("body *").evaluate_all(
        f"nodes => nodes.filter(n => n.getBoundingClientRect().right > {width} && !n.closest('.table-wrap'))"
        ".map(n => n.tagName + '.' + n.className + ' ' + (n.textContent || '').slice(0, 60))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
    for box in page.locator("main select, main input, main button").evaluate_all(
        "nodes => nodes.map(n => n.getBoundingClientRect()).map(r => [r.left, r.right])"
    ):
        assert box[0] >= 0 and box[1] <= width, box


def screenshot(page, name: str) -> None:
    """A full-page picture to look at, when SENTINELLE_SCREENSHOTS names a directory."""
    directory = os.environ.get("SENTINELLE_SCREENSHOTS")
    if directory:
        page.screenshot(path=os.path.join(directory, name), full_page=True)


def upload(page, width: int, name: str, source: str = "") -> None:
    page.goto(reverse("ingest:job-upload"))
    page.select_option("[name=kind]", "incidents")
    page.fill("[name=source]", source)
    screenshot(page, f"upload-{width}.png")
    nothing_sticks_out(page, width)
    page.set_input_files("[name=file]", str(FIXTURES / name))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url("**/imports/*-*/")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_partner_file_is_mapped_and_imported(browser_page, caseworker_in_area, alpha, mali_mopti, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    # AMSS's file carries a GBVIMS survivor's details (row 0303): a GBV service provider's case worker
    # imports it (a monitor's row would be refused: issue 14, point 2).
    device = TOTPDevice.objects.create(user=caseworker_in_area, name="phone", confirmed=True)
    browser_sign_in(page, "cw_mopti", device)

    upload(page, width, "p5_amss_monitoring_hxl.csv", "Kobo AMSS Mopti")

    form = page.get_by_test_id("mapping-form")
    selects = form.locator("select[name^=map-]")
    assert selects.count() == 12
    screenshot(page, f"mapping-{width}.png")
    nothing_sticks_out(page, width)
    for index in range(selects.count()):
        select = selects.nth(index)
        # The first suggestion: the option right after "choose".
        select.select_option(index=1)
    form.locator("button[type=submit]").click()
    page.wait_for_selector("form[action$='/importer/'] button")
    assert Incident.objects.count() == 0
    screenshot(page, f"mapped-{width}.png")
    nothing_sticks_out(page, width)
    # The values mapped are listed, and each choice can still be changed before the import.
    remembered = page.get_by_test_id("remembered")
    remembered.locator("summary").first.click()
    assert remembered.locator("li").count() == 12
    remembered.locator("details summary").click()
    assert remembered.locator("select[name^=map-]").count() == 12
    screenshot(page, f"remembered-{width}.png")
    nothing_sticks_out(page, width)
    page.click("form[action$='/importer/'] button")
    page.wait_for_load_state("networkidle")
    assert Incident.objects.count() == 5
    assert ImportJob.objects.get().status == "committed"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_error_is_listed_without_sticking_out(browser_page, monitor, alpha, mali_mopti, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_sign_in(page, "monitor")

    upload(page, width, "p6_erreurs_multiples.csv")

    rows = page.get_by_test_id("errors").locator("tbody tr")
    assert rows.count() == 15
    screenshot(page, f"errors-{width}.png")
    nothing_sticks_out(page, width)
