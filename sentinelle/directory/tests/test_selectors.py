import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from sentinelle.directory.models import Service, ServiceStatus, ServiceType
from sentinelle.directory.selectors import (
    Distance,
    cercle_pathways,
    distance_of,
    place_find,
    referral_pathway,
    serves,
    service_get,
    service_list,
)
from sentinelle.directory.tests.factories import ServiceFactory
from sentinelle.geography.tests.factories import AdminAreaFactory

pytestmark = pytest.mark.django_db


def _names(services) -> list[str]:
    return sorted(service.name for service in services)


@pytest.fixture
def directory(places, alpha, beta):
    """One service per serving rule (see the module docstring of selectors)."""
    p = places

    def make(name, provider, area, served=()):
        return ServiceFactory(name=name, provider=provider, area=area, areas_served=list(served))

    return {
        "cercle-wide": make("cercle-wide", alpha, p.douentza, [p.douentza_cercle]),
        "hombori-only": make("hombori-only", alpha, p.hombori, [p.hombori]),
        "located-hombori": make("located-hombori", beta, p.hombori),
        "regional": make("regional", beta, p.mopti_commune, [p.mopti]),
        "national": make("national", beta, p.segou_commune, [p.mali]),
        "located-mopti": make("located-mopti", alpha, p.mopti_commune),
        "segou-only": make("segou-only", alpha, p.segou_commune, [p.segou]),
    }


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        # A commune: in (or below) an area served, or, without areas served, in the same cercle.
        ("douentza", ["cercle-wide", "located-hombori", "national", "regional"]),
        ("hombori", ["cercle-wide", "hombori-only", "located-hombori", "national", "regional"]),
        ("mopti_commune", ["located-mopti", "national", "regional"]),
        # A cercle: services serving it or part of it, or located in it without areas served.
        ("douentza_cercle", ["cercle-wide", "hombori-only", "located-hombori", "national", "regional"]),
        ("segou_cercle", ["national", "segou-only"]),
        # A region: everything serving or located in it.
        (
            "mopti",
            ["cercle-wide", "hombori-only", "located-hombori", "located-mopti", "national", "regional"],
        ),
    ],
)
def test_who_serves_a_place(reader, places, directory, place, expected):
    area = getattr(places, place)
    assert _names(service_list(user=reader, area=area)) == expected
    # The same rule in memory (used for printing every cercle of a region) agrees with the query.
    in_memory = [s.name for s in directory.values() if serves(s, area, list(s.areas_served.all()))]
    assert sorted(in_memory) == expected


def test_filters_by_type_status_text_and_archive(reader, places, directory, beta):
    directory["regional"].service_type = ServiceType.HEALTH
    directory["regional"].save()
    directory["national"].status = ServiceStatus.SUSPENDED
    directory["national"].save()
    directory["cercle-wide"].is_archived = True
    directory["cercle-wide"].save()
    area = places.douentza
    assert _names(service_list(user=reader, area=area)) == ["located-hombori", "regional"]
    assert _names(service_list(user=reader, area=area, service_type="health")) == ["regional"]
    assert _names(service_list(user=reader, area=area, service_type=["pss", "health"])) == [
        "located-hombori",
        "regional",
    ]
    assert _names(service_list(user=reader, area=area, status="")) == [
        "located-hombori",
        "national",
        "regional",
    ]
    assert _names(service_list(user=reader, area=area, status="suspended")) == ["national"]
    assert _names(service_list(user=reader, q="BETA", status="")) == [
        "located-hombori",
        "national",
        "regional",
    ]


def test_nobody_without_a_role_sees_no_service(nobody, directory):
    assert not service_list(user=nobody).exists()


def test_distance_classes(places):
    p = places
    assert distance_of(p.douentza, p.douentza) == Distance.COMMUNE
    assert distance_of(p.hombori, p.douentza) == Distance.CERCLE
    assert distance_of(p.mopti_commune, p.douentza) == Distance.REGION
    assert distance_of(p.segou_commune, p.douentza) == Distance.NATIONAL
    assert distance_of(p.hombori, p.douentza_cercle) == Distance.CERCLE
    assert distance_of(p.mopti_commune, p.douentza_cercle) == Distance.REGION
    other_version = AdminAreaFactory(level=3, pcode="ML050606")
    assert distance_of(other_version, p.douentza) == Distance.NATIONAL


