"""The figures protection monitoring gives (see core/datasets.py), with its counting rules built in.

Every dataset starts from `mrm.statistics_incidents`: only submitted or verified incidents count (drafts
and rejected reports never do), and an incident linked as another source's report of the same event
(`duplicate_of` set) is left out, so a linked duplicate counts once, through its canonical incident.
A GBV incident whose survivor did not consent to reporting is in no figure at all (not even among the
incidents or victims of its other categories).

- incidents: incidents (one per event), by category, perpetrator, source, organisation, month.
- victims: the sum of the victim counts (outcome x sex x age group) of those incidents. The age group is
  fine (0-5 ... 60+) or coarse (children 0-17 or adults 18+, the finer group unknown: monitoring tables
  and HNO data give them so); `age_band` (children, adults, unknown) adds both up, so that children
  killed compare across sources with fine and coarse data.
- gbv_incidents: GBV incidents whose survivor consented to reporting (GBVIMS rule; records classified
  "non-GBV" are left out), by GBV type and the survivor's sex and age group.
- grave_violations: the MRM counting rules of `mrm.py`: killing, maiming, recruitment, sexual violence
  and abduction once per child victim (by sex and age group), attacks on schools and hospitals and denial
  of access once per violation.
- eo_casualties: explosive ordnance casualties, by outcome, sex, age group and device.

GBV records (the GBV floor of core/datasets.py): an incident of category "gbv", with GBV details or with
a grave violation of sexual violence against children, and every record of such an incident (its victims,
violations, casualties). `gbv_incidents` is GBV as a whole.
"""

from django.db.models import BooleanField, Case, Count, DateField, Exists, F, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext_lazy as _

from sentinelle.core.codes import (
    FINE_AGE_GROUPS,
    AgeBand,
    AgeGroup,
    Sex,
    age_band_expression,
    age_group_expression,
)
from sentinelle.core.datasets import Dataset, Dimension, Measure, Rollup, cell_key_expression, register
from sentinelle.core.permissions import Perm
from sentinelle.monitoring import mrm
from sentinelle.monitoring.models import (
    COUNTED_PER_VICTIM,
    Casualty,
    DeviceType,
    GBVIncident,
    GraveViolation,
    Incident,
    IncidentCategory,
    Verification,
    VictimCount,
    ViolationType,
    rollups,
)
from sentinelle.monitoring.models.codes import (
    Category,
    Outcome,
    PerpetratorCategory,
    SourceMechanism,
)
from sentinelle.monitoring.models.gbv_codes import DisplacementStatus, GBVType
from sentinelle.monitoring.models.mrm_eo_codes import CasualtyOutcome, PerpetratorParty

MONTH = Dimension(_("Month"), "month")
SEX = dict(Sex.choices)
AGE = dict(AgeGroup.choices)
# Age groups computed from a recorded age (a survivor's): never the coarse ones.
FINE_AGE = {code: label for code, label in AgeGroup.choices if code in FINE_AGE_GROUPS}
BAND = dict(AgeBand.choices)


def _counted(prefix: str = "") -> Q:
    """The incidents that count, seen from a related model through `prefix` ("incident__")."""
    return Q(**{f"{prefix}status__in": mrm.STATISTICS_STATUSES, f"{prefix}duplicate_of__isnull": True})


def _month(date_path: str):
    return TruncMonth(date_path, output_field=DateField())


def _gbv_incident(path: str) -> Q:
    """The records of GBV incidents (category GBV, GBV details, or sexual violence against children), `path`
    leading to the incident's id ("pk", "incident_id"...): subqueries, so that leaving them out never
    multiplies or drops the other rows through a join."""
    ids = (
        IncidentCategory.objects.filter(category=Category.GBV).values("incident_id"),
        GBVIncident.objects.values("incident_id"),
        GraveViolation.objects.filter(type=ViolationType.SEXUAL_VIOLENCE).values("incident_id"),
    )
    gbv = Q()
    for subquery in ids:
        gbv |= Q(**{f"{path}__in": subquery})
    return gbv


GBV_CATEGORY = {"category": frozenset({Category.GBV.value})}


