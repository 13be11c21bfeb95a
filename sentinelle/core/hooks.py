"""Explicit follow-ups between sibling domains, run after the writing transaction commits.

The domain apps do not import each other (design §3), yet a displacement event must reach the alert
rules of monitoring. The service that writes calls `announce(topic, ...)`; the app that reacts declares
`follow(topic, handler)` in its `AppConfig.ready`. Unlike Django signals, nothing fires implicitly:
each announce is a visible line in a service, and handlers run only once the write is committed, as
queued tasks (core/tasks.py), so a failing follow-up can never undo the record and is retried.
"""

from collections import defaultdict
from collections.abc import Callable

DISPLACEMENT_EVENTS_RECORDED = "displacement.events_recorded"

_FOLLOWERS: dict[str, list[Callable]] = defaultdict(list)


def follow(topic: str, handler: Callable) -> None:
    if handler not in _FOLLOWERS[topic]:
        _FOLLOWERS[topic].append(handler)


def announce(topic: str, **payload) -> None:
    """Once the current transaction commits, queue one task per follower of `topic` (core/tasks.py
    `hook_run`: out of the request, retried). The payload is JSON: ids, never records."""
    from sentinelle.core.tasks import enqueue_after_commit, handler_path, hook_run

    for handler in list(_FOLLOWERS.get(topic, ())):
        enqueue_after_commit(hook_run, topic=topic, handler=handler_path(handler), payload=payload)


def followers(topic: str) -> list[Callable]:
    return list(_FOLLOWERS.get(topic, ()))
