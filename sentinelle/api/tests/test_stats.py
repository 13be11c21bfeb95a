"""/api/v1/stats/: every dataset and dimension answers; readers get only protected figures (JSON, CSV and
HXL, validated with libhxl: "<5" for a small count, the others within 2 of the exact one, said in
`disclosure` and a header); analysts get exact figures flagged where a reader sees something else; bad
requests say why."""

import csv
import io

import hxl
import pytest

from sentinelle.core import datasets
from sentinelle.core.datasets import AREA_LEVELS
from sentinelle.monitoring.tests.factories import cercle_of, gbv_incident_input, make_incident, victim

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def figures(monitor, outsider, mopti, segou):
    """Submitted incidents: Mopti 7 "life"; Ségou 2 "life" and 6 "property" (hand-counted)."""
    mopti_cercle, segou_cercle = cercle_of(mopti), cercle_of(segou)
    for _ in range(7):
        make_incident(actor=monitor, area=mopti_cercle, status="submitted")
    for _ in range(2):
        make_incident(actor=outsider, area=segou_cercle, status="submitted")
    for _ in range(6):
        make_incident(actor=outsider, area=segou_cercle, status="submitted", categories=["property"])
    return {"mopti": mopti, "segou": segou}


def _ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def _visible_numbers(rows, measures) -> list:
    return [row[m] for row in rows for m in measures if isinstance(row[m], int)]


# --- Catalogue ---------------------------------------------------------------------------------


def test_the_catalogue_lists_every_registered_dataset(api, reader):
    data = _ok(api(reader).get(URL))
    assert data["exact"] is False and data["threshold"] == 5
    names = [entry["name"] for entry in data["datasets"]]
    assert names == [dataset.name for dataset in datasets.all_datasets()]
    assert {"incidents", "victims", "gbv_incidents", "population", "activities"} <= set(names)
    incidents = next(entry for entry in data["datasets"] if entry["name"] == "incidents")
    dimensions = {dim["name"]: dim for dim in incidents["dimensions"]}
    assert {"category", "admin1", "admin2", "admin3", "month"} <= set(dimensions)
    assert dimensions["admin1"]["hxl"] == "#adm1+code"
    assert dimensions["category"]["codes"]["life"]
    assert "category" in incidents["filters"]
    assert incidents["url"].endswith("/api/v1/stats/incidents/")


def test_the_catalogue_says_when_figures_are_exact(api, imo):
    assert _ok(api(imo).get(URL))["exact"] is True


# --- Every dataset, every dimension --------------------------------------------------------------


def test_every_dataset_answers_for_each_dimension_and_measure(api, imo, figures):
    client = api(imo)
    for dataset in datasets.all_datasets():
        measures = ",".join(dataset.measures)
        total = _ok(client.get(f"{URL}{dataset.name}/", {"measure": measures}))
        assert set(total["total"]) == set(dataset.measures)
        for dimension in dataset.all_dimensions():
            data = _ok(client.get(f"{URL}{dataset.name}/", {"group_by": dimension, "measure": measures}))
            for row in data["rows"]:
                assert set(row) == {
                    dimension,
                    f"{dimension}_label",
                    *dataset.measures,
                    "suppressed",
                    "perturbed",
                }
            # Rows add up to the total, whatever the dimension (except multi-valued ones like categories).
            if dimension != "category":
                for measure in dataset.measures:
                    assert sum(row[measure] for row in data["rows"]) == total["total"][measure], (
                        dataset.name,
                        dimension,
                        measure,
                    )


def test_hand_counted_figures_for_the_analyst(api, imo, figures):
    data = _ok(api(imo).get(f"{URL}incidents/", {"group_by": "admin1,category"}))
    assert data["exact"] is True
    cells = {(row["admin1"], row["category"]): (row["count"], row["suppressed"]) for row in data["rows"]}
    # Exact, flagged where a reader reads "<5" (no complementary cells any more).
    assert cells == {
        ("ML05", "life"): (7, False),
        ("ML04", "life"): (2, True),
        ("ML04", "property"): (6, False),
    }
    assert data["disclosure"]["exact"] is True and "*" in data["disclosure"]["note"]
    labels = {row["admin1"]: row["admin1_label"] for row in data["rows"]}
    assert labels == {"ML05": "Mopti", "ML04": "Ségou"}
    assert data["total"] == {"count": 15}
    by_region = _ok(api(imo).get(f"{URL}incidents/", {"group_by": "admin1"}))
    assert {row["admin1"]: row["count"] for row in by_region["rows"]} == {"ML05": 7, "ML04": 8}


