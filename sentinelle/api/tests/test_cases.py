"""/api/v1/cases/, /persons/, /referrals/ (both sides): the case management scope exactly, identities only
in audited details and only where the policy allows, the IMO gets no case or person row at all."""

import uuid

import pytest

from sentinelle.cases.tests.factories_cases import (
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)
from sentinelle.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(caseworker_in_area, caseworker_other_area, beta, focal_point, mopti, segou):
    mopti_commune = commune_in(mopti, "Sévaré")
    segou_commune = commune_in(segou, "Markala")
    mine = make_case(caseworker_in_area, mopti_commune, case_type="child_protection", given_name="Fatoumata")
    gbv = make_case(caseworker_in_area, mopti_commune, case_type="gbv", given_name="Awa")
    other = make_case(caseworker_other_area, segou_commune, case_type="general_protection", given_name="Hawa")
    service = make_service(beta, mopti_commune, "health", focal_points=[focal_point])
    referrals = {}
    for name, case in (("mine", mine), ("gbv", gbv)):
        consent_for(caseworker_in_area, case, organisations=[beta])
        referrals[name] = make_referral(caseworker_in_area, case, service)
    return {"mine": mine, "gbv": gbv, "other": other, "service": service, "referrals": referrals}


def _rows(response, key="case_number") -> set:
    assert response.status_code == 200, response.content
    return {row[key] for row in response.json()["results"]}


# --- Cases -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("caseworker_in_area", {"mine", "gbv"}),
        ("caseworker_other_area", {"other"}),
        ("manager", {"mine", "gbv", "other"}),
        ("outsider", set()),
        ("admin", {"mine", "gbv", "other"}),
    ],
)
def test_each_role_lists_its_cases(request, api, world, actor, expected):
    user = request.getfixturevalue(actor)
    assert _rows(api(user).get("/api/v1/cases/")) == {world[name].case_number for name in expected}


@pytest.mark.parametrize("actor", ["imo", "reader", "focal_point", "monitor"])
def test_the_imo_and_others_get_no_case_and_no_person(request, api, world, actor):
    client = api(request.getfixturevalue(actor))
    for url in (
        "/api/v1/cases/",
        f"/api/v1/cases/{world['mine'].public_id}/",
        "/api/v1/persons/",
        f"/api/v1/persons/{world['mine'].person.public_id}/",
    ):
        assert client.get(url).status_code == 403, url


def test_lists_never_decrypt_identities(api, world, manager, django_assert_max_num_queries):
    client = api(manager)
    with django_assert_max_num_queries(13):  # +5: the API throttle (first call)
        cases = client.get("/api/v1/cases/")
    with django_assert_max_num_queries(11):  # +3: the API throttle
        persons = client.get("/api/v1/persons/")
    for response in (cases, persons):
        text = response.content.decode()
        for name in ("Fatoumata", "Awa", "Hawa", "Traoré"):
            assert name not in text
    assert {row["person_code"] for row in persons.json()["results"]} == {
        world[name].person.person_code for name in ("mine", "gbv", "other")
    }


def test_the_case_detail_gives_the_identity_to_its_case_worker_and_is_audited(api, world, caseworker_in_area):
    case = world["mine"]
    data = api(caseworker_in_area).get(f"/api/v1/cases/{case.public_id}/").json()
    assert data["case_number"] == case.case_number
    assert data["person_identity"]["given_name"] == "Fatoumata"
    assert AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(case.public_id)).exists()


def test_another_case_workers_case_is_404_alike_and_audited(api, world, caseworker_other_area):
    case = world["mine"]
    response = api(caseworker_other_area).get(f"/api/v1/cases/{case.public_id}/")
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, object_id=str(case.public_id)).exists()
    assert api(caseworker_other_area).get(f"/api/v1/cases/{uuid.uuid4()}/").status_code == 404


def test_case_filters(api, world, manager, mopti):
    client = api(manager)
    assert _rows(client.get("/api/v1/cases/", {"case_type": "gbv"})) == {world["gbv"].case_number}
    assert _rows(client.get("/api/v1/cases/", {"area": mopti.pcode})) == {
        world["mine"].case_number,
        world["gbv"].case_number,
    }
    assert _rows(client.get("/api/v1/cases/", {"organisation": "BETA"})) == set()


