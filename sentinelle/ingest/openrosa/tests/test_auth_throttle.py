"""Device sign-ins (ODK Collect / KoboCollect) are throttled per client and per user name before any
secret is checked: 429 with Retry-After, audited; only failures count."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from sentinelle.accounts import devices
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.ingest.openrosa.tests.conftest import basic

pytestmark = pytest.mark.django_db

FORM_LIST = "/openrosa/formList"


@pytest.fixture(autouse=True)
def rates(settings):
    settings.SENTINELLE = {
        **settings.SENTINELLE,
        "THROTTLES": {
            **settings.SENTINELLE["THROTTLES"],
            "device.client": "6/15m",
            "device.identifier": "3/15m",
        },
    }


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def secret_checks(monkeypatch):
    """Every secret check, remembered or hashed, and every stand-in hash for an unknown name."""
    calls = []
    for name in ("_matching_credential", "make_password"):
        real = getattr(devices, name)
        monkeypatch.setattr(
            devices, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a)
        )
    return calls


def _get(client, username, secret, address="10.0.0.1"):
    headers = {"HTTP_AUTHORIZATION": basic(username, secret), "HTTP_X_OPENROSA_VERSION": "1.0"}
    return client.get(FORM_LIST, secure=True, REMOTE_ADDR=address, **headers)


@pytest.fixture
def secret(monitor):
    _credential, value = devices.device_credential_create(actor=monitor, label="Tablette")
    return value


def _refusals(door):
    return AuditEntry.objects.filter(action=AuditAction.DENIED, object_type="throttle", object_id=door)


def test_a_throttled_device_gets_429_before_its_secret_is_checked(
    client, geography, secret, frozen, secret_checks
):
    for _ in range(3):
        assert _get(client, "monitor", "wrong-secret").status_code == 401
    assert secret_checks.count("_matching_credential") == 3
    secret_checks.clear()
    response = _get(client, "monitor", secret)  # the right secret, from the same phone
    assert response.status_code == 429
    assert response["Retry-After"] == "300"
    assert response["X-OpenRosa-Version"] == "1.0"
    assert b"OpenRosaResponse" in response.content
    assert secret_checks == []
    refusal = _refusals("device.identifier").get()
    assert refusal.detail["channel"] == "device" and "monitor" not in str(refusal.detail)
    # The user name is throttled, whatever the address.
    assert _get(client, "monitor", secret, address="10.0.0.2").status_code == 429
    frozen.shift(timedelta(minutes=5))
    assert _get(client, "monitor", secret).status_code == 200


def test_unknown_user_names_count_like_known_ones(client, geography, frozen, secret_checks):
    for _ in range(3):
        assert _get(client, "ghost", "x").status_code == 401
    assert secret_checks == ["make_password"] * 3  # as long as a real check
    assert _get(client, "ghost", "x").status_code == 429


def test_a_client_spraying_user_names_is_throttled(client, geography, secret, frozen, secret_checks):
    for n in range(6):
        assert _get(client, f"user{n}", "x", address="41.1.1.1").status_code == 401
    secret_checks.clear()
    response = _get(client, "monitor", secret, address="41.1.1.1")
    assert response.status_code == 429
    assert secret_checks == []
    assert _refusals("device.client").count() == 1
    assert _get(client, "monitor", secret, address="41.1.1.2").status_code == 200


def test_successful_devices_are_never_throttled(client, geography, secret, frozen):
    for _ in range(20):
        assert _get(client, "monitor", secret).status_code == 200
    assert not AuditEntry.objects.filter(object_type="throttle").exists()
