"""Two-factor enrolment: a password alone never adds or replaces an authenticator once one is confirmed;
a lost phone is reset by an administrator or the organisation's manager (audited, the user told).

Every state (no device, an enrolment in progress, a confirmed device, both) with the session verified or
not, for every role that must pass two-factor."""

import base64

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.accounts import services
from sentinelle.accounts.tests.factories import TEST_PASSWORD, make_member
from sentinelle.core.models import AuditAction, AuditEntry, Role
from sentinelle.core.permissions import ROLES_REQUIRING_2FA

pytestmark = pytest.mark.django_db

SETUP = reverse("accounts:otp-setup")
VERIFY = reverse("accounts:otp-verify")
ROLES = sorted(ROLES_REQUIRING_2FA)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def _member(role, alpha):
    return make_member(role, alpha, username=f"enrol.{role}")


def _password_only(client, user):
    """Signed in with the password alone, through the sign-in page (the finding's starting point)."""
    response = client.post(
        reverse("accounts:login"), {"identifier": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    return client


def _verified(client):
    return client.session.get(DEVICE_ID_SESSION_KEY)


# --- Password only, no confirmed device: enrol (the enrolment in progress is shown again) ----------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("in_progress", [False, True])
def test_without_a_confirmed_device_the_password_session_enrols(client, alpha, role, in_progress):
    user = _member(role, alpha)
    pending = (
        TOTPDevice.objects.create(user=user, name="Sentinelle", confirmed=False) if in_progress else None
    )
    _password_only(client, user)
    assert client.get(reverse("core:home"))["Location"].startswith(SETUP)
    page = client.get(SETUP)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    if pending is not None:
        assert device == pending  # shown again, not replaced
    assert _secret(device) in page.content.decode()
    response = client.post(SETUP, {"token": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert _verified(client) == device.persistent_id
    assert client.get(reverse("core:home")).status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.OTP_SETUP, user=user).count() == 1


# --- Password only, a confirmed device: sent to the check, nothing shown, nothing changed ----------


@pytest.mark.parametrize("role", [*ROLES, Role.MONITOR])
@pytest.mark.parametrize("in_progress", [False, True])
def test_a_password_alone_never_replaces_a_confirmed_device(client, alpha, role, in_progress):
    user = _member(role, alpha)
    real = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    # A left-over enrolment (or the one the old page created for the attacker): never shown, never confirmed.
    pending = (
        TOTPDevice.objects.create(user=user, name="Sentinelle", confirmed=False) if in_progress else None
    )
    _password_only(client, user)
    devices_before = set(TOTPDevice.objects.filter(user=user).values_list("pk", "confirmed", "key"))

    page = client.get(SETUP + "?next=/cas/")
    assert page.status_code == 302 and page["Location"] == VERIFY + "?next=%2Fcas%2F"
    assert _secret(real) not in page.content.decode()
    token = _code(pending) if pending else _code(real)
    posted = client.post(SETUP, {"token": token})
    assert posted.status_code == 302 and posted["Location"] == VERIFY

    # A refused enrolment changed nothing: the same devices, the real one still confirmed and working,
    # and the session still unverified.
    assert set(TOTPDevice.objects.filter(user=user).values_list("pk", "confirmed", "key")) == devices_before
    assert _verified(client) is None
    if role in ROLES_REQUIRING_2FA:
        assert client.get(reverse("core:home"))["Location"].startswith(VERIFY)
    refusals = AuditEntry.objects.filter(action=AuditAction.DENIED, user=user, detail__perm="otp.setup")
    assert refusals.count() == 2  # one per refused request
    assert not AuditEntry.objects.filter(action=AuditAction.OTP_SETUP).exists()
    assert client.post(VERIFY, {"token": _code(real)}).status_code == 302
    assert _verified(client) == real.persistent_id


@pytest.mark.parametrize("role", ROLES)
def test_the_service_refuses_too_whatever_the_view(client, alpha, role, rf):
    """The rule lives in the services: a confirm on an unverified session is refused even when called
    with a device that a page never showed."""
    user = _member(role, alpha)
    real = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    rogue = TOTPDevice.objects.create(user=user, name="rogue", confirmed=False)
    _password_only(client, user)
    request = rf.post(SETUP)
    request.session = client.session
    request.user = user
    user.is_verified = lambda: False
    with pytest.raises(services.TwoFactorVerificationRequired):
        services.otp_device_prepare(request=request)
    with pytest.raises(services.TwoFactorVerificationRequired):
        services.otp_device_confirm(request=request, device=rogue, token=_code(rogue))
    assert TOTPDevice.objects.get(pk=real.pk).confirmed
    assert not TOTPDevice.objects.get(pk=rogue.pk).confirmed


# --- A session verified with the current device: add or replace --------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("in_progress", [False, True])
def test_a_verified_session_replaces_its_device(client, signed_in, alpha, role, in_progress, frozen):
    user = _member(role, alpha)
    signed_in(user)  # the same client, verified with a confirmed device
    (current,) = TOTPDevice.objects.filter(user=user, confirmed=True)
    pending = (
        TOTPDevice.objects.create(user=user, name="Sentinelle", confirmed=False) if in_progress else None
    )
    page = client.get(SETUP)
    assert page.status_code == 200
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    if pending is not None:
        assert new == pending
    assert new.key != current.key
    assert _secret(new) in page.content.decode() and _secret(current) not in page.content.decode()
    assert client.post(SETUP, {"token": _code(new)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    new.refresh_from_db()
    assert new.confirmed
    assert _verified(client) == new.persistent_id
    assert client.get(reverse("core:home")).status_code == 200


def test_the_verify_page_sends_a_user_without_device_to_enrolment(client, alpha):
    user = _member(Role.CASEWORKER, alpha)
    _password_only(client, user)
    assert client.get(VERIFY)["Location"] == SETUP


# --- Reset by an administrator or the organisation's manager ---------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_an_administrator_resets_a_lost_device(
    client, signed_in, admin, alpha, role, django_capture_on_commit_callbacks
):
    user = _member(role, alpha)
    signed_in(user)  # the user's own session (this client), verified with the device now lost
    TOTPDevice.objects.create(user=user, name="Sentinelle", confirmed=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.user_two_factor_reset(actor=admin, user=user)
    assert not TOTPDevice.objects.filter(user=user).exists()
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(user.public_id)).latest("id")
    assert entry.user == admin and entry.detail == {"otp_reset": True, "devices_removed": 2}
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert user.full_name not in message.subject + message.body
    assert user.username not in message.subject + message.body
    # The session verified with the old device is verified no more; the next page asks to enrol again.
    assert client.get(reverse("core:home"))["Location"].startswith(SETUP)
    # And so does the next sign-in.
    client.logout()
    _password_only(client, user)
    assert client.get(reverse("core:home"))["Location"].startswith(SETUP)


def test_a_manager_resets_their_organisations_user_from_the_page(
    signed_in, manager, caseworker_in_area, django_capture_on_commit_callbacks
):
    TOTPDevice.objects.create(user=caseworker_in_area, name="phone", confirmed=True)
    client = signed_in(manager)
    url = reverse("accounts:user-action", args=[caseworker_in_area.public_id, "reset-2fa"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=caseworker_in_area).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [caseworker_in_area.email]
    entry = AuditEntry.objects.filter(detail__otp_reset=True).get()
    assert entry.user == manager and entry.ip == "127.0.0.1"


@pytest.mark.parametrize(
    ("actor", "target"), [("outsider", "caseworker_in_area"), ("caseworker_other_area", "monitor")]
)
def test_nobody_else_resets_and_the_device_stays(request, actor, target, django_capture_on_commit_callbacks):
    actor, target = request.getfixturevalue(actor), request.getfixturevalue(target)
    device = TOTPDevice.objects.create(user=target, name="phone", confirmed=True)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.user_two_factor_reset(actor=actor, user=target)
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()
    assert mail.outbox == []
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=actor).exists()


def test_an_outsider_gets_404_on_the_reset_page(signed_in, outsider, caseworker_in_area):
    device = TOTPDevice.objects.create(user=caseworker_in_area, name="phone", confirmed=True)
    url = reverse("accounts:user-action", args=[caseworker_in_area.public_id, "reset-2fa"])
    assert signed_in(outsider).post(url).status_code == 404
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
