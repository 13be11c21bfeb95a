"""Sign-in, two-factor, password; organisations, users and memberships. Views stay thin."""

from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sentinelle.accounts import devices, selectors, services
from sentinelle.accounts.forms import (
    MembershipForm,
    OrganisationForm,
    PasswordChangeForm,
    SignInForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
)
from sentinelle.accounts.models import DeviceKind
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.permissions import (
    Perm,
    assignable_roles,
    has_perm,
    public,
    require_perm,
    requires_two_factor,
)
from sentinelle.core.throttles import TooManyAttempts


def _next_url(request, default: str = "core:home"):
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _throttled(request, template: str, context: dict, refusal: TooManyAttempts):
    """The page again with the wait, answered 429 with Retry-After (the same for every username)."""
    context["error"] = _("Too many attempts. Wait %(minutes)s minutes, then try again.") % {
        "minutes": refusal.retry_after_minutes
    }
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


@public
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = SignInForm(request.POST or None)
    context = {"form": form, "error": "", "next": _next_url(request, "")}
    if request.method == "POST" and form.is_valid():
        try:
            result = services.user_sign_in(
                request=request,
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
            )
        except TooManyAttempts as refusal:
            return _throttled(request, "accounts/login.html", context, refusal)
        if result.user is not None:
            return redirect(_next_url(request))
        context["error"] = result.error
    return render(request, "accounts/login.html", context)


@public
@require_POST
def logout_view(request):
    services.user_sign_out(request=request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")


def _with_next(request, url_name: str):
    """Redirect to a two-factor page, keeping where the user was going."""
    target = reverse(url_name)
    next_url = _next_url(request, "")
    return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


@require_perm(Perm.HOME_VIEW, verified=False)
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    try:
        device = services.otp_device_prepare(request=request)
        form = TokenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if services.otp_device_confirm(request=request, device=device, token=form.cleaned_data["token"]):
                messages.success(request, _("Two-factor authentication is set up."))
                return redirect(_next_url(request))
            form.add_error("token", _("This code is not valid. Check your phone's time and try again."))
    except services.TwoFactorVerificationRequired:
        # An authenticator is already confirmed: a new one is added only once this session has passed it.
        return _with_next(request, "accounts:otp-verify")
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, omitsize=True)
    response = render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_svg": qr_svg,
            "base32": _base32(device),
            "replacing": selectors.otp_has_confirmed_device(user=request.user),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def _base32(device) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


@require_perm(Perm.HOME_VIEW, verified=False)
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not selectors.otp_has_confirmed_device(user=request.user):
        if requires_two_factor(request.user):
            return _with_next(request, "accounts:otp-setup")
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            verified = services.otp_session_verify(request=request, token=form.cleaned_data["token"])
        except TooManyAttempts as refusal:
            return _throttled(request, "accounts/otp_verify.html", context, refusal)
        if verified:
            return redirect(_next_url(request))
        form.add_error("token", _("This code is not valid. Check your phone's time and try again."))
    return render(request, "accounts/otp_verify.html", context)


@require_perm(Perm.HOME_VIEW)
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            services.user_password_change(
                request=request,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
            messages.success(request, _("Your password has been changed."))
            return redirect("core:home")
    return render(request, "accounts/password_change.html", {"form": form})


# --- Organisations ---------------------------------------------------------------------------


@require_perm(Perm.ORGANISATION_VIEW)
def organisation_list(request):
    query = request.GET.get("q", "").strip()
    organisations = selectors.organisation_list(user=request.user, query=query)
    context = {
        "organisations": organisations,
        "q": query,
        "perms_manage_organisations": has_perm(request.user, Perm.ORGANISATION_MANAGE),
    }
    return render(request, "accounts/organisation_list.html", context)


@require_perm(Perm.ORGANISATION_MANAGE)
@require_http_methods(["GET", "POST"])
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            services.organisation_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                acronym=form.cleaned_data["acronym"],
                type=form.cleaned_data["type"],
                email=form.cleaned_data["email"],
            )
            messages.success(request, _("Organisation created."))
            return redirect("accounts:organisation-list")
    return render(request, "accounts/organisation_form.html", {"form": form})


@require_perm(Perm.ORGANISATION_MANAGE)
@require_http_methods(["GET", "POST"])
def organisation_edit(request, public_id):
    organisation = selectors.organisation_get(
        user=request.user, public_id=public_id, perm=Perm.ORGANISATION_MANAGE, request=request
    )
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        organisation.refresh_from_db()
        with errors_shown_on(form):
            services.organisation_update(actor=request.user, organisation=organisation, **changes)
            messages.success(request, _("Organisation saved."))
            return redirect("accounts:organisation-list")
    return render(request, "accounts/organisation_form.html", {"form": form, "organisation": organisation})


# --- Users -----------------------------------------------------------------------------------


@require_perm(Perm.USER_VIEW)
def user_list(request):
    query = request.GET.get("q", "").strip()
    users = selectors.user_list(user=request.user, query=query, role=request.GET.get("role", ""))
    return render(request, "accounts/user_list.html", {"users": users, "q": query})