def _gbv_flag(path: str) -> Q:
    """`_gbv_incident(path)` as a condition on each row, by EXISTS: the roll-ups' writes then probe the few
    records concerned by index instead of hashing every GBV record."""
    incident = OuterRef(path)
    return (
        Exists(IncidentCategory.objects.filter(incident_id=incident, category=Category.GBV))
        | Exists(GBVIncident.objects.filter(incident_id=incident))
        | Exists(GraveViolation.objects.filter(incident_id=incident, type=ViolationType.SEXUAL_VIOLENCE))
    )


def _rollup(
    model,
    base,
    *,
    ids,
    incident,
    dims,
    sums,
    measures,
    records,
    gbv=False,
    organisation=True,
    area=True,
    **options,
):
    """A roll-up of a dataset (core/datasets.Rollup), kept by the incidents' writes. Its base rows are
    the dataset's own (`base`), so the counting rules are the dataset's; its cells are the month, the
    incident's area (and organisation), `gbv` (records of a GBV incident, when the dataset has them) and
    `dims` (roll-up column,
    named for the dataset's dimension and filter -> the base row's field). `ids` is the path from a base
    row to its incident's id; `incident` the path to the incident ("" from an incident). Dimensions
    whose value may be missing (LEFT JOIN) are stored as "" (`nulls`); `records` is the summed column
    that is above 0 exactly when a cell has base rows. `area=False` with `organisation=False`: a national
    table (the month and the dimensions only), read by the national figures of every dashboard."""
    nulls = options.pop("nulls", ())
    monthly = options.pop("monthly", True)
    columns = {"month": "month"} if monthly else {}
    if area:
        columns["area"] = f"{incident}area"
    if organisation:
        columns["organisation"] = f"{incident}organisation"
    columns["gbv"] = (
        Case(When(_gbv_flag(ids), then=Value(True)), default=Value(False), output_field=BooleanField())
        if gbv
        else Value(False)
    )
    for column, path in dims.items():
        columns[column] = Coalesce(F(path), Value("")) if column in nulls else path
    dimensions = {"month": "month"} if monthly else {}
    dimensions.update({name: name for name in dims})
    filters = {name: name for name in dims}
    if organisation:
        dimensions["organisation"] = filters["organisation"] = "organisation__acronym"

    def source(incident_ids):
        rows = base(None)
        return rows if incident_ids is None else rows.filter(**{f"{ids}__in_ids": incident_ids})

    return Rollup(
        model=model,
        keyed_by="incident",
        source=source,
        columns=columns,
        sums={**sums, "key_sum": cell_key_expression()},
        measures=measures,
        records=records,
        dimensions=dimensions,
        filters=filters,
        month="month" if monthly else None,
        area="area" if area else None,
        organisation="organisation" if organisation else None,
        gbv="gbv" if gbv else None,
        key_sum="key_sum",
        nulls=dict.fromkeys(nulls, ""),
        **options,
    )


def _incidents(filters):
    return (
        mrm.statistics_incidents(Incident.objects.all())
        .exclude(gbv__consent_to_report=False)
        .annotate(month=_month("date_start"))
    )


INCIDENT_GBV = _gbv_incident("pk")
INCIDENT_ROLLUP = {
    "base": _incidents,
    "ids": "pk",
    "incident": "",
    "gbv": True,
    "sums": {"n": Count("pk", distinct=True)},
    "measures": {"count": "n"},
    "records": "n",
}

