"""What each role finds in the navigation and on the home page; entries appear only when permitted."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from sentinelle.core.permissions import Perm, has_perm


@dataclass(frozen=True)
class Entry:
    perm: Perm
    url_name: str
    label: str
    description: str = ""


NAVIGATION: list[Entry] = [
    Entry(Perm.HOME_VIEW, "core:home", _("Home")),
    Entry(Perm.CASE_VIEW, "cases:my-cases", _("Cases")),
    Entry(Perm.REFERRAL_RECEIVE, "cases:referral-queue", _("Referrals received")),
    Entry(Perm.INCIDENT_VIEW, "monitoring:incident-list", _("Incidents")),
    Entry(Perm.ALERT_VIEW, "monitoring:alert-list", _("Alerts")),
    Entry(Perm.SERVICE_VIEW, "directory:service-list", _("Services")),
    Entry(Perm.POPULATION_VIEW, "displacement:overview", _("Displacement")),
    Entry(Perm.FOURW_VIEW, "activities:fourw-matrix", _("4W")),
    Entry(Perm.INDICATOR_VIEW, "activities:framework-list", _("Results")),
    Entry(Perm.DASHBOARD_VIEW, "reports:dashboard-national", _("Dashboards")),
    Entry(Perm.REPORT_VIEW, "reports:report-list", _("Reports")),
    Entry(Perm.IMPORT_RUN, "ingest:job-list", _("Imports")),
    Entry(Perm.GEOGRAPHY_VIEW, "geography:area-list", _("Geography")),
    Entry(Perm.ORGANISATION_VIEW, "accounts:organisation-list", _("Organisations")),
    Entry(Perm.USER_VIEW, "accounts:user-list", _("Users")),
    Entry(Perm.AUDIT_VIEW, "core:audit-list", _("Audit log")),
]

HOME_SECTIONS: list[Entry] = [
    Entry(
        Perm.CASE_VIEW,
        "cases:my-cases",
        _("My cases"),
        _("Your cases by risk, overdue tasks and the answers to your referrals."),
    ),
    Entry(
        Perm.CASE_EDIT,
        "offline:app",
        _("Work offline"),
        _("Your open cases on this phone or tablet, encrypted, to work for days without a connection."),
    ),
    Entry(
        Perm.PERSON_CREATE,
        "cases:person-find",
        _("Register a person"),
        _("Search first, so that nobody is registered twice; then open a case."),
    ),
    Entry(
        Perm.REFERRAL_RECEIVE,
        "cases:referral-queue",
        _("Referrals received"),
        _("Accept or decline referrals to your services and record the service given."),
    ),
    Entry(
        Perm.CASE_APPROVE,
        "cases:dashboard",
        _("Organisation dashboard"),
        _("Case load by risk, overdue tasks and referrals; approvals waiting for you."),
    ),
    Entry(
        Perm.TRACING_VIEW,
        "cases:tracing-list",
        _("Family tracing"),
        _("Tracing requests and proposed matches with registered children."),
    ),
    Entry(
        Perm.CASE_STATS,
        "cases:referral-statistics",
        _("Referral statistics"),
        _("Referred, accepted, declined and completed, by service type, organisation and area."),
    ),
    Entry(
        Perm.INCIDENT_CREATE,
        "monitoring:incident-create",
        _("Record an incident"),
        _("Record a protection incident: victims, GBV, grave violations, explosive ordnance."),
    ),
    Entry(
        Perm.INCIDENT_VIEW,
        "monitoring:incident-list",
        _("Incidents"),
        _("Find, review and verify incidents; link reports of the same event."),
    ),
    Entry(
        Perm.DUPLICATE_REVIEW,
        "monitoring:duplicate-list",
        _("Possible duplicates"),
        _("Incidents reported by several sources that may be the same event."),
    ),
    Entry(
        Perm.ALERT_VIEW,
        "monitoring:alert-list",
        _("Alerts"),
        _("Alerts raised by the rules, and flash reports to edit and publish."),
    ),
    Entry(
        Perm.ALERT_RULE_MANAGE,
        "monitoring:alert-rule-list",
        _("Alert rules"),
        _("What raises an alert: categories, areas, thresholds and time windows."),
    ),
    Entry(
        Perm.AREA_FOLLOW,
        "monitoring:area-follow-list",
        _("Followed areas"),
        _("Receive an e-mail when an alert is raised in the areas you follow."),
    ),
    Entry(
        Perm.DASHBOARD_VIEW,
        "reports:dashboard-national",
        _("Protection dashboards"),
        _("What happened where: incidents, victims, GBV, grave violations, displacement, referrals, 4W."),
    ),
    Entry(
        Perm.REPORT_VIEW,
        "reports:report-list",
        _("Reports"),
        _("The monthly protection analysis, programme reports and flash reports, as PDF and XLSX."),
    ),
    Entry(
        Perm.POPULATION_VIEW,
        "displacement:overview",
        _("Population movement"),
        _("Displacement by cercle and status, trends, events, return intentions and people in need."),
    ),
    Entry(
        Perm.ACTIVITY_EDIT,
        "activities:report-list",
        _("Monthly 4W report"),
        _("Report your organisation's activities of the month: who does what, where, for whom."),
    ),
    Entry(
        Perm.FOURW_VIEW,
        "activities:fourw-matrix",
        _("Who does what where (4W)"),
        _("Partners' validated activities by area, type and period, with people reached; XLSX and HXL."),
    ),
    Entry(
        Perm.INDICATOR_VIEW,
        "activities:framework-list",
        _("Results frameworks"),
        _("Each programme's indicators against their targets, computed from Sentinelle's records."),
    ),
    Entry(
        Perm.IMPORT_RUN,
        "ingest:job-list",
        _("Imports"),
        _("Import incidents from the Sentinelle template, an HXL file or a Kobo export."),
    ),
    Entry(
        Perm.INCIDENT_CREATE,
        "openrosa:help",
        _("Mobile collection"),
        _("Send incidents from ODK Collect or KoboCollect, even offline."),
    ),
    Entry(
        Perm.SERVICE_VIEW,
        "directory:service-list",
        _("Service directory"),
        _("Find health, psychosocial, legal, civil documentation and other services by commune and type."),
    ),
    Entry(
        Perm.SERVICE_MANAGE,
        "directory:service-create",
        _("Add a service"),
        _("Keep your organisation's services, hours and contacts up to date."),
    ),
    Entry(
        Perm.GEOGRAPHY_VIEW,
        "geography:area-list",
        _("Geography"),
        _("Browse regions, cercles, communes and settlements with their P-codes."),
    ),
    Entry(
        Perm.ORGANISATION_VIEW,
        "accounts:organisation-list",
        _("Organisations"),
        _("The partners, state services and community structures working in Sentinelle."),
    ),
    Entry(
        Perm.ORGANISATION_MANAGE,
        "accounts:organisation-create",
        _("Add an organisation"),
        _("Register a new partner, state service or community structure."),
    ),
    Entry(
        Perm.USER_MANAGE,
        "accounts:user-list",
        _("Manage accounts"),
        _("Create accounts, give roles and areas, unlock or deactivate users."),
    ),
    Entry(
        Perm.DEVICE_MANAGE,
        "accounts:device-list",
        _("My devices"),
        _("Passwords for ODK Collect and KoboCollect, and the devices prepared for offline case work."),
    ),
    Entry(
        Perm.API_TOKEN_MANAGE,
        "api-pages:token-list",
        _("API tokens"),
        _("Tokens for Power BI, Excel or another system to read Sentinelle's figures through the API."),
    ),
    Entry(
        Perm.AUDIT_VIEW,
        "core:audit-list",
        _("Audit log"),
        _("See who signed in, read, changed or exported protected data, and every refusal."),
    ),
]


def _visible(user, entries: list[Entry]) -> list[dict]:
    visible = []
    for entry in entries:
        if not has_perm(user, entry.perm):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        visible.append({"url": url, "label": entry.label, "description": entry.description})
    return visible


def home_sections(user) -> list[dict]:
    return _visible(user, HOME_SECTIONS)


def navigation_for(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    return _visible(user, NAVIGATION)
