"""In Chromium, on a desktop and on a phone: the case worker keeps a closed case's identity past the retention
period from the case page, with a reason, then lifts the hold (issue 18, item 5)."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.cases.models import Case
from sentinelle.cases.services.cases import case_close
from sentinelle.cases.tests.factories_cases import commune_in, make_case
from sentinelle.cases.tests.test_browser_case_closure import SCREENS
from sentinelle.core.tests.browser import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("screen", SCREENS)
def test_the_case_worker_keeps_an_identity_then_lifts_the_hold(
    browser_page, caseworker_in_area, mopti, screen
):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), SCREENS[screen], strict=True)))
    case = make_case(caseworker_in_area, commune_in(mopti, "Douentza"))
    case_close(actor=caseworker_in_area, case=case, reason="needs_met")
    device = TOTPDevice.objects.create(user=caseworker_in_area, name="phone", confirmed=True)
    browser_sign_in(page, "cw_mopti", device)

    page.goto(f"/cas/dossiers/{case.public_id}/")
    panel = page.get_by_test_id("retention")
    panel.get_by_text("Conservation de l’identité").click()
    assert "24 mois après la clôture de tous ses dossiers" in panel.inner_text()
    panel.get_by_label("Raison").fill("Procédure judiciaire en cours au tribunal de Mopti.")
    panel.get_by_role("button", name="Conserver l’identité plus longtemps").click()
    page.wait_for_load_state()

    panel = page.get_by_test_id("retention")
    assert "Procédure judiciaire en cours au tribunal de Mopti." in panel.inner_text()
    assert Case.objects.get(pk=case.pk).retention_hold_at is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREENS[screen][0]

    panel.get_by_role("button", name="Lever la conservation").click()
    page.wait_for_load_state()
    assert Case.objects.get(pk=case.pk).retention_hold_at is None
    assert "effacée à la fin de la durée de conservation" in page.inner_text("body")
