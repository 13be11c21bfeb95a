"""The directory as an XLSX workbook: French headers, an HXL hashtag row, one service per row.

The columns and hashtags are those the "services" import reads, so an exported workbook can be
corrected and imported again: the identifier column carries the service's source identifier (or its
public id), which makes the re-import update nothing twice.
"""

import io
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font

from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.spreadsheets import safe_cell
from sentinelle.geography.models import AdminArea

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    hxl: str
    width: int = 18


COLUMNS = [
    Column("source_id", _("Identifier"), "#meta+id", 38),
    Column("name", _("Name of the service"), "#activity+name", 36),
    Column("service_type", _("Type of service"), "#sector+type", 24),
    Column("provider", _("Provider (acronym)"), "#org+acronym", 16),
    Column("provider_name", _("Provider (name)"), "#org+name", 36),
    Column("region", _("Region"), "#adm1+name", 14),
    Column("cercle", _("Cercle"), "#adm2+name", 14),
    Column("commune", _("Commune"), "#adm3+name", 18),
    Column("pcode", _("P-code of the place"), "#adm3+code", 14),
    Column("settlement", _("Settlement"), "#loc+name", 18),
    Column("address", _("Address"), "#loc+address", 30),
    Column("areas_served", _("Areas served (P-codes)"), "#loc+served+code", 24),
    Column("areas_served_names", _("Areas served (names)"), "#loc+served+name", 30),
    Column("opening_hours", _("Opening hours"), "#meta+hours", 24),
    Column("contact_phone", _("Contact phone"), "#contact+phone", 18),
    Column("contact_email", _("Contact e-mail"), "#contact+email", 26),
    Column("languages", _("Languages"), "#meta+languages", 22),
    Column("eligibility", _("Eligibility"), "#meta+eligibility", 30),
    Column("cost", _("Cost"), "#meta+cost", 12),
    Column("capacity_per_month", _("Capacity per month"), "#capacity+monthly", 12),
    Column("status", _("Status"), "#status", 14),
    Column("last_verified_on", _("Last verified on"), "#date+verified", 14),
    Column("description", _("Description"), "#description", 40),
]


def _levels(area) -> dict[int, object]:
    """The area and its ancestors down to the region, by level (loaded with select_related)."""
    found = {}
    node = area
    while node is not None:
        found[node.level] = node
        if node.level <= 1:
            break
        node = node.parent
    return found


def _name(levels: dict, level: int) -> str:
    return levels[level].name_fr if level in levels else ""


def _row(service) -> list:
    area = service.area
    levels = _levels(area)
    served = list(service.areas_served.all())
    return [
        service.source_id or str(service.public_id),
        service.name,
        service.get_service_type_display(),
        service.provider.acronym,
        service.provider.name,
        _name(levels, 1),
        _name(levels, 2),
        _name(levels, 3),
        area.pcode,
        service.settlement.name if service.settlement else "",
        service.address,
        "; ".join(served_area.pcode for served_area in served),
        "; ".join(served_area.name_fr for served_area in served),
        service.opening_hours,
        service.contact_phone,
        service.contact_email,
        service.languages,
        service.eligibility,
        service.get_cost_display(),
        service.capacity_per_month,
        service.get_status_display(),
        service.last_verified_on,
        service.description,
    ]


_HEAVY = [
    f"{prefix}{name}"
    for prefix in ("area__", "area__parent__", "area__parent__parent__", "area__parent__parent__parent__")
    for name in ("geometry", "bbox")
]


def services_workbook(services) -> tuple[bytes, int]:
    """The workbook (bytes) and the number of services in it; labels in French. Two queries."""
    services = list(
        services.select_related("area__parent__parent__parent")
        .defer(*_HEAVY)
        .prefetch_related(Prefetch("areas_served", queryset=AdminArea.objects.defer("geometry", "bbox")))
    )
    book = Workbook(write_only=True)
    with translation.override("fr"):
        sheet = book.create_sheet(str(_("Services")))
        for index, column in enumerate(COLUMNS):
            sheet.column_dimensions[_letter(index)].width = column.width
        sheet.freeze_panes = "A3"
        sheet.append(_styled(sheet, [str(column.label) for column in COLUMNS], Font(bold=True)))
        sheet.append([column.hxl for column in COLUMNS])
        for service in services:
            sheet.append([safe_cell(value) for value in _row(service)])
        # The import recognises its own kind of file by this marker (ingest.matching.TEMPLATE_MARKER).
        book.properties.keywords = "sentinelle-import:services"
        book.properties.title = "Sentinelle – " + str(_("Services"))
        book.properties.creator = "Sentinelle"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), len(services)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _styled(sheet, values: list, font) -> list:
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = font
        cells.append(cell)
    return cells


def services_export(*, user, services, request=None) -> tuple[bytes, int]:
    """The workbook of the services the user found, audited (what was exported, never who is in it)."""
    content, count = services_workbook(services)
    audit_record(
        action=AuditAction.EXPORT,
        user=user,
        object_type="directory.service",
        request=request,
        detail={"format": "xlsx", "rows": count},
    )
    return content, count
