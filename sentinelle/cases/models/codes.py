"""Code lists of case management (design §4, standards §4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseType(models.TextChoices):
    GBV = "gbv", _("Gender-based violence")
    CHILD_PROTECTION = "child_protection", _("Child protection")
    GENERAL_PROTECTION = "general_protection", _("General protection")
    IPA = "ipa", _("Individual protection assistance")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    TRANSFERRED = "transferred", _("Transferred")


class RiskLevel(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class CaseStep(models.TextChoices):
    """The six case management steps (CPWG 2014), computed from what was recorded."""

    REGISTRATION = "registration", _("1. Identification and registration")
    ASSESSMENT = "assessment", _("2. Assessment")
    CASE_PLAN = "case_plan", _("3. Case planning")
    IMPLEMENTATION = "implementation", _("4. Implementing the case plan")
    FOLLOW_UP = "follow_up", _("5. Follow-up and review")
    CLOSURE = "closure", _("6. Case closure")


class ClosureReason(models.TextChoices):
    NEEDS_MET = "needs_met", _("Needs met, plan completed")
    TRANSFERRED = "transferred", _("Transferred to another service")
    MOVED = "moved", _("Moved away / lost contact")
    DECLINED = "declined", _("Person declined further services")
    REUNIFIED = "reunified", _("Child reunified / in durable care")
    ADULTHOOD = "adulthood", _("Child reached adulthood")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class DisplacementStatus(models.TextChoices):
    HOST = "host", _("Host community / resident")
    IDP = "idp", _("Internally displaced person")
    IDP_RETURNEE = "idp_returnee", _("IDP returnee")
    REPATRIATE = "repatriate", _("Repatriate")
    REFUGEE = "refugee", _("Refugee")


class ConsentPurpose(models.TextChoices):
    SERVICES = "services", _("Receiving services")
    REFERRAL = "referral", _("Referral to other organisations")
    STATISTICS = "statistics", _("Sharing non-identifying data for statistics")
    TRACING = "tracing", _("Family tracing")


class ConsentGivenBy(models.TextChoices):
    PERSON = "person", _("The person")
    CAREGIVER = "caregiver", _("Parent or caregiver")
    CHILD_ASSENT = "child_assent", _("Child's assent (with caregiver consent)")


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency (same day)")
    URGENT = "urgent", _("Urgent (within 3 days)")
    ROUTINE = "routine", _("Routine")


class TaskKind(models.TextChoices):
    ASSESSMENT = "assessment", _("Assessment due")
    CASE_PLAN = "case_plan", _("Case plan due")
    FOLLOW_UP = "follow_up", _("Follow-up due")
    ACTION = "action", _("Case plan action due")
    OTHER = "other", _("Other")


class ApprovalKind(models.TextChoices):
    CASE_PLAN = "case_plan", _("Case plan")
    CLOSURE = "closure", _("Closure")


class ApprovalStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
