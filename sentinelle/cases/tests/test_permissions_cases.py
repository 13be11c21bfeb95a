"""The permission matrix of case management across roles and organisations.

One ALPHA case in Mopti, owned by caseworker_in_area, with a referral to a BETA health service. Reads
outside scope answer 404 alike; refused writes raise PermissionDenied, are audited and change nothing.
The IMO gets aggregates only.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from sentinelle.cases.exports import case_list_export, gbv_incident_recorder
from sentinelle.cases.models import CaseNote, Person, Referral, ReferralStatus
from sentinelle.cases.selectors.cases import case_get, case_list, caseworker_home, manager_dashboard
from sentinelle.cases.selectors.referrals import referral_get, referral_queue, referral_statistics
from sentinelle.cases.services.cases import note_add
from sentinelle.cases.services.referrals import referral_accept
from sentinelle.cases.tests.factories_cases import (
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)
from sentinelle.core.permissions import Perm, scope_queryset

pytestmark = pytest.mark.django_db

ACTORS = [
    "admin",
    "manager",
    "caseworker_in_area",
    "caseworker_other_area",
    "focal_point",
    "imo",
    "reader",
    "outsider",
    "monitor",
]
# Who reaches the case, its person and its referral from the referring side.
SEES_CASE = {"admin", "manager", "caseworker_in_area"}
# Who answers the referral: the receiving organisation's focal point and manager (and the administrator).
RECEIVES = {"admin", "focal_point", "outsider"}
EXPORTS = {"admin", "manager", "outsider"}
STATS = {"admin", "manager", "imo", "outsider"}


@pytest.fixture
def world(caseworker_in_area, focal_point, beta, mopti):
    commune = commune_in(mopti, "Douentza")
    case = make_case(caseworker_in_area, commune, case_type="general_protection", given_name="Salimata")
    consent_for(caseworker_in_area, case, organisations=[beta])
    service = make_service(beta, commune, "health", focal_points=[focal_point])
    referral = make_referral(caseworker_in_area, case, service)
    return case, referral


@pytest.mark.parametrize("actor", ACTORS)
def test_reading_the_case_and_its_person(request, world, actor):
    user = request.getfixturevalue(actor)
    case, referral = world
    if actor in SEES_CASE:
        assert case_get(user=user, public_id=case.public_id) == case
        assert referral_get(user=user, public_id=referral.public_id) == referral
        assert list(case_list(user=user)) == [case]
    else:
        with pytest.raises(Http404):
            case_get(user=user, public_id=case.public_id)
        with pytest.raises(Http404):
            referral_get(user=user, public_id=referral.public_id)
        assert list(case_list(user=user)) == []
    person_visible = scope_queryset(user, Person.objects.filter(pk=case.person_id), Perm.PERSON_VIEW).exists()
    assert person_visible == (actor in SEES_CASE)


@pytest.mark.parametrize("actor", ACTORS)
def test_writing_on_the_case(request, world, actor):
    user = request.getfixturevalue(actor)
    case, _referral = world
    if actor in SEES_CASE:
        note_add(actor=user, case=case, text="Visite faite.")
        assert CaseNote.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            note_add(actor=user, case=case, text="Visite faite.")
        assert not CaseNote.objects.exists()


@pytest.mark.parametrize("actor", ACTORS)
def test_answering_the_referral(request, world, actor):
    user = request.getfixturevalue(actor)
    _case, referral = world
    queue = referral_queue(user=user)
    assert [item.reference for item in queue] == ([referral.reference] if actor in RECEIVES else [])
    if actor in RECEIVES:
        referral_accept(actor=user, referral=referral)
        assert Referral.objects.get().status == ReferralStatus.ACCEPTED
    else:
        with pytest.raises(PermissionDenied):
            referral_accept(actor=user, referral=referral)
        assert Referral.objects.get().status == ReferralStatus.PENDING


@pytest.mark.parametrize("actor", ACTORS)
def test_exporting(request, world, alpha, actor):
    user = request.getfixturevalue(actor)
    if actor in EXPORTS:
        export = case_list_export(user=user)
        assert export.rows == (1 if actor in SEES_CASE else 0)
    else:
        with pytest.raises(PermissionDenied):
            case_list_export(user=user)
    if actor in {"admin", "manager"}:
        assert gbv_incident_recorder(user=user, organisation=alpha).rows == 0
    else:
        with pytest.raises(PermissionDenied):
            gbv_incident_recorder(user=user, organisation=alpha)


@pytest.mark.parametrize("actor", ACTORS)
def test_statistics_are_aggregates(request, world, actor):
    user = request.getfixturevalue(actor)
    case, referral = world
    if actor not in STATS:
        with pytest.raises(PermissionDenied):
            referral_statistics(user=user)
        return
    stats = referral_statistics(user=user)
    assert stats["total"]["referred"] == 1
    flat = str(stats)
    for secret in (case.case_number, case.person.person_code, referral.reference, "Salimata"):
        assert secret not in flat
    if actor in {"imo", "admin"}:  # across organisations: one referral is below the threshold
        assert stats["by_service_type"][0]["suppressed"] is True
        assert stats["by_service_type"][0]["referred"] is None
    else:
        assert stats["by_service_type"][0]["referred"] == 1


def test_the_imo_reads_no_case_at_all(imo, world):
    assert caseworker_home(user=imo)["case_count"] == 0
    assert manager_dashboard(user=imo)["caseload"] == []


def test_statistics_measure_times(manager, focal_point, world):
    _case, referral = world
    referral_accept(actor=focal_point, referral=referral)
    stats = referral_statistics(user=manager, filters={"service_type": "health"})
    row = stats["by_organisation"][0]
    assert (row["label"], row["referred"], row["accepted"], row["pending"]) == ("BETA", 1, 1, 0)
    assert row["median_hours_to_acceptance"] is not None
    assert stats["by_area"][0]["label"] == "Mopti"


def test_lists_and_home_pages_have_constant_query_counts(
    django_assert_max_num_queries, caseworker_in_area, manager, focal_point, beta, mopti
):
    commune = commune_in(mopti, "Boni")
    service = make_service(beta, commune, "health", focal_points=[focal_point])

    def add_cases(count):
        for index in range(count):
            case = make_case(caseworker_in_area, commune, given_name=f"Awa{index}")
            consent_for(caseworker_in_area, case)
            make_referral(caseworker_in_area, case, service)

    def measure():
        counts = {}
        for name, call in {
            "case_list": lambda: [
                (c.person.person_code, c.area.pcode, c.owner_id)
                for c in case_list(user=manager).select_related("person", "area")
            ],
            "caseworker_home": lambda: caseworker_home(user=caseworker_in_area),
            "manager_dashboard": lambda: manager_dashboard(user=manager),
            "referral_queue": lambda: referral_queue(user=focal_point),
            "statistics": lambda: referral_statistics(user=manager),
        }.items():
            with django_assert_max_num_queries(30) as captured:
                call()
            counts[name] = len(captured.captured_queries)
        return counts

    add_cases(2)
    measure()  # the first reads load each user's memberships once
    small = measure()
    add_cases(6)
    assert measure() == small
