"""Audit anchors: the heads of the chains written outside the database (see the package docstring)."""

import fcntl
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from sentinelle.core import crypto
from sentinelle.core.audit.chain import Head, audit_record, canonical_json, chain_head
from sentinelle.core.models import AuditAction, AuditEntry

logger = logging.getLogger(__name__)


# Domain separation: an anchor's MAC can never pass for an entry's, nor the reverse.
ANCHOR_LABEL = b"sentinelle-audit-anchor\x00"
ANCHOR_FILE = "audit-anchors.jsonl"
_ANCHOR_LOCK_FILE = ".audit-anchors.lock"
# 2: with the head of every chain ("chains"); 1: one head (written before the chains).
ANCHOR_FORMAT = 2
# The audit entry written when an anchor file starts: afterwards, the file must exist.
ANCHOR_OBJECT_TYPE = "audit.anchors"
ANCHORS_STARTED = "started"


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
    return hmac.new(key, ANCHOR_LABEL + canonical_json(body), hashlib.sha256).hexdigest()


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
        "chains": _chain_heads(head),
        "detail": detail or {},
    }
    line["mac"] = _anchor_mac(line, key or crypto.audit_key())
    return line


def _chain_heads(head: Head) -> list[list]:
    """An anchor's heads of chains: [chain, id, digest, entries in the chain], by chain."""
    return [[chain.chain, chain.id, chain.digest, chain.count] for chain in head.chains]


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
            unchanged = last and (last["head_id"], last["head_hash"], last.get("chains")) == (
                head.id,
                head.digest,
                _chain_heads(head),
            )
            if skip_if_unchanged and unchanged:
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
