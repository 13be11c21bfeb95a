"""The one permission policy of Sentinelle.

Every view and endpoint declares its access with `@public` or `@require_perm(Perm.X)`; every query for
protected records goes through `scope_queryset`, and every object fetch through `get_object_for_user`,
which answers 404 alike for "absent" and "not yours"; questions asked before a record exists ("may this
user act for organisation O in area A?") go through `may_act_for` / `ensure`, and every refusal through
`refuse`. The matrices are data, in core/roles.py, and the scope rules in core/scopes.py: read them to
know who may do what. Nothing outside the policy reads them or the memberships (an import-linter
contract, and core/tests/test_policy_doors.py).

How a row comes into a user's scope: each active membership that grants the permission contributes
  - every row, if the role is global for that permission (an administrator; the IMO for incidents);
  - otherwise the rows of the membership's organisation (`ScopeRule.organisation`), further limited to
    the membership's areas when it has some and the model has an area (`ScopeRule.area`);
  - for a role with a row filter in the rule (`ScopeRule.role_rows`, a function of the user and the
    membership), exactly the rows that filter keeps: a monitor edits only their own drafts; a case worker
    sees their own and assigned cases; the IMO reads an account only where its sharing level allows.
A rule may differ by permission (`MODEL_SCOPES[label]` is then a dict keyed by Perm, with None as the
default). The union over memberships is the scope. A model without a rule is out of everyone's scope.
"""

from functools import wraps

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction, AuditOutcome, Role
from sentinelle.core.roles import (
    ALWAYS_GLOBAL,
    ASSIGNABLE_ROLES,
    GLOBAL_ROLES,
    ROLE_PERMISSIONS,
    ROLE_RANK,
    ROLES_REQUIRING_2FA,
    Perm,
    memberships_of,
)
from sentinelle.core.scopes import MODEL_SCOPES, ScopeRule, area_q, membership_q


def roles_of(user) -> set[str]:
    return {membership.role for membership in memberships_of(user)}


def is_global(role: str, perm: Perm) -> bool:
    return role in ALWAYS_GLOBAL or role in GLOBAL_ROLES.get(perm, frozenset())


def requires_two_factor(user) -> bool:
    return bool(roles_of(user) & ROLES_REQUIRING_2FA)


def rule_for(model, perm: Perm | None = None) -> ScopeRule:
    label = model._meta.label_lower
    try:
        rule = MODEL_SCOPES[label]
    except KeyError:
        raise ImproperlyConfigured(f"No scope rule for {label}: add one to MODEL_SCOPES.") from None
    if isinstance(rule, dict):
        return rule.get(perm, rule[None])
    return rule


def _membership_q(user, membership, rule: ScopeRule, perm: Perm) -> Q | None:
    """The rows one membership opens; None when it opens everything."""
    q = _membership_rows(user, membership, rule, perm)
    if rule.rank_limited:
        q = (q if q is not None else Q()) & ~Q(pk__in=_users_ranked_above(membership.role))
    return q


def _membership_rows(user, membership, rule: ScopeRule, perm: Perm) -> Q | None:
    if membership.role in rule.role_rows:
        # A role's own filter is the whole answer: it applies organisation and areas itself if it needs them.
        return rule.role_rows[membership.role](user, membership)
    areas = list(membership.areas.all())
    if is_global(membership.role, perm):
        return area_q(rule.area, areas) if (areas and rule.area) else None
    if rule.organisation:
        q = membership_q(membership, organisation=rule.organisation, area=rule.area)
        if rule.creator and areas:
            q |= Q(**{rule.organisation: membership.organisation_id, rule.creator: user})
        return q
    return Q(pk__in=[])


def roles_ranked_above(role: str) -> list[str]:
    return [other for other, rank in ROLE_RANK.items() if rank > ROLE_RANK[role]]


def _users_ranked_above(role: str):
    """Ids of the users who hold, in any active membership, a role above `role` (a subquery)."""
    from django.apps import apps

    return (
        apps.get_model("accounts", "Membership")
        .objects.filter(is_archived=False, organisation__is_archived=False, role__in=roles_ranked_above(role))
        .values("user_id")
    )


def has_perm(user, perm: Perm, obj: Model | None = None) -> bool:
    """May the user do `perm` at all (obj None), or on this object?"""
    granted = any(perm in ROLE_PERMISSIONS[m.role] for m in memberships_of(user))
    if not granted or obj is None:
        return granted
    return scope_queryset(user, type(obj)._default_manager.filter(pk=obj.pk), perm).exists()


can = has_perm


class _AnyOrganisation:
    def __repr__(self):
        return "ANY_ORGANISATION"


