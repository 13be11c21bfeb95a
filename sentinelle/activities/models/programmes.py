"""Programmes and projects: who funds what, who implements it, where and when."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sentinelle.core.models import BaseModel

from .codes import Currency


class Programme(BaseModel):
    """A funded programme (PROTECT, REVIVRE 2, PROSMED...) with its partners, areas and budget."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    lead_organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("lead organisation"),
        on_delete=models.PROTECT,
        related_name="led_programmes",
    )
    donors = models.ManyToManyField(
        "accounts.Organisation", verbose_name=_("donors"), related_name="funded_programmes", blank=True
    )
    implementing_partners = models.ManyToManyField(
        "accounts.Organisation",
        verbose_name=_("implementing partners"),
        related_name="implemented_programmes",
        blank=True,
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    budget = models.DecimalField(_("budget"), max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.XOF)
    areas = models.ManyToManyField(
        "geography.AdminArea", verbose_name=_("areas"), related_name="+", blank=True
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="activities_programme_dates"
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="activities_programme_budget"
            ),
        ]

    def __str__(self):
        return self.code


class Project(BaseModel):
    """One organisation's project, within a programme or on its own."""

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("implementing organisation"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=300)
    donors = models.ManyToManyField(
        "accounts.Organisation", verbose_name=_("donors"), related_name="funded_projects", blank=True
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    budget = models.DecimalField(_("budget"), max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.XOF)
    areas = models.ManyToManyField(
        "geography.AdminArea", verbose_name=_("areas"), related_name="+", blank=True
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="activities_project_dates"
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="activities_project_budget"
            ),
        ]

    def __str__(self):
        return self.code
