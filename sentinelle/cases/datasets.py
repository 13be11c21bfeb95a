"""The figures case management gives (see core/datasets.py): counts only, never a person.

- cases: cases opened (date: opened_on), by type, status, risk level, organisation, the person's sex and
  age group; archived (merged) cases are left out.
- referrals: referrals made (date: the day the referral was made), by service type, status, the case's
  type, the referring organisation (the case's), urgency, the person's sex and age group. "Managed" in the
  seeds' sense is status completed; cancelled referrals stay in the count of referrals made unless filtered.

GBV records (the GBV floor of core/datasets.py): GBV cases and the referrals of GBV cases.

Roll-ups (core/datasets.Rollup; tables in models/rollups.py, kept by cases/rollups.py): each dataset has
one by month and area only (maps, national and regional tables), one by a few dimensions and one by
every dimension, both read from the
dataset's own base rows, and a table of facts (one row per record, never read for figures) that the
services refresh after every write.
"""

from django.db.models import BooleanField, Count, DateField, Q, Value, When
from django.db.models import Case as Choose
from django.db.models.functions import TruncDate, TruncMonth
from django.utils.translation import gettext_lazy as _

from sentinelle.cases.models import Case, CaseStatus, CaseType, Referral, ReferralStatus, RiskLevel
from sentinelle.cases.models import rollups as tables
from sentinelle.cases.models.codes import Urgency
from sentinelle.core.codes import FINE_AGE_GROUPS, AgeGroup, Sex
from sentinelle.core.datasets import Dataset, Dimension, Measure, Rollup, cell_key_expression, register
from sentinelle.core.permissions import Perm
from sentinelle.directory.models import ServiceType

MONTH = Dimension(_("Month"), "month")
GBV_CASE_TYPE = {"case_type": frozenset({CaseType.GBV.value})}
# A person's age group follows from the age recorded: never a coarse group (children or adults only).
PERSON_AGE = {code: label for code, label in AgeGroup.choices if code in FINE_AGE_GROUPS}


