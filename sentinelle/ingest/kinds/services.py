"""The "services" import: one row per service of the directory, written by directory.service_import_many.

Written by the directory engineer (issue 4) on the registry's API. The columns, French headers and HXL
hashtags are those of the directory's XLSX export (sentinelle/directory/exports.py), so an exported
workbook can be corrected and imported again: its identifier column (a source identifier, or the
service's public id) makes the re-import leave known services unchanged.

The provider is the job's organisation unless the row names another one (by acronym or name) that the
person importing may manage (the IMO loads the cluster's whole service mapping at once).
"""

import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sentinelle.accounts.models import Organisation
from sentinelle.core.permissions import Perm, may_act_for
from sentinelle.core.text import normalise_text
from sentinelle.core.validation import Errors
from sentinelle.directory.exports import COLUMNS as EXPORT_COLUMNS
from sentinelle.directory.models import Cost, Service, ServiceStatus, ServiceType
from sentinelle.directory.services import (
    ServiceLine,
    service_check,
    service_import_many,
)
from sentinelle.geography.models import AdminLevel, Settlement
from sentinelle.geography.selectors import AreaLookupError, AreaResolver, as_pcode
from sentinelle.ingest.kinds import register
from sentinelle.ingest.kinds.base import CODE, COUNT, DATE, ImportColumn, ImportKind, Row, RowError
from sentinelle.ingest.runner import commit_refusals

_SEPARATORS = re.compile(r"[;,\n|]+")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_IN_LIMIT = 900  # SQLite's limit on query parameters, with room to spare

_EXPORTED = {column.key: column for column in EXPORT_COLUMNS}
# Types, patterns and requirements on top of the export's labels and hashtags.
_SPECS = {
    "name": {"required": True},
    "service_type": {"type": CODE, "choices": ServiceType, "required": True},
    "settlement": {"match": "#loc+name-served"},
    "cost": {"type": CODE, "choices": Cost},
    "capacity_per_month": {"type": COUNT},
    "status": {"type": CODE, "choices": ServiceStatus},
    "last_verified_on": {"type": DATE},
    "provider_name": {"in_template": False},
    "region": {"in_template": False},
}


def _column(key: str) -> ImportColumn:
    exported = _EXPORTED[key]
    return ImportColumn(key, exported.label, exported.hxl, **_SPECS.get(key, {}))


COLUMNS = [_column(column.key) for column in EXPORT_COLUMNS]


@dataclass
class Context:
    resolver: AreaResolver
    organisation: Organisation
    actor: object
    organisations: dict = field(default_factory=dict)  # normalised acronym or name -> Organisation
    manageable: dict = field(default_factory=dict)  # organisation id -> bool
    settlements: dict = field(default_factory=dict)  # commune id -> {key or P-code: [Settlement]}


