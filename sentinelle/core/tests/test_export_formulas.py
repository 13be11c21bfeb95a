"""Every spreadsheet Sentinelle writes neutralises formulas (CSV/formula injection).

The dashboards' hand-counted world is built, then its places, organisations, services and persons are
renamed with text a spreadsheet would run (= + - @ tab CR): as if a COD import, an organisation's
administrator or a case worker had typed them. Every export is then read back cell by cell: no cell may
be a formula, no text cell may start with a formula character, and the hostile names must be there,
quoted by core.spreadsheets.safe_cell (the one helper).
"""

import csv
import datetime
import io
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from rest_framework.test import APIClient

from sentinelle.accounts.models import Organisation
from sentinelle.activities.exports import fourw_csv, fourw_xlsx
from sentinelle.activities.selectors.reporting import fourw_activities
from sentinelle.api.tokens import api_token_create
from sentinelle.cases.exports import case_list_export, gbv_incident_recorder
from sentinelle.cases.models import Person
from sentinelle.core import datasets
from sentinelle.core.disclosure import Audience
from sentinelle.core.spreadsheets import FORMULA_PREFIXES, safe_cell
from sentinelle.directory.exports import services_workbook
from sentinelle.directory.models import Service
from sentinelle.geography.models import AdminArea
from sentinelle.ingest.workbooks import errors_csv
from sentinelle.reports.dashboards.figures import FIGURES
from sentinelle.reports.models import ReportKind
from sentinelle.reports.services import report_generate
from sentinelle.reports.tests.dashboards_world import world_fixture  # noqa: F401
from sentinelle.reports.xlsx_reports import report_xlsx

pytestmark = pytest.mark.django_db

HOSTILE = {
    "ML05": '=HYPERLINK("http://exemple.invalid","Mopti")',
    "ML04": "+Ségou",
    "ML0501": "-2+3 Bandiagara",
    "ML050101": "@SUM(A1) Dourou",
    "ML0401": "\t=1+1 Ségou",
}
ORGANISATION_NAME = "=cmd|' /C calc'!A0"
SERVICE_NAME = '=WEBSERVICE("http://exemple.invalid")'
GIVEN_NAME = "=1+1"


def test_safe_cell_quotes_every_formula_prefix_and_nothing_else():
    for prefix in FORMULA_PREFIXES:
        assert safe_cell(prefix + "1") == "'" + prefix + "1"
    for value in ("Mopti", "", " =1", "1-2", "a=b", 3, -3, 2.5, None, datetime.date(2024, 1, 1)):
        assert safe_cell(value) == value

    @settings(max_examples=50, deadline=None, derandomize=True, database=None)
    @given(st.text(max_size=20))
    def check(text):
        cell = safe_cell(text)
        assert not cell.startswith(FORMULA_PREFIXES)
        assert cell in (text, "'" + text)

    check()


@pytest.fixture
def hostile_world(world, alpha, beta):
    for pcode, name in HOSTILE.items():
        AdminArea.objects.filter(pcode=pcode).update(name_fr=name)
    Organisation.objects.filter(pk=alpha.pk).update(name=ORGANISATION_NAME)
    Service.objects.update(name=SERVICE_NAME)
    for person in Person.objects.all():
        person.given_name = GIVEN_NAME
        person.save()
    return world


