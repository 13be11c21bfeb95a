"""API tokens: create, revoke and authenticate (the token page reads them through api/selectors.py).

A token is "stl_" followed by 36 random URL-safe characters (about 216 bits). Being high-entropy random, it
needs no slow password hash: the database keeps an HMAC-SHA256 keyed with the field key ring's hash key
(outside the database), found by exact look-up. Rotating that hash key invalidates every token.
"""

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from sentinelle.api.models import ApiToken
from sentinelle.core.audit import audit_record
from sentinelle.core.crypto import get_keyring
from sentinelle.core.models import AuditAction, AuditOutcome
from sentinelle.core.permissions import Perm, ensure

TOKEN_PREFIX = "stl_"  # noqa: S105 (a marker, not a secret)
PREFIX_LENGTH = 12
# last_used_at is written at most once a minute per token.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def token_days() -> int:
    return int(settings.SENTINELLE.get("API_TOKEN_DAYS", 90))


def token_hash(token: str) -> str:
    message = b"sentinelle-api-token\x00" + token.encode()
    return hmac.new(get_keyring().hash_key, message, hashlib.sha256).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(27)


def api_token_create(*, actor, label: str, days: int | None = None, request=None) -> tuple[ApiToken, str]:
    """A new token for the actor's own account; the plaintext is returned once and never stored."""
    ensure(actor, Perm.API_TOKEN_MANAGE, request=request)
    days = token_days() if days is None else max(1, min(int(days), token_days()))
    token = new_token()
    with transaction.atomic():
        api_token = ApiToken.objects.create(
            user=actor,
            label=label.strip()[:100] or "API",
            prefix=token[:PREFIX_LENGTH],
            secret_hash=token_hash(token),
            expires_at=timezone.now() + datetime.timedelta(days=days),
            created_by=actor,
            updated_by=actor,
        )
        audit_record(
            action=AuditAction.CREATE, user=actor, obj=api_token, request=request, detail={"days": days}
        )
    return api_token, token


def api_token_revoke(*, actor, api_token: ApiToken, request=None) -> ApiToken:
    if api_token.user_id != actor.pk:
        raise PermissionDenied
    if api_token.revoked_at is not None:
        return api_token
    with transaction.atomic():
        api_token.revoked_at = timezone.now()
        api_token.updated_by = actor
        api_token.save(update_fields=["revoked_at", "updated_by", "updated_at"])
        audit_record(action=AuditAction.ARCHIVE, user=actor, obj=api_token, request=request)
    return api_token


def api_token_authenticate(token: str, *, request=None):
    """(user, api_token) for a valid token of an active user; None otherwise, the failure audited.

    The reason (unknown, revoked, expired, inactive) goes to the audit log only; the caller answers the
    same refusal whatever it is.
    """
    api_token = None
    reason = "unknown"
    if token.startswith(TOKEN_PREFIX) and len(token) <= 100:
        api_token = ApiToken.objects.select_related("user").filter(secret_hash=token_hash(token)).first()
    if api_token is not None:
        user = api_token.user
        now = timezone.now()
        if api_token.revoked_at is not None:
            reason = "revoked"
        elif api_token.expires_at <= now:
            reason = "expired"
        elif not user.is_active:
            reason = "inactive"
        else:
            if api_token.last_used_at is None or api_token.last_used_at < now - LAST_USED_RESOLUTION:
                ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
                api_token.last_used_at = now
            return user, api_token
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        outcome=AuditOutcome.FAILED,
        user=None,
        object_type="api.apitoken" if api_token else "",
        object_id=str(api_token.public_id) if api_token else "",
        organisation=None,
        request=request,
        detail={"channel": "api", "reason": reason},
    )
    return None
