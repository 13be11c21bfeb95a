"""In Chromium, on a desktop and on a phone (issue 15, "Field-ready"):
- item 4: text typed in the flash report before "Publier" stays on the page when publishing is refused;
- item 5: a monitor of the Mopti region is offered Mopti only in the incident form;
- item 8: the area filter of the incident list suggests areas by name, with their level;
- item 10: the cluster IMO creates an alert rule, picking its area by name.
"""

from urllib.parse import unquote

import pytest
from django.urls import reverse

from sentinelle.core.tests.browser import browser_sign_in
from sentinelle.monitoring.models import Alert, AlertRule, FlashReport
from sentinelle.monitoring.services.alert_rules import alert_rule_create
from sentinelle.monitoring.services.alerts import alerts_evaluate
from sentinelle.monitoring.tests.factories import cercle_of, commune_of, days_ago, make_incident, today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1366, 768), "phone": (360, 740)}


@pytest.fixture(params=SCREENS)
def page(request, browser_page):
    width, height = SCREENS[request.param]
    browser_page.set_viewport_size({"width": width, "height": height})
    return browser_page


@pytest.fixture
def places(mopti, segou):
    """Mopti the region, its cercle and its commune all named Mopti; Djenné; Ségou."""
    mopti_cercle = cercle_of(mopti, pcode="ML0501", name_fr="Mopti")
    return {
        "mopti_cercle": mopti_cercle,
        "mopti_commune": commune_of(mopti_cercle, pcode="ML050109", name_fr="Mopti"),
        "djenne": cercle_of(mopti, pcode="ML0505", name_fr="Djenné"),
        "segou_cercle": cercle_of(segou, pcode="ML0401", name_fr="Ségou"),
    }


def suggestions(page, selector: str, typed: str) -> list[str]:
    """Type into an area picker and wait for HTMX to fill its list; the values offered."""
    page.fill(selector, "")
    page.locator(f"{selector}-suggestions").evaluate("list => { list.innerHTML = ''; }")
    with page.expect_response(
        lambda response: "/suggestions/" in response.url and typed in unquote(response.url)
    ):
        page.locator(selector).press_sequentially(typed, delay=30)
    listed = f"{selector}-suggestions option"
    page.wait_for_selector(listed, state="attached")
    return page.locator(listed).evaluate_all("options => options.map(o => o.value)")


# --- Item 4 ------------------------------------------------------------------------------------------


def test_typed_text_survives_a_refused_publication(page, admin, imo, monitor, places):
    alert_rule_create(actor=admin, name="Toujours", kind=AlertRule.Kind.ALWAYS, threshold=1)
    incident = make_incident(
        actor=monitor,
        area=places["mopti_cercle"],
        status="submitted",
        date_start=days_ago(2),
        date_reported=today(),
    )
    # Submitting evaluated the rules once the transaction committed (this test commits for real).
    alert = Alert.objects.get() if Alert.objects.exists() else alerts_evaluate(incident_ids=[incident.pk])[0]
    report = alert.flash_report

    browser_sign_in(page, "imo")
    page.goto(reverse("monitoring:flash-report-edit", args=[report.public_id]))
    typed = "Trois villages touchés ; les familles ont fui vers Sévaré."
    page.fill("#id_what", typed)
    page.get_by_role("button", name="Publier la version 1").click()
    page.wait_for_load_state()

    # Refused (no immediate needs): the reason is next to the field, and the text is still there.
    assert page.input_value("#id_what") == typed
    assert page.locator("#id_immediate_needs ~ .errorlist, .errorlist").first.is_visible()
    report.refresh_from_db()
    assert report.status == FlashReport.Status.DRAFT and report.what == typed

    page.fill("#id_immediate_needs", "Abris, soins, eau.")
    page.get_by_role("button", name="Publier la version 1").click()
    page.wait_for_url(f"**{report.public_id}/")
    report.refresh_from_db()
    assert (report.status, report.what, report.published_by) == ("published", typed, imo)


# --- Item 5 ------------------------------------------------------------------------------------------


def test_a_monitor_of_mopti_is_offered_mopti_only(page, monitor, places):
    browser_sign_in(page, "monitor")
    page.goto(reverse("monitoring:incident-create"))

    regions = page.locator("#id_region option").all_inner_texts()
    cercles = page.locator("#id_cercle option").all_inner_texts()
    assert [r for r in regions if r != "—"] == ["Mopti"]
    assert page.input_value("#id_region") == "ML05"
    assert sorted(c for c in cercles if c != "—") == ["Djenné", "Mopti"]
    assert page.locator("#id_region").is_visible()


# --- Item 8 ------------------------------------------------------------------------------------------


def test_the_incident_list_filters_by_a_name_picked_from_suggestions(page, imo, monitor, places):
    make_incident(actor=monitor, area=places["mopti_commune"], status="submitted")
    make_incident(actor=monitor, area=places["djenne"], status="submitted")
    browser_sign_in(page, "imo")
    page.goto(reverse("monitoring:incident-list"))
    page.get_by_text("Filtrer la liste").click()

    offered = suggestions(page, "#id_area", "mopti")
    assert offered == ["Mopti (région, ML05)", "Mopti (cercle, ML0501)", "Mopti (commune, ML050109)"]
    assert suggestions(page, "#id_area", "djenne") == ["Djenné (cercle, ML0505)"]  # accents ignored

    page.fill("#id_area", "Mopti (commune, ML050109)")
    with page.expect_response(lambda response: "incidents" in response.url and "area=" in response.url):
        page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url("**area=*")
    rows = page.locator("#incident-results tbody tr")
    assert rows.count() == 1 and "Mopti" in rows.first.inner_text()


# --- Item 10 -----------------------------------------------------------------------------------------


def test_the_cluster_imo_creates_an_alert_rule(page, imo, places):
    browser_sign_in(page, "imo")
    page.goto(reverse("monitoring:alert-rule-list"))
    page.get_by_role("link", name="Nouvelle règle").click()
    page.wait_for_url("**/nouvelle/")
    page.fill("#id_name", "Pic à Djenné")
    page.check("input[name=kind][value=threshold]")
    assert suggestions(page, "#id_area", "djen") == ["Djenné (cercle, ML0505)"]
    page.fill("#id_area", "Djenné (cercle, ML0505)")
    page.select_option("#id_area_level", "2")
    page.fill("#id_threshold", "5")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/alertes/regles/")

    rule = AlertRule.objects.get()
    assert (rule.name, rule.area, rule.created_by) == ("Pic à Djenné", places["djenne"], imo)
    assert page.get_by_role("link", name="Pic à Djenné").is_visible()
