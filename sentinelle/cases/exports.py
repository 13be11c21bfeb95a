"""Exports of case management: the GBVIMS Incident Recorder workbook and the case list (XLSX or CSV).

The Incident Recorder (standards §1.2) has the 42 columns of the IR "Incident Data" sheet in their order,
with the French IR headers, one row per GBV incident of the organisation whose survivor consented to
reporting (consent_to_report), submitted or verified, classified as GBV; and a "Menu Data" sheet with
the codes and places used. It carries no identity: the survivor code, never a name; the date of birth
column stays empty (Sentinelle records the age at the incident, not a birth date); ethnicity and country
of origin are not recorded and stay empty. The case manager code is the case worker of the case opened
from the incident, or whoever recorded it ("CM-0042"), never a name. Referral statuses come from the
incident, completed with the referrals of the case opened from it ("Nothing is typed twice").

The case list export has identity columns only for a user with Perm.PERSON_VIEW, filled only for the
persons they may see; others get person codes only. Every cell that a spreadsheet would read as a
formula is neutralised, and every export is audited (EXPORT) with its counts, never its content.

The monitoring models are reached through the app registry: the cases package does not import the
monitoring package (import-linter).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sentinelle.cases.models import (
    CaseStatus,
    CaseStep,
    CaseType,
    ClosureReason,
    Person,
    ReferralStatus,
    RiskLevel,
)
from sentinelle.cases.selectors.cases import case_list, case_steps, persons_visible, scoped_cases
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import AgeGroup, Sex
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure, has_perm, organisations_in_scope, scope_queryset
from sentinelle.core.spreadsheets import safe_cell

__all__ = ["IR_HEADERS", "ExportFile", "case_list_export", "gbv_incident_recorder", "safe_cell"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


@dataclass
class ExportFile:
    filename: str
    content_type: str
    content: bytes
    rows: int


def _workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- GBVIMS Incident Recorder ---------------------------------------------------------------------

# Standards §1.2, in order. Columns 17-18 (county, district) are Mali's region and cercle.
IR_HEADERS = [
    "ID de l'incident",
    "Code du survivant",
    "Code du gestionnaire de cas",
    "Date de l'interview",
    "Date de l'incident",
    "Date de naissance",
    "Sexe",
    "Ethnie",
    "Pays d'origine",
    "Situation civil / matrimoniale",
    "Statut de déplacement au moment de la déclaration",
    "Personne vivant avec un handicap ?",
    "Enfant non accompagné ou séparé ?",
    "Etape du déplacement au moment de l'incident",
    "Moment de l'incident",
    "Lieu de l'incident",
    "Région de l'incident",
    "Cercle de l'incident",
    "Ville où a eu lieu l'incident",
    "Type de violence basé sur le genre",
    "Pratique traditionnel néfaste",
    "Argent, biens, bénéfice ou services échangés ?",
    "Type d'enlèvement",
    "a précédemment rapporté cet Incident?",
    "Précédent incident de VBG",
    "Nombre de présumé(s) auteurs primaires",
    "Sexe du présumé auteur",
    "Précédent incident avec cet auteur",
    "Tranche d'âge du présumé auteur",
    "Relation entre la survivante et le présumé auteur",
    "Profession du présumé auteur",
    "Référé par",
    "Hébergement sûr / Abris",
    "Soins médicaux",
    "Appui psychosocial",
    "Besoin d'une action légale",
    "Service d'assistance légale",
    "Police/ autres acteur de la sécurité",
    "Programme d'appui aux moyens de subsistances",
    "Services Protection de l'enfance et d'éducation",
    "Consentement obtenu",
    "Code de la structure rapportant le cas",
]
# The IR's service columns (33-40, without 36) and the directory's service types that feed them.
IR_SERVICE_COLUMNS = [
    "safe_house",
    "health",
    "psychosocial",
    "legal",
    "police",
    "livelihoods",
    "child_protection",
]
# The IR's referral status values (standards §1.2; the same codes and wording as the monitoring forms).
IR_REFERRAL_STATUS = {
    "referred": _("Referred"),
    "provided_by_agency": _("Service provided by your agency"),
    "already_received": _("Services already received from another agency"),
    "not_applicable": _("Service not applicable"),
    "declined": _("Referral declined by survivor"),
    "unavailable": _("Service unavailable"),
}
SERVICE_TYPE_TO_IR = {
    "shelter": "safe_house",
    "health": "health",
    "pss": "psychosocial",
    "legal": "legal",
    "security": "police",
    "livelihood": "livelihoods",
    "child_protection": "child_protection",
    "education": "child_protection",
}


def _label(obj, name: str) -> str:
    """The French label of a choice field's value ("" when empty)."""
    value = getattr(obj, name)
    return str(getattr(obj, f"get_{name}_display")()) if value not in ("", None) else ""


