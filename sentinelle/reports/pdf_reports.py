"""What a report shows (HTML page and PDF alike), and its PDF (WeasyPrint, the site language).

Everything is drawn from the version's frozen figures and narrative, for an audience: the published
version always for the public (the readers' protected figures, "<5" for a small count), a draft with
exact figures marked for analysts ("3*", "12†"). Charts and maps are the same server-side SVG on the page
and in the PDF; every report says once what its figures are (core.disclosure.audience_note).
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from sentinelle.core.disclosure import Audience, audience_note
from sentinelle.geography.maps import choropleth_map
from sentinelle.geography.models import CodVersion
from sentinelle.reports.models import Report, ReportKind, ReportVersion
from sentinelle.reports.report_tables import display_table, figure_text, is_hidden, shown, table_chart
from sentinelle.reports.report_tables import drawn as drawn_value

TEMPLATE = "reports/reports/report_pdf.html"
MAP_WIDTH = 360
BADGES = {"green": "ok", "amber": "warn", "red": "bad", "grey": ""}


def _map(table: dict, level: int, report: Report, *, audience: Audience, threshold: int):
    values, texts = {}, {}
    for row in table["rows"]:
        if not row["code"]:
            continue
        cell = row["total"]
        hidden = is_hidden(cell) and audience == Audience.PUBLIC
        # The public's shade is its figure; a small count's the lightest, whatever its size.
        values[row["code"]] = 1 if hidden and cell[0] else drawn_value(cell, audience=audience)
        texts[row["code"]] = shown(cell, audience=audience, threshold=threshold)
    if not any(values.values()):
        return None
    version = report.area.version if report.area_id else CodVersion.objects.filter(is_default=True).first()
    within = report.area if report.area_id and report.area.level < level else None
    drawn = choropleth_map(values, version, level=level, within=within)
    if drawn is None:
        return None
    for shape in drawn["shapes"]:
        shape["shown"] = texts.get(shape["pcode"], "")
    drawn["title"] = table["title"]
    _x, _y, width, height = (float(number) for number in drawn["view_box"].split())
    drawn["width"], drawn["height"] = MAP_WIDTH, round(MAP_WIDTH * height / width) if width else MAP_WIDTH
    # The legend's steps would give a hidden count's range back: the public map has none.
    if audience == Audience.PUBLIC:
        drawn["legend"] = []
    return drawn


def _monthly_sections(report, figures, narrative, *, audience, threshold):
    sections = []
    for section in figures.get("sections", []):
        tables = {table["key"]: table for table in section.get("tables", [])}
        columns = section.get("chart_columns", {})
        sections.append(
            {
                "key": section["key"],
                "title": section["title"],
                "narrative": narrative.get(section["key"], ""),
                "figures": [
                    {"label": f["label"], "text": figure_text(f, audience=audience, threshold=threshold)}
                    for f in section.get("figures", [])
                ],
                "tables": [
                    display_table(table, audience=audience, threshold=threshold)
                    for table in section.get("tables", [])
                ],
                "charts": [
                    table_chart(tables[key], audience=audience, threshold=threshold, column=columns.get(key))
                    for key in section.get("charts", [])
                    if key in tables and tables[key]["rows"]
                ],
                "maps": [
                    drawn
                    for spec in section.get("maps", [])
                    if spec["table"] in tables
                    for drawn in [
                        _map(
                            tables[spec["table"]],
                            spec["level"],
                            report,
                            audience=audience,
                            threshold=threshold,
                        )
                    ]
                    if drawn
                ],
            }
        )
    return sections


def _annual(annual: dict | None, show, audience) -> dict | None:
    if not annual:
        return None
    hidden = annual.get("percent_hidden") and audience == Audience.PUBLIC
    return {
        "value": show(annual["value"]),
        "target": annual["target"],
        "percent": "—" if hidden or not annual["percent"] else annual["percent"],
        "light": annual["light"],
        "badge": BADGES.get(annual["light"], ""),
    }


def _quarterly_sections(figures, narrative, *, audience, threshold):
    def show(cell):
        if cell is None or cell[0] is None:
            return "—"
        if isinstance(cell[0], str):
            return cell[0]
        return shown(cell, audience=audience, threshold=threshold)

    sections = []
    for section in figures.get("sections", []):
        indicators = []
        for item in section["indicators"]:
            hidden = item.get("percent_hidden") and audience == Audience.PUBLIC
            indicators.append(
                {
                    **item,
                    "value_text": show(item["value"]),
                    "women": show(item["sex"]["f"]) if item.get("sex") else "",
                    "men": show(item["sex"]["m"]) if item.get("sex") else "",
                    "percent_text": "—" if hidden or not item["percent"] else item["percent"],
                    "badge": BADGES.get(item["light"], ""),
                    "annual": _annual(item.get("annual"), show, audience),
                }
            )
        sections.append(
            {
                "key": section["key"],
                "code": section["code"],
                "title": section["title"],
                "narrative": narrative.get(section["key"], ""),
                "indicators": indicators,
            }
        )
    return sections


def report_context(report: Report, version: ReportVersion, *, audience: Audience) -> dict:
    figures = version.figures or {}
    narrative = version.narrative or {}
    threshold = int(figures.get("threshold", 5))
    published = version.pk == report.published_version_id
    context = {
        "report": report,
        "version": version,
        "figures": figures,
        "audience": str(audience),
        "is_draft": not published,
        "is_analyst": audience == Audience.ANALYST,
        "threshold": threshold,
        "generated_at": timezone.localtime(),
        "monthly": report.kind == ReportKind.MONTHLY_ANALYSIS,
        "disclosure": audience_note(audience, threshold),
    }
    if report.kind == ReportKind.MONTHLY_ANALYSIS:
        context["sections"] = _monthly_sections(
            report, figures, narrative, audience=audience, threshold=threshold
        )
    else:
        context["presentation"] = figures.get("presentation", {})
        context["overview"] = narrative.get("overview", "")
        context["sections"] = _quarterly_sections(figures, narrative, audience=audience, threshold=threshold)
    return context


def report_html(report: Report, version: ReportVersion, *, audience: Audience) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(TEMPLATE, report_context(report, version, audience=audience))


def report_document(report: Report, version: ReportVersion, *, audience: Audience):
    """The laid-out WeasyPrint document: tests count its pages and read its text."""
    from weasyprint import HTML

    return HTML(string=report_html(report, version, audience=audience)).render()


def report_pdf(report: Report, version: ReportVersion, *, audience: Audience) -> bytes:
    return report_document(report, version, audience=audience).write_pdf()
