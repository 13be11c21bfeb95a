"""In Chromium: the header is one line on a phone, its menu behind a button that opens and closes it
(aria-expanded) and works without JavaScript too; on a desktop the navigation shows as before
(issue 15, item 14: the header took 190-215 px of a 740 px screen)."""

import pytest

from sentinelle.core.tests.browser import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1366, 768), "phone": (360, 740)}


def _header_height(page) -> float:
    return page.locator("header.top").bounding_box()["height"]


@pytest.mark.parametrize("screen", SCREENS)
def test_the_header_is_compact_with_a_menu_on_a_phone(browser_page, imo, screen):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), SCREENS[screen], strict=True)))
    browser_sign_in(page, "imo")
    page.goto("/analyse/tableaux-de-bord/")
    nav = page.get_by_role("navigation", name="Navigation principale")
    button = page.get_by_test_id("menu-button")

    if screen == "desktop":
        assert not button.is_visible()
        assert nav.get_by_role("link", name="Incidents").is_visible()
        assert _header_height(page) <= 100
        return

    assert _header_height(page) <= 80
    assert not nav.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert nav.get_by_role("link", name="Incidents").is_visible()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert not nav.is_visible()
    button.click()
    nav.get_by_role("link", name="Incidents").click()
    page.wait_for_url("**/surveillance/**")
    assert not page.get_by_role("navigation", name="Navigation principale").is_visible()


def test_the_phone_menu_opens_without_javascript(live_server, imo, browser_page):
    page = browser_page
    context = page.context.browser.new_context(
        locale="fr-FR",
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": 360, "height": 740},
    )
    try:
        plain = context.new_page()
        browser_sign_in(plain, "imo")
        nav = plain.get_by_role("navigation", name="Navigation principale")
        assert not nav.is_visible()
        plain.get_by_test_id("menu-button").click()
        assert nav.get_by_role("link", name="Incidents").is_visible()
        plain.get_by_test_id("menu-close").click()
        assert not nav.is_visible()
    finally:
        context.close()
