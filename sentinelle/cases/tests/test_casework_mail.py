"""Case management mail is queued after commit (core/tasks.py), never sent in the request."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django_tasks import task_backends

from sentinelle.cases.services.referrals import referral_accept
from sentinelle.cases.tests.factories_cases import (
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)
from sentinelle.core.tasks import mail_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(settings):
    """Tasks are kept, not run: the test runs them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return task_backends["default"].results


@pytest.fixture
def referral(caseworker_in_area, beta, mopti, focal_point):
    commune = commune_in(mopti, "Sévaré")
    service = make_service(beta, commune, "health", focal_points=[focal_point], name="CSCOM Sévaré")
    case = make_case(caseworker_in_area, commune, case_type="general_protection")
    consent_for(caseworker_in_area, case, organisations=[beta])
    return make_referral(caseworker_in_area, case, service)


def test_a_referral_queues_the_focal_points_mail_and_sends_nothing(
    queue, caseworker_in_area, focal_point, referral, django_capture_on_commit_callbacks
):
    queue.clear()
    with django_capture_on_commit_callbacks(execute=True):
        referral_accept(actor=focal_point, referral=referral)

    assert mail.outbox == []
    [queued] = queue
    assert queued.task.func == mail_send.func
    assert queued.kwargs["user_id"] == caseworker_in_area.pk
    assert referral.reference in queued.kwargs["subject"]

    queued.task.call(*queued.args, **queued.kwargs)  # what the worker does
    [message] = mail.outbox
    assert message.to == [caseworker_in_area.email] and message.subject == queued.kwargs["subject"]


def test_a_refused_acceptance_queues_nothing(
    queue, caseworker_other_area, referral, django_capture_on_commit_callbacks
):
    queue.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        referral_accept(actor=caseworker_other_area, referral=referral)
    assert queue == [] and mail.outbox == []
