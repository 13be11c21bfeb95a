"""The "population" import: DTM/CMP-style tables, one row per area (cercle or commune) and round,
written by displacement.figures_import (all or nothing; a re-import changes nothing).

A row gives its status in one of two ways:
  - a status column (#meta+status: idp, idp_returnee, repatriate, refugee or their French names) with
    generic counts (#affected+ind, #affected+hh) and, optionally, counts by sex and age
    (#affected+f+age_0_5 ...);
  - the standard DTM hashtags, one pair of columns per status: #affected+idps+ind / +hh,
    #affected+returnees+ind / +hh (returned IDPs), #affected+repatriated+ind / +hh (also
    #affected+returnees+abroad), #affected+refugees+ind / +hh. Such a row gives one figure per
    status present (a baseline table with IDPs and returnees on one line).
The area is a P-code or a name (#adm2+code / #adm2+name, #adm3+code / #adm3+name); the round date is
#date+reported; the source (#meta+source) defaults to the CMP/DTM.
"""

from dataclasses import dataclass, field, replace

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sentinelle.core.codes import AgeGroup, PopulationStatus, Sex
from sentinelle.core.permissions import Perm, may_act_for
from sentinelle.core.validation import Errors
from sentinelle.displacement.models import FigureSource, PopulationFigure
from sentinelle.displacement.services import FigureLine, figure_check, figures_import
from sentinelle.geography.models import AdminLevel
from sentinelle.geography.selectors import AreaLookupError, AreaResolver
from sentinelle.ingest.kinds import register
from sentinelle.ingest.kinds.base import CODE, COUNT, DATE, ImportColumn, ImportKind, Row, RowError
from sentinelle.ingest.runner import commit_refusals

IN_LIMIT = 900
STATUS_ALIASES = (
    ("PDI", PopulationStatus.IDP),
    ("IDP", PopulationStatus.IDP),
    ("IDPs", PopulationStatus.IDP),
    ("déplacés", PopulationStatus.IDP),
    ("déplacés internes", PopulationStatus.IDP),
    ("PDI retournées", PopulationStatus.IDP_RETURNEE),
    ("retournés", PopulationStatus.IDP_RETURNEE),
    ("returnees", PopulationStatus.IDP_RETURNEE),
    ("rapatriés", PopulationStatus.REPATRIATE),
    ("repatriated", PopulationStatus.REPATRIATE),
    ("réfugiés", PopulationStatus.REFUGEE),
    ("refugees", PopulationStatus.REFUGEE),
    ("hôtes", PopulationStatus.HOST),
)
SOURCE_ALIASES = (("DTM", FigureSource.CMP), ("CMP", FigureSource.CMP), ("OIM", FigureSource.CMP))

# Status-specific DTM columns: status -> (HXL attributes, alternative attributes).
_TAGGED = {
    PopulationStatus.IDP: ("idps", None),
    PopulationStatus.IDP_RETURNEE: ("returnees", None),
    PopulationStatus.REPATRIATE: ("repatriated", "returnees+abroad"),
    PopulationStatus.REFUGEE: ("refugees", None),
}
_STATUS_ATTRIBUTES = "-idps-returnees-repatriated-refugees"


def _tagged_columns() -> list[ImportColumn]:
    columns = []
    for status, (attribute, alternative) in _TAGGED.items():
        label = PopulationStatus(status).label
        for unit, unit_label in (("ind", gettext_lazy("individuals")), ("hh", gettext_lazy("households"))):
            match = f"#affected+{attribute}+{unit}"
            if alternative:
                match += f"|#affected+{alternative}+{unit}"
            elif status == PopulationStatus.IDP_RETURNEE:
                match += "-abroad"
            columns.append(
                ImportColumn(
                    f"{status}_{unit}",
                    format_lazy("{} – {}", label, unit_label),
                    f"#affected+{attribute}+{unit}",
                    match=match,
                    type=COUNT,
                    in_template=False,
                )
            )
    return columns


# Children or adults without a finer age attribute (#affected+f+children): the coarse age groups.
_COARSE_TAGS = {
    AgeGroup.CHILDREN: "+children-infants-adolescents-age_0_5-age_6_11-age_12_17",
    AgeGroup.ADULTS: "+adults-elderly-age_18_59-age_60_plus",
}

