"""Offline devices: enrolment, the wipe signal (410) at every contact, and the devices page."""

import base64
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from sentinelle.accounts import devices
from sentinelle.accounts.models import DeviceCredential, DeviceKind, Membership
from sentinelle.cases.models import CaseNote
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.core.throttles import TooManyAttempts
from sentinelle.offline.models import OfflineChange
from sentinelle.offline.services import offline_device_contact, offline_device_enrol
from sentinelle.offline.tests.factories import change

pytestmark = pytest.mark.django_db


def _status(client, device) -> tuple[int, dict]:
    response = client.get(reverse("offline:status"), {"device": str(getattr(device, "public_id", device))})
    assert response["Cache-Control"] == "no-store"
    return response.status_code, response.json()


# --- Enrolment ---------------------------------------------------------------------------------------


def test_a_case_worker_enrols_a_device_whose_secret_is_key_material_only(worker):
    device, secret = offline_device_enrol(actor=worker, label="Tablette Douentza")

    assert device.kind == DeviceKind.OFFLINE and device.user == worker and device.is_active
    assert len(base64.b64decode(secret)) == 32
    stored = DeviceCredential.objects.get(pk=device.pk).secret_hash
    assert secret not in stored and stored.startswith("!")  # unusable: no password opens it
    # The secret is no collection password either.
    assert devices.device_authenticate(identifier=worker.username, secret=secret) is None
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_id=str(device.public_id))
    assert entry.detail == {"kind": "offline"}


def test_only_case_workers_enrol_offline_devices(monitor, reader):
    for user in (monitor, reader):
        with pytest.raises(PermissionDenied):
            offline_device_enrol(actor=user, label="x")
    assert not DeviceCredential.objects.exists()


def test_enrolment_is_throttled_per_user(worker, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "THROTTLES": {**settings.SENTINELLE["THROTTLES"]}}
    settings.SENTINELLE["THROTTLES"]["offline.enrol"] = "2/1d"
    offline_device_enrol(actor=worker, label="1")
    offline_device_enrol(actor=worker, label="2")

    with pytest.raises(TooManyAttempts):
        offline_device_enrol(actor=worker, label="3")

    assert DeviceCredential.objects.filter(kind=DeviceKind.OFFLINE).count() == 2


# --- The wipe signal -----------------------------------------------------------------------------------


def test_a_usable_device_is_told_to_keep_its_data(client, signed_in, worker, tablet):
    assert _status(client, tablet)[0] == 200
    assert offline_device_contact(device_id=tablet.public_id) == tablet


@pytest.mark.parametrize(
    "make_unusable",
    [
        lambda device: devices.device_credential_revoke(actor=device.user, credential=device),
        lambda device: type(device.user).objects.filter(pk=device.user_id).update(is_active=False),
        lambda device: Membership.objects.filter(user=device.user).update(is_archived=True),
    ],
    ids=["revoked", "user-deactivated", "no-longer-a-case-worker"],
)
def test_a_device_that_may_not_keep_its_data_is_told_to_wipe_itself(client, tablet, make_unusable):
    make_unusable(tablet)

    assert _status(client, tablet) == (410, {"wipe": True})


@pytest.mark.parametrize("device_id", ["6f1c2a52-9d0e-4f57-8a53-0c4c1e2b7d10", "not-a-uuid"])
def test_an_unknown_device_is_told_to_wipe_itself(client, device_id):
    assert _status(client, device_id) == (410, {"wipe": True})


def test_a_collection_devices_id_is_no_offline_device(client, monitor):
    credential, _secret = devices.device_credential_create(actor=monitor, label="ODK")

    assert _status(client, credential)[0] == 410


def test_unknown_device_ids_are_throttled_per_client(client, settings, tablet):
    settings.SENTINELLE = {**settings.SENTINELLE, "THROTTLES": {**settings.SENTINELLE["THROTTLES"]}}
    settings.SENTINELLE["THROTTLES"]["offline.device"] = "2/15m"
    for _attempt in range(2):
        assert _status(client, uuid.uuid4())[0] == 410

    response = client.get(reverse("offline:status"), {"device": str(tablet.public_id)})

    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_the_status_says_who_is_signed_in_and_gives_the_csrf_token_to_the_devices_user_only(
    signed_in, worker, tablet, colleague
):
    client = signed_in(worker)
    assert _status(client, tablet)[1]["signed_in"] is True
    assert _status(client, tablet)[1]["csrf"]

    other = signed_in(colleague)
    code, answer = _status(other, tablet)
    assert code == 200 and answer == {"active": True, "signed_in": False, "csrf": ""}


def test_the_status_without_a_device_serves_the_enrolment(client, signed_in, worker):
    response = client.get(reverse("offline:status"), {"device": ""})
    assert response.json() == {"active": False, "signed_in": False, "csrf": ""}

    answer = signed_in(worker).get(reverse("offline:status"), {"device": ""}).json()
    assert answer["active"] is False and answer["signed_in"] is True and answer["csrf"]


def test_a_session_without_the_second_factor_is_not_signed_in(signed_in, worker, tablet):
    client = signed_in(worker, verified=False)

    assert _status(client, tablet)[1]["signed_in"] is False


def test_a_revoked_device_gets_410_and_nothing_it_sends_is_applied(signed_in, worker, tablet, case):
    client = signed_in(worker)
    devices.device_credential_revoke(actor=worker, credential=tablet)
    body = {"device": str(tablet.public_id), "changes": [change("note", case, text="Après révocation.")]}

    response = client.post(reverse("offline:sync"), body, content_type="application/json")
    caseload = client.get(reverse("offline:caseload"), {"device": str(tablet.public_id)})

    assert response.status_code == 410 and response.json() == {"wipe": True}
    assert caseload.status_code == 410
    assert not CaseNote.objects.exists() and not OfflineChange.objects.exists()


def test_another_users_session_gets_sign_in_and_nothing(signed_in, tablet, colleague, case):
    client = signed_in(colleague)
    body = {"device": str(tablet.public_id), "changes": [change("note", case, text="Pas moi.")]}

    response = client.post(reverse("offline:sync"), body, content_type="application/json")

    assert response.status_code == 403 and response.json() == {"error": "sign_in"}
    assert not CaseNote.objects.exists()


# --- The devices page ----------------------------------------------------------------------------------


def test_case_workers_see_and_revoke_their_offline_devices_on_the_devices_page(signed_in, worker, tablet):
    client = signed_in(worker)
    client.get(reverse("offline:caseload"), {"device": str(tablet.public_id)})

    page = client.get(reverse("accounts:device-list")).content.decode()

    assert "Tablette Douentza" in page and 'data-testid="device-offline"' in page
    assert reverse("offline:app") in page
    assert DeviceCredential.objects.get(pk=tablet.pk).last_sync_at is not None
    response = client.post(reverse("accounts:device-revoke", args=[tablet.public_id]))
    assert response.status_code == 302
    assert not DeviceCredential.objects.get(pk=tablet.pk).is_active
    assert _status(client, tablet)[0] == 410


def test_the_devices_page_offers_offline_work_to_case_workers_only(signed_in, monitor):
    page = signed_in(monitor).get(reverse("accounts:device-list")).content.decode()

    assert 'data-testid="offline-app-link"' not in page and "ODK" in page


def test_nobody_revokes_someone_elses_offline_device(signed_in, tablet, colleague):
    response = signed_in(colleague).post(reverse("accounts:device-revoke", args=[tablet.public_id]))

    assert response.status_code == 404
    assert DeviceCredential.objects.get(pk=tablet.pk).is_active
