"""In Chromium, on a desktop and on a phone (issue 15, "Field-ready"):
- item 7: "Modifier" shows only on the figures the user may change; a missing page answers a French 404;
- items 5 and 8: the figure form's area picker suggests the monitor's own areas by name, with the level.
"""

from urllib.parse import unquote

import pytest
from django.urls import reverse

from sentinelle.core.tests.browser import browser_sign_in
from sentinelle.displacement.models import PopulationFigure
from sentinelle.displacement.tests.factories import d, make_figure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1366, 768), "phone": (360, 740)}


@pytest.fixture(params=SCREENS)
def page(request, browser_page):
    width, height = SCREENS[request.param]
    browser_page.set_viewport_size({"width": width, "height": height})
    return browser_page


def test_edit_shows_only_on_the_managers_own_figures(page, manager, alpha, beta, places):
    own = make_figure(places.dourou, alpha, round_date=d(2024, 3, 31), individuals=120)
    other = make_figure(places.kendie, beta, round_date=d(2024, 3, 31), individuals=340)
    browser_sign_in(page, manager, second_factor=True)
    page.goto(reverse("displacement:figure-list"))

    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    edit_links = page.get_by_role("link", name="Modifier")
    assert edit_links.count() == 1
    assert edit_links.first.get_attribute("href") == reverse("displacement:figure-edit", args=[own.public_id])
    other_row = rows.filter(has_text="BETA")
    assert other_row.get_by_role("link", name="Modifier").count() == 0

    edit_links.first.click()
    page.wait_for_url(f"**{own.public_id}/modifier/")
    # The page of a figure out of reach answers the same French "not found" as a missing page.
    page.goto(reverse("displacement:figure-edit", args=[other.public_id]))
    assert page.get_by_role("heading", name="Introuvable").is_visible()
    assert page.get_by_text("Cette page n'existe pas, ou elle ne vous est pas accessible.").is_visible()


def test_the_figure_form_suggests_the_monitors_areas_by_name(page, monitor, alpha, places):
    browser_sign_in(page, monitor, second_factor=True)
    page.goto(reverse("displacement:figure-create"))

    with page.expect_response(
        lambda response: "/suggestions/" in response.url and "pel" in unquote(response.url)
    ):
        page.locator("#id_area").press_sequentially("pel", delay=30)
    assert page.locator("#id_area-suggestions option").count() == 0  # Pélengana lies in Ségou

    page.fill("#id_area", "")
    with page.expect_response(
        lambda response: "/suggestions/" in response.url and "dou" in unquote(response.url)
    ):
        page.locator("#id_area").press_sequentially("dou", delay=30)
    page.wait_for_selector("#id_area-suggestions option", state="attached")
    offered = page.locator("#id_area-suggestions option").evaluate_all(
        "options => options.map(o => [o.value, o.label])"
    )
    assert ["Dourou (commune, ML050101)", "in Bandiagara (cercle)"] in offered or [
        "Dourou (commune, ML050101)",
        "dans Bandiagara (cercle)",
    ] in offered

    page.fill("#id_area", "Dourou (commune, ML050101)")
    page.fill("#id_round_date", "2024-03-31")
    page.select_option("#id_status", "idp")
    page.fill("#id_individuals", "75")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/deplacements/chiffres/")
    assert PopulationFigure.objects.get().area == places.dourou
