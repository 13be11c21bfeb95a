"""Error pages as production serves them (DEBUG off): the site's layout, in French, naming nothing."""

import uuid

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


def test_a_missing_page_answers_404_in_french(production, client):
    response = client.get("/cette-page-n-existe-pas/")

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="fr">' in page
    assert "Introuvable" in page and "Cette page n'existe pas, ou elle ne vous est pas accessible." in page
    assert "Not found" not in page and "Page not found" not in page


def test_a_record_out_of_reach_answers_the_same_french_404(production, signed_in, manager):
    response = signed_in(manager).get(reverse("displacement:figure-edit", args=[uuid.uuid4()]))

    assert response.status_code == 404
    page = response.content.decode()
    assert "Introuvable" in page and "Retour à l'accueil" in page
    assert "Not found" not in page


def test_the_api_answers_404_in_json(production, client):
    response = client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_the_404_page_follows_the_browser_language_only_when_asked(production, client):
    """French first: a browser asking for English gets English, anything else French."""
    english = client.get("/nulle-part/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    other = client.get("/nulle-part/", HTTP_ACCEPT_LANGUAGE="de-DE").content.decode()

    assert "Not found" in english
    assert "Introuvable" in other
