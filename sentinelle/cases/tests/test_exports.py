"""Exports: the GBVIMS Incident Recorder (columns, order, consent filter, no identity) and the case list
(identity only for who may see it); formula injection neutralised; every export audited."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from sentinelle.cases.exports import IR_HEADERS, case_list_export, gbv_incident_recorder, safe_cell
from sentinelle.cases.tests.factories_cases import (
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)
from sentinelle.core.models import AuditAction, AuditEntry, Role
from sentinelle.core.permissions import ROLE_PERMISSIONS, Perm
from sentinelle.monitoring.tests.factories import cercle_of, gbv_incident_input, record_incident

pytestmark = pytest.mark.django_db

INJECTION = '=HYPERLINK("http://evil.example","x")'


def workbook(export):
    return load_workbook(io.BytesIO(export.content))


@pytest.fixture
def cercle(mopti):
    return cercle_of(mopti)


def gbv(actor, cercle, *, submit=True, **details):
    details.setdefault("survivor_code", f"S-{len(details)}-{id(details) % 1000}")
    return record_incident(actor, cercle, data=gbv_incident_input(cercle, gbv=details), submit=submit)


def test_the_incident_recorder_has_the_42_columns_in_order(manager, caseworker_in_area, cercle, alpha):
    consented = gbv(caseworker_in_area, cercle, survivor_code="S-0042", perpetrator_occupation=INJECTION)
    gbv(caseworker_in_area, cercle, survivor_code="S-NO", consent_to_report=False)
    gbv(caseworker_in_area, cercle, survivor_code="S-DRAFT", submit=False)
    export = gbv_incident_recorder(user=manager, organisation=alpha)
    book = workbook(export)
    assert book.sheetnames == ["Incident Data", "Menu Data"]
    sheet = book["Incident Data"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == IR_HEADERS and len(IR_HEADERS) == 42
    assert IR_HEADERS[0] == "ID de l'incident" and IR_HEADERS[19] == "Type de violence basé sur le genre"
    assert IR_HEADERS[41] == "Code de la structure rapportant le cas"
    assert len(rows) == 2 and export.rows == 1
    row = dict(zip(IR_HEADERS, rows[1], strict=True))
    assert row["ID de l'incident"] == consented.reference
    assert row["Code du survivant"] == "S-0042"
    assert row["Code de la structure rapportant le cas"] == "ALPHA"
    assert row["Région de l'incident"] == "Mopti"
    assert row["Date de naissance"] is None
    assert row["Profession du présumé auteur"] == "'" + INJECTION
    assert row["Code du gestionnaire de cas"].startswith("CM-")
    menu = list(book["Menu Data"].iter_rows(values_only=True))
    assert menu[0][0] == "Codes des gestionnaires de cas" and menu[1][0] == row["Code du gestionnaire de cas"]
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.detail["rows"] == 1 and entry.detail["export"] == "gbvims_incident_recorder"


def test_the_case_opened_from_an_incident_feeds_its_referral_columns(
    manager, caseworker_in_area, focal_point, beta, mopti, cercle, alpha
):
    incident = gbv(caseworker_in_area, cercle, referrals={})
    case = make_case(caseworker_in_area, commune_in(mopti, "Konna"), incident=incident)
    consent_for(caseworker_in_area, case, organisations=[beta])
    make_referral(
        caseworker_in_area, case, make_service(beta, case.area, "legal", focal_points=[focal_point])
    )
    sheet = workbook(gbv_incident_recorder(user=manager, organisation=alpha))["Incident Data"]
    row = dict(zip(IR_HEADERS, next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    assert row["Service d'assistance légale"] not in (None, "")
    assert row["Soins médicaux"] is None
    assert row["Code du gestionnaire de cas"] == f"CM-{caseworker_in_area.pk:04d}"


@pytest.mark.parametrize(
    "actor", ["caseworker_in_area", "imo", "focal_point", "reader", "outsider", "monitor"]
)
def test_only_the_organisations_managers_export_its_incident_recorder(request, alpha, actor):
    user = request.getfixturevalue(actor)
    with pytest.raises(PermissionDenied):
        gbv_incident_recorder(user=user, organisation=alpha)
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=user).exists()


def test_the_case_list_export_shows_identity_to_the_manager(manager, caseworker_in_area, mopti):
    case = make_case(caseworker_in_area, commune_in(mopti, "Koro"), given_name="Oumou")
    export = case_list_export(user=manager)
    rows = list(workbook(export).active.iter_rows(values_only=True))
    assert "Given name" in rows[0] or "Prénom" in rows[0]
    assert rows[1][0] == case.case_number and "Oumou" in rows[1]
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.detail == {"export": "case_list", "format": "xlsx", "rows": 1, "identity": True}


def test_without_person_view_the_export_has_codes_only(monkeypatch, manager, caseworker_in_area, mopti):
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.MANAGER, ROLE_PERMISSIONS[Role.MANAGER] - {Perm.PERSON_VIEW})
    case = make_case(caseworker_in_area, commune_in(mopti, "Koro"), given_name="Oumou")
    export = case_list_export(user=manager, fmt="csv")
    assert export.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[1][:2] == [case.case_number, case.person.person_code]
    assert len(rows[0]) == 17
    assert b"Oumou" not in export.content and "Traoré".encode() not in export.content


def test_the_case_list_export_is_for_managers_only(caseworker_in_area, imo, focal_point, mopti):
    make_case(caseworker_in_area, commune_in(mopti, "Koro"))
    for user in (caseworker_in_area, imo, focal_point):
        with pytest.raises(PermissionDenied):
            case_list_export(user=user)
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_another_organisations_manager_exports_none_of_alphas_cases(outsider, caseworker_in_area, mopti):
    make_case(caseworker_in_area, commune_in(mopti, "Koro"))
    assert case_list_export(user=outsider).rows == 0


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+33", "'+33"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Mopti", "Mopti"),
        (5, 5),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected
