"""Side effects are tasks queued after commit (core/tasks.py): nothing is sent in the request, the worker
sends it, a failure is retried with back-off and then left failed for administrators to see."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

from sentinelle.accounts import services as account_services
from sentinelle.core import hooks, tasks

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queued(settings):
    """Tasks wait in the database for the worker, as in production."""
    settings.TASKS = DATABASE_TASKS


def run_worker() -> int:
    return tasks.tasks_run_pending(worker="test-worker")


def make_due_now() -> None:
    """The retries wait (run_after): the clock moves on."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_a_reset_sends_nothing_in_the_request_and_the_worker_delivers_it(
    queued, signed_in, manager, caseworker_in_area
):
    TOTPDevice.objects.create(user=caseworker_in_area, name="phone", confirmed=True)
    url = reverse("accounts:user-action", args=[caseworker_in_area.public_id, "reset-2fa"])

    assert signed_in(manager).post(url).status_code == 302

    assert mail.outbox == []
    [queued_mail] = DBTaskResult.objects.all()
    assert queued_mail.task_path == "sentinelle.core.tasks.mail_send" and queued_mail.status == "READY"
    assert queued_mail.args_kwargs["kwargs"]["user_id"] == caseworker_in_area.pk
    assert caseworker_in_area.email not in str(queued_mail.args_kwargs)  # the address is read when sent

    assert run_worker() == 1
    assert [m.to for m in mail.outbox] == [[caseworker_in_area.email]]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert run_worker() == 0  # sent once
    assert len(mail.outbox) == 1


def test_the_import_worker_runs_the_queued_tasks(queued, caseworker_in_area, capsys):
    tasks.mail_after_commit([caseworker_in_area], lambda user: ("Sujet", "Corps"))
    call_command("run_jobs", "--once")
    assert [m.subject for m in mail.outbox] == ["Sujet"]
    assert "1 task(s)" in capsys.readouterr().out


def test_a_refused_service_queues_nothing(queued, outsider, caseworker_in_area):
    with pytest.raises(PermissionDenied):
        account_services.user_two_factor_reset(actor=outsider, user=caseworker_in_area)
    assert not DBTaskResult.objects.exists()
    assert run_worker() == 0 and mail.outbox == []


def test_a_rolled_back_write_queues_nothing(queued, caseworker_in_area):
    with pytest.raises(RuntimeError), transaction.atomic():
        tasks.mail_after_commit([caseworker_in_area], lambda user: ("Sujet", "Corps"))
        raise RuntimeError("the write failed")
    assert not DBTaskResult.objects.exists()


def test_a_user_deactivated_before_the_worker_runs_gets_nothing(queued, caseworker_in_area):
    tasks.mail_after_commit([caseworker_in_area], lambda user: ("Sujet", "Corps"))
    caseworker_in_area.is_active = False
    caseworker_in_area.save(update_fields=["is_active"])
    assert run_worker() == 1
    assert mail.outbox == []


def test_a_refused_send_is_retried_later_then_fails_for_good(
    queued, caseworker_in_area, admin, manager, signed_in, monkeypatch
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    tasks.mail_after_commit([caseworker_in_area], lambda user: ("Sujet", "Corps"))

    assert run_worker() == 1
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now()  # after a delay
    assert run_worker() == 0  # not yet due

    for _attempt in range(2, tasks.MAX_ATTEMPTS + 1):
        make_due_now()
        assert run_worker() == 1
    assert DBTaskResult.objects.count() == tasks.MAX_ATTEMPTS
    [failed] = DBTaskResult.objects.filter(status="FAILED")
    assert failed.args_kwargs["kwargs"]["attempt"] == tasks.MAX_ATTEMPTS
    assert failed.exception_class_path == "builtins.ConnectionRefusedError"
    make_due_now()
    assert run_worker() == 0  # bounded: no attempt after the last

    page = signed_in(admin).get(reverse("core:audit-list")).content.decode()
    assert "mail_send" in page and "ConnectionRefusedError" in page
    assert "Corps" not in page  # the arguments are never shown
    # A manager sees their organisation's audit log, not the platform's tasks.
    assert "mail_send" not in signed_in(manager).get(reverse("core:audit-list")).content.decode()


def test_without_a_worker_a_failure_is_final_and_the_request_goes_on(caseworker_in_area, monkeypatch):
    """The immediate backend (DEBUG, tests) runs the task at once and cannot defer a retry."""

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    tasks.mail_after_commit([caseworker_in_area], lambda user: ("Sujet", "Corps"))  # no exception
    assert mail.outbox == []


heard: list = []


def follower(**payload):
    heard.append(payload)


@pytest.fixture
def following():
    heard.clear()
    hooks.follow("test.queued", follower)
    yield heard
    hooks._FOLLOWERS.pop("test.queued")


def test_an_announce_is_a_task_run_by_the_worker(queued, following):
    with transaction.atomic():
        hooks.announce("test.queued", event_ids=[4, 5])
    assert following == []
    [queued_hook] = DBTaskResult.objects.all()
    assert queued_hook.args_kwargs["kwargs"] == {
        "topic": "test.queued",
        "handler": "sentinelle.core.tests.test_tasks.follower",
        "payload": {"event_ids": [4, 5]},
    }
    assert run_worker() == 1
    assert following == [{"event_ids": [4, 5]}]


def test_an_announce_payload_must_be_json(following):
    with pytest.raises(TypeError), transaction.atomic():
        hooks.announce("test.queued", event=object())
