"""Audit chains: how an entry is hashed, chained and appended, and the heads of the chains."""

import hashlib
import hmac
import json
import logging
import secrets
import zlib
from dataclasses import dataclass
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from sentinelle.core import crypto
from sentinelle.core.audit.context import current_audit_context
from sentinelle.core.models import AuditEntry, AuditOutcome

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
LEGACY = AuditEntry.SCHEME_LEGACY
KEYED = AuditEntry.SCHEME_KEYED
# How many chains new entries are spread over. Changing it is safe: each entry records its chain.
CHAINS = 16
# Any constant, with the chain as second key: serialises the appends to one chain on PostgreSQL so that
# two writers never share a predecessor.
_CHAIN_LOCK_KEY = 0x5E17E11E
# Domain separation: an entry's MAC can never pass for an anchor's (anchors.ANCHOR_LABEL), nor the reverse.
_ENTRY_LABEL = b"sentinelle-audit-entry\x00"


# --- The chain -----------------------------------------------------------------------------------


def _payload(entry: AuditEntry) -> list:
    return [
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


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def legacy_hash(entry: AuditEntry) -> str:
    """The unkeyed SHA-256 of the first entries (scheme LEGACY): kept only to verify them."""
    return hashlib.sha256(canonical_json(_payload(entry))).hexdigest()


def keyed_hash(entry: AuditEntry, key: bytes) -> str:
    """HMAC-SHA256 of the entry's fields, its scheme, its predecessor's hash and its chain (scheme KEYED;
    chain 0 is left out, so the entries written before chains keep their digest)."""
    body = [entry.scheme, *_payload(entry)]
    if entry.chain:
        body.append(entry.chain)
    return hmac.new(key, _ENTRY_LABEL + canonical_json(body), hashlib.sha256).hexdigest()


def compute_hash(entry: AuditEntry, key: bytes | None = None) -> str:
    """The digest an entry must carry under its own scheme (the keyed one needs the audit key)."""
    if entry.scheme == LEGACY:
        return legacy_hash(entry)
    if entry.scheme == KEYED:
        return keyed_hash(entry, key if key is not None else crypto.audit_key())
    raise ValueError(f"Unknown audit hash scheme {entry.scheme!r}")


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _chain_for(user, object_type: str, object_id: str) -> int:
    """The chain a new entry extends: the user's, else the object's, else any (see the module docstring).
    Inside a transaction, the chain it already appended to: one transaction holds one chain lock."""
    outer = connection.atomic_blocks[0] if connection.in_atomic_block else None
    pinned = getattr(connection, "_sentinelle_audit_chain", None)
    if outer is not None and pinned is not None and pinned[0] is outer:
        return pinned[1]
    if user is not None:
        chain = user.pk % CHAINS
    elif object_id:
        chain = zlib.crc32(f"{object_type}:{object_id}".encode()) % CHAINS
    else:
        chain = secrets.randbelow(CHAINS)
    if outer is not None:
        # Known by the outermost block (a decorator's block serves many transactions: forgotten at commit).
        connection._sentinelle_audit_chain = (outer, chain)
        transaction.on_commit(_forget_chain)
    return chain


def _forget_chain() -> None:
    connection._sentinelle_audit_chain = None


def _lock_chain(chain: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CHAIN_LOCK_KEY, chain])
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
    """Append one entry to its chain (in the caller's transaction if there is one). Recording changes no
    figure: a service that changes counted records says so itself (`figure_cache.figures_changed`).
    The details of the enclosing `audit_context` blocks are merged into `detail` (context.py)."""
    return _append(
        [(obj, object_type, object_id)],
        action=action,
        outcome=outcome,
        user=user,
        organisation=organisation,
        request=request,
        detail=detail,
    )[0]


