"""A first visit (the sign-in page and everything it loads) stays under 200 KB compressed."""

import gzip
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

BUDGET_BYTES = 200_000
ASSET = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"')


def first_load_bytes(html: bytes) -> tuple[int, list[str]]:
    total = len(gzip.compress(html, compresslevel=6))
    assets = [url for url in ASSET.findall(html.decode()) if url.startswith(settings.STATIC_URL)]
    for url in assets:
        path = finders.find(url.removeprefix(settings.STATIC_URL))
        assert path, f"{url} is referenced but not found"
        with open(path, "rb") as handle:
            total += len(gzip.compress(handle.read(), compresslevel=6))
    return total, assets


@pytest.mark.django_db
def test_first_page_load_is_light(client):
    response = client.get(reverse("accounts:login"))
    total, assets = first_load_bytes(response.content)
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    assert not any("//" in a for a in assets), "no third-party asset (no CDN)"
    assert total < BUDGET_BYTES, f"first load {total} bytes compressed"


@pytest.mark.django_db
def test_home_page_load_is_light(signed_in, admin):
    response = signed_in(admin).get(reverse("core:home"))
    total, _assets = first_load_bytes(response.content)
    assert total < BUDGET_BYTES
