"""The policy, role by role: what each may do and see, and that nothing more leaks."""

import pytest
from django.http import Http404

from sentinelle.accounts.models import Membership, User
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction, AuditEntry, AuditOutcome, Role
from sentinelle.core.permissions import (
    MODEL_SCOPES,
    ROLE_PERMISSIONS,
    Perm,
    can,
    can_assign_role,
    get_object_for_user,
    has_perm,
    requires_two_factor,
    scope_queryset,
)

pytestmark = pytest.mark.django_db


def test_every_role_has_a_row_in_the_matrix():
    assert set(ROLE_PERMISSIONS) == set(Role.values)


@pytest.mark.parametrize(
    ("actor", "perm", "expected"),
    [
        ("admin", Perm.USER_MANAGE, True),
        ("admin", Perm.AUDIT_VIEW, True),
        ("admin", Perm.ORGANISATION_MANAGE, True),
        ("manager", Perm.USER_MANAGE, True),
        ("manager", Perm.AUDIT_VIEW, True),
        ("manager", Perm.ORGANISATION_MANAGE, False),
        ("imo", Perm.USER_MANAGE, False),
        ("imo", Perm.AUDIT_VIEW, False),
        ("caseworker_in_area", Perm.USER_VIEW, False),
        ("monitor", Perm.AUDIT_VIEW, False),
        ("focal_point", Perm.USER_VIEW, False),
        ("reader", Perm.USER_VIEW, False),
        ("reader", Perm.GEOGRAPHY_VIEW, True),
        ("nobody", Perm.HOME_VIEW, False),
        ("nobody", Perm.GEOGRAPHY_VIEW, False),
    ],
)
def test_role_permissions(request, actor, perm, expected):
    assert has_perm(request.getfixturevalue(actor), perm) is expected


def test_anonymous_and_inactive_users_have_nothing(manager, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not has_perm(AnonymousUser(), Perm.HOME_VIEW)
    assert not scope_queryset(AnonymousUser(), User.objects.all(), Perm.USER_VIEW).exists()
    manager.is_active = False
    manager.save()
    manager = User.objects.get(pk=manager.pk)
    assert not has_perm(manager, Perm.USER_MANAGE)


def test_archived_membership_gives_nothing(manager):
    Membership.objects.filter(user=manager).update(is_archived=True)
    manager = User.objects.get(pk=manager.pk)
    assert not has_perm(manager, Perm.USER_VIEW)


def test_manager_sees_only_the_users_of_their_organisation(
    manager, caseworker_in_area, outsider, reader, admin
):
    visible = set(scope_queryset(manager, User.objects.all(), Perm.USER_VIEW))
    assert visible == {manager, caseworker_in_area}
    assert set(scope_queryset(admin, User.objects.all(), Perm.USER_VIEW)) >= {
        manager,
        caseworker_in_area,
        outsider,
        reader,
    }


def test_user_in_two_organisations_is_listed_once(manager, alpha, outsider):
    Membership.objects.create(user=outsider, organisation=alpha, role=Role.READER)
    visible = list(scope_queryset(manager, User.objects.all(), Perm.USER_VIEW))
    assert visible.count(outsider) == 1


def test_object_permission_follows_the_scope(manager, caseworker_in_area, outsider):
    assert can(manager, Perm.USER_MANAGE, caseworker_in_area)
    assert not can(manager, Perm.USER_MANAGE, outsider)
    assert not can(outsider, Perm.USER_MANAGE, caseworker_in_area)


def test_absent_and_out_of_scope_objects_answer_404_alike_and_are_audited(manager, outsider):
    import uuid

    before = AuditEntry.objects.filter(outcome=AuditOutcome.DENIED).count()
    with pytest.raises(Http404) as absent:
        get_object_for_user(manager, User, uuid.uuid4(), Perm.USER_VIEW)
    with pytest.raises(Http404) as not_yours:
        get_object_for_user(manager, User, outsider.public_id, Perm.USER_VIEW)
    assert str(absent.value) == str(not_yours.value)
    assert AuditEntry.objects.filter(outcome=AuditOutcome.DENIED).count() == before + 2


def test_reading_a_protected_record_is_audited(manager, caseworker_in_area):
    get_object_for_user(manager, User, caseworker_in_area.public_id, Perm.USER_VIEW)
    entry = AuditEntry.objects.filter(action=AuditAction.READ).latest("id")
    assert entry.user == manager
    assert entry.object_id == str(caseworker_in_area.public_id)


def test_manager_sees_only_their_organisations_audit_entries(manager, outsider, admin):
    audit_record(action=AuditAction.LOGIN, user=manager)
    audit_record(action=AuditAction.LOGIN, user=outsider)
    seen = set(
        scope_queryset(manager, AuditEntry.objects.all(), Perm.AUDIT_VIEW).values_list("username", flat=True)
    )
    assert seen == {"manager"}
    everything = scope_queryset(admin, AuditEntry.objects.all(), Perm.AUDIT_VIEW)
    assert {"manager", "outsider"} <= set(everything.values_list("username", flat=True))


def test_area_limited_membership_narrows_a_model_with_an_area(
    caseworker_in_area, caseworker_other_area, mopti
):
    from sentinelle.core.permissions import ScopeRule

    MODEL_SCOPES["test.areascoped"] = ScopeRule(organisation="organisation", area="area")
    try:
        from sentinelle.core.permissions import _membership_q

        membership = caseworker_in_area.memberships.get()
        q = _membership_q(caseworker_in_area, membership, MODEL_SCOPES["test.areascoped"], Perm.HOME_VIEW)
        assert "area__path__startswith" in str(q) and mopti.path in str(q)
    finally:
        del MODEL_SCOPES["test.areascoped"]


def test_role_assignment_limits(admin, manager, alpha, beta):
    assert can_assign_role(admin, beta, Role.ADMIN)
    assert can_assign_role(manager, alpha, Role.CASEWORKER)
    assert not can_assign_role(manager, alpha, Role.ADMIN)
    assert not can_assign_role(manager, alpha, Role.IMO)
    assert not can_assign_role(manager, beta, Role.CASEWORKER)


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("admin", True),
        ("manager", True),
        ("caseworker_in_area", True),
        ("imo", False),
        ("monitor", False),
        ("focal_point", False),
        ("reader", False),
    ],
)
def test_two_factor_is_required_for_roles_that_see_identities(request, actor, expected):
    assert requires_two_factor(request.getfixturevalue(actor)) is expected


def test_a_model_without_a_rule_is_out_of_everyones_scope(admin):
    from django.core.exceptions import ImproperlyConfigured
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with pytest.raises(ImproperlyConfigured):
        scope_queryset(admin, TOTPDevice.objects.all(), Perm.HOME_VIEW)