def audit_record_many(
    *,
    action: str,
    objects,
    outcome: str = AuditOutcome.OK,
    user=None,
    organisation=None,
    request=None,
    detail: dict | None = None,
    details: list[dict] | None = None,
) -> list[AuditEntry]:
    """One entry per object (same action, user and detail), linked in order under one lock and written in
    one insert: a read of many records (an offline caseload) costs the same few queries however many.
    `details`, one per object, adds each entry's own detail to the shared one."""
    targets = [(obj, "", "") for obj in objects]
    if details is not None and len(details) != len(targets):
        raise ValueError("audit_record_many: one detail per object.")
    if not targets:
        return []
    return _append(
        targets,
        action=action,
        outcome=outcome,
        user=user,
        organisation=organisation,
        request=request,
        detail=detail,
        details=details,
    )


def _append(
    targets, *, action, outcome, user, organisation, request, detail, details=None
) -> list[AuditEntry]:
    """Link an entry for each (obj, object_type, object_id) to the chain's head, in order, and save them."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if organisation is None and user is not None:
        organisation = getattr(user, "audit_organisation", None)
    detail = {**current_audit_context(), **(detail or {})}
    named = []
    for obj, object_type, object_id in targets:
        if obj is not None:
            object_type = object_type or obj._meta.label_lower
            object_id = object_id or str(getattr(obj, "public_id", obj.pk))
        named.append((object_type, object_id))
    key = crypto.audit_key()  # before the lock: no one waits while the key ring is read
    with transaction.atomic():
        chain = _chain_for(user, *named[0])
        _lock_chain(chain)
        last = AuditEntry.objects.filter(chain=chain).order_by("-id").values_list("entry_hash", flat=True)
        previous = last.first() or GENESIS_HASH
        entries = []
        for index, (object_type, object_id) in enumerate(named):
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
                detail={**detail, **details[index]} if details else detail,
                prev_hash=previous,
                scheme=KEYED,
                chain=chain,
            )
            entry.entry_hash = previous = keyed_hash(entry, key)
            entries.append(entry)
        if len(entries) == 1:
            entries[0].save()
        else:
            # In chain order: the ids grow with the links, as verification walks them.
            AuditEntry.objects.bulk_create(entries)
    return entries


# --- The head ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainHead:
    """The last entry of one chain: its id, its digest and how many entries of the chain end with it."""

    chain: int
    id: int
    digest: str
    count: int


@dataclass(frozen=True)
class Head:
    """The log as one reading saw it: its last entry (id, digest), how many entries it held, and the
    head of each chain (what anchors vouch for: a chain's head keeps its position, the log's may not)."""

    id: int
    digest: str
    count: int
    chains: tuple[ChainHead, ...] = ()


EMPTY_HEAD = Head(0, GENESIS_HASH, 0)


def _head(per_chain, digests: dict[int, str]) -> Head:
    """The head from (chain, last id, entries) rows read in one statement, and the digests of those ids."""
    chains = tuple(
        ChainHead(int(chain), int(last), digests[int(last)], int(count))
        for chain, last, count in sorted(per_chain)
    )
    if not chains:
        return EMPTY_HEAD
    last = max(chains, key=lambda head: head.id)
    return Head(last.id, last.digest, sum(head.count for head in chains), chains)


def chain_head() -> Head:
    # One statement: the last id and the count of each chain come from the same snapshot.
    per_chain = list(
        AuditEntry.objects.order_by()
        .values("chain")
        .annotate(last=Max("id"), count=Count("id"))
        .values_list("chain", "last", "count")
    )
    digests = dict(
        AuditEntry.objects.filter(id__in=[row[1] for row in per_chain]).values_list("id", "entry_hash")
    )
    return _head(per_chain, digests)


def head_in(cursor) -> Head:
    """The head as a driver cursor sees it (a backup's copy, or its snapshot)."""
    table = AuditEntry._meta.db_table
    cursor.execute(f'SELECT chain, max(id), count(*) FROM "{table}" GROUP BY chain')  # noqa: S608
    per_chain = cursor.fetchall()
    if not per_chain:
        return EMPTY_HEAD
    ids = ",".join(str(int(row[1])) for row in per_chain)
    cursor.execute(f'SELECT id, entry_hash FROM "{table}" WHERE id IN ({ids})')  # noqa: S608
    return _head(per_chain, {int(row[0]): row[1] for row in cursor.fetchall()})