def test_filters_narrow_the_figures(api, imo, figures):
    client = api(imo)
    assert _ok(client.get(f"{URL}incidents/", {"area": "ML04"}))["total"] == {"count": 8}
    assert _ok(client.get(f"{URL}incidents/", {"organisation": "alpha"}))["total"] == {"count": 7}
    assert _ok(client.get(f"{URL}incidents/", {"category": "property,life", "area": "ML04"}))["total"] == {
        "count": 8
    }
    assert _ok(client.get(f"{URL}incidents/", {"category": "property"}))["total"] == {"count": 6}
    assert _ok(client.get(f"{URL}incidents/", {"date_to": "2000-01-01"}))["total"] == {"count": 0}
    both = _ok(client.get(f"{URL}incidents/?area=ML04&area=ML05"))
    assert both["total"] == {"count": 15} and both["filters"]["area"] == ["ML04", "ML05"]


# --- Disclosure control for readers ------------------------------------------------------------


def test_a_reader_never_sees_a_cell_under_the_threshold_in_json(api, reader, figures):
    client = api(reader)
    data = _ok(client.get(f"{URL}incidents/", {"group_by": "admin1,category"}))
    assert data["exact"] is False
    values = {(row["admin1"], row["category"]): row["count"] for row in data["rows"]}
    assert values[("ML04", "life")] == "<5"
    # No complementary suppression: the cells of 5 or more are shown, within 2 of the exact count.
    assert abs(values[("ML05", "life")] - 7) <= 2 and abs(values[("ML04", "property")] - 6) <= 2
    assert all(
        "suppressed" not in row and "perturbed" not in row and "_key" not in row for row in data["rows"]
    )
    for row in data["rows"]:
        assert not (isinstance(row["count"], int) and 0 < row["count"] < 5)
    # The total is a cell of its own, always shown.
    assert abs(data["total"]["count"] - 15) <= 2
    assert data["disclosure"]["method"] == "cell_key" and data["disclosure"]["max_perturbation"] == 2
    assert data["disclosure"]["note"]
    by_region = _ok(client.get(f"{URL}incidents/", {"group_by": "admin1"}))
    regions = {row["admin1"]: row["count"] for row in by_region["rows"]}
    assert abs(regions["ML05"] - 7) <= 2 and abs(regions["ML04"] - 8) <= 2
    # The same records read the same in every table: Mopti's incidents are all "life".
    assert regions["ML05"] == values[("ML05", "life")]
    # A filter that isolates a small count: the total itself reads "<5".
    small = _ok(client.get(f"{URL}incidents/", {"area": "ML04", "category": "life"}))
    assert small["total"] == {"count": "<5"} and small["rows"] == [{"count": "<5"}]


@pytest.mark.parametrize("fmt", ["csv", "hxl"])
def test_a_reader_never_sees_a_cell_under_the_threshold_in_csv_and_hxl(api, reader, figures, fmt):
    response = api(reader).get(f"{URL}incidents/", {"group_by": "admin1,category", "format": fmt})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["X-Sentinelle-Disclosure"] == "cell-key; small=<5; max-perturbation=2"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["admin1", "admin1_label", "category", "category_label", "count"]
    body = rows[2:] if fmt == "hxl" else rows[1:]
    counts = [row[4] for row in body]
    assert len(counts) == 3
    for value in counts:
        assert value == "<5" or int(value) >= 5 or int(value) == 0
    assert "<5" in counts


def test_hxl_answers_are_valid_hxl(api, reader, imo, figures):
    for user in (reader, imo):
        response = api(user).get(f"{URL}incidents/", {"group_by": "admin1,category", "format": "hxl"})
        source = hxl.data(io.BytesIO(response.content))
        tags = [column.display_tag for column in source.columns]
        assert tags[:5] == [
            "#adm1+code",
            "#adm1+name",
            "#indicator+category",
            "#indicator+name",
            "#event+num",
        ]
        rows = [row.values for row in source]
        assert len(rows) == 3
        assert {row[0] for row in rows} == {"ML05", "ML04"}
    analyst = hxl.data(io.BytesIO(api(imo).get(f"{URL}incidents/?group_by=admin1&format=hxl").content))
    assert [c.display_tag for c in analyst.columns] == [
        "#adm1+code",
        "#adm1+name",
        "#event+num",
        "#meta+suppressed",
        "#meta+perturbed",
    ]
    assert sorted(row.get("#event+num") for row in analyst) == ["7", "8"]


