"""The policy on incidents, through the selectors and services (core/permissions.py decides)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from sentinelle.accounts.tests.factories import make_member
from sentinelle.core.models import Role
from sentinelle.monitoring.selectors.incidents import incident_confidential, incident_get, incident_list
from sentinelle.monitoring.services.incidents import incident_reject, incident_update, incident_verify
from sentinelle.monitoring.tests.factories import cercle_of, incident_input, make_incident, record_incident


@pytest.fixture
def mopti_cercle(mopti):
    return cercle_of(mopti)


@pytest.fixture
def segou_cercle(segou):
    return cercle_of(segou)


@pytest.fixture
def beta_monitor(beta, mopti):
    return make_member(Role.MONITOR, beta, areas=[mopti], username="beta_monitor")


def _visible(user):
    return set(incident_list(user=user, filters={}).values_list("pk", flat=True))


def test_a_monitor_never_sees_another_organisations_drafts(monitor, beta_monitor, mopti_cercle):
    theirs = record_incident(beta_monitor, mopti_cercle)
    mine = record_incident(monitor, mopti_cercle)
    assert _visible(monitor) == {mine.pk}
    with pytest.raises(Http404):
        incident_get(user=monitor, public_id=theirs.public_id)


def test_a_monitor_never_edits_another_organisations_incident(monitor, beta_monitor, mopti_cercle):
    theirs = record_incident(beta_monitor, mopti_cercle)
    with pytest.raises(PermissionDenied):
        incident_update(
            actor=monitor, incident=theirs, **vars(incident_input(mopti_cercle, summary="Changé"))
        )
    theirs.refresh_from_db()
    assert theirs.summary != "Changé"


def test_a_monitor_edits_only_their_own_drafts(monitor, caseworker_in_area, mopti_cercle):
    colleague_draft = record_incident(caseworker_in_area, mopti_cercle)
    assert colleague_draft.pk in _visible(monitor)  # same organisation and area: visible
    with pytest.raises(PermissionDenied):
        incident_update(
            actor=monitor, incident=colleague_draft, **vars(incident_input(mopti_cercle, summary="X"))
        )


def test_a_monitor_limited_to_mopti_does_not_see_segou(monitor, manager, mopti_cercle, segou_cercle):
    in_segou = make_incident(actor=manager, area=segou_cercle, status="submitted")
    in_mopti = make_incident(actor=manager, area=mopti_cercle, status="submitted")
    assert _visible(monitor) == {in_mopti.pk}
    with pytest.raises(Http404):
        incident_get(user=monitor, public_id=in_segou.public_id)


def test_the_imo_sees_every_incident_but_confidential_data_only_when_shared(
    imo, manager, beta_monitor, mopti_cercle, segou_cercle
):
    private = make_incident(actor=manager, area=segou_cercle, status="submitted", coordinates="13.4,-6.2")
    shared = make_incident(
        actor=beta_monitor,
        area=mopti_cercle,
        status="submitted",
        sharing_level="cluster",
        coordinates="14.5,-4.2",
    )
    assert _visible(imo) >= {private.pk, shared.pk}
    assert incident_get(user=imo, public_id=private.public_id) == private
    assert incident_confidential(user=imo, incident=private) is None
    assert incident_confidential(user=imo, incident=shared) == {
        "account": shared.account,
        "coordinates": "14.5,-4.2",
    }


def test_the_imo_never_sees_drafts(imo, manager, mopti_cercle):
    draft = make_incident(actor=manager, area=mopti_cercle)
    assert draft.pk not in _visible(imo)
    with pytest.raises(Http404):
        incident_get(user=imo, public_id=draft.public_id)


def test_readers_and_focal_points_see_no_incident(reader, focal_point, manager, mopti_cercle):
    incident = make_incident(actor=manager, area=mopti_cercle, status="verified")
    for user in (reader, focal_point):
        assert _visible(user) == set()
        with pytest.raises(Http404):
            incident_get(user=user, public_id=incident.public_id)
        assert incident_confidential(user=user, incident=incident) is None


def test_a_manager_reviews_only_their_organisations_incidents(manager, beta_monitor, monitor, mopti_cercle):
    theirs = make_incident(actor=beta_monitor, area=mopti_cercle, status="submitted")
    for action in (
        lambda: incident_verify(actor=manager, incident=theirs),
        lambda: incident_reject(actor=manager, incident=theirs, reason="Non."),
    ):
        with pytest.raises(PermissionDenied):
            action()
    theirs.refresh_from_db()
    assert theirs.status == "submitted"
    ours = make_incident(actor=monitor, area=mopti_cercle, status="submitted")
    assert incident_verify(actor=manager, incident=ours).status == "verified"


def test_an_outsider_gets_404(outsider, manager, mopti_cercle):
    incident = make_incident(actor=manager, area=mopti_cercle, status="verified")
    with pytest.raises(Http404):
        incident_get(user=outsider, public_id=incident.public_id)
    assert incident.pk not in _visible(outsider)


def test_nobody_sees_nothing(nobody, manager, mopti_cercle):
    make_incident(actor=manager, area=mopti_cercle, status="verified")
    assert _visible(nobody) == set()
