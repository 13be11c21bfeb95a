"""Append-only audit log: a keyed hash chain, anchored outside the database.

The chain. Each entry's hash covers its own fields and the previous entry's hash, so removing, editing,
inserting or reordering any entry breaks the chain from that point on. The hash is an HMAC-SHA256 under the
audit key (`crypto.audit_key()`, derived from the key ring, never in the database): someone who can write to
the database cannot recompute it after a change. Entries written before the keyed scheme keep their plain
SHA-256 (scheme LEGACY; the log is append-only, they are not rewritten); the first keyed entry chains over
the last legacy one, so a rewritten legacy entry breaks a keyed link, and a legacy entry after a keyed one
is a break (a forger cannot fall back to the unkeyed scheme).

The anchors. A chain cannot show that its end was cut off. The head of the chain (entry id, digest, number
of entries, time) is written outside the database, as one JSON line of an append-only file in
SENTINELLE_AUDIT_ANCHOR_DIR, authenticated with the audit key and chained to the line before it (a line
edited, removed or reordered is detected): by `manage.py audit_anchor` (a timer), by the worker
(`run_jobs --loop`) every AUDIT_ANCHOR_MINUTES, and by every backup (also recorded in its manifest). The
start of an anchor file is itself an audit entry, so a deleted anchor file is noticed. `verify_log` walks
the chain and checks every anchor since the last restore: each anchored entry must still be there, with
its anchored digest and position, which catches a truncation and a rewrite of the end.

A restore deliberately rewinds the log to the backup's anchor: it appends its own audit entry, then an
anchor of kind "restore" that names the backup's anchor it rewound to and supersedes the anchors written
after it (their entries are gone with the rest of the newer data). Verification checks the anchors from the
last restore on; older ones stay in the file as history.

Details must never carry personal data: object type and public id are enough to find the record.
"""

import fcntl
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from sentinelle.core import crypto, figure_cache
from sentinelle.core.models import AuditAction, AuditEntry, AuditOutcome

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
LEGACY = AuditEntry.SCHEME_LEGACY
KEYED = AuditEntry.SCHEME_KEYED
FIGURE_MOVING_ACTIONS = frozenset(
    {AuditAction.CREATE, AuditAction.UPDATE, AuditAction.ARCHIVE, AuditAction.IMPORT}
)
# Any constant: serialises appends on PostgreSQL so that two writers never share a predecessor.
_CHAIN_LOCK_KEY = 0x5E17E11E
# Domain separation: an entry's MAC can never pass for an anchor's, nor the reverse.
_ENTRY_LABEL = b"sentinelle-audit-entry\x00"
_ANCHOR_LABEL = b"sentinelle-audit-anchor\x00"

ANCHOR_FILE = "audit-anchors.jsonl"
_ANCHOR_LOCK_FILE = ".audit-anchors.lock"
ANCHOR_FORMAT = 1
# The audit entry written when an anchor file starts: afterwards, the file must exist.
ANCHOR_OBJECT_TYPE = "audit.anchors"
ANCHORS_STARTED = "started"


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


def _json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def legacy_hash(entry: AuditEntry) -> str:
    """The unkeyed SHA-256 of the first entries (scheme LEGACY): kept only to verify them."""
    return hashlib.sha256(_json(_payload(entry))).hexdigest()


def keyed_hash(entry: AuditEntry, key: bytes) -> str:
    """HMAC-SHA256 of the entry's fields, its scheme and its predecessor's hash (scheme KEYED)."""
    return hmac.new(key, _ENTRY_LABEL + _json([entry.scheme, *_payload(entry)]), hashlib.sha256).hexdigest()


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
    key = crypto.audit_key()  # before the lock: no one waits while the key ring is read
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
            scheme=KEYED,
        )
        entry.entry_hash = keyed_hash(entry, key)
        entry.save()
    if action in FIGURE_MOVING_ACTIONS and outcome == AuditOutcome.OK:
        # Every write is audited: that is how the cached figures learn that their records changed.
        figure_cache.records_changed(object_type)
    return entry


# --- The head ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    """The last entry of the chain: its id, its digest and how many entries end with it."""

    id: int
    digest: str
    count: int


EMPTY_HEAD = Head(0, GENESIS_HASH, 0)


def chain_head() -> Head:
    last = AuditEntry.objects.order_by("-id").values_list("id", "entry_hash").first()
    if last is None:
        return EMPTY_HEAD
    return Head(last[0], last[1], AuditEntry.objects.filter(id__lte=last[0]).count())


