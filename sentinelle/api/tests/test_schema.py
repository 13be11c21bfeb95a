"""The OpenAPI 3 schema validates and lists every dataset; the documentation page reads it (no JS, no CDN)."""

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from sentinelle.core import datasets
from sentinelle.core.permissions import ACCESS_ATTRIBUTE, PUBLIC, Perm

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    validate_schema(yaml.safe_load(target.read_text()))


def test_the_schema_describes_every_resource_and_the_token(schema):
    paths = set(schema["paths"])
    for path in (
        "/api/v1/incidents/",
        "/api/v1/incidents/{public_id}/",
        "/api/v1/services/",
        "/api/v1/cases/",
        "/api/v1/persons/",
        "/api/v1/referrals/",
        "/api/v1/referrals/received/",
        "/api/v1/population-figures/",
        "/api/v1/displacement-events/",
        "/api/v1/activities/",
        "/api/v1/indicators/{public_id}/",
        "/api/v1/stats/",
        "/api/v1/stats/{dataset}/",
    ):
        assert path in paths, path
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    incident_params = {p["name"] for p in schema["paths"]["/api/v1/incidents/"]["get"]["parameters"]}
    assert {
        "area",
        "date_from",
        "date_to",
        "category",
        "organisation",
        "page",
        "page_size",
    } <= incident_params


def test_the_schema_lists_each_datasets_dimensions_and_filters(schema):
    operation = schema["paths"]["/api/v1/stats/{dataset}/"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["dataset"]["schema"]["enum"] == [d.name for d in datasets.all_datasets()]
    for dataset in datasets.all_datasets():
        row = next(
            line for line in operation["description"].splitlines() if line.startswith(f"| `{dataset.name}`")
        )
        for dimension in dataset.all_dimensions():
            assert dimension in row
            assert dimension in params["group_by"]["description"]
        for name in dataset.filters:
            assert name in params, name
            assert name in row
    assert set(params["format"]["schema"]["enum"]) == {"json", "csv", "hxl"}


def test_schema_and_docs_are_public_and_readable(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")
    assert client.get("/api/v1/schema/?format=json").json()["info"]["title"] == "Sentinelle API"
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "/api/v1/stats/{dataset}/" in text and "/api/v1/incidents/" in text
    assert "cdn" not in text.lower()


def test_every_api_route_declares_its_access():
    from django.urls import URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            else:
                yield prefix + str(entry.pattern), entry

    routes = {
        route: pattern for route, pattern in walk(get_resolver().url_patterns) if route.startswith("api/")
    }
    assert len(routes) >= 18
    for route, pattern in routes.items():
        access = getattr(pattern.callback, ACCESS_ATTRIBUTE, None)
        assert access is not None, route
        if route in ("api/v1/schema/", "api/v1/docs/"):
            assert access == PUBLIC
        else:
            assert access in set(Perm), route


def test_the_root_lists_the_resources(reader):
    from rest_framework.test import APIClient

    from sentinelle.api.tokens import api_token_create

    _token, secret = api_token_create(actor=reader, label="x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    data = client.get("/api/v1/").json()
    assert data["incidents"].endswith("/api/v1/incidents/")
    assert data["stats"].endswith("/api/v1/stats/")
    assert client.get(data["stats"]).status_code == 200


def test_an_unknown_api_path_answers_json_not_the_html_page(client, settings):
    from django.utils import translation

    settings.DEBUG = False
    with translation.override("en"):
        response = client.get("/api/v1/nothing-here/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
