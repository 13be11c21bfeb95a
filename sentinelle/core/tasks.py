"""Side effects queued after commit: Django tasks (`django-tasks`, database backend), never in the request.

A service that causes a side effect (an e-mail, a webhook, a follow-up in another app) enqueues a task in
`transaction.on_commit`, so that nothing is queued for a write that was rolled back or refused. Tasks take
JSON arguments only (ids and strings, never model instances), and are safe to run again.

Retries: django-tasks does not retry. A task decorated with `retried` catches its own failure, queues its
next attempt (`attempt=n + 1`, after RETRY_DELAYS) and ends; after MAX_ATTEMPTS the failure is raised and
the task stays FAILED in the database (django_tasks_db.DBTaskResult), listed for administrators on the
audit log page (selectors.task_failure_list). Only a backend that can defer retries: with the immediate
backend (DEBUG, tests) a failure is final and logged.

Where tasks run: `run_jobs` (ingest) calls `tasks_run_pending` beside the import jobs; in DEBUG the
immediate backend runs each task at once, so `make run` needs no worker (settings.TASKS).
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
from django_tasks.utils import get_module_path, normalize_json

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Seconds before attempts 2, 3, 4 and 5: a mail server or a webhook down for a few hours is waited for.
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 60 * 60)


class TaskFailed(Exception):
    """A side effect that did not happen (a refused webhook call); the task retries or fails for good."""


def retried(func: Callable) -> Callable:
    """Under `@task()`: run `func`; when it raises, queue the next attempt with back-off and return, or,
    at the last attempt, raise (the task is FAILED, visible to administrators). The task's keyword
    `attempt` (1 when enqueued by a service) counts the attempts."""

    @functools.wraps(func)
    def attempt_once(*args, attempt: int = 1, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as error:
            this = import_string(get_module_path(attempt_once))  # the Task object of this function
            backend = this.get_backend()
            if attempt >= MAX_ATTEMPTS or not backend.supports_defer:
                logger.error(
                    "Task %s failed for good at attempt %s: %s", this.name, attempt, type(error).__name__
                )
                raise
            delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
            this.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                *args, attempt=attempt + 1, **kwargs
            )
            logger.warning(
                "Task %s failed at attempt %s (%s); attempt %s in %ss.",
                this.name,
                attempt,
                type(error).__name__,
                attempt + 1,
                delay,
            )
            return {"attempt": attempt, "error": type(error).__name__, "retry_in_seconds": delay}

    return attempt_once


def enqueue_after_commit(task_, *args, **kwargs) -> None:
    """Queue `task_` once the current transaction commits; the arguments are checked to be JSON now, so
    that a mistake shows in the service and not after its commit."""
    args, kwargs = normalize_json(args), normalize_json(kwargs)
    transaction.on_commit(lambda: task_.enqueue(*args, **kwargs))


# --- Mail --------------------------------------------------------------------------------------------


@task()
@retried
def mail_send(*, user_id: int, subject: str, body: str) -> bool:
    """E-mail one user (the address is read now: a changed address gets the message). False when the
    account was deactivated or has no address any more. A retry follows only a refused send, so a
    message is never sent twice."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or not user.email:
        return False
    EmailMessage(subject, body, to=[user.email]).send()
    return True


def mail_after_commit(users: Iterable, compose: Callable[[object], tuple[str, str]]) -> None:
    """After commit, queue one e-mail per active user with an address: what `compose(user)` returns, in
    the user's language. `compose` must not put a name in the subject or body (the message waits in the
    database until sent)."""
    recipients = [u for u in dict.fromkeys(users) if u is not None and u.is_active and u.email]
    if not recipients:
        return

    def enqueue():
        by_language = defaultdict(list)
        for user in recipients:
            by_language[user.language or settings.LANGUAGE_CODE].append(user)
        for language, users_ in by_language.items():
            with translation.override(language):
                for user in users_:
                    subject, body = compose(user)
                    mail_send.enqueue(user_id=user.pk, subject=str(subject), body=str(body))

    transaction.on_commit(enqueue)


# --- Follow-ups between apps (core/hooks.py) ---------------------------------------------------------


def handler_path(handler: Callable) -> str:
    return get_module_path(handler)


@task()
@retried
def hook_run(*, topic: str, handler: str, payload: dict) -> bool:
    """Run one follower of `topic` (only a registered follower is ever called, never an arbitrary path).
    False when the follower is gone (the code changed since the task was queued)."""
    from sentinelle.core import hooks

    for follower in hooks.followers(topic):
        if handler_path(follower) == handler:
            follower(**payload)
            return True
    logger.warning("Follow-up %s of %s is not registered any more; skipped.", handler, topic)
    return False


# --- The worker ----------------------------------------------------------------------------------------


def tasks_run_pending(*, worker: str, limit: int | None = None) -> int:
    """Run the tasks due now (up to `limit`), one at a time, each claimed with a row lock so that several
    workers may run; the number run. Nothing with a backend that is not the database (DEBUG, tests)."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.management.commands.db_worker import Worker

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if not isinstance(backend, DatabaseBackend):
        return 0
    runner = Worker(
        queue_names=sorted(backend.queues) or ["*"],
        interval=0,
        batch=True,
        backend_name=backend.alias,
        startup_delay=False,
        max_tasks=limit,
        worker_id=worker[:64],
        excluded_queue_names=[],
    )
    runner.run()
    return runner._run_tasks
