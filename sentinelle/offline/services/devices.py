"""Offline devices: enrol one (a DeviceCredential of kind "offline", listed and revoked at
/compte/appareils/), tell a device at each contact whether it may keep its data, note its syncs."""

from __future__ import annotations

import base64
import secrets
import uuid

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from sentinelle.accounts.models import DeviceCredential, DeviceKind, User
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure, has_perm
from sentinelle.core.throttles import client_address, throttle_check, throttle_count, throttle_take

__all__ = [
    "ENROL_DOOR",
    "UNKNOWN_DEVICE_DOOR",
    "offline_device_contact",
    "offline_device_enrol",
    "offline_device_synced",
]

# Throttles (settings SENTINELLE["THROTTLES"]): devices prepared per user, and device ids that name no
# usable device per client address (the wipe signal answers any id: it must not become a free oracle).
ENROL_DOOR = "offline.enrol"
UNKNOWN_DEVICE_DOOR = "offline.device"
# 256 bits: the device's key material (the client derives its wrapping key from it and the PIN).
SECRET_BYTES = 32


def offline_device_enrol(*, actor: User, label: str, request=None) -> tuple[DeviceCredential, str]:
    """Mark a device of the actor's for offline case work. Returns the device and its random secret
    (base64, shown once): the device's key material, never stored here (the credential's password hash is
    unusable, so the secret opens no door). Case workers only; throttled per user; audited."""
    ensure(actor, Perm.CASE_EDIT, request=request, object_type="accounts.devicecredential")
    throttle_take([(ENROL_DOOR, str(actor.pk))], request=request, user=actor, channel="offline")
    secret = base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()
    with transaction.atomic():
        device = DeviceCredential.objects.create(
            user=actor,
            label=(label or "").strip()[:100] or "Sentinelle hors ligne",
            kind=DeviceKind.OFFLINE,
            secret_hash=make_password(None),
            created_by=actor,
            updated_by=actor,
        )
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=device,
            request=request,
            detail={"kind": DeviceKind.OFFLINE},
        )
    return device, secret


def _usable(device: DeviceCredential | None) -> bool:
    """May this device keep its data? Not when revoked, when its user was deactivated, or when the user
    may no longer do case work (the data on it are cases they can no longer work on)."""
    return (
        device is not None
        and device.revoked_at is None
        and device.user.is_active
        and has_perm(device.user, Perm.CASE_EDIT)
    )


def offline_device_contact(*, device_id, request=None) -> DeviceCredential | None:
    """The offline device named by `device_id` if it may keep its data, else None: the device must wipe
    itself (410). Ids that name no usable device count against the client's throttle (TooManyAttempts,
    audited, once it is spent); a usable device's contacts write nothing."""
    doors = [(UNKNOWN_DEVICE_DOOR, client_address(request) if request is not None else "unknown")]
    throttle_check(doors, request=request, channel="offline")
    device = None
    try:
        public_id = uuid.UUID(str(device_id))
    except ValueError:
        public_id = None
    if public_id is not None:
        device = (
            DeviceCredential.objects.filter(public_id=public_id, kind=DeviceKind.OFFLINE)
            .select_related("user")
            .first()
        )
    if _usable(device):
        return device
    throttle_count(doors)
    return None


def offline_device_synced(*, device: DeviceCredential) -> None:
    """The device took its caseload: the time shows on the devices page."""
    now = timezone.now()
    DeviceCredential.objects.filter(pk=device.pk).update(last_sync_at=now, last_used_at=now)
    device.last_sync_at = device.last_used_at = now
