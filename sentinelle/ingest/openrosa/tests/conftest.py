"""OpenRosa fixtures: a small default geography (Mopti -> cercle -> commune) and device credentials."""

import base64

import pytest

from sentinelle.accounts.devices import device_credential_create
from sentinelle.geography.tests.conftest import shipped_geography  # noqa: F401 (the real COD, once per session)
from sentinelle.monitoring.tests.factories import cercle_of, commune_of


@pytest.fixture
def cercle(mopti):
    return cercle_of(mopti, pcode="ML0501", name_fr="Mopti")


@pytest.fixture
def commune(cercle):
    return commune_of(cercle, pcode="ML050101", name_fr="Sévaré")


@pytest.fixture
def geography(commune, segou):
    """The default COD version with two regions, a cercle and a commune (enough for the area lists)."""
    return commune


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


@pytest.fixture
def monitor_device(monitor):
    """HTTP headers of ODK Collect configured with the monitor's device password."""
    _credential, secret = device_credential_create(actor=monitor, label="Tablette")
    return {"HTTP_AUTHORIZATION": basic("monitor", secret), "HTTP_X_OPENROSA_VERSION": "1.0"}


@pytest.fixture
def caseworker_device(caseworker_in_area):
    """HTTP headers of the device of a GBV service provider's case worker (the GBV form is theirs)."""
    _credential, secret = device_credential_create(actor=caseworker_in_area, label="Tablette VBG")
    return {"HTTP_AUTHORIZATION": basic("cw_mopti", secret), "HTTP_X_OPENROSA_VERSION": "1.0"}


@pytest.fixture
def xform_of(client, geography, monitor_device):
    """xform_of(form_id) -> the XForm bytes as ODK Collect downloads them."""

    def _get(form_id: str) -> bytes:
        response = client.get(f"/openrosa/forms/{form_id}.xml", secure=True, **monitor_device)
        assert response.status_code == 200
        return response.content

    return _get