@register
class ServiceImport(ImportKind):
    code = "services"
    label = gettext_lazy("Services of the directory")
    description = gettext_lazy(
        "Services that survivors can be referred to: one row per service, with the areas served."
    )
    columns = COLUMNS
    required_any = [["pcode", "commune"]]
    perm = Perm.SERVICE_MANAGE
    # service_import_many validates every row again and names the rows it refuses.
    commit_validates = True
    error_columns = {
        "name": ["name"],
        "service_type": ["service_type"],
        "provider": ["provider", "provider_name"],
        "area": ["pcode", "commune", "cercle"],
        "settlement": ["settlement"],
        "areas_served": ["areas_served", "areas_served_names"],
        "address": ["address"],
        "opening_hours": ["opening_hours"],
        "contact_phone": ["contact_phone"],
        "contact_email": ["contact_email"],
        "languages": ["languages"],
        "cost": ["cost"],
        "capacity_per_month": ["capacity_per_month"],
        "status": ["status"],
        "last_verified_on": ["last_verified_on"],
        "source_id": ["source_id"],
    }
    preview_labels = [
        gettext_lazy("Identifier"),
        gettext_lazy("Name of the service"),
        gettext_lazy("Type of service"),
        gettext_lazy("Provider"),
        gettext_lazy("Where"),
    ]

    def start(self, *, job) -> Context:
        organisations = {}
        for organisation in Organisation.objects.filter(is_archived=False):
            organisations[normalise_text(organisation.acronym)] = organisation
            organisations.setdefault(normalise_text(organisation.name), organisation)
        return Context(
            resolver=AreaResolver(),
            organisation=job.organisation,
            actor=job.committed_by or job.created_by,
            organisations=organisations,
        )

    # --- Row -> ServiceLine ----------------------------------------------------------------

    def build(self, row: Row, context: Context) -> ServiceLine:
        # The runner reads every cell first (None when empty), so text values are taken with `or ""`.
        provider = self._provider(row, context)
        area = self._area(row, context)
        settlement = (
            self._settlement(row, context, area) if area is not None and row.has("settlement") else None
        )
        areas_served = self._areas_served(row, context)
        if row.errors or provider is None or area is None:
            raise RowError
        return ServiceLine(
            name=row.get("name") or "",
            service_type=row.get("service_type") or "",
            provider=provider,
            area=area,
            settlement=settlement,
            address=row.get("address") or "",
            areas_served=areas_served,
            opening_hours=row.get("opening_hours") or "",
            contact_phone=row.get("contact_phone") or "",
            contact_email=row.get("contact_email") or "",
            languages=row.get("languages") or "",
            eligibility=row.get("eligibility") or "",
            cost=row.get("cost") or Cost.FREE,
            capacity_per_month=row.get("capacity_per_month"),
            status=row.get("status") or ServiceStatus.ACTIVE,
            last_verified_on=row.get("last_verified_on"),
            description=row.get("description") or "",
            source_id=(row.get("source_id") or row.content_hash())[:128],
        )

    def _provider(self, row: Row, context: Context):
        key = "provider" if row.has("provider") else "provider_name"
        value = row.get(key) or ""
        if not value:
            provider = context.organisation
        else:
            provider = context.organisations.get(normalise_text(value))
            if provider is None:
                row.error(key, _("No organisation “%(value)s” in Sentinelle.") % {"value": value})
                return None
        if provider.pk not in context.manageable:
            context.manageable[provider.pk] = may_act_for(
                context.actor, Perm.SERVICE_MANAGE, organisation=provider
            )
        if not context.manageable[provider.pk]:
            row.error(
                key,
                _("You may not manage the services of %(organisation)s.")
                % {"organisation": provider.acronym},
            )
            return None
        return provider

    def _area(self, row: Row, context: Context):
        try:
            if row.has("pcode"):
                return self._commune(context.resolver.resolve(row.get("pcode")), row, "pcode")
            parent = None
            if row.has("cercle"):
                parent = context.resolver.resolve(row.get("cercle"), level=AdminLevel.CERCLE)
            return self._commune(context.resolver.resolve(row.get("commune"), parent=parent), row, "commune")
        except AreaLookupError as error:
            row.error(
                "pcode" if row.has("pcode") else ("commune" if row.has("commune") else "cercle"), str(error)
            )
            return None

    def _commune(self, area, row: Row, key: str):
        if area.level < AdminLevel.COMMUNE:
            row.error(
                key,
                _("%(name)s (%(pcode)s) is not a commune: give the commune where the service is delivered.")
                % {"name": area.name_fr, "pcode": area.pcode},
            )
            return None
        return area

    def _settlement(self, row: Row, context: Context, area):
        commune = area if area.level <= AdminLevel.COMMUNE else context.resolver.by_id.get(area.parent_id)
        if commune.pk not in context.settlements:
            table: dict[str, list] = {}
            for settlement in Settlement.objects.filter(admin3=commune).only("id", "pcode", "key", "name"):
                settlement.admin3 = commune
                table.setdefault(settlement.key, []).append(settlement)
                table.setdefault(settlement.pcode, []).append(settlement)
            context.settlements[commune.pk] = table
        value = row.get("settlement")
        found = context.settlements[commune.pk].get(as_pcode(value) or normalise_text(value), [])
        if len(found) == 1:
            return found[0]
        message = (
            _("No locality “%(value)s” in %(area)s (%(pcode)s).")
            if not found
            else _("“%(value)s” names several localities in %(area)s: give its P-code.")
        )
        row.error("settlement", message % {"value": value, "area": commune.name_fr, "pcode": commune.pcode})
        return None

    def _areas_served(self, row: Row, context: Context) -> list:
        key = "areas_served" if row.has("areas_served") else "areas_served_names"
        areas = []
        for token in _SEPARATORS.split(row.get(key) or ""):
            if not token.strip():
                continue
            try:
                areas.append(context.resolver.resolve(token.strip()))
            except AreaLookupError as error:
                row.error(key, str(error))
        return areas

    # --- Domain ----------------------------------------------------------------------------------

    def validate(self, item: ServiceLine, context: Context) -> list[tuple[str, str]]:
        errors = Errors()
        service_check(errors, item, version=context.resolver.version)
        return [(key, message) for key, messages in errors.as_dict().items() for message in messages]

    def source_id(self, item: ServiceLine) -> str:
        return item.source_id

    def existing(self, *, organisation, source_ids: list[str]) -> set[str]:
        found = set()
        for start in range(0, len(source_ids), _IN_LIMIT):
            chunk = source_ids[start : start + _IN_LIMIT]
            uuids = [value for value in chunk if _UUID.match(value)]
            rows = Service.objects.filter(Q(source_id__in=chunk) | Q(public_id__in=uuids))
            for source_id, public_id in rows.values_list("source_id", "public_id"):
                found.update({source_id, str(public_id)} & set(chunk))
        return found

    def commit(self, *, actor, organisation, items: list[ServiceLine]) -> tuple[int, int]:
        with commit_refusals(permission_key="provider"):
            result = service_import_many(actor=actor, organisation=organisation, rows=items)
        return result.created, result.unchanged

    def preview(self, item: ServiceLine) -> list[str]:
        source = "" if item.source_id.startswith("h:") else item.source_id
        return [
            source,
            item.name,
            str(ServiceType(item.service_type).label) if item.service_type in ServiceType.values else "",
            item.provider.acronym if item.provider else "",
            f"{item.area.name_fr} ({item.area.pcode})" if item.area else "",
        ]
