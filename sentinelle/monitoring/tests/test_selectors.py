"""incident_list filters and query counts, incident_get, the audited confidential read, the timeline."""

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from sentinelle.accounts.tests.factories import make_member
from sentinelle.core.models import AuditAction, AuditEntry, Role
from sentinelle.geography.tests.factories import AdminAreaFactory, CodVersionFactory
from sentinelle.monitoring.selectors.incidents import (
    IncidentFilters,
    incident_confidential,
    incident_get,
    incident_list,
    incident_timeline,
)
from sentinelle.monitoring.services.incidents import incident_submit, incident_verify
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    commune_of,
    days_ago,
    gbv_incident_input,
    make_incident,
    record_incident,
)


@pytest.fixture
def mopti_cercle(mopti):
    return cercle_of(mopti)


@pytest.fixture
def segou_cercle(segou):
    return cercle_of(segou)


@pytest.fixture
def incidents(manager, imo, beta, mopti_cercle, segou_cercle):
    """Five incidents of alpha (Mopti and Ségou) and one of beta, with different dates and statuses."""
    beta_manager = make_member(Role.MANAGER, beta, username="beta_manager")
    commune = commune_of(mopti_cercle)
    return {
        "mopti_old": make_incident(
            actor=manager,
            area=mopti_cercle,
            status="verified",
            reviewer=imo,
            date_start=days_ago(100),
            date_reported=days_ago(99),
        ),
        "mopti_commune": make_incident(
            actor=manager, area=commune, status="submitted", source_mechanism="media"
        ),
        "mopti_gbv": make_incident(
            actor=manager, area=commune, status="submitted", data=gbv_incident_input(commune)
        ),
        "mopti_draft": make_incident(actor=manager, area=mopti_cercle),
        "segou": make_incident(actor=manager, area=segou_cercle, status="submitted"),
        "beta": make_incident(actor=beta_manager, area=mopti_cercle, status="submitted"),
    }


def _keys(queryset, incidents):
    names = {incident.pk: name for name, incident in incidents.items()}
    return {names[incident.pk] for incident in queryset}


def test_area_filter_takes_the_subtree_at_any_level(imo, incidents, mopti, mopti_cercle, segou):
    by_region = incident_list(user=imo, filters={"area": mopti})
    assert _keys(by_region, incidents) == {"mopti_old", "mopti_commune", "mopti_gbv", "beta"}
    by_commune = incident_list(user=imo, filters={"area": str(commune_of(mopti_cercle).public_id)})
    assert _keys(by_commune, incidents) == {"mopti_commune", "mopti_gbv"}
    assert _keys(incident_list(user=imo, filters={"area": segou.public_id}), incidents) == {"segou"}


def test_area_filter_stays_in_its_cod_version(imo, incidents):
    other_version = CodVersionFactory(code="other")
    country = AdminAreaFactory(version=other_version, level=0, pcode="ML", parent=None)
    same_code = AdminAreaFactory(version=other_version, level=1, pcode="ML05", parent=country)
    assert not incident_list(user=imo, filters={"area": same_code}).exists()


def test_unknown_area_shows_nothing(imo, incidents):
    assert not incident_list(user=imo, filters={"area": "not-a-uuid"}).exists()


def test_other_filters(imo, manager, incidents, alpha, beta):
    def keys(**filters):
        return _keys(incident_list(user=imo, filters=filters), incidents)

    assert keys(date_from=days_ago(200), date_to=days_ago(50)) == {"mopti_old"}
    assert keys(category="gbv") == {"mopti_gbv"}
    assert keys(organisation=beta) == {"beta"}
    assert keys(organisation=str(beta.public_id)) == {"beta"}
    assert keys(status="draft") == set()  # drafts stay with their organisation
    assert _keys(incident_list(user=manager, filters={"status": "draft"}), incidents) == {"mopti_draft"}
    assert keys(source_mechanism="media") == {"mopti_commune"}
    reference = incidents["segou"].reference
    assert keys(q=reference) == {"segou"}
    assert keys(q=reference[-6:]) == {"segou"}
    assert _keys(incident_list(user=imo, filters=IncidentFilters(status="verified")), incidents) == {
        "mopti_old"
    }


def test_list_is_newest_first(imo, incidents):
    listed = list(incident_list(user=imo, filters={}))
    assert listed[-1] == incidents["mopti_old"]


def _page_queries(user, size):
    with CaptureQueriesContext(connection) as queries:
        for incident in incident_list(user=user, filters={})[:size]:
            _ = (incident.area.name_fr, incident.area.parent.name_fr, incident.organisation.acronym)
            _ = [link.category for link in incident.category_links.all()]
    return len(queries)


def test_list_page_costs_a_constant_number_of_queries(
    manager, imo, mopti_cercle, django_assert_max_num_queries
):
    for _ in range(3):
        record_incident(manager, mopti_cercle, submit=True)
    _page_queries(imo, 1)  # loads the IMO's memberships once
    few = _page_queries(imo, 3)
    for _ in range(12):
        record_incident(manager, mopti_cercle, submit=True)
    assert _page_queries(imo, 15) == few
    with django_assert_max_num_queries(4):
        _page_queries(manager, 15)


def test_incident_get_audits_the_read_and_404s_alike(manager, outsider, incidents):
    incident = incidents["mopti_commune"]
    assert incident_get(user=manager, public_id=incident.public_id) == incident
    assert AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(incident.public_id)).exists()
    with pytest.raises(Http404):
        incident_get(user=outsider, public_id=incident.public_id)
    with pytest.raises(Http404):
        incident_get(user=manager, public_id="00000000-0000-0000-0000-000000000000")


def test_confidential_read_is_audited_without_the_values(manager, incidents):
    incident = incidents["mopti_commune"]
    incident.coordinates = "14.5,-4.2"
    incident.save(update_fields=["coordinates"])
    values = incident_confidential(user=manager, incident=incident)
    assert values == {"account": incident.account, "coordinates": "14.5,-4.2"}
    entry = AuditEntry.objects.filter(action=AuditAction.READ).latest("id")
    assert entry.detail == {"confidential": True}


def test_imo_reads_the_account_only_when_shared_with_the_cluster(imo, manager, mopti_cercle):
    private = record_incident(manager, mopti_cercle, submit=True)
    shared = record_incident(manager, mopti_cercle, submit=True, sharing_level="cluster")
    assert incident_confidential(user=imo, incident=private) is None
    assert incident_confidential(user=imo, incident=shared)["account"].startswith("Récit")


def test_timeline_in_order(monitor, imo, mopti_cercle):
    incident = record_incident(monitor, mopti_cercle)
    incident_submit(actor=monitor, incident=incident)
    incident_verify(actor=imo, incident=incident)
    events = list(incident_timeline(incident=incident))
    assert [event.kind for event in events] == ["created", "submitted", "verified"]
    assert events[-1].user == imo
