"""The app's pages and its JSON API over HTTP, as the offline app calls them."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sentinelle.accounts.models import DeviceCredential, DeviceKind
from sentinelle.cases.models import FollowUp
from sentinelle.offline.tests.factories import change

pytestmark = pytest.mark.django_db


def test_the_app_shell_opens_for_case_workers_with_its_urls_and_settings(signed_in, worker):
    response = signed_in(worker).get(reverse("offline:app"))

    assert response.status_code == 200
    context = response.context
    assert context["api"] == {
        "enrol": "/hors-ligne/api/appareil/",
        "status": "/hors-ligne/api/etat/",
        "caseload": "/hors-ligne/api/dossiers/",
        "sync": "/hors-ligne/api/sync/",
        "rules": "/hors-ligne/regles.json",
    }
    assert context["sw_url"] == "/hors-ligne/sw.js"
    assert context["manifest_url"] == "/hors-ligne/manifest.webmanifest"
    assert context["offline_days"] == 7 and context["pin_min_length"] == 6
    assert context["user_label"] == worker.display_name
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_app_is_for_case_workers_only(signed_in, monitor, client):
    assert signed_in(monitor).get(reverse("offline:app")).status_code == 403
    anonymous = Client().get(reverse("offline:app"))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))


def test_the_offline_days_come_from_the_settings(signed_in, worker, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "OFFLINE_DAYS": 3}

    assert signed_in(worker).get(reverse("offline:app")).context["offline_days"] == 3


def test_the_service_worker_is_served_from_the_apps_scope(client):
    response = client.get(reverse("offline:sw"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/hors-ligne/"
    assert response["Cache-Control"] == "no-cache"
    assert response.content


def test_the_web_manifest_describes_the_installable_app(client):
    response = client.get(reverse("offline:manifest"))

    assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Sentinelle hors ligne" and manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == "/hors-ligne/"
    assert all(icon["src"].startswith("/static/offline/") for icon in manifest["icons"])


def test_enrolment_needs_the_csrf_token_the_status_gives(worker, tablet):
    from conftest import sign_in

    client = sign_in(Client(enforce_csrf_checks=True), worker)
    url = reverse("offline:enrol")

    refused = client.post(url, {"label": "Tablette"}, content_type="application/json")
    token = client.get(reverse("offline:status"), {"device": ""}).json()["csrf"]
    response = client.post(
        url, {"label": "Tablette 2"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )

    assert refused.status_code == 403
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    answer = response.json()
    assert set(answer) == {"device_id", "device_secret", "offline_days"} and answer["offline_days"] == 7
    device = DeviceCredential.objects.get(public_id=answer["device_id"])
    assert device.kind == DeviceKind.OFFLINE and device.label == "Tablette 2" and device.user == worker


def test_a_monitor_cannot_enrol_a_device(signed_in, monitor):
    response = signed_in(monitor).post(
        reverse("offline:enrol"), {"label": "x"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert not DeviceCredential.objects.filter(kind=DeviceKind.OFFLINE).exists()


def test_the_caseload_over_http_is_compact_json_and_notes_the_sync(signed_in, worker, tablet, case):
    response = signed_in(worker).get(reverse("offline:caseload"), {"device": str(tablet.public_id)})

    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert b'": ' not in response.content  # no indentation, no spaces
    answer = response.json()
    assert [shown["id"] for shown in answer["cases"]] == [str(case.public_id)]
    assert answer["synced_at"] and answer["offline_days"] == 7
    assert DeviceCredential.objects.get(pk=tablet.pk).last_sync_at is not None


def test_the_api_sends_a_session_without_a_user_to_sign_in(client, tablet):
    response = client.get(reverse("offline:caseload"), {"device": str(tablet.public_id)})

    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_a_sync_over_http_answers_each_change_and_the_new_caseload(signed_in, worker, tablet, case):
    client = signed_in(worker)
    follow_up = change("follow_up", case, date=timezone.localdate().isoformat(), kind="visit")
    body = {"device": str(tablet.public_id), "changes": [follow_up, follow_up]}

    response = client.post(reverse("offline:sync"), body, content_type="application/json")
    again = client.post(reverse("offline:sync"), body, content_type="application/json")

    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    answer = response.json()
    assert [result["status"] for result in answer["results"]] == ["applied", "applied"]
    assert answer["results"][0]["change_id"] == follow_up["change_id"]
    assert set(answer["results"][0]) >= {"change_id", "status", "message", "errors", "case", "conflicts"}
    assert answer["caseload"]["cases"][0]["follow_ups"][0]["kind"] == "visit"
    assert again.json()["results"] == answer["results"]
    assert FollowUp.objects.count() == 1


def test_a_sync_body_that_is_not_json_is_a_bad_request(signed_in, worker, tablet):
    response = signed_in(worker).post(reverse("offline:sync"), "{not json", content_type="application/json")

    assert response.status_code == 400


def test_the_rules_are_served_to_case_workers(signed_in, worker, monitor):
    response = signed_in(worker).get(reverse("offline:rules"))

    assert response.status_code == 200 and set(response.json()) == {"version", "forms", "messages", "areas"}
    assert signed_in(monitor).get(reverse("offline:rules")).status_code == 403
