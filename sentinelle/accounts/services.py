"""Writes for organisations, users, memberships and sign-in. Each call: one transaction, one audit entry."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.accounts.backends import normalise_identifier, user_by_identifier
from sentinelle.accounts.models import Membership, Organisation, OrganisationType, User
from sentinelle.accounts.selectors import otp_has_confirmed_device
from sentinelle.core import tasks, validation
from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import EVERYTHING, figures_changed
from sentinelle.core.models import AuditAction, AuditOutcome, Role
from sentinelle.core.permissions import Perm, can_assign_role, ensure, refuse
from sentinelle.core.throttles import (
    client_address,
    throttle_refund,
    throttle_reset,
    throttle_take,
)
from sentinelle.core.validation import Errors

logger = logging.getLogger(__name__)

# --- Sign-in ---------------------------------------------------------------------------------
#
# Every door that takes a secret is throttled (core/throttles.py): sign-in per client address and per
# username (known or not), two-factor codes per user. The buckets are asked before the secret is checked,
# so a throttled guess is never checked at all; a right secret gives its token back. The answers never
# tell whether a username exists: the same message, status and (hashing included) time for both.


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    error: str = ""


def sign_in_doors(*, request, identifier: str) -> list[tuple[str, str]]:
    return [
        ("signin.client", client_address(request)),
        ("signin.username", normalise_identifier(identifier)),
    ]


def user_sign_in(*, request, identifier: str, password: str) -> SignInResult:
    """Check the credentials and log the user in; TooManyAttempts (audited) when a throttle refuses."""
    doors = sign_in_doors(request=request, identifier=identifier)
    throttle_take(doors, request=request, channel="web")
    user = authenticate(request, username=identifier, password=password)
    with transaction.atomic():
        if user is None:
            candidate = user_by_identifier(identifier)
            audit_record(
                action=AuditAction.LOGIN_FAILED,
                outcome=AuditOutcome.FAILED,
                object_type="accounts.user" if candidate else "",
                object_id=str(candidate.public_id) if candidate else "",
                request=request,
                detail={"reason": "unknown_account" if candidate is None else "bad_password"},
            )
            return SignInResult(None, _("Incorrect username or password."))
        login(request, user)
        audit_record(action=AuditAction.LOGIN, user=user, obj=user, request=request)
    throttle_refund(doors)
    return SignInResult(user)


def user_sign_out(*, request) -> None:
    user = request.user if request.user.is_authenticated else None
    with transaction.atomic():
        if user is not None:
            audit_record(action=AuditAction.LOGOUT, user=user, obj=user, request=request)
        logout(request)


def user_password_change(*, request, old_password: str, new_password: str) -> None:
    user = request.user
    errors = Errors()
    if not user.check_password(old_password):
        errors.add("old_password", _("The current password is incorrect."))
    _check_password(errors, new_password, user, field="new_password")
    errors.raise_if_any()
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        update_session_auth_hash(request, user)
        audit_record(action=AuditAction.PASSWORD_CHANGE, user=user, obj=user, request=request)


# --- Two-factor ------------------------------------------------------------------------------
#
# A user with a confirmed authenticator adds or replaces one only from a session already verified with it
# (otherwise a password alone would enrol a new phone and remove the owner's). Without a confirmed one,
# the enrolment in progress (an unconfirmed device) is shown again until it is confirmed. A lost phone is
# reset by an administrator or the organisation's manager (user_two_factor_reset).


class TwoFactorVerificationRequired(PermissionDenied):
    """This session must first pass the check with the authenticator the user already has."""


def _enrolment_open(request) -> bool:
    user = request.user
    return user.is_verified() or not otp_has_confirmed_device(user=user)


def _lock_user(user) -> None:
    """Serialise the enrolments of one user (two sessions confirming at once)."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def _refuse_enrolment(request):
    refuse(
        request.user,
        "otp.setup",
        exception=TwoFactorVerificationRequired,
        obj=request.user,
        request=request,
        detail={"reason": "session_not_verified"},
    )


def otp_device_prepare(*, request) -> TOTPDevice:
    """The unconfirmed authenticator the user is about to scan (shown again until confirmed).

    TwoFactorVerificationRequired (audited, nothing created) when the user has a confirmed authenticator
    and this session has not been verified with it.
    """
    user = request.user
    with transaction.atomic():
        _lock_user(user)
        if not _enrolment_open(request):
            device = None
        else:
            device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="Sentinelle", confirmed=False)
    if device is None:
        _refuse_enrolment(request)
    return device


def otp_device_confirm(*, request, device: TOTPDevice, token: str) -> bool:
    """Confirm a new authenticator with its first code: it replaces every other one of the user's, and the
    session counts as verified. False for a wrong code; TwoFactorVerificationRequired (audited, nothing
    changed) when the user has a confirmed authenticator and this session has not been verified with it."""
    user = request.user
    with transaction.atomic():
        _lock_user(user)
        if not _enrolment_open(request):
            refused = True
        else:
            refused = False
            device = TOTPDevice.objects.filter(pk=device.pk, user=user, confirmed=False).first()
            if device is None or not device.verify_token(token):
                audit_record(
                    action=AuditAction.OTP_FAILED, outcome=AuditOutcome.FAILED, user=user, request=request
                )
                return False
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit_record(action=AuditAction.OTP_SETUP, user=user, obj=user, request=request)
    if refused:
        _refuse_enrolment(request)
    return True


