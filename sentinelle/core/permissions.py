"""The one permission policy of Sentinelle.

Every view and endpoint declares its access with `@public` or `@require_perm(Perm.X)`; every query for
protected records goes through `scope_queryset`, and every object fetch through `get_object_for_user`,
which answers 404 alike for "absent" and "not yours". The matrices below are data: read them to know
who may do what.

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

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
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
    # Protection monitoring
    INCIDENT_VIEW = "incident.view"
    INCIDENT_CREATE = "incident.create"
    INCIDENT_EDIT = "incident.edit"
    INCIDENT_REVIEW = "incident.review"
    INCIDENT_CONFIDENTIAL = "incident.confidential"
    DUPLICATE_REVIEW = "duplicate.review"
    ALERT_VIEW = "alert.view"
    ALERT_RULE_MANAGE = "alert_rule.manage"
    FLASH_REPORT_EDIT = "flash_report.edit"
    AREA_FOLLOW = "area.follow"
    IMPORT_RUN = "import.run"
    # Service directory
    SERVICE_VIEW = "service.view"
    SERVICE_MANAGE = "service.manage"
    # Case management (identities: strictest rules)
    PERSON_VIEW = "person.view"
    PERSON_CREATE = "person.create"
    PERSON_MERGE = "person.merge"
    CASE_VIEW = "case.view"
    CASE_CREATE = "case.create"
    CASE_EDIT = "case.edit"
    CASE_APPROVE = "case.approve"
    CASE_EXPORT = "case.export"
    CASE_STATS = "case.stats"
    BREAK_GLASS = "case.break_glass"
    REFERRAL_VIEW = "referral.view"
    REFERRAL_CREATE = "referral.create"
    REFERRAL_RECEIVE = "referral.receive"
    TRACING_VIEW = "tracing.view"
    TRACING_EDIT = "tracing.edit"
    # Population movement (aggregates only: no person is ever recorded here)
    POPULATION_VIEW = "population.view"
    POPULATION_MANAGE = "population.manage"
    # Partners' activities (4W), programmes and results frameworks
    PROGRAMME_VIEW = "programme.view"
    PROGRAMME_MANAGE = "programme.manage"
    ACTIVITY_VIEW = "activity.view"
    ACTIVITY_EDIT = "activity.edit"
    ACTIVITY_REVIEW = "activity.review"
    PERIOD_REOPEN = "period.reopen"
    FOURW_VIEW = "fourw.view"
    INDICATOR_VIEW = "indicator.view"
    INDICATOR_EDIT = "indicator.edit"
    # Aggregated figures (statistics API, dashboards): everyone gets them through disclosure control;
    # analysts (the IMO, administrators) get exact figures with small cells marked.
    STATS_VIEW = "stats.view"
    STATS_EXACT = "stats.exact"
    API_TOKEN_MANAGE = "api_token.manage"  # noqa: S105 (a permission name, not a secret)
    # Dashboards and reports: everyone reads dashboards (through disclosure control) and published
    # reports; the IMO writes the monthly analysis, managers their programme's quarterly report.
    DASHBOARD_VIEW = "dashboard.view"
    REPORT_VIEW = "report.view"
    REPORT_EDIT = "report.edit"


_EVERYONE = {
    Perm.HOME_VIEW,
    Perm.GEOGRAPHY_VIEW,
    Perm.ORGANISATION_VIEW,
    Perm.SERVICE_VIEW,
    Perm.PROGRAMME_VIEW,
    Perm.FOURW_VIEW,
    Perm.STATS_VIEW,
    Perm.API_TOKEN_MANAGE,
    Perm.DASHBOARD_VIEW,
    Perm.REPORT_VIEW,
}
# Partner staff report their organisation's activities and see its figures.
_REPORTS_ACTIVITIES = {Perm.POPULATION_VIEW, Perm.ACTIVITY_VIEW, Perm.ACTIVITY_EDIT}
_MANAGES_CASES = {
    Perm.PERSON_VIEW,
    Perm.PERSON_CREATE,
    Perm.CASE_VIEW,
    Perm.CASE_CREATE,
    Perm.CASE_EDIT,
    Perm.REFERRAL_VIEW,
    Perm.REFERRAL_CREATE,
    Perm.TRACING_VIEW,
    Perm.TRACING_EDIT,
}
_RECORDS_INCIDENTS = {
    Perm.INCIDENT_VIEW,
    Perm.INCIDENT_CREATE,
    Perm.INCIDENT_EDIT,
    Perm.INCIDENT_CONFIDENTIAL,
    Perm.AREA_FOLLOW,
    Perm.IMPORT_RUN,
}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.IMO: frozenset(
        _EVERYONE
        | {
            Perm.INCIDENT_VIEW,
            Perm.INCIDENT_REVIEW,
            Perm.INCIDENT_CONFIDENTIAL,
            Perm.DUPLICATE_REVIEW,
            Perm.ALERT_VIEW,
            Perm.FLASH_REPORT_EDIT,
            Perm.AREA_FOLLOW,
            Perm.IMPORT_RUN,
            Perm.CASE_STATS,
            Perm.SERVICE_MANAGE,
            Perm.POPULATION_VIEW,
            Perm.POPULATION_MANAGE,
            Perm.PROGRAMME_MANAGE,
            Perm.ACTIVITY_VIEW,
            Perm.ACTIVITY_REVIEW,
            Perm.INDICATOR_VIEW,
            Perm.INDICATOR_EDIT,
            Perm.STATS_EXACT,
            Perm.REPORT_EDIT,
        }
    ),
    Role.MANAGER: frozenset(
        _EVERYONE
        | _RECORDS_INCIDENTS
        | _MANAGES_CASES
        | {Perm.USER_VIEW, Perm.USER_MANAGE, Perm.AUDIT_VIEW, Perm.INCIDENT_REVIEW, Perm.ALERT_VIEW}
        | {Perm.SERVICE_MANAGE, Perm.PERSON_MERGE, Perm.CASE_APPROVE, Perm.CASE_EXPORT, Perm.CASE_STATS}
        | {Perm.BREAK_GLASS, Perm.REFERRAL_RECEIVE}
        | _REPORTS_ACTIVITIES
        | {Perm.POPULATION_MANAGE, Perm.PROGRAMME_MANAGE, Perm.INDICATOR_VIEW, Perm.INDICATOR_EDIT}
        | {Perm.REPORT_EDIT}
    ),
    Role.CASEWORKER: frozenset(_EVERYONE | _RECORDS_INCIDENTS | _MANAGES_CASES | _REPORTS_ACTIVITIES),
    # Monitors include the CMP focal points who enter population figures and displacement events.
    Role.MONITOR: frozenset(
        _EVERYONE | _RECORDS_INCIDENTS | _REPORTS_ACTIVITIES | {Perm.ALERT_VIEW, Perm.POPULATION_MANAGE}
    ),
    Role.FOCAL_POINT: frozenset(_EVERYONE | {Perm.REFERRAL_RECEIVE, Perm.SERVICE_MANAGE}),
    Role.READER: frozenset(_EVERYONE),
}

# Roles whose grant of a permission covers every organisation and area.
_IMO = frozenset({Role.IMO})
GLOBAL_ROLES: dict[Perm, frozenset[str]] = {
    Perm.INCIDENT_VIEW: _IMO,
    Perm.INCIDENT_REVIEW: _IMO,
    Perm.DUPLICATE_REVIEW: _IMO,
    Perm.ALERT_VIEW: _IMO,
    Perm.FLASH_REPORT_EDIT: _IMO,
    Perm.IMPORT_RUN: _IMO,
    Perm.CASE_STATS: _IMO,
    Perm.SERVICE_MANAGE: _IMO,
    Perm.POPULATION_MANAGE: _IMO,
    Perm.PROGRAMME_MANAGE: _IMO,
    Perm.ACTIVITY_VIEW: _IMO,
    Perm.ACTIVITY_REVIEW: _IMO,
    Perm.INDICATOR_EDIT: _IMO,
    Perm.REPORT_EDIT: _IMO,
}
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
    # role -> function(user, membership) -> Q: the only rows that role reaches through this rule.
    role_rows: dict[str, Callable[..., Q]] = field(default_factory=dict)
    # True when `organisation` crosses a to-many relation (rows would repeat without DISTINCT).
    distinct: bool = False
    # Reference data every permitted user sees whole.
    public: bool = False
    # Reads of one record are written to the audit log.
    audit_reads: bool = False


def _own_drafts(user, membership) -> Q:
    return Q(created_by=user, status="draft", organisation_id=membership.organisation_id)


def _own_rows(user, membership) -> Q:
    return Q(user=user)


def _case_rows(prefix: str, *, break_glass: bool = False):
    """Case-level rows: a case worker's own and assigned cases; a manager's organisation (within their
    areas), plus, for reading only, the cases they opened by break-the-glass while that access lasts.

    The to-many links (collaborators, break-the-glass) never join: a join repeats rows (DISTINCT, then a
    scan of every case before the first page could be sorted). On the case table itself (the lists) they
    are read first as a short list of ids, since even a subquery in an OR keeps PostgreSQL from the
    organisation's or the owner's index; on a case's records (`prefix`), always read for one case, they
    stay subqueries and cost no extra query.
    """
    from django.apps import apps

    def case_ids(queryset) -> Q | None:
        ids = queryset.values("case_id")
        if not prefix:
            ids = list(ids.values_list("case_id", flat=True))
            if not ids:
                return None
        return Q(**{f"{prefix}pk__in": ids})

    def caseworker(user, membership) -> Q:
        q = Q(**{f"{prefix}owner": user})
        assigned = case_ids(apps.get_model("cases", "Case").collaborators.through.objects.filter(user=user))
        return q | assigned if assigned is not None else q

    def manager(user, membership) -> Q:
        q = membership_q(membership, organisation=f"{prefix}organisation", area=f"{prefix}area")
        if break_glass:
            from django.utils import timezone

            opened = case_ids(
                apps.get_model("cases", "BreakGlassAccess").objects.filter(
                    user=user, expires_at__gt=timezone.now()
                )
            )
            if opened is not None:
                q |= opened
        return q

    return {Role.CASEWORKER: caseworker, Role.MANAGER: manager}


def _case_rule(prefix: str = "", *, break_glass: bool = False, **extra) -> ScopeRule:
    return ScopeRule(
        organisation=f"{prefix}organisation",
        area=f"{prefix}area",
        role_rows=_case_rows(prefix, break_glass=break_glass),
        **extra,
    )


def _case_scopes(prefix: str = "", *, read_perm: "Perm" = None, **extra) -> dict:
    """Writing follows the case; reading (`read_perm`) also reaches break-the-glass cases."""
    return {
        None: _case_rule(prefix, **extra),
        (read_perm or Perm.CASE_VIEW): _case_rule(prefix, break_glass=True, **extra),
    }


def _person_rows(*, break_glass: bool):
    def caseworker(user, membership) -> Q:
        return Q(cases__owner=user) | Q(cases__collaborators=user) | Q(created_by=user)

    def manager(user, membership) -> Q:
        return membership_q(membership, organisation="organisation", area="area") | _case_rows(
            "cases__", break_glass=break_glass
        )[Role.MANAGER](user, membership)

    return {Role.CASEWORKER: caseworker, Role.MANAGER: manager}


def _transfer_rows():
    """Transfers follow their case; the receiving user (or their manager) sees what is offered."""
    case_rows = _case_rows("case__")

    def caseworker(user, membership) -> Q:
        return case_rows[Role.CASEWORKER](user, membership) | Q(to_user=user)

    def manager(user, membership) -> Q:
        return case_rows[Role.MANAGER](user, membership) | Q(to_organisation_id=membership.organisation_id)

    return {Role.CASEWORKER: caseworker, Role.MANAGER: manager}


def _reference_data(write: "Perm", *, organisation: str, area: str | None = None) -> dict:
    """Read whole by anyone holding the read permission; written (`write`) by the owning organisation."""
    return {None: ScopeRule(public=True), write: ScopeRule(organisation=organisation, area=area)}


MODEL_SCOPES: dict[str, ScopeRule | dict] = {
    "geography.codversion": ScopeRule(public=True),
    "geography.adminarea": ScopeRule(public=True),
    "geography.settlement": ScopeRule(public=True),
    "geography.crosswalk": ScopeRule(public=True),
    "accounts.organisation": ScopeRule(public=True),
    "accounts.user": ScopeRule(organisation="memberships__organisation", distinct=True, audit_reads=True),
    "accounts.membership": ScopeRule(organisation="organisation"),
    "accounts.devicecredential": ScopeRule(role_rows=dict.fromkeys(Role.values, _own_rows)),
    "api.apitoken": ScopeRule(role_rows=dict.fromkeys(Role.values, _own_rows)),
    # Reports: published versions are read by everyone with REPORT_VIEW (the selectors keep drafts to
    # their authors' organisation); the author organisation (and the IMO) edits.
    "reports.report": {
        None: ScopeRule(public=True),
        Perm.REPORT_EDIT: ScopeRule(organisation="organisation"),
    },
    "core.auditentry": ScopeRule(organisation="organisation"),
    "monitoring.incident": {
        # The IMO sees every organisation's incidents once submitted; drafts stay with their organisation.
        None: ScopeRule(
            organisation="organisation",
            area="area",
            audit_reads=True,
            role_rows={Role.IMO: lambda user, membership: ~Q(status="draft")},
        ),
        # Monitors and case workers change only their own drafts; managers their organisation's incidents.
        Perm.INCIDENT_EDIT: ScopeRule(
            organisation="organisation",
            area="area",
            role_rows={Role.MONITOR: _own_drafts, Role.CASEWORKER: _own_drafts},
        ),
        # The IMO reads the confidential account and coordinates only where the reporting organisation
        # shared them with the cluster.
        Perm.INCIDENT_CONFIDENTIAL: ScopeRule(
            organisation="organisation",
            area="area",
            role_rows={Role.IMO: lambda user, membership: Q(sharing_level="cluster")},
        ),
    },
    "monitoring.alertrule": ScopeRule(public=True),
    "monitoring.alert": ScopeRule(public=True),
    "monitoring.flashreport": ScopeRule(public=True),
    "monitoring.duplicatecandidate": ScopeRule(public=True),
    # Service directory: everyone finds services; providers (and the IMO) keep their own up to date.
    "directory.service": {
        None: ScopeRule(public=True),
        Perm.SERVICE_MANAGE: ScopeRule(organisation="provider"),
    },
    # Case management. Reaching a case (owner, collaborator, organisation manager, break-the-glass)
    # reaches its person and everything recorded on it.
    "cases.case": _case_scopes(audit_reads=True),
    "cases.person": {
        None: ScopeRule(
            organisation="organisation", area="area", distinct=True, role_rows=_person_rows(break_glass=False)
        ),
        Perm.PERSON_VIEW: ScopeRule(
            organisation="organisation",
            area="area",
            distinct=True,
            audit_reads=True,
            role_rows=_person_rows(break_glass=True),
        ),
    },
    "cases.assessment": _case_scopes("case__"),
    "cases.caseplan": _case_scopes("case__"),
    "cases.followup": _case_scopes("case__"),
    "cases.task": _case_scopes("case__"),
    "cases.casenote": _case_scopes("case__"),
    "cases.transfer": ScopeRule(
        organisation="case__organisation", area="case__area", distinct=True, role_rows=_transfer_rows()
    ),
    "cases.approval": _case_scopes("case__"),
    "cases.consent": _case_scopes("case__"),
    "cases.assistance": _case_scopes("case__"),
    "cases.reunification": _case_scopes("case__"),
    "cases.tracingmatch": _case_scopes("case__"),
    "cases.referral": {
        # The referring side sees its referrals like its cases.
        None: _case_rule("case__"),
        Perm.REFERRAL_VIEW: _case_rule("case__", break_glass=True),
        # The receiving side (service focal points, the provider's managers) sees what was sent to its
        # services, and only through the referral (minimum necessary): never the case itself.
        Perm.REFERRAL_RECEIVE: ScopeRule(organisation="service__provider"),
    },
    "cases.tracingrequest": ScopeRule(organisation="organisation", audit_reads=True),
    "ingest.importjob": ScopeRule(organisation="organisation"),
    # Population movement: aggregates everyone with the permission reads whole; the reporting
    # organisation (and the IMO) keeps its own figures up to date, within its areas.
    "displacement.populationfigure": _reference_data(
        Perm.POPULATION_MANAGE, organisation="organisation", area="area"
    ),
    "displacement.displacementevent": _reference_data(
        Perm.POPULATION_MANAGE, organisation="organisation", area="destination_area"
    ),
    "displacement.returnintention": _reference_data(
        Perm.POPULATION_MANAGE, organisation="organisation", area="area"
    ),
    "displacement.peopleinneed": _reference_data(
        Perm.POPULATION_MANAGE, organisation="organisation", area="area"
    ),
    # Programmes are public; their lead organisation (and the IMO) maintains them.
    "activities.programme": _reference_data(Perm.PROGRAMME_MANAGE, organisation="lead_organisation"),
    "activities.project": _reference_data(Perm.PROGRAMME_MANAGE, organisation="organisation"),
    "activities.reportingperiod": ScopeRule(public=True),
    # Activities: partner-scoped (organisation, then areas); the IMO reads and reviews every partner's.
    "activities.activity": ScopeRule(organisation="organisation", area="area"),
    "activities.activityreport": ScopeRule(organisation="organisation"),
    # Results frameworks: read by every permitted user; edited by the owner organisation (and the IMO).
    "activities.resultsframework": _reference_data(Perm.INDICATOR_EDIT, organisation="owner_organisation"),
    "activities.resultnode": _reference_data(
        Perm.INDICATOR_EDIT, organisation="framework__owner_organisation"
    ),
    "activities.indicator": _reference_data(
        Perm.INDICATOR_EDIT, organisation="framework__owner_organisation"
    ),
    "activities.indicatorvalue": _reference_data(
        Perm.INDICATOR_EDIT, organisation="indicator__framework__owner_organisation"
    ),
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


def rule_for(model, perm: Perm | None = None) -> ScopeRule:
    label = model._meta.label_lower
    try:
        rule = MODEL_SCOPES[label]
    except KeyError:
        raise ImproperlyConfigured(f"No scope rule for {label}: add one to MODEL_SCOPES.") from None
    if isinstance(rule, dict):
        return rule.get(perm, rule[None])
    return rule


def area_q(path: str, areas) -> Q:
    """Rows located in one of the areas' subtrees, in the same COD version (codes differ between versions)."""
    q = Q()
    for area in areas:
        q |= Q(**{f"{path}__path__startswith": area.path, f"{path}__version_id": area.version_id})
    return q


