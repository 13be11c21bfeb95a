"""Writes for organisations, users, memberships and sign-in. Each call: one transaction, one audit entry."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.accounts.backends import user_by_identifier
from sentinelle.accounts.models import Membership, Organisation, User
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction, AuditOutcome
from sentinelle.core.permissions import Perm, can_assign_role, ensure

# --- Sign-in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    error: str = ""


def _lockout_settings() -> tuple[int, int]:
    config = settings.SENTINELLE
    return config["LOCKOUT_THRESHOLD"], config["LOCKOUT_MINUTES"]


def user_sign_in(*, request, identifier: str, password: str) -> SignInResult:
    """Check the credentials, count failures, lock after too many, and log the user in."""
    threshold, minutes = _lockout_settings()
    generic_error = _("Incorrect username or password.")
    with transaction.atomic():
        candidate = user_by_identifier(identifier)
        if candidate is not None:
            candidate = User.objects.select_for_update().get(pk=candidate.pk)
        if candidate is not None and candidate.is_locked():
            audit_record(
                action=AuditAction.LOCKED_OUT,
                outcome=AuditOutcome.DENIED,
                user=None,
                object_type="accounts.user",
                object_id=str(candidate.public_id),
                request=request,
            )
            return SignInResult(
                None,
                _("This account is locked after too many failed attempts. Try again in %(minutes)s minutes.")
                % {"minutes": minutes},
            )
        user = authenticate(request, username=identifier, password=password)
        if user is None:
            detail = {"reason": "unknown_account" if candidate is None else "bad_password"}
            if candidate is not None:
                candidate.failed_logins += 1
                if candidate.failed_logins >= threshold:
                    candidate.locked_until = timezone.now() + timedelta(minutes=minutes)
                    detail["locked"] = True
                candidate.save(update_fields=["failed_logins", "locked_until"])
            audit_record(
                action=AuditAction.LOGIN_FAILED,
                outcome=AuditOutcome.FAILED,
                object_type="accounts.user" if candidate else "",
                object_id=str(candidate.public_id) if candidate else "",
                request=request,
                detail=detail,
            )
            return SignInResult(None, generic_error)
        if user.failed_logins or user.locked_until:
            user.failed_logins = 0
            user.locked_until = None
            user.save(update_fields=["failed_logins", "locked_until"])
        login(request, user)
        audit_record(action=AuditAction.LOGIN, user=user, obj=user, request=request)
    return SignInResult(user)


def user_sign_out(*, request) -> None:
    user = request.user if request.user.is_authenticated else None
    with transaction.atomic():
        if user is not None:
            audit_record(action=AuditAction.LOGOUT, user=user, obj=user, request=request)
        logout(request)


def user_password_change(*, request, old_password: str, new_password: str) -> None:
    user = request.user
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("The current password is incorrect.")})
    validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        update_session_auth_hash(request, user)
        audit_record(action=AuditAction.PASSWORD_CHANGE, user=user, obj=user, request=request)


# --- Two-factor ------------------------------------------------------------------------------


def otp_device_prepare(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator the user is about to scan (reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Sentinelle", confirmed=False)
    return device


def otp_device_confirm(*, request, device: TOTPDevice, token: str) -> bool:
    """Confirm a new authenticator with its first code; the session counts as verified."""
    user = request.user
    with transaction.atomic():
        if device.user_id != user.pk or not device.verify_token(token):
            audit_record(
                action=AuditAction.OTP_FAILED, outcome=AuditOutcome.FAILED, user=user, request=request
            )
            return False
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        audit_record(action=AuditAction.OTP_SETUP, user=user, obj=user, request=request)
    return True


def otp_session_verify(*, request, token: str) -> bool:
    user = request.user
    with transaction.atomic():
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(token):
                otp_login(request, device)
                audit_record(action=AuditAction.OTP_VERIFIED, user=user, obj=user, request=request)
                return True
        audit_record(action=AuditAction.OTP_FAILED, outcome=AuditOutcome.FAILED, user=user, request=request)
    return False


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
    return organisation


# --- Users and memberships -------------------------------------------------------------------


def _require_role_grant(actor, organisation: Organisation, role: str) -> None:
    if not can_assign_role(actor, organisation, role):
        audit_record(
            action=AuditAction.DENIED,
            outcome=AuditOutcome.DENIED,
            user=actor,
            obj=organisation,
            detail={"perm": "role.assign", "role": role},
        )
        raise PermissionDenied


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
    with transaction.atomic():
        user = User(
            username=username.strip(),
            email=(email or "").strip().lower() or None,
            full_name=full_name.strip(),
            phone=phone.strip(),
            created_by=actor,
            updated_by=actor,
        )
        validate_password(password, user)
        user.set_password(password)
        user.full_clean(exclude=["password"])
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
        raise ValidationError(_("You cannot deactivate your own account."))
    with transaction.atomic():
        user.is_active = active
        user.updated_by = actor
        user.save(update_fields=["is_active", "updated_by", "updated_at"])
        audit_record(action=AuditAction.UPDATE, user=actor, obj=user, detail={"is_active": active})
    return user


def user_unlock(*, actor, user: User) -> User:
    ensure(actor, Perm.USER_MANAGE, user)
    with transaction.atomic():
        user.failed_logins = 0
        user.locked_until = None
        user.save(update_fields=["failed_logins", "locked_until"])
        audit_record(action=AuditAction.UPDATE, user=actor, obj=user, detail={"unlocked": True})
    return user


def user_reset_two_factor(*, actor, user: User) -> None:
    """Remove a lost authenticator: the user enrols a new one at the next sign-in."""
    ensure(actor, Perm.USER_MANAGE, user)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        audit_record(action=AuditAction.UPDATE, user=actor, obj=user, detail={"otp_reset": True})


def membership_add(*, actor, user: User, organisation: Organisation, role: str, areas=()) -> Membership:
    ensure(actor, Perm.USER_MANAGE)
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