def _manager_code(user_id: int | None) -> str:
    return f"CM-{user_id:04d}" if user_id else ""


def _gbv_incidents(user, organisation, date_from, date_to):
    Incident = apps.get_model("monitoring", "Incident")
    GBVIncident = apps.get_model("monitoring", "GBVIncident")
    visible = scope_queryset(user, Incident.objects.filter(organisation=organisation), Perm.INCIDENT_VIEW)
    rows = (
        GBVIncident.objects.filter(
            incident__in=visible.values("pk"),
            incident__status__in=["submitted", "verified"],
            incident__is_archived=False,
            consent_to_report=True,
        )
        .exclude(gbv_type="non_gbv")
        .select_related("incident", "incident__area", "incident__settlement")
        # The confidential account and coordinates are never loaded for an export.
        .defer("incident__account", "incident__coordinates")
        .order_by("incident__date_reported", "incident__reference")
    )
    if date_from:
        rows = rows.filter(incident__date_reported__gte=date_from)
    if date_to:
        rows = rows.filter(incident__date_reported__lte=date_to)
    return list(rows)


def _case_facts(incident_ids: list[int]) -> tuple[dict[int, int], dict[int, set[str]]]:
    """Per incident: the owner of the case opened from it, and the IR services it was referred to."""
    Case = apps.get_model("cases", "Case")
    Referral = apps.get_model("cases", "Referral")
    owners = dict(
        Case.objects.filter(incident_id__in=incident_ids)
        .order_by("id")
        .values_list("incident_id", "owner_id")
    )
    referred: dict[int, set[str]] = {}
    rows = (
        Referral.objects.filter(case__incident_id__in=incident_ids)
        .exclude(status__in=[ReferralStatus.CANCELLED, ReferralStatus.DECLINED])
        .values_list("case__incident_id", "service_type")
    )
    for incident_id, service_type in rows:
        if service_type in SERVICE_TYPE_TO_IR:
            referred.setdefault(incident_id, set()).add(SERVICE_TYPE_TO_IR[service_type])
    return owners, referred


def _ancestors(incidents) -> dict[tuple[int, str], str]:
    AdminArea = apps.get_model("geography", "AdminArea")
    keys = {(i.area.version_id, p) for i in incidents for p in i.area.path.strip("/").split("/")}
    if not keys:
        return {}
    rows = AdminArea.objects.filter(
        version_id__in={v for v, _p in keys}, pcode__in={p for _v, p in keys}
    ).values_list("version_id", "pcode", "name_fr", "level")
    return {(v, p): (name, level) for v, p, name, level in rows}


def _place(incident, names) -> tuple[str, str, str]:
    """Region, cercle, and town (the settlement, else the commune) of the incident."""
    found = {}
    for pcode in incident.area.path.strip("/").split("/"):
        name, level = names.get((incident.area.version_id, pcode), ("", None))
        found[level] = name
    town = incident.settlement.name if incident.settlement_id else found.get(3, "")
    return found.get(1, ""), found.get(2, ""), town


