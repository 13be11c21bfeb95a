"""Device authentication for the OpenRosa endpoints, and the headers every OpenRosa answer carries.

Devices (ODK Collect, KoboCollect) send HTTP Basic credentials with a per-device secret created at
/compte/appareils/, never the account password, and only over HTTPS. Digest is not offered: OpenRosa
servers must support at least one scheme, and Basic over TLS is the one (Digest would need the secret
stored reversibly). `require_device_perm` declares the view to the permission policy like
`require_perm` does (the URLconf test reads the same attribute), but answers devices as OpenRosa
expects: a 401 challenge rather than a redirect to the sign-in page. Failed device sign-ins are throttled
per client address and per user name before any secret is checked (accounts/devices.py): a throttled
device gets 429 with Retry-After, which OpenRosa clients understand.

A browser opening one of these URLs (no credentials and no X-OpenRosa-Version header: every OpenRosa
client sends it) is sent to the help page, through the sign-in page when needed.
"""

from __future__ import annotations

import base64
import binascii
from functools import wraps
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import http_date
from django.utils.translation import gettext

from sentinelle.accounts.devices import device_authenticate
from sentinelle.core.permissions import ACCESS_ATTRIBUTE, Perm, audit_refusal, has_perm
from sentinelle.core.throttles import TooManyAttempts

RESPONSE_NS = "http://openrosa.org/http/response"
REALM = "Sentinelle"
OPENROSA_VERSION = "1.0"


def with_openrosa_headers(response: HttpResponse) -> HttpResponse:
    response["X-OpenRosa-Version"] = OPENROSA_VERSION
    response["Date"] = http_date()
    response["Content-Language"] = translation.get_language() or settings.LANGUAGE_CODE
    return response


def openrosa_response(message: str, *, status: int, nature: str = "") -> HttpResponse:
    """<OpenRosaResponse><message>…</message></OpenRosaResponse>, the body devices show to the user."""
    ET.register_namespace("", RESPONSE_NS)
    root = ET.Element(f"{{{RESPONSE_NS}}}OpenRosaResponse")
    element = ET.SubElement(root, f"{{{RESPONSE_NS}}}message")
    if nature:
        element.set("nature", nature)
    element.text = message
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return with_openrosa_headers(HttpResponse(body, status=status, content_type="text/xml; charset=utf-8"))


def _challenge(message: str) -> HttpResponse:
    response = openrosa_response(message, status=401)
    response["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def _too_many(refusal: TooManyAttempts) -> HttpResponse:
    """429 with Retry-After: ODK Collect and KoboCollect show the message and the user tries again later."""
    message = gettext(
        "Too many failed sign-ins from this device or for this user name. Wait %(minutes)s minutes, then "
        "try again."
    ) % {"minutes": refusal.retry_after_minutes}
    response = openrosa_response(message, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _space, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    identifier, colon, secret = decoded.partition(":")
    return (identifier, secret) if colon and identifier else None


def _deny(request, user, perm: Perm, reason: str) -> None:
    audit_refusal(
        user,
        perm,
        object_type="view",
        object_id=request.resolver_match.view_name if request.resolver_match else "",
        request=request,
        detail={"channel": "device", "reason": reason},
    )


def _browser(request) -> HttpResponseRedirect:
    help_url = reverse("openrosa:help")
    if request.user.is_authenticated:
        return HttpResponseRedirect(help_url)
    return HttpResponseRedirect(f"{reverse('accounts:login')}?{urlencode({'next': help_url})}")


def _authenticate(request, perm: Perm):
    """(user, None) for an allowed device, (None, response) otherwise."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not (request.is_secure() or settings.DEBUG):
        _deny(request, None, perm, "https_required")
        message = gettext(
            "Sentinelle accepts collection devices over HTTPS only: in the app's settings, begin the "
            "server address with https://."
        )
        return None, openrosa_response(message, status=403)
    credentials = basic_credentials(header)
    if credentials is None:
        return None, _challenge(gettext("Sign in with your user name and a device password."))
    try:
        user = device_authenticate(identifier=credentials[0], secret=credentials[1], request=request)
    except TooManyAttempts as refusal:
        return None, _too_many(refusal)
    if user is None:
        return None, _challenge(
            gettext(
                "Wrong user name or device password (or the device password was revoked). Create a device "
                "password in Sentinelle under “My devices”; the account password does not work here."
            )
        )
    if not has_perm(user, perm):
        _deny(request, user, perm, "permission")
        return None, openrosa_response(
            gettext("Your role does not allow recording incidents from a collection device."), status=403
        )
    return user, None


def require_device_perm(perm: Perm):
    """Declare an OpenRosa endpoint: a device with valid credentials whose user holds `perm`.

    CSRF does not apply (no cookie is used: each request carries its credentials); the view sees the
    device's user as `request.user` for this request only.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.META.get("HTTP_AUTHORIZATION") and not request.META.get("HTTP_X_OPENROSA_VERSION"):
                return _browser(request)
            with translation.override(settings.LANGUAGE_CODE):
                user, refusal = _authenticate(request, perm)
                if refusal is not None:
                    return refusal
            request.user = user
            with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
                return with_openrosa_headers(view(request, *args, **kwargs))

        wrapper.csrf_exempt = True
        setattr(wrapper, ACCESS_ATTRIBUTE, perm)
        return wrapper

    return decorator
