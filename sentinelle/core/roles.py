"""The data of the permission policy: the permission catalogue, what each role may do, where a role's
grant reaches, which roles must pass two-factor authentication, the order of roles, and a user's active
memberships.

Only `core/permissions.py` reads this module (an import-linter contract in pyproject.toml says so):
every other module asks the policy its questions (`has_perm`, `scope_queryset`, `may_act_for`, `ensure`,
`organisations_for`...) instead of reading memberships or these tables. `Perm` is re-exported by the policy.
"""

from enum import StrEnum

from sentinelle.core.models import Role


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
    # Survivor-level GBV data (GBVIMS: the survivor, the classification tool, consent) belong to GBV service
    # providers; protection monitors record GBV allegations without them (issue 14, point 2).
    GBV_SURVIVOR_RECORD = "gbv.survivor_record"
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
    # The page of one's own devices (/compte/appareils/): collection phones (ODK Collect, KoboCollect) for
    # those who record incidents, offline case work (/hors-ligne/) for those who edit cases.
    DEVICE_MANAGE = "device.manage"
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
    Perm.DEVICE_MANAGE,
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
# GBV case workers and their managers hold survivor details (GBVIMS intake, with consent); no monitor does.
_RECORDS_GBV_SURVIVORS = {Perm.GBV_SURVIVOR_RECORD}
_RECORDS_INCIDENTS = {
    Perm.DEVICE_MANAGE,
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
            # The cluster IMO sets the alert rules: which incidents or movements call for a flash report.
            Perm.ALERT_RULE_MANAGE,
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
        | _RECORDS_GBV_SURVIVORS
    ),
    Role.CASEWORKER: frozenset(
        _EVERYONE | _RECORDS_INCIDENTS | _MANAGES_CASES | _REPORTS_ACTIVITIES | _RECORDS_GBV_SURVIVORS
    ),
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
    Perm.ALERT_RULE_MANAGE: _IMO,
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

# The order of roles: no one acts on a user who holds a role above theirs anywhere (design §6). Roles of
# equal rank may act on each other where their permissions allow (a manager on another manager of the
# same organisation).
ROLE_RANK: dict[str, int] = {
    Role.ADMIN: 5,
    Role.IMO: 4,
    Role.MANAGER: 3,
    Role.CASEWORKER: 2,
    Role.MONITOR: 2,
    Role.FOCAL_POINT: 2,
    Role.READER: 1,
}

# Roles that must pass two-factor authentication before any protected page (design §6).
ROLES_REQUIRING_2FA = frozenset({Role.ADMIN, Role.MANAGER, Role.CASEWORKER})


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
