"""Append-only audit log: keyed hash chains, anchored outside the database.

The chains. Each entry's hash covers its own fields and the hash of the entry before it in its chain, so
removing, editing, inserting or reordering any entry breaks its chain from that point on. The hash is an
HMAC-SHA256 under the audit key (`crypto.audit_key()`, derived from the key ring, never in the database):
someone who can write to the database cannot recompute it after a change. Entries written before the keyed
scheme keep their plain SHA-256 (scheme LEGACY; the log is append-only, they are not rewritten); the first
keyed entry of chain 0 chains over the last legacy one, so a rewritten legacy entry breaks a keyed link,
and a legacy entry after a keyed one, or outside chain 0, is a break (a forger cannot fall back to the
unkeyed scheme).

Why several chains. Appending needs the head of the chain, and two writers must never extend the same
head: on PostgreSQL the appender holds a transaction-level advisory lock until its transaction commits.
With one chain, that lock serialised every audited request of the installation (reads included) for the
length of its transaction. The log is therefore CHAINS parallel chains: an entry goes to the chain of its
user (user id modulo CHAINS), or, without a user, of its object, or any chain; each chain has its own lock
(`pg_advisory_xact_lock(_CHAIN_LOCK_KEY, chain)`) and its own head (the index on (chain, id)), so requests
wait only for the few others that share their chain. All the entries that one transaction writes go to
one chain (the first one it chose): a transaction never holds two chain locks, so two transactions cannot
deadlock on them. The chain number is in the MAC (for chains other than 0, whose entries predate chains
and hash as before), so an entry moved to another chain breaks both. Within a chain, ids grow with the
order of the links (the next link is written under the lock, after the previous one committed), which is
what verification walks. SQLite takes the database write lock for every write anyway: there, the chains
change nothing.

The anchors. A chain cannot show that its end was cut off. The head of every chain (entry id, digest,
number of entries in the chain) and of the log (its last entry, the total), with the time, is written
outside the database, as one JSON line of an append-only file in SENTINELLE_AUDIT_ANCHOR_DIR, authenticated
with the audit key and chained to the line before it (a line edited, removed or reordered is detected): by
`manage.py audit_anchor` (a timer), by the worker (`run_jobs --loop`) every AUDIT_ANCHOR_MINUTES, and by
every backup (also recorded in its manifest). The start of an anchor file is itself an audit entry, so a
deleted anchor file is noticed. `verify_log` walks the chains and checks every anchor since the last
restore: each anchored head must still be there, with its anchored digest and position in its chain,
which catches a truncation and a rewrite of the end of any chain. As with one chain, what the anchors
cannot vouch for is the end written since the latest anchor: now the last entries of each chain (one
chain's end can be cut while the others go on), so anchors stay frequent. Anchors written before the
chains (one head, no "chains") are checked as they were: the anchored entry at its position in the log.

A restore deliberately rewinds the log to the backup's anchor: it appends its own audit entry, then an
anchor of kind "restore" that names the backup's anchor it rewound to and supersedes the anchors written
after it (their entries are gone with the rest of the newer data). Verification checks the anchors from the
last restore on; older ones stay in the file as history.

Entries written inside an `audit_context(...)` block carry its details too (context.py): the device and
offline time of a change replayed at sync, for instance, whichever service writes the entry.

Details must never carry personal data: object type and public id are enough to find the record.
"""

from sentinelle.core.audit.anchors import (
    ANCHOR_FILE,
    AnchorError,
    AnchorSchedule,
    AnchorsNotConfigured,
    anchor_authentic,
    anchor_path,
    anchors_started,
    latest_anchor,
    make_anchor,
    read_anchors,
    write_anchor,
)
from sentinelle.core.audit.chain import (
    CHAINS,
    GENESIS_HASH,
    Head,
    audit_record,
    audit_record_many,
    chain_head,
    client_ip,
    compute_hash,
    head_in,
    keyed_hash,
)
from sentinelle.core.audit.context import audit_context, current_audit_context
from sentinelle.core.audit.verification import Verification, verify_chain, verify_log

__all__ = [
    "ANCHOR_FILE",
    "CHAINS",
    "GENESIS_HASH",
    "AnchorError",
    "AnchorSchedule",
    "AnchorsNotConfigured",
    "Head",
    "Verification",
    "anchor_authentic",
    "anchor_path",
    "anchors_started",
    "audit_context",
    "audit_record",
    "audit_record_many",
    "chain_head",
    "client_ip",
    "compute_hash",
    "current_audit_context",
    "head_in",
    "keyed_hash",
    "latest_anchor",
    "make_anchor",
    "read_anchors",
    "verify_chain",
    "verify_log",
    "write_anchor",
]
