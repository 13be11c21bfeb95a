"""Roll-up tables of the cases and referrals datasets (core/rollups.py, declared in cases/datasets.py).

One row per month x the record's area x organisation x `gbv` x the dimension columns, with the count of
the dataset's records in that cell (`n`) and their record keys summed modulo KEY_RANGE (`key_sum`). The
"...Fact" tables are the finest roll-ups, one row per record (its id is a cell column): what each record
adds to the others now, which cases/rollups.py takes out and puts back when a write refreshes the record,
whatever field it changed. Nothing else writes them but `manage.py rollups_rebuild`. Dimension columns
hold "" where the record has none (a risk level not assessed yet).
"""

from django.db import models

from sentinelle.core.rollup_models import RollupTable
from sentinelle.core.rollup_models import cell_unique as _unique
from sentinelle.core.rollup_models import untied_fk as _fk


class CasesRollup(RollupTable):
    month = models.DateField()
    area = _fk("geography.AdminArea")
    organisation = _fk("accounts.Organisation")
    # Records of a GBV case: left out below the GBV floor (core/datasets.py).
    gbv = models.BooleanField(default=False)
    n = models.IntegerField(default=0)

    class Meta:
        abstract = True


class CaseRow(CasesRollup):
    case_type = models.CharField(max_length=24)
    status = models.CharField(max_length=16)
    risk_level = models.CharField(max_length=8)
    sex = models.CharField(max_length=8)
    age_group = models.CharField(max_length=8)

    class Meta:
        abstract = True


CASE_CELLS = ("month", "area", "organisation", "gbv", "case_type", "status", "risk_level", "sex", "age_group")


class CaseFact(CaseRow):
    """One row per counted case (an archived case has none)."""

    case_id = models.BigIntegerField(unique=True)

    class Meta:
        constraints = _unique("case_id", *CASE_CELLS, name="cases_rollup_case_fact_cell")


class CaseRollup(CaseRow):
    class Meta:
        constraints = _unique(*CASE_CELLS, name="cases_rollup_case_cell")


class CaseTypeRollup(CasesRollup):
    """Cases by type only: the tables by type of case."""

    case_type = models.CharField(max_length=24)

    class Meta:
        constraints = _unique(
            "month", "area", "organisation", "gbv", "case_type", name="cases_rollup_case_type_cell"
        )


class ReferralRow(CasesRollup):
    service_type = models.CharField(max_length=24)
    status = models.CharField(max_length=16)
    case_type = models.CharField(max_length=24)
    urgency = models.CharField(max_length=16)
    sex = models.CharField(max_length=8)
    age_group = models.CharField(max_length=8)

    class Meta:
        abstract = True


REFERRAL_CELLS = (
    "month",
    "area",
    "organisation",
    "gbv",
    "service_type",
    "status",
    "case_type",
    "urgency",
    "sex",
    "age_group",
)


class ReferralFact(ReferralRow):
    """One row per counted referral, with its case's id (a case's change refreshes its referrals)."""

    referral_id = models.BigIntegerField(unique=True)
    case_id = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = _unique(
            "referral_id", "case_id", *REFERRAL_CELLS, name="cases_rollup_referral_fact_cell"
        )


class ReferralRollup(ReferralRow):
    class Meta:
        constraints = _unique(*REFERRAL_CELLS, name="cases_rollup_referral_cell")


class ReferralStatusRollup(CasesRollup):
    """Referrals by status and type of case: the "managed" indicators."""

    status = models.CharField(max_length=16)
    case_type = models.CharField(max_length=24)

    class Meta:
        constraints = _unique(
            "month",
            "area",
            "organisation",
            "gbv",
            "status",
            "case_type",
            name="cases_rollup_referral_status_cell",
        )


class AreaRollup(RollupTable):
    """Records by month and area only (no organisation): the maps, the national and regional tables."""

    month = models.DateField()
    area = _fk("geography.AdminArea")
    gbv = models.BooleanField(default=False)
    n = models.IntegerField(default=0)

    class Meta:
        abstract = True


class CaseAreaRollup(AreaRollup):
    class Meta:
        constraints = _unique("month", "area", "gbv", name="cases_rollup_case_area_cell")


class ReferralAreaRollup(AreaRollup):
    class Meta:
        constraints = _unique("month", "area", "gbv", name="cases_rollup_referral_area_cell")
