"""In a real browser: sign in, pass two-factor, switch language, sign out."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.accounts.tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_two_factor_language_and_sign_out(browser_page, caseworker_in_area):
    device = TOTPDevice.objects.create(user=caseworker_in_area, name="phone", confirmed=True)
    page = browser_page

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_label("Identifiant ou e-mail").fill("cw_mopti")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.wait_for_url("**/double-authentification/verifier/**")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    page.get_by_label("Code à six chiffres").fill(code)
    page.get_by_role("button", name="Vérifier").click()

    page.wait_for_url(lambda url: "double-authentification" not in url)
    assert "Bienvenue" in page.locator("h1").inner_text()

    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Welcome" in page.locator("h1").inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/compte/connexion/**")
    assert page.get_by_role("button", name="Sign in").is_visible()
