"""Reports: the monthly protection analysis and the quarterly programme report, versioned.

A report is what is being written (kind, period, area or framework, author organisation); each
generation or narrative edit adds a `ReportVersion`, immutable, that freezes the figures as computed and
disclosure-controlled at generation (cells with their exact value and their suppression mark) and the
narrative per section. Publishing points `published_version` at the current version: readers see that
version only, even while the editors draft the next one.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sentinelle.core.models import BaseModel


class ReportKind(models.TextChoices):
    MONTHLY_ANALYSIS = "monthly_analysis", _("Monthly protection analysis")
    PROGRAMME_QUARTERLY = "programme_quarterly", _("Quarterly programme report")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Report(BaseModel):
    kind = models.CharField(_("kind of report"), max_length=32, choices=ReportKind.choices)
    title = models.CharField(_("title"), max_length=300)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("author organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
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
    framework = models.ForeignKey(
        "activities.ResultsFramework",
        verbose_name=_("results framework"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    current_version = models.ForeignKey(
        "ReportVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_version = models.ForeignKey(
        "ReportVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published on"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-period_start", "kind", "title"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="reports_report_dates"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="programme_quarterly") | models.Q(framework__isnull=False),
                name="reports_quarterly_has_framework",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_published(self) -> bool:
        return self.published_version_id is not None


class ReportVersion(models.Model):
    """One frozen state of a report: never changed once written (a change is a new version)."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    # {"threshold": 5, "sections": [{"key", "title", "tables": [...], "charts": [...], "maps": [...]}]}
    figures = models.JSONField(_("figures"), default=dict)
    # {section key: text}
    narrative = models.JSONField(_("narrative"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)

    class Meta:
        ordering = ["report", "number"]
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="reports_version_number_unique")
        ]

    def __str__(self):
        return f"{self.report} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("A report version cannot be changed; save a new version."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A report version cannot be deleted."))
