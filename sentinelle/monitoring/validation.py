"""Validation of an IncidentRow, with French messages keyed by input field (see services.incidents).

Pure Python over the input and the area/settlement objects it carries: no query, except reading a
settlement's commune when the caller did not load it (imports load them in bulk first). Keys are the
IncidentRow field names; nested ones are dotted ("gbv.survivor_age", "explosive.casualties").

Also derives what the writes need from an input (victim cells merged, or derived from the GBV survivor,
the explosive casualties or the child victims when the monitor gave no victim counts).

GBV: an incident of category "gbv" without GBV details is an allegation, as protection monitoring records
it (no survivor details: those belong to GBV service providers, with consent; issue 14, point 2). With
GBV details it is a GBVIMS record, which must be complete (survivor, classification answers).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.core.validation import Errors
from sentinelle.monitoring import mrm
from sentinelle.monitoring.classification import classify
from sentinelle.monitoring.inputs import IncidentRow
from sentinelle.monitoring.models import (
    AgeGroup,
    Category,
    DeviceType,
    Outcome,
    PerpetratorCategory,
    Reliability,
    Sex,
    SharingLevel,
    SourceMechanism,
    Verification,
    age_group_of,
)
from sentinelle.monitoring.models import gbv_codes as g
from sentinelle.monitoring.models.mrm_eo_codes import ActivityAtTime, CasualtyOutcome, PerpetratorParty

MAX_AGE = 120
MIN_AREA_LEVEL = 2
PERPETRATOR_SEXES = ("m", "f", "mf", "unknown")
# Detail -> the category it belongs to: details without their category are refused, and so is a category
# without its details, except GBV (an allegation: see the module docstring).
DETAIL_CATEGORIES = {
    "gbv": Category.GBV,
    "violations": Category.CHILD_RIGHTS,
    "explosive": Category.EXPLOSIVE,
}
DETAILS_REQUIRED = frozenset({"violations", "explosive"})

# GBV fields checked against a code list.
GBV_CODES = {
    "survivor_sex": Sex,
    "displacement_status": g.DisplacementStatus,
    "disability": g.Disability,
    "marital_status": g.MaritalStatus,
    "separation_status": g.SeparationStatus,
    "displacement_stage": g.DisplacementStage,
    "time_of_day": g.TimeOfDay,
    "location_type": g.LocationType,
    "harmful_practice": g.HarmfulPractice,
    "goods_exchanged": g.YesNoUnknown,
    "abduction_type": g.AbductionType,
    "reported_elsewhere": g.ReportedElsewhere,
    "previous_incidents": g.YesNoUnknown,
    "perpetrator_sex": g.PerpetratorSex,
    "perpetrator_age_group": g.PerpetratorAgeGroup,
    "perpetrator_relationship": g.PerpetratorRelationship,
    "previous_incident_with_perpetrator": g.YesNoUnknown,
    "referred_from": g.ReferredFrom,
    "wants_legal_action": g.LegalAction,
}


_CODE_SETS: dict[object, frozenset[str]] = {}


def _code_set(choices) -> frozenset[str]:
    # Choices.values builds a list on every access: far too slow for 10,000 rows of an import.
    key = choices if not isinstance(choices, list) else tuple(choices)
    found = _CODE_SETS.get(key)
    if found is None:
        found = _CODE_SETS[key] = frozenset(key if isinstance(key, tuple) else key.values)
    return found


def _values(choices) -> list[str]:
    return list(choices) if isinstance(choices, list | tuple) else list(choices.values)


def _check_code(errors: Errors, key: str, value, choices) -> None:
    if value not in _code_set(choices):
        allowed = _values(choices)
        errors.add(
            key,
            gettext("Unknown value “%(value)s”: expected one of %(allowed)s.")
            % {"value": value, "allowed": ", ".join(allowed)},
        )


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_dates(errors: Errors, data: IncidentRow, today: datetime.date) -> None:
    for name in ("date_start", "date_reported"):
        if not isinstance(getattr(data, name), datetime.date):
            errors.add(name, gettext("Give a valid date."))
    if data.date_end is not None and not isinstance(data.date_end, datetime.date):
        errors.add("date_end", gettext("Give a valid date."))
    if errors:
        return
    for name in ("date_start", "date_end", "date_reported"):
        value = getattr(data, name)
        if value is not None and value > today:
            errors.add(name, gettext("This date is in the future."))
    if data.date_end is not None and data.date_end < data.date_start:
        errors.add("date_end", gettext("The end of the period is before its start."))
    if data.date_reported < data.date_start:
        errors.add("date_reported", gettext("The incident cannot be reported before it happened."))


def _check_place(errors: Errors, data: IncidentRow) -> None:
    area = data.area
    if area is None or not hasattr(area, "level"):
        errors.add("area", gettext("Give the area where the incident happened."))
        return
    if area.level < MIN_AREA_LEVEL:
        errors.add("area", gettext("Give at least the cercle (admin 2) where the incident happened."))
    settlement = data.settlement
    if settlement is not None:
        admin3 = settlement.admin3  # loaded with the settlement by the look-ups and imports
        if settlement.version_id != area.version_id or not area.contains(admin3):
            errors.add("settlement", gettext("This settlement is not in the area given."))
    if data.coordinates:
        try:
            lat, lon = (float(part) for part in data.coordinates.split(","))
        except ValueError:
            errors.add(
                "coordinates", gettext("Give the coordinates as “latitude,longitude”, e.g. 14.49,-4.19.")
            )
        else:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                errors.add("coordinates", gettext("These coordinates are outside the globe."))


def _check_victims(errors: Errors, data: IncidentRow) -> None:
    for cell in data.victims:
        if (
            cell.outcome not in _code_set(Outcome)
            or cell.sex not in _code_set(Sex)
            or cell.age_group not in _code_set(AgeGroup)
        ):
            errors.add(
                "victims",
                gettext("Unknown victim category: %(outcome)s / %(sex)s / %(age)s.")
                % {"outcome": cell.outcome, "sex": cell.sex, "age": cell.age_group},
            )
        elif not _is_count(cell.count):
            errors.add("victims", gettext("The number of victims must be a whole number, 0 or more."))
    for name in ("displaced_households", "displaced_individuals"):
        value = getattr(data, name)
        if value is not None and not _is_count(value):
            errors.add(name, gettext("Give a whole number, 0 or more."))
    households, individuals = data.displaced_households, data.displaced_individuals
    if _is_count(households) and _is_count(individuals) and individuals and households > individuals:
        errors.add("displaced_households", gettext("There cannot be more households than individuals."))


def _check_gbv(errors: Errors, data: IncidentRow) -> None:
    gbv = data.gbv
    for name, choices in GBV_CODES.items():
        _check_code(errors, f"gbv.{name}", getattr(gbv, name), choices)
    if gbv.survivor_age is not None and not (_is_count(gbv.survivor_age) and gbv.survivor_age <= MAX_AGE):
        errors.add("gbv.survivor_age", gettext("Give an age between 0 and %(max)s.") % {"max": MAX_AGE})
    _check_code(errors, "gbv.perpetrator_sex", gbv.perpetrator_sex, PERPETRATOR_SEXES)
    if not _is_count(gbv.perpetrator_count) or gbv.perpetrator_count < 1:
        errors.add("gbv.perpetrator_count", gettext("Give the number of alleged perpetrators (1 or more)."))
    for service, status in (gbv.referrals or {}).items():
        _check_code(errors, "gbv.referrals", service, g.IRService)
        _check_code(errors, "gbv.referrals", status, g.ReferralStatus)
    try:
        classify(gbv.answers or {})
    except ValidationError as error:
        for message in error.messages:
            errors.add("gbv.answers", message)
    # GBVIMS: one survivor per incident; several survivors of one event are several incidents.
    if data.victims and sum(cell.count for cell in data.victims if _is_count(cell.count)) != 1:
        errors.add(
            "victims",
            gettext("A GBV incident has exactly one survivor: record each survivor as a separate incident."),
        )


def _check_violations(errors: Errors, data: IncidentRow) -> None:
    for number, violation in enumerate(data.violations, start=1):
        prefix = gettext("Violation %(number)s: ") % {"number": number}
        found = Errors()
        _check_code(found, "violations", violation.perpetrator_party, PerpetratorParty)
        _check_code(found, "violations", violation.verification, Verification)
        for cell in violation.victims:
            _check_code(found, "violations", cell.sex, Sex)
        for message in mrm.violation_errors(violation, "violations").values():
            found.add("violations", message)
        for message in found.as_dict().get("violations", []):
            errors.add("violations", prefix + message)


def _check_explosive(errors: Errors, data: IncidentRow) -> None:
    explosive = data.explosive
    _check_code(errors, "explosive.device_type", explosive.device_type, DeviceType)
    _check_code(errors, "explosive.activity", explosive.activity, ActivityAtTime)
    for casualty in explosive.casualties:
        _check_code(errors, "explosive.casualties", casualty.sex, Sex)
        _check_code(errors, "explosive.casualties", casualty.outcome, CasualtyOutcome)
        if casualty.displacement_status:
            _check_code(errors, "explosive.casualties", casualty.displacement_status, g.DisplacementStatus)
        if casualty.age is not None and not (_is_count(casualty.age) and casualty.age <= MAX_AGE):
            errors.add(
                "explosive.casualties", gettext("Give an age between 0 and %(max)s.") % {"max": MAX_AGE}
            )
    if errors or not data.victims:
        return
    given = defaultdict(int)
    for cell in data.victims:
        given[cell.outcome] += cell.count
    for outcome in CasualtyOutcome.values:
        listed = sum(1 for casualty in explosive.casualties if casualty.outcome == outcome)
        if listed > given[outcome]:
            errors.add(
                "explosive.casualties",
                gettext(
                    "More casualties listed as %(outcome)s (%(listed)s) than victims counted (%(counted)s)."
                )
                % {"outcome": Outcome(outcome).label, "listed": listed, "counted": given[outcome]},
            )


def incident_check(errors: Errors, data: IncidentRow, *, today: datetime.date | None = None) -> None:
    """Add every problem of `data` to `errors` (a new Errors: the later checks skip what the earlier ones
    found wrong)."""
    _check_dates(errors, data, today or timezone.localdate())
    _check_place(errors, data)
    categories = list(data.categories or [])
    if not categories:
        errors.add("categories", gettext("Choose at least one category."))
    for category in categories:
        _check_code(errors, "categories", category, Category)
    _check_code(errors, "perpetrator_category", data.perpetrator_category, PerpetratorCategory)
    _check_code(errors, "source_mechanism", data.source_mechanism, SourceMechanism)
    _check_code(errors, "reliability", data.reliability, Reliability)
    _check_code(errors, "sharing_level", data.sharing_level, SharingLevel)
    if len(data.source_id or "") > 128:
        errors.add("source_id", gettext("The source identifier is too long (128 characters at most)."))
    _check_victims(errors, data)
    present = {
        "gbv": data.gbv is not None,
        "violations": bool(data.violations),
        "explosive": data.explosive is not None,
    }
    for detail, category in DETAIL_CATEGORIES.items():
        if category in categories and not present[detail] and detail in DETAILS_REQUIRED:
            errors.add(detail, _missing_detail_message(detail))
        elif present[detail] and category not in categories:
            errors.add(
                "categories",
                gettext("Add the category “%(category)s” or remove its details.")
                % {"category": category.label},
            )
    if data.gbv is not None:
        _check_gbv(errors, data)
    if data.violations:
        _check_violations(errors, data)
    if data.explosive is not None:
        _check_explosive(errors, data)


def _missing_detail_message(detail: str) -> str:
    return {
        "violations": gettext("A grave violation against children needs at least one violation."),
        "explosive": gettext("An explosive ordnance incident needs the device and the casualties."),
    }[detail]


def survivor_details_refused() -> str:
    """Why survivor details are refused to a user who is not with a GBV service provider (the services and
    every channel say the same)."""
    return gettext(
        "Survivor details belong to the GBV form of a GBV service provider, recorded with the survivor's "
        "consent. Record this incident as a GBV allegation, without survivor details."
    )


def incident_validate(data: IncidentRow) -> None:
    """Raise ValidationError({field: [French messages]}) when `data` cannot be recorded."""
    errors = Errors()
    incident_check(errors, data)
    errors.raise_if_any()


# --- Derivations used by the writes --------------------------------------------------------------

_VIOLATION_OUTCOME = {"killing": Outcome.KILLED, "maiming": Outcome.INJURED}


def victim_cells(data: IncidentRow) -> dict[tuple[str, str, str], int]:
    """{(outcome, sex, age group): count > 0}: the victims given, merged, or derived from the details."""
    cells: dict[tuple[str, str, str], int] = defaultdict(int)
    if data.victims:
        for cell in data.victims:
            cells[(cell.outcome, cell.sex, cell.age_group)] += cell.count
    elif data.gbv is not None:
        cells[(Outcome.AFFECTED, data.gbv.survivor_sex, age_group_of(data.gbv.survivor_age))] = 1
    elif data.explosive is not None and data.explosive.casualties:
        for casualty in data.explosive.casualties:
            cells[(casualty.outcome, casualty.sex, age_group_of(casualty.age))] += 1
    elif data.violations:
        for violation in data.violations:
            if not mrm.counted_per_victim(violation.type):
                continue
            outcome = _VIOLATION_OUTCOME.get(violation.type, Outcome.AFFECTED)
            for cell in violation.victims:
                cells[(outcome, cell.sex, cell.age_group)] += cell.count
    return {key: count for key, count in cells.items() if count > 0}
