"""In Chromium: a monitor records an incident in French and submits it; the IMO opens it and verifies it."""

import pytest
from django.urls import reverse

from sentinelle.core.tests.browser import browser_sign_in
from sentinelle.monitoring.models import Incident, IncidentStatus
from sentinelle.monitoring.tests.factories import cercle_of, commune_of, days_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settled(page, selector):
    """HTMX has swapped `selector` in and wired it (it drops the htmx-added class just before)."""
    page.wait_for_selector(f"{selector}:not(.htmx-added)", state="attached")


def choose_place(page, select, value):
    # Marking the current part tells its replacement apart from it (the answer arrives before the swap).
    page.eval_on_selector("#location", "part => { part.dataset.replaced = 'yes'; }")
    with page.expect_response(lambda response: "part=location" in response.url) as answer:
        page.select_option(select, value)
    assert answer.value.ok
    settled(page, "#location:not([data-replaced])")
    assert page.locator(select).input_value() == value


def test_monitor_records_and_submits_then_imo_verifies(browser_page, monitor, imo, mopti):
    cercle = cercle_of(mopti, pcode="ML0501", name_fr="Mopti")
    commune_of(cercle, pcode="ML050101", name_fr="Socoura")
    page = browser_page

    browser_sign_in(page, "monitor")
    page.goto(reverse("monitoring:incident-create"))
    assert page.locator("html").get_attribute("lang") == "fr"
    page.fill("#id_date_start", days_ago(4).isoformat())
    page.fill("#id_date_reported", days_ago(1).isoformat())
    # The chained selects are re-drawn by HTMX after each choice: each choice posts the location part once,
    # and the next choice waits until that answer is swapped in and wired.
    choose_place(page, "#id_region", "ML05")
    # Without a region every cercle is listed, grouped by region: the groups go once the region is known.
    assert page.locator("#id_cercle optgroup").count() == 0
    choose_place(page, "#id_cercle", "ML0501")
    assert page.locator("#id_commune option[value='ML050101']").count() == 1
    choose_place(page, "#id_commune", "ML050101")
    page.check("input[name=categories][value=life]")
    page.select_option("#id_perpetrator_category", "nsag")
    page.fill("#id_summary", "Deux hommes tués sur la route du marché.")
    page.fill("#id_account", "Récit recueilli lors d'un entretien, sans nom.")
    page.fill("#id_v_killed_m_18_59", "2")
    page.select_option("#id_source_mechanism", "monitoring_interview")
    page.click("button[name=save_submit]")
    page.wait_for_url("**/surveillance/incidents/*-*/")

    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.SUBMITTED
    assert incident.area.pcode == "ML050101" and incident.killed_total == 2

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/compte/connexion/**")
    browser_sign_in(page, "imo")
    page.goto(reverse("monitoring:incident-list"))
    page.get_by_role("link", name=incident.reference).click()
    page.wait_for_url(f"**{incident.public_id}/")
    with page.expect_navigation():
        page.click("form[action$='/verifier/'] button")
    assert page.locator("form[action$='/verifier/']").count() == 0  # nothing left to verify

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.VERIFIED
    assert incident.reviewed_by == imo
