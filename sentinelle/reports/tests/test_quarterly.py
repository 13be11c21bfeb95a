# ruff: noqa: F811 (the gbv_world fixture is imported, then used as an argument)
"""The quarterly programme report: results by outcome, values against targets, sex disaggregation."""

import datetime
import re
import shutil
import subprocess
from decimal import Decimal

import pytest

from sentinelle.activities.models import IndicatorValue
from sentinelle.activities.tests.factories_results import (
    make_activity,
    make_framework,
    make_indicator,
    make_programme,
    make_tree,
)
from sentinelle.core.tests.gbv_world import gbv_world  # noqa: F401
from sentinelle.monitoring.tests.factories import cercle_of
from sentinelle.reports.quarterly import quarter_bounds, quarterly_figures

pytestmark = pytest.mark.django_db
Q1 = quarter_bounds(2025, 1)


@pytest.fixture
def framework(alpha, mopti, imo):
    cercle = cercle_of(mopti)
    programme = make_programme("PROG", alpha, partners=[alpha])
    framework = make_framework(alpha, code="PROG-FW", programme=programme)
    _objective, outcome, output = make_tree(framework)
    make_indicator(
        framework,
        output,
        "I1",
        {"kind": "value", "dataset": "activities", "measure": "people_reached"},
        disaggregations=["sex"],
        targets=[(*Q1, 100)],
    )
    pct = make_indicator(framework, outcome, "I2", unit="percentage", targets=[(*Q1, 80)])
    IndicatorValue.objects.create(
        indicator=pct,
        period_start=Q1[0],
        period_end=Q1[1],
        value=Decimal(75),
        evidence="Enquête",
        entered_by=imo,
    )
    make_activity(
        alpha,
        cercle,
        "awareness",
        start=datetime.date(2025, 2, 10),
        beneficiaries=[("f", "18_59", "idp", 40), ("m", "18_59", "idp", 3)],
    )
    # Outside the quarter: not counted.
    make_activity(
        alpha, cercle, "awareness", start=datetime.date(2025, 4, 10), beneficiaries=[("f", "18_59", "idp", 9)]
    )
    return framework


def _indicators(figures):
    return {item["code"]: item for section in figures["sections"] for item in section["indicators"]}


def test_results_by_outcome_with_targets_and_lights(framework):
    figures = quarterly_figures(framework=framework, start=Q1[0], end=Q1[1])
    assert [section["code"] for section in figures["sections"]] == ["R1"]
    items = _indicators(figures)
    exact, public = items["I1"]["value"]
    assert exact == 43 and abs(public - 43) <= 2 and items["I1"]["target"] == "100"
    # The achievement of a published count is that of the readers' figure.
    assert items["I1"]["light"] == "red" and items["I1"]["percent"] == f"{public}\u00a0%"
    assert items["I2"]["value"][0] == "75\u00a0%" and items["I2"]["light"] == "green"
    assert figures["presentation"]["lead"] == "ALPHA"


def test_sex_disaggregation_goes_through_disclosure_control(framework):
    item = _indicators(quarterly_figures(framework=framework, start=Q1[0], end=Q1[1]))["I1"]
    assert item["sex"]["m"] == [3, None]  # "<5"
    # No complementary hiding: the 40 women and the total 43 are shown within 2 (43 minus the women's
    # figure gives the 3 men plus noise, not the count).
    women, women_public = item["sex"]["f"]
    assert women == 40 and abs(women_public - 40) <= 2
    assert item["value"][0] == 43 and abs(item["value"][1] - 43) <= 2


# --- The report, its PDF and who may write it -------------------------------------------------------