def head_in(cursor) -> Head:
    """The head as a driver cursor sees it (a backup's copy, or its snapshot)."""
    table = AuditEntry._meta.db_table
    cursor.execute(f'SELECT id, entry_hash FROM "{table}" ORDER BY id DESC LIMIT 1')  # noqa: S608
    last = cursor.fetchone()
    if last is None:
        return EMPTY_HEAD
    cursor.execute(f'SELECT count(*) FROM "{table}" WHERE id <= {int(last[0])}')  # noqa: S608
    return Head(int(last[0]), last[1], int(cursor.fetchone()[0]))


# --- Anchors -------------------------------------------------------------------------------------


class AnchorError(Exception):
    """An anchor cannot be written; the message says why."""


class AnchorsNotConfigured(AnchorError):
    pass


def anchor_dir() -> Path | None:
    value = settings.SENTINELLE.get("AUDIT_ANCHOR_DIR", "")
    return Path(value) if value else None


def anchor_path() -> Path | None:
    directory = anchor_dir()
    return directory / ANCHOR_FILE if directory else None


def _anchor_mac(line: dict, key: bytes) -> str:
    body = {name: value for name, value in line.items() if name != "mac"}
    return hmac.new(key, _ANCHOR_LABEL + _json(body), hashlib.sha256).hexdigest()


def anchor_authentic(line, key: bytes | None = None) -> bool:
    if not isinstance(line, dict) or not isinstance(line.get("mac"), str):
        return False
    return hmac.compare_digest(line["mac"], _anchor_mac(line, key or crypto.audit_key()))


def make_anchor(kind: str, head: Head, *, seq=None, prev=None, detail=None, key=None) -> dict:
    """An authenticated anchor of `head` (seq/prev: its place in the anchor file; None outside it)."""
    line = {
        "format": ANCHOR_FORMAT,
        "seq": seq,
        "prev": prev,
        "kind": kind,
        "at": timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
        "head_id": head.id,
        "head_hash": head.digest,
        "count": head.count,
        "detail": detail or {},
    }
    line["mac"] = _anchor_mac(line, key or crypto.audit_key())
    return line


