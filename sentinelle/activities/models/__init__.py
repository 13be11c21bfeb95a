"""Partners' activities (4W), programmes and results frameworks; import the models from here."""

from . import rollups
from .codes import (
    ActivityStatus,
    ActivityType,
    Currency,
    Disaggregation,
    IndicatorSource,
    IndicatorUnit,
    NodeLevel,
    ParticipantCategory,
    PeriodStatus,
    ReportStatus,
)
from .programmes import Programme, Project
from .reporting import (
    Activity,
    ActivityReport,
    Beneficiaries,
    ReportingPeriod,
    Training,
    TrainingParticipants,
)
from .results import Indicator, IndicatorTarget, IndicatorValue, ResultNode, ResultsFramework

__all__ = [
    "Activity",
    "ActivityReport",
    "ActivityStatus",
    "ActivityType",
    "Beneficiaries",
    "Currency",
    "Disaggregation",
    "Indicator",
    "IndicatorSource",
    "IndicatorTarget",
    "IndicatorUnit",
    "IndicatorValue",
    "NodeLevel",
    "ParticipantCategory",
    "PeriodStatus",
    "Programme",
    "Project",
    "ReportStatus",
    "ReportingPeriod",
    "ResultNode",
    "ResultsFramework",
    "Training",
    "TrainingParticipants",
    "rollups",
]
