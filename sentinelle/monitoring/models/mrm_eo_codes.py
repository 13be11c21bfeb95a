"""Code lists for grave violations against children (MRM, standards §2) and explosive ordnance (§5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ViolationType(models.TextChoices):
    KILLING = "killing", _("Killing of children")
    MAIMING = "maiming", _("Maiming of children")
    RECRUITMENT = "recruitment", _("Recruitment and use of children")
    SEXUAL_VIOLENCE = "sexual_violence", _("Sexual violence against children")
    ABDUCTION = "abduction", _("Abduction of children")
    ATTACK_SCHOOL = "attack_school", _("Attack on a school")
    ATTACK_HOSPITAL = "attack_hospital", _("Attack on a hospital")
    DENIAL_ACCESS = "denial_access", _("Denial of humanitarian access")


# MRM counting rule: these are counted once per child victim; the others once per violation (event).
COUNTED_PER_VICTIM = frozenset(
    {
        ViolationType.KILLING,
        ViolationType.MAIMING,
        ViolationType.RECRUITMENT,
        ViolationType.SEXUAL_VIOLENCE,
        ViolationType.ABDUCTION,
    }
)


class Verification(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    UNVERIFIED = "unverified", _("Unverified")
    PENDING = "pending", _("Pending verification")
    REJECTED = "rejected", _("Rejected")


class PerpetratorParty(models.TextChoices):
    STATE_FORCES = "state_forces", _("State armed forces")
    NSAG = "nsag", _("Non-state armed group")
    INTERNATIONAL_FORCES = "international_forces", _("International forces")
    UNKNOWN = "unknown", _("Unknown")


class DeviceType(models.TextChoices):
    LANDMINE = "landmine", _("Landmine")
    ERW = "erw", _("Explosive remnant of war (UXO/AXO)")
    CLUSTER = "cluster", _("Cluster munition")
    IED = "ied", _("Improvised explosive device")
    STORED_AMMUNITION = "stored_ammunition", _("Stored ammunition")
    UNKNOWN = "unknown", _("Unknown")


class ActivityAtTime(models.TextChoices):
    TRAVELLING = "travelling", _("Travelling")
    FARMING = "farming", _("Farming")
    HERDING = "herding", _("Herding")
    COLLECTING = "collecting", _("Collecting wood or water")
    PLAYING = "playing", _("Playing")
    HANDLING = "handling", _("Handling or tampering")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class CasualtyOutcome(models.TextChoices):
    KILLED = "killed", _("Killed")
    INJURED = "injured", _("Injured")
