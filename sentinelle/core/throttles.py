"""Throttles for every door that takes a secret: sign-in, two-factor codes, the API, OpenRosa devices,
person search.

One mechanism: a token bucket per (door, counted thing) kept in the database, so that every server process
and every machine shares it (a per-process memory would let an attacker spread guesses over the workers).
A bucket holds `limit` tokens and refills at `limit` per `period` seconds; each hit takes one. The counted
thing (a username, a client address, a user id) is stored only as a keyed digest.

Two ways to use a door, chosen by the secret it guards:
  - a secret that can be guessed (a password, a six-digit code): `throttle_take` before checking it, all
    buckets or none, then `throttle_refund` when the secret was right. Concurrent guesses each take their
    token first, so that a burst of parallel requests cannot all pass one read of the bucket;
  - a secret that cannot be guessed (device secrets, API tokens: 100 bits or more of randomness):
    `throttle_check` before (reads only), `throttle_count` after a failure, so that the many successful
    requests of a phone or a script write nothing.
A refused door raises `TooManyAttempts` after writing one audit entry (no username, no secret: the
door, a prefix of the bucket's keyed digest, and the wait).

Throttle writes run in a transaction of their own (`transaction.atomic` at the outermost level commits at
once): call them outside the service's transaction, so that a refused or failed request still counts and
a concurrent request sees the token taken while the secret is being checked. Each write is two queries
for an existing bucket (select for update, update), four for a new one.
"""

import hashlib
import hmac
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sentinelle.core.models import ThrottleBucket

Door = tuple[str, str]  # (door name in SENTINELLE["THROTTLES"], counted thing)


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """'20/900' is 20 hits per 900 seconds; 's', 'm', 'h', 'd' suffixes are accepted ('20/15m')."""
        limit, _slash, period = text.partition("/")
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        period = period.strip() or "1s"
        factor = units.get(period[-1])
        number = period[:-1] if factor else period
        return cls(limit=int(limit), period=int(number or 1) * (factor or 1))

    @property
    def refill_per_second(self) -> float:
        return self.limit / self.period


