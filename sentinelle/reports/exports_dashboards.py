"""A dashboard table as XLSX or CSV, each with an HXL hashtag row under the headers.

The file holds what the page showed the same user: exact numbers for analysts (small cells marked
"3*"), the disclosed text ("<5") for everyone else. Text is neutralised against formula injection.
"""

import csv
import datetime
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from sentinelle.core.disclosure import TOTAL
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
    """The number of a cell that is not suppressed; the shown text of a small cell ("<5", or "3*" marked
    for analysts); a ratio as a number."""
    if cell.value is not None and not cell.suppressed:
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
    for line in [*description, *figure.notes]:
        about.append([safe_cell(str(line))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
