"""What a device sent at sync: one row per change, so that a change sent again answers what it got the first
time and writes nothing (the change id, made on the device, is unique)."""

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sentinelle.core.fields import EncryptedTextField


class ChangeKind(models.TextChoices):
    FOLLOW_UP = "follow_up", _("Follow-up")
    NOTE = "note", _("Note")
    TASK_DONE = "task_done", _("Task done")
    ASSESSMENT = "assessment", _("Assessment")
    PLAN_ACTION_DONE = "plan_action_done", _("Case plan action done")
    CONSENT = "consent", _("Consent")
    PERSON_UPDATE = "person_update", _("Contact details")
    REGISTER = "register", _("New person and case")


class ChangeStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    REFUSED = "refused", _("Refused")
    CONFLICT = "conflict", _("Conflict")
    REVIEW = "review", _("To review")
    # Answered, never stored: the device keeps the change and sends it again later.
    WAITING = "waiting", _("Waiting")


class OfflineChange(models.Model):
    change_id = models.UUIDField(_("change"), unique=True)
    device = models.ForeignKey(
        "accounts.DeviceCredential", verbose_name=_("device"), on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=ChangeKind.choices)
    # The case as the device named it: a case's public id, or "tmp:<change id of the register change>".
    case_ref = models.CharField(_("case reference"), max_length=64, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A register change sent after a review names the register change it settles: the changes the device
    # recorded on "tmp:<that change>" find their case through it.
    replaces = models.UUIDField(_("settles"), null=True, blank=True, db_index=True)
    recorded_at = models.DateTimeField(_("recorded on the device at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=ChangeStatus.choices)
    # The answer given (JSON): encrypted, since a conflict or a review names the person.
    result = EncryptedTextField(_("answer"), blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = _("offline change")
        verbose_name_plural = _("offline changes")

    def __str__(self):
        return f"{self.kind} {self.change_id}"

    @property
    def answer(self) -> dict:
        return json.loads(self.result) if self.result else {}
