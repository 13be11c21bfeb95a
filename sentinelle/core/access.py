"""What a protected view answers when access is missing: log in, pass two-factor, or refused."""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def _redirect(request, url_name: str) -> HttpResponseRedirect:
    target = reverse(url_name)
    next_url = request.get_full_path()
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        target = f"{target}?{urlencode({'next': next_url})}"
    response = HttpResponseRedirect(target)
    if getattr(request, "htmx", False):
        # An HTMX request would swap the login page into a fragment; make the browser navigate.
        response["HX-Redirect"] = target
    return response


def needs_login(request):
    return _redirect(request, "accounts:login")


def needs_two_factor(request):
    device_exists = request.user.totpdevice_set.filter(confirmed=True).exists()
    return _redirect(request, "accounts:otp-verify" if device_exists else "accounts:otp-setup")


def deny(request, perm) -> object:
    from sentinelle.core.permissions import audit_refusal

    audit_refusal(
        request.user,
        perm,
        object_type="view",
        object_id=request.resolver_match.view_name if request.resolver_match else "",
        request=request,
    )
    return render(request, "403.html", status=403)
