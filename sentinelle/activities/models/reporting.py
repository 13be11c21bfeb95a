"""Monthly 4W reporting: periods the cluster locks, each partner's report, its activities and trainings."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sentinelle.core.codes import AgeGroup, PopulationStatus, Sex
from sentinelle.core.models import BaseModel
from sentinelle.core.record_keys import record_key_field

from .codes import ActivityStatus, ActivityType, ParticipantCategory, PeriodStatus, ReportStatus
from .programmes import Project


class ReportingPeriod(BaseModel):
    """A calendar month of 4W reporting. Once locked, only an administrator can reopen it."""

    month = models.DateField(_("month"), unique=True, help_text=_("First day of the month."))
    status = models.CharField(
        _("status"), max_length=8, choices=PeriodStatus.choices, default=PeriodStatus.OPEN
    )
    deadline = models.DateField(_("reporting deadline"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    fourw_published_at = models.DateTimeField(_("4W published at"), null=True, blank=True)
    fourw_published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-month"]
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        constraints = [models.CheckConstraint(condition=Q(month__day=1), name="activities_period_first_day")]

    def __str__(self):
        return self.month.strftime("%Y-%m")

    @property
    def is_locked(self) -> bool:
        return self.status == PeriodStatus.LOCKED


class ActivityReport(BaseModel):
    """One organisation's monthly 4W report: draft, submitted, validated or returned with a comment."""

    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="reports"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(_("review comment"), blank=True)

    class Meta:
        ordering = ["-period__month", "organisation__acronym"]
        verbose_name = _("monthly activity report")
        verbose_name_plural = _("monthly activity reports")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "period"], name="activities_one_report_per_month")
        ]

    def __str__(self):
        return f"{self.organisation_id}/{self.period}"


class Activity(BaseModel):
    """A 4W line: who (organisation, project) does what (type) where (area) when, for whom (beneficiaries)."""

    report = models.ForeignKey(
        ActivityReport, verbose_name=_("monthly report"), on_delete=models.PROTECT, related_name="activities"
    )
    # Copied from the report so that scoping and the 4W matrix filter without a join.
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    activity_type = models.CharField(_("type of activity"), max_length=24, choices=ActivityType.choices)
    title = models.CharField(_("title"), max_length=300, blank=True)
    area = models.ForeignKey(
        "geography.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    status = models.CharField(
        _("status"), max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.COMPLETED
    )
    # Sessions held, documents obtained, structures rehabilitated: the unit depends on the type.
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    # Imports use it to recognise a line already received (idempotent re-import).
    source_key = models.CharField(max_length=64, blank=True, db_index=True)

    # The cell key method (core/record_keys.py): secret, drawn by the database.
    record_key = record_key_field()

    class Meta:
        ordering = ["start_date", "pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="activities_activity_dates"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "activity_type"]),
            models.Index(fields=["start_date"]),
        ]

    def __str__(self):
        return f"{self.activity_type} {self.start_date}"


class Beneficiaries(models.Model):
    """People reached by an activity, by sex, age group and population status (counts only)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="beneficiaries")
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    population_status = models.CharField(
        _("population status"), max_length=16, choices=PopulationStatus.choices
    )
    count = models.PositiveIntegerField(_("number"))

    class Meta:
        verbose_name = _("beneficiaries")
        verbose_name_plural = _("beneficiaries")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "sex", "age_group", "population_status"],
                name="activities_beneficiary_cell",
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="activities_beneficiaries_positive"),
        ]

    def __str__(self):
        return f"{self.sex}/{self.age_group}/{self.population_status}: {self.count}"


class Training(models.Model):
    """The training details of an activity of type training: topic, place, trainers, participants."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="training")
    topic = models.CharField(_("topic"), max_length=300)
    place = models.CharField(_("place"), max_length=200, blank=True)
    trainers = models.CharField(_("trainers"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")

    def __str__(self):
        return self.topic


class TrainingParticipants(models.Model):
    """Participants of a training by category and sex (counts only)."""

    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="participants")
    category = models.CharField(_("category"), max_length=24, choices=ParticipantCategory.choices)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    count = models.PositiveIntegerField(_("number"))

    # The cell key method (core/record_keys.py): secret, drawn by the database.
    record_key = record_key_field()

    class Meta:
        verbose_name = _("training participants")
        verbose_name_plural = _("training participants")
        constraints = [
            models.UniqueConstraint(
                fields=["training", "category", "sex"], name="activities_participant_cell"
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="activities_participants_positive"),
        ]

    def __str__(self):
        return f"{self.category}/{self.sex}: {self.count}"
