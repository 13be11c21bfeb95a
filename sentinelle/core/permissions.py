"""The one permission policy of Sentinelle.

Every view and endpoint declares its access with `@public` or `@require_perm(Perm.X)`; every query for
protected records goes through `scope_queryset`, and every object fetch through `get_object_for_user`,
which answers 404 alike for "absent" and "not yours". The matrices below are data: read them to know
who may do what.

How a row comes into a user's scope: each active membership that grants the permission contributes
  - every row, if the role is global for that permission (an administrator; the IMO for incidents);
  - otherwise the rows of the membership's organisation (`ScopeRule.organisation`), further limited to
    the membership's areas when it has some and the model has an area (`ScopeRule.area`);
  - for "personal" roles (a case worker on cases), only the rows that are the user's own.
The union over memberships is the scope. A model without a rule is out of everyone's scope.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction, AuditOutcome, Role


class Perm(StrEnum):
    HOME_VIEW = "home.view"
    GEOGRAPHY_VIEW = "geography.view"
    GEOGRAPHY_MANAGE = "geography.manage"
    ORGANISATION_VIEW = "organisation.view"
    ORGANISATION_MANAGE = "organisation.manage"
    USER_VIEW = "user.view"
    USER_MANAGE = "user.manage"
    AUDIT_VIEW = "audit.view"


_EVERYONE = {Perm.HOME_VIEW, Perm.GEOGRAPHY_VIEW, Perm.ORGANISATION_VIEW}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.IMO: frozenset(_EVERYONE),
    Role.MANAGER: frozenset(_EVERYONE | {Perm.USER_VIEW, Perm.USER_MANAGE, Perm.AUDIT_VIEW}),
    Role.CASEWORKER: frozenset(_EVERYONE),
    Role.MONITOR: frozenset(_EVERYONE),
    Role.FOCAL_POINT: frozenset(_EVERYONE),
    Role.READER: frozenset(_EVERYONE),
}

# Roles whose grant of a permission covers every organisation and area.
GLOBAL_ROLES: dict[Perm, frozenset[str]] = {}
ALWAYS_GLOBAL = frozenset({Role.ADMIN})

# Which roles each role may give, and where: everywhere for an administrator, in the manager's own
# organisation for a manager (never administrator or IMO).
ASSIGNABLE_ROLES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(Role),
    Role.MANAGER: frozenset({Role.MANAGER, Role.CASEWORKER, Role.MONITOR, Role.FOCAL_POINT, Role.READER}),
}

# Roles that must pass two-factor authentication before any protected page (design §6).
ROLES_REQUIRING_2FA = frozenset({Role.ADMIN, Role.MANAGER, Role.CASEWORKER})


@dataclass(frozen=True)
class ScopeRule:
    organisation: str | None = None
    area: str | None = None
    personal: Callable | None = None
    personal_roles: frozenset[str] = field(default_factory=frozenset)
    # True when `organisation` crosses a to-many relation (rows would repeat without DISTINCT).
    distinct: bool = False
    # Reference data every permitted user sees whole.
    public: bool = False
    # Reads of one record are written to the audit log.
    audit_reads: bool = False


MODEL_SCOPES: dict[str, ScopeRule] = {
    "geography.codversion": ScopeRule(public=True),
    "geography.adminarea": ScopeRule(public=True),
    "geography.settlement": ScopeRule(public=True),
    "geography.crosswalk": ScopeRule(public=True),
    "accounts.organisation": ScopeRule(public=True),
    "accounts.user": ScopeRule(organisation="memberships__organisation", distinct=True, audit_reads=True),
    "accounts.membership": ScopeRule(organisation="organisation"),
    "core.auditentry": ScopeRule(organisation="organisation"),
}


def memberships_of(user) -> list:
    """The user's active memberships, loaded once per request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_active_memberships", None)
    if cached is None:
        cached = list(
            user.memberships.filter(is_archived=False, organisation__is_archived=False)
            .select_related("organisation")
            .prefetch_related("areas")
        )
        user._active_memberships = cached
    return cached


def roles_of(user) -> set[str]:
    return {membership.role for membership in memberships_of(user)}


def is_global(role: str, perm: Perm) -> bool:
    return role in ALWAYS_GLOBAL or role in GLOBAL_ROLES.get(perm, frozenset())


def requires_two_factor(user) -> bool:
    return bool(roles_of(user) & ROLES_REQUIRING_2FA)


def rule_for(model) -> ScopeRule:
    label = model._meta.label_lower
    try:
        return MODEL_SCOPES[label]
    except KeyError:
        raise ImproperlyConfigured(f"No scope rule for {label}: add one to MODEL_SCOPES.") from None


def _area_q(path: str, areas) -> Q:
    """Rows located in one of the areas' subtrees, in the same COD version (codes differ between versions)."""
    q = Q()
    for area in areas:
        q |= Q(**{f"{path}__path__startswith": area.path, f"{path}__version_id": area.version_id})
    return q


def _membership_q(user, membership, rule: ScopeRule, perm: Perm) -> Q | None:
    """The rows one membership opens; None when it opens everything."""
    areas = list(membership.areas.all())
    if is_global(membership.role, perm):
        return _area_q(rule.area, areas) if (areas and rule.area) else None
    if rule.personal is not None and membership.role in rule.personal_roles:
        q = rule.personal(user)
    elif rule.organisation:
        q = Q(**{rule.organisation: membership.organisation_id})
    else:
        return Q(pk__in=[])
    if areas and rule.area:
        q &= _area_q(rule.area, areas)
    return q


def has_perm(user, perm: Perm, obj: Model | None = None) -> bool:
    """May the user do `perm` at all (obj None), or on this object?"""
    granted = any(perm in ROLE_PERMISSIONS[m.role] for m in memberships_of(user))
    if not granted or obj is None:
        return granted
    return scope_queryset(user, type(obj)._default_manager.filter(pk=obj.pk), perm).exists()


can = has_perm


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
    rule = rule_for(queryset.model)
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
    rule = rule_for(model)
    obj = scope_queryset(user, queryset, perm).filter(public_id=public_id).first()
    if obj is None:
        audit_record(
            action=AuditAction.DENIED,
            outcome=AuditOutcome.DENIED,
            user=user,
            object_type=model._meta.label_lower,
            object_id=str(public_id),
            request=request,
            detail={"perm": str(perm)},
        )
        raise Http404(_("Not found."))
    if rule.audit_reads and perm.endswith(".view"):
        audit_record(action=AuditAction.READ, user=user, obj=obj, request=request)
    return obj


# --- View declarations -------------------------------------------------------------------------

ACCESS_ATTRIBUTE = "sentinelle_access"
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
        return wrapper

    return decorator
