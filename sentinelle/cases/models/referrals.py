"""Consent per purpose, referrals to services, and individual protection assistance."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sentinelle.core.models import BaseModel
from sentinelle.core.record_keys import record_key_field
from sentinelle.directory.models import ServiceType

from .cases import Case
from .codes import ConsentGivenBy, ConsentPurpose, ReferralStatus, Urgency
from .persons import Person


class Consent(BaseModel):
    """Informed consent for one purpose; a referral needs a current consent that covers it."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=16, choices=ConsentPurpose.choices)
    # For referrals: the organisations or service types covered (both empty: any).
    organisations = models.ManyToManyField(
        "accounts.Organisation", verbose_name=_("organisations"), blank=True, related_name="+"
    )
    service_types = models.JSONField(_("service types"), default=list, blank=True)
    given_by = models.CharField(_("given by"), max_length=16, choices=ConsentGivenBy.choices)
    given_on = models.DateField(_("given on"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self):
        return f"{self.person_id} {self.purpose}"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_on is None

    @property
    def service_type_labels(self) -> list[str]:
        """The service types covered, by name (an empty list: any type)."""
        return [str(ServiceType(code).label) for code in self.service_types if code in ServiceType.values]


class Referral(BaseModel):
    reference = models.CharField(_("reference"), max_length=24, unique=True)
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="referrals")
    # A service of the directory, or, for a service outside Sentinelle, its name (printed referral form).
    service = models.ForeignKey(
        "directory.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    external_service = models.CharField(_("service outside Sentinelle"), max_length=300, blank=True)
    service_type = models.CharField(_("type of service"), max_length=24)
    consent = models.ForeignKey(
        Consent, verbose_name=_("consent"), on_delete=models.PROTECT, related_name="referrals"
    )
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    status = models.CharField(
        _("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    # The harmonised referral form: only the fields this service type needs (see services/referrals.py).
    form = models.JSONField(_("referral form"), default=dict, blank=True)
    reason = models.TextField(_("reason for referral (no names)"), blank=True)
    respond_by = models.DateTimeField(_("respond by"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    service_given = models.TextField(_("service given"), blank=True)
    # The rest of the feedback the service returns (in Sentinelle, or on the printed form's feedback part).
    service_date = models.DateField(_("date of the service"), null=True, blank=True)
    follow_up_needed = models.BooleanField(_("follow-up needed"), default=False)
    follow_up = models.TextField(_("follow-up needed: which"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # The cell key method (core/record_keys.py): secret, drawn by the database.
    record_key = record_key_field()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["service", "status", "-created_at"]),
            models.Index(fields=["status", "respond_by"]),
            # The receiving queue: most urgent first, read in order from the index whatever the statuses.
            models.Index(fields=["respond_by", "id"], name="cases_referral_urgent_idx"),
            # One service's queue, most urgent first, read in order (selectors/referrals.py reads each
            # service's queue and merges them): the referrals to handle, and one status at a time.
            models.Index(
                fields=["service", "respond_by", "id"],
                condition=models.Q(status__in=["pending", "accepted"]),
                name="cases_referral_open_queue_idx",
            ),
            models.Index(fields=["service", "status", "respond_by", "id"], name="cases_referral_queue_idx"),
            # The referrals dataset's periods (`moment_field`): the days of a month not yet whole in the
            # roll-ups are read from the records by this range.
            models.Index(fields=["created_at"], name="cases_referral_created_idx"),
            models.Index(fields=["service_type", "status"]),
        ]

    def __str__(self):
        return self.reference


class ReferralEvent(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")

    def __str__(self):
        return f"{self.referral_id} {self.status}"


class Assistance(BaseModel):
    """Individual protection assistance on a case: cash (XOF) or in kind."""

    class Kind(models.TextChoices):
        CASH = "cash", _("Cash")
        IN_KIND = "in_kind", _("In kind")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        DISBURSED = "disbursed", _("Disbursed")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assistance")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount_xof = models.PositiveIntegerField(_("amount (XOF)"), null=True, blank=True)
    items = models.CharField(_("items given"), max_length=300, blank=True)
    purpose = models.CharField(_("purpose"), max_length=300)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    disbursed_on = models.DateField(_("disbursed on"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("assistance")
        verbose_name_plural = _("assistance")

    def __str__(self):
        return f"{self.case_id} {self.kind}"
