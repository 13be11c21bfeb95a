"""Signing in through the pages in Chromium, as a person does: the one helper of the browser tests."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.accounts.tests.factories import TEST_PASSWORD


def browser_sign_in(page, user, device=None, *, second_factor: bool = False) -> None:
    """Sign in as `user` (a User or a username). `device` (a confirmed TOTPDevice) answers the second
    factor when the sign-in asks for it; `second_factor=True` gives the user one first (a User only)."""
    if second_factor and device is None:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    page.goto("/")
    page.get_by_label("Identifiant ou e-mail").fill(getattr(user, "username", user))
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "connexion" not in url)
    if "double-authentification/verifier" in page.url:
        assert device is not None, "this account passes the second factor: give it a TOTP device"
        code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
        page.get_by_label("Code à six chiffres").fill(code)
        page.get_by_role("button", name="Vérifier").click()
        page.wait_for_url(lambda url: "double-authentification" not in url)
