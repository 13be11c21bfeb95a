"""The "people_in_need" import: the needs table of the humanitarian needs overview, one row per area
(region, cercle or commune by #adm1/#adm2/#adm3 code or name), year and population group (#inneed),
written by displacement.people_in_need_import (all or nothing; a re-import changes nothing).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sentinelle.core.codes import PopulationStatus
from sentinelle.core.permissions import Perm, may_act_for
from sentinelle.core.validation import Errors
from sentinelle.displacement.models import PeopleInNeed
from sentinelle.displacement.services import NeedLine, need_check, people_in_need_import
from sentinelle.geography.models import AdminLevel
from sentinelle.geography.selectors import AreaLookupError, AreaResolver
from sentinelle.ingest.kinds import register
from sentinelle.ingest.kinds.base import CODE, COUNT, ImportColumn, ImportKind, Row, RowError
from sentinelle.ingest.kinds.population import STATUS_ALIASES, resolve_column
from sentinelle.ingest.runner import commit_refusals

_LEVELS = {"adm1": AdminLevel.REGION, "adm2": AdminLevel.CERCLE, "adm3": AdminLevel.COMMUNE}

AREA_COLUMNS = [
    ImportColumn("adm1_code", gettext_lazy("Region (P-code)"), "#adm1+code"),
    ImportColumn("adm1_name", gettext_lazy("Region"), "#adm1+name", match="#adm1-code"),
    ImportColumn("adm2_code", gettext_lazy("Cercle (P-code)"), "#adm2+code"),
    ImportColumn("adm2_name", gettext_lazy("Cercle"), "#adm2+name", match="#adm2-code"),
    ImportColumn("adm3_code", gettext_lazy("Commune (P-code)"), "#adm3+code"),
    ImportColumn("adm3_name", gettext_lazy("Commune"), "#adm3+name", match="#adm3-code"),
]
# Most precise first: errors about the area point at the column the row used.
AREA_KEYS = ["adm3_code", "adm3_name", "adm2_code", "adm2_name", "adm1_code", "adm1_name"]
COLUMNS = [
    *AREA_COLUMNS,
    ImportColumn("year", gettext_lazy("Year"), "#date+year", type=COUNT, required=True),
    ImportColumn(
        "population_status",
        gettext_lazy("Population group"),
        "#meta+status",
        type=CODE,
        choices=PopulationStatus,
        aliases=STATUS_ALIASES,
        required=True,
    ),
    ImportColumn("people_in_need", gettext_lazy("People in need"), "#inneed", type=COUNT, required=True),
    ImportColumn(
        "source", gettext_lazy("Source"), "#meta+source", help=gettext_lazy("e.g. HNO 2024 (the default).")
    ),
]


@dataclass
class Context:
    resolver: AreaResolver
    organisation: object
    actor: object
    allowed: dict = field(default_factory=dict)


@register
class PeopleInNeedImport(ImportKind):
    code = "people_in_need"
    label = gettext_lazy("People in need (HNO)")
    description = gettext_lazy(
        "People in need by region, cercle or commune, year and population group, from the humanitarian "
        "needs overview."
    )
    columns = COLUMNS
    required_any = [AREA_KEYS]
    perm = Perm.POPULATION_MANAGE
    commit_validates = True
    error_columns = {
        "area": AREA_KEYS,
        "year": ["year"],
        "population_status": ["population_status"],
        "people_in_need": ["people_in_need"],
        "source": ["source"],
    }
    preview_labels = [
        gettext_lazy("Area"),
        gettext_lazy("Year"),
        gettext_lazy("Population group"),
        gettext_lazy("People in need"),
        gettext_lazy("Source"),
    ]

    def start(self, *, job) -> Context:
        return Context(
            resolver=AreaResolver(), organisation=job.organisation, actor=job.committed_by or job.created_by
        )

    def build(self, row: Row, context: Context) -> NeedLine:
        area = self._area(row, context)
        year = row.get("year")
        if row.errors or area is None:
            raise RowError
        return NeedLine(
            organisation=context.organisation,
            area=area,
            year=year,
            population_status=row.get("population_status"),
            people_in_need=row.get("people_in_need"),
            source=row.get("source") or f"HNO {year}",
        )

    def _area(self, row: Row, context: Context):
        key = next((key for key in AREA_KEYS if row.has(key)), None)
        if key is None:
            row.error("adm2_code", _("Give the region, cercle or commune (P-code or name)."))
            return None
        try:
            return resolve_column(row, key, context.resolver, level=_LEVELS[key[:4]])
        except AreaLookupError as error:
            row.error(key, str(error))
            return None

    def validate(self, item: NeedLine, context: Context) -> list[tuple[str, str]]:
        if item.area.pk not in context.allowed:
            context.allowed[item.area.pk] = may_act_for(
                context.actor, Perm.POPULATION_MANAGE, organisation=context.organisation, area=item.area
            )
        if not context.allowed[item.area.pk]:
            return [("area", _("You may not record population data for this organisation in this area."))]
        errors = Errors()
        need_check(errors, item)
        return [(key, message) for key, messages in errors.as_dict().items() for message in messages]

    def source_id(self, item: NeedLine) -> str:
        return f"{item.area.pcode}|{item.year}|{item.population_status}"

    def existing(self, *, organisation, source_ids: list[str]) -> set[str]:
        years = {int(value.split("|")[1]) for value in source_ids}
        known = {
            f"{pcode}|{year}|{status}"
            for pcode, year, status in PeopleInNeed.objects.filter(
                is_archived=False, year__in=years
            ).values_list("area__pcode", "year", "population_status")
        }
        return set(source_ids) & known

    def commit(self, *, actor, organisation, items: list[NeedLine]) -> tuple[int, int]:
        with commit_refusals():
            result = people_in_need_import(actor=actor, organisation=organisation, rows=items)
        return result.created, result.unchanged

    def preview(self, item: NeedLine) -> list[str]:
        return [
            f"{item.area.name_fr} ({item.area.pcode})",
            str(item.year),
            str(PopulationStatus(item.population_status).label),
            str(item.people_in_need),
            item.source,
        ]