def _csv_cells(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig")
    dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return [cell for row in csv.reader(io.StringIO(text), delimiter=dialect) for cell in row]


def _xlsx_cells(content: bytes) -> list:
    workbook = load_workbook(io.BytesIO(content))  # not data_only: a formula would stay a formula
    cells = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if cell.value is not None:
                    cells.append(cell.value)
    return cells


def assert_neutralised(name: str, content: bytes, fmt: str, *, expect: tuple[str, ...] = ()) -> list:
    cells = _xlsx_cells(content) if fmt == "xlsx" else _csv_cells(content)
    texts = [cell for cell in cells if isinstance(cell, str)]
    running = [text for text in texts if text.startswith(FORMULA_PREFIXES) and not _is_number(text)]
    assert not running, (name, fmt, running[:5])
    for value in expect:
        assert "'" + value in texts, (name, fmt, value, texts[:40])
    return texts


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def test_dashboard_tables(hostile_world, signed_in, imo, reader):
    for user in (imo, reader):
        client = signed_in(user)
        reached = set()
        for key in FIGURES:
            for fmt in ("csv", "xlsx"):
                response = client.get(reverse("reports:dashboard-export", args=[key, fmt]))
                assert response.status_code == 200, (key, fmt)
                texts = assert_neutralised(f"dashboard {key}", response.content, fmt)
                reached |= {value for value in HOSTILE.values() if "'" + value in texts}
        assert len(reached) >= 2, reached  # the hostile place names did reach the tables


def test_api_statistics_csv_and_hxl(hostile_world, imo):
    _token, secret = api_token_create(actor=imo, label="formulas")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    reached = set()
    for dataset in datasets.all_datasets():
        dimensions = [
            name for name in ("admin1", "admin2", "organisation") if name in dataset.all_dimensions()
        ]
        for group_by in dimensions:
            for fmt in ("csv", "hxl"):
                response = client.get(f"/api/v1/stats/{dataset.name}/", {"group_by": group_by, "format": fmt})
                assert response.status_code == 200, (dataset.name, group_by, fmt, response.content[:300])
                texts = assert_neutralised(f"stats {dataset.name} {group_by}", response.content, "csv")
                reached |= {value for value in HOSTILE.values() if "'" + value in texts}
    assert len(reached) >= 3, reached


def test_case_exports_and_the_gbv_incident_recorder(hostile_world, manager, alpha):
    for fmt in ("xlsx", "csv"):
        export = case_list_export(user=manager, fmt=fmt)
        assert export.rows == 8
        assert_neutralised("cases", export.content, fmt, expect=(HOSTILE["ML050101"], GIVEN_NAME))
    recorder = gbv_incident_recorder(user=manager, organisation=alpha)
    assert recorder.rows >= 1
    assert_neutralised("incident recorder", recorder.content, "xlsx", expect=(HOSTILE["ML05"],))


def test_directory_and_4w(hostile_world, imo):
    content, count = services_workbook(Service.objects.all())
    assert count >= 1
    assert_neutralised("directory", content, "xlsx", expect=(SERVICE_NAME, HOSTILE["ML050101"]))
    activities = fourw_activities(user=imo)
    for fmt, (content, count) in (("xlsx", fourw_xlsx(activities)), ("csv", fourw_csv(activities))):
        assert count >= 1
        assert_neutralised("4W", content, fmt, expect=(HOSTILE["ML0501"],))


def test_report_annex(hostile_world, imo):
    today = timezone.localdate()
    report = report_generate(
        actor=imo,
        kind=ReportKind.MONTHLY_ANALYSIS,
        period_start=today - datetime.timedelta(days=60),
        period_end=today,
    )
    version = report.versions.order_by("-number").first()
    for audience in Audience:
        texts = assert_neutralised("report annex", report_xlsx(report, version, audience=audience), "xlsx")
        assert any(text.startswith("'") for text in texts), audience


def test_the_import_error_list():
    job = SimpleNamespace(
        errors=[
            {"row": 3, "column": "=Colonne", "message": "+message"},
            {"row": None, "column": "@x", "message": "-1+1"},
        ]
    )
    assert_neutralised("import errors", errors_csv(job), "csv", expect=("=Colonne", "+message", "@x"))


def test_the_xlsform_download_keeps_hostile_place_names_as_text(hostile_world, signed_in, monitor):
    """The XLSForm must stay a valid form: names are written as text cells, exactly, never as formulas."""
    response = signed_in(monitor).get(reverse("openrosa:xlsform-download", args=["sentinelle_incident"]))
    assert response.status_code == 200
    cells = _xlsx_cells(response.content)  # asserts no formula cell
    for pcode in ("ML05", "ML0501"):
        assert HOSTILE[pcode] in cells, pcode