# The finer groups a coarse count may be the total of (adults 18-59 and elderly 60+ go side by side).
_COARSE_OF = {
    AgeGroup.AGE_0_5: AgeGroup.CHILDREN,
    AgeGroup.AGE_6_11: AgeGroup.CHILDREN,
    AgeGroup.AGE_12_17: AgeGroup.CHILDREN,
    AgeGroup.AGE_18_59: AgeGroup.ADULTS,
}


def _breakdown_column(sex: str, age: str) -> ImportColumn:
    match = f"#affected+{sex}+age_{age}{_STATUS_ATTRIBUTES}"
    hxl = f"#affected+{sex}+age_{age}"
    if age in _COARSE_TAGS:
        hxl = f"#affected+{sex}{_COARSE_TAGS[age].split('-', 1)[0]}"
        match += f"|#affected+{sex}{_COARSE_TAGS[age]}{_STATUS_ATTRIBUTES}"
    return ImportColumn(
        f"n_{sex}_{age}",
        format_lazy("{} – {}", Sex(sex).label, AgeGroup(age).label),
        hxl,
        match=match,
        type=COUNT,
    )


def _breakdown_columns() -> list[ImportColumn]:
    return [_breakdown_column(sex, age) for sex in Sex.values for age in AgeGroup.values]


AREA_COLUMNS = [
    ImportColumn("adm2_code", gettext_lazy("Cercle (P-code)"), "#adm2+code"),
    ImportColumn("adm2_name", gettext_lazy("Cercle"), "#adm2+name", match="#adm2-code"),
    ImportColumn("adm3_code", gettext_lazy("Commune (P-code)"), "#adm3+code"),
    ImportColumn("adm3_name", gettext_lazy("Commune"), "#adm3+name", match="#adm3-code"),
]
STATUS_COLUMN = ImportColumn(
    "status",
    gettext_lazy("Population status"),
    "#meta+status",
    type=CODE,
    choices=PopulationStatus,
    aliases=STATUS_ALIASES,
    help=gettext_lazy("idp, idp_returnee, repatriate or refugee (or PDI, retournés, rapatriés, réfugiés)."),
)
TAGGED_COLUMNS = _tagged_columns()
BREAKDOWN_COLUMNS = _breakdown_columns()
COLUMNS = [
    ImportColumn(
        "source_id",
        gettext_lazy("Identifier"),
        "#meta+id",
        help=gettext_lazy("Your identifier of the row: imported again, the same identifier changes nothing."),
    ),
    *AREA_COLUMNS,
    ImportColumn("round_date", gettext_lazy("Date of the round"), "#date+reported", type=DATE, required=True),
    STATUS_COLUMN,
    ImportColumn(
        "households",
        gettext_lazy("Households"),
        "#affected+hh",
        match=f"#affected+hh{_STATUS_ATTRIBUTES}",
        type=COUNT,
    ),
    ImportColumn(
        "individuals",
        gettext_lazy("Individuals"),
        "#affected+ind",
        match=f"#affected+ind{_STATUS_ATTRIBUTES}",
        type=COUNT,
    ),
    *TAGGED_COLUMNS,
    *BREAKDOWN_COLUMNS,
    ImportColumn(
        "source",
        gettext_lazy("Source"),
        "#meta+source",
        type=CODE,
        choices=FigureSource,
        aliases=SOURCE_ALIASES,
        help=gettext_lazy("cmp (CMP/DTM, the default), authorities or partner."),
    ),
]
# Most precise first: errors about the area point at the column the row used.
AREA_KEYS = ["adm3_code", "adm3_name", "adm2_code", "adm2_name"]
COUNT_KEYS = ["individuals", "households", *(column.key for column in TAGGED_COLUMNS)]


@dataclass
class Context:
    resolver: AreaResolver
    organisation: object
    actor: object
    allowed: dict = field(default_factory=dict)  # area id -> may the actor record there


@dataclass
class FigureRows:
    """The figures of one row (one per status it gives)."""

    figures: list[FigureLine]

    @property
    def keys(self) -> list[str]:
        return [figure.source_key for figure in self.figures]


