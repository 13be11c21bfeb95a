"""Population movement (design §3, seed 002 OS1.3): figures by area, round and status, displacement
events, return intentions and people in need. Aggregates only: no person is ever recorded here.

Counting rules live in selectors.py (latest round per area and status, one source per round, a cercle
counted either through its communes or as a whole, never both).
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sentinelle.core.codes import AgeGroup, PopulationStatus, Sex
from sentinelle.core.models import BaseModel

# Statuses a population figure may have: host communities are counted in needs, not in movement figures.
FIGURE_STATUSES = [
    PopulationStatus.IDP,
    PopulationStatus.IDP_RETURNEE,
    PopulationStatus.REPATRIATE,
    PopulationStatus.REFUGEE,
]
FIGURE_STATUS_CHOICES = [(status.value, status.label) for status in FIGURE_STATUSES]


class FigureSource(models.TextChoices):
    CMP = "cmp", _("CMP / DTM")
    AUTHORITIES = "authorities", _("Authorities")
    PARTNER = "partner", _("Partner")


# When several sources give the same area, status and round, the first of this list is counted (the
# CMP is the reference mechanism of the cluster, seed 002 OS1.3); figures are never added across sources.
SOURCE_PRIORITY = [FigureSource.CMP, FigureSource.AUTHORITIES, FigureSource.PARTNER]


class EventCause(models.TextChoices):
    ARMED_CONFLICT = "armed_conflict", _("Armed conflict / attack")
    INTERCOMMUNAL = "intercommunal", _("Intercommunal violence")
    THREAT = "threat", _("Threats / intimidation")
    NATURAL_DISASTER = "natural_disaster", _("Flooding / natural disaster")
    OTHER = "other", _("Other cause")


class ReturnCondition(models.TextChoices):
    SECURITY = "security", _("Security")
    SHELTER = "shelter", _("Shelter")
    SERVICES = "services", _("Basic services")
    LIVELIHOOD = "livelihood", _("Livelihoods")
    DOCUMENTATION = "documentation", _("Civil documentation")
    SOCIAL_COHESION = "social_cohesion", _("Social cohesion")
    OTHER = "other", _("Other condition")


class PopulationFigure(BaseModel):
    """How many people of one status live in an area (cercle or commune) at the date of a round."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("reporting organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.ForeignKey(
        "geography.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    round_date = models.DateField(_("date of the round"))
    status = models.CharField(_("population status"), max_length=16, choices=FIGURE_STATUS_CHOICES)
    source = models.CharField(_("source"), max_length=16, choices=FigureSource.choices)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    individuals = models.PositiveIntegerField(_("individuals"))
    # The identifier in the reporting organisation's files (or the natural key): re-imports change nothing.
    source_key = models.CharField(_("source identifier"), max_length=128, blank=True)

    class Meta:
        ordering = ["-round_date", "area__pcode", "status"]
        verbose_name = _("population figure")
        verbose_name_plural = _("population figures")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "status", "round_date", "source"],
                condition=Q(is_archived=False),
                name="displacement_figure_unique_round",
            ),
            models.UniqueConstraint(
                fields=["organisation", "source_key"],
                condition=~Q(source_key=""),
                name="displacement_figure_unique_source_key",
            ),
        ]
        indexes = [
            # The newest round of an area and status is the first entry (selectors.latest_in_sql);
            # source and id are included so that PostgreSQL ranks the sources of that round without
            # reading the table.
            models.Index(
                fields=["area", "status", "-round_date"],
                include=["source", "id"],
                condition=Q(is_archived=False),
                name="displacement_figure_round",
            ),
            # The last round dates (the overview's trend) without reading every round.
            models.Index(
                fields=["-round_date"], condition=Q(is_archived=False), name="displacement_figure_dates"
            ),
        ]

    def __str__(self):
        return f"{self.area} · {self.get_status_display()} · {self.round_date}"