def test_the_lead_organisations_manager_writes_the_quarterly_report(framework, manager, outsider):
    from django.core.exceptions import PermissionDenied

    from sentinelle.reports.models import Report, ReportKind
    from sentinelle.reports.services import report_generate

    report = report_generate(
        actor=manager,
        kind=ReportKind.PROGRAMME_QUARTERLY,
        period_start=Q1[0],
        period_end=Q1[1],
        framework=framework,
    )
    assert report.organisation.acronym == "ALPHA" and "PROG" in report.title
    assert set(report.current_version.narrative) == {"overview", "R1"}
    with pytest.raises(PermissionDenied):
        report_generate(
            actor=outsider,
            kind=ReportKind.PROGRAMME_QUARTERLY,
            period_start=Q1[0],
            period_end=Q1[1],
            framework=framework,
        )
    assert Report.objects.count() == 1


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_the_quarterly_pdf_reads(framework, manager, tmp_path):
    from sentinelle.core.disclosure import Audience
    from sentinelle.reports.models import ReportKind
    from sentinelle.reports.pdf_reports import report_document, report_pdf
    from sentinelle.reports.services import report_generate, report_publish

    report = report_generate(
        actor=manager,
        kind=ReportKind.PROGRAMME_QUARTERLY,
        period_start=Q1[0],
        period_end=Q1[1],
        framework=framework,
    )
    report_publish(actor=manager, report=report)
    document = report_document(report, report.published_version, audience=Audience.PUBLIC)
    assert 1 <= len(document.pages) <= 4
    path = tmp_path / "trimestriel.pdf"
    path.write_bytes(report_pdf(report, report.published_version, audience=Audience.PUBLIC))
    command = [shutil.which("pdftotext"), "-layout", str(path), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    value, women = (_indicators(report.published_version.figures)["I1"][name] for name in ("value", "sex"))
    for expected in (
        "Programme PROG",
        "PROG-FW",
        "R1",
        "Effet",
        "I1 Indicateur I1",
        str(value[1]),
        "100",
        "<5",
        "75 %",  # pdftotext gives the no-break space as a space
    ):
        assert expected in text, expected
    # 3 men is a small count: never printed; the women's figure is the readers' (40 within 2).
    line = text.split("Indicateur I1", 1)[1].split("\n")[0]
    assert not re.search(r"(?<![\d<])3(?![\d%])", line) and str(women["f"][1]) in line


def test_the_quarterly_pages_and_annex(framework, manager, outsider, reader, signed_in):
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    from sentinelle.reports.models import Report

    client = signed_in(outsider)
    assert "PROG-FW" not in client.get(reverse("reports:report-quarterly-generate")).content.decode()
    client = signed_in(manager)
    url = reverse("reports:report-quarterly-generate")
    assert "PROG-FW" in client.get(url).content.decode()
    response = client.post(url, {"framework": framework.pk, "year": 2025, "quarter": 1})
    report = Report.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("reports:report-detail", args=[report.public_id])).content.decode()
    public = _indicators(report.current_version.figures)["I1"]
    assert "Indicateur I1" in page and str(public["value"][1]) in page and "&lt;5" in page
    client.post(reverse("reports:report-publish", args=[report.public_id]))
    client = signed_in(reader)
    content = client.get(
        reverse("reports:report-xlsx", args=[report.public_id]) + "?version=published"
    ).content
    sheet = load_workbook(io.BytesIO(content))["Indicateurs"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    i1 = next(row for row in rows if row[1] == "I1")
    # The readers' figures: the total and the 40 women within 2, the 3 men "<5".
    assert i1[5] == public["value"][1] and i1[6] == public["sex"]["f"][1] and i1[7] == "<5"
    assert "Chiffres" in [
        row[0] for row in load_workbook(io.BytesIO(content))["Rapport"].iter_rows(values_only=True)
    ]


def test_without_a_quarterly_target_the_year_to_date_is_set_against_the_years(framework):
    from sentinelle.activities.models import Indicator, IndicatorTarget

    indicator = Indicator.objects.get(code="I1")
    IndicatorTarget.objects.create(
        indicator=indicator,
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
        value=80,
    )
    start, end = quarter_bounds(2025, 2)
    item = _indicators(quarterly_figures(framework=framework, start=start, end=end))["I1"]
    assert item["value"][0] == 9 and item["target"] == "—" and item["light"] == "grey"
    # 43 in the first quarter + 9 in the second, against 80 for the year (the readers' figure of 52).
    exact, public = item["annual"]["value"]
    assert exact == 52 and abs(public - 52) <= 2 and item["annual"]["target"] == "80"
    assert item["annual"]["percent"] == f"{100 * public / 80:.0f}\u00a0%"
    assert item["annual"]["light"] == "amber"


def test_indicators_follow_the_gbv_floor_in_a_programme_below_the_region(gbv_world, alpha):
    """A published report: an indicator over GBV records only, in a programme of one cercle, reads "—"
    with the reason; one over all cases leaves the GBV cases out and says so (core/tests/gbv_world.py)."""
    from sentinelle.monitoring.tests.factories import today

    programme = make_programme("CERCLE", alpha, partners=[alpha], areas=[gbv_world["bandiagara"]])
    framework = make_framework(alpha, code="CERCLE-FW", programme=programme)
    _objective, _outcome, output = make_tree(framework)
    context = {"programme_areas": True}
    gbv = {"kind": "value", "dataset": "referrals", "filters": {"case_type": "gbv"}, "context": context}
    make_indicator(framework, output, "G1", gbv, disaggregations=["sex"])
    make_indicator(framework, output, "C1", {"kind": "value", "dataset": "cases", "context": context})
    start, end = quarter_bounds(today().year, (today().month - 1) // 3 + 1)
    figures = quarterly_figures(framework=framework, start=start, end=end)
    items = _indicators(figures)
    assert items["G1"]["value"] == [None, ""] and items["G1"]["sex"] is None
    assert items["C1"]["value"][0] == 15  # 7 child protection + 8 general protection, not the 6 GBV cases
    [section] = figures["sections"]
    assert "G1 : " in section["narrative"] and "C1 : " in section["narrative"]
    assert "VBG" in section["narrative"]


def test_numbers_read_the_french_way(framework, imo):
    """A decimal comma and a no-break space before "%" (core.disclosure.number): "58,8 %", never "58.8 %";
    thousands apart with a narrow no-break space."""
    from sentinelle.activities.models import Indicator

    pct = Indicator.objects.get(code="I2")
    pct.values.update(value=Decimal("58.823529"))
    pct.targets.update(value=Decimal("62.5"))
    big = Indicator.objects.get(code="I1")
    big.targets.update(value=2400)
    big.baseline = Decimal(12000)
    big.save()
    items = _indicators(quarterly_figures(framework=framework, start=Q1[0], end=Q1[1]))
    assert items["I2"]["value"][0] == "58,8\u00a0%" and items["I2"]["target"] == "62,5"
    assert items["I2"]["percent"] == "94\u00a0%"
    assert (items["I1"]["target"], items["I1"]["baseline"]) == ("2\u202f400", "12\u202f000")
    assert "58.8" not in str(items) and "62.5" not in str(items)
