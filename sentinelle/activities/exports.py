"""The 4W as XLSX or CSV: French headers, then the HXL hashtag row, then one activity per row.

The rows are those of the 4W page for the same user and filters (selectors.reporting.fourw_activities):
validated activities of published months, plus submitted ones for reviewers. Text typed by partners
(titles, project names) never becomes a formula in a spreadsheet: a cell starting with = + - @ (or a tab
or carriage return) gets a leading apostrophe. Every export is audited (EXPORT) with its format and row
count, never its content.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from sentinelle.activities.models import ActivityStatus, ActivityType
from sentinelle.activities.selectors.reporting import levels_of
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import PopulationStatus
from sentinelle.core.models import AuditAction
from sentinelle.core.spreadsheets import safe_cell
from sentinelle.geography.models import AdminLevel

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
SECTOR = "Protection"


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    hxl: str
    width: int = 14


_STATUS_TAGS = {
    PopulationStatus.IDP: "#reached+idps",
    PopulationStatus.IDP_RETURNEE: "#reached+idps+returnees",
    PopulationStatus.REPATRIATE: "#reached+repatriates",
    PopulationStatus.REFUGEE: "#reached+refugees",
    PopulationStatus.HOST: "#reached+host",
}

COLUMNS = [
    Column("reference", _("Reference"), "#meta+id", 38),
    Column("period", _("Month"), "#date+reported", 10),
    Column("organisation", _("Organisation"), "#org+acronym", 14),
    Column("sector", _("Sector"), "#sector", 12),
    Column("programme", _("Programme"), "#activity+programme", 14),
    Column("project", _("Project"), "#activity+project", 16),
    Column("activity_type", _("Type of activity"), "#activity+type", 26),
    Column("activity_type_code", _("Type of activity (code)"), "#activity+type+code", 18),
    Column("title", _("Title"), "#activity+name", 36),
    Column("status", _("Status"), "#status", 12),
    Column("adm1_name", _("Region"), "#adm1+name", 14),
    Column("adm1_code", _("Region (P-code)"), "#adm1+code", 10),
    Column("adm2_name", _("Cercle"), "#adm2+name", 14),
    Column("adm2_code", _("Cercle (P-code)"), "#adm2+code", 10),
    Column("adm3_name", _("Commune"), "#adm3+name", 16),
    Column("adm3_code", _("Commune (P-code)"), "#adm3+code", 12),
    Column("start", _("Start"), "#date+start", 12),
    Column("end", _("End"), "#date+end", 12),
    Column("quantity", _("Quantity"), "#output+num", 10),
    Column("reached_f", _("Women and girls reached"), "#reached+f", 10),
    Column("reached_m", _("Men and boys reached"), "#reached+m", 10),
    # Partners who gave a total without its full split by sex: never spread over women and men.
    Column("reached_unknown_sex", _("People reached of unknown sex"), "#reached+unknown_sex", 10),
    Column("reached_children", _("Children reached (0-17)"), "#reached+children", 10),
    Column("reached_adults", _("Adults reached (18+)"), "#reached+adults", 10),
    Column("reached_total", _("People reached"), "#reached+total", 10),
    *[
        Column(f"reached_{status}", label, _STATUS_TAGS[status], 10)
        for status, label in PopulationStatus.choices
    ],
]


def fourw_row(activity) -> dict:
    levels = levels_of(activity.area)
    region, cercle, commune = (levels.get(level) for level in (1, 2, 3))
    project = activity.project
    return {
        "reference": str(activity.public_id),
        "period": activity.report.period.month.strftime("%Y-%m"),
        "organisation": activity.organisation.acronym,
        "sector": SECTOR,
        "programme": project.programme.code if project and project.programme else "",
        "project": project.code if project else "",
        "activity_type_code": activity.activity_type,
        "activity_type": str(ActivityType(activity.activity_type).label),
        "title": activity.title,
        "status": str(ActivityStatus(activity.status).label),
        "adm1_name": region.name_fr if region else "",
        "adm1_code": region.pcode if region else "",
        "adm2_name": cercle.name_fr if cercle else "",
        "adm2_code": cercle.pcode if cercle else "",
        "adm3_name": commune.name_fr if commune and activity.area.level == AdminLevel.COMMUNE else "",
        "adm3_code": commune.pcode if commune and activity.area.level == AdminLevel.COMMUNE else "",
        "start": activity.start_date,
        "end": activity.end_date,
        "quantity": activity.quantity,
        **{
            key: getattr(activity, key) or 0
            for key in (
                "reached_f",
                "reached_m",
                "reached_unknown_sex",
                "reached_children",
                "reached_adults",
                "reached_total",
                *(f"reached_{status}" for status in PopulationStatus.values),
            )
        },
    }


def _values(activities) -> list[list]:
    return [[safe_cell(fourw_row(activity)[c.key]) for c in COLUMNS] for activity in activities]


def fourw_xlsx(activities) -> tuple[bytes, int]:
    book = Workbook(write_only=True)
    with translation.override("fr"):
        sheet = book.create_sheet("4W")
        for index, column in enumerate(COLUMNS):
            sheet.column_dimensions[get_column_letter(index + 1)].width = column.width
        sheet.freeze_panes = "A3"
        bold = Font(bold=True)
        header = []
        for column in COLUMNS:
            cell = WriteOnlyCell(sheet, value=str(column.label))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        sheet.append([column.hxl for column in COLUMNS])
        rows = _values(activities)
        for row in rows:
            sheet.append(row)
        book.properties.title = "Sentinelle – 4W"
        book.properties.creator = "Sentinelle"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), len(rows)


def fourw_csv(activities) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    with translation.override("fr"):
        writer.writerow([str(column.label) for column in COLUMNS])
        writer.writerow([column.hxl for column in COLUMNS])
        rows = _values(activities)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
    # A byte-order mark so that Excel reads the accents right.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), len(rows)


def fourw_export(
    *, user, activities, fmt: str, filters: dict | None = None, request=None
) -> tuple[bytes, int]:
    """The 4W file in `fmt` ("xlsx" or "csv"), audited."""
    content, count = fourw_xlsx(activities) if fmt == "xlsx" else fourw_csv(activities)
    audit_record(
        action=AuditAction.EXPORT,
        user=user,
        object_type="activities.activity",
        request=request,
        detail={"format": fmt, "rows": count, "filters": filters or {}},
    )
    return content, count
