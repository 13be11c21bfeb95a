"""A flash report as a one- or two-page PDF (WeasyPrint), in the site language.

The page is drawn from the report's text and figures only (never from incidents' confidential fields);
the map shows the alert's area within its parent and the incidents' areas, never a point.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join

from sentinelle.geography.geometry import geometry_bounds, svg_frame, svg_path
from sentinelle.geography.models import AdminArea
from sentinelle.monitoring.models import AgeGroup, FlashReport, Outcome, Sex

TEMPLATE = "monitoring/alerts/flash_report_pdf.html"
MAP_SIZE = 300


def victims_table(figures: dict) -> dict:
    """Rows by age group, columns by sex, with totals: the readers' figures the draft keeps under
    `published` (core/disclosure.py: "<5" for a small count, the others within 2), never the exact ones.
    A draft written before the cell key method has none: its small counts read "<5"."""
    exact = (figures.get("victims") or {}).get("by_sex_age") or {}
    published = (figures.get("published") or {}).get("victims")
    sexes = list(Sex)
    rows = []
    for age in AgeGroup:
        counts = [int(exact.get(sex.value, {}).get(age.value, 0)) for sex in sexes]
        if not any(counts):
            continue
        if published:
            cells = [published["sex_age"].get(f"{sex.value}|{age.value}", "0") for sex in sexes]
            total = published["ages"][age.value]
        else:
            cells, total = [_small(count) for count in counts], _small(sum(counts))
        rows.append({"label": age.label, "cells": cells, "total": total})
    by_outcome = (figures.get("victims") or {}).get("by_outcome") or {}
    if published:
        totals = [published["sex"][sex.value] for sex in sexes]
        total = published["total"]
        outcomes = [
            (o.label, published["outcomes"][o.value]) for o in Outcome if o.value in published["outcomes"]
        ]
        withheld = published["gbv"]
    else:
        sums = [sum(int(exact.get(sex.value, {}).get(age.value, 0)) for age in AgeGroup) for sex in sexes]
        totals, total = [_small(n) for n in sums], _small(sum(sums))
        outcomes = [(o.label, _small(by_outcome[o.value])) for o in Outcome if by_outcome.get(o.value)]
        withheld = _small((figures.get("victims") or {}).get("withheld_gbv") or 0)
    return {
        "sexes": [sex.label for sex in sexes],
        "rows": rows,
        "totals": totals,
        "total": total,
        "outcomes": outcomes,
        "withheld_gbv": withheld if withheld not in ("", "0") else "",
    }


def _small(count: int) -> str:
    from sentinelle.core.disclosure import threshold_setting

    threshold = threshold_setting()
    return f"<{threshold}" if 0 < count < threshold else str(count)


def area_map_svg(report: FlashReport) -> str:
    """The alert's area (filled) inside its parent (faded), with the incidents' areas darker."""
    alert = report.alert
    if alert is None or not alert.area.geometry:
        return ""
    area = alert.area
    context = area.parent
    # The places the draft's figures list (never the GBV incidents' places that the floor left out).
    places = [place["pcode"] for place in (report.figures or {}).get("areas") or []]
    incident_areas = list(
        AdminArea.objects.filter(version_id=area.version_id, pcode__in=places)
        .exclude(pk=area.pk)
        .only("geometry", "name_fr")
    )
    bounds = geometry_bounds(
        [context.geometry if context is not None and context.geometry else area.geometry]
    )
    if bounds is None:
        return ""
    frame = svg_frame(bounds, size=MAP_SIZE)
    layers = []
    if context is not None and context.geometry:
        layers.append((svg_path(context.geometry, frame), "#e8ecef", "#9aa5ad"))
    layers.append((svg_path(area.geometry, frame), "#f4c7a1", "#b5651d"))
    layers += [(svg_path(a.geometry, frame), "#c0392b", "#7b241c") for a in incident_areas if a.geometry]
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="{}" width="{}" height="{}" role="img" '
        'aria-label="{}">{}</svg>',
        frame.view_box,
        frame.width,
        frame.height,
        area.name_fr,
        format_html_join(
            "",
            '<path d="{}" fill="{}" stroke="{}" stroke-width="0.8" fill-rule="evenodd"></path>',
            ((d, fill, stroke) for d, fill, stroke in layers if d),
        ),
    )


def flash_report_context(report: FlashReport) -> dict:
    figures = report.figures or {}
    area = report.alert.area if report.alert else None
    return {
        "report": report,
        "alert": report.alert,
        "area": area,
        "chain": [a for a in (figures.get("area") or {}).get("chain", []) if a.get("level")],
        "areas": figures.get("areas") or [],
        "table": victims_table(figures),
        "map_svg": area_map_svg(report),
        "is_draft": report.status != FlashReport.Status.PUBLISHED,
        "generated_at": timezone.localtime(),
        "sections": [
            (FlashReport._meta.get_field(name).verbose_name, getattr(report, name))
            for name in ("what", "where", "when")
        ],
        "after_victims": [
            (FlashReport._meta.get_field(name).verbose_name, getattr(report, name))
            for name in ("displacement", "perpetrators", "immediate_needs", "response")
        ],
    }


def flash_report_html(report: FlashReport) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(TEMPLATE, flash_report_context(report))


def flash_report_document(report: FlashReport):
    """The laid-out WeasyPrint document (pages, boxes): tests read its text and page count."""
    from weasyprint import HTML

    return HTML(string=flash_report_html(report)).render()


def flash_report_pdf(report: FlashReport) -> bytes:
    return flash_report_document(report).write_pdf()