def otp_session_verify(*, request, token: str) -> bool:
    """Check a code from the user's authenticator; TooManyAttempts (audited) when the throttle refuses."""
    user = request.user
    doors = [("otp.user", str(user.pk))]
    throttle_take(doors, request=request, user=user, channel="web")
    with transaction.atomic():
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(token):
                otp_login(request, device)
                audit_record(action=AuditAction.OTP_VERIFIED, user=user, obj=user, request=request)
                break
        else:
            audit_record(
                action=AuditAction.OTP_FAILED, outcome=AuditOutcome.FAILED, user=user, request=request
            )
            return False
    throttle_refund(doors)
    return True


# --- Organisations ---------------------------------------------------------------------------


def organisation_create(*, actor, name: str, acronym: str, type: str, email: str = "") -> Organisation:
    ensure(actor, Perm.ORGANISATION_MANAGE)
    with transaction.atomic():
        organisation = Organisation(
            name=name, acronym=acronym, type=type, email=email, created_by=actor, updated_by=actor
        )
        organisation.full_clean()
        organisation.save()
        audit_record(action=AuditAction.CREATE, user=actor, obj=organisation)
        figures_changed(EVERYTHING)
    return organisation


def organisation_update(*, actor, organisation: Organisation, **changes) -> Organisation:
    ensure(actor, Perm.ORGANISATION_MANAGE, organisation)
    allowed = {"name", "acronym", "type", "email", "requires_supervisor_approval", "is_archived"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} here.")
    with transaction.atomic():
        for name, value in changes.items():
            setattr(organisation, name, value)
        organisation.updated_by = actor
        organisation.full_clean()
        organisation.save()
        audit_record(
            action=AuditAction.UPDATE, user=actor, obj=organisation, detail={"fields": sorted(changes)}
        )
        figures_changed(EVERYTHING)
    return organisation


# --- Users and memberships -------------------------------------------------------------------


def _require_role_grant(actor, organisation: Organisation, role: str) -> None:
    if not can_assign_role(actor, organisation, role):
        refuse(actor, "role.assign", obj=organisation, detail={"role": role})


def _check_password(errors: Errors, password: str, user: User, *, field: str) -> None:
    """The password validators' messages, on the form's password field."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        for message in error.messages:
            errors.add(field, message)


def user_create(
    *,
    actor,
    username: str,
    email: str,
    organisation: Organisation,
    role: str,
    password: str,
    full_name: str = "",
    phone: str = "",
    areas=(),
) -> User:
    """Create an account with its first membership; managers only within their organisation."""
    ensure(actor, Perm.USER_MANAGE)
    _require_role_grant(actor, organisation, role)
    user = User(
        username=username.strip(),
        email=(email or "").strip().lower() or None,
        full_name=full_name.strip(),
        phone=phone.strip(),
        created_by=actor,
        updated_by=actor,
    )
    errors = Errors()
    _check_password(errors, password, user, field="password")
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        errors.merge(error)
    errors.raise_if_any()
    with transaction.atomic():
        user.set_password(password)
        user.save()
        membership = Membership.objects.create(
            user=user, organisation=organisation, role=role, created_by=actor, updated_by=actor
        )
        membership.areas.set(areas)
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=user,
            detail={"organisation": organisation.acronym, "role": role},
        )
    return user


class AdministratorExists(Exception):
    """An installation's first administrator is created once: another needs allow_another."""


def administrator_create(
    *,
    actor,
    username: str,
    email: str,
    password: str,
    organisation_acronym: str,
    organisation_name: str = "",
    organisation_type: str = OrganisationType.COORDINATION,
    full_name: str = "",
    allow_another: bool = False,
) -> User:
    """An administrator for an installation that has none (`manage.py createadmin`): nobody can grant the
    role yet, so `actor` is None (the command line, audited as such); given, it must be able to grant it.
    The organisation (by acronym) is created if new. AdministratorExists, with nothing written, when an
    active administrator exists and not `allow_another`. The account has no authenticator: the role
    requires two-factor, so its first sign-in leads to the enrolment before any page (core.permissions)."""
    if actor is not None:
        ensure(actor, Perm.USER_MANAGE)
    acronym = organisation_acronym.strip()
    organisation = Organisation.objects.filter(acronym__iexact=acronym).first() if acronym else None
    if actor is not None and organisation is not None:
        _require_role_grant(actor, organisation, Role.ADMIN)
    user = User(
        username=username.strip(),
        email=(email or "").strip().lower() or None,
        full_name=full_name.strip(),
        created_by=actor,
        updated_by=actor,
    )
    errors = Errors()
    _check_password(errors, password, user, field="password")
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        errors.merge(error)
    if organisation is None:
        organisation = Organisation(
            name=organisation_name.strip(), acronym=acronym, type=organisation_type, created_by=actor
        )
        try:
            organisation.full_clean()
        except ValidationError as error:
            errors.merge(error, prefix="organisation_")
    errors.raise_if_any()
    with transaction.atomic():
        existing = Membership.objects.filter(
            role=Role.ADMIN, is_archived=False, organisation__is_archived=False, user__is_active=True
        )
        if existing.exists() and not allow_another:
            raise AdministratorExists(_("This installation already has an administrator."))
        created_organisation = organisation.pk is None
        if created_organisation:
            organisation.save()
        user.set_password(password)
        user.save()
        Membership.objects.create(
            user=user, organisation=organisation, role=Role.ADMIN, created_by=actor, updated_by=actor
        )
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=user,
            detail={
                "organisation": organisation.acronym,
                "role": Role.ADMIN.value,
                "channel": "command" if actor is None else "web",
                "organisation_created": created_organisation,
                "another_administrator": allow_another and existing.exists(),
            },
        )
        if created_organisation:
            figures_changed(EVERYTHING)
    return user