def _ir_row(gbv, organisation, names, owners, referred) -> list:
    incident = gbv.incident
    region, cercle, town = _place(incident, names)
    statuses = dict(gbv.referrals or {})
    services = {}
    for column in IR_SERVICE_COLUMNS:
        code = statuses.get(column) or ("referred" if column in referred.get(incident.pk, set()) else "")
        services[column] = str(IR_REFERRAL_STATUS.get(code, code))
    count = gbv.perpetrator_count
    return [
        incident.reference,
        gbv.survivor_code,
        _manager_code(owners.get(incident.pk) or incident.created_by_id),
        incident.date_reported,
        incident.date_start,
        "",
        _label(gbv, "survivor_sex"),
        "",
        "",
        _label(gbv, "marital_status"),
        _label(gbv, "displacement_status"),
        _label(gbv, "disability"),
        _label(gbv, "separation_status"),
        _label(gbv, "displacement_stage"),
        _label(gbv, "time_of_day"),
        _label(gbv, "location_type"),
        region,
        cercle,
        town,
        _label(gbv, "gbv_type"),
        _label(gbv, "harmful_practice"),
        _label(gbv, "goods_exchanged"),
        _label(gbv, "abduction_type"),
        _label(gbv, "reported_elsewhere"),
        _label(gbv, "previous_incidents"),
        str(count) if count <= 3 else gettext("More than 3"),
        _label(gbv, "perpetrator_sex"),
        _label(gbv, "previous_incident_with_perpetrator"),
        _label(gbv, "perpetrator_age_group"),
        _label(gbv, "perpetrator_relationship"),
        gbv.perpetrator_occupation,
        _label(gbv, "referred_from"),
        services["safe_house"],
        services["health"],
        services["psychosocial"],
        _label(gbv, "wants_legal_action"),
        services["legal"],
        services["police"],
        services["livelihoods"],
        services["child_protection"],
        gettext("Yes"),
        organisation.acronym,
    ]


# Menu Data: the value lists of the IR's menu columns, from the GBV model's own choices.
_MENU_FIELDS = [
    ("Sexe", "survivor_sex"),
    ("Situation civil / matrimoniale", "marital_status"),
    ("Statut de déplacement", "displacement_status"),
    ("Handicap", "disability"),
    ("Enfant non accompagné ou séparé", "separation_status"),
    ("Etape du déplacement", "displacement_stage"),
    ("Moment de l'incident", "time_of_day"),
    ("Lieu de l'incident", "location_type"),
    ("Type de VBG", "gbv_type"),
    ("Pratique traditionnelle néfaste", "harmful_practice"),
    ("Type d'enlèvement", "abduction_type"),
    ("Précédemment rapporté", "reported_elsewhere"),
    ("Tranche d'âge du présumé auteur", "perpetrator_age_group"),
    ("Relation avec le présumé auteur", "perpetrator_relationship"),
    ("Référé par", "referred_from"),
    ("Action légale", "wants_legal_action"),
]


def _menu_sheet(sheet, rows: list[list]) -> None:
    GBVIncident = apps.get_model("monitoring", "GBVIncident")
    columns = [
        ("Codes des gestionnaires de cas", sorted({r[2] for r in rows if r[2]})),
        ("Régions", sorted({r[16] for r in rows if r[16]})),
        ("Cercles", sorted({r[17] for r in rows if r[17]})),
        ("Villes / communes", sorted({r[18] for r in rows if r[18]})),
    ]
    for header, name in _MENU_FIELDS:
        columns.append((header, [str(label) for _code, label in GBVIncident._meta.get_field(name).choices]))
    columns.append(("Statut de la référence", [str(label) for label in IR_REFERRAL_STATUS.values()]))
    for index, (header, values) in enumerate(columns, start=1):
        sheet.cell(row=1, column=index, value=header)
        for offset, value in enumerate(values, start=2):
            sheet.cell(row=offset, column=index, value=safe_cell(value))


def _require_export(user, organisation=None, request=None) -> None:
    """Perm.CASE_EXPORT at all, or for `organisation` when one is named (refused and audited otherwise)."""
    named = {"organisation": organisation} if organisation is not None else {}
    ensure(
        user,
        Perm.CASE_EXPORT,
        **named,
        object_type="cases.case",
        request=request,
        message=gettext("You are not allowed to export these data."),
    )


