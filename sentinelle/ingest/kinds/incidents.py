"""The "incidents" import: one row per incident, into IncidentRow, written by incident_import_many.

Columns follow HXL wherever a standard tag exists (#event+id, #date+occurred, #date+reported, #adm1..3
with +code / +name, #event+type, #group, #org, #meta+source, #affected+killed+f+children...). Victims
are one count column per outcome x sex x age group. GBV, grave violations and explosive ordnance have
a few columns each; their details that a flat row cannot hold are derived, never invented:
  - GBV: a row of category gbv without survivor columns is an allegation (what protection monitoring
    records); with them it is a GBVIMS record, only for GBV service providers (Perm.GBV_SURVIVOR_RECORD:
    anyone else's row is refused, saying so, never imported without them). The classification answers
    follow from the GBV type (the tool stops at the first "yes"), unless the file has the answers
    themselves (a Kobo export of the GBV form);
  - grave violations: child victims come from the victim columns of children (killed for killing,
    injured for maiming, otherwise affected for recruitment, abduction and sexual violence);
  - explosive ordnance: one casualty per person counted killed or injured (age unknown).
"""

from dataclasses import dataclass, field, replace

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sentinelle.core.permissions import Perm, may_act_for
from sentinelle.core.text import normalise_text
from sentinelle.core.validation import Errors
from sentinelle.geography.selectors import AreaLookupError, AreaResolver, as_pcode
from sentinelle.ingest.kinds import register
from sentinelle.ingest.kinds.base import ImportKind, Row
from sentinelle.ingest.kinds.incident_columns import (
    AREA_KEYS,
    DETAIL_COLUMNS,
    GBV_CODE_FIELDS,
    GBV_FORM_COLUMNS,
    GBV_KEYS,
    GENERAL_COLUMNS,
    KOBO_COLUMNS,
    KOBO_IGNORED,
    LEVEL_KEYS,
    TYPE_TO_VIOLATION_OUTCOME,
    UUID,
    VICTIM_BY_KEY,
    VICTIM_COLUMNS,
    answers_for_type,
    victim_overlaps,
)
from sentinelle.ingest.kinds.kobo_repeats import (
    Repeats,
    casualties_of,
    load_repeats,
    victims_of,
    violations_of,
)
from sentinelle.ingest.runner import commit_refusals
from sentinelle.monitoring.classification import QUESTION_KEYS, classify
from sentinelle.monitoring.inputs import (
    CasualtyLine,
    ExplosiveDetails,
    GBVDetails,
    IncidentRow,
    VictimCell,
    ViolationLine,
    ViolationVictimCell,
)
from sentinelle.monitoring.models import (
    CHILD_AGE_GROUPS,
    COUNTED_PER_VICTIM,
    Category,
    Incident,
    Outcome,
    PerpetratorCategory,
    Reliability,
    SharingLevel,
    SourceMechanism,
    Verification,
)
from sentinelle.monitoring.models import gbv_codes as g
from sentinelle.monitoring.models.mrm_eo_codes import PerpetratorParty
from sentinelle.monitoring.validation import incident_check, survivor_details_refused


@dataclass
class Context:
    resolver: AreaResolver
    organisation: object
    organisation_keys: set[str]
    actor: object  # who validates or commits: the rows must lie where they may import for the organisation
    today: object = None
    repeats: Repeats = field(default_factory=Repeats)
    settlements: dict | None = None
    areas_cache: dict = field(default_factory=dict)
    survivor_allowed: dict = field(default_factory=dict)  # area id -> may the actor give survivor details
    import_allowed: dict = field(default_factory=dict)  # area id -> may the actor import there


