"""The idle timeout (core/sessions.py): an active user stays signed in with at most one session write a
minute; an idle one is signed out after the timeout; a page seen within the minute writes nothing."""

import datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOME = "/"


def session_writes(queries) -> list[str]:
    return [q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]


def expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_page_within_the_minute_writes_no_session(signed_in, caseworker_in_area):
    with time_machine.travel(datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        client = signed_in(caseworker_in_area)
        assert client.get(HOME).status_code == 200
        before = expiry(client)
        clock.shift(30)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(HOME).status_code == 200
        assert session_writes(queries) == []
        assert expiry(client) == before


def test_an_active_user_stays_signed_in_past_the_timeout(signed_in, caseworker_in_area, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    with time_machine.travel(datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        client = signed_in(caseworker_in_area)
        client.get(HOME)
        first = expiry(client)
        for _ in range(5):  # a page every 20 minutes for 100 minutes
            clock.shift(20 * 60)
            response = client.get(HOME)
            assert response.status_code == 200
        assert expiry(client) == first + datetime.timedelta(minutes=100)
        clock.shift(61)
        with CaptureQueriesContext(connection) as queries:
            client.get(HOME)
        assert len(session_writes(queries)) == 1  # the expiry moved once


def test_an_idle_user_is_signed_out_after_the_timeout(signed_in, caseworker_in_area, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    with time_machine.travel(datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        client = signed_in(caseworker_in_area)
        assert client.get(HOME).status_code == 200
        clock.shift(30 * 60 + 1)
        response = client.get(HOME)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_a_stale_cookie_creates_no_session(client):
    client.cookies["sessionid"] = "no-such-session-key-000000000000"
    client.get(reverse("accounts:login"))
    assert not Session.objects.exists()