def resolve_column(row: Row, key: str, resolver: AreaResolver, *, level, parent=None):
    """The area a P-code or name column gives (AreaLookupError for names); None after an error."""
    value = row.get(key)
    if not key.endswith("_code"):
        return resolver.resolve(value, level=level, parent=parent)
    area = resolver.get(value)
    if area is None:
        row.error(
            key,
            _("Unknown P-code “%(value)s” (COD version “%(version)s”).")
            % {"value": value, "version": resolver.version.code},
        )
    elif area.level != level:
        row.error(
            key,
            _("%(name)s (%(pcode)s) is not at the level this column expects.")
            % {"name": area.name_fr, "pcode": area.pcode},
        )
        return None
    return area


def resolve_area(row: Row, resolver: AreaResolver, *, levels=(2, 3)):
    """The row's area from its most precise column, or None after recording the error."""
    key = next((key for key in ("adm3_code", "adm3_name", "adm2_code", "adm2_name") if row.has(key)), None)
    if key is None:
        row.error("adm2_code", _("Give the cercle or the commune (P-code or name)."))
        return None
    try:
        parent = None
        if key == "adm3_name" and (row.has("adm2_code") or row.has("adm2_name")):
            parent_key = "adm2_code" if row.has("adm2_code") else "adm2_name"
            parent = resolver.resolve(row.get(parent_key), level=AdminLevel.CERCLE)
        level = AdminLevel.COMMUNE if key.startswith("adm3") else AdminLevel.CERCLE
        area = resolve_column(row, key, resolver, level=level, parent=parent)
        if area is None:
            return None
    except AreaLookupError as error:
        row.error(key, str(error))
        return None
    if area.level not in levels:
        row.error(
            key,
            _("%(name)s (%(pcode)s) is not a cercle or a commune.")
            % {"name": area.name_fr, "pcode": area.pcode},
        )
        return None
    return area