# --- Persons -----------------------------------------------------------------------------------


def test_each_case_worker_lists_the_persons_of_their_cases(
    api, world, caseworker_in_area, caseworker_other_area
):
    codes = _rows(api(caseworker_in_area).get("/api/v1/persons/"), "person_code")
    assert codes == {world["mine"].person.person_code, world["gbv"].person.person_code}
    assert _rows(api(caseworker_other_area).get("/api/v1/persons/"), "person_code") == {
        world["other"].person.person_code
    }


def test_the_person_detail_gives_the_identity_and_is_audited(
    api, world, caseworker_in_area, caseworker_other_area
):
    person = world["mine"].person
    data = api(caseworker_in_area).get(f"/api/v1/persons/{person.public_id}/").json()
    assert data["identity"]["given_name"] == "Fatoumata"
    assert data["identity"]["family_name"] == "Traoré"
    assert AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(person.public_id)).exists()
    assert api(caseworker_other_area).get(f"/api/v1/persons/{person.public_id}/").status_code == 404


# --- Referrals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("caseworker_in_area", {"mine", "gbv"}),
        ("caseworker_other_area", set()),
        ("manager", {"mine", "gbv"}),
        ("outsider", set()),
    ],
)
def test_the_referring_side_lists_its_cases_referrals(request, api, world, actor, expected):
    user = request.getfixturevalue(actor)
    references = _rows(api(user).get("/api/v1/referrals/"), "reference")
    assert references == {world["referrals"][name].reference for name in expected}


@pytest.mark.parametrize(
    ("actor", "expected"),
    [("focal_point", {"mine", "gbv"}), ("outsider", {"mine", "gbv"}), ("manager", set())],
)
def test_the_receiving_side_lists_what_was_sent_to_its_services(request, api, world, actor, expected):
    user = request.getfixturevalue(actor)
    response = api(user).get("/api/v1/referrals/received/")
    assert _rows(response, "reference") == {world["referrals"][name].reference for name in expected}
    text = response.content.decode()
    for secret in ("Fatoumata", "Awa", world["mine"].case_number):
        assert secret not in text
    assert all("reason" not in row and "case" not in row for row in response.json()["results"])


@pytest.mark.parametrize("actor", ["reader", "imo", "monitor"])
def test_others_get_no_referral(request, api, world, actor):
    client = api(request.getfixturevalue(actor))
    assert client.get("/api/v1/referrals/").status_code == 403
    assert client.get("/api/v1/referrals/received/").status_code == 403


def test_the_focal_point_is_refused_the_referring_side(api, world, focal_point):
    assert api(focal_point).get("/api/v1/referrals/").status_code == 403


def test_the_received_detail_adds_the_given_name_except_for_gbv_and_is_audited(api, world, focal_point):
    client = api(focal_point)
    mine = world["referrals"]["mine"]
    data = client.get(f"/api/v1/referrals/received/{mine.public_id}/").json()
    assert data["given_name"] == "Fatoumata"
    assert data["reason"] == "Prise en charge médicale."
    assert "case" not in data
    assert AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(mine.public_id)).exists()
    gbv = client.get(f"/api/v1/referrals/received/{world['referrals']['gbv'].public_id}/").json()
    assert gbv["given_name"] == ""


def test_the_referring_detail_is_scoped(api, world, caseworker_in_area, caseworker_other_area):
    referral = world["referrals"]["mine"]
    data = api(caseworker_in_area).get(f"/api/v1/referrals/{referral.public_id}/").json()
    assert data["case"] == world["mine"].case_number
    assert data["provider"] == "BETA"
    assert api(caseworker_other_area).get(f"/api/v1/referrals/{referral.public_id}/").status_code == 404


def test_referral_lists_are_bounded(
    api, world, caseworker_in_area, focal_point, django_assert_max_num_queries
):
    referring, receiving = api(caseworker_in_area), api(focal_point)
    with django_assert_max_num_queries(12):  # +5: the API throttle (first call)
        assert referring.get("/api/v1/referrals/").status_code == 200
    with django_assert_max_num_queries(10):  # +3: the API throttle
        assert receiving.get("/api/v1/referrals/received/").status_code == 200