def user_update(*, actor, user: User, **changes) -> User:
    ensure(actor, Perm.USER_MANAGE, user)
    allowed = {"email", "full_name", "phone", "language"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} here.")
    with transaction.atomic():
        for name, value in changes.items():
            setattr(user, name, value)
        user.email = (user.email or "").strip().lower() or None
        user.updated_by = actor
        user.full_clean(exclude=["password"])
        user.save()
        audit_record(action=AuditAction.UPDATE, user=actor, obj=user, detail={"fields": sorted(changes)})
    return user


def user_set_active(*, actor, user: User, active: bool) -> User:
    ensure(actor, Perm.USER_MANAGE, user)
    if user.pk == actor.pk and not active:
        validation.refuse(_("You cannot deactivate your own account."))
    with transaction.atomic():
        user.is_active = active
        user.updated_by = actor
        user.save(update_fields=["is_active", "updated_by", "updated_at"])
        audit_record(action=AuditAction.UPDATE, user=actor, obj=user, detail={"is_active": active})
    return user


def user_unlock(*, actor, user: User, request=None) -> User:
    """Let the user sign in again at once: empty the sign-in throttles of their username and e-mail."""
    ensure(actor, Perm.USER_MANAGE, user, request=request)
    with transaction.atomic():
        for identifier in (user.username, user.email):
            if identifier:
                throttle_reset("signin.username", normalise_identifier(identifier))
        audit_record(
            action=AuditAction.UPDATE, user=actor, obj=user, request=request, detail={"unlocked": True}
        )
    return user


def _two_factor_reset_mail(user: User) -> tuple[str, str]:
    site = settings.SENTINELLE["SITE_URL"].rstrip("/")
    subject = _("Sentinelle: your two-factor authentication was reset")
    body = _(
        "An administrator or your organisation's manager has just reset the two-factor authentication of "
        "your Sentinelle account. At your next sign-in you will set up a new authenticator app.\n\n"
        "If you did not ask for this, tell your organisation's manager at once: someone may be trying to "
        "use your account.\n\n%(url)s"
    ) % {"url": site + reverse("accounts:login")}
    return subject, body


def _mail_after_commit(user: User, compose) -> None:
    """After commit, queue an e-mail to the user (in their language) of what `compose(user)` returns; no
    name in it. A task (core/tasks.py): sent by the worker and retried, never in the request."""
    tasks.mail_after_commit([user], compose)


def user_two_factor_reset(*, actor, user: User, request=None) -> None:
    """Remove every authenticator of the user (a lost phone): they enrol a new one at the next sign-in,
    and their sessions verified with the old one are verified no more. The user is told by e-mail."""
    ensure(actor, Perm.USER_MANAGE, user, request=request)
    with transaction.atomic():
        removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=user,
            request=request,
            detail={"otp_reset": True, "devices_removed": removed},
        )
        _mail_after_commit(user, _two_factor_reset_mail)


def membership_add(*, actor, user: User, organisation: Organisation, role: str, areas=()) -> Membership:
    ensure(actor, Perm.USER_MANAGE, user)
    _require_role_grant(actor, organisation, role)
    with transaction.atomic():
        membership = Membership(
            user=user, organisation=organisation, role=role, created_by=actor, updated_by=actor
        )
        membership.full_clean()
        membership.save()
        membership.areas.set(areas)
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=membership,
            detail={"user": str(user.public_id), "organisation": organisation.acronym, "role": role},
        )
    return membership


def membership_archive(*, actor, membership: Membership) -> Membership:
    ensure(actor, Perm.USER_MANAGE, membership.user)
    _require_role_grant(actor, membership.organisation, membership.role)
    with transaction.atomic():
        membership.is_archived = True
        membership.updated_by = actor
        membership.save(update_fields=["is_archived", "updated_by", "updated_at"])
        audit_record(action=AuditAction.ARCHIVE, user=actor, obj=membership)
    return membership
