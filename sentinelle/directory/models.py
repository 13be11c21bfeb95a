"""The directory of services that survivors can be referred to (design §3, seed 002 OS3)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sentinelle.core.models import BaseModel

# Details not checked for this long are flagged (phone numbers and hours change).
STALE_AFTER_DAYS = 183


class ServiceType(models.TextChoices):
    HEALTH = "health", _("Health")
    PSS = "pss", _("Psychosocial support")
    LEGAL = "legal", _("Legal aid")
    SECURITY = "security", _("Police / gendarmerie")
    SHELTER = "shelter", _("Shelter / safe house")
    LIVELIHOOD = "livelihood", _("Livelihoods")
    EDUCATION = "education", _("Education")
    CIVIL_DOCUMENTATION = "civil_documentation", _("Civil documentation")
    CHILD_PROTECTION = "child_protection", _("Child protection")
    CASH_IPA = "cash_ipa", _("Cash / individual protection assistance")
    REHABILITATION = "rehabilitation", _("Physical rehabilitation")
    OTHER = "other", _("Other")


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Temporarily suspended")
    CLOSED = "closed", _("Closed down")


class Cost(models.TextChoices):
    FREE = "free", _("Free")
    SUBSIDISED = "subsidised", _("Subsidised")
    PAID = "paid", _("Fee-paying")


class Service(BaseModel):
    """A service a provider offers in a place, to the areas it serves."""

    name = models.CharField(_("name"), max_length=200)
    service_type = models.CharField(_("type of service"), max_length=24, choices=ServiceType.choices)
    provider = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("provider"), on_delete=models.PROTECT, related_name="services"
    )
    description = models.TextField(_("description"), blank=True)
    # Where the service is delivered (a commune), and the areas whose people it accepts.
    area = models.ForeignKey(
        "geography.AdminArea", verbose_name=_("located in"), on_delete=models.PROTECT, related_name="+"
    )
    settlement = models.ForeignKey(
        "geography.Settlement",
        verbose_name=_("settlement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    areas_served = models.ManyToManyField(
        "geography.AdminArea", verbose_name=_("areas served"), blank=True, related_name="+"
    )
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    languages = models.CharField(
        _("languages"), max_length=200, blank=True, help_text=_("e.g. Bambara, Fulfulde, French")
    )
    eligibility = models.TextField(_("eligibility"), blank=True)
    cost = models.CharField(_("cost"), max_length=16, choices=Cost.choices, default=Cost.FREE)
    capacity_per_month = models.PositiveIntegerField(_("capacity per month"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    last_verified_on = models.DateField(_("last verified on"), null=True, blank=True)
    # Users (service focal points of the provider) who receive this service's referrals.
    focal_points = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("focal points"), blank=True, related_name="services_focal"
    )
    source_id = models.CharField(_("source identifier"), max_length=128, blank=True)

    class Meta:
        ordering = ["service_type", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        indexes = [models.Index(fields=["service_type", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "source_id"],
                condition=~models.Q(source_id=""),
                name="directory_service_unique_source",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def verification_is_stale(self) -> bool:
        """Never checked, or not for six months: the page says so before anyone relies on it."""
        if self.last_verified_on is None:
            return True
        return timezone.localdate() - self.last_verified_on > datetime.timedelta(days=STALE_AFTER_DAYS)
