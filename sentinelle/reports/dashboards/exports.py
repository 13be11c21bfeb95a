"""A dashboard table as XLSX or CSV, each with an HXL hashtag row under the headers.

The file holds what the page showed the same user: for readers the protected figures ("<5" for a small
count, the others perturbed by up to 2), for analysts the exact ones, marked "3*" or "12†" where a reader
sees something else. The figure's disclosure note is in the XLSX's "About" sheet and on the CSV's first
line, above the headers (the view also sends the X-Sentinelle-Disclosure header). Text is neutralised
against formula injection.
"""

import csv
import datetime
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from sentinelle.core.disclosure import TOTAL, Status
from sentinelle.core.spreadsheets import safe_cell
from sentinelle.reports.dashboards.tables import Figure, Shown

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def _code(code) -> str:
    if code == TOTAL:
        return ""
    if isinstance(code, datetime.date):
        return code.isoformat()[:7]
    return "" if code is None else str(code)


def _value(cell: Shown):
    """The number a reader gets (a ratio as a number too), or the shown text: "<5", or an analyst's
    marked figure ("3*", "12†")."""
    if cell.value is not None and cell.status == Status.EXACT:
        return cell.value
    return cell.text


def table_lines(figure: Figure) -> tuple[list[str], list[str], list[list]]:
    """Headers, HXL hashtags and rows (codes, labels, cells) of a figure's table."""
    table = figure.table
    headers = [_("Code"), table.row_header, *[column.label for column in table.columns]]
    tags = [f"{table.row_tag}+code", f"{table.row_tag}+name", *[column.tag for column in table.columns]]
    rows = [[_code(row.code), row.label, *[_value(cell) for cell in row.cells]] for row in table.all_rows()]
    return headers, tags, rows


def figure_csv(figure: Figure) -> bytes:
    headers, tags, rows = table_lines(figure)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if figure.disclosure:
        # Above the headers: HXL tools read the row over the hashtag row as the headers and skip the rest.
        writer.writerow([safe_cell(figure.disclosure)])
    writer.writerow([safe_cell(h) for h in headers])
    writer.writerow(tags)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def figure_xlsx(figure: Figure, *, description: list[str]) -> bytes:
    headers, tags, rows = table_lines(figure)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Table")[:31]
    sheet.append([safe_cell(h) for h in headers])
    sheet.append(tags)
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    about = workbook.create_sheet(_("About")[:31])
    about.append([safe_cell(figure.title)])
    for line in [*description, *figure.notes, *([figure.disclosure] if figure.disclosure else [])]:
        about.append([safe_cell(str(line))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