# "For whichever organisation": the question is about the permission and the area only.
ANY_ORGANISATION = _AnyOrganisation()


def may_act_for(user, perm: Perm, *, organisation=ANY_ORGANISATION, area=None) -> bool:
    """May the user do `perm` for `organisation` in `area`, before any record exists?

    A membership answers yes when its role grants `perm`, it is global for `perm` or belongs to
    `organisation`, and `area` (None: no particular area) lies inside one of its areas (a membership
    without areas: anywhere). No organisation (None, e.g. a form left empty) is never allowed. The same
    rules as `scope_queryset`, asked of one place.
    """
    return any(_membership_allows(m, perm, organisation, area) for m in memberships_of(user))


def _membership_allows(membership, perm: Perm, organisation, area) -> bool:
    if perm not in ROLE_PERMISSIONS[membership.role] or organisation is None:
        return False
    if organisation is not ANY_ORGANISATION and not (
        is_global(membership.role, perm) or membership.organisation_id == organisation.pk
    ):
        return False
    if area is None:
        return True
    areas = list(membership.areas.all())
    return not areas or any(own.contains(area) for own in areas)


def area_limits(user, perm: Perm, *, organisation=ANY_ORGANISATION) -> list | None:
    """The areas where the user may do `perm` for `organisation`: None when anywhere, [] when nowhere."""
    limits: list = []
    for membership in memberships_of(user):
        if not _membership_allows(membership, perm, organisation, None):
            continue
        areas = list(membership.areas.all())
        if not areas:
            return None
        limits.extend(areas)
    return limits


def organisations_for(user, perm: Perm) -> list:
    """The organisations where the user holds `perm` through a membership of their own, in membership
    order (the first is the user's home organisation for that work). A global role counts here for its
    own organisation only: `may_act_for` answers where it reaches."""
    seen: dict = {}
    for membership in memberships_of(user):
        if perm in ROLE_PERMISSIONS[membership.role]:
            seen.setdefault(membership.organisation_id, membership.organisation)
    return list(seen.values())


def home_organisation(user, perm: Perm):
    """The organisation the user works for when doing `perm` (their first membership granting it)."""
    organisations = organisations_for(user, perm)
    return organisations[0] if organisations else None


def ensure_organisation(user, perm: Perm, organisation=None, *, request=None, message=None, object_type=""):
    """The organisation a new record is made for: the one given if the user may `perm` for it, else the
    user's home organisation for this work; refused (audited) when neither applies."""
    if organisation is None:
        organisation = home_organisation(user, perm)
    ensure(user, perm, organisation=organisation, request=request, message=message, object_type=object_type)
    return organisation


def is_member_for(user, perm: Perm, organisation) -> bool:
    """Does the user hold `perm` through a membership of `organisation` itself (global reach aside)?"""
    return organisation is not None and any(o.pk == organisation.pk for o in organisations_for(user, perm))


def users_with(perm: Perm, organisations, *, roles=None):
    """Active users holding `perm` through an active membership of one of `organisations` (ids or
    instances), optionally only in `roles` (a subset of the roles that grant it): who may be told or
    chosen (colleagues, focal points, managers). Whether one of them may act is asked again when they act.
    """
    from django.apps import apps

    granting = [role for role in roles_with(perm) if roles is None or role in roles]
    ids = [getattr(organisation, "pk", organisation) for organisation in organisations]
    memberships = apps.get_model("accounts", "Membership").objects.filter(
        is_archived=False, organisation__is_archived=False, organisation_id__in=ids, role__in=granting
    )
    return apps.get_model("accounts", "User").objects.filter(
        is_active=True, pk__in=memberships.values("user_id")
    )


def roles_with(perm: Perm) -> list[str]:
    """The roles whose holders may do `perm` (e.g. who can receive a referral, own a case)."""
    return [role for role in Role.values if perm in ROLE_PERMISSIONS[role]]


def audit_refusal(
    user,
    perm: Perm | str | None = None,
    *,
    obj: Model | None = None,
    organisation=None,
    object_type: str = "",
    object_id: str = "",
    request=None,
    detail: dict | None = None,
) -> None:
    """Write the audit entry of a refused action (never personal data: codes and ids only)."""
    audit_record(
        action=AuditAction.DENIED,
        outcome=AuditOutcome.DENIED,
        user=user,
        obj=obj,
        organisation=organisation,
        object_type="" if obj is not None else object_type,
        object_id="" if obj is not None else object_id,
        request=request,
        detail={**({"perm": str(perm)} if perm else {}), **(detail or {})},
    )


