"""The scope rules of the policy (core/permissions.py): for each model, which rows a membership opens.

Data, read by the policy alone: `ScopeRule` says how a row belongs to an organisation and an area, which roles
see only their own rows, and whether reads are audited; `MODEL_SCOPES` gives each model its rule (a dict
keyed by permission when the rule differs by permission, None being the default).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q

from sentinelle.core.models import Role
from sentinelle.core.roles import Perm


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
    # Users as the object of an action: only those who hold no role above the actor's anywhere.
    rank_limited: bool = False
    # Rows the user created stay in their scope within the organisation, whatever the membership's areas
    # (a record whose area is known only later, such as an import job before validation).
    creator: str | None = None


def _own_drafts(user, membership) -> Q:
    return Q(created_by=user, status="draft", organisation_id=membership.organisation_id)


def _own_rows(user, membership) -> Q:
    return Q(user=user)


def _own_requests(user, membership) -> Q:
    return Q(requested_by=user)


def _no_rows(user, membership) -> Q:
    return Q(pk__in=[])


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
    "accounts.user": {
        None: ScopeRule(organisation="memberships__organisation", distinct=True, audit_reads=True),
        # Acting on a user (edit, deactivate, unlock, reset 2FA, memberships) follows the role order.
        Perm.USER_MANAGE: ScopeRule(
            organisation="memberships__organisation", distinct=True, audit_reads=True, rank_limited=True
        ),
    },
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
        # Staff limited to areas receive the referrals to their organisation's services in those areas.
        Perm.REFERRAL_RECEIVE: ScopeRule(organisation="service__provider", area="service__area"),
    },
    "cases.tracingrequest": ScopeRule(organisation="organisation", audit_reads=True),
    # Access across organisations: the requester sees their own requests; the managers of the organisation
    # that holds the case (within their areas) decide. An administrator's global reach decides nothing
    # for an organisation: only its own managers grant access to its cases.
    "cases.caseaccessrequest": {
        None: ScopeRule(role_rows=dict.fromkeys(Role.values, _own_requests)),
        Perm.CASE_APPROVE: ScopeRule(
            organisation="case__organisation", area="case__area", role_rows={Role.ADMIN: _no_rows}
        ),
    },
    # A job shows its rows (preview, errors): staff limited to areas see the jobs whose rows all lie in
    # their areas (the job's covering area, known once validated), and the jobs they uploaded.
    "ingest.importjob": ScopeRule(organisation="organisation", area="area", creator="created_by"),
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