def _rollup(
    model,
    base,
    *,
    keyed_by: str,
    case: str,
    dims: dict,
    record: dict | None = None,
    organisation: bool = True,
) -> Rollup:
    """A roll-up of `base` (the dataset's base rows, so its counting rules): cells by month, the case's area
    and organisation, `gbv` (a GBV case) and `dims` (roll-up column, named for the dataset's dimension and
    filter -> the base row's field). `case` is the path from a base row to its case ("" from a case).
    `record` (fact tables: id columns -> field) makes a table of facts, never read for figures; without
    `organisation`, a table by month and area only."""
    columns = {
        **(record or {}),
        "month": "month",
        "area": f"{case}area",
        **({"organisation": f"{case}organisation"} if organisation else {}),
        "gbv": Choose(
            When(**{f"{case}case_type": CaseType.GBV}, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        **dims,
    }
    filters = {**({"organisation": "organisation__acronym"} if organisation else {}), **{n: n for n in dims}}

    def source(ids):
        rows = base(None)
        return rows if ids is None else rows.filter(pk__in_ids=ids)

    return Rollup(
        model=model,
        keyed_by=keyed_by,
        source=source,
        columns=columns,
        sums={"n": Count("pk"), "key_sum": cell_key_expression()},
        measures={} if record else {"count": "n"},
        records="n",
        dimensions={"month": "month", **filters},
        filters=filters,
        organisation="organisation" if organisation else None,
        gbv="gbv",
        key_sum="key_sum",
    )


def _cases(filters):
    return Case.objects.filter(is_archived=False).annotate(
        month=TruncMonth("opened_on", output_field=DateField())
    )


CASE_ROLLUP = {"keyed_by": "case", "case": ""}
CASE_DIMS = {
    "case_type": "case_type",
    "status": "status",
    "risk_level": "risk_level",
    "sex": "person__sex",
    "age_group": "person__age_group",
}

register(
    Dataset(
        name="cases",
        perturbed=True,  # record keys: the cell key method (core/disclosure.py)
        label=_("Cases"),
        perm=Perm.CASE_STATS,
        base=_cases,
        measures={"count": Measure(_("Cases"), lambda: Count("pk"))},
        dimensions={
            "case_type": Dimension(_("Type of case"), "case_type", dict(CaseType.choices)),
            "status": Dimension(_("Status"), "status", dict(CaseStatus.choices)),
            "risk_level": Dimension(_("Risk level"), "risk_level", dict(RiskLevel.choices)),
            "organisation": Dimension(_("Organisation"), "organisation__acronym"),
            "sex": Dimension(_("Sex"), "person__sex", dict(Sex.choices)),
            "age_group": Dimension(_("Age group"), "person__age_group", PERSON_AGE),
            "month": MONTH,
        },
        default_measure="count",
        date_field="opened_on",
        dated_up_to_today=True,  # refused in the future (or the moment of writing)
        area_field="area",
        organisation_field="organisation",
        filters={
            "case_type": "case_type",
            "status": "status",
            "risk_level": "risk_level",
            "organisation": "organisation__acronym",
            "sex": "person__sex",
            "age_group": "person__age_group",
        },
        gbv_q=Q(case_type=CaseType.GBV),
        gbv_codes=GBV_CASE_TYPE,
        rollups=(
            _rollup(tables.CaseAreaRollup, _cases, dims={}, organisation=False, **CASE_ROLLUP),
            _rollup(tables.CaseTypeRollup, _cases, dims={"case_type": "case_type"}, **CASE_ROLLUP),
            _rollup(tables.CaseRollup, _cases, dims=CASE_DIMS, **CASE_ROLLUP),
            _rollup(tables.CaseFact, _cases, dims=CASE_DIMS, record={"case_id": "pk"}, **CASE_ROLLUP),
        ),
    )
)


def _referrals(filters):
    return Referral.objects.filter(is_archived=False, case__is_archived=False).annotate(
        referred_on=TruncDate("created_at"),
        month=TruncMonth("created_at", output_field=DateField()),
    )


REFERRAL_ROLLUP = {"keyed_by": "referral", "case": "case__"}
REFERRAL_DIMS = {
    "service_type": "service_type",
    "status": "status",
    "case_type": "case__case_type",
    "urgency": "urgency",
    "sex": "case__person__sex",
    "age_group": "case__person__age_group",
}
REFERRAL_FACT = {"referral_id": "pk", "case_id": "case_id"}

register(
    Dataset(
        name="referrals",
        perturbed=True,  # record keys: the cell key method (core/disclosure.py)
        label=_("Referrals"),
        perm=Perm.CASE_STATS,
        base=_referrals,
        measures={"count": Measure(_("Referrals"), lambda: Count("pk"))},
        dimensions={
            "service_type": Dimension(_("Type of service"), "service_type", dict(ServiceType.choices)),
            "status": Dimension(_("Status"), "status", dict(ReferralStatus.choices)),
            "case_type": Dimension(_("Type of case"), "case__case_type", dict(CaseType.choices)),
            "organisation": Dimension(_("Referring organisation"), "case__organisation__acronym"),
            "urgency": Dimension(_("Urgency"), "urgency", dict(Urgency.choices)),
            "sex": Dimension(_("Sex"), "case__person__sex", dict(Sex.choices)),
            "age_group": Dimension(_("Age group"), "case__person__age_group", PERSON_AGE),
            "month": MONTH,
        },
        default_measure="count",
        date_field="referred_on",
        dated_up_to_today=True,  # refused in the future (or the moment of writing)
        moment_field="created_at",
        area_field="case__area",
        organisation_field="case__organisation",
        filters={
            "service_type": "service_type",
            "status": "status",
            "case_type": "case__case_type",
            "organisation": "case__organisation__acronym",
            "urgency": "urgency",
            "sex": "case__person__sex",
            "age_group": "case__person__age_group",
        },
        gbv_q=Q(case__case_type=CaseType.GBV),
        gbv_codes=GBV_CASE_TYPE,
        rollups=(
            _rollup(tables.ReferralAreaRollup, _referrals, dims={}, organisation=False, **REFERRAL_ROLLUP),
            _rollup(
                tables.ReferralStatusRollup,
                _referrals,
                dims={"status": "status", "case_type": "case__case_type"},
                **REFERRAL_ROLLUP,
            ),
            _rollup(tables.ReferralRollup, _referrals, dims=REFERRAL_DIMS, **REFERRAL_ROLLUP),
            _rollup(
                tables.ReferralFact, _referrals, dims=REFERRAL_DIMS, record=REFERRAL_FACT, **REFERRAL_ROLLUP
            ),
        ),
    )
)
