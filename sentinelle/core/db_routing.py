"""Analysis reads on a PostgreSQL streaming replica; every write and every other read on the primary.

PostgreSQL's own streaming replication keeps the replica (`DATABASE_REPLICA_URL`, the "replica" alias);
Django's database router sends reads there only inside an analysis context: dashboards, the statistics
API, report pages and downloads, dashboard exports (their views are wrapped in `analysis_view`). Outside
one, and for everything that must be current even inside one (users, memberships and permissions, the
audit chain, throttles, sessions, tasks), reads stay on the primary. So does every read inside a
transaction on the primary: it must see its own transaction. Writes always go to the primary
(`db_for_write`), and nothing is ever migrated on the replica (the standby is read-only anyway).

The replica is used only when it is close enough, checked at most once per `REPLICA_CHECK_SECONDS` per
process (two one-line queries, one on each server):
- lag: the replica has replayed the primary's WAL position, or the last transaction it replayed committed
  less than `REPLICA_MAX_LAG_SECONDS` ago; else the primary answers (so does it when the replica is down);
- read-your-writes: after a user's request that may have written (any method but GET, HEAD, OPTIONS,
  TRACE), `ReadYourWritesMiddleware` keeps the primary's WAL insert position in a signed cookie; that user's
  analysis reads stay on the primary until the replica has replayed past it. API clients keep no cookie:
  their statistics may lag their own writes by at most the bound.
The choice is made once, when the context opens: a whole page reads from one server.

Through PgBouncer in transaction mode nothing here keeps session state: the checks are single statements,
the cookie holds the position between requests (settings.py: DATABASE_PGBOUNCER).
"""

import functools
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
# The models analysis may read on the replica: the records figures count, the areas and organisations they
# roll up through, the reports, and the figure cache with its data stamps (read where the figures are
# computed, so that a result is stored under the stamps of the data it counted; written on the primary).
REPLICA_APPS = frozenset(
    {"monitoring", "cases", "displacement", "activities", "geography", "directory", "reports"}
)
REPLICA_MODELS = frozenset({"core.datastamp", "core.figurecache", "accounts.organisation"})

COOKIE = "sentinelle_wal"
_SALT = "sentinelle.core.db_routing.wal"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_read_alias: ContextVar[str | None] = ContextVar("sentinelle_read_alias", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def max_lag_seconds() -> float:
    return float(settings.SENTINELLE.get("REPLICA_MAX_LAG_SECONDS", 30))


def check_seconds() -> float:
    return float(settings.SENTINELLE.get("REPLICA_CHECK_SECONDS", 2))


def replica_safe(model) -> bool:
    meta = model._meta
    return meta.app_label in REPLICA_APPS or meta.label_lower in REPLICA_MODELS


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads to the replica inside an analysis context only."""

    def db_for_read(self, model, **hints):
        alias = _read_alias.get()
        if alias is None or not replica_safe(model) or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read there may point to one read here.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None


# The replica's state ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicaStatus:
    usable: bool
    # The WAL position the replica has replayed (an integer, comparable), 0 when unknown.
    replay_lsn: int = 0
    lag_seconds: float | None = None
    reason: str = ""


_status_lock = threading.Lock()
_status: tuple[float, ReplicaStatus] | None = None


def lsn_value(text: str | None) -> int:
    """'16/B374D848' -> an integer that orders like the positions."""
    if not text:
        return 0
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def primary_lsn() -> int:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        return lsn_value(cursor.fetchone()[0])


def _check() -> ReplicaStatus:
    # The primary's position first: a replica that has replayed it afterwards is current as of then.
    target = primary_lsn()
    replica = connections[REPLICA]
    try:
        with replica.cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
                " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8"
            )
            in_recovery, replayed, since_last_commit = cursor.fetchone()
    except DatabaseError as error:
        replica.close()  # reconnect at the next check
        return ReplicaStatus(usable=False, reason=f"down: {error.__class__.__name__}")
    if not in_recovery:
        return ReplicaStatus(usable=False, reason="not a standby")
    replay_lsn = lsn_value(replayed)
    if replay_lsn >= target:
        return ReplicaStatus(usable=True, replay_lsn=replay_lsn, lag_seconds=0.0)
    lag = since_last_commit if since_last_commit is not None else float("inf")
    if lag > max_lag_seconds():
        return ReplicaStatus(usable=False, replay_lsn=replay_lsn, lag_seconds=lag, reason="lagging")
    return ReplicaStatus(usable=True, replay_lsn=replay_lsn, lag_seconds=lag)


def replica_status(*, fresh: bool = False) -> ReplicaStatus:
    """The replica's state, checked at most once per REPLICA_CHECK_SECONDS in this process."""
    global _status
    if not replica_configured():
        return ReplicaStatus(usable=False, reason="not configured")
    now = time.monotonic()
    with _status_lock:
        cached = _status
    if not fresh and cached is not None and now - cached[0] < check_seconds():
        return cached[1]
    status = _check()
    with _status_lock:
        _status = (time.monotonic(), status)
    return status


def forget_status() -> None:
    """Check the replica afresh at the next analysis read (tests)."""
    global _status
    with _status_lock:
        _status = None


# Read-your-writes ---------------------------------------------------------------------------------------


def written_lsn(request) -> int:
    """The primary's position after this browser's last request that may have written; 0 if none."""
    if request is None:
        return 0
    try:
        value = request.get_signed_cookie(COOKIE, default=None, salt=_SALT, max_age=_cookie_seconds())
    except (signing.BadSignature, ValueError):
        return 0
    return lsn_value(value) if value else 0


def _cookie_seconds() -> int:
    # Past the lag bound (and the check interval), a usable replica has replayed the write anyway.
    return int(max(60.0, 2 * (max_lag_seconds() + check_seconds())))


class ReadYourWritesMiddleware:
    """Remembers, in a signed cookie, the primary's WAL position after each request that may have
    written, so that this browser's next analysis reads wait for the replica to replay it."""

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in _SAFE_METHODS:
            lsn = primary_lsn()
            response.set_signed_cookie(
                COOKIE,
                f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}",
                salt=_SALT,
                max_age=_cookie_seconds(),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


# The analysis context -----------------------------------------------------------------------------------


def read_alias_for(request=None) -> str:
    """Where an analysis read for this request goes now: REPLICA, or the primary when there is none, it
    lags past the bound or is down, this browser wrote what it has not replayed yet, or a transaction is
    open on the primary."""
    if not replica_configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    status = replica_status()
    if not status.usable:
        return DEFAULT_DB_ALIAS
    wrote = written_lsn(request)
    if wrote and status.replay_lsn < wrote:
        status = replica_status(fresh=True)  # it may have replayed it since the last check
        if not status.usable or status.replay_lsn < wrote:
            return DEFAULT_DB_ALIAS
    return REPLICA


@contextmanager
def analysis_reads(request=None):
    """Inside: reads of the analysis models go to the replica when it may answer (see read_alias_for)."""
    alias = read_alias_for(request)
    token = _read_alias.set(alias if alias != DEFAULT_DB_ALIAS else None)
    try:
        yield alias
    finally:
        _read_alias.reset(token)


def analysis_view(view):
    """Decorates a view (a function, or a class-based view's method) whose reads are analysis reads."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        request = next((arg for arg in args if hasattr(arg, "COOKIES") and hasattr(arg, "method")), None)
        with analysis_reads(request):
            return view(*args, **kwargs)

    return wrapped
