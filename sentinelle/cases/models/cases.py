"""A case and what the case worker records on it through the six steps."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sentinelle.core.fields import EncryptedTextField
from sentinelle.core.models import BaseModel
from sentinelle.core.record_keys import record_key_field

from .codes import ApprovalKind, ApprovalStatus, CaseStatus, CaseType, ClosureReason, RiskLevel, TaskKind
from .persons import Person


class Case(BaseModel):
    case_number = models.CharField(_("case number"), max_length=24, unique=True)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="cases"
    )
    case_type = models.CharField(_("type of case"), max_length=24, choices=CaseType.choices)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("case worker"),
        on_delete=models.PROTECT,
        related_name="cases_owned",
    )
    # Other users who work on the case (a supervisor, a colleague covering); they see it like the owner.
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("also assigned"), blank=True, related_name="cases_assigned"
    )
    # The area the case is followed in (the person's commune at opening), for scoping by area.
    area = models.ForeignKey(
        "geography.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices, blank=True)
    opened_on = models.DateField(_("opened on"))
    protection_concerns = models.JSONField(_("protection concerns"), default=list, blank=True)
    # A GBV incident (or another monitoring incident) the case was opened from.
    incident = models.ForeignKey(
        "monitoring.Incident",
        verbose_name=_("incident"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(
        _("reason for closure"), max_length=16, choices=ClosureReason.choices, blank=True
    )
    closure_note = EncryptedTextField(_("closure note"), blank=True)
    # Retention (cases/services/retention.py): a case worker may keep the person's identity past the
    # configured period, saying why (encrypted: a reason may name someone).
    retention_hold_reason = EncryptedTextField(_("reason to keep the identity"), blank=True)
    retention_hold_at = models.DateTimeField(_("identity kept since"), null=True, blank=True)
    retention_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # The cell key method (core/record_keys.py): secret, drawn by the database.
    record_key = record_key_field()

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["organisation", "status", "risk_level"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["area", "opened_on"]),
            # The case list: an organisation's newest cases first, read from the index, never sorted whole.
            models.Index(fields=["organisation", "-opened_on", "-id"], name="cases_case_newest_idx"),
        ]

    def __str__(self):
        return self.case_number


class Assessment(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField(_("assessed on"))
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices)
    needs = models.JSONField(_("needs (service types)"), default=list, blank=True)
    summary = EncryptedTextField(_("assessment summary"), blank=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self):
        return f"{self.case_id} {self.assessed_on}"


class CasePlan(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Returned for changes")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plans")
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.DRAFT)
    goals = EncryptedTextField(_("goals"), blank=True)
    review_on = models.DateField(_("review on"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case plan")
        verbose_name_plural = _("case plans")

    def __str__(self):
        return f"{self.case_id} plan"


class CasePlanAction(models.Model):
    plan = models.ForeignKey(CasePlan, on_delete=models.CASCADE, related_name="actions")
    need = models.CharField(_("need (service type)"), max_length=24)
    description = EncryptedTextField(_("action"))
    responsible = models.CharField(_("who"), max_length=200)
    due_on = models.DateField(_("by when"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    referral = models.ForeignKey(
        "cases.Referral", on_delete=models.SET_NULL, null=True, blank=True, related_name="plan_actions"
    )

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("case plan action")
        verbose_name_plural = _("case plan actions")

    def __str__(self):
        return f"{self.need} {self.due_on}"


class FollowUp(BaseModel):
    class Kind(models.TextChoices):
        VISIT = "visit", _("Home or site visit")
        CALL = "call", _("Phone call")
        OFFICE = "office", _("Meeting at the office")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    notes = EncryptedTextField(_("notes"), blank=True)
    plan_reviewed = models.BooleanField(_("case plan reviewed"), default=False)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self):
        return f"{self.case_id} {self.date}"


class Task(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("kind"), max_length=16, choices=TaskKind.choices)
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    # Set when the task was still open as its case closed: it ends with the case, undone, for this reason.
    closure_reason = models.CharField(
        _("closed with the case"), max_length=16, choices=ClosureReason.choices, blank=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["assigned_to", "done_on", "due_on"])]

    def __str__(self):
        return self.title


class CaseNote(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = EncryptedTextField(_("note"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self):
        return f"{self.case_id} note"


class Transfer(BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(_("reason"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="cases_one_pending_transfer"
            )
        ]

    def __str__(self):
        return f"{self.case_id} → {self.to_user_id}"


class Approval(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(_("kind"), max_length=16, choices=ApprovalKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.REQUESTED
    )
    plan = models.ForeignKey(
        CasePlan, on_delete=models.CASCADE, null=True, blank=True, related_name="approvals"
    )
    # What a requested closure would record, applied when approved.
    closure_reason = models.CharField(max_length=16, choices=ClosureReason.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")

    def __str__(self):
        return f"{self.case_id} {self.kind} {self.status}"


class BreakGlassAccess(models.Model):
    """A manager's time-limited access to a case outside their scope, with the reason they wrote."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted at"))
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("break-the-glass access")
        verbose_name_plural = _("break-the-glass accesses")
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self):
        return f"{self.case_id} {self.user_id}"
