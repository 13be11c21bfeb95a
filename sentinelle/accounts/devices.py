"""Device credentials: collection apps' secrets (create, authenticate), and every device of a user (list,
revoke). Offline case-work devices are enrolled by sentinelle/offline/ and listed and revoked here too."""

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from sentinelle.accounts.backends import normalise_identifier, user_by_identifier
from sentinelle.accounts.models import DeviceCredential, DeviceKind, User
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction, AuditOutcome
from sentinelle.core.permissions import Perm, get_object_for_user, has_perm, scope_queryset
from sentinelle.core.throttles import client_address, throttle_check, throttle_count

# Easy to type on a phone keyboard: lower-case letters and digits, in groups of four.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _new_secret() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(20))
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def device_credential_create(*, actor: User, label: str, request=None) -> tuple[DeviceCredential, str]:
    """A new device secret for the actor's own account; the plaintext is returned once and never stored."""
    if not has_perm(actor, Perm.INCIDENT_CREATE):
        raise PermissionDenied
    secret = _new_secret()
    with transaction.atomic():
        credential = DeviceCredential.objects.create(
            user=actor,
            label=label.strip()[:100] or "ODK Collect",
            kind=DeviceKind.COLLECT,
            secret_hash=make_password(secret),
            created_by=actor,
            updated_by=actor,
        )
        audit_record(action=AuditAction.CREATE, user=actor, obj=credential, request=request)
    return credential, secret


def device_credential_revoke(*, actor: User, credential: DeviceCredential, request=None) -> DeviceCredential:
    """Revoke one of the actor's devices, of either kind: a collection app's secret stops working, an
    offline device is wiped at its next contact."""
    if credential.user_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        credential.revoked_at = timezone.now()
        credential.updated_by = actor
        credential.save(update_fields=["revoked_at", "updated_by", "updated_at"])
        audit_record(action=AuditAction.ARCHIVE, user=actor, obj=credential, request=request)
    return credential


def device_credentials_of(*, user: User):
    return scope_queryset(user, DeviceCredential.objects.all(), Perm.DEVICE_MANAGE).order_by("-created_at")


def device_credential_get(*, user: User, public_id, request=None) -> DeviceCredential:
    return get_object_for_user(
        user, DeviceCredential.objects.all(), public_id, Perm.DEVICE_MANAGE, request=request
    )


# A phone posts every form with its secret (HTTP Basic): argon2 on each of them cost 250 ms of CPU per
# submission. Once a secret has been verified, a keyed digest of (credential, stored hash, secret) is
# remembered for a while, so that the next submissions skip argon2. The digests of all the user's active
# credentials are asked of the cache at once, before any argon2: a user with several phones (several
# credentials) pays no argon2 for the credentials that are not this phone's. The digest never leaves the
# server's cache, is useless without SECRET_KEY, and changes with the stored hash; revocation and
# deactivation are read from the database on every request, so they take effect at once.
VERIFIED_SECRET_SECONDS = 15 * 60
# last_used_at is written at most once a minute per credential (as for API tokens), not on every submission.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _verified_key(credential: DeviceCredential, secret: str) -> str:
    message = f"{credential.pk}:{credential.secret_hash}:{secret}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return f"sentinelle:device-secret:{digest}"


def _matching_credential(credentials: list[DeviceCredential], secret: str) -> DeviceCredential | None:
    """The credential whose secret this is: a remembered verification first, else argon2 one by one."""
    keys = {_verified_key(credential, secret): credential for credential in credentials}
    remembered = cache.get_many(list(keys))
    for key, credential in keys.items():
        if remembered.get(key):
            return credential
    for key, credential in keys.items():
        if check_password(secret, credential.secret_hash):
            cache.set(key, True, VERIFIED_SECRET_SECONDS)
            return credential
    return None


def _mark_used(credential: DeviceCredential) -> None:
    now = timezone.now()
    if credential.last_used_at is None or credential.last_used_at < now - LAST_USED_RESOLUTION:
        DeviceCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now


def device_doors(*, request, identifier: str) -> list[tuple[str, str]]:
    client = client_address(request) if request is not None else "unknown"
    return [("device.client", client), ("device.identifier", normalise_identifier(identifier))]


def device_authenticate(*, identifier: str, secret: str, request=None) -> User | None:
    """The active user owning an active credential with this secret, or None (and an audited failure).

    The throttles (per client, per identifier) are asked before any secret is checked: TooManyAttempts
    (audited) when one refuses. Only failures count, so a phone's many submissions write nothing.
    """
    doors = device_doors(request=request, identifier=identifier)
    throttle_check(doors, request=request, channel="device")
    user = user_by_identifier(identifier)
    credentials = []
    if user is not None and user.is_active:
        # Collection secrets only: an offline device's secret is key material, never a password.
        credentials = list(
            DeviceCredential.objects.filter(user=user, revoked_at__isnull=True, kind=DeviceKind.COLLECT)
        )
    credential = _matching_credential(credentials, secret) if credentials else None
    if credential is not None:
        _mark_used(credential)
        return user
    if not credentials:
        # As long as a real check, so that timing does not tell which usernames hold a device secret.
        make_password(secret)
    throttle_count(doors)
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        outcome=AuditOutcome.FAILED,
        object_type="accounts.user" if user else "",
        object_id=str(user.public_id) if user else "",
        request=request,
        detail={"channel": "device"},
    )
    return None
