"""Protection monitoring models, split by sub-domain; import them from here."""

from .alerts import Alert, AlertRule, AreaFollow, DuplicateCandidate, FlashReport
from .codes import (
    CHILD_AGE_GROUPS,
    GPC_RISK,
    AgeGroup,
    Category,
    Channel,
    IncidentStatus,
    Outcome,
    PerpetratorCategory,
    Reliability,
    Sex,
    SharingLevel,
    SourceMechanism,
    age_group_of,
)
from .details import Casualty, ExplosiveAccident, GBVIncident, GraveViolation, ViolationVictims
from .gbv_codes import GBVType
from .incidents import Incident, IncidentCategory, IncidentEvent, IncidentReferenceCounter, VictimCount
from .mrm_eo_codes import COUNTED_PER_VICTIM, DeviceType, Verification, ViolationType

__all__ = [
    "CHILD_AGE_GROUPS",
    "COUNTED_PER_VICTIM",
    "GPC_RISK",
    "AgeGroup",
    "Alert",
    "AlertRule",
    "AreaFollow",
    "Casualty",
    "Category",
    "Channel",
    "DeviceType",
    "DuplicateCandidate",
    "ExplosiveAccident",
    "FlashReport",
    "GBVIncident",
    "GBVType",
    "GraveViolation",
    "Incident",
    "IncidentCategory",
    "IncidentEvent",
    "IncidentReferenceCounter",
    "IncidentStatus",
    "Outcome",
    "PerpetratorCategory",
    "Reliability",
    "Sex",
    "SharingLevel",
    "SourceMechanism",
    "Verification",
    "VictimCount",
    "ViolationType",
    "ViolationVictims",
    "age_group_of",
]
