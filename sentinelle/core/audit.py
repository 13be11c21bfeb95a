"""Append-only, hash-chained audit log.

Each entry's hash covers its own fields and the previous entry's hash, so removing, editing or
reordering any entry breaks the chain from that point on; `verify_chain` names the first broken link.
Details must never carry personal data: object type and public id are enough to find the record.
"""

import hashlib
import json
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from sentinelle.core import figure_cache
from sentinelle.core.models import AuditAction, AuditEntry, AuditOutcome

GENESIS_HASH = "0" * 64
FIGURE_MOVING_ACTIONS = frozenset(
    {AuditAction.CREATE, AuditAction.UPDATE, AuditAction.ARCHIVE, AuditAction.IMPORT}
)
# Any constant: serialises appends on PostgreSQL so that two writers never share a predecessor.
_CHAIN_LOCK_KEY = 0x5E17E11E


def _canonical(entry: AuditEntry) -> bytes:
    payload = [
        entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        entry.user_id,
        entry.username,
        entry.organisation_id,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.outcome,
        entry.ip,
        entry.detail,
        entry.prev_hash,
    ]
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: the IMMEDIATE transaction already holds the database write lock.


def audit_record(
    *,
    action: str,
    outcome: str = AuditOutcome.OK,
    user=None,
    organisation=None,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    request=None,
    detail: dict | None = None,
) -> AuditEntry:
    """Append one entry to the chain (in the caller's transaction if there is one)."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", obj.pk))
    if organisation is None and user is not None:
        organisation = getattr(user, "audit_organisation", None)
    with transaction.atomic():
        _lock_chain()
        last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
        entry = AuditEntry(
            at=timezone.now(),
            user=user,
            username=user.get_username() if user else "",
            organisation=organisation,
            action=action,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            ip=client_ip(request),
            detail=detail or {},
            prev_hash=last or GENESIS_HASH,
        )
        entry.entry_hash = compute_hash(entry)
        entry.save()
    if action in FIGURE_MOVING_ACTIONS and outcome == AuditOutcome.OK:
        # Every write is audited: that is how the cached figures learn that their records changed.
        figure_cache.records_changed(object_type)
    return entry


def verify_chain(batch_size: int = 5000) -> AuditEntry | None:
    """Walk the chain from the first entry; return the first entry that does not link, or None."""
    expected_prev = GENESIS_HASH
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size):
        if entry.prev_hash != expected_prev or compute_hash(entry) != entry.entry_hash:
            return entry
        expected_prev = entry.entry_hash
    return None


__all__ = ["AuditAction", "AuditOutcome", "audit_record", "verify_chain"]
