"""The policy's doors for questions asked before a record exists, its one refusal, the role order, and the
area limits of memberships on records located through another record (referrals, import jobs)."""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from sentinelle.accounts import services as accounts
from sentinelle.accounts.models import Membership, User
from sentinelle.accounts.tests.factories import MembershipFactory, make_member
from sentinelle.core.models import AuditEntry, AuditOutcome, Role
from sentinelle.core.permissions import (
    Perm,
    area_limits,
    ensure,
    get_object_for_user,
    has_perm,
    may_act_for,
    scope_queryset,
)
from sentinelle.geography.tests.factories import AdminAreaFactory, CodVersionFactory
from sentinelle.monitoring.tests.factories import cercle_of, commune_of

pytestmark = pytest.mark.django_db

SOURCE = Path(__file__).resolve().parents[2]


@pytest.fixture
def places(mopti, segou):
    bandiagara = cercle_of(mopti, pcode="ML0501", name_fr="Bandiagara")
    return {
        "bandiagara": bandiagara,
        "dourou": commune_of(bandiagara, pcode="ML050101", name_fr="Dourou"),
        "segou_cercle": cercle_of(segou, pcode="ML0401", name_fr="Ségou"),
    }


# --- may_act_for / ensure ----------------------------------------------------------------------------


def test_may_act_for_follows_the_organisation_and_the_areas(monitor, imo, reader, alpha, beta, places):
    dourou, segou_cercle = places["dourou"], places["segou_cercle"]

    assert may_act_for(monitor, Perm.INCIDENT_CREATE, organisation=alpha, area=dourou)
    assert may_act_for(monitor, Perm.INCIDENT_CREATE, organisation=alpha)
    assert not may_act_for(monitor, Perm.INCIDENT_CREATE, organisation=alpha, area=segou_cercle)
    assert not may_act_for(monitor, Perm.INCIDENT_CREATE, organisation=beta, area=dourou)
    assert not may_act_for(monitor, Perm.INCIDENT_CREATE, organisation=None)
    assert not may_act_for(monitor, Perm.INCIDENT_REVIEW, organisation=alpha)
    # The IMO imports for every organisation, anywhere; a reader for none.
    assert may_act_for(imo, Perm.IMPORT_RUN, organisation=beta, area=segou_cercle)
    assert not may_act_for(reader, Perm.IMPORT_RUN, organisation=beta)


def test_area_limits_name_the_areas_or_anywhere(monitor, manager, reader, alpha, mopti):
    assert area_limits(monitor, Perm.INCIDENT_CREATE, organisation=alpha) == [mopti]
    assert area_limits(manager, Perm.INCIDENT_CREATE, organisation=alpha) is None
    assert area_limits(reader, Perm.INCIDENT_CREATE, organisation=alpha) == []


def test_a_global_role_limited_to_areas_stays_inside_them(cluster, mopti, places, beta):
    imo_mopti = make_member(Role.IMO, cluster, areas=[mopti], username="imo_mopti")

    assert may_act_for(imo_mopti, Perm.IMPORT_RUN, organisation=beta, area=places["dourou"])
    assert not may_act_for(imo_mopti, Perm.IMPORT_RUN, organisation=beta, area=places["segou_cercle"])


def test_ensure_refuses_audits_once_and_names_the_organisation(monitor, beta, places):
    with pytest.raises(PermissionDenied, match="Pas ici"):
        ensure(monitor, Perm.INCIDENT_CREATE, organisation=beta, message="Pas ici", object_type="x.y")

    entry = AuditEntry.objects.get(outcome=AuditOutcome.DENIED)
    assert entry.user == monitor and entry.organisation == beta
    assert entry.object_type == "x.y" and entry.detail == {"perm": str(Perm.INCIDENT_CREATE)}


def test_ensure_on_a_record_moved_to_another_area_asks_both(monitor, alpha, places):
    from sentinelle.monitoring.tests.factories import make_incident

    draft = make_incident(actor=monitor, area=places["dourou"], organisation=alpha)
    ensure(monitor, Perm.INCIDENT_EDIT, draft, organisation=alpha, area=places["dourou"])
    with pytest.raises(PermissionDenied):
        ensure(monitor, Perm.INCIDENT_EDIT, draft, organisation=alpha, area=places["segou_cercle"])