def test_every_dataset_has_valid_hxl_tags(api, imo):
    client = api(imo)
    for dataset in datasets.all_datasets():
        group_by = ",".join(list(dataset.all_dimensions())[:3])
        response = client.get(
            f"{URL}{dataset.name}/",
            {"group_by": group_by, "measure": ",".join(dataset.measures), "format": "hxl"},
        )
        assert response.status_code == 200, (dataset.name, response.content)
        source = hxl.data(io.BytesIO(response.content))
        assert all(column.tag for column in source.columns), dataset.name


def test_a_reader_groups_by_at_most_two_dimensions(api, reader, imo, figures):
    params = {"group_by": "admin1,category,month"}
    response = api(reader).get(f"{URL}incidents/", params, **EN)
    assert response.status_code == 400
    assert "at most 2 dimensions" in response.json()["detail"]
    assert api(imo).get(f"{URL}incidents/", params).status_code == 200


def test_gbv_figures_stop_at_the_protocols_level_for_non_analysts(
    api, reader, imo, caseworker_in_area, mopti
):
    cercle = cercle_of(mopti)
    for _ in range(6):  # GBVIMS records: a GBV service provider's case worker records survivor details
        make_incident(
            actor=caseworker_in_area, area=cercle, status="submitted", data=gbv_incident_input(cercle)
        )
    client = api(reader)
    [row] = _ok(client.get(f"{URL}gbv_incidents/", {"group_by": "admin1"}))["rows"]
    assert (row["admin1"], row["admin1_label"]) == ("ML05", "Mopti") and abs(row["count"] - 6) <= 2
    for level in ("admin2", "admin3"):
        response = client.get(f"{URL}gbv_incidents/", {"group_by": level}, **EN)
        assert response.status_code == 400
        assert "GBV figures are not broken down below admin level 1" in response.json()["detail"]
    response = client.get(f"{URL}gbv_incidents/", {"area": cercle.pcode}, **EN)
    assert response.status_code == 400
    # Analysts see the cercles.
    [row] = _ok(api(imo).get(f"{URL}gbv_incidents/", {"group_by": "admin2"}))["rows"]
    assert (row["admin2"], row["count"], row["suppressed"]) == (cercle.pcode, 6, False)


def test_gbv_level_follows_the_setting(api, reader, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "GBV_MIN_ADMIN_LEVEL": 2}
    assert api(reader).get(f"{URL}gbv_incidents/", {"group_by": "admin2"}).status_code == 200
    assert api(reader).get(f"{URL}gbv_incidents/", {"group_by": "admin3"}).status_code == 400


def test_the_threshold_follows_the_setting(api, reader, figures, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "DISCLOSURE_THRESHOLD": 10}
    data = _ok(api(reader).get(f"{URL}incidents/", {"group_by": "admin1"}))
    assert data["threshold"] == 10
    assert {row["admin1"]: row["count"] for row in data["rows"]} == {"ML05": "<10", "ML04": "<10"}


# --- Bad requests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("nope/", {}, "Unknown dataset: nope."),
        ("incidents/", {"measure": "weight"}, "Unknown measure for incidents: weight."),
        ("incidents/", {"group_by": "colour"}, "Unknown dimension for incidents: colour."),
        ("incidents/", {"colour": "red"}, "Unknown filter for incidents: colour."),
        ("incidents/", {"date_from": "01/02/2026"}, "Invalid date for date_from"),
        ("incidents/", {"area": "ML99"}, "Unknown area: ML99."),
        ("incidents/", {"organisation": "NOPE"}, "Unknown organisation: NOPE."),
        ("incidents/", {"format": "csv", "group_by": "colour"}, "Unknown dimension"),
    ],
)
def test_bad_requests_say_what_is_wrong(api, reader, mopti, path, params, message):
    response = api(reader).get(f"{URL}{path}", params, **EN)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert message in response.json()["detail"]


def test_error_messages_are_in_french_by_default(api, reader):
    from django.utils import translation

    response = api(reader).get(f"{URL}incidents/", {"group_by": "colour"})
    with translation.override("fr"):
        expected = translation.gettext("Unknown dimension for %(dataset)s: %(name)s.") % {
            "dataset": "incidents",
            "name": "colour",
        }
    assert response.json()["detail"] == expected


def test_anonymous_and_unknown_tokens_get_401(client):
    for url in (URL, f"{URL}incidents/", f"{URL}incidents/?format=csv"):
        response = client.get(url)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_area_levels_are_the_automatic_dimensions():
    assert set(AREA_LEVELS) == {"admin1", "admin2", "admin3"}