class TooManyAttempts(Exception):
    """A door refused the request: one of its buckets is empty. Raised once the refusal is audited."""

    def __init__(self, door: str, retry_after: int):
        super().__init__(door)
        self.door = door
        self.retry_after = max(1, int(retry_after))

    @property
    def retry_after_minutes(self) -> int:
        return max(1, -(-self.retry_after // 60))


def rate(name: str) -> Rate:
    """The configured rate of a door (settings.SENTINELLE['THROTTLES'][name])."""
    return Rate.parse(settings.SENTINELLE["THROTTLES"][name])


def bucket_key(door: str, counted: str) -> str:
    from sentinelle.core.crypto import get_keyring

    message = f"{door}\x00{counted.strip().lower()}".encode()
    return hmac.new(get_keyring().hash_key, message, hashlib.sha256).hexdigest()


def client_address(request) -> str:
    """The client a throttle counts: REMOTE_ADDR, or behind trusted reverse proxies the address the nearest
    one saw (the NUM_PROXIES-th from the right of X-Forwarded-For; REST_FRAMEWORK["NUM_PROXIES"], the
    setting DRF reads for the same purpose). Addresses further left are the client's own claim, never read.
    An IPv6 client counts by its /64 network: one subscriber holds a whole /64.
    """
    address = request.META.get("REMOTE_ADDR") or ""
    proxies = int(getattr(settings, "REST_FRAMEWORK", {}).get("NUM_PROXIES") or 0)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if proxies and forwarded:
        address = forwarded[-min(proxies, len(forwarded))]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _level(bucket: ThrottleBucket, rate_: Rate, now) -> float:
    elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
    return min(rate_.limit, bucket.tokens + elapsed * rate_.refill_per_second)


# Floating-point slack: a bucket refilled for exactly the announced Retry-After holds its token.
_EPSILON = 1e-6


def _wait(level: float, rate_: Rate) -> int:
    """Seconds until a bucket at `level` holds one token again."""
    if level + _EPSILON >= 1:
        return 0
    if rate_.limit <= 0:
        return rate_.period
    return max(1, math.ceil((1 - level) / rate_.refill_per_second - _EPSILON))


def throttle_allows(door: str, counted: str, rate_: Rate | None = None) -> bool:
    """Would one more hit pass? (Reads only: for doors that count failures, asked before the secret.)"""
    rate_ = rate_ or rate(door)
    bucket = ThrottleBucket.objects.filter(key=bucket_key(door, counted)).first()
    level = rate_.limit if bucket is None else _level(bucket, rate_, timezone.now())
    return _wait(level, rate_) == 0


def throttle_hit(door: str, counted: str, rate_: Rate | None = None) -> bool:
    """Take one token; False (and nothing taken) when the bucket is empty."""
    return _take([(bucket_key(door, counted), door)], all_or_none=True, rates={door: rate_}) is None


def throttle_reset(door: str, counted: str) -> None:
    ThrottleBucket.objects.filter(key=bucket_key(door, counted)).delete()


def throttle_retry_after(door: str, counted: str, rate_: Rate | None = None) -> int:
    """Seconds until the next hit would pass (0 when it would pass now)."""
    rate_ = rate_ or rate(door)
    bucket = ThrottleBucket.objects.filter(key=bucket_key(door, counted)).first()
    if bucket is None:
        return _wait(rate_.limit, rate_)
    return _wait(_level(bucket, rate_, timezone.now()), rate_)


def throttles_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Buckets untouched for a day are full again: drop them (scheduled work)."""
    deleted, _ = ThrottleBucket.objects.filter(updated_at__lt=timezone.now() - older_than).delete()
    return deleted


# --- Doors: several buckets at once, refusals audited ------------------------------------------


def _keyed(doors: Iterable[Door]) -> list[tuple[str, str]]:
    """(bucket key, door) for each door, without repeats, in key order (rows are always locked in the
    same order, so that two requests taking overlapping buckets never deadlock)."""
    return sorted({(bucket_key(door, counted), door) for door, counted in doors})


def _locked(keyed, rates: dict, now) -> dict[str, ThrottleBucket]:
    """The buckets, locked until the end of the transaction; the missing ones created full first (a
    concurrent first hit may insert the same key: its row is kept, never an IntegrityError)."""
    keys = [key for key, _door in keyed]
    rows = ThrottleBucket.objects.select_for_update().filter(key__in=keys).order_by("key")
    buckets = {bucket.key: bucket for bucket in rows}
    missing = [
        ThrottleBucket(key=key, tokens=rates[door].limit, updated_at=now)
        for key, door in keyed
        if key not in buckets
    ]
    if missing:
        ThrottleBucket.objects.bulk_create(missing, ignore_conflicts=True)
        buckets = {bucket.key: bucket for bucket in rows.all()}
    return buckets


def _take(keyed, *, all_or_none: bool, rates: dict | None = None) -> tuple[int, str, str] | None:
    """Take a token from each bucket; (wait, door, key) of the longest refusal, or None.

    all_or_none: when one bucket is empty, take nothing at all (a door's check); otherwise take from those
    that have a token (counting a failure). Two queries for existing buckets (select for update, update):
    no savepoint, so that the API's every call stays cheap; nothing in here raises a database error that
    a savepoint would have to absorb."""
    rates = {door: (rates or {}).get(door) or rate(door) for _key, door in keyed}
    now = timezone.now()
    refused: tuple[int, str, str] | None = None
    with transaction.atomic(savepoint=False):
        buckets = _locked(keyed, rates, now)
        changed = []
        for key, door in keyed:
            bucket = buckets.get(key)
            if bucket is None:  # reset or pruned between the insert and the lock: a full bucket
                continue
            level = _level(bucket, rates[door], now)
            wait = _wait(level, rates[door])
            if wait:
                if refused is None or wait > refused[0]:
                    refused = (wait, door, key)
                continue
            bucket.tokens, bucket.updated_at = max(level - 1, 0.0), now
            changed.append(bucket)
        if changed and (refused is None or not all_or_none):
            ThrottleBucket.objects.bulk_update(changed, ["tokens", "updated_at"])
    return refused


def _refuse(door: str, key: str, wait: int, *, request, user, channel: str) -> TooManyAttempts:
    """The refusal, audited through the policy's one refusal entry (the door and a prefix of the bucket's
    keyed digest: never the username or address counted)."""
    from sentinelle.core.permissions import audit_refusal

    refusal = TooManyAttempts(door, wait)
    audit_refusal(
        user,
        object_type="throttle",
        object_id=door,
        request=request,
        detail={"throttle": door, "bucket": key[:16], "retry_after": refusal.retry_after, "channel": channel},
    )
    return refusal


def throttle_take(doors: Iterable[Door], *, request=None, user=None, channel: str = "") -> None:
    """Take one token from each door's bucket, all or none, and commit at once; when one is empty, take
    nothing, audit the refusal and raise TooManyAttempts (the longest wait among the empty ones)."""
    refused = _take(_keyed(doors), all_or_none=True)
    if refused is not None:
        wait, door, key = refused
        raise _refuse(door, key, wait, request=request, user=user, channel=channel)


def throttle_refund(doors: Iterable[Door]) -> None:
    """Give back the token `throttle_take` took: the secret was right, so the attempt is not a failure."""
    keyed = _keyed(doors)
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        rows = ThrottleBucket.objects.select_for_update().filter(key__in=[key for key, _ in keyed])
        buckets = {bucket.key: bucket for bucket in rows.order_by("key")}
        changed = []
        for key, door in keyed:
            bucket = buckets.get(key)
            if bucket is not None:
                rate_ = rate(door)
                bucket.tokens, bucket.updated_at = min(rate_.limit, _level(bucket, rate_, now) + 1), now
                changed.append(bucket)
        if changed:
            ThrottleBucket.objects.bulk_update(changed, ["tokens", "updated_at"])


def throttle_check(doors: Iterable[Door], *, request=None, user=None, channel: str = "") -> None:
    """Reads only: audit and raise TooManyAttempts when one door's bucket is empty."""
    keyed = _keyed(doors)
    now = timezone.now()
    buckets = {bucket.key: bucket for bucket in ThrottleBucket.objects.filter(key__in=[k for k, _ in keyed])}
    refused: tuple[int, str, str] | None = None
    for key, door in keyed:
        rate_ = rate(door)
        bucket = buckets.get(key)
        wait = _wait(rate_.limit if bucket is None else _level(bucket, rate_, now), rate_)
        if wait and (refused is None or wait > refused[0]):
            refused = (wait, door, key)
    if refused is not None:
        wait, door, key = refused
        raise _refuse(door, key, wait, request=request, user=user, channel=channel)


def throttle_count(doors: Iterable[Door]) -> None:
    """Count a failure at each door (a bucket already empty stays empty)."""
    _take(_keyed(doors), all_or_none=False)