def test_an_area_contains_its_subtree_only_within_its_version(mopti, places):
    other_version = CodVersionFactory(code="other")
    twin = AdminAreaFactory(version=other_version, level=1, pcode="ML05", parent=None, name_fr="Mopti")
    # "ML/ML0/" would prefix "ML/ML05/" as text: the trailing slash keeps siblings apart.
    sibling = AdminAreaFactory(version=mopti.version, level=1, pcode="ML0", parent=mopti.parent)

    assert mopti.contains(places["dourou"]) and mopti.contains(mopti)
    assert not places["dourou"].contains(mopti)
    assert not twin.contains(places["dourou"])
    assert not sibling.contains(places["dourou"])


# --- The role order ----------------------------------------------------------------------------------


@pytest.fixture
def imo_in_alpha(imo, alpha):
    """The cluster IMO, who also holds a reader role in ALPHA (the attack's set-up)."""
    MembershipFactory(user=imo, organisation=alpha, role=Role.READER)
    return imo


def test_a_manager_sees_but_may_not_act_on_a_user_ranked_above_them(manager, imo_in_alpha):
    assert has_perm(manager, Perm.USER_VIEW, imo_in_alpha)
    assert not has_perm(manager, Perm.USER_MANAGE, imo_in_alpha)
    with pytest.raises(Http404):
        get_object_for_user(manager, User, imo_in_alpha.public_id, Perm.USER_MANAGE)


@pytest.mark.parametrize(
    "action",
    [
        lambda actor, user: accounts.user_set_active(actor=actor, user=user, active=False),
        lambda actor, user: accounts.user_unlock(actor=actor, user=user),
        lambda actor, user: accounts.user_two_factor_reset(actor=actor, user=user),
        lambda actor, user: accounts.user_update(actor=actor, user=user, full_name="Changé"),
        lambda actor, user: accounts.membership_archive(
            actor=actor, membership=user.memberships.get(role=Role.READER)
        ),
        lambda actor, user: accounts.membership_add(
            actor=actor, user=user, organisation=actor.memberships.get().organisation, role=Role.MONITOR
        ),
    ],
    ids=["deactivate", "unlock", "reset-2fa", "edit", "remove-membership", "add-membership"],
)
def test_no_administrative_action_on_a_user_ranked_above_the_actor(manager, imo_in_alpha, action):
    before = (
        User.objects.filter(pk=imo_in_alpha.pk).values().get(),
        list(Membership.objects.filter(user=imo_in_alpha).values()),
    )

    with pytest.raises(PermissionDenied):
        action(manager, imo_in_alpha)

    after = (
        User.objects.filter(pk=imo_in_alpha.pk).values().get(),
        list(Membership.objects.filter(user=imo_in_alpha).values()),
    )
    assert after == before
    assert AuditEntry.objects.filter(outcome=AuditOutcome.DENIED, user=manager).exists()


def test_the_role_order_leaves_equal_and_lower_roles_to_the_manager(manager, caseworker_in_area, alpha):
    peer = make_member(Role.MANAGER, alpha, username="peer_manager")

    assert has_perm(manager, Perm.USER_MANAGE, caseworker_in_area)
    assert has_perm(manager, Perm.USER_MANAGE, peer)
    accounts.user_set_active(actor=manager, user=caseworker_in_area, active=False)
    caseworker_in_area.refresh_from_db()
    assert not caseworker_in_area.is_active


def test_an_administrator_acts_on_everyone(admin, imo_in_alpha):
    assert has_perm(admin, Perm.USER_MANAGE, imo_in_alpha)


def test_an_archived_higher_role_no_longer_protects(manager, imo_in_alpha, cluster):
    Membership.objects.filter(user=imo_in_alpha, organisation=cluster).update(is_archived=True)
    assert has_perm(manager, Perm.USER_MANAGE, imo_in_alpha)


# --- Area limits on records located through another record ------------------------------------------


def test_an_area_limited_manager_does_not_receive_referrals_for_services_elsewhere(
    caseworker_in_area, alpha, beta, places, mopti, segou
):
    from sentinelle.cases.models import Referral
    from sentinelle.cases.tests.factories_cases import consent_for, make_case, make_referral, make_service

    service = make_service(beta, places["dourou"], "health")
    case = make_case(caseworker_in_area, places["dourou"])
    consent_for(caseworker_in_area, case, organisations=[beta])
    referral = make_referral(caseworker_in_area, case, service)
    receiving_mopti = make_member(Role.MANAGER, beta, areas=[mopti], username="beta_mopti")
    receiving_segou = make_member(Role.MANAGER, beta, areas=[segou], username="beta_segou")
    received = Referral.objects.all()

    assert list(scope_queryset(receiving_mopti, received, Perm.REFERRAL_RECEIVE)) == [referral]
    assert not scope_queryset(receiving_segou, received, Perm.REFERRAL_RECEIVE).exists()
    with pytest.raises(Http404):
        get_object_for_user(receiving_segou, received, referral.public_id, Perm.REFERRAL_RECEIVE)


