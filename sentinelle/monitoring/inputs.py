"""The shape of an incident as every channel hands it to the services: web form, import, ODK, API.

Channels parse and map their input into these dataclasses; `services.incidents` validates them (with
French messages) and writes them. Codes are the stable codes of models/codes.py, gbv_codes.py and
mrm_eo_codes.py.
"""

from dataclasses import dataclass, field
from datetime import date


@dataclass
class VictimCell:
    outcome: str  # Outcome: killed, injured, affected
    sex: str  # Sex: f, m, unknown
    age_group: str  # AgeGroup: 0_5, 6_11, 12_17, 18_59, 60_plus, unknown
    count: int


@dataclass
class GBVInput:
    """One survivor (GBVIMS): no identity, the classification tool's answers, the IR fields."""

    survivor_sex: str
    survivor_age: int | None = None
    survivor_age_estimated: bool = False
    displacement_status: str = "resident"
    disability: str = "no"
    marital_status: str = "unknown"
    separation_status: str = "no"
    displacement_stage: str = "not_displaced"
    time_of_day: str = "unknown"
    location_type: str = "other"
    # Classification tool answers by question key (classification.QUESTIONS): only the questions asked
    # up to the first "yes" matter; `is_gbv` answers the last question when all others are "no".
    answers: dict[str, bool] = field(default_factory=dict)
    harmful_practice: str = "no"
    goods_exchanged: str = "unknown"
    abduction_type: str = "none"
    reported_elsewhere: str = "no"
    previous_incidents: str = "unknown"
    perpetrator_count: int = 1
    perpetrator_sex: str = "unknown"
    perpetrator_age_group: str = "unknown"
    perpetrator_relationship: str = "unknown"
    perpetrator_occupation: str = ""
    previous_incident_with_perpetrator: str = "unknown"
    referred_from: str = "self"
    referrals: dict[str, str] = field(default_factory=dict)  # IRService -> ReferralStatus
    wants_legal_action: str = "undecided"
    consent_to_report: bool = False
    survivor_code: str = ""


@dataclass
class ViolationVictimCell:
    sex: str
    age_group: str  # a child age group: 0_5, 6_11, 12_17 (or unknown)
    count: int


@dataclass
class ViolationInput:
    type: str  # ViolationType
    perpetrator_party: str  # PerpetratorParty
    verification: str = "pending"
    facility: str = ""
    victims: list[ViolationVictimCell] = field(default_factory=list)


@dataclass
class CasualtyInput:
    sex: str
    outcome: str  # killed, injured
    age: int | None = None
    civilian: bool = True
    displacement_status: str = ""


@dataclass
class ExplosiveInput:
    device_type: str
    activity: str = "unknown"
    casualties: list[CasualtyInput] = field(default_factory=list)


@dataclass
class IncidentInput:
    date_start: date
    date_reported: date
    area: object  # geography.AdminArea of level 2 (cercle) or deeper
    categories: list[str]
    perpetrator_category: str
    source_mechanism: str
    date_end: date | None = None
    date_estimated: bool = False
    settlement: object | None = None  # geography.Settlement
    coordinates: str = ""  # "lat,lon"
    account: str = ""
    summary: str = ""
    victims: list[VictimCell] = field(default_factory=list)
    displaced_households: int | None = None
    displaced_individuals: int | None = None
    reliability: str = "f"
    sharing_level: str = "organisation"
    source_id: str = ""
    gbv: GBVInput | None = None
    violations: list[ViolationInput] = field(default_factory=list)
    explosive: ExplosiveInput | None = None
