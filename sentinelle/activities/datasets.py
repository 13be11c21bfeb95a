"""The figures partners' activities give (see core/datasets.py).

Counting rule: only activities of VALIDATED monthly reports count (a draft, a submitted report awaiting
the cluster or a report returned for correction is the partner's working copy, not a figure), and only
activities that took place (ongoing or completed; planned and cancelled ones reached nobody). The 4W
pages that show a partner its own working copy read the records, not these datasets.

- activities: activities (count) and people reached (sum of beneficiaries), by type, organisation,
  project, programme, and the beneficiaries' sex, age group and population status; date: start date.
- trainings: participants of trainings (sum) and trainings (count), by category and sex. Every training
  counts, also one whose participants were not given (1 training, 0 participants).

Beneficiaries and participants are related tables (one row per cell). They are joined once, as
annotations, so that several filters on them never multiply rows: each row of the base is an
(activity, cell) pair, and an activity without cells is one row with empty cells. People whose sex was not
given (a total with an unknown part, services/counts.py) are a group of their own, "unknown sex".
"""

from django.db.models import Count, DateField, F, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext_lazy as _

from sentinelle.activities.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    ParticipantCategory,
    ReportStatus,
)
from sentinelle.activities.models import rollups as tables
from sentinelle.core.codes import AgeBand, AgeGroup, PopulationStatus, Sex, age_band_expression
from sentinelle.core.datasets import Dataset, Dimension, Measure, Rollup, cell_key_expression, register
from sentinelle.core.permissions import Perm

COUNTED_STATUSES = (ActivityStatus.ONGOING, ActivityStatus.COMPLETED)
MONTH = Dimension(_("Month"), "month")
SEXES = {**dict(Sex.choices), Sex.UNKNOWN: _("Unknown sex")}


def _activities(filters):
    return (
        Activity.objects.filter(
            is_archived=False, report__status=ReportStatus.VALIDATED, status__in=COUNTED_STATUSES
        )
        .annotate(
            beneficiary_sex=F("beneficiaries__sex"),
            beneficiary_age_group=F("beneficiaries__age_group"),
            beneficiary_population_status=F("beneficiaries__population_status"),
            beneficiary_count=F("beneficiaries__count"),
            month=TruncMonth("start_date", output_field=DateField()),
        )
        # Children or adults, fine or coarse group alike (a partner's "0-17" and "0-5" add up here).
        .annotate(beneficiary_age_band=age_band_expression("beneficiary_age_group"))
    )


ACTIVITY_DIMS = {
    "activity_type": "activity_type",
    "organisation": "organisation__acronym",
    "project": "project__code",
    "programme": "project__programme__code",
    "status": "status",
}
# Beneficiary dimension (roll-up column, named for the dataset's dimension and filter) -> base row field.
CELL_DIMS = {
    "sex": "beneficiary_sex",
    "age_group": "beneficiary_age_group",
    "age_band": "beneficiary_age_band",
    "population_status": "beneficiary_population_status",
}


def _activity_rollup(model, *cells: str, area_only: bool = False) -> Rollup:
    """A roll-up of the activities' base rows (so the dataset's counting rules), by month, area,
    organisation, project, type and status (`area_only`: by month and area only), and `cells` (beneficiary
    dimensions) if given."""
    columns = {
        "month": "month",
        "area": "area",
        "organisation": "organisation",
        "project": Coalesce(F("project_id"), Value(0)),
        "activity_type": "activity_type",
        "status": "status",
    }
    names = dict(ACTIVITY_DIMS)
    if area_only:
        columns, names = {"month": "month", "area": "area"}, {}
    for cell in cells:
        columns[cell] = Coalesce(F(CELL_DIMS[cell]), Value(""))
        names[cell] = cell

    def source(ids):
        rows = _activities(None)
        return rows if ids is None else rows.filter(pk__in_ids=ids)

    return Rollup(
        model=model,
        keyed_by="activity",
        source=source,
        columns=columns,
        sums={
            "n": Count("pk", distinct=True),
            "people": Coalesce(Sum("beneficiary_count"), 0),
            "key_sum": cell_key_expression(),
        },
        measures={"count": "n", "people_reached": "people"},
        records="n",
        dimensions={"month": "month", **names},
        filters=names,
        organisation=None if area_only else "organisation",
        key_sum="key_sum",
        multi=frozenset(cells),
        nulls=dict.fromkeys(cells, ""),
    )


