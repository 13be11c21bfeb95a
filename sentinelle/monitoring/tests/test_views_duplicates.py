"""Possible duplicates: the IMO links or dismisses pairs; nobody else can, and refusals change nothing."""

import pytest
from django.urls import reverse

from sentinelle.accounts.tests.factories import make_member
from sentinelle.core.models import Role
from sentinelle.monitoring.models import DuplicateCandidate
from sentinelle.monitoring.tests.factories import cercle_of, make_incident

pytestmark = pytest.mark.django_db

LIST = reverse("monitoring:duplicate-list")


@pytest.fixture
def pair(monitor, beta, mopti):
    """The same attack reported by alpha's monitor and by beta's, proposed as a pending pair."""
    cercle = cercle_of(mopti)
    first = make_incident(actor=monitor, area=cercle, status="submitted", reliability="b")
    second = make_incident(
        actor=make_member(Role.MONITOR, beta, username="monitor_beta"), area=cercle, status="submitted"
    )
    DuplicateCandidate.objects.filter(first=first, second=second).delete()  # whatever detection did
    return DuplicateCandidate.objects.create(first=first, second=second, score=0.85)


def action_url(name, candidate):
    return reverse(
        f"monitoring:{name}",
        kwargs={"first": candidate.first.public_id, "second": candidate.second.public_id},
    )


def test_imo_sees_pairs_side_by_side(signed_in, imo, pair):
    response = signed_in(imo).get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert pair.first.reference in html and pair.second.reference in html
    assert "Mêmes dates." in html and "85" in html


def test_imo_links_a_pair(signed_in, imo, pair):
    response = signed_in(imo).post(action_url("duplicate-link", pair))
    assert response.status_code == 302
    pair.refresh_from_db()
    pair.second.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.LINKED
    # The more reliable report (reliability "b" against the default "f") is the one counted.
    assert pair.second.duplicate_of_id == pair.first.pk


def test_imo_dismisses_a_pair_and_cannot_decide_twice(signed_in, imo, pair):
    client = signed_in(imo)
    client.post(action_url("duplicate-dismiss", pair))
    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.DISMISSED
    assert client.post(action_url("duplicate-link", pair)).status_code == 404
    pair.refresh_from_db()
    pair.second.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.DISMISSED and pair.second.duplicate_of_id is None
    assert pair.first.reference in client.get(LIST, {"status": "dismissed"}).content.decode()


@pytest.mark.parametrize("actor", ["manager", "monitor", "reader"])
def test_others_are_refused_and_nothing_changes(request, signed_in, pair, actor):
    client = signed_in(request.getfixturevalue(actor))
    assert client.get(LIST).status_code == 403
    assert client.post(action_url("duplicate-link", pair)).status_code == 403
    assert client.post(action_url("duplicate-dismiss", pair)).status_code == 403
    pair.refresh_from_db()
    pair.second.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.PENDING and pair.second.duplicate_of_id is None


def test_unknown_pair_is_404_and_get_is_refused(signed_in, imo, pair):
    client = signed_in(imo)
    swapped = reverse(
        "monitoring:duplicate-link", kwargs={"first": pair.second.public_id, "second": pair.first.public_id}
    )
    assert client.post(swapped).status_code == 404
    assert client.get(action_url("duplicate-link", pair)).status_code == 405
    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.PENDING


def test_duplicate_list_queries_do_not_grow(signed_in, imo, pair, django_assert_max_num_queries):
    client = signed_in(imo)
    client.get(LIST)
    with django_assert_max_num_queries(12):
        assert client.get(LIST).status_code == 200


def test_the_review_pages_pairs_in_the_same_queries(signed_in, imo, monitor, beta, mopti):
    """Issue 15, item 11: eight pairs a page, as many queries for two pairs as for eight."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sentinelle.monitoring.views.duplicates import PAGE_SIZE

    cercle = cercle_of(mopti)
    other = make_member(Role.MONITOR, beta, username="monitor_beta")
    client = signed_in(imo)
    counts = []
    for pairs in (2, PAGE_SIZE + 2):
        incidents = [
            (
                make_incident(actor=monitor, area=cercle, status="submitted"),
                make_incident(actor=other, area=cercle),
            )
            for _index in range(pairs)
        ]
        DuplicateCandidate.objects.all().delete()
        for first, second in incidents:
            low, high = sorted((first, second), key=lambda incident: incident.pk)
            DuplicateCandidate.objects.create(first=low, second=high, score=0.8)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert len(response.context["page"].object_list) == PAGE_SIZE
    assert response.context["page"].paginator.num_pages == 2
