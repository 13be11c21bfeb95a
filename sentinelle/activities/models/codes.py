"""Code lists of partners' activities, programmes and results frameworks."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Currency(models.TextChoices):
    XOF = "XOF", _("CFA franc (XOF)")
    CHF = "CHF", _("Swiss franc (CHF)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")


class ActivityType(models.TextChoices):
    AWARENESS = "awareness", _("Awareness session")
    TRAINING = "training", _("Training")
    PSS_SESSION = "pss_session", _("Psychosocial session")
    CIVIL_DOCUMENTATION = "civil_documentation", _("Civil documentation")
    LEGAL_ASSISTANCE = "legal_assistance", _("Legal assistance")
    CASH_IPA = "cash_ipa", _("Cash or individual protection assistance")
    REHABILITATION = "rehabilitation", _("Rehabilitation of infrastructure")
    COMMUNITY_MECHANISM = "community_mechanism", _("Community protection mechanism")
    COORDINATION = "coordination", _("Coordination")
    OTHER = "other", _("Other")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    VALIDATED = "validated", _("Validated")
    RETURNED = "returned", _("Returned for correction")


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("Open")
    LOCKED = "locked", _("Locked")


class ParticipantCategory(models.TextChoices):
    MAGISTRATE = "magistrate", _("Magistrates")
    POLICE = "police", _("Police officers and gendarmes")
    COMMUNITY_FOCAL_POINT = "community_focal_point", _("Community focal points")
    SOCIAL_WORKER = "social_worker", _("Social workers")
    TEACHER = "teacher", _("Teachers")
    HEALTH_WORKER = "health_worker", _("Health workers")
    LOCAL_AUTHORITY = "local_authority", _("Local authorities")
    TRADITIONAL_LEADER = "traditional_leader", _("Traditional and religious leaders")
    NGO_STAFF = "ngo_staff", _("Humanitarian staff")
    ARMED_FORCES = "armed_forces", _("Defence and security forces")
    OTHER = "other", _("Other")


class NodeLevel(models.TextChoices):
    OBJECTIVE = "objective", _("Objective")
    OUTCOME = "outcome", pgettext_lazy("results framework level", "Outcome")
    OUTPUT = "output", pgettext_lazy("results framework level", "Output")


class IndicatorUnit(models.TextChoices):
    NUMBER = "number", _("Number")
    PERCENTAGE = "percentage", _("Percentage")


class IndicatorSource(models.TextChoices):
    COMPUTED = "computed", _("Computed from Sentinelle's records")
    MANUAL = "manual", _("Manual entry with evidence")


class Disaggregation(models.TextChoices):
    SEX = "sex", _("Sex")
    AGE = "age", _("Age group")
    AREA = "area", _("Area")
    POPULATION_STATUS = "population_status", _("Population status")
