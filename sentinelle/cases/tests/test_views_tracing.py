"""Tracing pages: a family's request proposes the registered child with a score and reasons; the child's
case worker confirms and records the reunification. Referral statistics for managers only."""

import pytest
from django.urls import reverse

from sentinelle.cases.models import Reunification, TracingMatch, TracingRequest
from sentinelle.cases.tests.factories_persons import commune_in, register_child

pytestmark = pytest.mark.django_db


@pytest.fixture
def child_case(caseworker_in_area, mopti):
    commune = commune_in(mopti, "Sévaré")
    _person, case = register_child(
        caseworker_in_area, area=commune, given_name="Boubacar", family_name="Dicko", sex="m", age=9
    )
    return case


REQUEST = {
    "inquirer_name": "Aïssata Dicko",
    "inquirer_relationship": "mère",
    "sought_given_name": "Boubakar",
    "sought_family_name": "Diko",
    "sought_sex": "m",
    "sought_age": "9",
    "last_seen_commune": "Sévaré",
}


def test_request_match_confirm_reunify(signed_in, caseworker_in_area, child_case):
    client = signed_in(caseworker_in_area)
    response = client.post(reverse("cases:tracing-create"), REQUEST)
    tracing = TracingRequest.objects.get()
    assert response.url == reverse("cases:tracing-detail", args=[tracing.public_id])
    page = client.get(response.url)
    assert len(page.context["rows"]) == 1 and page.context["rows"][0][1]  # a score and its reasons
    match = TracingMatch.objects.get()
    case_page = client.get(reverse("cases:case-detail", args=[child_case.public_id]))
    assert tracing.reference in case_page.content.decode()
    client.post(reverse("cases:match-decide", args=[match.pk]), {"decision": "confirm"})
    match.refresh_from_db()
    assert match.status == TracingMatch.Status.CONFIRMED
    client.post(
        reverse("cases:reunification-add", args=[child_case.public_id]),
        {"date": child_case.opened_on.isoformat(), "outcome": "reunified"},
    )
    assert Reunification.objects.filter(case=child_case, match=match).exists()


def test_others_cannot_decide(signed_in, caseworker_in_area, caseworker_other_area, reader, child_case):
    client = signed_in(caseworker_in_area)
    client.post(reverse("cases:tracing-create"), REQUEST)
    match = TracingMatch.objects.get()
    signed_in(caseworker_other_area)
    assert (
        client.post(reverse("cases:match-decide", args=[match.pk]), {"decision": "confirm"}).status_code
        == 404
    )
    signed_in(reader)
    assert client.get(reverse("cases:tracing-list")).status_code == 403
    match.refresh_from_db()
    assert match.status == TracingMatch.Status.PROPOSED


def test_referral_statistics_for_managers(signed_in, caseworker_in_area, manager):
    client = signed_in(caseworker_in_area)
    assert client.get(reverse("cases:referral-statistics")).status_code == 403
    signed_in(manager)
    assert client.get(reverse("cases:referral-statistics")).status_code == 200