register(
    Dataset(
        name="incidents",
        perturbed=True,  # record keys: the cell key method (core/disclosure.py)
        label=_("Incidents"),
        perm=Perm.INCIDENT_VIEW,
        base=_incidents,
        measures={"count": Measure(_("Incidents"), lambda: Count("pk", distinct=True))},
        dimensions={
            "category": Dimension(_("Category"), "category_links__category", dict(Category.choices)),
            "perpetrator_category": Dimension(
                _("Alleged perpetrator"), "perpetrator_category", dict(PerpetratorCategory.choices)
            ),
            "source_mechanism": Dimension(_("Source"), "source_mechanism", dict(SourceMechanism.choices)),
            "status": Dimension(_("Status"), "status"),
            "organisation": Dimension(_("Organisation"), "organisation__acronym"),
            "month": MONTH,
        },
        default_measure="count",
        date_field="date_start",
        dated_up_to_today=True,  # refused in the future (or the moment of writing)
        area_field="area",
        organisation_field="organisation",
        filters={
            "category": "category_links__category",
            "perpetrator_category": "perpetrator_category",
            "source_mechanism": "source_mechanism",
            "status": "status",
            "organisation": "organisation__acronym",
        },
        gbv_q=INCIDENT_GBV,
        gbv_codes=GBV_CATEGORY,
        rollups=(
            _rollup(rollups.IncidentAreaTotal, monthly=False, organisation=False, dims={}, **INCIDENT_ROLLUP),
            _rollup(rollups.IncidentAreaRollup, organisation=False, dims={}, **INCIDENT_ROLLUP),
            _rollup(
                rollups.IncidentRollup,
                dims={
                    "status": "status",
                    "perpetrator_category": "perpetrator_category",
                    "source_mechanism": "source_mechanism",
                },
                **INCIDENT_ROLLUP,
            ),
            _rollup(
                rollups.IncidentCategoryRollup,
                dims={"category": "category_links__category"},
                multi=frozenset({"category"}),
                nulls=("category",),
                **INCIDENT_ROLLUP,
            ),
            _rollup(
                rollups.IncidentCategoryNational,
                area=False,
                organisation=False,
                dims={"category": "category_links__category"},
                multi=frozenset({"category"}),
                nulls=("category",),
                **INCIDENT_ROLLUP,
            ),
        ),
    )
)


def _victims(filters):
    return (
        VictimCount.objects.filter(_counted("incident__"))
        .exclude(incident__gbv__consent_to_report=False)
        .annotate(month=_month("incident__date_start"), age_band=age_band_expression("age_group"))
    )


VICTIM_GBV = _gbv_incident("incident_id")
VICTIM_DIMS = {"outcome": "outcome", "sex": "sex", "age_group": "age_group", "age_band": "age_band"}
VICTIM_ROLLUP = {
    "base": _victims,
    "ids": "incident_id",
    "incident": "incident__",
    "gbv": True,
    "sums": {"victims": Sum("count")},
    "measures": {"count": "victims"},
    "records": "victims",  # every victim count is above 0
}

register(
    Dataset(
        name="victims",
        perturbed=True,  # record keys: the cell key method (core/disclosure.py)
        label=_("Victims of incidents"),
        perm=Perm.INCIDENT_VIEW,
        base=_victims,
        measures={"count": Measure(_("Victims"), lambda: Sum("count"))},
        dimensions={
            "outcome": Dimension(_("Outcome"), "outcome", dict(Outcome.choices)),
            "sex": Dimension(_("Sex"), "sex", SEX),
            "age_group": Dimension(_("Age group"), "age_group", AGE),
            "age_band": Dimension(_("Children or adults"), "age_band", BAND),
            # Victims of an incident of two categories count under each: a table by category does not add up.
            "category": Dimension(
                _("Category"), "incident__category_links__category", dict(Category.choices)
            ),
            "organisation": Dimension(_("Organisation"), "incident__organisation__acronym"),
            "month": MONTH,
        },
        default_measure="count",
        date_field="incident__date_start",
        dated_up_to_today=True,  # refused in the future (or the moment of writing)
        area_field="incident__area",
        organisation_field="incident__organisation",
        # One category at a time: a list would count the victims of an incident once per matching category.
        filters={
            "outcome": "outcome",
            "sex": "sex",
            "age_group": "age_group",
            "age_band": "age_band",
            "category": "incident__category_links__category",
            "organisation": "incident__organisation__acronym",
        },
        gbv_q=VICTIM_GBV,
        gbv_codes=GBV_CATEGORY,
        rollups=(
            _rollup(rollups.VictimAreaTotal, monthly=False, organisation=False, dims={}, **VICTIM_ROLLUP),
            _rollup(rollups.VictimAreaRollup, organisation=False, dims={}, **VICTIM_ROLLUP),
            _rollup(rollups.VictimRollup, dims=VICTIM_DIMS, **VICTIM_ROLLUP),
            _rollup(
                rollups.VictimNational, area=False, organisation=False, dims=VICTIM_DIMS, **VICTIM_ROLLUP
            ),
            _rollup(
                rollups.VictimCategoryRollup,
                dims={**VICTIM_DIMS, "category": "incident__category_links__category"},
                multi=frozenset({"category"}),
                nulls=("category",),
                **VICTIM_ROLLUP,
            ),
        ),
    )
)


