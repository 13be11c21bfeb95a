"""Results frameworks: objective > outcome > output > indicator, targets and values.

An indicator's value is either computed from Sentinelle's records by a declared computation (a count or
sum over a dataset of core/datasets.py with filters, or a ratio of two of them; see
activities/computations.py) or entered by hand with its evidence (`IndicatorValue`).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sentinelle.core.models import BaseModel

from .codes import IndicatorSource, IndicatorUnit, NodeLevel
from .programmes import Programme


class ResultsFramework(BaseModel):
    """A programme's logframe or a strategy's results (the cluster strategy has no programme)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=300)
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="frameworks",
    )
    owner_organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("results framework")
        verbose_name_plural = _("results frameworks")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="activities_framework_dates"
            )
        ]

    def __str__(self):
        return self.code


class ResultNode(BaseModel):
    """An objective, outcome or output; outcomes hang under objectives, outputs under outcomes."""

    framework = models.ForeignKey(ResultsFramework, on_delete=models.PROTECT, related_name="nodes")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    level = models.CharField(_("level"), max_length=16, choices=NodeLevel.choices)
    code = models.CharField(_("code"), max_length=40)
    title_fr = models.CharField(_("title (French)"), max_length=500)
    title_en = models.CharField(_("title (English)"), max_length=500, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["framework", "order", "code"]
        verbose_name = _("result")
        verbose_name_plural = _("results")
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="activities_node_code_unique")
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "fr").startswith("en") and self.title_en else self.title_fr


class Indicator(BaseModel):
    framework = models.ForeignKey(ResultsFramework, on_delete=models.PROTECT, related_name="indicators")
    node = models.ForeignKey(
        ResultNode, verbose_name=_("result"), on_delete=models.PROTECT, related_name="indicators"
    )
    code = models.CharField(_("code"), max_length=40)
    name_fr = models.CharField(_("name (French)"), max_length=500)
    name_en = models.CharField(_("name (English)"), max_length=500, blank=True)
    unit = models.CharField(
        _("unit"), max_length=16, choices=IndicatorUnit.choices, default=IndicatorUnit.NUMBER
    )
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=IndicatorSource.choices)
    # The declared computation (source computed): see activities/computations.py for its grammar.
    computation = models.JSONField(_("computation"), default=dict, blank=True)
    # Among Disaggregation codes: how the values may be broken down.
    disaggregations = models.JSONField(_("disaggregations"), default=list, blank=True)
    means_of_verification = models.TextField(_("means of verification"), blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["framework", "order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="activities_indicator_code_unique"),
            models.CheckConstraint(
                condition=Q(source=IndicatorSource.MANUAL) | ~Q(computation={}),
                name="activities_computed_indicator_has_computation",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "fr").startswith("en") and self.name_en else self.name_fr


class IndicatorTarget(models.Model):
    """The target of an indicator for a period (and optionally one area)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    area = models.ForeignKey(
        "geography.AdminArea",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    value = models.DecimalField(_("target"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["period_start"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period_start", "period_end", "area"], name="activities_target_unique"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="activities_target_dates"
            ),
        ]

    def __str__(self):
        return f"{self.period_start}/{self.period_end}: {self.value}"


class IndicatorValue(BaseModel):
    """A value entered by hand for a period (and optionally an area and a disaggregation), with evidence."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    area = models.ForeignKey(
        "geography.AdminArea",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # {"sex": "f"} for the women's share; {} for the total.
    disaggregation = models.JSONField(_("disaggregation"), default=dict, blank=True)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    evidence = models.TextField(_("evidence"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["period_start"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="activities_value_dates"
            ),
            models.CheckConstraint(condition=~Q(evidence=""), name="activities_value_has_evidence"),
        ]