def test_the_pathway_lists_nearest_first_by_type(reader, places, directory, alpha):
    p = places
    ServiceFactory(name="health-here", provider=alpha, area=p.douentza, service_type=ServiceType.HEALTH)
    groups = {group.service_type: group for group in referral_pathway(user=reader, area=p.douentza)}
    assert list(groups) == list(ServiceType.values)
    pss = [(entry.service.name, entry.distance) for entry in groups["pss"].entries]
    assert pss == [
        ("cercle-wide", Distance.COMMUNE),
        ("located-hombori", Distance.CERCLE),
        ("regional", Distance.REGION),
        ("national", Distance.NATIONAL),
    ]
    assert [entry.service.name for entry in groups["health"].entries] == ["health-here"]
    assert groups["legal"].entries == []
    only = referral_pathway(user=reader, area=p.douentza, service_types=["health"])
    assert [group.service_type for group in only] == ["health"]


def test_suspended_services_are_not_in_the_pathway(reader, places, directory):
    directory["cercle-wide"].status = ServiceStatus.SUSPENDED
    directory["cercle-wide"].save()
    names = [e.service.name for g in referral_pathway(user=reader, area=places.douentza) for e in g.entries]
    assert "cercle-wide" not in names


def _count_queries(function) -> int:
    with CaptureQueriesContext(connection) as context:
        result = function()
        if hasattr(result, "__iter__"):
            list(result)
    return len(context.captured_queries)


def test_pathways_take_a_constant_number_of_queries(reader, places, alpha, django_assert_max_num_queries):
    p = places

    def make(count):
        for index in range(count):
            ServiceFactory(provider=alpha, area=p.hombori if index % 2 else p.mopti_commune,
                           areas_served=[p.douentza_cercle, p.mopti_cercle][: 1 + index % 2])  # fmt: skip

    make(3)
    reader._active_memberships = None
    small = _count_queries(lambda: referral_pathway(user=reader, area=p.douentza))
    reader._active_memberships = None
    small_region = _count_queries(lambda: cercle_pathways(user=reader, area=p.mopti))
    make(30)
    reader._active_memberships = None
    with django_assert_max_num_queries(small):
        groups = referral_pathway(user=reader, area=p.douentza)
    assert sum(len(group.entries) for group in groups) == 33
    reader._active_memberships = None
    with django_assert_max_num_queries(small_region):
        pathways = cercle_pathways(user=reader, area=p.mopti)
    assert (small, small_region) == (3, 5)  # memberships (2), then services (+ cercles, areas served)
    assert [pathway.cercle.pcode for pathway in pathways] == ["ML0501", "ML0506"]
    assert pathways[1].service_count == 33


def test_cercle_pathways_of_a_cercle_or_a_commune(reader, places, directory):
    (pathway,) = cercle_pathways(user=reader, area=places.hombori)
    assert pathway.cercle == places.douentza_cercle
    names = {entry.service.name for group in pathway.groups for entry in group.entries}
    assert names == {"cercle-wide", "hombori-only", "located-hombori", "national", "regional"}
    assert "Health" in [str(label) for label in pathway.missing]


def test_service_get_hides_archived_services(reader, directory):
    service = directory["regional"]
    assert service_get(user=reader, public_id=service.public_id) == service
    Service.objects.filter(pk=service.pk).update(is_archived=True)
    with pytest.raises(Exception) as caught:
        service_get(user=reader, public_id=service.public_id)
    assert caught.typename == "Http404"


@pytest.mark.parametrize("text", ["Douentza", "douentza", "DOUENTZA ", "Douentza Commune", "ML0506"])
def test_place_find_by_name_without_accents_or_by_pcode(places, text):
    match = place_find(text)
    expected = places.douentza if text.startswith("Douentza Commune") else places.douentza_cercle
    assert match.area == expected
    if text.lower().strip() == "douentza":
        # The cercle is chosen; its chief town of the same name is offered.
        assert match.also == [places.douentza]


def test_place_find_accents_and_choices(places):
    assert place_find("segou").area == places.segou_cercle
    assert place_find("Ségou").also == [places.segou_commune]
    assert place_find("Nowhere").area is None
    AdminAreaFactory(parent=places.segou_cercle, level=3, pcode="ML040299", name_fr="Hombori")
    match = place_find("hombori")
    assert match.area is None
    assert [area.pcode for area in match.candidates] == ["ML040299", "ML050609"]


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests assert the English source messages; the French catalogue is tested in core."""
    with translation.override("en"):
        yield