def _gbv(filters):
    return (
        GBVIncident.objects.filter(_counted("incident__"), consent_to_report=True)
        .exclude(gbv_type="non_gbv")
        .annotate(
            survivor_age_group=age_group_expression("survivor_age"), month=_month("incident__date_start")
        )
    )


register(
    Dataset(
        name="gbv_incidents",
        perturbed=True,  # record keys: the cell key method (core/disclosure.py)
        label=_("GBV incidents (with consent to report)"),
        perm=Perm.INCIDENT_VIEW,
        base=_gbv,
        measures={"count": Measure(_("GBV incidents"), lambda: Count("pk"))},
        dimensions={
            "gbv_type": Dimension(_("GBV type"), "gbv_type", dict(GBVType.choices)),
            "sex": Dimension(_("Sex"), "survivor_sex", SEX),
            "age_group": Dimension(_("Age group"), "survivor_age_group", FINE_AGE),
            "displacement_status": Dimension(
                _("Displacement status"), "displacement_status", dict(DisplacementStatus.choices)
            ),
            "organisation": Dimension(_("Organisation"), "incident__organisation__acronym"),
            "month": MONTH,
        },
        default_measure="count",
        date_field="incident__date_start",
        dated_up_to_today=True,  # refused in the future (or the moment of writing)
        area_field="incident__area",
        organisation_field="incident__organisation",
        filters={
            "gbv_type": "gbv_type",
            "sex": "survivor_sex",
            "age_group": "survivor_age_group",
            "displacement_status": "displacement_status",
            "organisation": "incident__organisation__acronym",
        },
        gbv=True,
        rollups=(
            _rollup(
                rollups.GBVIncidentRollup,
                _gbv,
                ids="incident_id",
                incident="incident__",
                dims={
                    "gbv_type": "gbv_type",
                    "sex": "survivor_sex",
                    "age_group": "survivor_age_group",
                    "displacement_status": "displacement_status",
                },
                sums={"n": Count("pk")},
                measures={"count": "n"},
                records="n",
            ),
        ),
    )
)


def _violations(filters):
    # One row per (violation, child victims cell), or one row for a violation without victims.
    return GraveViolation.objects.filter(_counted("incident__")).annotate(
        victim_sex=F("victims__sex"),
        victim_age_group=F("victims__age_group"),
        victim_age_band=age_band_expression("victims__age_group"),
        victim_count=F("victims__count"),
        month=_month("incident__date_start"),
    )


def _mrm_count():
    """The MRM rule in SQL: child victims for the per-victim types, one per violation for the others."""
    per_victim = Q(type__in=sorted(COUNTED_PER_VICTIM))
    per_event = Q(type__in=sorted(mrm.PER_EVENT))
    return Coalesce(Sum("victim_count", filter=per_victim), 0) + Count("pk", distinct=True, filter=per_event)


VIOLATION_DIMS = {
    "violation_type": "type",
    "verification": "verification",
    "perpetrator_party": "perpetrator_party",
}
VIOLATION_ROLLUP = {
    "base": _violations,
    "ids": "incident_id",
    "incident": "incident__",
    "gbv": True,
    "sums": {"mrm_count": _mrm_count(), "violations": Count("pk", distinct=True)},
    "measures": {"count": "mrm_count", "violations": "violations"},
    "records": "violations",
}