def gbv_incident_recorder(
    *, user, organisation, date_from: date | None = None, date_to: date | None = None, request=None
) -> ExportFile:
    """The organisation's GBVIMS Incident Recorder (Perm.CASE_EXPORT for that organisation; incidents
    within the user's incident scope), by date of interview (date reported) when dates are given."""
    from openpyxl import Workbook

    _require_export(user, organisation, request)
    with translation.override("fr"):
        incidents = _gbv_incidents(user, organisation, date_from, date_to)
        owners, referred = _case_facts([g.incident_id for g in incidents])
        names = _ancestors([g.incident for g in incidents])
        rows = [_ir_row(g, organisation, names, owners, referred) for g in incidents]
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Incident Data"
        sheet.append(IR_HEADERS)
        for row in rows:
            sheet.append([safe_cell(value) for value in row])
        for column in ("D", "E"):
            for cell in sheet[column][1:]:
                cell.number_format = "DD/MM/YYYY"
        sheet.freeze_panes = "A2"
        _menu_sheet(workbook.create_sheet("Menu Data"), rows)
    audit_record(
        action=AuditAction.EXPORT,
        user=user,
        organisation=organisation,
        object_type="monitoring.gbvincident",
        request=request,
        detail={
            "export": "gbvims_incident_recorder",
            "organisation": organisation.acronym,
            "rows": len(rows),
            "date_from": date_from.isoformat() if date_from else "",
            "date_to": date_to.isoformat() if date_to else "",
        },
    )
    stamp = timezone.localdate().isoformat()
    return ExportFile(f"IR_{organisation.acronym}_{stamp}.xlsx", XLSX, _workbook_bytes(workbook), len(rows))


# --- Case list ------------------------------------------------------------------------------------


def _choice(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else (value or "")


def case_list_export(*, user, filters=None, fmt: str = "xlsx", request=None) -> ExportFile:
    """The cases of the user's organisation(s) that case_list returns with these filters (Perm.CASE_EXPORT;
    cases opened by break-the-glass are never exported). Identity columns (given and family name) only
    for a user with Perm.PERSON_VIEW, filled for the persons they may see; codes only otherwise."""
    from openpyxl import Workbook

    if fmt not in ("xlsx", "csv"):
        raise ValueError(fmt)
    _require_export(user, request=request)
    cases = (
        case_list(user=user, filters=filters)
        .filter(pk__in=scoped_cases(user, Perm.CASE_EXPORT).values("pk"))
        .select_related("person", "area", "owner", "organisation")
    )
    organisations = organisations_in_scope(user, Perm.CASE_EXPORT)
    if organisations is not None:
        cases = cases.filter(organisation_id__in=organisations)
    cases = list(cases)
    identity = has_perm(user, Perm.PERSON_VIEW)
    visible = persons_visible(user, {c.person_id for c in cases}) if identity else set()
    steps = case_steps(cases)
    headers = [gettext("Case number"), gettext("Person code")]
    if identity:
        headers += [gettext("Given name"), gettext("Family name")]
    headers += [
        gettext("Sex"),
        gettext("Age group"),
        gettext("Type of case"),
        gettext("Status"),
        gettext("Risk level"),
        gettext("Step"),
        gettext("Organisation"),
        gettext("Case worker code"),
        gettext("Commune"),
        gettext("P-code"),
        gettext("Opened on"),
        gettext("Closed on"),
        gettext("Reason for closure"),
        gettext("Overdue tasks"),
        gettext("Referrals under way"),
    ]
    rows = []
    for case in cases:
        person: Person = case.person
        row = [case.case_number, person.person_code]
        if identity:
            shown = person.pk in visible
            row += [person.given_name if shown else "", person.family_name if shown else ""]
        row += [
            _choice(Sex, person.sex),
            _choice(AgeGroup, person.age_group),
            _choice(CaseType, case.case_type),
            _choice(CaseStatus, case.status),
            _choice(RiskLevel, case.risk_level),
            _choice(CaseStep, steps[case.pk]),
            case.organisation.acronym,
            _manager_code(case.owner_id),
            case.area.name_fr,
            case.area.pcode,
            case.opened_on,
            case.closed_on,
            _choice(ClosureReason, case.closure_reason),
            case.overdue_tasks,
            case.active_referrals,
        ]
        rows.append([safe_cell(value) for value in row])
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        # A byte-order mark so that Excel opens the accents right.
        content, content_type = ("\ufeff" + buffer.getvalue()).encode(), CSV
    else:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = gettext("Cases")[:31]
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        content, content_type = _workbook_bytes(workbook), XLSX
    audit_record(
        action=AuditAction.EXPORT,
        user=user,
        object_type="cases.case",
        request=request,
        detail={"export": "case_list", "format": fmt, "rows": len(rows), "identity": bool(visible)},
    )
    return ExportFile(f"dossiers_{stamp}.{fmt}", content_type, content, len(rows))