def test_area_limited_staff_see_only_the_import_jobs_whose_rows_lie_in_their_areas(
    manager, monitor, alpha, segou, mopti
):
    from sentinelle.ingest.selectors import import_job_get, import_job_list
    from sentinelle.ingest.tests.conftest import csv_bytes, incident_row, upload

    bandiagara = cercle_of(mopti, pcode="ML0501", name_fr="Bandiagara")
    commune_of(bandiagara, pcode="ML050101", name_fr="Dourou")
    segou_cercle = cercle_of(segou, pcode="ML0401", name_fr="Ségou")
    commune_of(segou_cercle, pcode="ML040101", name_fr="Pélengana")
    # The manager (no area limit) uploads rows in Ségou; the monitor is limited to Mopti.
    in_segou = upload(manager, alpha, csv_bytes([incident_row(adm2_code="ML0401", adm3_code="ML040101")]))
    both = upload(
        manager,
        alpha,
        csv_bytes([incident_row(), incident_row(source_id="A-2", adm2_code="ML0401", adm3_code="ML040101")]),
    )
    in_mopti = upload(manager, alpha, csv_bytes([incident_row(source_id="A-3")]))
    own = upload(monitor, alpha, csv_bytes([incident_row(source_id="A-4")]))

    assert in_segou.area.pcode == "ML040101" and both.area.pcode == "ML" and in_mopti.area.pcode == "ML050101"
    assert set(import_job_list(user=monitor)) == {in_mopti, own}
    for hidden in (in_segou, both):
        with pytest.raises(Http404):
            import_job_get(user=monitor, public_id=hidden.public_id)
    assert set(import_job_list(user=manager)) == {in_segou, both, in_mopti, own}


# --- Nothing outside the policy reads memberships or the role tables ---------------------------------

POLICY_NAMES = {
    "ROLE_PERMISSIONS",
    "GLOBAL_ROLES",
    "ALWAYS_GLOBAL",
    "ASSIGNABLE_ROLES",
    "ROLE_RANK",
    "memberships_of",
    "is_global",
    "_active_memberships",
}
POLICY_MODULES = {"core/permissions.py", "core/roles.py", "core/scopes.py"}


def _sources():
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if "/tests/" in relative or "/migrations/" in relative or relative in POLICY_MODULES:
            continue
        yield relative, ast.parse(path.read_text(encoding="utf-8"))


def test_no_module_outside_the_policy_reads_the_role_tables_or_memberships_to_decide():
    found = []
    for relative, tree in _sources():
        for node in ast.walk(tree):
            name = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr
                if isinstance(node, ast.Attribute)
                else None
            )
            if isinstance(node, ast.alias):
                name = node.name
            if name in POLICY_NAMES:
                found.append(f"{relative}:{node.lineno if hasattr(node, 'lineno') else '?'} {name}")
    assert not found, "ask the policy (core/permissions.py) instead:\n" + "\n".join(found)


def test_no_module_outside_the_policy_writes_its_own_refusal():
    """Refusals go through permissions.refuse / ensure / audit_refusal: one way, audited alike."""
    found = []
    for relative, tree in _sources():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "DENIED"
                and isinstance(node.value, ast.Name)
                and node.value.id == "AuditAction"
            ):
                found.append(f"{relative}:{node.lineno}")
    assert not found, "use permissions.refuse / audit_refusal:\n" + "\n".join(found)


def test_no_module_copies_the_area_containment_test():
    """`AdminArea.contains` is the one answer to "is that area inside this one?" on loaded areas."""
    found = []
    for relative, tree in _sources():
        if relative == "geography/models.py":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "startswith"
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "path"
                and node.args
                and isinstance(node.args[0], ast.Attribute)
                and node.args[0].attr == "path"
            ):
                found.append(f"{relative}:{node.lineno}")
    assert not found, "use AdminArea.contains:\n" + "\n".join(found)