@register
class IncidentImport(ImportKind):
    code = "incidents"
    label = gettext_lazy("Incidents")
    description = gettext_lazy("Protection incidents: one row per incident, victims by outcome, sex and age.")
    instructions = (
        gettext_lazy(
            "GBV (category gbv): protection monitoring records the allegation only. Leave the GBV survivor "
            "columns empty: survivor details are recorded only by GBV service providers, with the "
            "survivor's consent, in their GBV form. A row of category gbv without them is imported as an "
            "allegation, counted among the incidents, never in the GBVIMS statistics."
        ),
    )
    columns = [*GENERAL_COLUMNS, *VICTIM_COLUMNS, *DETAIL_COLUMNS, *GBV_FORM_COLUMNS, *KOBO_COLUMNS]
    kobo_ignored = KOBO_IGNORED
    required_any = [AREA_KEYS[:4]]
    # incident_import_many validates every row again ("<index>.<field>" errors).
    commit_validates = True
    error_columns = {
        "date_start": ["date_start"],
        "date_end": ["date_end"],
        "date_reported": ["date_reported"],
        "date_estimated": ["date_estimated"],
        "area": list(AREA_KEYS),
        "settlement": ["settlement"],
        "coordinates": ["latitude", "longitude", "coordinates"],
        "categories": ["categories"],
        "perpetrator_category": ["perpetrator_category"],
        "source_mechanism": ["source_mechanism"],
        "reliability": ["reliability"],
        "sharing_level": ["sharing_level"],
        "source_id": ["source_id"],
        "summary": ["summary"],
        "account": ["account"],
        "victims": [column.key for column in VICTIM_COLUMNS],
        "displaced_households": ["displaced_households"],
        "displaced_individuals": ["displaced_individuals"],
        "gbv": ["gbv_survivor_sex", "gbv_type", "gbv_consent", "gbv_survivor_age"],
        "gbv.survivor_sex": ["gbv_survivor_sex"],
        "gbv.survivor_age": ["gbv_survivor_age"],
        "gbv.answers": ["gbv_type", *(f"gbv_q_{key}" for key in QUESTION_KEYS)],
        **{f"gbv.{name}": [f"gbv_{name}"] for name in GBV_CODE_FIELDS},
        "gbv.perpetrator_count": ["gbv_perpetrator_count"],
        "gbv.referrals": [f"gbv_referral_{code}" for code in g.IRService.values],
        "violations": ["mrm_violations", "mrm_party", "mrm_verification"],
        "explosive": ["eo_device", "eo_activity"],
        "explosive.activity": ["eo_activity"],
        "explosive.casualties": [column.key for column in VICTIM_COLUMNS],
    }
    preview_labels = [
        gettext_lazy("Identifier"),
        gettext_lazy("Date of the incident"),
        gettext_lazy("Area"),
        gettext_lazy("Categories"),
        gettext_lazy("Victims"),
        gettext_lazy("Source"),
    ]

    # --- Per job --------------------------------------------------------------------------------

    def start(self, *, job, table=None) -> Context:
        organisation = job.organisation
        return Context(
            resolver=AreaResolver(),
            organisation=organisation,
            organisation_keys={normalise_text(organisation.acronym), normalise_text(organisation.name)},
            actor=job.committed_by or job.created_by,
            today=timezone.localdate(),
            repeats=load_repeats(table),
        )

    # --- Row -> IncidentRow -----------------------------------------------------------------

    def build(self, row: Row, context: Context) -> IncidentRow:
        area = self._area(row, context)
        settlement = self._settlement(row, context, area) if row.has("settlement") and area else None
        self._check_organisation(row, context)
        categories = list(row.get("categories") or [])
        gbv = self._gbv(row, categories)
        if gbv is not None and Category.GBV not in categories:
            categories = [Category.GBV, *categories]
        for extra in row.get("gbv_other_categories") or []:
            if extra not in categories:
                categories.append(extra)
        victims = [
            VictimCell(outcome=o, sex=s, age_group=a, count=count)
            for key in row.raw
            if (cell := VICTIM_BY_KEY.get(key)) is not None
            for o, s, a in (cell,)
            if (count := row.get(key))
        ]
        victim_overlaps(row)
        index = row.get("kobo_index") if context.repeats else None
        if index is not None:
            victims += victims_of(row, context.repeats, index)
        violations = (violations_of(row, context.repeats, index) if index is not None else []) or (
            self._violations(row, victims)
        )
        explosive = self._explosive(row, categories, victims)
        if explosive is not None and index is not None and context.repeats.of("casualties", index):
            explosive = replace(explosive, casualties=casualties_of(row, context.repeats, index))
        self._check_kobo_repeats(row, victims, explosive)
        # Returned even after errors: the runner checks the rest of the row with it, never writes it.
        return IncidentRow(
            date_start=row.get("date_start"),
            date_end=row.get("date_end"),
            date_estimated=bool(row.get("date_estimated", False)),
            date_reported=row.get("date_reported"),
            area=area,
            settlement=settlement,
            coordinates=self._coordinates(row),
            categories=categories,
            perpetrator_category=row.get("perpetrator_category") or PerpetratorCategory.UNKNOWN,
            source_mechanism=row.get("source_mechanism")
            or (SourceMechanism.GBVIMS if gbv is not None else SourceMechanism.OTHER),
            reliability=row.get("reliability") or Reliability.CANNOT_BE_JUDGED,
            sharing_level=row.get("sharing_level") or SharingLevel.ORGANISATION,
            summary=row.get("summary", ""),
            account=row.get("account", ""),
            victims=victims,
            displaced_households=row.get("displaced_households"),
            displaced_individuals=row.get("displaced_individuals"),
            source_id=self._source_id(row),
            gbv=gbv,
            violations=violations,
            explosive=explosive,
        )

    def _check_kobo_repeats(self, row: Row, victims, explosive) -> None:
        """A CSV export drops repeat groups: refuse rows whose form announced victims the file lacks."""
        missing = (row.get("kobo_has_victims") and not victims) or (
            row.get("kobo_has_casualties") and (explosive is None or not explosive.casualties)
        )
        if missing:
            row.error(
                "kobo_has_victims" if row.get("kobo_has_victims") else "kobo_has_casualties",
                _(
                    "The form lists victims that this file does not have: Kobo puts them on a sheet of "
                    "their own. Export the data as XLSX and import that workbook."
                ),
            )

    def _source_id(self, row: Row) -> str:
        value = row.get("source_id") or ""
        if value and UUID.match(value):
            # Kobo's _uuid column; ODK submissions carry the same value as "uuid:…" (instanceID).
            value = f"uuid:{value.lower()}"
        return value or row.content_hash()

    def _area(self, row: Row, context: Context):
        values = tuple(row.get(key, "") for key in AREA_KEYS)
        if not any(values[:4]):
            row.error(
                next((key for key in AREA_KEYS if key in row.raw), "adm2_code"),
                _("No place given: fill in the commune or the cercle (P-code or name)."),
            )
            return None
        if values not in context.areas_cache:
            errors: list[tuple[str, str]] = []
            area = _resolve(values, context, errors)
            if area is not None and not self._may_import(area, context):
                errors.append((_first_given(row), _("This area is outside your areas of responsibility.")))
                area = None
            context.areas_cache[values] = (area, errors)
        area, errors = context.areas_cache[values]
        row.errors.extend(errors)
        return area

    def _may_import(self, area, context: Context) -> bool:
        """May the actor import for the organisation in `area`? Asked once per area and job."""
        if area.pk not in context.import_allowed:
            context.import_allowed[area.pk] = may_act_for(
                context.actor, Perm.IMPORT_RUN, organisation=context.organisation, area=area
            )
        return context.import_allowed[area.pk]

    def _settlement(self, row: Row, context: Context, area):
        if context.settlements is None:
            context.settlements = _load_settlements(context.resolver)
        value = row.get("settlement")
        by_pcode, by_key = context.settlements
        pcode = as_pcode(value)
        candidates = [by_pcode[pcode]] if pcode in by_pcode else by_key.get(normalise_text(value), [])
        inside = [s for s in candidates if area.contains(context.resolver.by_id[s.admin3_id])]
        if len(inside) == 1:
            inside[0].admin3 = context.resolver.by_id[inside[0].admin3_id]
            return inside[0]
        if not inside:
            row.error(
                "settlement",
                _("No locality “%(value)s” in %(area)s (%(pcode)s).")
                % {"value": value, "area": area.name_fr, "pcode": area.pcode},
            )
        else:
            row.error(
                "settlement",
                _("“%(value)s” names %(count)s localities in %(area)s: give its P-code (%(pcodes)s).")
                % {
                    "value": value,
                    "count": len(inside),
                    "area": area.name_fr,
                    "pcodes": ", ".join(s.pcode for s in inside[:5]),
                },
            )
        return None

    def _check_organisation(self, row: Row, context: Context) -> None:
        value = row.get("organisation")
        if value and normalise_text(value) not in context.organisation_keys:
            row.error(
                "organisation",
                _("This row is for “%(value)s”, but the file is imported for %(organisation)s.")
                % {"value": value, "organisation": context.organisation.acronym},
            )

    def _coordinates(self, row: Row) -> str:
        lat, lon = row.get("latitude"), row.get("longitude")
        if lat is not None and lon is not None:
            return f"{lat:g},{lon:g}"
        if lat is not None or lon is not None:
            row.error(
                "latitude" if lat is None else "longitude", _("Give both the latitude and the longitude.")
            )
            return ""
        text = row.get("coordinates", "")
        if text:
            # ODK geopoint "lat lon altitude accuracy", or "lat,lon".
            parts = text.replace(",", " ").split()
            return f"{parts[0]},{parts[1]}" if len(parts) >= 2 else text
        return ""

    def _gbv(self, row: Row, categories: list[str]) -> GBVDetails | None:
        if GBV_KEYS.isdisjoint(row.raw):
            return None
        answers = {key: row.get(f"gbv_q_{key}") for key in QUESTION_KEYS if row.has(f"gbv_q_{key}")}
        gbv_type = row.get("gbv_type")
        if not answers and gbv_type:
            answers = answers_for_type(gbv_type)
        elif answers and gbv_type:
            try:
                derived = classify(answers).gbv_type
            except Exception:  # incomplete answers: the domain validation explains it
                derived = gbv_type
            if derived != gbv_type:
                row.error(
                    "gbv_type",
                    _(
                        "The type “%(type)s” does not follow from the classification answers, which "
                        "give “%(derived)s”."
                    )
                    % {"type": gbv_type, "derived": derived},
                )
        sex = row.get("gbv_survivor_sex")
        if not sex:
            row.error("gbv_survivor_sex", _("Give the survivor's sex (f or m)."))
        values = {
            name: row.get(f"gbv_{name}")
            for name in (
                *GBV_CODE_FIELDS,
                "survivor_age_estimated",
                "perpetrator_count",
                "perpetrator_occupation",
                "survivor_code",
            )
            if row.has(f"gbv_{name}")
        }
        return GBVDetails(
            survivor_sex=sex or "",
            survivor_age=row.get("gbv_survivor_age"),
            answers=answers,
            consent_to_report=bool(row.get("gbv_consent", False)),
            referrals={
                code: row.get(f"gbv_referral_{code}")
                for code in g.IRService.values
                if row.has(f"gbv_referral_{code}")
            },
            **values,
        )

    def _violations(self, row: Row, victims: list[VictimCell]) -> list[ViolationLine]:
        types = row.get("mrm_violations") or []
        violations = []
        for violation_type in types:
            outcome = TYPE_TO_VIOLATION_OUTCOME.get(violation_type, Outcome.AFFECTED)
            cells = []
            if violation_type in COUNTED_PER_VICTIM:
                cells = [
                    ViolationVictimCell(sex=cell.sex, age_group=cell.age_group, count=cell.count)
                    for cell in victims
                    if cell.outcome == outcome and cell.age_group in CHILD_AGE_GROUPS
                ]
            violations.append(
                ViolationLine(
                    type=violation_type,
                    perpetrator_party=row.get("mrm_party") or PerpetratorParty.UNKNOWN,
                    verification=row.get("mrm_verification") or Verification.PENDING,
                    facility="" if violation_type in COUNTED_PER_VICTIM else row.get("mrm_facility", ""),
                    victims=cells,
                )
            )
        return violations

    def _explosive(self, row: Row, categories, victims: list[VictimCell]) -> ExplosiveDetails | None:
        device = row.get("eo_device")
        if not device and not row.has("eo_activity") and not row.has("kobo_has_casualties"):
            return None
        casualties = [
            CasualtyLine(sex=cell.sex, outcome=cell.outcome, age=None, civilian=True)
            for cell in victims
            if cell.outcome in (Outcome.KILLED, Outcome.INJURED)
            for _person in range(cell.count)
        ]
        return ExplosiveDetails(
            device_type=device or "", activity=row.get("eo_activity") or "unknown", casualties=casualties
        )

    # --- Domain ----------------------------------------------------------------------------------

    def validate(self, item: IncidentRow, context: Context) -> list[tuple[str, str]]:
        errors = Errors()
        incident_check(errors, item, today=context.today)
        if item.gbv is not None and not self._may_record_survivor(item, context):
            errors.add("gbv", survivor_details_refused())
        return [(key, message) for key, messages in errors.as_dict().items() for message in messages]

    def _may_record_survivor(self, item: IncidentRow, context: Context) -> bool:
        area = item.area if hasattr(item.area, "path") else None
        key = getattr(area, "pk", None)
        if key not in context.survivor_allowed:
            context.survivor_allowed[key] = may_act_for(
                context.actor, Perm.GBV_SURVIVOR_RECORD, organisation=context.organisation, area=area
            )
        return context.survivor_allowed[key]

    def source_id(self, item: IncidentRow) -> str:
        return item.source_id

    def existing(self, *, organisation, source_ids: list[str]) -> set[str]:
        from sentinelle.monitoring.services._bulk import existing_source_ids

        return existing_source_ids(Incident, organisation_id=organisation.pk, source_ids=source_ids)

    def commit(self, *, actor, organisation, items: list[IncidentRow]) -> tuple[int, int, list[int]]:
        from sentinelle.monitoring.services.incidents import incident_import_many

        with commit_refusals(permission_key=None):
            # The job runs the follow-ups (duplicates, alerts) once for all its chunks: `follow_up`.
            result = incident_import_many(actor=actor, organisation=organisation, rows=items, follow_up=False)
        return result.created, result.unchanged, result.entered_ids

    def follow_up(self, *, ids: list[int]) -> None:
        from sentinelle.monitoring.services.hooks import incidents_follow_up

        incidents_follow_up(ids)

    def preview(self, item: IncidentRow) -> list[str]:
        source = "" if item.source_id.startswith("h:") else item.source_id
        return [
            source,
            item.date_start.isoformat() if item.date_start else "",
            f"{item.area.name_fr} ({item.area.pcode})" if item.area else "",
            ", ".join(item.categories),
            str(sum(cell.count for cell in item.victims)),
            str(SourceMechanism(item.source_mechanism).label),
        ]


