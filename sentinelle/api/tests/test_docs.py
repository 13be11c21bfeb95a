"""The API documentation in the reader's language (issue 15, item 13): every operation is described by a
translatable text, served in French in the French interface and in English in the English one, and the
statistics' table of datasets is a table on the page, not one long line."""

import pytest
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator

from sentinelle.api.views import resources, stats

pytestmark = pytest.mark.django_db

DESCRIBED = [
    resources.IncidentViewSet,
    resources.ServiceViewSet,
    resources.CaseViewSet,
    resources.PersonViewSet,
    resources.ReferralViewSet,
    resources.ReceivedReferralViewSet,
    resources.PopulationFigureViewSet,
    resources.DisplacementEventViewSet,
    resources.ActivityViewSet,
    resources.IndicatorViewSet,
    resources.ApiRootView,
    stats.StatsCatalogueView,
]


def _descriptions(language: str) -> dict[str, str]:
    with translation.override(language):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    return {op["operationId"]: op["description"] for item in schema["paths"].values() for op in item.values()}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_operation_is_described_in_the_active_language(language):
    descriptions = _descriptions(language)
    with translation.override(language):
        expected = {str(view.api_description) for view in DESCRIBED}
    assert expected <= set(descriptions.values())
    assert descriptions["incidents_list"] == descriptions["incidents_retrieve"]


def test_the_docs_page_follows_the_interface_language(client):
    with translation.override("fr"):
        french = str(resources.IncidentViewSet.api_description)
    page = client.get("/api/v1/docs/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert french.replace("'", "&#x27;") in page
    english = client.get("/api/v1/docs/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.headers["Content-Language"] == "en"
    assert "Protection incidents the user may see" in english.content.decode()


def test_the_statistics_datasets_are_a_table(client):
    page = client.get("/api/v1/docs/").content.decode()
    assert '<table class="table small api-table">' in page
    assert "| `incidents`" not in page
    assert "Authorization: Token &lt;" in page  # the placeholder is text, not a tag
