# ruff: noqa: F811 (the gbv_world fixture is imported, then used as an argument)
"""The GBV floor on the dashboards (design §6): below the region, a reader's figures and downloads count no
GBV record, a GBV-only figure shows the reason instead of numbers and its downloads refuse; the region and
the analysts keep their figures. The world: core/tests/gbv_world.py."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sentinelle.core import datasets
from sentinelle.core.models import AuditAction, AuditEntry, AuditOutcome
from sentinelle.core.tests.gbv_world import GBV, add_gbv, gbv_world  # noqa: F401
from sentinelle.reports.dashboards.figures import FIGURES
from sentinelle.reports.dashboards.scope import DashboardScope

pytestmark = pytest.mark.django_db

GBV_ONLY = {"gbv_types", "gbv_by_sex_age", "gbv_by_month", "gbv_map", "cases_gbv"}
# With the page filtered to the GBV category, the incident figures are GBV-only too.
GBV_CATEGORY = GBV_ONLY | {"incidents_by_month", "incidents_map", "victims_by_sex_age", "victims_children"}
EXPORT = "reports:dashboard-export"


def withheld() -> str:
    """The note under a figure whose GBV records were left out."""
    from sentinelle.core.datasets import gbv_withheld_note

    return gbv_withheld_note()


def compute(key, user, **values):
    return FIGURES[key](DashboardScope.for_user(user, **values))


def snapshot(figure) -> tuple:
    """Everything a figure shows: the refusal, the notes, every cell's text, the map's shading."""
    rows = tuple((row.code, tuple(cell.text for cell in row.cells)) for row in figure.table.all_rows())
    shapes = tuple((s["pcode"], s["shown"]) for s in (figure.map or {}).get("shapes", []))
    return figure.refused, tuple(figure.notes), rows, shapes


def cells(figure) -> dict:
    table = figure.table
    return {
        (row.code, column.code): cell.text
        for row in table.all_rows()
        for column, cell in zip(table.columns, row.cells, strict=True)
    }


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def download(client, key, fmt, params):
    response = client.get(reverse(EXPORT, args=[key, fmt]), params)
    if response.status_code != 200 or fmt == "csv":
        return response.status_code, response.content
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return response.status_code, [list(row) for row in sheet.iter_rows(values_only=True)]


# --- (1) The reader's download of GBV cases in a commune -------------------------------------------------


def test_a_readers_download_of_gbv_cases_in_a_commune_is_refused_and_holds_no_number(
    gbv_world, signed_in, reader, imo
):
    client = signed_in(reader)
    for fmt in ("csv", "xlsx"):
        response = client.get(reverse(EXPORT, args=["cases_gbv", fmt]), {"area": "ML050101"})
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/plain")
        text = response.content.decode()
        assert "VBG" in text and "#" not in text
        # The protocol's level (1) is the only number: no count, no table.
        assert set(re.findall(r"\d+", text)) == {"1"}
    refusals = AuditEntry.objects.filter(action=AuditAction.EXPORT, user=reader, object_id="cases_gbv")
    assert [entry.outcome for entry in refusals] == [AuditOutcome.DENIED] * 2
    # The IMO downloads the exact table.
    exact = signed_in(imo).get(reverse(EXPORT, args=["cases_gbv", "csv"]), {"area": "ML050101"})
    assert exact.status_code == 200 and f",{GBV}" in exact.content.decode()


# --- (2) The case load and the GBV page in a commune ---------------------------------------------------


def test_caseload_by_risk_and_the_gbv_page_in_a_commune_show_no_gbv_count(gbv_world, signed_in, reader):
    figure = compute("caseload_by_risk", reader, area=gbv_world["dourou"])
    assert not figure.refused
    assert "gbv" not in [column.code for column in figure.table.columns]
    values = cells(figure)
    total = number(values[("__total__", "__total__")])
    child, general = (
        number(values[("__total__", code)]) for code in ("child_protection", "general_protection")
    )
    # The difference attack: the commune's total minus the other case types gives noise (each figure
    # within 2 of its count), never the GBV cases: the sets behind the figures hold none.
    assert abs(total - child - general) <= 6
    filters, _skipped = DashboardScope.for_user(reader, area=gbv_world["dourou"]).filters_for(
        "cases", fixed={"status": "open"}, period=False
    )
    exact = {
        row["case_type"]: row["count"]
        for row in datasets.aggregate("cases", group_by=["case_type"], filters=filters)
    }
    assert sum(exact.values()) - exact["child_protection"] - exact["general_protection"] == 0 != GBV
    assert withheld() in figure.notes
    response = signed_in(reader).get(reverse("reports:dashboard-gbv"), {"area": "ML050101"})
    assert response.status_code == 200
    figures = response.context["figures"]
    assert {f.key for f in figures} == GBV_ONLY and all(f.refused and f.table.is_empty for f in figures)
    html = response.content.decode()
    for section in html.split('<section class="card dash-figure"')[1:]:
        assert "<td>" not in section and "<svg" not in section and "download" not in section
        assert 'class="alert"' in section


# --- (3) Every figure and every download, below the region ------------------------------------------


def test_no_figure_or_download_counts_a_gbv_record_below_the_region(gbv_world, signed_in, reader):
    """GBV and other records sit in one commune: as many GBV records again change no figure a reader gets
    below the region (so no difference of them gives a GBV count), and only GBV-only figures refuse."""
    scopes = [
        {"area": gbv_world[area], "category": category}
        for area in ("dourou", "bandiagara")
        for category in ("", "gbv")
    ]
    downloads = [
        (fmt, {"area": pcode, **({"category": "gbv"} if category else {})})
        for pcode in ("ML050101", "ML0501")
        for category in (False, True)
        for fmt in ("csv", "xlsx")
    ]
    client = signed_in(reader)

    def everything():
        figures = {
            (key, index): snapshot(FIGURES[key](DashboardScope.for_user(reader, **values)))
            for key in FIGURES
            for index, values in enumerate(scopes)
        }
        files = {
            (key, fmt, tuple(params.items())): download(client, key, fmt, params)
            for key in FIGURES
            for fmt, params in downloads
        }
        return figures, files

    figures, files = everything()
    for (key, index), (refused, _notes, rows, _shapes) in figures.items():
        expected = GBV_CATEGORY if scopes[index]["category"] else GBV_ONLY
        assert bool(refused) is (key in expected), (key, scopes[index])
        if refused:
            assert not rows and "VBG" in refused
    for (key, _fmt, params), (status, _content) in files.items():
        expected = GBV_CATEGORY if dict(params).get("category") else GBV_ONLY
        assert status == (400 if key in expected else 200), (key, params)
    add_gbv(gbv_world)
    figures_after, files_after = everything()
    for key in figures:
        assert figures_after[key] == figures[key], key
    for key in files:
        assert files_after[key] == files[key], key


def test_figures_grouped_below_the_region_leave_gbv_out_and_say_so(gbv_world, reader, imo):
    mopti = gbv_world["mopti"]
    # A region's map of incidents by cercle: the cercle's total holds no GBV incident (22 = 17 + 5).
    by_cercle = compute("incidents_map", reader, area=mopti)
    assert abs(number(cells(by_cercle)[("ML0501", "count")]) - 22) <= 2  # the reader's figure: 22 ± 2
    assert withheld() in by_cercle.notes
    assert number(cells(compute("incidents_map", imo, area=mopti))[("ML0501", "count")]) == 29
    # The region's figures by category are not below the floor: GBV counted, no note.
    by_category = compute("incidents_by_month", reader, area=mopti)
    assert ("__total__", "gbv") in cells(by_category) and withheld() not in by_category.notes


# --- (4) The region still works for readers ----------------------------------------------------------


def test_the_region_still_shows_gbv_figures_to_readers(gbv_world, signed_in, reader):
    mopti = gbv_world["mopti"]
    for key, cell in (("gbv_types", ("rape", "count")), ("cases_gbv", ("high", "count"))):
        figure = compute(key, reader, area=mopti)
        assert not figure.refused and abs(number(cells(figure)[cell]) - GBV) <= 2, key
    caseload = compute("caseload_by_risk", reader, area=mopti)
    shown = cells(caseload)[("high", "gbv")]
    assert abs(number(shown) - GBV) <= 2
    assert withheld() not in caseload.notes
    gbv_map = compute("gbv_map", reader, area=mopti)
    assert [row.code for row in gbv_map.table.rows] == ["ML05"]
    response = signed_in(reader).get(reverse(EXPORT, args=["cases_gbv", "csv"]), {"area": "ML05"})
    # The same cases, the same figure on the page and in the download.
    assert response.status_code == 200 and f",{shown}" in response.content.decode()
    page = signed_in(reader).get(reverse("reports:dashboard-gbv"), {"area": "ML05"})
    assert not any(f.refused for f in page.context["figures"])


# --- (5) What the analysts see is unchanged ----------------------------------------------------------


def test_analysts_keep_their_exact_figures_below_the_region(gbv_world, signed_in, imo):
    dourou = gbv_world["dourou"]
    caseload = compute("caseload_by_risk", imo, area=dourou)
    # Exact figures (marked † where a reader's differ).
    assert number(cells(caseload)[("high", "gbv")]) == GBV
    assert number(cells(caseload)[("__total__", "__total__")]) == 21
    assert number(cells(compute("cases_gbv", imo, area=dourou))[("high", "count")]) == GBV
    assert number(cells(compute("gbv_types", imo, area=dourou))[("rape", "count")]) == GBV
    assert number(cells(compute("incidents_map", imo, area=dourou))[("ML050101", "count")]) == 24
    for key in FIGURES:
        figure = compute(key, imo, area=dourou, category="gbv")
        assert not figure.refused and withheld() not in figure.notes, key
    page = signed_in(imo).get(reverse("reports:dashboard-gbv"), {"area": "ML050101"})
    assert not any(f.refused for f in page.context["figures"])
