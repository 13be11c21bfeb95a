"""Explicit follow-ups between sibling domains, run after the writing transaction commits.

The domain apps do not import each other (design §3), yet a displacement event must reach the alert
rules of monitoring. The service that writes calls `announce(topic, ...)`; the app that reacts declares
`follow(topic, handler)` in its `AppConfig.ready`. Unlike Django signals, nothing fires implicitly:
each announce is a visible line in a service, and handlers run only once the write is committed, so a
failing follow-up can never undo the record.
"""

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

DISPLACEMENT_EVENTS_RECORDED = "displacement.events_recorded"

_FOLLOWERS: dict[str, list[Callable]] = defaultdict(list)


def follow(topic: str, handler: Callable) -> None:
    if handler not in _FOLLOWERS[topic]:
        _FOLLOWERS[topic].append(handler)


def announce(topic: str, **payload) -> None:
    """Run every follower of `topic` with `payload` once the current transaction commits."""
    for handler in list(_FOLLOWERS.get(topic, ())):
        transaction.on_commit(lambda handler=handler: handler(**payload))


def followers(topic: str) -> list[Callable]:
    return list(_FOLLOWERS.get(topic, ()))
