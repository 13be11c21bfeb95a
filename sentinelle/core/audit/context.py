"""Details every audit entry written in a block carries, whoever writes it.

An offline change replayed at sync calls the same services as the web pages, which write their own audit
entries; the entries must still say which device recorded the change and when (offline). Rather than
pass that through every service signature, the sync wraps each change in
`audit_context(device=..., offline_at=...)` and `audit_record` merges the current context into the
entry's detail (the entry's own detail wins on a shared key). Blocks nest (the inner values are added to
the outer ones) and end with the block; the values are per thread and per task (a context variable),
never seen by another request.

Like any detail, the context carries ids, codes and times only, never personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CONTEXT: ContextVar[dict | None] = ContextVar("sentinelle_audit_context", default=None)


@contextmanager
def audit_context(**values) -> Iterator[None]:
    """Every audit entry written inside the block carries `values` in its detail."""
    token = _CONTEXT.set({**(_CONTEXT.get() or {}), **values})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_audit_context() -> dict:
    """The details of the enclosing `audit_context` blocks ({} outside any)."""
    return dict(_CONTEXT.get() or {})
