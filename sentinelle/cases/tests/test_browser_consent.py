"""In Chromium, on a desktop and on a phone (issue 15, item 6): the case page says what each consent covers,
the consent form offers only service providers (no donor), and a refused referral says which of the two
(organisation, type of service) did not match, keeping what was typed. Selectors use field names and test
ids; the checks use names of organisations and service types, which hold in either language."""

import pytest

from sentinelle.accounts.models import OrganisationType
from sentinelle.accounts.tests.factories import OrganisationFactory
from sentinelle.cases.models import Referral
from sentinelle.cases.tests.factories_cases import (
    VALID_FORMS,
    commune_in,
    consent_for,
    make_case,
    make_service,
)
from sentinelle.core.tests.browser import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1366, 768), "phone": (360, 740)}


@pytest.fixture(params=SCREENS)
def page(request, browser_page):
    width, height = SCREENS[request.param]
    browser_page.set_viewport_size({"width": width, "height": height})
    return browser_page


def test_consent_coverage_providers_and_an_exact_refusal(page, caseworker_in_area, mopti, beta, focal_point):
    commune = commune_in(mopti, "Sévaré")
    service = make_service(beta, commune, "health", focal_points=[focal_point], name="CSCOM Sévaré")
    donor = OrganisationFactory(acronym="USAID", type=OrganisationType.DONOR)
    case = make_case(caseworker_in_area, commune, case_type="general_protection")
    consent_for(caseworker_in_area, case, organisations=[beta], service_types=["legal"])
    browser_sign_in(page, caseworker_in_area, second_factor=True)

    page.goto(f"/cas/dossiers/{case.public_id}/")
    coverage = page.get_by_test_id("consent-coverage")
    assert coverage.is_visible()
    assert "BETA" in coverage.inner_text() and "Aide juridique" in coverage.inner_text()

    page.locator("details:has([data-testid=consent-form]) summary").click()
    form = page.get_by_test_id("consent-form")
    assert form.locator(f"[name=organisations][value='{beta.pk}']").is_visible()
    assert form.locator(f"[name=organisations][value='{donor.pk}']").count() == 0
    assert form.locator("[name=organisations]").count() == 1  # BETA is the only service provider

    # A health referral to BETA: the consent names BETA, but for legal aid only.
    page.goto(f"/cas/dossiers/{case.public_id}/orienter/?type=health")
    referral_form = page.get_by_test_id("referral-form")
    referral_form.locator("[name=service]").select_option(str(service.public_id))
    referral_form.locator("[name=urgency]").select_option("urgent")
    referral_form.locator("[name=reason]").fill("Soins après une agression.")
    for key, value in VALID_FORMS["health"].items():
        referral_form.locator(f"[name=form_{key}]").select_option(value)
    referral_form.locator("button[type=submit]").click()
    page.wait_for_load_state()

    error = page.get_by_test_id("referral-error")
    assert error.is_visible()
    text = error.inner_text()
    assert "BETA" in text and "Aide juridique" in text and "Santé" in text
    assert "organisation ou type" not in text
    assert (
        page.get_by_test_id("referral-form").locator("[name=reason]").input_value()
        == "Soins après une agression."
    )
    assert not Referral.objects.exists()
