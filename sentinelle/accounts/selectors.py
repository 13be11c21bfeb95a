"""Reads for organisations and users, always scoped by the policy."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.accounts.backends import normalise_identifier
from sentinelle.accounts.models import Membership, Organisation, User
from sentinelle.core.permissions import (
    Perm,
    get_object_for_user,
    organisations_in_scope,
    scope_queryset,
)
from sentinelle.core.throttles import throttle_allows


def organisation_list(*, user, query: str = "", include_archived: bool = False) -> QuerySet:
    queryset = Organisation.objects.annotate(
        member_count=Count("memberships", filter=Q(memberships__is_archived=False), distinct=True)
    )
    if not include_archived:
        queryset = queryset.filter(is_archived=False)
    if query:
        queryset = queryset.filter(Q(name__icontains=query) | Q(acronym__icontains=query))
    return scope_queryset(user, queryset, Perm.ORGANISATION_VIEW).order_by("acronym")


def organisation_get(*, user, public_id, perm: Perm = Perm.ORGANISATION_VIEW, request=None) -> Organisation:
    return get_object_for_user(user, Organisation.objects.all(), public_id, perm, request=request)


def organisation_choices(*, user, perm: Perm) -> QuerySet:
    """Organisations the user may attach accounts to: all for an administrator, their own for a manager."""
    organisations = Organisation.objects.filter(is_archived=False).order_by("acronym")
    allowed = organisations_in_scope(user, perm)
    return organisations if allowed is None else organisations.filter(pk__in=allowed)


def _memberships_shown():
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(is_archived=False)
        .select_related("organisation")
        .prefetch_related("areas"),
        to_attr="active_memberships",
    )


def user_list(*, user, query: str = "", organisation=None, role: str = "") -> QuerySet:
    queryset = scope_queryset(user, User.objects.all(), Perm.USER_VIEW)
    if query:
        queryset = queryset.filter(Q(username__icontains=query) | Q(email__icontains=query))
    if organisation is not None:
        queryset = queryset.filter(memberships__organisation=organisation, memberships__is_archived=False)
    if role:
        queryset = queryset.filter(memberships__role=role, memberships__is_archived=False)
    return queryset.prefetch_related(_memberships_shown()).distinct().order_by("username")


def user_get(*, user, public_id, perm: Perm = Perm.USER_VIEW, request=None) -> User:
    queryset = User.objects.prefetch_related(_memberships_shown())
    return get_object_for_user(user, queryset, public_id, perm, request=request)


def membership_get(*, user, public_id, request=None) -> Membership:
    return get_object_for_user(
        user,
        Membership.objects.select_related("user", "organisation"),
        public_id,
        Perm.USER_MANAGE,
        request=request,
    )


def user_sign_in_paused(*, user: User) -> bool:
    """Is sign-in with this account's username or e-mail throttled right now (after failed attempts)?

    Only for the pages of someone who may see the account (user_get): to anyone else, an answer that
    differed between existing and unknown usernames would tell which exist.
    """
    return any(
        not throttle_allows("signin.username", normalise_identifier(identifier))
        for identifier in (user.username, user.email)
        if identifier
    )


def otp_has_confirmed_device(*, user: User) -> bool:
    """Has the user a confirmed authenticator (then a new one is added only from a verified session)?"""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
