"""API tokens: the page (create once, list, revoke), storage (keyed hash only), authentication, refusals."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from sentinelle.api.models import ApiToken
from sentinelle.api.tokens import api_token_authenticate, api_token_create, api_token_revoke, token_hash
from sentinelle.core.models import AuditAction, AuditEntry, AuditOutcome

pytestmark = pytest.mark.django_db

LIST = reverse("api-pages:token-list")
INCIDENTS = "/api/v1/incidents/"


def _client(secret: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
    return client


# --- The page ----------------------------------------------------------------------------------


def test_the_page_creates_a_token_shown_once_and_stores_only_its_keyed_hash(signed_in, monitor):
    client = signed_in(monitor)
    response = client.post(LIST, {"label": "Power BI"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["new_token"]
    assert secret.startswith("stl_") and len(secret) >= 40
    token = ApiToken.objects.get(user=monitor)
    assert token.label == "Power BI"
    assert token.prefix == secret[:12]
    assert token.secret_hash == token_hash(secret) != secret
    assert secret not in token.secret_hash
    # Expires in 90 days by default.
    assert abs((token.expires_at - timezone.now()) - datetime.timedelta(days=90)) < datetime.timedelta(
        minutes=1
    )
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="api.apitoken").count() == 1
    # Shown once: the next display lists the token by its beginning only.
    page = client.get(LIST)
    assert secret not in page.content.decode()
    assert token.prefix in page.content.decode()
    assert _client(secret).get(INCIDENTS).status_code == 200


def test_the_page_lists_only_ones_own_tokens(signed_in, monitor, reader):
    api_token_create(actor=reader, label="Jeton du lecteur")
    api_token_create(actor=monitor, label="Jeton du moniteur")
    content = signed_in(monitor).get(LIST).content.decode()
    assert "Jeton du moniteur" in content
    assert "Jeton du lecteur" not in content


def test_revoking_from_the_page_stops_the_token(signed_in, monitor):
    token, secret = api_token_create(actor=monitor, label="Script")
    client = signed_in(monitor)
    response = client.post(reverse("api-pages:token-revoke", args=[token.public_id]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action=AuditAction.ARCHIVE, object_id=str(token.public_id)).exists()
    assert _client(secret).get(INCIDENTS).status_code == 401


def test_someone_elses_token_cannot_be_revoked_and_the_attempt_is_audited(signed_in, monitor, reader):
    token, _secret = api_token_create(actor=reader, label="Lecteur")
    response = signed_in(monitor).post(reverse("api-pages:token-revoke", args=[token.public_id]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert AuditEntry.objects.filter(
        action=AuditAction.DENIED, object_type="api.apitoken", object_id=str(token.public_id)
    ).exists()


def test_a_role_requiring_two_factor_creates_tokens_only_after_it(signed_in, caseworker_in_area):
    client = signed_in(caseworker_in_area, verified=False)
    response = client.post(LIST, {"label": "Avant 2FA"})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_revoke_service_refuses_another_users_token(monitor, reader):
    from django.core.exceptions import PermissionDenied

    token, _secret = api_token_create(actor=reader, label="x")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=monitor, api_token=token)


# --- Authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "token"])
def test_token_and_bearer_keywords_authenticate(monitor, keyword):
    _token, secret = api_token_create(actor=monitor, label="x")
    assert _client(secret, keyword).get(INCIDENTS).status_code == 200


def _failures():
    return AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, outcome=AuditOutcome.FAILED)


@pytest.mark.parametrize("state", ["unknown", "revoked", "expired", "inactive", "malformed"])
def test_refused_tokens_answer_401_alike_and_are_audited(monitor, state):
    token, secret = api_token_create(actor=monitor, label="x")
    if state == "unknown":
        secret = "stl_" + "x" * 36
    elif state == "revoked":
        api_token_revoke(actor=monitor, api_token=token)
    elif state == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    elif state == "inactive":
        type(monitor).objects.filter(pk=monitor.pk).update(is_active=False)
    elif state == "malformed":
        secret = f"{secret} extra"
    before = _failures().count()
    response = _client(secret).get(INCIDENTS, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    assert response.json()["detail"] in (
        "Invalid or expired token.",
        "Invalid token header: give exactly one token.",
    )
    if state != "malformed":
        assert _failures().count() == before + 1
        entry = _failures().latest("id")
        assert entry.detail == {"channel": "api", "reason": state}
        assert secret not in str(entry.detail)


def test_the_refusal_message_is_in_french_by_default(monitor):
    response = _client("stl_inconnu").get(INCIDENTS)
    assert response.status_code == 401
    with translation.override("fr"):
        assert response.json()["detail"] == translation.gettext("Invalid or expired token.")


def test_anonymous_calls_get_401_with_a_challenge(client):
    for method in (client.get, client.post):
        response = method(INCIDENTS)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_a_signed_in_browser_session_is_not_an_api_credential(signed_in, imo):
    assert signed_in(imo).get(INCIDENTS).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(monitor):
    token, secret = api_token_create(actor=monitor, label="x")
    assert api_token_authenticate(secret) is not None
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    assert api_token_authenticate(secret) is not None
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    api_token_authenticate(secret)
    token.refresh_from_db()
    assert token.last_used_at > first - datetime.timedelta(minutes=1)


def test_a_missing_permission_answers_403_and_is_audited(reader):
    _token, secret = api_token_create(actor=reader, label="x")
    before = AuditEntry.objects.filter(action=AuditAction.DENIED).count()
    response = _client(secret).get(INCIDENTS)
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).count() == before + 1
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).latest("id").detail == {
        "perm": "incident.view",
        "channel": "api",
    }


def test_the_token_acts_with_the_users_roles_only(monitor):
    _token, secret = api_token_create(actor=monitor, label="x")
    client = _client(secret)
    assert client.get(INCIDENTS).status_code == 200
    assert client.get("/api/v1/cases/").status_code == 403  # a monitor manages no cases


def test_an_account_without_any_role_gets_no_token(nobody):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        api_token_create(actor=nobody, label="x")
    assert not ApiToken.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=nobody).exists()
