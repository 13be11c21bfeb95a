from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import timezone

from sentinelle.accounts import services
from sentinelle.accounts.models import Membership, Organisation, User
from sentinelle.accounts.tests.factories import TEST_PASSWORD
from sentinelle.core.models import AuditAction, AuditEntry, AuditOutcome, Role
from sentinelle.core.throttles import Rate, TooManyAttempts

pytestmark = pytest.mark.django_db


def _request():
    request = RequestFactory().post("/compte/connexion/", REMOTE_ADDR="10.1.2.3")
    SessionMiddleware(lambda r: None).process_request(request)
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    return request


def test_sign_in_by_username_or_email_case_insensitive(manager):
    assert (
        services.user_sign_in(request=_request(), identifier="MANAGER", password=TEST_PASSWORD).user
        == manager
    )
    result = services.user_sign_in(
        request=_request(), identifier="Manager@Example.org", password=TEST_PASSWORD
    )
    assert result.user == manager
    entry = AuditEntry.objects.filter(action=AuditAction.LOGIN).latest("id")
    assert entry.user == manager and entry.ip == "10.1.2.3"


def test_failed_sign_ins_pause_the_username_then_it_opens_by_itself(manager, settings):
    """Replaces the account lock-out: the username's throttle refuses, even the right password, without
    locking the account itself; the wait passes and the right password signs in."""
    limit = Rate.parse(settings.SENTINELLE["THROTTLES"]["signin.username"]).limit
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(limit):
            result = services.user_sign_in(request=_request(), identifier="manager", password="wrong")
            assert result.user is None
        with pytest.raises(TooManyAttempts) as refused:
            services.user_sign_in(request=_request(), identifier="manager", password=TEST_PASSWORD)
        assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).count() == limit
        assert AuditEntry.objects.filter(action=AuditAction.DENIED, object_id="signin.username").count() == 1
        traveller.shift(timedelta(seconds=refused.value.retry_after))
        result = services.user_sign_in(request=_request(), identifier="manager", password=TEST_PASSWORD)
    assert result.user == manager


def test_unknown_account_gets_the_same_message_as_a_wrong_password(manager):
    unknown = services.user_sign_in(request=_request(), identifier="ghost", password="x")
    wrong = services.user_sign_in(request=_request(), identifier="manager", password="x")
    assert unknown.error == wrong.error
    assert (
        AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, outcome=AuditOutcome.FAILED).count() == 2
    )


def test_inactive_account_cannot_sign_in(manager):
    User.objects.filter(pk=manager.pk).update(is_active=False)
    assert (
        services.user_sign_in(request=_request(), identifier="manager", password=TEST_PASSWORD).user is None
    )


def test_manager_creates_an_account_in_their_organisation(manager, alpha):
    created = services.user_create(
        actor=manager,
        username="new.worker",
        email="New.Worker@Example.org",
        organisation=alpha,
        role=Role.CASEWORKER,
        password="Une-phrase-longue-2026",
        full_name="Hawa Dembélé",
    )
    assert created.email == "new.worker@example.org"
    assert created.check_password("Une-phrase-longue-2026")
    assert created.memberships.get().role == Role.CASEWORKER
    entry = AuditEntry.objects.filter(action=AuditAction.CREATE).latest("id")
    assert entry.user == manager and entry.object_id == str(created.public_id)
    assert "Dembélé" not in str(entry.detail)


@pytest.mark.parametrize(
    ("organisation", "role"), [("beta", Role.CASEWORKER), ("alpha", Role.ADMIN), ("alpha", Role.IMO)]
)
def test_manager_cannot_create_outside_their_organisation_or_above_their_role(
    request, manager, organisation, role
):
    users_before = User.objects.count()
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=manager,
            username="intruder",
            email="",
            organisation=request.getfixturevalue(organisation),
            role=role,
            password="Une-phrase-longue-2026",
        )
    assert User.objects.count() == users_before
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).exists()


def test_weak_password_is_refused_and_nothing_is_written(admin, alpha):
    users_before = User.objects.count()
    with pytest.raises(ValidationError):
        services.user_create(
            actor=admin, username="weak", email="", organisation=alpha, role=Role.READER, password="123456"
        )
    assert User.objects.count() == users_before


def test_caseworker_cannot_manage_accounts(caseworker_in_area, alpha, monitor):
    with pytest.raises(PermissionDenied):
        services.user_set_active(actor=caseworker_in_area, user=monitor, active=False)
    monitor.refresh_from_db()
    assert monitor.is_active


def test_manager_cannot_touch_another_organisations_account(manager, outsider):
    with pytest.raises(PermissionDenied):
        services.user_update(actor=manager, user=outsider, full_name="Changed")
    outsider.refresh_from_db()
    assert outsider.full_name != "Changed"


def test_nobody_deactivates_themselves(admin):
    with pytest.raises(ValidationError):
        services.user_set_active(actor=admin, user=admin, active=False)


def test_membership_add_and_archive(admin, reader, alpha):
    membership = services.membership_add(actor=admin, user=reader, organisation=alpha, role=Role.MONITOR)
    assert reader.memberships.filter(is_archived=False).count() == 2
    services.membership_archive(actor=admin, membership=membership)
    assert Membership.objects.get(pk=membership.pk).is_archived
    assert reader.memberships.filter(is_archived=False).count() == 1


def test_only_an_administrator_manages_organisations(admin, manager):
    organisation = services.organisation_create(
        actor=admin, name="Croix-Rouge malienne", acronym="CRM", type="national_ngo"
    )
    with pytest.raises(PermissionDenied):
        services.organisation_update(actor=manager, organisation=organisation, name="Renamed")
    assert Organisation.objects.get(pk=organisation.pk).name == "Croix-Rouge malienne"


def test_organisation_acronyms_are_unique(admin, alpha):
    with pytest.raises(ValidationError):
        services.organisation_create(actor=admin, name="Other", acronym="ALPHA", type="national_ngo")
