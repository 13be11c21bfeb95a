"""What leaves the dashboards: no page, XLSX or CSV given to a reader shows a count under the threshold;
the downloads carry an HXL row and neutralised text; pages stay light and their queries bounded."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from sentinelle.accounts.tests.factories import OrganisationFactory
from sentinelle.activities.tests.factories_reporting import ActivityFactory, ReportFactory
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.core.tests.test_page_weight import BUDGET_BYTES, first_load_bytes
from sentinelle.monitoring.tests.factories import make_incident
from sentinelle.reports.dashboards.figures import FIGURES
from sentinelle.reports.dashboards.pages import PAGES
from sentinelle.reports.tests.dashboards_world import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

THRESHOLD = 5
SHOWN_TEXT = re.compile(r"<(td|title|text)\b[^>]*>([^<]*)</\1>")
NUMBER = re.compile(r"^-?\d+$")


def small(text) -> bool:
    """A text (or number) that gives a count between 1 and the threshold."""
    if isinstance(text, int | float):
        return 0 < text < THRESHOLD
    cleaned = re.sub(r"[\s\u202f\u00a0]", "", str(text))
    return bool(NUMBER.match(cleaned)) and 0 < int(cleaned) < THRESHOLD


def shown_texts(html: str) -> list[str]:
    return [text for _tag, text in SHOWN_TEXT.findall(html)]


def test_no_page_shows_a_reader_a_small_count(world, signed_in, reader, imo):
    client = signed_in(reader)
    for name in PAGES:
        html = client.get(reverse(f"reports:dashboard-{name}")).content.decode()
        texts = shown_texts(html)
        assert texts, name
        assert not [t for t in texts if small(t)], (name, [t for t in texts if small(t)])
        assert not [t for t in texts if t.endswith("*")], name
        assert "&lt;5" in html, name
    # The same page gives the IMO exact figures, small ones marked.
    html = signed_in(imo).get(reverse("reports:dashboard-national")).content.decode()
    assert "2*" in shown_texts(html)


def _csv_rows(content: bytes) -> list[list[str]]:
    """The table of a download: headers, HXL hashtags, data (a protected figure's note line above)."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    if rows and len(rows[0]) == 1 and len(rows) > 1 and len(rows[1]) > 1:
        return rows[1:]
    return rows


def _checked_columns(tags: list[str]) -> list[int]:
    # Ratios (coverage %) are not counts.
    return [index for index, tag in enumerate(tags) if index >= 2 and "+pct" not in tag]


def test_no_download_gives_a_reader_a_small_count(world, signed_in, reader):
    client = signed_in(reader)
    for key in FIGURES:
        response = client.get(reverse("reports:dashboard-export", args=[key, "csv"]))
        assert response.status_code == 200
        rows = _csv_rows(response.content)
        if len(rows) < 3:
            continue
        if response.has_header("X-Sentinelle-Disclosure"):
            # Said once, above the table: protected figures, within 2, may not add up.
            note = response.content.decode("utf-8-sig").splitlines()[0]
            assert "<5" in note and "2" in note, (key, note)
        _headers, tags, *data = rows
        assert all(tag.startswith("#") for tag in tags), (key, tags)
        for row in data:
            assert not [row[i] for i in _checked_columns(tags) if small(row[i])], (key, row)
        workbook = load_workbook(
            io.BytesIO(client.get(reverse("reports:dashboard-export", args=[key, "xlsx"])).content)
        )
        sheet = workbook.worksheets[0]
        lines = [[cell.value for cell in line] for line in sheet.iter_rows()]
        assert lines[1] == tags
        for line in lines[2:]:
            assert not [line[i] for i in _checked_columns(tags) if line[i] is not None and small(line[i])], (
                key,
                line,
            )


def test_downloads_follow_the_filters_are_audited_and_neutralised(world, signed_in, imo, alpha):
    hostile = OrganisationFactory(acronym="=HYPERLINK(1)")
    report = ReportFactory(organisation=hostile, status="validated")
    ActivityFactory(report=report, area=world["bandiagara"], reached=[("f", "18_59", "idp", 10)])
    client = signed_in(imo)
    before = AuditEntry.objects.filter(action=AuditAction.EXPORT).count()
    url = reverse("reports:dashboard-export", args=["activities_by_organisation", "csv"])
    rows = _csv_rows(client.get(url).content)
    assert rows[0][:2] == ["Code", "Organisation"] or rows[0][1]  # headers in the user's language
    assert rows[1] == ["#org+acronym+code", "#org+acronym+name", "#reached+num"]
    assert ["'=HYPERLINK(1)", "'=HYPERLINK(1)", "1*"] in rows
    xlsx = client.get(reverse("reports:dashboard-export", args=["activities_by_organisation", "xlsx"]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert "'=HYPERLINK(1)" in [cell.value for cell in sheet["A"]]
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == before + 2
    # Filters: the region of Ségou has no incident of ALPHA's GBV... but two incidents in all.
    segou = _csv_rows(
        client.get(
            reverse("reports:dashboard-export", args=["incidents_map", "csv"]), {"area": "ML04"}
        ).content
    )
    assert segou[2][:3] == ["ML0401", "Ségou", "2*"]
    assert client.get(reverse("reports:dashboard-export", args=["nothing", "csv"])).status_code == 404
    assert client.get(reverse("reports:dashboard-export", args=["incidents_map", "pdf"])).status_code == 404


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# Measured: national 31 (ten figures, one or two grouped queries each, plus the session and form).
MAX_QUERIES = 40


def test_query_counts_are_bounded_and_do_not_grow_with_data(
    world, signed_in, imo, monitor, django_assert_max_num_queries
):
    client = signed_in(imo)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(reverse("reports:dashboard-national"), {"area": "ML05", "category": "life"})
    counts = {name: _queries(client, reverse(f"reports:dashboard-{name}")) for name in PAGES}
    assert max(counts.values()) <= MAX_QUERIES, counts
    for _ in range(3):
        make_incident(actor=monitor, area=world["bandiagara"], status="verified", reviewer=imo)
    again = {name: _queries(client, reverse(f"reports:dashboard-{name}")) for name in PAGES}
    assert again == counts


def test_the_national_dashboard_first_load_is_light(world, signed_in, imo, reader):
    for user in (imo, reader):
        response = signed_in(user).get(reverse("reports:dashboard-national"))
        total, assets = first_load_bytes(response.content)
        assert any(asset.endswith("dashboards.css") for asset in assets)
        assert total < BUDGET_BYTES, f"first load {total} bytes compressed"
