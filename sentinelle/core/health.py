"""The health check (`/healthz`, views.healthz) for the proxy and monitoring, and the worker's heartbeat.

    GET /healthz  ->  200 {"status": "ok", "checks": {...}}  or  503 {"status": "failing", "checks": {...}}

Each check answers one word, never a figure: a count of pending tasks, the age of the oldest one or of the
last audit entry would tell an anonymous caller when people are at work (an incident just recorded, an
alert just raised). The words:

    database      ok | unreachable                 SELECT 1 on the default database
    worker        ok | stale | never | off          the worker (run_jobs) beats every BEAT_SECONDS; stale past
                                                    WORKER_STALE; off when tasks do not go through the
                                                    database (SENTINELLE_TASKS=immediate: DEBUG, tests)
    tasks         ok | late | off                   a task due for longer than TASK_LATE has not run
    backup        ok | stale | never | off          the last backup that completed is older than
                                                    SENTINELLE["HEALTH_BACKUP_HOURS"] (default 26: a daily
                                                    timer and its slack; 0 or DEBUG: off)
    audit_anchor  ok | late | unreadable | off       an audit entry older than twice the anchor interval is
                                                    not covered by the anchor file's last line (an idle log
                                                    needs no new anchor), or that line does not authenticate

A completed backup is known by its anchor: every backup appends an anchor of kind "backup" to the anchor
file once its copy and manifest are written (core/backups.py), so the anchor file, read from its end, says
both when the chain was last anchored and when the last backup completed. Without an anchor directory both
checks are off (`check --deploy` warns about it; deploy/install.sh refuses it).

"off" is healthy (not configured here). When the database is unreachable the checks that need it answer
"unknown". No session, no authentication, no cookie: three indexed reads and the end of the anchor file
(at most SCAN_BYTES, about a week of anchors), so the proxy may ask often (the nginx site rate-limits it).
"""

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from sentinelle.core import audit
from sentinelle.core.models import AuditEntry, Heartbeat

WORKER = "worker"
# The worker records a beat at most this often (one upsert), and is stale without one for this long.
BEAT_SECONDS = 30
WORKER_STALE = timedelta(minutes=5)
TASK_LATE = timedelta(minutes=15)
# How far back from its end the anchor file is read for the last backup's anchor.
SCAN_BYTES = 4 * 1024 * 1024
_BACKUP_KIND = b'"kind":"backup"'

OK, OFF, UNKNOWN = "ok", "off", "unknown"


# --- The worker's heartbeat --------------------------------------------------------------------------


def heartbeat_record(name: str = WORKER) -> None:
    """Say that the duty `name` ran just now (one statement: an upsert)."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, at=timezone.now())],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["at"],
    )


class WorkerHeartbeat:
    """For the worker's loop: a beat at start, then at most every BEAT_SECONDS."""

    def __init__(self):
        self.due = 0.0

    def tick(self) -> None:
        if time.monotonic() < self.due:
            return
        heartbeat_record(WORKER)
        self.due = time.monotonic() + BEAT_SECONDS


# --- Checks ----------------------------------------------------------------------------------------


def _tasks_in_database() -> bool:
    from django_tasks_db import DatabaseBackend

    return issubclass(import_string(settings.TASKS["default"]["BACKEND"]), DatabaseBackend)


def _age_check(at, limit: timedelta, now) -> str:
    if at is None:
        return "never"
    return OK if now - at <= limit else "stale"


def _tasks_check(now) -> str:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    limit = now - TASK_LATE
    late = DBTaskResult.objects.filter(status=TaskResultStatus.READY).filter(
        Q(run_after=get_date_max(), enqueued_at__lt=limit) | Q(run_after__lt=limit)
    )
    return "late" if late.exists() else OK


def _backup_hours() -> int:
    return int(settings.SENTINELLE.get("HEALTH_BACKUP_HOURS", 0 if settings.DEBUG else 26))


def _lines_from_end(path: Path, limit: int) -> Iterator[bytes]:
    """The lines of `path`, last first, from at most its last `limit` bytes (then one partial line)."""
    with path.open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        position, rest = end, b""
        while position > 0 and end - position < limit:
            step = min(65536, position, limit)
            position -= step
            handle.seek(position)
            lines = (handle.read(step) + rest).split(b"\n")
            rest = lines[0]
            yield from (line for line in reversed(lines[1:]) if line)
        if position == 0 and rest:
            yield rest


def _anchor(raw: bytes) -> dict:
    line = json.loads(raw)
    if not audit.anchor_authentic(line):
        raise ValueError("the anchor line does not authenticate")
    return line


def _anchor_checks(now) -> tuple[str, str]:
    """(audit_anchor, backup) from the end of the anchor file."""
    path = audit.anchor_path()
    hours = _backup_hours()
    if path is None:
        return OFF, OFF
    last, backup, scanned_all = None, None, True
    try:
        if path.exists():
            lines = _lines_from_end(path, SCAN_BYTES)
            for number, raw in enumerate(lines):
                if number == 0:
                    last = _anchor(raw)
                if _BACKUP_KIND in raw:
                    backup = _anchor(raw)
                    break
                if not hours:
                    break
            else:
                scanned_all = path.stat().st_size <= SCAN_BYTES
    except (OSError, ValueError, TypeError, ImproperlyConfigured):
        return "unreadable", "unknown" if hours else OFF
    backup_word = OFF
    if hours:
        at = datetime.fromisoformat(backup["at"]) if backup else None
        backup_word = _age_check(at, timedelta(hours=hours), now)
        if backup is None and not scanned_all:
            backup_word = "stale"  # none in the last SCAN_BYTES of anchors: a week or more
    anchored = int(last.get("head_id") or 0) if last else 0
    interval = max(int(settings.SENTINELLE.get("AUDIT_ANCHOR_MINUTES", 15)), 15)
    oldest = AuditEntry.objects.filter(pk__gt=anchored).order_by("pk").values_list("at", flat=True).first()
    anchor_word = "late" if oldest is not None and now - oldest > timedelta(minutes=2 * interval) else OK
    return anchor_word, backup_word


def health_checks() -> dict[str, str]:
    """{check: word}, in a fixed order (see the module docstring)."""
    checks = {"database": OK, "worker": OFF, "tasks": OFF, "backup": OFF, "audit_anchor": OFF}
    unreachable = {name: ("unreachable" if name == "database" else UNKNOWN) for name in checks}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return unreachable
    now = timezone.now()
    try:
        if _tasks_in_database():
            beat = Heartbeat.objects.filter(name=WORKER).values_list("at", flat=True).first()
            checks["worker"] = _age_check(beat, WORKER_STALE, now)
            checks["tasks"] = _tasks_check(now)
        checks["audit_anchor"], checks["backup"] = _anchor_checks(now)
    except DatabaseError:
        return unreachable
    return checks


def healthy(checks: dict[str, str]) -> bool:
    return all(word in (OK, OFF) for word in checks.values())
