"""Files Sentinelle writes for imports: the templates (XLSX, CSV) and the list of a job's errors (CSV).

A template is the kind's headers, then the HXL hashtag row, then nothing: the data starts on row 3.
The XLSX template adds an Instructions sheet (every column explained, every code list with its labels),
drop-down lists of labels where a column takes one code (the import reads a label or a code alike, case
and accents ignored), and a marker in the document properties that lets an import recognise a file made
for another kind. A template speaks one language: French by default, English for an English-speaking
user (headers, lists, instructions); the import reads both.

Text coming from users (an error quotes the cell it is about) is neutralised before it goes into a
spreadsheet: a cell that starts with = + - @ would otherwise be run as a formula by Excel.
"""

import csv
import io

from django.utils import translation
from django.utils.translation import gettext as _

from sentinelle.core.spreadsheets import safe_cell
from sentinelle.ingest.kinds.base import BOOL, CODE, CODES, COUNT, DATE, NUMBER, ImportColumn, ImportKind
from sentinelle.ingest.matching import TEMPLATE_MARKER

# Rows that carry drop-down lists and number checks in the XLSX template.
VALIDATED_ROWS = 5000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def _type_label(column: ImportColumn) -> str:
    return {
        DATE: _("date (2024-03-31 or 31/03/2024)"),
        COUNT: _("whole number, 0 or more"),
        NUMBER: _("number"),
        BOOL: _("yes or no (oui / non)"),
        CODE: _("one code of the list"),
        CODES: _("one or more codes of the list, separated by ;"),
    }.get(column.type, _("text"))


def _sheet_title(text: str) -> str:
    for character in "[]:*?/\\":
        text = text.replace(character, " ")
    return text[:31]


def template_rows(kind: ImportKind) -> tuple[list[str], list[str]]:
    """The header row (in the active language) and the hashtag row."""
    columns = kind.template_columns()
    return [str(column.label) for column in columns], [column.hxl for column in columns]


def template_language(language: str | None) -> str:
    """French unless the user reads English (the only two languages of Sentinelle)."""
    return "en" if (language or "").lower().startswith("en") else "fr"


def template_csv(kind: ImportKind, rows: list[dict] | None = None, *, language: str = "fr") -> bytes:
    """The CSV template (UTF-8 with BOM and ";", as French Excel expects), optionally with data rows."""
    with translation.override(template_language(language)):
        headers, tags = template_rows(kind)
    keys = [column.key for column in kind.template_columns()]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerow(tags)
    for row in rows or []:
        writer.writerow([_csv_cell(row.get(key)) for key in keys])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def template_xlsx(kind: ImportKind, rows: list[dict] | None = None, *, language: str = "fr") -> bytes:
    """The XLSX template; with `rows`, a filled file (samples) written in streaming mode."""
    from openpyxl import Workbook

    with translation.override(template_language(language)):
        if rows is not None:
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet(_sheet_title(str(kind.label)))
            headers, tags = template_rows(kind)
            sheet.append(headers)
            sheet.append(tags)
            keys = [column.key for column in kind.template_columns()]
            for row in rows:
                sheet.append([safe_cell(row.get(key)) for key in keys])
        else:
            workbook = Workbook()
            _data_sheet(workbook, kind)
            _instructions_sheet(workbook, kind)
        workbook.properties.title = f"Sentinelle – {kind.label}"
        workbook.properties.subject = f"Sentinelle: {kind.code}"
        workbook.properties.keywords = f"{TEMPLATE_MARKER}{kind.code}"
        workbook.properties.creator = "Sentinelle"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _data_sheet(workbook, kind: ImportKind) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet = workbook.active
    sheet.title = _sheet_title(str(kind.label))
    headers, tags = template_rows(kind)
    sheet.append(headers)
    sheet.append(tags)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F1")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="666666")
    sheet.freeze_panes = "A3"
    lists = workbook.create_sheet(_("Lists"))
    lists.sheet_state = "hidden"
    list_column = 0
    last = VALIDATED_ROWS + 2
    for index, column in enumerate(kind.template_columns(), start=1):
        letter = get_column_letter(index)
        label = str(column.label)
        sheet.column_dimensions[letter].width = max(12, min(40, len(label) + 2))
        target = f"{letter}3:{letter}{last}"
        validation = None
        if column.type == CODE and column.codes is not None:
            list_column += 1
            list_letter = get_column_letter(list_column)
            # The labels, in the template's language: people choose words, the import finds the codes.
            labels = [text for _code, text in column.codes.describe()]
            lists.cell(row=1, column=list_column, value=label)
            for row, text in enumerate(labels, start=2):
                lists.cell(row=row, column=list_column, value=safe_cell(text))
            validation = DataValidation(
                type="list", formula1=f"'{lists.title}'!${list_letter}$2:${list_letter}${len(labels) + 1}"
            )
        elif column.type == BOOL:
            validation = DataValidation(type="list", formula1=f'"{_("yes")},{_("no")}"')
        elif column.type == COUNT:
            validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
            validation.error = _("A whole number, 0 or more.")
        if validation is not None:
            validation.allow_blank = True
            validation.showErrorMessage = True
            validation.errorTitle = label
            validation.error = validation.error or _(
                "Choose a value of the list (see the Instructions sheet)."
            )
            sheet.add_data_validation(validation)
            validation.add(target)


