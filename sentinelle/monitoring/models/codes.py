"""Code lists of protection monitoring (design §4, standards §1-§3, §5). Stable codes, translated labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Shared code lists, re-exported so that monitoring code imports every code from one place.
from sentinelle.core.codes import CHILD_AGE_GROUPS, AgeGroup, Sex, age_group_of  # noqa: F401


class Category(models.TextChoices):
    LIFE = "life", _("Violation of the right to life")
    INTEGRITY = "integrity", _("Violation of physical and mental integrity")
    LIBERTY = "liberty", _("Violation of liberty and security (arrest, detention, abduction)")
    PROPERTY = "property", _("Violation of property (theft, extortion, destruction, eviction)")
    GBV = "gbv", _("Gender-based violence")
    MOVEMENT = "movement", _("Forced movement and restrictions of movement")
    CHILD_RIGHTS = "child_rights", _("Grave violations of children's rights")
    EXPLOSIVE = "explosive", _("Mines, explosive remnants of war and IEDs")
    ACCESS = "access", _("Denial of humanitarian access")
    DOCUMENTATION = "documentation", _("Civil documentation and access to justice")
    COHESION = "cohesion", _("Inter-community and land conflicts")


# Each category's Global Protection Cluster risk (GPC, 2021), for analysis by the PAF.
GPC_RISK = {
    Category.LIFE: "attacks_on_civilians",
    Category.INTEGRITY: "torture_cruel_treatment",
    Category.LIBERTY: "abduction_detention",
    Category.PROPERTY: "theft_extortion_eviction",
    Category.GBV: "gender_based_violence",
    Category.MOVEMENT: "movement_restrictions_forced_displacement",
    Category.CHILD_RIGHTS: "child_recruitment",
    Category.EXPLOSIVE: "explosive_ordnance",
    Category.ACCESS: "denial_of_resources_and_access",
    Category.DOCUMENTATION: "legal_identity_justice",
    Category.COHESION: "discrimination_stigmatization",
}


class IncidentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class PerpetratorCategory(models.TextChoices):
    STATE_FORCES = "state_forces", _("State armed or security forces")
    NSAG = "nsag", _("Non-state armed group")
    MILITIA = "militia", _("Community armed group or militia")
    FAMILY = "family", _("Family member")
    CRIMINAL = "criminal", _("Criminal")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class SourceMechanism(models.TextChoices):
    MONITORING_INTERVIEW = "monitoring_interview", _("Protection monitoring interview")
    COMMUNITY_FOCAL_POINT = "community_focal_point", _("Community focal point")
    SERVICE_PROVIDER = "service_provider", _("Service provider")
    MEDIA = "media", _("Media")
    PROTECTION_MONITORING = "protection_monitoring", _("Protection monitoring (P21)")
    GBVIMS = "gbvims", _("GBVIMS")
    MRM = "mrm", _("MRM")
    OHCHR = "ohchr", _("OHCHR")
    RRM = "rrm", _("Rapid response mechanism (RRM)")
    PEACEKEEPING = "peacekeeping", _("Peacekeeping mission")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    ODK = "odk", _("ODK Collect / KoboCollect")
    IMPORT = "import", _("File import")
    API = "api", _("API")


class Reliability(models.TextChoices):
    """Source reliability (the "Admiralty" scale used in protection monitoring)."""

    RELIABLE = "a", _("A: reliable")
    USUALLY_RELIABLE = "b", _("B: usually reliable")
    FAIRLY_RELIABLE = "c", _("C: fairly reliable")
    NOT_USUALLY_RELIABLE = "d", _("D: not usually reliable")
    UNRELIABLE = "e", _("E: unreliable")
    CANNOT_BE_JUDGED = "f", _("F: reliability cannot be judged")


class SharingLevel(models.TextChoices):
    """Who beyond the reporting organisation sees the confidential account and coordinates."""

    ORGANISATION = "organisation", _("Reporting organisation only")
    CLUSTER = "cluster", _("Also the cluster information managers")


class Outcome(models.TextChoices):
    KILLED = "killed", _("Killed")
    INJURED = "injured", _("Injured")
    AFFECTED = "affected", _("Otherwise affected")