@require_perm(Perm.USER_MANAGE)
@require_http_methods(["GET", "POST"])
def user_create(request):
    form = UserCreateForm(
        request.POST or None,
        organisations=selectors.organisation_choices(user=request.user, perm=Perm.USER_MANAGE),
        roles=assignable_roles(request.user),
    )
    if request.method == "POST" and form.is_valid():
        with errors_shown_on(form):
            created = services.user_create(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Account created."))
            return redirect("accounts:user-detail", public_id=created.public_id)
    return render(request, "accounts/user_create.html", {"form": form})


@require_perm(Perm.USER_VIEW)
def user_detail(request, public_id):
    account = selectors.user_get(user=request.user, public_id=public_id, request=request)
    return _user_page(request, account)


def _membership_form(request, data=None) -> MembershipForm:
    return MembershipForm(
        data,
        organisations=selectors.organisation_choices(user=request.user, perm=Perm.USER_MANAGE),
        roles=assignable_roles(request.user),
    )


def _user_page(request, account, *, edit_form=None, membership_form=None):
    """The user's page; a refused form comes back with what was typed and its errors (status 400)."""
    context = {
        "account": account,
        "membership_form": membership_form or _membership_form(request),
        "edit_form": edit_form or UserEditForm(instance=account),
        "sign_in_paused": selectors.user_sign_in_paused(user=account),
    }
    refused = edit_form is not None or membership_form is not None
    return render(request, "accounts/user_detail.html", context, status=400 if refused else 200)


@require_perm(Perm.USER_MANAGE)
@require_POST
def user_edit(request, public_id):
    account = selectors.user_get(
        user=request.user, public_id=public_id, perm=Perm.USER_MANAGE, request=request
    )
    form = UserEditForm(request.POST, instance=account)
    if form.is_valid():
        with errors_shown_on(form):
            services.user_update(actor=request.user, user=account, **form.cleaned_data)
            messages.success(request, _("Account saved."))
            return redirect("accounts:user-detail", public_id=account.public_id)
    return _user_page(request, account, edit_form=form)


USER_ACTIONS = {
    "deactivate": lambda request, user: services.user_set_active(actor=request.user, user=user, active=False),
    "reactivate": lambda request, user: services.user_set_active(actor=request.user, user=user, active=True),
    "unlock": lambda request, user: services.user_unlock(actor=request.user, user=user, request=request),
    "reset-2fa": lambda request, user: services.user_two_factor_reset(
        actor=request.user, user=user, request=request
    ),
}


@require_perm(Perm.USER_MANAGE)
@require_POST
def user_action(request, public_id, action):
    account = selectors.user_get(
        user=request.user, public_id=public_id, perm=Perm.USER_MANAGE, request=request
    )
    handler = USER_ACTIONS.get(action)
    if handler is None:
        raise Http404
    with errors_shown_as_messages(request):
        handler(request, account)
        messages.success(request, _("Done."))
    return redirect("accounts:user-detail", public_id=account.public_id)


@require_perm(Perm.USER_MANAGE)
@require_POST
def membership_add(request, public_id):
    account = selectors.user_get(
        user=request.user, public_id=public_id, perm=Perm.USER_MANAGE, request=request
    )
    form = _membership_form(request, request.POST)
    if form.is_valid():
        with errors_shown_on(form, refusal=_("This role cannot be given here.")):
            services.membership_add(actor=request.user, user=account, **form.cleaned_data)
            messages.success(request, _("Role added."))
            return redirect("accounts:user-detail", public_id=account.public_id)
    return _user_page(request, account, membership_form=form)


@require_perm(Perm.USER_MANAGE)
@require_POST
def membership_archive(request, public_id):
    membership = selectors.membership_get(user=request.user, public_id=public_id, request=request)
    services.membership_archive(actor=request.user, membership=membership)
    messages.success(request, _("Role removed."))
    return redirect("accounts:user-detail", public_id=membership.user.public_id)


# --- Devices: collection apps (ODK Collect / KoboCollect) and offline case work --------------------


@require_perm(Perm.DEVICE_MANAGE)
@require_http_methods(["GET", "POST"])
def device_list(request):
    new_secret = None
    if request.method == "POST":
        _credential, new_secret = devices.device_credential_create(
            actor=request.user, label=request.POST.get("label", ""), request=request
        )
    context = {
        "credentials": devices.device_credentials_of(user=request.user),
        "new_secret": new_secret,
        "server_url": request.build_absolute_uri("/openrosa"),
        "can_collect": has_perm(request.user, Perm.INCIDENT_CREATE),
        "can_work_offline": has_perm(request.user, Perm.CASE_EDIT),
    }
    response = render(request, "accounts/device_list.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_perm(Perm.DEVICE_MANAGE)
@require_POST
def device_revoke(request, public_id):
    credential = devices.device_credential_get(user=request.user, public_id=public_id, request=request)
    devices.device_credential_revoke(actor=request.user, credential=credential, request=request)
    if credential.kind == DeviceKind.OFFLINE:
        messages.success(
            request,
            _("The device can no longer synchronise: its offline data are wiped at its next connection."),
        )
    else:
        messages.success(request, _("The device can no longer send data."))
    return redirect("accounts:device-list")
