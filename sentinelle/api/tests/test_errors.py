"""Hostile requests get a clear 4xx in JSON, never a server error (tested with DEBUG off)."""

import pytest
from django.test import Client

from sentinelle.api.tokens import api_token_create


@pytest.fixture
def token_client(reader):
    _token, secret = api_token_create(actor=reader, label="errors")
    return Client(HTTP_AUTHORIZATION=f"Token {secret}", raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_thousands_of_repeated_parameters_answer_400_in_json(token_client, settings, debug):
    settings.DEBUG = debug
    query = "&".join("a=b" for _index in range(5000))
    response = token_client.get(f"/api/v1/incidents/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


@pytest.mark.django_db
def test_a_page_with_thousands_of_parameters_answers_400_in_french(signed_in, reader, settings):
    settings.DEBUG = False
    query = "&".join("a=b" for _index in range(5000))
    response = signed_in(reader).get(f"/surveillance/incidents/?{query}")
    assert response.status_code == 400
    assert "Requête incomprise" in response.content.decode()


@pytest.mark.django_db
def test_thousands_of_form_fields_answer_4xx_in_json(token_client, settings):
    settings.DEBUG = False
    body = "&".join(f"f{index}=x" for index in range(5000))
    response = token_client.post(
        "/api/v1/incidents/", data=body, content_type="application/x-www-form-urlencoded"
    )
    # A reader may not write: refused before the body is read; never a server error.
    assert response.status_code in (400, 403)
    assert response["Content-Type"].startswith("application/json")
