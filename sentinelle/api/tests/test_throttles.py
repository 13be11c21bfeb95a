"""The API's throttles: per user with a token, per client without one, and refused tokens per client;
429 with Retry-After and a French message, each refusal audited once."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation
from rest_framework.test import APIClient

from sentinelle.api import authentication
from sentinelle.api.tokens import api_token_create
from sentinelle.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/v1/incidents/"
SCHEMA = "/api/v1/schema/?format=json"


@pytest.fixture(autouse=True)
def rates(settings):
    settings.SENTINELLE = {
        **settings.SENTINELLE,
        "THROTTLES": {
            **settings.SENTINELLE["THROTTLES"],
            "api.user": "3/1m",
            "api.client": "2/1m",
            "api.auth_failure": "3/15m",
        },
    }


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _client(secret: str | None, address: str = "10.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    if secret:
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def _refusals(door: str):
    return AuditEntry.objects.filter(action=AuditAction.DENIED, object_type="throttle", object_id=door)


def _expected_message(seconds: int, language: str) -> str:
    with translation.override(language):
        return translation.gettext("Too many requests. Wait %(seconds)s seconds, then try again.") % {
            "seconds": seconds
        }


def test_calls_are_throttled_per_user_across_tokens_and_addresses(monitor, reader, frozen):
    _token, first = api_token_create(actor=monitor, label="a")
    _token, second = api_token_create(actor=monitor, label="b")
    assert _client(first, "10.0.0.1").get(INCIDENTS).status_code == 200
    assert _client(second, "10.0.0.2").get(INCIDENTS).status_code == 200
    assert _client(first, "10.0.0.3").get(INCIDENTS).status_code == 200
    response = _client(second, "10.0.0.4").get(INCIDENTS)
    assert response.status_code == 429
    assert response["Retry-After"] == "20"  # 3 calls a minute: one every 20 s
    assert response.json() == {"detail": _expected_message(20, "fr")}
    english = _client(second).get(INCIDENTS, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 429 and english.json()["detail"] == _expected_message(20, "en")
    entries = _refusals("api.user")
    assert entries.count() == 2
    assert {entry.user for entry in entries} == {monitor}
    assert all(entry.detail["channel"] == "api" and first not in str(entry.detail) for entry in entries)
    # Another user is not affected.
    _token, other = api_token_create(actor=reader, label="c")
    assert _client(other, "10.0.0.4").get(INCIDENTS).status_code != 429


def test_time_passing_allows_calls_again(monitor, frozen):
    _token, secret = api_token_create(actor=monitor, label="a")
    client = _client(secret)
    for _ in range(3):
        assert client.get(INCIDENTS).status_code == 200
    assert client.get(INCIDENTS).status_code == 429
    frozen.shift(timedelta(seconds=19))
    assert client.get(INCIDENTS).status_code == 429
    frozen.shift(timedelta(seconds=1))
    assert client.get(INCIDENTS).status_code == 200


def test_anonymous_calls_are_throttled_per_client(frozen):
    for _ in range(2):
        assert _client(None, "41.0.0.1").get(SCHEMA).status_code == 200
    refused = _client(None, "41.0.0.1").get(SCHEMA)
    assert refused.status_code == 429 and refused["Retry-After"] == "30"
    assert json.loads(refused.content)["detail"] == _expected_message(30, "fr")
    assert _refusals("api.client").get().user is None
    assert _client(None, "41.0.0.2").get(SCHEMA).status_code == 200


def test_refused_tokens_are_counted_per_client_then_the_client_gets_429(monitor, frozen, monkeypatch):
    _token, valid = api_token_create(actor=monitor, label="a")
    for bad in ("stl_" + "x" * 36, "stl_" + "y" * 36, "not-even-a-token"):
        assert _client(bad, "10.6.6.6").get(INCIDENTS).status_code == 401
    lookups = []
    real = authentication.api_token_authenticate
    monkeypatch.setattr(
        authentication, "api_token_authenticate", lambda *a, **k: lookups.append(1) or real(*a, **k)
    )
    # The client's bucket is empty: refused before any token is looked up, even a valid one.
    for secret in ("stl_" + "z" * 36, valid):
        response = _client(secret, "10.6.6.6").get(INCIDENTS)
        assert response.status_code == 429 and response["Retry-After"] == "300"
    assert lookups == []
    assert _refusals("api.auth_failure").count() == 2
    # Other clients, and valid calls, never counted there.
    assert _client(valid, "10.0.0.7").get(INCIDENTS).status_code == 200
    frozen.shift(timedelta(minutes=5))
    assert _client(valid, "10.6.6.6").get(INCIDENTS).status_code == 200


def test_valid_tokens_do_not_count_as_failures(monitor, settings, frozen):
    settings.SENTINELLE["THROTTLES"]["api.user"] = "100/1m"
    _token, valid = api_token_create(actor=monitor, label="a")
    for _ in range(10):
        assert _client(valid, "10.6.6.6").get(INCIDENTS).status_code == 200
    assert _client("stl_" + "x" * 36, "10.6.6.6").get(INCIDENTS).status_code == 401
