"""Roll-up tables of the protection monitoring figures (core/rollups.py, declared in monitoring/datasets.py).

One row per month x the incident's area x (organisation) x `gbv` x the dimension columns, with the
dataset's measures summed over the base rows of that cell and the cell's record keys summed modulo
KEY_RANGE (`key_sum`). The services keep them current in the transaction of every write; nothing else
writes them but `manage.py rollups_rebuild`. The "...AreaRollup" tables hold only month x area x
`gbv`, the "...AreaTotal" ones area x `gbv` for all time: national and regional figures read few rows.
Dimension columns hold "" where the record has no value (an incident without category, a violation
without victims).
"""

from django.db import models

from sentinelle.core.rollup_models import RollupTable
from sentinelle.core.rollup_models import cell_unique as _unique


class NationalRollup(RollupTable):
    """Month x `gbv` x the dimensions, for the whole country and every organisation: the national figures
    (the first view of a national dashboard after a write) read a few thousand rows, not a million."""

    month = models.DateField()
    gbv = models.BooleanField(default=False)

    class Meta:
        abstract = True


class AllTimeRollup(RollupTable):
    area = models.ForeignKey("geography.AdminArea", on_delete=models.CASCADE, related_name="+")
    # Records of a GBV incident: left out below the GBV floor (core/datasets.py).
    gbv = models.BooleanField(default=False)

    class Meta:
        abstract = True


class MonitoringRollup(AllTimeRollup):
    month = models.DateField()

    class Meta:
        abstract = True


class ByOrganisation(MonitoringRollup):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class CategoryCells(RollupTable):
    """Incidents by category (an incident of two categories is in two cells)."""

    category = models.CharField(max_length=16)
    n = models.IntegerField(default=0)

    class Meta:
        abstract = True


class VictimCells(RollupTable):
    outcome = models.CharField(max_length=16)
    sex = models.CharField(max_length=8)
    age_group = models.CharField(max_length=8)
    age_band = models.CharField(max_length=16)
    victims = models.IntegerField(default=0)

    class Meta:
        abstract = True


class CasualtyCells(RollupTable):
    outcome = models.CharField(max_length=8)
    sex = models.CharField(max_length=8)
    age_group = models.CharField(max_length=8)
    age_band = models.CharField(max_length=16)
    device_type = models.CharField(max_length=24)
    civilian = models.BooleanField()
    n = models.IntegerField(default=0)

    class Meta:
        abstract = True


class IncidentAreaTotal(AllTimeRollup):
    """All time, by area: the national and regional figures without a period read a few hundred rows."""

    n = models.IntegerField(default=0)

    class Meta:
        constraints = _unique("area", "gbv", name="monitoring_rollup_incident_total_cell")


class VictimAreaTotal(AllTimeRollup):
    victims = models.IntegerField(default=0)

    class Meta:
        constraints = _unique("area", "gbv", name="monitoring_rollup_victim_total_cell")


class ViolationAreaTotal(AllTimeRollup):
    mrm_count = models.IntegerField(default=0)
    violations = models.IntegerField(default=0)

    class Meta:
        constraints = _unique("area", "gbv", name="monitoring_rollup_violation_total_cell")


class IncidentAreaRollup(MonitoringRollup):
    n = models.IntegerField(default=0)

    class Meta:
        constraints = _unique("month", "area", "gbv", name="monitoring_rollup_incident_area_cell")


class IncidentRollup(ByOrganisation):
    status = models.CharField(max_length=16)
    perpetrator_category = models.CharField(max_length=16)
    source_mechanism = models.CharField(max_length=32)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = _unique(
            "month",
            "area",
            "organisation",
            "gbv",
            "status",
            "perpetrator_category",
            "source_mechanism",
            name="monitoring_rollup_incident_cell",
        )


class IncidentCategoryRollup(ByOrganisation, CategoryCells):
    class Meta:
        constraints = _unique(
            "month",
            "area",
            "organisation",
            "gbv",
            "category",
            name="monitoring_rollup_incident_category_cell",
        )


