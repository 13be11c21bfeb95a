"""Family tracing and reunification of separated and unaccompanied children (seed 003)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sentinelle.core.codes import Sex
from sentinelle.core.fields import EncryptedTextField
from sentinelle.core.models import BaseModel

from .cases import Case


class TracingRequest(BaseModel):
    """A family looking for a child: who is sought, last seen where and when; identities encrypted."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("feminine", "Open")
        MATCHED = "matched", _("Match confirmed")
        CLOSED = "closed", pgettext_lazy("feminine", "Closed")

    reference = models.CharField(_("reference"), max_length=24, unique=True)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    inquirer_name = EncryptedTextField(_("inquirer's name"))
    inquirer_phone = EncryptedTextField(_("inquirer's phone"), blank=True)
    inquirer_relationship = models.CharField(_("relationship to the child"), max_length=100)
    sought_given_name = EncryptedTextField(_("child's given name"))
    sought_family_name = EncryptedTextField(_("child's family name"), blank=True)
    sought_other_names = EncryptedTextField(_("child's other names"), blank=True)
    sought_sex = models.CharField(_("child's sex"), max_length=8, choices=Sex.choices)
    sought_age = models.PositiveSmallIntegerField(_("child's age now (estimated)"), null=True, blank=True)
    last_seen_area = models.ForeignKey(
        "geography.AdminArea", verbose_name=_("last seen in"), on_delete=models.PROTECT, related_name="+"
    )
    last_seen_on = models.DateField(_("last seen on"), null=True, blank=True)
    last_seen_details = EncryptedTextField(_("circumstances of separation"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("tracing request")
        verbose_name_plural = _("tracing requests")

    def __str__(self):
        return self.reference


class TracingNameKey(models.Model):
    """Blocking keys of the sought child's name (as PersonNameKey), to find candidate children fast."""

    request = models.ForeignKey(TracingRequest, on_delete=models.CASCADE, related_name="name_keys")
    key = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "key"], name="cases_tracingkey_unique")]

    def __str__(self):
        return self.key[:8]


class TracingMatch(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    request = models.ForeignKey(TracingRequest, on_delete=models.CASCADE, related_name="matches")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tracing_matches")
    score = models.FloatField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score"]
        verbose_name = _("tracing match")
        verbose_name_plural = _("tracing matches")
        constraints = [models.UniqueConstraint(fields=["request", "case"], name="cases_tracing_match_unique")]

    def __str__(self):
        return f"{self.request_id} ~ {self.case_id}"


class Reunification(BaseModel):
    class Outcome(models.TextChoices):
        REUNIFIED = "reunified", _("Reunified with family")
        KINSHIP_CARE = "kinship_care", _("Placed in kinship care")
        FOSTER_CARE = "foster_care", _("Placed in foster care")
        OTHER_CARE = "other_care", _("Other alternative care")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reunifications")
    match = models.ForeignKey(TracingMatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    date = models.DateField(_("date"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    care_arrangement = EncryptedTextField(_("care arrangement"), blank=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("reunification")
        verbose_name_plural = _("reunifications")

    def __str__(self):
        return f"{self.case_id} {self.outcome}"