def test_sums_are_protected_too_for_every_dataset_a_reader_asks(api, reader, imo, alpha, beta, mopti, segou):
    from sentinelle.activities.tests.factories_results import make_activity

    make_activity(alpha, cercle_of(mopti), beneficiaries=[("f", "0_5", "idp", 3)])
    make_activity(beta, cercle_of(segou), beneficiaries=[("f", "18_59", "idp", 40), ("m", "18_59", "idp", 9)])
    exact = _ok(api(imo).get(f"{URL}activities/", {"group_by": "admin1,sex"}))
    client = api(reader)
    for dataset in datasets.all_datasets():
        for dimension in dataset.all_dimensions():
            if dataset.name.startswith("gbv") and dimension in ("admin2", "admin3"):
                continue
            data = _ok(
                client.get(
                    f"{URL}{dataset.name}/", {"group_by": dimension, "measure": ",".join(dataset.measures)}
                )
            )
            for row in [*data["rows"], data["total"]]:
                for measure in dataset.measures:
                    value = row[measure]
                    assert value == "<5" or value == 0 or value >= 5, (dataset.name, dimension, row)
    assert {(row["admin1"], row["sex"]): row["people_reached"] for row in exact["rows"]} == {
        ("ML05", "f"): 3,
        ("ML04", "f"): 40,
        ("ML04", "m"): 9,
    }
    protected = _ok(client.get(f"{URL}activities/", {"group_by": "admin1,sex"}))
    cells = {(row["admin1"], row["sex"]): row["people_reached"] for row in protected["rows"]}
    assert cells[("ML05", "f")] == "<5"
    assert all(value == "<5" or value >= 5 for value in cells.values())


@pytest.mark.parametrize(
    ("params", "outcome"),
    [
        ({"group_by": "admin2,category"}, "withheld"),  # GBV rows per cercle: left out, not refused
        ({"group_by": "admin3", "category": "gbv"}, "refused"),
        ({"group_by": "category", "area": "ML0501"}, "withheld"),
        ({"group_by": "admin2"}, "withheld"),
        ({"group_by": "admin2", "category": "life"}, "withheld"),
        ({"group_by": "admin1,category"}, "all"),
    ],
)
def test_gbv_rows_of_other_datasets_stop_at_the_protocols_level(api, reader, imo, figures, params, outcome):
    for name in ("incidents", "victims"):
        response = api(reader).get(f"{URL}{name}/", params, **EN)
        assert response.status_code == (400 if outcome == "refused" else 200), (name, response.content)
        if outcome == "refused":
            assert "GBV figures" in response.json()["detail"]
        else:
            data = response.json()
            assert data["gbv_withheld"] is (outcome == "withheld")
            assert bool(data["notes"]) is (outcome == "withheld")
            assert all(row.get("category") != "gbv" for row in data["rows"]) or outcome == "all"
        exact = api(imo).get(f"{URL}{name}/", params)
        assert exact.status_code == 200 and exact.json()["gbv_withheld"] is False


def test_gbv_cases_and_referrals_stop_at_the_protocols_level(api, reader):
    for name in ("cases", "referrals"):
        assert api(reader).get(f"{URL}{name}/", {"group_by": "admin2", "case_type": "gbv"}).status_code == 400
        by_type = _ok(api(reader).get(f"{URL}{name}/", {"group_by": "admin2,case_type"}))
        assert by_type["gbv_withheld"] is True
        assert api(reader).get(f"{URL}{name}/", {"group_by": "admin2", "case_type": "ipa"}).status_code == 200


# --- Children and adults without finer age group (issue 14, point 1) ----------------------------------


def test_the_catalogue_lists_the_age_band_of_victims(api, reader):
    data = _ok(api(reader).get(URL))
    victims = next(entry for entry in data["datasets"] if entry["name"] == "victims")
    dimensions = {dim["name"]: dim for dim in victims["dimensions"]}

    assert set(dimensions["age_band"]["codes"]) == {"children", "adults", "unknown"}
    assert dimensions["age_band"]["hxl"] == "#age+band"
    assert {"0_17", "18_plus"} <= set(dimensions["age_group"]["codes"])
    assert "age_band" in victims["filters"]


def test_children_killed_compare_across_fine_and_coarse_sources(api, imo, monitor, mopti):
    cercle = cercle_of(mopti)
    make_incident(actor=monitor, area=cercle, status="submitted", victims=[victim("killed", "f", "6_11", 7)])
    make_incident(actor=monitor, area=cercle, status="submitted", victims=[victim("killed", "m", "0_17", 9)])

    data = _ok(api(imo).get(f"{URL}victims/", {"group_by": "age_band", "outcome": "killed"}, **EN))

    assert [(row["age_band"], row["age_band_label"], row["count"]) for row in data["rows"]] == [
        ("children", "Children (0-17 years)", 16)
    ]
