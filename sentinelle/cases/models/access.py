"""Access to a case across organisations: a manager of another organisation asks, the managers of the
organisation that holds the case grant (for a limited time) or refuse (design §6: break-the-glass stays
inside the organisation; across organisations, access is requested and granted)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sentinelle.core.fields import EncryptedTextField
from sentinelle.core.models import BaseModel

from .cases import BreakGlassAccess, Case


class CaseAccessRequest(BaseModel):
    """One request to read a case of another organisation, and its answer.

    The row is written for every request, whether or not the number names such a case (`case` is then
    empty and the request lapses unanswered): the requester's page, list and audit log read the same
    either way. A grant is a BreakGlassAccess row for the requester (`access`), which the policy's scope
    already reads until it expires.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")
        EXPIRED = "expired", _("Expired")

    # As typed (upper-cased): a case number is a random reference, not personal data.
    case_number = models.CharField(_("case number"), max_length=24)
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requesting_organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("requesting organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Encrypted: a reason may name someone.
    reason = EncryptedTextField(_("reason"))
    hours_requested = models.PositiveSmallIntegerField(_("hours requested"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = EncryptedTextField(_("reason for refusing"), blank=True)
    expires_at = models.DateTimeField(_("access until"), null=True, blank=True)
    access = models.OneToOneField(
        BreakGlassAccess, on_delete=models.PROTECT, null=True, blank=True, related_name="access_request"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case access request")
        verbose_name_plural = _("case access requests")
        indexes = [
            models.Index(fields=["status", "case"], name="cases_access_request_queue"),
            models.Index(fields=["requested_by", "created_at"], name="cases_access_request_mine"),
        ]

    def __str__(self):
        return f"{self.case_number} {self.status}"
