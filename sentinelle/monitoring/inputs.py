"""The parts of an incident write, and the import row that holds a whole incident.

The services take keyword-only arguments (`incident_record(*, actor, date_start, area, ...)`); the
repeated or nested parts of one incident are frozen dataclasses named for the part: victim cells, the GBV
details, violation lines, the explosive details and their casualty lines. `IncidentRow` is one incident
as the import channels (spreadsheets, Kobo, ODK) hold it: what `incident_import_many` writes in bulk and
what `validation.incident_check` reads; its fields are the services' keyword arguments. Codes are the
stable codes of models/codes.py, gbv_codes.py and mrm_eo_codes.py.
"""

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class VictimCell:
    outcome: str  # Outcome: killed, injured, affected
    sex: str  # Sex: f, m, unknown
    age_group: str  # AgeGroup: 0_5, 6_11, 12_17, 18_59, 60_plus, unknown
    count: int


@dataclass(frozen=True)
class GBVDetails:
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


@dataclass(frozen=True)
class ViolationVictimCell:
    sex: str
    age_group: str  # a child age group: 0_5, 6_11, 12_17 (or unknown)
    count: int


@dataclass(frozen=True)
class ViolationLine:
    type: str  # ViolationType
    perpetrator_party: str  # PerpetratorParty
    verification: str = "pending"
    facility: str = ""
    victims: list[ViolationVictimCell] = field(default_factory=list)


@dataclass(frozen=True)
class CasualtyLine:
    sex: str
    outcome: str  # killed, injured
    age: int | None = None
    civilian: bool = True
    displacement_status: str = ""


@dataclass(frozen=True)
class ExplosiveDetails:
    device_type: str
    activity: str = "unknown"
    casualties: list[CasualtyLine] = field(default_factory=list)


@dataclass
class IncidentRow:
    """One incident of an import (a spreadsheet or Kobo row, an ODK submission): the services' keyword
    arguments, held together so that thousands of rows are checked and written in bulk."""

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
    gbv: GBVDetails | None = None
    violations: list[ViolationLine] = field(default_factory=list)
    explosive: ExplosiveDetails | None = None
