"""/api/v1/incidents/: the UI's scope exactly, confidential fields only where allowed, reads audited."""

import pytest

from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.monitoring.tests.factories import cercle_of, make_incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


@pytest.fixture
def incidents(monitor, outsider, imo, mopti, segou):
    """alpha: a submitted incident in Mopti, one shared with the cluster, a draft; beta: one in Ségou."""
    mopti_cercle = cercle_of(mopti)
    segou_cercle = cercle_of(segou)
    return {
        "alpha": make_incident(actor=monitor, area=mopti_cercle, status="submitted"),
        "shared": make_incident(
            actor=monitor, area=mopti_cercle, status="submitted", sharing_level="cluster"
        ),
        "draft": make_incident(actor=monitor, area=mopti_cercle, status="draft"),
        "beta": make_incident(actor=outsider, area=segou_cercle, status="submitted"),
    }


def _references(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def _refs(incidents, *names) -> set[str]:
    return {incidents[name].reference for name in names}


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("admin", {"alpha", "shared", "draft", "beta"}),
        ("imo", {"alpha", "shared", "beta"}),  # every submitted incident, no drafts
        ("manager", {"alpha", "shared", "draft"}),  # alpha's
        ("monitor", {"alpha", "shared", "draft"}),  # alpha's, in Mopti
        ("caseworker_in_area", {"alpha", "shared", "draft"}),
        ("caseworker_other_area", set()),  # alpha's, but Ségou only
        ("outsider", {"beta"}),  # beta's manager
    ],
)
def test_each_role_lists_what_the_ui_shows(request, api, incidents, actor, expected):
    user = request.getfixturevalue(actor)
    assert _references(api(user).get(URL)) == _refs(incidents, *expected)


@pytest.mark.parametrize("actor", ["reader", "focal_point"])
def test_roles_without_incident_access_are_refused(request, api, incidents, actor):
    user = request.getfixturevalue(actor)
    assert api(user).get(URL).status_code == 403
    assert api(user).get(f"{URL}{incidents['alpha'].public_id}/").status_code == 403


def test_the_list_never_carries_the_confidential_fields(api, incidents, monitor):
    response = api(monitor).get(URL)
    for row in response.json()["results"]:
        assert "account" not in row and "confidential" not in row and "coordinates" not in row
    assert "Récit confidentiel" not in response.content.decode()


def test_the_detail_gives_the_account_to_its_organisation_and_audits_both_reads(api, incidents, monitor):
    incident = incidents["alpha"]
    before = AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(incident.public_id)).count()
    data = api(monitor).get(f"{URL}{incident.public_id}/").json()
    assert data["reference"] == incident.reference
    assert data["confidential"]["account"].startswith("Récit confidentiel")
    assert data["victims"] == [{"outcome": "killed", "sex": "m", "age_group": "18_59", "count": 2}]
    reads = AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(incident.public_id))
    assert reads.count() == before + 2  # the record, and its confidential account
    assert reads.filter(detail={"confidential": True}).exists()


def test_the_imo_reads_the_account_only_where_it_was_shared_with_the_cluster(api, incidents, imo):
    client = api(imo)
    assert client.get(f"{URL}{incidents['alpha'].public_id}/").json()["confidential"] is None
    shared = client.get(f"{URL}{incidents['shared'].public_id}/").json()
    assert shared["confidential"]["account"].startswith("Récit confidentiel")


def test_another_organisations_incident_is_404_alike_and_audited(api, incidents, outsider):
    incident = incidents["alpha"]
    response = api(outsider).get(f"{URL}{incident.public_id}/")
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, object_id=str(incident.public_id)).exists()
    import uuid

    assert api(outsider).get(f"{URL}{uuid.uuid4()}/").status_code == 404


def test_filters(api, incidents, imo, mopti, segou):
    client = api(imo)
    assert _references(client.get(URL, {"area": mopti.pcode})) == _refs(incidents, "alpha", "shared")
    assert _references(client.get(URL, {"area": segou.pcode})) == _refs(incidents, "beta")
    assert _references(client.get(URL, {"area": "ML99"})) == set()
    assert _references(client.get(URL, {"organisation": "beta"})) == _refs(incidents, "beta")
    assert _references(client.get(URL, {"category": "life"})) == _refs(incidents, "alpha", "shared", "beta")
    assert _references(client.get(URL, {"category": "gbv"})) == set()
    assert _references(client.get(URL, {"status": "verified"})) == set()
    assert _references(client.get(URL, {"reference": incidents["beta"].reference})) == _refs(
        incidents, "beta"
    )


def test_the_list_is_paginated_and_its_queries_bounded(api, monitor, mopti, django_assert_max_num_queries):
    area = cercle_of(mopti)
    for _ in range(6):
        make_incident(actor=monitor, area=area, status="submitted")
    client = api(monitor)
    with django_assert_max_num_queries(13):  # +5: the API throttle (first call)
        response = client.get(URL, {"page_size": 4})
    data = response.json()
    assert data["count"] == 6 and len(data["results"]) == 4 and data["next"]
    for _ in range(6):
        make_incident(actor=monitor, area=area, status="submitted")
    with django_assert_max_num_queries(11):  # +3: the API throttle
        assert len(client.get(URL).json()["results"]) == 12