@register
class PopulationImport(ImportKind):
    code = "population"
    label = gettext_lazy("Population figures (DTM/CMP)")
    description = gettext_lazy(
        "Population figures by cercle or commune, round and status (IDPs, returnees, repatriated, "
        "refugees): one row per area and status, or DTM columns per status."
    )
    columns = COLUMNS
    required_any = [AREA_KEYS, COUNT_KEYS]
    perm = Perm.POPULATION_MANAGE
    commit_validates = True
    error_columns = {
        "area": AREA_KEYS,
        "round_date": ["round_date"],
        "status": ["status"],
        "source": ["source"],
        "individuals": ["individuals", *(f"{status}_ind" for status in _TAGGED)],
        "households": ["households", *(f"{status}_hh" for status in _TAGGED)],
        "breakdown": [column.key for column in BREAKDOWN_COLUMNS],
        "source_key": ["source_id"],
        "organisation": ["source_id"],
    }
    preview_labels = [
        gettext_lazy("Area"),
        gettext_lazy("Date of the round"),
        gettext_lazy("Population status"),
        gettext_lazy("Individuals"),
        gettext_lazy("Households"),
        gettext_lazy("Source"),
    ]

    def start(self, *, job) -> Context:
        return Context(
            resolver=AreaResolver(), organisation=job.organisation, actor=job.committed_by or job.created_by
        )

    def build(self, row: Row, context: Context) -> FigureRows:
        area = resolve_area(row, context.resolver)
        round_date = row.get("round_date")
        source = row.get("source") or FigureSource.CMP
        counts = self._counts(row)
        if row.errors or area is None or not counts:
            raise RowError
        breakdown = {}
        for column in BREAKDOWN_COLUMNS:
            value = row.get(column.key)
            if value:
                _n, sex, age = column.key.split("_", 2)
                breakdown[(sex, age)] = value
        self._check_overlaps(row, breakdown)
        if breakdown and len(counts) > 1:
            row.error(
                BREAKDOWN_COLUMNS[0].key,
                _("Counts by sex and age need one status per row: this row gives several."),
            )
            raise RowError
        explicit = row.get("source_id") or ""
        figures = []
        for status, (individuals, households) in counts.items():
            figure = FigureLine(
                organisation=context.organisation,
                area=area,
                round_date=round_date,
                status=status,
                source=source,
                individuals=individuals,
                households=households,
                breakdown=breakdown,
            )
            if explicit:
                key = explicit if len(counts) == 1 else f"{explicit}|{status}"
            else:
                key = figure.natural_key()
            figures.append(replace(figure, source_key=key))
        return FigureRows(figures)

    def _check_overlaps(self, row: Row, breakdown: dict) -> None:
        """Children or adults without finer age group next to finer groups of the same sex: one is
        probably the total of the others (counted twice)."""
        for (sex, age), _count in breakdown.items():
            coarse = _COARSE_OF.get(age)
            if coarse is not None and (sex, coarse) in breakdown:
                row.error(
                    f"n_{sex}_{coarse}",
                    _(
                        "This row gives this sex both without finer age group (this column) and by finer "
                        "age group (“%(column)s”): give one or the other, not both, or the same people "
                        "could be counted twice."
                    )
                    % {"column": self.columns_by_key[f"n_{sex}_{age}"].french_label()},
                )

    def _counts(self, row: Row) -> dict[str, tuple]:
        """status -> (individuals, households) given by the row; errors recorded on the row."""
        counts = {}
        for status in _TAGGED:
            individuals, households = row.get(f"{status}_ind"), row.get(f"{status}_hh")
            if individuals is not None:
                counts[status] = (individuals, households)
            elif households is not None:
                row.error(f"{status}_hh", _("Households without individuals: give the individuals too."))
        if row.has("individuals") or row.has("status"):
            status = row.get("status")
            if status is None:
                row.error("status", _("Give the population status of the row."))
            elif row.get("individuals") is None:
                row.error("individuals", _("Empty cell: this column is required."))
            elif status in counts:
                row.error("status", _("This status is also given by its own columns in this row."))
            else:
                counts[status] = (row.get("individuals"), row.get("households"))
        elif not counts:
            row.error(
                "individuals", _("Give the individuals (with a status column, or DTM columns by status).")
            )
        return counts

    def validate(self, item: FigureRows, context: Context) -> list[tuple[str, str]]:
        problems = []
        for figure in item.figures:
            if figure.area.pk not in context.allowed:
                context.allowed[figure.area.pk] = may_act_for(
                    context.actor, Perm.POPULATION_MANAGE, organisation=context.organisation, area=figure.area
                )
            if not context.allowed[figure.area.pk]:
                problems.append(
                    ("area", _("You may not record population data for this organisation in this area."))
                )
                break
            errors = Errors()
            figure_check(errors, figure)
            for key, messages in errors.as_dict().items():
                problems += [(key, message) for message in messages]
        return problems

    def source_id(self, item: FigureRows) -> str:
        return "\n".join(item.keys)

    def existing(self, *, organisation, source_ids: list[str]) -> set[str]:
        wanted = {key: item for item in source_ids for key in item.split("\n")}
        found = set()
        keys = list(wanted)
        for start in range(0, len(keys), IN_LIMIT):
            found.update(
                PopulationFigure.objects.filter(
                    organisation=organisation, source_key__in=keys[start : start + IN_LIMIT]
                ).values_list("source_key", flat=True)
            )
        return {item for item in source_ids if all(key in found for key in item.split("\n"))}

    def commit(self, *, actor, organisation, items: list[FigureRows]) -> tuple[int, int]:
        flat, owners = [], []
        for index, item in enumerate(items):
            flat += item.figures
            owners += [index] * len(item.figures)
        with commit_refusals(owners=owners):
            result = figures_import(actor=actor, organisation=organisation, rows=flat)
        return result.created, result.unchanged

    def areas(self, item: FigureRows) -> list:
        return [figure.area for figure in item.figures]

    def preview(self, item: FigureRows) -> list[str]:
        figure = item.figures[0]
        return [
            f"{figure.area.name_fr} ({figure.area.pcode})",
            figure.round_date.isoformat() if figure.round_date else "",
            ", ".join(
                str(PopulationStatus(f.status).label)
                for f in item.figures
                if f.status in PopulationStatus.values
            ),
            " / ".join(str(f.individuals) for f in item.figures),
            " / ".join("" if f.households is None else str(f.households) for f in item.figures),
            str(FigureSource(figure.source).label) if figure.source in FigureSource.values else "",
        ]
