"""The 4W exports: HXL row read by libhxl, the same rows as the page, formulas neutralised, audited."""

import csv
import io

import hxl
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sentinelle.activities.exports import COLUMNS, safe_cell
from sentinelle.activities.tests.factories_reporting import (  # noqa: F401  (fixture)
    ActivityFactory,
    PeriodFactory,
    ProgrammeFactory,
    ProjectFactory,
    ReportFactory,
    last_month,
    places_fixture,
    this_month,
)
from sentinelle.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(alpha, beta, places):
    """ALPHA's validated activity in Dourou and BETA's in Ségou, in a published month."""
    programme = ProgrammeFactory(code="PROTECT", lead_organisation=alpha)
    report = ReportFactory(organisation=alpha, status="validated")
    first = ActivityFactory(
        report=report,
        area=places["dourou"],
        activity_type="civil_documentation",
        title='=HYPERLINK("http://evil")',
        project=ProjectFactory(organisation=alpha, code="PROTECT-ALPHA", programme=programme),
        quantity=30,
        reached=[("f", "18_59", "idp", 10), ("m", "12_17", "idp", 4), ("f", "0_5", "host", 2)],
    )
    second = ActivityFactory(
        report=ReportFactory(organisation=beta, status="validated", period=report.period),
        area=places["segou_cercle"],
        activity_type="awareness",
        title="@SUM(A1)",
        reached=[("m", "60_plus", "refugee", 7)],
    )
    # A submitted report is not in readers' 4W.
    ActivityFactory(
        report=ReportFactory(organisation=beta, status="submitted", period=PeriodFactory(month=last_month())),
        area=places["douentza"],
    )
    period = report.period
    period.status = "locked"
    period.fourw_published_at = period.created_at
    period.save()
    return first, second


def hxl_rows(content: bytes):
    source = hxl.input.make_input(io.BytesIO(content), hxl.input.InputOptions(allow_local=True))
    return hxl.data(source)


def test_csv_has_the_hxl_row_and_the_published_activities(signed_in, reader, published):

    response = signed_in(reader).get(reverse("activities:fourw-export-csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    dataset = hxl_rows(response.content)
    tags = [column.display_tag for column in dataset.columns]
    for tag in (
        "#org+acronym",
        "#activity+type",
        "#adm1+name",
        "#adm1+code",
        "#adm2+name",
        "#adm2+code",
        "#adm3+code",
        "#date+start",
        "#date+end",
        "#reached+f",
        "#reached+m",
        "#reached+children",
        "#reached+adults",
        "#reached+total",
        "#sector",
    ):
        assert tag in tags
    rows = {row.get("#org+acronym"): row for row in dataset}
    assert set(rows) == {"ALPHA", "BETA"}
    alpha = rows["ALPHA"]
    assert (alpha.get("#adm1+code"), alpha.get("#adm2+code"), alpha.get("#adm3+code")) == (
        "ML05",
        "ML0501",
        "ML050101",
    )
    assert alpha.get("#adm2+name") == "Bandiagara"
    assert [alpha.get(t) for t in ("#reached+f", "#reached+m", "#reached+children", "#reached+adults")] == [
        "12",
        "4",
        "6",
        "10",
    ]
    assert alpha.get("#reached+total") == "16"
    assert alpha.get("#activity+project") == "PROTECT-ALPHA"
    assert alpha.get("#activity+programme") == "PROTECT"
    assert alpha.get("#date+start") == this_month().isoformat()
    beta = rows["BETA"]
    assert beta.get("#adm3+code") == "" or beta.get("#adm3+code") is None
    assert beta.get("#adm2+code") == "ML0401"
    assert beta.get("#reached+refugees") == "7"


def test_formulas_are_neutralised_in_csv_and_xlsx(signed_in, reader, published):
    client = signed_in(reader)

    text = client.get(reverse("activities:fourw-export-csv")).content.decode("utf-8-sig")
    titles = {row[8] for row in list(csv.reader(io.StringIO(text)))[2:]}
    assert titles == {'\'=HYPERLINK("http://evil")', "'@SUM(A1)"}

    book = load_workbook(io.BytesIO(client.get(reverse("activities:fourw-export-xlsx")).content))
    sheet = book.active
    assert [cell.value for cell in sheet[2]] == [column.hxl for column in COLUMNS]
    values = {sheet.cell(row=row, column=9).value for row in (3, 4)}
    assert values == {'\'=HYPERLINK("http://evil")', "'@SUM(A1)"}
    assert sheet.cell(row=3, column=9).data_type == "s"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+33", "'+33"), ("-2", "'-2"), ("@A1", "'@A1"), ("Dourou", "Dourou"), (5, 5)],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_export_is_audited_and_follows_filters(signed_in, reader, published):
    response = signed_in(reader).get(reverse("activities:fourw-export-xlsx"), {"organisation": "BETA"})

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 3
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.user == reader
    assert entry.detail["rows"] == 1 and entry.detail["format"] == "xlsx"
    assert entry.detail["filters"] == {"organisation": "BETA"}


def test_imo_export_includes_submitted_activities(signed_in, imo, published):
    dataset = hxl_rows(signed_in(imo).get(reverse("activities:fourw-export-csv")).content)

    assert len(list(dataset)) == 3


def test_people_of_unknown_sex_and_coarse_ages_are_exported_as_given(signed_in, reader, alpha, places):
    # 140 students of the ENA with no figure by sex; 12 girls and 20 women of a coarse age group.
    report = ReportFactory(organisation=alpha, status="validated")
    ActivityFactory(
        report=report,
        area=places["dourou"],
        reached=[
            ("unknown", "unknown", "host", 140),
            ("f", "0_17", "host", 12),
            ("f", "18_plus", "host", 20),
        ],
    )
    period = report.period
    period.status = "locked"
    period.fourw_published_at = period.created_at
    period.save()

    response = signed_in(reader).get(reverse("activities:fourw-export-csv"))

    [row] = list(hxl_rows(response.content))
    tags = ("#reached+f", "#reached+m", "#reached+unknown_sex", "#reached+children", "#reached+adults")
    assert [row.get(tag) for tag in tags] == ["32", "0", "140", "12", "20"]
    assert row.get("#reached+total") == "172"
