# ruff: noqa: F811 (the gbv_world fixture is imported, then used as an argument)
"""The GBV floor in /api/v1/stats/ (design §6): below the region, no dataset counts a GBV record for a
reader (the answer says so), a question about GBV records only answers 400; the region and the analysts
keep their figures. The world: core/tests/gbv_world.py."""

import pytest

from sentinelle.core import datasets
from sentinelle.core.datasets import AREA_LEVELS
from sentinelle.core.tests.gbv_world import GBV, add_gbv, gbv_world  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    """The walks below ask hundreds of questions in a minute on purpose (rate limits have their tests)."""
    throttles = {
        **settings.SENTINELLE.get("THROTTLES", {}),
        "api.user": "100000/1m",
        "api.client": "100000/1m",
    }
    settings.SENTINELLE = {**settings.SENTINELLE, "THROTTLES": throttles}


def _ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def _questions(dataset) -> list[tuple[dict, bool]]:
    """(parameters, refused) below the region: by area, by each dimension in a commune, with GBV codes."""
    questions = []
    for area in ("ML050101", "ML0501"):
        questions.append(({"area": area}, dataset.gbv))
        for dimension in dataset.all_dimensions():
            questions.append(({"area": area, "group_by": dimension}, dataset.gbv))
    for dimension in ("admin2", "admin3"):
        questions.append(({"group_by": dimension}, dataset.gbv))
    for name, codes in dataset.gbv_codes.items():
        gbv_only = ",".join(sorted(codes))
        questions.append(({"area": "ML050101", name: gbv_only}, True))
        questions.append(({"group_by": "admin3", name: gbv_only}, True))
        # Several codes at once are for analysts only (core/disclosure.py): a reader asks one at a time.
        other = next(str(code) for code in dataset.all_dimensions()[name].choices if code not in codes)
        questions.append(({"area": "ML050101", name: other}, dataset.gbv))
    return questions


def test_no_dataset_counts_a_gbv_record_below_the_region_for_a_reader(gbv_world, api, reader):
    """Every dataset, every dimension, in a commune and a cercle, with and without GBV codes: as many GBV
    records again change no answer (no difference of answers gives a GBV count); GBV-only questions are
    refused, with the reason, never answered 0."""
    client = api(reader)
    questions = [
        (dataset, params, refused)
        for dataset in datasets.all_datasets()
        if dataset.area_field
        for params, refused in _questions(dataset)
    ]

    def answers():
        out = {}
        for dataset, params, refused in questions:
            measures = ",".join(dataset.measures)
            response = client.get(f"{URL}{dataset.name}/", {**params, "measure": measures}, **EN)
            key = (dataset.name, tuple(sorted(params.items())))
            if refused:
                assert response.status_code == 400, key
                assert "GBV figures are not broken down below admin level 1" in response.json()["detail"]
                out[key] = response.status_code
                continue
            data = _ok(response)
            assert data["gbv_withheld"] is datasets.has_gbv(dataset), key
            assert bool(data["notes"]) is datasets.has_gbv(dataset), key
            out[key] = (data["rows"], data["total"])
        return out

    before = answers()
    add_gbv(gbv_world)
    after = answers()
    for key, answer in before.items():
        assert after[key] == answer, key


def _exact(name, params) -> dict:
    """The exact figures behind a reader's answer (the same sets, before the perturbation)."""
    from django.http import QueryDict

    from sentinelle.api import stats

    query = QueryDict(mutable=True)
    query.update(params)
    parsed = stats.parse_query(name, query, exact=False)
    rows = datasets.aggregate(
        name, measures=parsed.measures, group_by=parsed.group_by, filters=parsed.filters
    )
    return {tuple(row[dim] for dim in parsed.group_by): row[parsed.measures[0]] for row in rows}


def test_the_difference_attack_on_a_commune_gives_nothing(gbv_world, api, reader):
    client = api(reader)
    cases = _ok(client.get(f"{URL}cases/", {"area": "ML050101", "group_by": "case_type"}))
    by_type = {row["case_type"]: row["count"] for row in cases["rows"]}
    assert "gbv" not in by_type and cases["gbv_withheld"] is True and cases["notes"]
    # The sets a reader's figures are made of hold no GBV record: the exact total minus the other types
    # is 0 (the published figures are those sets' perturbed counts).
    exact = _exact("cases", {"area": "ML050101", "group_by": "case_type"})
    total = sum(exact.values())
    assert total - exact[("child_protection",)] - exact[("general_protection",)] == 0 != GBV
    incidents = sum(_exact("incidents", {"area": "ML050101"}).values())
    life = sum(_exact("incidents", {"area": "ML050101", "category": "life"}).values())
    other = sum(
        sum(_exact("incidents", {"area": "ML050101", "category": code}).values())
        for code in ("property", "child_rights")
    )
    # 17 = 8 life (with the killing) + 9 property + 1 child rights - the killing counted twice: no GBV in it.
    assert incidents - life - other + 1 == 0
    refused = client.get(f"{URL}cases/", {"area": "ML050101", "case_type": "gbv", "format": "csv"})
    assert refused.status_code == 400 and refused["Content-Type"].startswith("application/json")
    withheld = client.get(f"{URL}cases/", {"area": "ML050101", "format": "csv"})
    assert withheld.status_code == 200 and withheld["X-Sentinelle-GBV-Withheld"] == "true"


def test_the_region_still_answers_gbv_figures_to_readers(gbv_world, api, reader):
    client = api(reader)
    gbv = _ok(client.get(f"{URL}gbv_incidents/", {"area": "ML05"}))
    assert abs(gbv["total"]["count"] - GBV) <= 2 and gbv["gbv_withheld"] is False and gbv["notes"] == []
    cases = _ok(client.get(f"{URL}cases/", {"group_by": "admin1,case_type"}))
    assert abs({(r["admin1"], r["case_type"]): r["count"] for r in cases["rows"]}[("ML05", "gbv")] - GBV) <= 2
    assert cases["gbv_withheld"] is False
    catalogue = {entry["name"]: entry for entry in _ok(client.get(URL))["datasets"]}
    assert catalogue["gbv_incidents"]["gbv"] is True and catalogue["cases"]["gbv_records"] is True
    assert catalogue["population"]["gbv_records"] is False


def test_analysts_keep_their_exact_figures_below_the_region(gbv_world, api, imo):
    client = api(imo)
    gbv = _ok(client.get(f"{URL}gbv_incidents/", {"area": "ML050101"}))
    assert gbv["total"] == {"count": GBV} and gbv["gbv_withheld"] is False
    cases = _ok(client.get(f"{URL}cases/", {"group_by": "admin3,case_type"}))
    assert {(r["admin3"], r["case_type"]): r["count"] for r in cases["rows"]}[("ML050101", "gbv")] == GBV
    assert cases["gbv_withheld"] is False and cases["notes"] == []
    for level in AREA_LEVELS:
        assert client.get(f"{URL}referrals/", {"group_by": level, "case_type": "gbv"}).status_code == 200
