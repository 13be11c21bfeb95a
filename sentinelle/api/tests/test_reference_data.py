"""/api/v1/services/ and /api/v1/population-figures/: read whole by every permitted role."""

import uuid

import pytest

from sentinelle.cases.tests.factories_cases import commune_in, make_service
from sentinelle.displacement.tests.factories import make_figure

pytestmark = pytest.mark.django_db

ROLES = ["admin", "imo", "manager", "caseworker_in_area", "monitor", "focal_point", "reader", "outsider"]


@pytest.fixture
def services(alpha, beta, mopti, segou):
    mopti_commune = commune_in(mopti, "Sévaré")
    segou_commune = commune_in(segou, "Markala")
    health = make_service(alpha, mopti_commune, "health", name="Centre de santé Sévaré")
    legal = make_service(beta, segou_commune, "legal", name="Clinique juridique Markala")
    health.areas_served.set([mopti])
    closed = make_service(beta, segou_commune, "pss", name="Espace ami fermé")
    closed.status = "closed"
    closed.save()
    return {"health": health, "legal": legal, "closed": closed}


def _names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


@pytest.mark.parametrize("actor", ROLES)
def test_everyone_finds_the_active_services(request, api, services, actor):
    client = api(request.getfixturevalue(actor))
    assert _names(client.get("/api/v1/services/")) == {"Centre de santé Sévaré", "Clinique juridique Markala"}


def test_service_filters_and_detail(api, services, reader, mopti, django_assert_max_num_queries):
    client = api(reader)
    assert _names(client.get("/api/v1/services/", {"service_type": "legal"})) == {
        "Clinique juridique Markala"
    }
    assert _names(client.get("/api/v1/services/", {"provider": "alpha"})) == {"Centre de santé Sévaré"}
    assert _names(client.get("/api/v1/services/", {"area": mopti.pcode})) == {"Centre de santé Sévaré"}
    assert _names(client.get("/api/v1/services/", {"q": "juridique"})) == {"Clinique juridique Markala"}
    assert _names(client.get("/api/v1/services/", {"status": "closed"})) == {"Espace ami fermé"}
    with django_assert_max_num_queries(10):  # +3: the API throttle
        client.get("/api/v1/services/")
    detail = client.get(f"/api/v1/services/{services['health'].public_id}/").json()
    assert detail["provider"] == "ALPHA"
    assert detail["areas_served"] == [mopti.pcode]
    assert client.get(f"/api/v1/services/{uuid.uuid4()}/").status_code == 404


@pytest.fixture
def figures(alpha, beta, mopti, segou):
    return [
        make_figure(mopti, alpha, individuals=1200, households=240),
        make_figure(segou, beta, individuals=300, households=60, status="returnee"),
    ]


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        ("admin", True),
        ("imo", True),
        ("manager", True),
        ("caseworker_in_area", True),
        ("monitor", True),
        ("outsider", True),
        ("focal_point", False),
        ("reader", False),
    ],
)
def test_population_figures_by_role(request, api, figures, actor, allowed):
    response = api(request.getfixturevalue(actor)).get("/api/v1/population-figures/")
    if not allowed:
        assert response.status_code == 403
        return
    rows = response.json()["results"]
    # Aggregates: every permitted user reads them whole.
    assert sorted(row["individuals"] for row in rows) == [300, 1200]


def test_population_figure_filters_and_detail(api, figures, imo, mopti, django_assert_max_num_queries):
    client = api(imo)
    with django_assert_max_num_queries(12):  # +5: the API throttle (first call)
        rows = client.get("/api/v1/population-figures/", {"area": mopti.pcode}).json()["results"]
    assert [row["area"]["pcode"] for row in rows] == [mopti.pcode]
    assert client.get("/api/v1/population-figures/", {"organisation": "BETA"}).json()["count"] == 1
    detail = client.get(f"/api/v1/population-figures/{figures[0].public_id}/").json()
    assert detail["individuals"] == 1200 and detail["organisation"] == "ALPHA"


@pytest.mark.parametrize(
    ("actor", "allowed"), [("imo", True), ("monitor", True), ("outsider", True), ("reader", False)]
)
def test_displacement_events_by_role(
    request, api, alpha, mopti, segou, actor, allowed, django_assert_max_num_queries
):
    from sentinelle.displacement.tests.factories import make_event

    make_event(mopti, alpha, individuals=300)
    event = make_event(segou, alpha, individuals=80, cause="flood", origin_area=mopti)
    client = api(request.getfixturevalue(actor))
    if not allowed:
        assert client.get("/api/v1/displacement-events/").status_code == 403
        return
    with django_assert_max_num_queries(12):  # +5: the API throttle (first call)
        response = client.get("/api/v1/displacement-events/")
    assert sorted(row["individuals"] for row in response.json()["results"]) == [80, 300]
    rows = client.get("/api/v1/displacement-events/", {"area": segou.pcode, "cause": "flood"}).json()[
        "results"
    ]
    assert [row["origin_area"]["pcode"] for row in rows] == [mopti.pcode]
    assert client.get(f"/api/v1/displacement-events/{event.public_id}/").json()["cause"] == "flood"