# --- Helpers -------------------------------------------------------------------------------------


def _first_given(row: Row) -> str:
    return next((key for key in AREA_KEYS if row.has(key)), "adm2_code")


def _resolve(values: tuple, context: Context, errors: list) -> object:
    """The deepest area the row names, each level checked against the one above it."""
    given = dict(zip(AREA_KEYS, values, strict=True))
    resolver = context.resolver
    parent = None
    for level in (1, 2, 3):
        code_key, name_key = LEVEL_KEYS[level]
        area = None
        if given[code_key]:
            area = resolver.get(given[code_key])
            if area is None:
                errors.append(
                    (
                        code_key,
                        _("Unknown P-code “%(value)s” (COD version “%(version)s”).")
                        % {"value": given[code_key], "version": resolver.version.code},
                    )
                )
                return None
            if area.level != level:
                errors.append(
                    (
                        code_key,
                        _(
                            "“%(value)s” is the P-code of %(name)s, an area of level %(found)s; this "
                            "column expects level %(level)s."
                        )
                        % {
                            "value": given[code_key],
                            "name": area.name_fr,
                            "found": area.level,
                            "level": level,
                        },
                    )
                )
                return None
        elif given[name_key]:
            try:
                area = resolver.resolve(given[name_key], level=level, parent=parent)
            except AreaLookupError as error:
                errors.append((name_key, error.message))
                return None
        if area is None:
            continue
        if parent is not None and not parent.contains(area):
            errors.append(
                (
                    code_key if given[code_key] else name_key,
                    _("%(area)s (%(pcode)s) is not in %(parent)s (%(parent_pcode)s).")
                    % {
                        "area": area.name_fr,
                        "pcode": area.pcode,
                        "parent": parent.name_fr,
                        "parent_pcode": parent.pcode,
                    },
                )
            )
            return None
        parent = area
    return parent


def _load_settlements(resolver: AreaResolver) -> tuple[dict, dict]:
    """Every settlement of the version by P-code and by name key (one query; ~19,000 for Mali)."""
    from sentinelle.geography.models import Settlement

    by_pcode, by_key = {}, {}
    for settlement in Settlement.objects.filter(version=resolver.version).only(
        "id", "pcode", "name", "key", "admin3_id", "version_id"
    ):
        by_pcode[settlement.pcode] = settlement
        by_key.setdefault(settlement.key, []).append(settlement)
    return by_pcode, by_key
