"""Alert rules, the alerts they raise, flash reports, area followers, and duplicate proposals."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sentinelle.core.models import BaseModel

from .incidents import Incident


class AlertRule(BaseModel):
    class Subject(models.TextChoices):
        INCIDENTS = "incidents", _("Incidents")
        DISPLACEMENT = "displacement", _("Displacement events")

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", _("Threshold in a time window")
        ALWAYS = "always", _("Every matching incident")

    class Metric(models.TextChoices):
        EVENTS = "events", _("Incidents")
        VICTIMS = "victims", _("Victims")
        KILLED = "killed", _("People killed")
        DISPLACED = "displaced", _("People displaced")

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    # What the rule watches: incidents (monitoring) or displacement events (displacement, through
    # core.hooks and core.datasets; see services/displacement_alerts.py).
    subject = models.CharField(
        _("what is watched"), max_length=16, choices=Subject.choices, default=Subject.INCIDENTS
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Empty means any category / any grave violation.
    categories = models.JSONField(_("categories"), default=list, blank=True)
    violation_types = models.JSONField(_("grave violations"), default=list, blank=True)
    # Limit to a subtree (empty: the whole country); events are counted per area of `area_level`.
    area = models.ForeignKey(
        "geography.AdminArea",
        verbose_name=_("within"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    area_level = models.PositiveSmallIntegerField(_("count per area of level"), default=2)
    metric = models.CharField(
        _("what is counted"), max_length=16, choices=Metric.choices, default=Metric.EVENTS
    )
    # For THRESHOLD: fires when the metric reaches `threshold` within `window_days`; for ALWAYS, when an
    # incident alone reaches it (e.g. "at least 5 killed"; 1 means any matching incident).
    threshold = models.PositiveIntegerField(_("threshold"), default=1)
    window_days = models.PositiveSmallIntegerField(_("window (days)"), default=7)
    webhook_url = models.URLField(_("webhook URL"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=1), name="monitoring_rule_threshold_positive"),
            models.CheckConstraint(
                condition=Q(area_level__gte=1, area_level__lte=3), name="monitoring_rule_level"
            ),
        ]

    def __str__(self):
        return self.name


class Alert(BaseModel):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("feminine", "Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", pgettext_lazy("feminine", "Closed")

    rule = models.ForeignKey(
        AlertRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="alerts"
    )
    area = models.ForeignKey(
        "geography.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    window_start = models.DateField(_("from"))
    window_end = models.DateField(_("to"))
    value = models.PositiveIntegerField(_("value"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    incidents = models.ManyToManyField(Incident, verbose_name=_("incidents"), related_name="alerts")
    # One alert per rule, area and trigger (the window for thresholds, the incident for ALWAYS rules).
    trigger_key = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "area", "trigger_key"], name="monitoring_alert_unique_trigger"
            ),
        ]

    def __str__(self):
        return f"{self.rule} · {self.area}"


class FlashReport(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    alert = models.OneToOneField(
        Alert,
        verbose_name=_("alert"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="flash_report",
    )
    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    what = models.TextField(_("what happened"), blank=True)
    where = models.TextField(_("where"), blank=True)
    when = models.TextField(_("when"), blank=True)
    victims = models.TextField(_("victims by sex and age"), blank=True)
    displacement = models.TextField(_("displacement"), blank=True)
    perpetrators = models.TextField(_("alleged perpetrators"), blank=True)
    immediate_needs = models.TextField(_("immediate needs"), blank=True)
    response = models.TextField(_("response"), blank=True)
    # Structured figures the draft was filled from (victims by sex x age, areas' P-codes...).
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    # An untouched draft of an incident alert not written yet, or whose alert gained incidents since: written
    # from them when it is next read (services/flash_reports.flash_report_refresh), not by every import
    # that raises or joins alerts.
    stale = models.BooleanField(_("to be written again"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("flash report")
        verbose_name_plural = _("flash reports")

    def __str__(self):
        return self.title


class AreaFollow(models.Model):
    """A user who wants to hear about alerts in an area (and its subtree)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="area_follows")
    area = models.ForeignKey("geography.AdminArea", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("followed area")
        verbose_name_plural = _("followed areas")
        constraints = [models.UniqueConstraint(fields=["user", "area"], name="monitoring_follow_unique")]

    def __str__(self):
        return f"{self.user_id} → {self.area_id}"


class DuplicateCandidate(models.Model):
    """Two incidents from different sources that probably describe the same event, for the IMO to decide.

    The similarity is the detection's; the reasons are not stored but said from the two incidents when
    the pair is read, in the reader's language (selectors/duplicates.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To review")
        LINKED = "linked", _("Linked: same event")
        DISMISSED = "dismissed", _("Dismissed: different events")

    first = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("similarity"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-score"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="monitoring_duplicate_unique_pair"),
            models.CheckConstraint(
                condition=Q(first__lt=F("second")), name="monitoring_duplicate_ordered_pair"
            ),
        ]
        indexes = [models.Index(fields=["status", "-score"])]

    def __str__(self):
        return f"{self.first_id} ~ {self.second_id} ({self.score:.2f})"

    @property
    def pair(self) -> tuple:
        """The two incidents, for a page that shows them side by side."""
        return (self.first, self.second)