class VictimAreaRollup(MonitoringRollup):
    victims = models.IntegerField(default=0)

    class Meta:
        constraints = _unique("month", "area", "gbv", name="monitoring_rollup_victim_area_cell")


class VictimRollup(ByOrganisation, VictimCells):
    class Meta:
        constraints = _unique(
            "month",
            "area",
            "organisation",
            "gbv",
            "outcome",
            "sex",
            "age_group",
            "age_band",
            name="monitoring_rollup_victim_cell",
        )


class VictimCategoryRollup(ByOrganisation):
    category = models.CharField(max_length=16)
    outcome = models.CharField(max_length=16)
    sex = models.CharField(max_length=8)
    age_group = models.CharField(max_length=8)
    age_band = models.CharField(max_length=16)
    victims = models.IntegerField(default=0)

    class Meta:
        constraints = _unique(
            "month",
            "area",
            "organisation",
            "gbv",
            "category",
            "outcome",
            "sex",
            "age_group",
            "age_band",
            name="monitoring_rollup_victim_category_cell",
        )


class GBVIncidentRollup(ByOrganisation):
    gbv_type = models.CharField(max_length=24)
    sex = models.CharField(max_length=8)
    age_group = models.CharField(max_length=8)
    displacement_status = models.CharField(max_length=24)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = _unique(
            "month",
            "area",
            "organisation",
            "gbv",
            "gbv_type",
            "sex",
            "age_group",
            "displacement_status",
            name="monitoring_rollup_gbv_cell",
        )


class ViolationAreaRollup(MonitoringRollup):
    mrm_count = models.IntegerField(default=0)
    violations = models.IntegerField(default=0)

    class Meta:
        constraints = _unique("month", "area", "gbv", name="monitoring_rollup_violation_area_cell")


class ViolationRollup(ByOrganisation):
    violation_type = models.CharField(max_length=24)
    verification = models.CharField(max_length=16)
    perpetrator_party = models.CharField(max_length=24)
    mrm_count = models.IntegerField(default=0)
    violations = models.IntegerField(default=0)

    class Meta:
        constraints = _unique(
            "month",
            "area",
            "organisation",
            "gbv",
            "violation_type",
            "verification",
            "perpetrator_party",
            name="monitoring_rollup_violation_cell",
        )


class ViolationVictimRollup(ByOrganisation):
    """A violation counts in each of its victim cells (sex x age group): read only when both are fixed."""

    violation_type = models.CharField(max_length=24)
    verification = models.CharField(max_length=16)
    perpetrator_party = models.CharField(max_length=24)
    sex = models.CharField(max_length=8)
    age_group = models.CharField(max_length=8)
    age_band = models.CharField(max_length=16)
    mrm_count = models.IntegerField(default=0)
    violations = models.IntegerField(default=0)

    class Meta:
        constraints = _unique(
            "month",
            "area",
            "organisation",
            "gbv",
            "violation_type",
            "verification",
            "perpetrator_party",
            "sex",
            "age_group",
            "age_band",
            name="monitoring_rollup_violation_victim_cell",
        )


class CasualtyRollup(ByOrganisation, CasualtyCells):
    class Meta:
        constraints = _unique(
            "month",
            "area",
            "organisation",
            "gbv",
            "outcome",
            "sex",
            "age_group",
            "age_band",
            "device_type",
            "civilian",
            name="monitoring_rollup_casualty_cell",
        )


class IncidentCategoryNational(NationalRollup, CategoryCells):
    class Meta:
        constraints = _unique("month", "gbv", "category", name="monitoring_national_incident_category_cell")


class VictimNational(NationalRollup, VictimCells):
    class Meta:
        constraints = _unique(
            "month", "gbv", "outcome", "sex", "age_group", "age_band", name="monitoring_national_victim_cell"
        )


class CasualtyNational(NationalRollup, CasualtyCells):
    class Meta:
        constraints = _unique(
            "month",
            "gbv",
            "outcome",
            "sex",
            "age_group",
            "age_band",
            "device_type",
            "civilian",
            name="monitoring_national_casualty_cell",
        )
