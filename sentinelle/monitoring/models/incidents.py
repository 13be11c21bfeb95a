"""The protection-monitoring incident: an event with no identity in it, except encrypted account and place."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sentinelle.core.fields import EncryptedTextField
from sentinelle.core.models import BaseModel
from sentinelle.core.record_keys import record_key_field

from .codes import (
    AgeGroup,
    Category,
    Channel,
    IncidentStatus,
    Outcome,
    PerpetratorCategory,
    Reliability,
    Sex,
    SharingLevel,
    SourceMechanism,
)


class Incident(BaseModel):
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("reporting organisation"),
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.DRAFT
    )
    # When: one date, or a period (date_end set); `date_estimated` when the day is not certain.
    date_start = models.DateField(_("date of the incident (or start)"))
    date_end = models.DateField(_("end of the period"), null=True, blank=True)
    date_estimated = models.BooleanField(_("date estimated"), default=False)
    date_reported = models.DateField(_("date reported"))
    # Where: a cercle (admin2) at least, a commune (admin3) when known.
    area = models.ForeignKey(
        "geography.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    settlement = models.ForeignKey(
        "geography.Settlement",
        verbose_name=_("settlement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # "lat,lon", encrypted: an exact place can identify a survivor.
    coordinates = EncryptedTextField(_("coordinates"), blank=True)
    # The confidential account (encrypted) and a separate summary safe to share.
    account = EncryptedTextField(_("account (confidential)"), blank=True)
    summary = models.TextField(_("non-identifying summary"), blank=True)
    perpetrator_category = models.CharField(
        _("alleged perpetrator"), max_length=16, choices=PerpetratorCategory.choices
    )
    displaced_households = models.PositiveIntegerField(_("households displaced"), null=True, blank=True)
    displaced_individuals = models.PositiveIntegerField(_("individuals displaced"), null=True, blank=True)
    source_mechanism = models.CharField(_("source"), max_length=32, choices=SourceMechanism.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    reliability = models.CharField(
        _("source reliability"),
        max_length=1,
        choices=Reliability.choices,
        default=Reliability.CANNOT_BE_JUDGED,
    )
    sharing_level = models.CharField(
        _("sharing level"), max_length=16, choices=SharingLevel.choices, default=SharingLevel.ORGANISATION
    )
    # Identifier in the system it came from (ODK instanceID, import row id): re-sending changes nothing.
    source_id = models.CharField(_("source identifier"), max_length=128, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    # Set when this incident is another source's report of the same event: statistics count the canonical one.
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("same event as"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    # Totals of the victim counts, kept by the services that write the counts (for lists and alerts).
    victims_total = models.PositiveIntegerField(_("victims"), default=0)
    killed_total = models.PositiveIntegerField(_("killed"), default=0)

    # The cell key method (core/record_keys.py): secret, drawn by the database.
    record_key = record_key_field()

    class Meta:
        ordering = ["-date_start", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "source_id"],
                condition=~Q(source_id=""),
                name="monitoring_incident_unique_source",
            ),
            models.CheckConstraint(
                condition=Q(date_end__isnull=True) | Q(date_end__gte=models.F("date_start")),
                name="monitoring_incident_period_order",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=models.F("id")), name="monitoring_incident_not_own_duplicate"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "-date_start"]),
            models.Index(fields=["status", "-date_start"]),
            models.Index(fields=["area", "date_start"]),
            models.Index(fields=["date_start"]),
            # Duplicate detection and alert rules read the counted incidents of a few areas over a few
            # days (services/duplicates.py, alerts.py): on PostgreSQL, without reading the table (an
            # index-only scan needs every column the query reads, the id included: without it the
            # pairing read the table for each of the ~280 incidents of a window at national density).
            models.Index(
                fields=["area", "date_start"],
                include=[
                    "id",
                    "date_end",
                    "organisation",
                    "source_mechanism",
                    "victims_total",
                    "killed_total",
                    "displaced_households",
                    "is_archived",
                ],
                condition=Q(status__in=["submitted", "verified"], duplicate_of__isnull=True),
                name="monitoring_pair_window",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_draft(self) -> bool:
        return self.status == IncidentStatus.DRAFT

    @property
    def counts_in_statistics(self) -> bool:
        return self.duplicate_of_id is None and self.status in (
            IncidentStatus.SUBMITTED,
            IncidentStatus.VERIFIED,
        )


class IncidentCategory(models.Model):
    """One of the incident's categories (an incident may violate several rights)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="category_links")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)

    class Meta:
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")
        constraints = [
            models.UniqueConstraint(fields=["incident", "category"], name="monitoring_category_unique"),
        ]
        indexes = [models.Index(fields=["category", "incident"])]

    def __str__(self):
        return self.category


class VictimCount(models.Model):
    """Victims of the incident by outcome, sex and age group (counts only, never a person)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="victim_counts")
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    count = models.PositiveIntegerField(_("number"))

    # The cell key method (core/record_keys.py): secret, drawn by the database.
    record_key = record_key_field()

    class Meta:
        verbose_name = _("victim count")
        verbose_name_plural = _("victim counts")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "outcome", "sex", "age_group"], name="monitoring_victims_unique_cell"
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="monitoring_victims_positive"),
        ]

    def __str__(self):
        return f"{self.outcome}/{self.sex}/{self.age_group}: {self.count}"


class IncidentEvent(models.Model):
    """The incident's timeline: who did what when, and which fields changed (confidential values hidden)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Recorded")
        UPDATED = "updated", _("Changed")
        SUBMITTED = "submitted", _("Submitted")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        LINKED = "linked", _("Linked as the same event")
        UNLINKED = "unlinked", _("Link removed")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    # {"field": [old, new]}; encrypted fields appear as {"account": ["…", "…"]} without their values.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")

    def __str__(self):
        return f"{self.incident_id} {self.kind}"


class IncidentReferenceCounter(models.Model):
    """The last reference number given in a year ("INC-2026-000123"): the row is locked while a block
    of numbers is reserved, so concurrent recordings and imports never share a number."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("incident reference counter")
        verbose_name_plural = _("incident reference counters")

    def __str__(self):
        return f"{self.year}: {self.last}"
