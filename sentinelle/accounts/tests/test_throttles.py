"""Sign-in and two-factor codes are throttled (core/throttles.py) before any secret is checked, alike for
unknown and known usernames, per client and per username, in the database shared by every process."""

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.accounts.tests.factories import TEST_PASSWORD, make_member
from sentinelle.core.models import AuditAction, AuditEntry, Role, ThrottleBucket

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:otp-verify")


@pytest.fixture(autouse=True)
def rates(settings):
    settings.SENTINELLE = {
        **settings.SENTINELLE,
        "THROTTLES": {
            **settings.SENTINELLE["THROTTLES"],
            "signin.client": "12/15m",
            "signin.username": "5/15m",
            "otp.user": "5/15m",
        },
    }


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def hashes(monkeypatch):
    """Counts every password hashed or checked (the test hasher is MD5)."""
    calls = []
    real = MD5PasswordHasher.encode
    monkeypatch.setattr(MD5PasswordHasher, "encode", lambda self, *a: calls.append(1) or real(self, *a))
    return calls


def _post(client, identifier, password="wrong-password"):
    return client.post(LOGIN, {"identifier": identifier, "password": password})


def _comparable(response, identifier: str):
    """Status, headers and body, with the CSRF tokens (random on every page) and the echoed identifier
    blanked: everything else must be the same byte for byte."""
    body = response.content.replace(identifier.encode(), b"IDENTIFIER")
    body = re.sub(rb'(name="csrfmiddlewaretoken" value|name="csrf-token" content)="[^"]+"', rb'\1=""', body)
    headers = {name: value for name, value in response.headers.items() if name.lower() != "set-cookie"}
    return response.status_code, headers, sorted(response.cookies), body


def test_unknown_and_known_usernames_are_throttled_alike_with_identical_answers(manager, frozen, hashes):
    known, unknown = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    # "mangoes" does not exist; it has the length of "manager" so that even Content-Length compares.
    for attempt in range(6):
        hashes.clear()
        known_answer, unknown_answer = _post(known, "manager"), _post(unknown, "mangoes")
        assert _comparable(known_answer, "manager") == _comparable(unknown_answer, "mangoes")
        if attempt < 5:
            assert known_answer.status_code == 200
            assert len(hashes) == 2  # the unknown username's password is hashed too: same time
        else:
            assert known_answer.status_code == 429
            assert known_answer["Retry-After"] == unknown_answer["Retry-After"] == "180"
            assert hashes == []  # refused before any password is looked at
    # No lock message names an account, and the throttled answer is the same wait message for both.
    assert b"locked" not in known_answer.content.lower() and b"verrouill" not in known_answer.content.lower()
    refusals = AuditEntry.objects.filter(action=AuditAction.DENIED, object_type="throttle")
    assert refusals.count() == 2
    for entry in refusals:
        assert entry.detail["throttle"] == "signin.username"
        assert "manager" not in str(entry.detail) and "mangoes" not in str(entry.detail)
        assert entry.user is None and entry.object_id == "signin.username"


def test_the_username_is_normalised(manager, frozen):
    client = Client()
    for identifier in ("manager", "MANAGER", " Manager ", "ｍａｎａｇｅｒ", "manaGer"):
        assert _post(client, identifier).status_code == 200
    assert _post(client, "manager", TEST_PASSWORD).status_code == 429


