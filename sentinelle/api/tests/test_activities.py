"""/api/v1/activities/ and /api/v1/indicators/: 4W scope as in the UI; results from the same selectors."""

import datetime

import pytest

from sentinelle.activities.tests.factories_results import (
    JAN,
    YEAR,
    make_activity,
    make_framework,
    make_indicator,
    make_tree,
)
from sentinelle.monitoring.tests.factories import cercle_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def activities(alpha, beta, mopti, segou):
    mopti_cercle, segou_cercle = cercle_of(mopti), cercle_of(segou)
    return {
        "alpha_mopti": make_activity(
            alpha, mopti_cercle, beneficiaries=[("f", "0_5", "idp", 4), ("m", "18_59", "host", 3)]
        ),
        "alpha_segou": make_activity(alpha, segou_cercle, "psychosocial_support"),
        "alpha_draft": make_activity(
            alpha, mopti_cercle, start=datetime.date(YEAR, 3, 10), report_status="draft"
        ),
        "beta": make_activity(beta, segou_cercle, beneficiaries=[("f", "18_59", "idp", 10)]),
    }


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _expected(activities, *names) -> set[str]:
    return {str(activities[name].public_id) for name in names}


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("manager", {"alpha_mopti", "alpha_segou", "alpha_draft"}),
        ("caseworker_in_area", {"alpha_mopti", "alpha_draft"}),
        ("caseworker_other_area", {"alpha_segou"}),
        ("monitor", {"alpha_mopti", "alpha_draft"}),
        ("imo", {"alpha_mopti", "alpha_segou", "beta"}),  # every partner's, never a draft
        ("outsider", {"beta"}),
    ],
)
def test_each_role_lists_the_activities_it_may_see(request, api, activities, actor, expected):
    user = request.getfixturevalue(actor)
    assert _ids(api(user).get("/api/v1/activities/")) == _expected(activities, *expected)


@pytest.mark.parametrize("actor", ["reader", "focal_point"])
def test_roles_without_activity_access_are_refused(request, api, activities, actor):
    assert api(request.getfixturevalue(actor)).get("/api/v1/activities/").status_code == 403


def test_activity_figures_filters_and_detail(api, activities, manager, mopti, django_assert_max_num_queries):
    client = api(manager)
    with django_assert_max_num_queries(12):  # +5: the API throttle (first call)
        rows = client.get("/api/v1/activities/", {"area": mopti.pcode, "report_status": "validated"}).json()
    assert [row["people_reached"] for row in rows["results"]] == [7]
    assert rows["results"][0]["reached_female"] == 4
    assert _ids(client.get("/api/v1/activities/", {"activity_type": "psychosocial_support"})) == _expected(
        activities, "alpha_segou"
    )
    detail = client.get(f"/api/v1/activities/{activities['alpha_mopti'].public_id}/").json()
    assert detail["people_reached"] == 7
    assert sorted(b["count"] for b in detail["beneficiaries"]) == [3, 4]
    assert client.get(f"/api/v1/activities/{activities['beta'].public_id}/").status_code == 404


@pytest.fixture
def indicator(alpha, activities):
    framework = make_framework(alpha)
    _objective, _outcome, output = make_tree(framework)
    return make_indicator(
        framework,
        output,
        "I1",
        {"kind": "value", "dataset": "activities", "measure": "people_reached"},
        targets=[(datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31), 20)],
    )


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [("imo", True), ("manager", True), ("outsider", True), ("reader", False), ("caseworker_in_area", False)],
)
def test_indicators_by_role(request, api, indicator, actor, allowed):
    response = api(request.getfixturevalue(actor)).get("/api/v1/indicators/")
    if not allowed:
        assert response.status_code == 403
        return
    assert [row["code"] for row in response.json()["results"]] == ["I1"]


def test_an_indicator_gives_its_results_from_the_same_computation(api, indicator, imo):
    data = api(imo).get(f"/api/v1/indicators/{indicator.public_id}/", {"year": YEAR}).json()
    assert data["code"] == "I1" and data["framework"] == "FW" and data["node"] == "P1"
    year = next(p for p in data["periods"] if p["start"] == f"{YEAR}-01-01")
    # Validated activities of the year: 7 (alpha, Mopti) + 0 (alpha, Ségou) + 10 (beta); never the draft.
    assert float(year["value"]) == 17
    assert float(year["target"]) == 20
    assert len(data["quarters"]) == 4
    assert float(data["quarters"][0]["value"]) == 17  # all in January
    assert JAN.month == 1


def test_the_indicator_list_is_bounded(api, indicator, imo, django_assert_max_num_queries):
    client = api(imo)
    with django_assert_max_num_queries(11):  # +5: the API throttle (first call)
        assert client.get("/api/v1/indicators/", {"framework": "fw"}).json()["count"] == 1
    assert client.get("/api/v1/indicators/", {"framework": "other"}).json()["count"] == 0
