"""Computed figures kept until the records under them change.

A dashboard asks for a few dozen aggregates; each is computed from the datasets' roll-up tables
(core/rollups.py, current in the transaction of every write) or, for the queries no roll-up covers, from
the records. `aggregate` keeps each result with the data stamps of its scope (the domain app whose
records it counts, and "*"). A service that changes records some figure counts says so, in its
transaction: `figures_changed("cases")` (or EVERYTHING for an import, the geography, an organisation's
name). The stamp moves once the write commits and the next reader computes afresh, so a figure is exact
at every moment: there is no refresh window, the roll-ups make the first view after a write cheap. The
audit log plays no part: an audited read moves nothing, and a write is fresh because its service says
so, not because it was audited. A result is also recomputed after `FIGURE_CACHE_SECONDS` whatever
happens, so a change made outside the services (a database repair, then `manage.py rollups_rebuild`)
shows within that time. Results stay in the database: every server process shares them, and a restored
or new database never answers with another database's figures.

Computations inside a transaction bypass the cache: they may see uncommitted writes, which must not be
stored for others.
"""

import datetime
import functools
import hashlib
import json
import threading

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Subquery
from django.utils import timezone

from sentinelle.core.models import DataStamp, FigureCache

EVERYTHING = "*"
# Apps whose records the datasets count: a change there moves only their own figures.
DATASET_APPS = frozenset({"monitoring", "cases", "displacement", "activities"})
# EVERYTHING: changes that can move any figure (imports, the areas figures roll up through, organisation
# names).
SCOPES = DATASET_APPS | {EVERYTHING}

_pending = threading.local()


def max_age_seconds() -> int:
    return int(settings.SENTINELLE.get("FIGURE_CACHE_SECONDS", 900))


def figures_changed(*scopes: str) -> None:
    """Called by every service that changes records under figures, with their scopes (the app whose
    datasets count them, or EVERYTHING): move the stamps once the write commits (not before, or a reader
    could store figures without it under the new stamp; not at all if it rolls back)."""
    unknown = set(scopes) - SCOPES
    if unknown or not scopes:
        raise ValueError(f"Figure scopes are {sorted(SCOPES)}, not {sorted(unknown) or 'none'}.")
    pending = getattr(_pending, "scopes", None)
    if pending is None:
        pending = _pending.scopes = set()
    pending.update(scopes)
    transaction.on_commit(functools.partial(_flush, frozenset(scopes)))


def _flush(scopes: frozenset[str]) -> None:
    # One bump per scope for the whole transaction: its first callback takes the scope out of the pending
    # set, the later ones find it gone. A rolled-back transaction's callbacks never run: what it left in
    # the set moves no stamp until a committed write names it again.
    due = sorted(scopes & _pending.scopes)
    _pending.scopes -= scopes
    if not due:
        return
    for scope in due:
        DataStamp.objects.bulk_create([DataStamp(scope=scope)], ignore_conflicts=True)
        DataStamp.objects.filter(scope=scope).update(version=F("version") + 1)
    expired = timezone.now() - datetime.timedelta(seconds=max_age_seconds())
    FigureCache.objects.filter(computed_at__lt=expired).delete()


def cached(*, scope: str, parts, compute) -> list[dict]:
    """`compute()`'s rows, from the cache when the records of `scope` have not changed since."""
    seconds = max_age_seconds()
    if not seconds or connection.in_atomic_block:
        return compute()
    key = hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()
    now = timezone.now()
    # The stored figure and the current stamps in one query (a cached dashboard reads a dozen figures).
    found = (
        FigureCache.objects.filter(key=key)
        .annotate(scope_version=_version(scope), all_version=_version(EVERYTHING))
        .values_list("rows", "stamps", "computed_at", "scope_version", "all_version")
        .first()
    )
    if found is not None:
        rows, stored_stamps, computed_at, scope_version, all_version = found
        stamps = f"{scope_version or 0}:{all_version or 0}"
        if (now - computed_at).total_seconds() < seconds and stored_stamps == stamps:
            return decode(rows)
    else:
        versions = dict(
            DataStamp.objects.filter(scope__in=[scope, EVERYTHING]).values_list("scope", "version")
        )
        stamps = f"{versions.get(scope, 0)}:{versions.get(EVERYTHING, 0)}"
    # The stamps were read before computing: a write committed meanwhile leaves this result under the
    # older stamps, and the next reader computes it again.
    rows = compute()
    _store(FigureCache(key=key, scope=scope, stamps=stamps, rows=encode(rows), computed_at=now))
    return rows


def _version(scope: str) -> Subquery:
    return Subquery(DataStamp.objects.filter(scope=scope).values("version")[:1])


def _store(figure: FigureCache) -> None:
    """Keep a computed figure. Its commit does not wait for the disk (PostgreSQL's synchronous_commit off,
    for this transaction only): a figure lost in a crash is computed again by its next reader, and a first
    view after a write computes a dozen of them, each commit otherwise waiting for a flush of the WAL."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        FigureCache.objects.bulk_create(
            [figure],
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["stamps", "rows", "computed_at"],
        )


def cached_values(queryset, *, scope: str) -> list[dict]:
    """The rows of an aggregating `.values(...).annotate(...)` queryset, cached like `aggregate`'s: its SQL
    and parameters are the key, so the user's scope and filters are part of it."""
    sql, params = queryset.query.sql_with_params()
    return cached(
        scope=scope, parts=["values", sql, [str(p) for p in params]], compute=lambda: list(queryset)
    )


# Rows hold codes, numbers and dates (months, years): JSON with dates tagged, never pickle.
def encode(rows: list[dict]) -> list[dict]:
    return [{k: _encode_value(v) for k, v in row.items()} for row in rows]


def decode(rows: list[dict]) -> list[dict]:
    return [{k: _decode_value(v) for k, v in row.items()} for row in rows]


def _encode_value(value):
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if hasattr(value, "as_integer_ratio") and not isinstance(value, int | float):
        return {"decimal": str(value)}
    return value


def _decode_value(value):
    if isinstance(value, dict):
        if "datetime" in value:
            return datetime.datetime.fromisoformat(value["datetime"])
        if "date" in value:
            return datetime.date.fromisoformat(value["date"])
        if "decimal" in value:
            from decimal import Decimal

            return Decimal(value["decimal"])
    return value
