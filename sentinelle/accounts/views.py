"""Sign-in, two-factor, password; organisations, users and memberships. Views stay thin."""

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
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
from sentinelle.core.permissions import (
    Perm,
    assignable_roles,
    has_perm,
    public,
    require_perm,
    requires_two_factor,
)


def _next_url(request, default: str = "core:home"):
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@public
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = SignInForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = services.user_sign_in(
            request=request,
            identifier=form.cleaned_data["identifier"],
            password=form.cleaned_data["password"],
        )
        if result.user is not None:
            return redirect(_next_url(request))
        error = result.error
    return render(
        request, "accounts/login.html", {"form": form, "error": error, "next": _next_url(request, "")}
    )


@public
@require_POST
def logout_view(request):
    services.user_sign_out(request=request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")


@require_perm(Perm.HOME_VIEW, verified=False)
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    device = services.otp_device_prepare(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.otp_device_confirm(request=request, device=device, token=form.cleaned_data["token"]):
            messages.success(request, _("Two-factor authentication is set up."))
            return redirect(_next_url(request))
        form.add_error("token", _("This code is not valid. Check your phone's time and try again."))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, omitsize=True)
    return render(
        request,
        "accounts/otp_setup.html",
        {"form": form, "qr_svg": qr_svg, "base32": _base32(device)},
    )


def _base32(device) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


@require_perm(Perm.HOME_VIEW, verified=False)
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    if not requires_two_factor(request.user) or request.user.is_verified():
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.otp_session_verify(request=request, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _("This code is not valid. Check your phone's time and try again."))
    return render(request, "accounts/otp_verify.html", {"form": form})


@require_perm(Perm.HOME_VIEW)
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_password_change(
                request=request,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as error:
            _attach_errors(form, error, default_field="new_password")
        else:
            messages.success(request, _("Your password has been changed."))
            return redirect("core:home")
    return render(request, "accounts/password_change.html", {"form": form})


def _attach_errors(form, error: ValidationError, *, default_field=None) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(default_field, error)


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
        try:
            services.organisation_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                acronym=form.cleaned_data["acronym"],
                type=form.cleaned_data["type"],
                email=form.cleaned_data["email"],
            )
        except ValidationError as error:
            _attach_errors(form, error)
        else:
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
        try:
            services.organisation_update(actor=request.user, organisation=organisation, **changes)
        except ValidationError as error:
            _attach_errors(form, error)
        else:
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
        try:
            created = services.user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _attach_errors(form, error, default_field="password")
        else:
            messages.success(request, _("Account created."))
            return redirect("accounts:user-detail", public_id=created.public_id)
    return render(request, "accounts/user_create.html", {"form": form})


@require_perm(Perm.USER_VIEW)
def user_detail(request, public_id):
    account = selectors.user_get(user=request.user, public_id=public_id, request=request)
    membership_form = MembershipForm(
        organisations=selectors.organisation_choices(user=request.user, perm=Perm.USER_MANAGE),
        roles=assignable_roles(request.user),
    )
    return render(
        request,
        "accounts/user_detail.html",
        {"account": account, "membership_form": membership_form, "edit_form": UserEditForm(instance=account)},
    )


@require_perm(Perm.USER_MANAGE)
@require_POST
def user_edit(request, public_id):
    account = selectors.user_get(
        user=request.user, public_id=public_id, perm=Perm.USER_MANAGE, request=request
    )
    form = UserEditForm(request.POST, instance=account)
    if form.is_valid():
        try:
            services.user_update(actor=request.user, user=account, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Account saved."))
    else:
        messages.error(request, _("The account was not saved: check the fields."))
    return redirect("accounts:user-detail", public_id=account.public_id)


USER_ACTIONS = {
    "deactivate": lambda actor, user: services.user_set_active(actor=actor, user=user, active=False),
    "reactivate": lambda actor, user: services.user_set_active(actor=actor, user=user, active=True),
    "unlock": lambda actor, user: services.user_unlock(actor=actor, user=user),
    "reset-2fa": lambda actor, user: services.user_reset_two_factor(actor=actor, user=user),
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
    try:
        handler(request.user, account)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Done."))
    return redirect("accounts:user-detail", public_id=account.public_id)


@require_perm(Perm.USER_MANAGE)
@require_POST
def membership_add(request, public_id):
    account = selectors.user_get(
        user=request.user, public_id=public_id, perm=Perm.USER_MANAGE, request=request
    )
    form = MembershipForm(
        request.POST,
        organisations=selectors.organisation_choices(user=request.user, perm=Perm.USER_MANAGE),
        roles=assignable_roles(request.user),
    )
    if form.is_valid():
        try:
            services.membership_add(actor=request.user, user=account, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            refused = isinstance(error, PermissionDenied)
            messages.error(
                request, _("This role cannot be given here.") if refused else " ".join(error.messages)
            )
        else:
            messages.success(request, _("Role added."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("accounts:user-detail", public_id=account.public_id)


@require_perm(Perm.USER_MANAGE)
@require_POST
def membership_archive(request, public_id):
    membership = selectors.membership_get(user=request.user, public_id=public_id, request=request)
    services.membership_archive(actor=request.user, membership=membership)
    messages.success(request, _("Role removed."))
    return redirect("accounts:user-detail", public_id=membership.user.public_id)


# --- Collection devices (ODK Collect / KoboCollect) ------------------------------------------


@require_perm(Perm.INCIDENT_CREATE)
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
    }
    response = render(request, "accounts/device_list.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_perm(Perm.INCIDENT_CREATE)
@require_POST
def device_revoke(request, public_id):
    credential = devices.device_credential_get(user=request.user, public_id=public_id, request=request)
    devices.device_credential_revoke(actor=request.user, credential=credential, request=request)
    messages.success(request, _("The device can no longer send data."))
    return redirect("accounts:device-list")