def refuse(user, perm: Perm | str | None = None, *, message=None, exception=PermissionDenied, **audit):
    """The one refusal: audit it, then raise `exception` (PermissionDenied unless a rule says otherwise)
    with a message that names no record."""
    audit_refusal(user, perm, **audit)
    raise exception(message) if message else exception()


def ensure(
    user,
    perm: Perm,
    obj: Model | None = None,
    *,
    organisation=ANY_ORGANISATION,
    area=None,
    request=None,
    message=None,
    object_type: str = "",
    detail: dict | None = None,
) -> None:
    """For services: the user may `perm` on `obj` (through its scope) and, when given, for `organisation`
    in `area` (before the record exists, or where it is moved to); otherwise the refusal is audited and
    PermissionDenied raised."""
    allowed = has_perm(user, perm, obj) if obj is not None else True
    if allowed and (obj is None or organisation is not ANY_ORGANISATION or area is not None):
        allowed = may_act_for(user, perm, organisation=organisation, area=area)
    if allowed:
        return
    refuse(
        user,
        perm,
        message=message,
        obj=obj,
        organisation=None if organisation is ANY_ORGANISATION else organisation,
        object_type=object_type,
        request=request,
        detail=detail,
    )


def can_assign_role(user, organisation, role: str) -> bool:
    for membership in memberships_of(user):
        if role not in ASSIGNABLE_ROLES.get(membership.role, frozenset()):
            continue
        if is_global(membership.role, Perm.USER_MANAGE) or membership.organisation_id == organisation.pk:
            return True
    return False


def organisations_in_scope(user, perm: Perm) -> set[int] | None:
    """Ids of the organisations where the user holds `perm`; None means every organisation."""
    ids: set[int] = set()
    for membership in memberships_of(user):
        if perm not in ROLE_PERMISSIONS[membership.role]:
            continue
        if is_global(membership.role, perm):
            return None
        ids.add(membership.organisation_id)
    return ids


def assignable_roles(user) -> list[str]:
    roles: set[str] = set()
    for membership in memberships_of(user):
        roles |= ASSIGNABLE_ROLES.get(membership.role, frozenset())
    return [role for role in Role.values if role in roles]


def scope_queryset(user, queryset: QuerySet, perm: Perm) -> QuerySet:
    """The rows of `queryset` the user may see or act on with `perm`; none by default."""
    rule = rule_for(queryset.model, perm)
    granting = [m for m in memberships_of(user) if perm in ROLE_PERMISSIONS[m.role]]
    if not granting:
        return queryset.none()
    if rule.public:
        return queryset
    combined = Q(pk__in=[])
    for membership in granting:
        q = _membership_q(user, membership, rule, perm)
        if q is None:
            return queryset
        combined |= q
    scoped = queryset.filter(combined)
    return scoped.distinct() if rule.distinct else scoped


def get_object_for_user(user, queryset, public_id, perm: Perm, *, request=None):
    """The object with this public id if the user may `perm` it; Http404 otherwise, alike."""
    if isinstance(queryset, type) and issubclass(queryset, Model):
        queryset = queryset._default_manager.all()
    model = queryset.model
    rule = rule_for(model, perm)
    obj = scope_queryset(user, queryset, perm).filter(public_id=public_id).first()
    if obj is None:
        refuse(
            user,
            perm,
            message=_("Not found."),
            exception=Http404,
            object_type=model._meta.label_lower,
            object_id=str(public_id),
            request=request,
        )
    if rule.audit_reads and perm.endswith(".view"):
        audit_record(action=AuditAction.READ, user=user, obj=obj, request=request)
    return obj


# --- View declarations -------------------------------------------------------------------------

ACCESS_ATTRIBUTE = "sentinelle_access"
# False on the few views that open before the second factor (the two-factor pages themselves).
VERIFIED_ATTRIBUTE = "sentinelle_verified"
PUBLIC = "public"


def public(view):
    """Declare a view open to anyone, signed in or not (login page, health check, static assets)."""
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    return view


def require_perm(perm: Perm, *, verified: bool = True):
    """Declare a protected view: signed in, two-factor passed when the role needs it, and `perm`.

    `verified=False` is for the two-factor pages themselves, which must open before verification.
    """
    from sentinelle.core.access import deny, needs_login, needs_two_factor

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return needs_login(request)
            if verified and requires_two_factor(user) and not user.is_verified():
                return needs_two_factor(request)
            if not has_perm(user, perm):
                return deny(request, perm)
            return view(request, *args, **kwargs)

        setattr(wrapper, ACCESS_ATTRIBUTE, perm)
        setattr(wrapper, VERIFIED_ATTRIBUTE, verified)
        return wrapper

    return decorator