def membership_q(membership, *, organisation: str, area: str | None = None) -> Q:
    """The rows of the membership's organisation, within its areas when it has some."""
    q = Q(**{organisation: membership.organisation_id})
    areas = list(membership.areas.all())
    if areas and area:
        q &= area_q(area, areas)
    return q


def _membership_q(user, membership, rule: ScopeRule, perm: Perm) -> Q | None:
    """The rows one membership opens; None when it opens everything."""
    if membership.role in rule.role_rows:
        # A role's own filter is the whole answer: it applies organisation and areas itself if it needs them.
        return rule.role_rows[membership.role](user, membership)
    areas = list(membership.areas.all())
    if is_global(membership.role, perm):
        return area_q(rule.area, areas) if (areas and rule.area) else None
    if rule.organisation:
        return membership_q(membership, organisation=rule.organisation, area=rule.area)
    return Q(pk__in=[])


def has_perm(user, perm: Perm, obj: Model | None = None) -> bool:
    """May the user do `perm` at all (obj None), or on this object?"""
    granted = any(perm in ROLE_PERMISSIONS[m.role] for m in memberships_of(user))
    if not granted or obj is None:
        return granted
    return scope_queryset(user, type(obj)._default_manager.filter(pk=obj.pk), perm).exists()


can = has_perm


def ensure(user, perm: Perm, obj: Model | None = None, *, request=None) -> None:
    """For services: the user may `perm` (on `obj`), or the refusal is audited and PermissionDenied raised."""
    if has_perm(user, perm, obj):
        return
    audit_record(
        action=AuditAction.DENIED,
        outcome=AuditOutcome.DENIED,
        user=user,
        obj=obj,
        request=request,
        detail={"perm": str(perm)},
    )
    raise PermissionDenied


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