class PopulationBreakdown(models.Model):
    """One cell of a figure by sex and age group; the cells add up to at most the figure's individuals."""

    figure = models.ForeignKey(PopulationFigure, on_delete=models.CASCADE, related_name="breakdown")
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    count = models.PositiveIntegerField(_("number"))

    class Meta:
        verbose_name = _("breakdown by sex and age")
        verbose_name_plural = _("breakdowns by sex and age")
        constraints = [
            models.UniqueConstraint(
                fields=["figure", "sex", "age_group"], name="displacement_breakdown_cell"
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="displacement_breakdown_positive"),
        ]

    def __str__(self):
        return f"{self.sex} {self.age_group}: {self.count}"


class DisplacementEvent(BaseModel):
    """A sudden movement: people who arrived in an area on a date, and why (an alert, not a stock)."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("reporting organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    date = models.DateField(_("date of the displacement"))
    # Unknown origin is allowed: people arriving are counted before anyone knows where they fled from.
    origin_area = models.ForeignKey(
        "geography.AdminArea",
        verbose_name=_("area of origin"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    destination_area = models.ForeignKey(
        "geography.AdminArea", verbose_name=_("area of arrival"), on_delete=models.PROTECT, related_name="+"
    )
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    individuals = models.PositiveIntegerField(_("individuals"))
    cause = models.CharField(_("cause"), max_length=24, choices=EventCause.choices)
    source = models.CharField(_("source"), max_length=16, choices=FigureSource.choices)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("What happened, without any name or detail that identifies someone."),
    )
    source_key = models.CharField(_("source identifier"), max_length=128, blank=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("displacement event")
        verbose_name_plural = _("displacement events")
        indexes = [models.Index(fields=["date"], name="displacement_event_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "source_key"],
                condition=~Q(source_key=""),
                name="displacement_event_unique_source_key",
            ),
        ]

    def __str__(self):
        return f"{self.destination_area} · {self.date} · {self.individuals}"


class ReturnIntention(BaseModel):
    """The result of an intentions survey in an area: households by wish, and the conditions named."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("reporting organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.ForeignKey(
        "geography.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    survey_date = models.DateField(_("date of the survey"))
    population_status = models.CharField(_("population status"), max_length=16, choices=FIGURE_STATUS_CHOICES)
    households_surveyed = models.PositiveIntegerField(_("households surveyed"))
    wish_return = models.PositiveIntegerField(_("wish to return"))
    wish_stay = models.PositiveIntegerField(_("wish to stay"))
    wish_elsewhere = models.PositiveIntegerField(_("wish to settle elsewhere"))
    # ReturnCondition codes named by the households as conditions for their return.
    conditions = models.JSONField(_("conditions for return"), default=list, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=FigureSource.choices)
    source_key = models.CharField(_("source identifier"), max_length=128, blank=True)

    class Meta:
        ordering = ["-survey_date", "area__pcode"]
        verbose_name = _("return intentions survey")
        verbose_name_plural = _("return intentions surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(households_surveyed=F("wish_return") + F("wish_stay") + F("wish_elsewhere")),
                name="displacement_intention_sum",
            ),
        ]

    def __str__(self):
        return f"{self.area} · {self.survey_date}"


class PeopleInNeed(BaseModel):
    """People in need in an area for a year and population group (humanitarian needs overview)."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("reporting organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.ForeignKey(
        "geography.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    population_status = models.CharField(
        _("population group"), max_length=16, choices=PopulationStatus.choices
    )
    people_in_need = models.PositiveIntegerField(_("people in need"))
    source = models.CharField(_("source"), max_length=100, help_text=_("e.g. HNO 2024"))

    class Meta:
        ordering = ["-year", "area__pcode", "population_status"]
        verbose_name = _("people in need")
        verbose_name_plural = _("people in need")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "year", "population_status"],
                condition=Q(is_archived=False),
                name="displacement_pin_unique",
            ),
        ]

    def __str__(self):
        return f"{self.area} · {self.year} · {self.get_population_status_display()}"
