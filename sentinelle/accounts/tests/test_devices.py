import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from sentinelle.accounts import devices
from sentinelle.accounts.models import DeviceCredential
from sentinelle.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


def test_a_device_secret_is_shown_once_and_stored_hashed(monitor):
    credential, secret = devices.device_credential_create(actor=monitor, label="Tablette Sévaré")
    stored = DeviceCredential.objects.get(pk=credential.pk).secret_hash
    assert secret not in stored and stored.startswith(("argon2", "md5"))
    assert devices.device_authenticate(identifier="monitor", secret=secret) == monitor
    assert DeviceCredential.objects.get(pk=credential.pk).last_used_at is not None


def test_wrong_or_revoked_secret_is_refused_and_audited(monitor):
    credential, secret = devices.device_credential_create(actor=monitor, label="A")
    assert devices.device_authenticate(identifier="monitor", secret="nope") is None
    devices.device_credential_revoke(actor=monitor, credential=credential)
    assert devices.device_authenticate(identifier="monitor", secret=secret) is None
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, detail__channel="device").count() == 2


def test_the_account_password_is_not_a_device_secret(monitor, password):
    assert devices.device_authenticate(identifier="monitor", secret=password) is None


def test_roles_that_do_not_record_incidents_get_no_device(reader, focal_point):
    for user in (reader, focal_point):
        with pytest.raises(PermissionDenied):
            devices.device_credential_create(actor=user, label="x")
    assert not DeviceCredential.objects.exists()


def test_nobody_revokes_someone_elses_device(monitor, caseworker_in_area, signed_in):
    credential, _secret = devices.device_credential_create(actor=monitor, label="A")
    with pytest.raises(PermissionDenied):
        devices.device_credential_revoke(actor=caseworker_in_area, credential=credential)
    client = signed_in(caseworker_in_area)
    response = client.post(reverse("accounts:device-revoke", args=[credential.public_id]))
    assert response.status_code == 404
    assert DeviceCredential.objects.get(pk=credential.pk).is_active


def test_device_page_creates_and_lists_own_devices_only(signed_in, monitor, caseworker_in_area):
    devices.device_credential_create(actor=caseworker_in_area, label="Other person's phone")
    client = signed_in(monitor)
    response = client.post(reverse("accounts:device-list"), {"label": "Téléphone Mopti"})
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert 'data-testid="device-secret"' in page
    assert "Téléphone Mopti" in page and "Other person" not in page
    assert (
        client.get(reverse("accounts:device-list")).content.decode().count('data-testid="device-secret"') == 0
    )


def test_reader_has_no_device_page(signed_in, reader):
    assert signed_in(reader).get(reverse("accounts:device-list")).status_code == 403


def test_a_verified_secret_skips_argon2_until_revoked(monitor, monkeypatch):
    credential, secret = devices.device_credential_create(actor=monitor, label="Tablette")
    checks = []
    real_check = devices.check_password
    monkeypatch.setattr(devices, "check_password", lambda *a: checks.append(a) or real_check(*a))
    assert devices.device_authenticate(identifier="monitor", secret=secret) == monitor
    assert devices.device_authenticate(identifier="monitor", secret=secret) == monitor
    assert len(checks) == 1
    # A wrong secret is checked every time, never remembered.
    assert devices.device_authenticate(identifier="monitor", secret=secret + "x") is None
    assert devices.device_authenticate(identifier="monitor", secret=secret + "x") is None
    assert len(checks) == 3
    # Revocation counts at once, even for a secret verified a moment ago.
    devices.device_credential_revoke(actor=monitor, credential=credential)
    assert devices.device_authenticate(identifier="monitor", secret=secret) is None


def test_a_verified_secret_does_not_open_an_inactive_account(monitor):
    _credential, secret = devices.device_credential_create(actor=monitor, label="Tablette")
    assert devices.device_authenticate(identifier="monitor", secret=secret) == monitor
    monitor.is_active = False
    monitor.save(update_fields=["is_active"])
    assert devices.device_authenticate(identifier="monitor", secret=secret) is None


def test_the_remembered_digest_holds_no_secret(monitor):
    credential, secret = devices.device_credential_create(actor=monitor, label="Tablette")
    key = devices._verified_key(credential, secret)
    assert secret not in key and credential.secret_hash not in key
    other, _ = devices.device_credential_create(actor=monitor, label="Autre")
    assert devices._verified_key(other, secret) != key


def test_a_second_phone_pays_no_argon2_for_the_first_phones_credential(monitor, monkeypatch):
    devices.device_credential_create(actor=monitor, label="Tablette 1")
    _second, secret = devices.device_credential_create(actor=monitor, label="Tablette 2")
    checks = []
    real_check = devices.check_password
    monkeypatch.setattr(devices, "check_password", lambda *a: checks.append(a) or real_check(*a))
    assert devices.device_authenticate(identifier="monitor", secret=secret) == monitor
    first = len(checks)
    assert first in (1, 2)  # argon2 once per credential tried before the match, the first time only
    for _ in range(3):
        assert devices.device_authenticate(identifier="monitor", secret=secret) == monitor
    assert len(checks) == first


def test_last_used_is_written_at_most_once_a_minute(monitor):
    import datetime

    credential, secret = devices.device_credential_create(actor=monitor, label="Tablette")
    assert devices.device_authenticate(identifier="monitor", secret=secret) == monitor
    first = DeviceCredential.objects.get(pk=credential.pk).last_used_at
    assert first is not None
    assert devices.device_authenticate(identifier="monitor", secret=secret) == monitor
    assert DeviceCredential.objects.get(pk=credential.pk).last_used_at == first
    DeviceCredential.objects.filter(pk=credential.pk).update(
        last_used_at=first - datetime.timedelta(minutes=2)
    )
    assert devices.device_authenticate(identifier="monitor", secret=secret) == monitor
    assert DeviceCredential.objects.get(pk=credential.pk).last_used_at > first - datetime.timedelta(minutes=1)