register(
    Dataset(
        name="activities",
        perturbed=True,  # record keys: the cell key method (core/disclosure.py)
        label=_("Partners' activities (validated 4W)"),
        perm=Perm.FOURW_VIEW,
        base=_activities,
        measures={
            "count": Measure(_("Activities"), lambda: Count("pk", distinct=True)),
            "people_reached": Measure(_("People reached"), lambda: Sum("beneficiary_count")),
        },
        dimensions={
            "activity_type": Dimension(_("Type of activity"), "activity_type", dict(ActivityType.choices)),
            "organisation": Dimension(_("Organisation"), "organisation__acronym"),
            "sex": Dimension(_("Sex"), "beneficiary_sex", SEXES),
            "age_group": Dimension(_("Age group"), "beneficiary_age_group", dict(AgeGroup.choices)),
            "age_band": Dimension(_("Children or adults"), "beneficiary_age_band", dict(AgeBand.choices)),
            "population_status": Dimension(
                _("Population status"), "beneficiary_population_status", dict(PopulationStatus.choices)
            ),
            "project": Dimension(_("Project"), "project__code"),
            "programme": Dimension(_("Programme"), "project__programme__code"),
            "status": Dimension(_("Status"), "status", dict(ActivityStatus.choices)),
            "month": MONTH,
        },
        default_measure="people_reached",
        date_field="start_date",
        area_field="area",
        organisation_field="organisation",
        filters={
            "activity_type": "activity_type",
            "organisation": "organisation__acronym",
            "sex": "beneficiary_sex",
            "age_group": "beneficiary_age_group",
            "age_band": "beneficiary_age_band",
            "population_status": "beneficiary_population_status",
            "project": "project__code",
            "programme": "project__programme__code",
            "status": "status",
        },
        rollups=(
            _activity_rollup(tables.ActivityAreaRollup, area_only=True),
            _activity_rollup(tables.ActivityRollup),
            _activity_rollup(tables.ActivitySexRollup, "sex"),
            _activity_rollup(tables.ActivityAgeGroupRollup, "age_group"),
            _activity_rollup(tables.ActivityAgeBandRollup, "age_band"),
            _activity_rollup(tables.ActivityPopulationStatusRollup, "population_status"),
            _activity_rollup(tables.ActivitySexAgeRollup, "sex", "age_group"),
            _activity_rollup(tables.ActivityCellRollup, "sex", "age_group", "population_status"),
        ),
    )
)


def _trainings(filters):
    # The activities of type training, not their participant rows: a training whose participants were
    # not given still counts as a training.
    return Activity.objects.filter(
        activity_type=ActivityType.TRAINING,
        is_archived=False,
        report__status=ReportStatus.VALIDATED,
        status__in=COUNTED_STATUSES,
    ).annotate(
        participant_category=F("training__participants__category"),
        participant_sex=F("training__participants__sex"),
        participant_count=F("training__participants__count"),
        month=TruncMonth("start_date", output_field=DateField()),
    )


register(
    Dataset(
        name="trainings",
        perturbed=True,  # record keys: the cell key method (core/disclosure.py)
        label=_("Trainings (validated 4W)"),
        perm=Perm.FOURW_VIEW,
        base=_trainings,
        measures={
            "participants": Measure(_("People trained"), lambda: Sum("participant_count")),
            "count": Measure(_("Trainings"), lambda: Count("pk", distinct=True)),
        },
        dimensions={
            "category": Dimension(_("Category"), "participant_category", dict(ParticipantCategory.choices)),
            "sex": Dimension(_("Sex"), "participant_sex", SEXES),
            "organisation": Dimension(_("Organisation"), "organisation__acronym"),
            "project": Dimension(_("Project"), "project__code"),
            "programme": Dimension(_("Programme"), "project__programme__code"),
            "month": MONTH,
        },
        default_measure="participants",
        date_field="start_date",
        area_field="area",
        organisation_field="organisation",
        filters={
            "category": "participant_category",
            "sex": "participant_sex",
            "organisation": "organisation__acronym",
            "project": "project__code",
            "programme": "project__programme__code",
        },
    )
)
