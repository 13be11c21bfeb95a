"""The XLSX annex of a report: one sheet per table, with the same disclosure-controlled figures as the
PDF ("<5" as text for the public, the readers' protected numbers as numbers), the disclosure note on the
summary sheet and under every protected table; every text cell that a spreadsheet could read as a
formula is quoted."""

import io
import re

from django.conf import settings
from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Font

from sentinelle.core.disclosure import Audience, audience_note
from sentinelle.core.spreadsheets import safe_cell
from sentinelle.reports.models import Report, ReportKind, ReportVersion
from sentinelle.reports.pdf_reports import report_context

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PLAIN_NUMBER = re.compile(r"^\d+$")


def report_cell(value):
    """A number stays a number; text is quoted away when a spreadsheet would run it as a formula."""
    if isinstance(value, str):
        compact = value.replace("\u202f", "")
        if _PLAIN_NUMBER.match(compact):
            return int(compact)
    return safe_cell(value)


def _sheet_title(text: str, used: set) -> str:
    title = re.sub(r"[\[\]\*\?/\\:]", " ", str(text))[:28].strip() or "Tableau"
    candidate, index = title, 2
    while candidate in used:
        candidate, index = f"{title[:25]} {index}", index + 1
    used.add(candidate)
    return candidate


def _write(sheet, rows):
    for row in rows:
        sheet.append([report_cell(value) for value in row])


def report_xlsx(report: Report, version: ReportVersion, *, audience: Audience) -> bytes:
    context = report_context(report, version, audience=audience)
    with translation.override(settings.LANGUAGE_CODE):
        # What the figures are (protected for the public, exact and marked for analysts), in French.
        disclosure = audience_note(audience, context["threshold"])
    workbook = Workbook()
    summary = workbook.active
    summary.title = "Rapport"
    _write(
        summary,
        [
            [report.title],
            ["Version", version.number],
            ["Période", f"{report.period_start:%d/%m/%Y} – {report.period_end:%d/%m/%Y}"],
            ["Organisation", report.organisation.acronym],
            ["Statut", "Brouillon" if context["is_draft"] else "Publié"],
            ["Chiffres", disclosure],
            [],
        ],
    )
    summary["A1"].font = Font(bold=True, size=13)
    used = {"Rapport"}
    if report.kind == ReportKind.MONTHLY_ANALYSIS:
        for section in context["sections"]:
            _write(summary, [[section["title"]], [section["narrative"]]])
            for figure in section["figures"]:
                _write(summary, [[figure["label"], figure["text"]]])
            _write(summary, [[]])
            for table in section["tables"]:
                sheet = workbook.create_sheet(_sheet_title(table["title"], used))
                _write(sheet, [[table["title"]]])
                sheet["A1"].font = Font(bold=True)
                header = [table["row_label"], *table["columns"]] + (["Total"] if table["row_totals"] else [])
                _write(sheet, [header])
                for row in table["rows"]:
                    _write(
                        sheet,
                        [[row["label"], *row["cells"]] + ([row["total"]] if table["row_totals"] else [])],
                    )
                if table["rows"] and table["column_totals"]:
                    _write(
                        sheet,
                        [["Total", *table["totals"]] + ([table["grand"]] if table["row_totals"] else [])],
                    )
                if table.get("note"):
                    _write(sheet, [[], [table["note"]]])
                if table.get("protected"):
                    _write(sheet, [[], [disclosure]])
    else:
        _write(summary, [[context["overview"]], []])
        sheet = workbook.create_sheet(_sheet_title("Indicateurs", used))
        _write(
            sheet,
            [
                [
                    "Résultat",
                    "Code",
                    "Indicateur",
                    "Référence",
                    "Cible",
                    "Valeur",
                    "Femmes",
                    "Hommes",
                    "Réalisation",
                    "Feu",
                ]
            ],
        )
        for section in context["sections"]:
            _write(summary, [[f"{section['code']} {section['title']}"], [section["narrative"]], []])
            for item in section["indicators"]:
                _write(
                    sheet,
                    [
                        [
                            section["code"],
                            item["code"],
                            item["name"],
                            item["baseline"],
                            item["target"],
                            item["value_text"],
                            item["women"] or "—",
                            item["men"] or "—",
                            item["percent_text"],
                            item["light"],
                            *(
                                (item["annual"]["target"], item["annual"]["value"], item["annual"]["percent"])
                                if item.get("annual")
                                else ("", "", "")
                            ),
                        ]
                    ],
                )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