def _encode_line(line: dict) -> bytes:
    return json.dumps(line, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def read_anchors(path: Path | None = None) -> tuple[list[dict], list[str]]:
    """The lines of the anchor file that authenticate and follow each other, and the first problem."""
    path = path or anchor_path()
    if path is None or not path.exists():
        return [], []
    key = crypto.audit_key()
    lines: list[dict] = []
    with _anchor_file_lock(path.parent, shared=True), path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = json.loads(raw)
            except ValueError:
                return lines, [f"line {number} is not an anchor (edited, damaged or cut short)"]
            if not anchor_authentic(line, key):
                return lines, [
                    f"line {number} does not authenticate: it was edited, or written without the audit key"
                ]
            expected_seq, expected_prev = (lines[-1]["seq"] + 1, lines[-1]["mac"]) if lines else (1, "")
            if line.get("seq") != expected_seq or line.get("prev") != expected_prev:
                return lines, [
                    f"line {number} does not follow the line before it: anchor lines were removed, "
                    "inserted or reordered"
                ]
            lines.append(line)
    return lines, []


def latest_anchor() -> dict | None:
    lines, _problems = read_anchors()
    return lines[-1] if lines else None


def _last_line(descriptor: int) -> bytes | None:
    """The last line of a file, read from its end (the file grows for years)."""
    size = os.fstat(descriptor).st_size
    if size == 0:
        return None
    tail, position = b"", size
    while position > 0:
        step = min(4096, position)
        position -= step
        tail = os.pread(descriptor, step, position) + tail
        cut = tail.rstrip(b"\n").rfind(b"\n")
        if cut >= 0:
            return tail.rstrip(b"\n")[cut + 1 :]
    return tail.rstrip(b"\n")


@contextmanager
def _anchor_file_lock(directory: Path, *, shared: bool = False) -> Iterator[None]:
    """One writer at a time (the worker, the timer and a backup may meet); a reader never sees a line
    half-written. A reader that may not open the lock file (read-only access) reads without it."""
    path = directory / _ANCHOR_LOCK_FILE
    descriptor = None
    if not shared:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    elif os.access(path, os.R_OK):
        descriptor = os.open(path, os.O_RDONLY)
    if descriptor is None:
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def anchors_started() -> AuditEntry | None:
    """The entry that recorded the start of the latest anchor file, if anchoring ever started."""
    return (
        AuditEntry.objects.filter(object_id=ANCHORS_STARTED, object_type=ANCHOR_OBJECT_TYPE)
        .order_by("-id")
        .first()
    )


def _start_anchor_file(path: Path, new_file_reason: str) -> None:
    started = anchors_started()
    if started is not None and not new_file_reason:
        raise AnchorError(
            f"The anchor file {path} is missing or empty, but anchoring started at audit entry "
            f"#{started.pk} ({started.at:%Y-%m-%d %H:%M}): the anchors were removed. Put the file back from "
            "its copy; if it is lost for good, start a new one deliberately (manage.py audit_anchor "
            "--new-file, audited)."
        )
    audit_record(
        action=AuditAction.EXPORT,
        object_type=ANCHOR_OBJECT_TYPE,
        object_id=ANCHORS_STARTED,
        detail={
            "operation": "anchor_file_started",
            "reason": new_file_reason or "first",
            "previous_start": started.pk if started else None,
        },
    )


def write_anchor(
    kind: str,
    *,
    head: Head | None = None,
    detail: dict | None = None,
    skip_if_unchanged: bool = False,
    new_file_reason: str = "",
) -> dict | None:
    """Append an anchor of `head` (default: the current head) to the anchor file and return it; None
    when `skip_if_unchanged` and the file's last anchor already has this head.

    A missing anchor file is started (and its start audited) only the first time, or with a reason: a
    file that disappears after anchoring started is an alarm, not a fresh start.
    """
    directory = anchor_dir()
    if directory is None:
        raise AnchorsNotConfigured(
            "SENTINELLE_AUDIT_ANCHOR_DIR is not set: the audit chain is not anchored outside the database."
        )
    key = crypto.audit_key()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / ANCHOR_FILE
    with _anchor_file_lock(directory):
        if not path.exists() or path.stat().st_size == 0:
            _start_anchor_file(path, new_file_reason)
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            raw = _last_line(descriptor)
            last = None
            if raw is not None:
                try:
                    last = json.loads(raw)
                except ValueError:
                    last = None
                if not anchor_authentic(last, key):
                    raise AnchorError(
                        f"The last line of {path} does not authenticate (edited, damaged or forged): "
                        "no anchor is chained to it. Run manage.py audit_verify."
                    )
            head = head or chain_head()
            if skip_if_unchanged and last and (last["head_id"], last["head_hash"]) == (head.id, head.digest):
                return None
            line = make_anchor(
                kind,
                head,
                seq=last["seq"] + 1 if last else 1,
                prev=last["mac"] if last else "",
                detail=detail,
                key=key,
            )
            os.write(descriptor, _encode_line(line))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    return line


class AnchorSchedule:
    """For a long-running process: an anchor at start, then every `minutes` if the log moved."""

    def __init__(self, minutes: int | None = None):
        if minutes is None:
            minutes = int(settings.SENTINELLE.get("AUDIT_ANCHOR_MINUTES", 15))
        self.interval = minutes * 60
        self.due = 0.0

    @property
    def warning(self) -> str:
        if anchor_dir() is None:
            return "audit anchors off: SENTINELLE_AUDIT_ANCHOR_DIR is not set."
        if self.interval <= 0:
            return "audit anchors off in this worker (SENTINELLE_AUDIT_ANCHOR_MINUTES=0): run audit_anchor."
        return ""

    def tick(self) -> dict | None:
        if self.interval <= 0 or anchor_dir() is None or time.monotonic() < self.due:
            return None
        self.due = time.monotonic() + self.interval
        try:
            return write_anchor("worker", skip_if_unchanged=True)
        except (AnchorError, OSError) as error:
            logger.error("Audit anchor not written: %s", error)
            return None


# --- Verification --------------------------------------------------------------------------------


@dataclass
class Verification:
    entries: int = 0
    broken: AuditEntry | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    anchors_checked: int = 0
    latest_anchor: dict | None = None
    unanchored: int = 0  # entries after the latest anchor

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Check:
    label: str
    head_id: int
    head_hash: str
    count: int


def _link_problem(entry: AuditEntry, expected_prev: str, keyed_seen: bool, key) -> str | None:
    where = f"Audit chain broken at entry #{entry.pk} ({entry.at:%Y-%m-%d %H:%M:%S}, {entry.action})"
    if entry.scheme not in (LEGACY, KEYED):
        return f"{where}: unknown hash scheme {entry.scheme!r}."
    if entry.scheme == LEGACY and keyed_seen:
        return (
            f"{where}: it claims the unkeyed legacy scheme after keyed entries; it was written or "
            "rewritten without the audit key."
        )
    if entry.prev_hash != expected_prev:
        return f"{where}: it does not follow the entry before it; an entry before it was removed or inserted."
    if not hmac.compare_digest(compute_hash(entry, key), entry.entry_hash):
        return (
            f"{where}: its content does not match its hash; it was changed (or the configured key ring "
            "is not the one it was written with)."
        )
    return None


def _checks(lines: list[dict]) -> list[_Check]:
    """The anchors that must hold: those since the last restore, and the backup anchor it rewound to."""
    start = max((index for index, line in enumerate(lines) if line["kind"] == "restore"), default=0)
    checks = []
    if lines and lines[start]["kind"] == "restore":
        rewound = lines[start]["detail"].get("rewound_to") or {}
        if rewound.get("head_id"):
            checks.append(
                _Check(
                    f"the backup anchor that the restore of {lines[start]['at']} rewound to",
                    rewound["head_id"],
                    rewound["head_hash"],
                    rewound["count"],
                )
            )
    for line in lines[start:]:
        if line["head_id"]:
            label = f"anchor {line['seq']} ({line['kind']}, {line['at']})"
            checks.append(_Check(label, line["head_id"], line["head_hash"], line["count"]))
    return checks


def verify_log(*, anchors: bool = True, batch_size: int = 5000) -> Verification:
    """Walk the chain from the first entry and check it against the anchors (unless anchors=False)."""
    result = Verification()
    path = anchor_path() if anchors else None
    lines: list[dict] = []
    if path is not None:
        lines, file_problems = read_anchors(path)
        result.problems += [f"Anchor file {path}: {problem}" for problem in file_problems]
        result.latest_anchor = lines[-1] if lines else None
    checks = _checks(lines)
    wanted = {check.head_id for check in checks}
    found: dict[int, tuple[str, int]] = {}
    key = None
    expected_prev, keyed_seen, last_id, started = GENESIS_HASH, False, None, None
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size):
        result.entries += 1
        last_id = entry.pk
        if result.broken is None:
            if key is None and entry.scheme == KEYED:
                key = crypto.audit_key()
            problem = _link_problem(entry, expected_prev, keyed_seen, key)
            if problem:
                result.broken = entry
                result.problems.insert(0, problem)
            else:
                expected_prev = entry.entry_hash
                keyed_seen = keyed_seen or entry.scheme == KEYED
                if entry.object_id == ANCHORS_STARTED and entry.object_type == ANCHOR_OBJECT_TYPE:
                    started = entry
        if entry.pk in wanted:
            found[entry.pk] = (entry.entry_hash, result.entries)
    if not anchors:
        return result

    failures = []
    for check in checks:
        digest, position = found.get(check.head_id, (None, None))
        if digest is None and (last_id is None or check.head_id > last_id):
            failures.append(
                f"Audit log truncated: {check.label} recorded entry #{check.head_id} as the head "
                f"({check.count} entries), but the log ends at entry #{last_id or 0} ({result.entries} "
                "entries): entries were removed from its end."
            )
        elif digest is None:
            failures.append(f"Audit entry #{check.head_id}, recorded by {check.label}, was removed.")
        elif not hmac.compare_digest(digest, check.head_hash):
            failures.append(f"Audit entry #{check.head_id} differs from {check.label}: it was rewritten.")
        elif position != check.count:
            failures.append(
                f"{check.label} counted {check.count} entries up to #{check.head_id}, the log has "
                f"{position}: entries were removed or inserted."
            )
    result.anchors_checked = len(checks)
    if failures:
        others = f" ({len(failures) - 1} other anchor(s) fail as well.)" if len(failures) > 1 else ""
        result.problems.append(failures[0] + others)

    if path is None:
        if started is not None:
            result.problems.append(
                f"Anchoring started at entry #{started.pk}, but SENTINELLE_AUDIT_ANCHOR_DIR is not set: "
                "the anchors cannot be checked."
            )
        else:
            result.warnings.append(
                "SENTINELLE_AUDIT_ANCHOR_DIR is not set: the chain is not anchored outside the database, "
                "so entries removed from its end would go unnoticed."
            )
    elif not lines and not result.problems:
        if started is not None:
            result.problems.append(
                f"The anchor file {path} is missing or empty, but anchoring started at entry #{started.pk} "
                f"({started.at:%Y-%m-%d %H:%M}): the anchors were removed."
            )
        else:
            result.warnings.append(f"No anchor yet in {path}: run manage.py audit_anchor.")
    if result.latest_anchor and result.latest_anchor["head_id"] in found:
        result.unanchored = result.entries - found[result.latest_anchor["head_id"]][1]
    return result


def verify_chain(batch_size: int = 5000) -> AuditEntry | None:
    """The first entry that does not link (the chain only, not the anchors), or None."""
    return verify_log(anchors=False, batch_size=batch_size).broken


__all__ = ["AuditAction", "AuditOutcome", "audit_record", "verify_chain", "verify_log", "write_anchor"]
