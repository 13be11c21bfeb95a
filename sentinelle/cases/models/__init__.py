"""Case management models, split by sub-domain; import them from here."""

from . import rollups
from .access import CaseAccessRequest
from .cases import (
    Approval,
    Assessment,
    BreakGlassAccess,
    Case,
    CaseNote,
    CasePlan,
    CasePlanAction,
    FollowUp,
    Task,
    Transfer,
)
from .codes import (
    ApprovalKind,
    ApprovalStatus,
    CaseStatus,
    CaseStep,
    CaseType,
    ClosureReason,
    ConsentGivenBy,
    ConsentPurpose,
    DisplacementStatus,
    ReferralStatus,
    RiskLevel,
    TaskKind,
    Urgency,
)
from .persons import Person, PersonMerge, PersonNameKey
from .referrals import Assistance, Consent, Referral, ReferralEvent
from .tracing import Reunification, TracingMatch, TracingNameKey, TracingRequest
from .versions import FieldVersion

__all__ = [
    "Approval",
    "ApprovalKind",
    "ApprovalStatus",
    "Assessment",
    "Assistance",
    "BreakGlassAccess",
    "Case",
    "CaseAccessRequest",
    "CaseNote",
    "CasePlan",
    "CasePlanAction",
    "CaseStatus",
    "CaseStep",
    "CaseType",
    "ClosureReason",
    "Consent",
    "ConsentGivenBy",
    "ConsentPurpose",
    "DisplacementStatus",
    "FieldVersion",
    "FollowUp",
    "Person",
    "PersonMerge",
    "PersonNameKey",
    "Referral",
    "ReferralEvent",
    "ReferralStatus",
    "Reunification",
    "RiskLevel",
    "Task",
    "TaskKind",
    "TracingMatch",
    "TracingNameKey",
    "TracingRequest",
    "Transfer",
    "Urgency",
    "rollups",
]
