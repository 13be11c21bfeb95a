"""The offline app's shell, service worker, manifest and rules, and its JSON API (docs/offline.md).

Thin views: parse, authorise, call, render JSON. Every API answer is `no-store`; the shell page is not
(the service worker keeps it) and holds no personal data but the user's own name. The API needs the
session of the device's user (two-factor passed, as every page): without a session, the deny-by-default
decorator answers with the sign-in redirect; signed in as someone else, 403 {"error": "sign_in"}. A device
revoked, unknown, or whose user was deactivated gets 410 {"wipe": true} at any contact.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from sentinelle.core.permissions import Perm, has_perm, public, require_perm, requires_two_factor
from sentinelle.core.throttles import TooManyAttempts
from sentinelle.offline.rules import PIN_MIN_LENGTH, offline_rules
from sentinelle.offline.selectors import offline_caseload, offline_days
from sentinelle.offline.services import (
    offline_device_contact,
    offline_device_enrol,
    offline_device_synced,
    offline_sync,
)

SERVICE_WORKER = "offline/sw.js"
ICONS = (("offline/icon.svg", "any", "image/svg+xml"), ("offline/icon-192.png", "192x192", "image/png"))
ICONS += (("offline/icon-512.png", "512x512", "image/png"),)


def _json(data, status: int = 200) -> JsonResponse:
    response = JsonResponse(
        data, status=status, json_dumps_params={"separators": (",", ":"), "ensure_ascii": False}
    )
    response["Cache-Control"] = "no-store"
    return response


def _gone() -> JsonResponse:
    return _json({"wipe": True}, status=410)


def _throttled(refusal: TooManyAttempts) -> JsonResponse:
    response = _json({"error": "throttled", "retry_after": refusal.retry_after}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def _body(request) -> dict | None:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _signed_in_as(request, user_id) -> bool:
    """Signed in, past the second factor where the role needs it, as this user (any case worker when
    `user_id` is None)."""
    user = request.user
    if not user.is_authenticated or (requires_two_factor(user) and not user.is_verified()):
        return False
    return user.pk == user_id if user_id is not None else has_perm(user, Perm.CASE_EDIT)


def _device(request, device_id):
    """(device, None) for the signed-in user's usable device, else (None, the answer to give)."""
    try:
        device = offline_device_contact(device_id=device_id, request=request)
    except TooManyAttempts as refusal:
        return None, _throttled(refusal)
    if device is None:
        return None, _gone()
    if device.user_id != request.user.pk:
        return None, _json({"error": "sign_in"}, status=403)
    return device, None


# --- The app -----------------------------------------------------------------------------------------


@require_perm(Perm.CASE_EDIT)
@require_GET
def app(request):
    context = {
        "api": {
            "enrol": reverse("offline:enrol"),
            "status": reverse("offline:status"),
            "caseload": reverse("offline:caseload"),
            "sync": reverse("offline:sync"),
            "rules": reverse("offline:rules"),
        },
        "sw_url": reverse("offline:sw"),
        "manifest_url": reverse("offline:manifest"),
        "offline_days": offline_days(),
        "pin_min_length": PIN_MIN_LENGTH,
        "user_label": request.user.display_name,
    }
    return render(request, "offline/app.html", context)


def _static_path(name: str) -> Path | None:
    found = finders.find(name)
    if found:
        return Path(found)
    if staticfiles_storage.exists(name):
        return Path(staticfiles_storage.path(name))
    return None


@public
@require_GET
def service_worker(request):
    """The service worker, from the app's scope (/hors-ligne/) so that it may serve the shell offline."""
    path = _static_path(SERVICE_WORKER)
    if path is None:
        return HttpResponse(status=404)
    response = HttpResponse(path.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("offline:app")
    response["Cache-Control"] = "no-cache"
    return response


@public
@require_GET
def manifest(request):
    icons = [
        {"src": static(name), "sizes": sizes, "type": kind}
        for name, sizes, kind in ICONS
        if _static_path(name) is not None
    ]
    data = {
        "name": "Sentinelle hors ligne",
        "short_name": "Sentinelle",
        "start_url": reverse("offline:app"),
        "scope": reverse("offline:app"),
        "display": "standalone",
        "lang": "fr",
        "background_color": "#ffffff",
        "theme_color": "#1f4e79",
        "icons": icons,
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_perm(Perm.CASE_EDIT)
@require_GET
def rules(request):
    return _json(offline_rules(user=request.user))


# --- The API -----------------------------------------------------------------------------------------


@require_perm(Perm.CASE_EDIT)
@require_POST
def enrol(request):
    data = _body(request)
    if data is None:
        return _json({"error": "bad_request"}, status=400)
    try:
        device, secret = offline_device_enrol(
            actor=request.user, label=str(data.get("label") or ""), request=request
        )
    except TooManyAttempts as refusal:
        return _throttled(refusal)
    answer = {"device_id": str(device.public_id), "device_secret": secret, "offline_days": offline_days()}
    return _json(answer, status=201)


@public
@require_GET
def status(request):
    """The first call of every contact: may the device keep its data, and is its user signed in?"""
    device_id = request.GET.get("device", "").strip()
    user_id = None
    if device_id:
        try:
            device = offline_device_contact(device_id=device_id, request=request)
        except TooManyAttempts as refusal:
            return _throttled(refusal)
        if device is None:
            return _gone()
        user_id = device.user_id
    signed_in = _signed_in_as(request, user_id)
    return _json(
        {"active": bool(device_id), "signed_in": signed_in, "csrf": get_token(request) if signed_in else ""}
    )


@require_perm(Perm.CASE_EDIT)
@require_GET
def caseload(request):
    device, refusal = _device(request, request.GET.get("device", ""))
    if refusal is not None:
        return refusal
    answer = offline_caseload(user=request.user, device=device, request=request)
    offline_device_synced(device=device)
    return _json(answer)


@require_perm(Perm.CASE_EDIT)
@require_POST
def sync(request):
    data = _body(request)
    if data is None or not isinstance(data.get("changes", []), list):
        return _json({"error": "bad_request"}, status=400)
    device, refusal = _device(request, data.get("device", ""))
    if refusal is not None:
        return refusal
    results = offline_sync(
        actor=request.user, device=device, changes=data.get("changes", []), request=request
    )
    answer = {
        "results": results,
        "caseload": offline_caseload(user=request.user, device=device, request=request),
    }
    offline_device_synced(device=device)
    return _json(answer)
