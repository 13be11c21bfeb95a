"""In Chromium: a case worker registers a person, opens a case, records the referral consent and refers to
a service of another organisation; that organisation's focal point accepts and completes; the case
worker sees it and closes the case. Selectors use field names and test ids: they hold in either language.
"""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.cases.models import Case, CaseStatus, Consent, Person, Referral, ReferralStatus
from sentinelle.cases.tests.factories_cases import commune_in, make_service
from sentinelle.core.tests.browser import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_referral_loop_between_two_organisations(
    browser_page, live_server, caseworker_in_area, focal_point, mopti, beta
):
    commune = commune_in(mopti, "Sévaré")
    service = make_service(beta, commune, "health", focal_points=[focal_point], name="CSCOM Sévaré")
    device = TOTPDevice.objects.create(user=caseworker_in_area, name="phone", confirmed=True)
    page = browser_page
    browser_sign_in(page, "cw_mopti", device)

    # Search before create, then register with the same data.
    page.goto("/cas/personnes/recherche/")
    page.locator("[name=given_name]").fill("Mariam")
    page.locator("[name=family_name]").fill("Coulibaly")
    page.locator("[name=age]").fill("27")
    page.locator("[name=sex]").select_option("f")
    page.locator("[name=commune]").fill("Sévaré")
    page.locator("button[name=search]").click()
    page.get_by_test_id("no-candidate").wait_for()
    page.locator("button[name=register]").click()
    page.wait_for_url("**/cas/personnes/*/")
    person = Person.objects.get()
    assert "Mariam" not in page.url

    # Open a case.
    page.locator("[name=case_type]").select_option("gbv")
    page.locator("[name=risk_level]").select_option("high")
    page.locator("form[action$='ouvrir-dossier/'] button").click()
    page.wait_for_url("**/cas/dossiers/*/")
    case = Case.objects.get(person=person)

    # Record the referral consent for the other organisation.
    page.locator("details:has([data-testid=consent-form]) summary").click()
    form = page.get_by_test_id("consent-form")
    form.locator("[name=purpose]").select_option("referral")
    form.locator("[name=given_by]").select_option("person")
    form.locator(f"[name=organisations][value='{beta.pk}']").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert Consent.objects.filter(case=case, purpose="referral", organisations=beta).exists()

    # Refer to the other organisation's health service.
    page.locator("a[href$='orienter/']").click()
    page.locator("[name=type]").select_option("health")
    page.locator("form[method=get] button").click()
    referral_form = page.get_by_test_id("referral-form")
    referral_form.locator("[name=service]").select_option(str(service.public_id))
    referral_form.locator("[name=urgency]").select_option("emergency")
    referral_form.locator("[name=reason]").fill("Soins médicaux urgents.")
    referral_form.locator("[name=form_time_since_incident]").select_option("under_72h")
    referral_form.locator("[name=form_health_need]").select_option("clinical_management_of_rape")
    referral_form.locator("[name=form_known_allergies]").select_option("no")
    referral_form.locator("[name=form_injuries]").select_option("yes")
    referral_form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/cas/dossiers/{case.public_id}/")
    referral = Referral.objects.get(case=case)
    assert referral.status == ReferralStatus.PENDING and referral.service == service

    # The focal point of the other organisation (no two-factor) accepts and completes.
    other = page.context.browser.new_context(locale="fr-FR", base_url=live_server.url)
    other.set_default_timeout(15000)
    focal = other.new_page()
    try:
        browser_sign_in(focal, "focal")
        focal.goto("/cas/references-recues/")
        focal.get_by_role("link", name=referral.reference).click()
        focal.wait_for_url(f"**/references-recues/{referral.public_id}/")
        assert "Coulibaly" not in focal.content()
        focal.locator("form[action$='accepter/'] button").click()
        focal.wait_for_load_state()
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.ACCEPTED
        focal.locator("[name=service_given]").fill("Kit PEP et soins.")
        focal.locator("form[action$='terminer/'] button").click()
        focal.wait_for_load_state()
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.COMPLETED and referral.handled_by == focal_point
        # The case stays closed to the receiving side.
        response = focal.goto(f"/cas/dossiers/{case.public_id}/")
        assert response.status in (403, 404)
    finally:
        other.close()

    # The case worker sees the completion and closes the case.
    page.goto(f"/cas/dossiers/{case.public_id}/")
    status = page.get_by_test_id("referral-row").get_by_test_id("referral-status")
    assert "ok" in status.get_attribute("class").split()  # completed
    close = page.get_by_test_id("close-form")
    close.locator("[name=reason]").select_option("needs_met")
    close.locator("button[type=submit]").click()
    page.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closure_reason == "needs_met"