def _instructions_sheet(workbook, kind: ImportKind) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(_("Instructions"))
    bold = Font(bold=True)
    sheet.append([_("How to fill in this template")])
    sheet["A1"].font = Font(bold=True, size=13)
    for line in (
        _("One row per record, from row 3 of the first sheet. Keep rows 1 (headers) and 2 (HXL hashtags)."),
        _("Dates: 2024-03-31 or 31/03/2024. Places: P-code or name (accents and case do not matter)."),
        _(
            "Codes: choose a label of the drop-down list, or write the code or the label (French or "
            "English; case and accents do not matter). Several codes in one cell: separate them with ;"
        ),
        _("Imported again, the same rows change nothing (same identifier, or same content)."),
        _("Never write a name, a telephone number or an address in a file meant to be shared."),
        *(str(line) for line in kind.instructions),
    ):
        sheet.append([line])
    sheet.append([])
    sheet.append([_("Column"), _("HXL hashtag"), _("Required"), _("Type"), _("Help")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    required_any = {key for group in kind.required_any for key in group}
    for column in kind.template_columns():
        if column.required:
            required = _("yes")
        elif column.key in required_any:
            required = _("one of the place columns")
        else:
            required = _("no")
        sheet.append([str(column.label), column.hxl, required, _type_label(column), str(column.help)])
    sheet.append([])
    sheet.append([_("Code lists")])
    sheet[sheet.max_row][0].font = Font(bold=True, size=12)
    shown = set()
    for column in kind.template_columns():
        if column.codes is None or column.choices in shown:
            continue
        shown.add(column.choices)
        sheet.append([])
        sheet.append([str(column.label)])
        sheet[sheet.max_row][0].font = bold
        sheet.append([_("Code"), _("Label")])
        for code, label in column.codes.describe():
            sheet.append([code, label])
    for letter, width in (("A", 42), ("B", 34), ("C", 22), ("D", 34), ("E", 60)):
        sheet.column_dimensions[letter].width = width


def errors_csv(job) -> bytes:
    """Every error the job kept (row, column, value of the cell, message), then the values waiting for a
    mapping; neutralised against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Row"), _("Column"), _("Value"), _("Message")])
    for error in job.errors:
        writer.writerow(
            [
                error.get("row") or "",
                safe_cell(error.get("column") or ""),
                safe_cell(error.get("value") or ""),
                safe_cell(error.get("message") or ""),
            ]
        )
    for entry in getattr(job, "unmapped", None) or []:
        writer.writerow(
            [
                entry.get("first_row") or "",
                safe_cell(entry.get("header") or ""),
                safe_cell(entry.get("value") or ""),
                safe_cell(
                    _("Not in the list: to map in Sentinelle (%(count)s rows).")
                    % {"count": entry.get("rows")}
                ),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
