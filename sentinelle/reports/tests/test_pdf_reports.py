# ruff: noqa: F811 (the fixtures of reports_world are imported, then used as arguments)
"""PDF and XLSX of the reports: pages rendered, text read back, and no published count of people under
the threshold anywhere (HTML, PDF text, XLSX cells); the figures are the readers' protected ones, said
once per report and table. The context section's displacement figures are their sources' own
aggregates, published exactly (core/disclosure.py)."""

import io
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from sentinelle.core.disclosure import Audience
from sentinelle.reports.models import ReportKind
from sentinelle.reports.pdf_reports import report_document, report_html, report_pdf
from sentinelle.reports.services import report_generate, report_publish
from sentinelle.reports.tests.reports_world import cercle, month, recorded  # noqa: F401
from sentinelle.reports.xlsx_reports import report_cell, report_xlsx

pytestmark = pytest.mark.django_db
# Published small counts of the fixture: 3 incidents, 1 the month before, 3 women, 2 injured, 1 GBV...
SMALL = re.compile(r"(?<![\d<\u202f.,\w])[1-4](?![\d\u202f.,%\w])")


@pytest.fixture
def published(imo, recorded, month):
    report = report_generate(
        actor=imo, kind=ReportKind.MONTHLY_ANALYSIS, period_start=month[0], period_end=month[1]
    )
    return report_publish(actor=imo, report=report)


def _figures_text(text: str) -> str:
    """The text without dates, version numbers and section numbers, which are not figures."""
    # The disclosure note ("counts from 1 to 4 read <5 ... up to 2"), in French or English.
    text = re.sub(r"(Protected figures|Chiffres protégés).*?(exactly|exactement)\.", "", text, flags=re.S)
    text = re.sub(r"(\d)[ \u202f\u00a0](?=\d{3}\b)", r"\1", text)  # 1 200 is one number
    text = re.sub(r"\b\d{1,2} \w+ \d{4}\b", "", text)
    text = re.sub(r"\b(v|Version )\d+\b", "", text)
    text = re.sub(r"^\s*\d+\. ", "", text, flags=re.MULTILINE)
    text = re.sub(r"\b\d+\s*/\s*\d+\b", "", text)  # page numbers
    text = re.sub(r"\b(20\d\d|ML\d+|18-59|0-5|6-11|12-17)\b", "", text)
    return text


def test_the_pdf_has_the_sections_and_the_figures(published):
    document = report_document(published, published.published_version, audience=Audience.PUBLIC)
    assert 2 <= len(document.pages) <= 12
    pdf = report_pdf(published, published.published_version, audience=Audience.PUBLIC)
    assert pdf.startswith(b"%PDF-")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_the_pdf_text_shows_no_small_count(published, tmp_path):
    path = tmp_path / "analyse.pdf"
    path.write_bytes(report_pdf(published, published.published_version, audience=Audience.PUBLIC))
    command = [shutil.which("pdftotext"), "-layout", str(path), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    sections = published.published_version.figures["sections"]
    for heading in ["Sentinelle", published.title, *(section["title"] for section in sections)]:
        assert heading in text, heading
    victims = _victims(published)
    assert str(victims) in text and "<5" in text and "2" in text
    # The context (displacement events: their sources' aggregates) is exact: left out of the check.
    context, threats = (section["title"] for section in sections[:2])
    text = text[: text.index(context)] + text[text.index(threats) :]
    figures = _figures_text(text)
    found = SMALL.search(figures)
    assert found is None, figures[max(0, found.start() - 80) : found.end() + 20]


def test_the_html_shows_no_small_count_and_the_draft_preview_marks_them(published, imo):
    html = report_html(published, published.published_version, audience=Audience.PUBLIC)
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert cells and all(not SMALL.fullmatch(cell.strip()) for cell in cells)
    assert "&lt;5" in html
    analyst = report_html(published, published.published_version, audience=Audience.ANALYST)
    assert "3*" in analyst


def test_the_xlsx_cells_show_no_small_count(published):
    content = report_xlsx(published, published.published_version, audience=Audience.PUBLIC)
    workbook = load_workbook(io.BytesIO(content))
    assert len(workbook.sheetnames) > 5
    numbers = [
        cell.value
        for sheet in workbook.worksheets[1:]
        for row in sheet.iter_rows(min_row=3)
        for cell in row[1:]
        if isinstance(cell.value, int)
    ]
    assert _victims(published) in numbers and all(not 0 < value < 5 for value in numbers)
    texts = [cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert "<5" in texts


def _victims(report) -> int:
    """The readers' figure of the month's 12 victims (within 2 of it)."""
    effects = next(s for s in report.published_version.figures["sections"] if s["key"] == "effects")
    exact, public = effects["figures"][0]["cell"]
    assert exact == 12 and abs(public - 12) <= 2
    return public


def test_formulas_are_neutralised():
    assert report_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert report_cell("1\u202f234") == 1234 and report_cell("<5") == "<5"