register(
    Dataset(
        name="grave_violations",
        perturbed=True,  # record keys: the cell key method (core/disclosure.py)
        label=_("Grave violations against children (MRM)"),
        perm=Perm.INCIDENT_VIEW,
        base=_violations,
        measures={
            "count": Measure(_("Grave violations (MRM counting rules)"), _mrm_count),
            "violations": Measure(_("Violations recorded"), lambda: Count("pk", distinct=True)),
        },
        dimensions={
            "violation_type": Dimension(_("Violation"), "type", dict(ViolationType.choices)),
            "verification": Dimension(_("Verification"), "verification", dict(Verification.choices)),
            "perpetrator_party": Dimension(
                _("Party responsible"), "perpetrator_party", dict(PerpetratorParty.choices)
            ),
            # Per-event violations (attacks on schools...) have no sex or age: they fall under "none".
            "sex": Dimension(_("Sex"), "victim_sex", SEX),
            "age_group": Dimension(_("Age group"), "victim_age_group", AGE),
            "age_band": Dimension(_("Children or adults"), "victim_age_band", BAND),
            "organisation": Dimension(_("Organisation"), "incident__organisation__acronym"),
            "month": MONTH,
        },
        default_measure="count",
        date_field="incident__date_start",
        dated_up_to_today=True,  # refused in the future (or the moment of writing)
        area_field="incident__area",
        organisation_field="incident__organisation",
        filters={
            "violation_type": "type",
            "verification": "verification",
            "perpetrator_party": "perpetrator_party",
            "sex": "victim_sex",
            "age_group": "victim_age_group",
            "age_band": "victim_age_band",
            "organisation": "incident__organisation__acronym",
        },
        gbv_q=VICTIM_GBV,  # sexual violence included
        gbv_codes={"violation_type": frozenset({ViolationType.SEXUAL_VIOLENCE.value})},
        rollups=(
            _rollup(
                rollups.ViolationAreaTotal, monthly=False, organisation=False, dims={}, **VIOLATION_ROLLUP
            ),
            _rollup(rollups.ViolationAreaRollup, organisation=False, dims={}, **VIOLATION_ROLLUP),
            _rollup(rollups.ViolationRollup, dims=VIOLATION_DIMS, **VIOLATION_ROLLUP),
            # A violation with victims in several cells is in each: read only with sex and age fixed.
            _rollup(
                rollups.ViolationVictimRollup,
                dims={
                    **VIOLATION_DIMS,
                    "sex": "victim_sex",
                    "age_group": "victim_age_group",
                    "age_band": "victim_age_band",
                },
                multi=frozenset({"sex", "age_group"}),
                nulls=("sex", "age_group", "age_band"),
                **VIOLATION_ROLLUP,
            ),
        ),
    )
)


def _casualties(filters):
    return Casualty.objects.filter(_counted("accident__incident__")).annotate(
        month=_month("accident__incident__date_start"), age_band=age_band_expression("age_group")
    )


CASUALTY_DIMS = {
    "outcome": "outcome",
    "sex": "sex",
    "age_group": "age_group",
    "age_band": "age_band",
    "device_type": "accident__device_type",
    "civilian": "civilian",
}


register(
    Dataset(
        name="eo_casualties",
        perturbed=True,  # record keys: the cell key method (core/disclosure.py)
        label=_("Explosive ordnance casualties"),
        perm=Perm.INCIDENT_VIEW,
        base=_casualties,
        measures={"count": Measure(_("Casualties"), lambda: Count("pk"))},
        dimensions={
            "outcome": Dimension(_("Outcome"), "outcome", dict(CasualtyOutcome.choices)),
            "sex": Dimension(_("Sex"), "sex", SEX),
            "age_group": Dimension(_("Age group"), "age_group", AGE),
            "age_band": Dimension(_("Children or adults"), "age_band", BAND),
            "device_type": Dimension(
                _("Explosive device"), "accident__device_type", dict(DeviceType.choices)
            ),
            "civilian": Dimension(_("Civilian"), "civilian"),
            "organisation": Dimension(_("Organisation"), "accident__incident__organisation__acronym"),
            "month": MONTH,
        },
        default_measure="count",
        date_field="accident__incident__date_start",
        dated_up_to_today=True,  # refused in the future (or the moment of writing)
        area_field="accident__incident__area",
        organisation_field="accident__incident__organisation",
        filters={**CASUALTY_DIMS, "organisation": "accident__incident__organisation__acronym"},
        gbv_q=_gbv_incident("accident__incident_id"),
        rollups=tuple(
            _rollup(
                model,
                _casualties,
                ids="accident__incident_id",
                incident="accident__incident__",
                gbv=True,
                dims=CASUALTY_DIMS,
                sums={"n": Count("pk")},
                measures={"count": "n"},
                records="n",
                area=not national,
                organisation=not national,
            )
            for model, national in ((rollups.CasualtyRollup, False), (rollups.CasualtyNational, True))
        ),
    )
)
