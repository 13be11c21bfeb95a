"""Deny by default: every view in the URLconf is declared public or protected."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from sentinelle.core.permissions import ACCESS_ATTRIBUTE, PUBLIC


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else entry.namespace or namespace
            )
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield prefix + str(entry.pattern), name, entry


ALL_PATTERNS = list(_walk(get_resolver().url_patterns))


def test_the_urlconf_is_not_empty():
    assert len(ALL_PATTERNS) > 10


@pytest.mark.parametrize(("route", "name", "pattern"), ALL_PATTERNS, ids=[p[0] or "/" for p in ALL_PATTERNS])
def test_every_view_declares_its_access(route, name, pattern):
    access = getattr(pattern.callback, ACCESS_ATTRIBUTE, None)
    assert access is not None, f"{route} ({name}) is neither @public nor @require_perm(...)"


def _url_for(name, pattern):
    kwargs = {}
    for key, converter in pattern.pattern.converters.items():
        kwargs[key] = uuid.uuid4() if "UUID" in type(converter).__name__ else "x"
    return reverse(name, kwargs=kwargs)


PROTECTED = [
    (route, name, pattern)
    for route, name, pattern in ALL_PATTERNS
    if name and getattr(pattern.callback, ACCESS_ATTRIBUTE, None) not in (None, PUBLIC)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name", "pattern"), PROTECTED, ids=[p[1] for p in PROTECTED])
def test_protected_views_send_anonymous_visitors_to_sign_in(client, route, name, pattern):
    url = _url_for(name, pattern)
    for method in (client.get, client.post):
        response = method(url)
        if route.startswith("api/"):
            # The API answers machines: 401 with a WWW-Authenticate challenge, never a sign-in page.
            assert response.status_code == 401, f"{method.__name__.upper()} {url}"
            assert response.has_header("WWW-Authenticate")
            continue
        assert response.status_code in (302, 405), f"{method.__name__.upper()} {url}"
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("accounts:login"))