def test_a_throttled_right_password_is_refused_and_signs_nobody_in(manager, frozen, hashes):
    client = Client()
    for _ in range(5):
        _post(client, "manager")
    hashes.clear()
    response = _post(client, "manager", TEST_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert hashes == []
    assert not AuditEntry.objects.filter(action=AuditAction.LOGIN).exists()


def test_the_per_client_limit_stops_a_spray_across_usernames(manager, frozen):
    sprayer = Client(REMOTE_ADDR="41.73.0.9")
    for n in range(12):
        assert _post(sprayer, f"user{n}").status_code == 200
    # A username never tried, even a real one with its right password: the client itself is throttled.
    response = _post(sprayer, "manager", TEST_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in sprayer.session
    refusal = AuditEntry.objects.filter(action=AuditAction.DENIED, object_type="throttle").get()
    assert refusal.detail["throttle"] == "signin.client"
    # Another client signs in to the same account.
    assert _post(Client(REMOTE_ADDR="41.73.0.10"), "manager", TEST_PASSWORD).status_code == 302


def test_successful_sign_ins_do_not_count(manager, frozen):
    for _ in range(20):
        client = Client()
        assert _post(client, "manager", TEST_PASSWORD).status_code == 302
    assert _post(Client(), "manager").status_code == 200


def test_time_passing_opens_the_door_again(manager, frozen):
    client = Client()
    for _ in range(5):
        _post(client, "manager")
    assert _post(client, "manager", TEST_PASSWORD).status_code == 429
    frozen.shift(timedelta(seconds=179))
    assert _post(client, "manager", TEST_PASSWORD).status_code == 429
    frozen.shift(timedelta(seconds=1))
    assert _post(client, "manager", TEST_PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)


@pytest.mark.django_db(transaction=True)
def test_the_count_is_shared_by_every_process_through_the_database(manager):
    """Failures counted by one request are seen by a request served on another database connection (a
    thread: Django gives it its own), with the in-process cache emptied: no per-process memory."""
    for _ in range(5):
        _post(Client(), "manager")
    assert ThrottleBucket.objects.exists()
    cache.clear()
    outcome = {}

    def another_process():
        try:
            outcome["status"] = _post(Client(REMOTE_ADDR="10.9.9.9"), "manager", TEST_PASSWORD).status_code
        finally:
            outcome["connection"] = id(connection.connection)
            connection.close()

    thread = threading.Thread(target=another_process)
    thread.start()
    thread.join()
    assert outcome["status"] == 429
    assert outcome["connection"] != id(connection.connection)


def test_an_inactive_account_takes_a_password_check_like_any_other(manager, hashes):
    type(manager).objects.filter(pk=manager.pk).update(is_active=False)
    assert _post(Client(), "manager", TEST_PASSWORD).status_code == 200
    assert len(hashes) == 1


def test_a_manager_lets_a_paused_user_sign_in_again(signed_in, manager, caseworker_in_area, frozen):
    for _ in range(5):
        _post(Client(), "cw_mopti")
    client = signed_in(manager)
    detail = reverse("accounts:user-detail", args=[caseworker_in_area.public_id])
    assert (
        'action="{}"'.format(reverse("accounts:user-action", args=[caseworker_in_area.public_id, "unlock"]))
        in client.get(detail).content.decode()
    )
    client.post(reverse("accounts:user-action", args=[caseworker_in_area.public_id, "unlock"]))
    assert _post(Client(), "cw_mopti", TEST_PASSWORD).status_code == 302
    assert AuditEntry.objects.filter(
        action=AuditAction.UPDATE, object_id=str(caseworker_in_area.public_id), detail__unlocked=True
    ).exists()


def test_an_outsider_cannot_unpause_another_organisations_user(
    signed_in, outsider, caseworker_in_area, frozen
):
    for _ in range(5):
        _post(Client(), "cw_mopti")
    client = signed_in(outsider)
    response = client.post(reverse("accounts:user-action", args=[caseworker_in_area.public_id, "unlock"]))
    assert response.status_code == 404
    assert _post(Client(), "cw_mopti", TEST_PASSWORD).status_code == 429


# --- Two-factor codes --------------------------------------------------------------------------


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _wrong(device: TOTPDevice) -> str:
    return "000000" if _code(device) != "000000" else "111111"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.CASEWORKER])
def test_two_factor_codes_are_throttled_per_user_before_any_check(client, alpha, role, frozen, monkeypatch):
    user = make_member(role, alpha, username="two.factor")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    for _ in range(5):
        # django-otp's own back-off between failures (1, 2, 4, 8 s) is waited out each time.
        frozen.shift(timedelta(seconds=20))
        assert client.post(VERIFY, {"token": _wrong(device)}).status_code == 200
    checks = []
    real = TOTPDevice.verify_token
    monkeypatch.setattr(
        TOTPDevice, "verify_token", lambda self, token: checks.append(token) or real(self, token)
    )
    response = client.post(VERIFY, {"token": _code(device)})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert checks == []
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert (
        AuditEntry.objects.filter(
            action=AuditAction.DENIED, object_id="otp.user", user=user, detail__throttle="otp.user"
        ).count()
        == 1
    )
    # Another user is not affected; the wait passes and the right code is accepted.
    frozen.shift(timedelta(seconds=int(response["Retry-After"])))
    assert client.post(VERIFY, {"token": _code(device)}).status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_right_code_gives_its_token_back(client, manager, frozen):
    device = TOTPDevice.objects.create(user=manager, name="phone", confirmed=True)
    for _ in range(8):
        client.force_login(manager)
        frozen.shift(timedelta(seconds=31))  # a new code each time (a code is accepted once)
        assert client.post(VERIFY, {"token": _code(device)}).status_code == 302
        client.logout()
    assert not AuditEntry.objects.filter(action=AuditAction.DENIED).exists()
