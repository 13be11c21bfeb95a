"""Roll-up tables of the activities dataset (core/rollups.py, declared in activities/datasets.py).

One row per month (of the start date) x area x organisation x project x type and status of activity, with
the activities counted (`n`), the people they reached (`people`: the sum of their beneficiary cells) and
their record keys summed modulo KEY_RANGE (`key_sum`). Nothing else writes them but the report review
(activities/rollups.py) and `manage.py rollups_rebuild`.

An activity has several beneficiary cells (sex x age group x population status), and a figure by sex
counts it once per sex it reached: each beneficiary dimension has a roll-up of its own whose rows count
the distinct activities having that value (read only when the query groups by it or filters on one value,
core/datasets.Rollup.multi). The dimension holds "" for an activity without cells; `project` holds 0 for
an activity without project (no constraint: the tables follow the records, they never hold them back).
"""

from django.db import models

from sentinelle.core.rollup_models import RollupTable, cell_unique
from sentinelle.core.rollup_models import untied_fk as _fk

ACTIVITY_CELLS = ("month", "area", "organisation", "project", "activity_type", "status")


def _unique(*extra: str, name: str) -> list:
    return cell_unique(*ACTIVITY_CELLS, *extra, name=name)


class ActivitiesRollup(RollupTable):
    month = models.DateField()
    area = _fk("geography.AdminArea")
    organisation = _fk("accounts.Organisation")
    project = _fk("activities.Project", null=True)
    activity_type = models.CharField(max_length=24)
    status = models.CharField(max_length=16)
    n = models.IntegerField(default=0)
    people = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class ActivityRollup(ActivitiesRollup):
    class Meta:
        constraints = _unique(name="activities_rollup_cell")


class ActivitySexRollup(ActivitiesRollup):
    sex = models.CharField(max_length=8)

    class Meta:
        constraints = _unique("sex", name="activities_rollup_sex_cell")


class ActivityAgeGroupRollup(ActivitiesRollup):
    age_group = models.CharField(max_length=8)

    class Meta:
        constraints = _unique("age_group", name="activities_rollup_age_group_cell")


class ActivityAgeBandRollup(ActivitiesRollup):
    age_band = models.CharField(max_length=8)

    class Meta:
        constraints = _unique("age_band", name="activities_rollup_age_band_cell")


class ActivityPopulationStatusRollup(ActivitiesRollup):
    population_status = models.CharField(max_length=16)

    class Meta:
        constraints = _unique("population_status", name="activities_rollup_population_status_cell")


class ActivitySexAgeRollup(ActivitiesRollup):
    """People reached by sex and age group (the dashboards' table): activities counted once per pair."""

    sex = models.CharField(max_length=8)
    age_group = models.CharField(max_length=8)

    class Meta:
        constraints = _unique("sex", "age_group", name="activities_rollup_sex_age_cell")


class ActivityCellRollup(ActivitiesRollup):
    """By sex, age group and population status (the same table under a population status filter)."""

    sex = models.CharField(max_length=8)
    age_group = models.CharField(max_length=8)
    population_status = models.CharField(max_length=16)

    class Meta:
        constraints = _unique("sex", "age_group", "population_status", name="activities_rollup_cells")


class ActivityAreaRollup(RollupTable):
    """Activities and people reached by month and area only: the maps, the national and regional tables."""

    month = models.DateField()
    area = _fk("geography.AdminArea")
    n = models.IntegerField(default=0)
    people = models.BigIntegerField(default=0)

    class Meta:
        constraints = cell_unique("month", "area", name="activities_rollup_area_cell")
