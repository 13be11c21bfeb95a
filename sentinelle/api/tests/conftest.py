import pytest
from rest_framework.test import APIClient

from sentinelle.api.tokens import api_token_create


@pytest.fixture
def api():
    """api(user) -> an APIClient sending a fresh token of `user`."""

    def _client(user):
        _token, secret = api_token_create(actor=user, label="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        return client

    return _client
