"""A submitted XForm instance: parsed safely, flattened, and mapped to an IncidentRow.

Parsing refuses what a device never sends and an attacker might: a DTD or entity declaration (entity
expansion, external entities), other encodings than UTF-8 (a UTF-16 document would hide "<!DOCTYPE" from
a byte search, hence the NUL check), and documents over the size limit. defusedxml is not installed;
this is the part of it we need.

Answers are flattened by question name (names are unique within each form, see surveys.py): groups
disappear, each repeat becomes a list of answer dicts. `answers_to_row` works on that dict alone, so
an import of a Kobo export of the same forms can reuse it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from django.utils.translation import gettext

from sentinelle.geography.selectors import area_get_by_pcode
from sentinelle.monitoring.classification import QUESTION_KEYS
from sentinelle.monitoring.inputs import (
    CasualtyLine,
    ExplosiveDetails,
    GBVDetails,
    IncidentRow,
    VictimCell,
    ViolationLine,
    ViolationVictimCell,
)
from sentinelle.monitoring.models import Category, Channel
from sentinelle.monitoring.models.gbv_codes import IRService
from sentinelle.monitoring.validation import GBV_CODES

from .surveys import GBV_FORM, INCIDENT_FORM, REPEATS

_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# Answers that are bookkeeping, not content: left out of the fingerprint that detects a changed re-send.
_NOT_CONTENT = frozenset({"instanceName"})


class SubmissionError(Exception):
    """A submission refused with an HTTP status and a message for the device (already translated)."""

    def __init__(self, message: str, *, status: int = 400, reason: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason  # a stable code for the audit log


@dataclass
class Submission:
    form_id: str
    version: str
    instance_id: str
    deprecated_id: str
    answers: dict
    fingerprint: str = field(default="")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# Groups and repeats nest a few levels deep; a document nested deeper is not a form instance (and would
# exhaust the recursion below).
MAX_DEPTH = 32


def _flatten(element, depth: int = 0) -> dict:
    if depth > MAX_DEPTH:
        raise SubmissionError(
            gettext("The submission nests its elements more than %(depth)s levels deep.")
            % {"depth": MAX_DEPTH},
            reason="malformed",
        )
    answers: dict = {}
    for child in element:
        name = _local(child.tag)
        if name in REPEATS:
            answers.setdefault(name, []).append(_flatten(child, depth + 1))
        elif len(child):
            answers.update(_flatten(child, depth + 1))  # a group: its questions are the form's
        else:
            answers[name] = (child.text or "").strip()
    return answers


def parse_submission(data: bytes) -> Submission:
    """The instance document of a submission; SubmissionError (400) when it is not one."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SubmissionError(gettext("The submission is not valid UTF-8 XML."), reason="encoding") from None
    if "\x00" in text:
        raise SubmissionError(gettext("The submission is not valid UTF-8 XML."), reason="encoding")
    if _FORBIDDEN.search(text):
        raise SubmissionError(
            gettext("Document type and entity declarations are not accepted in a submission."), reason="dtd"
        )
    parser = ET.XMLParser(encoding="utf-8")  # noqa: S314 (DTDs and entities refused above)
    try:
        parser.feed(text.encode("utf-8"))
        root = parser.close()
    except ET.ParseError as error:
        raise SubmissionError(
            gettext("The submission is not well-formed XML (%(error)s).") % {"error": error},
            reason="malformed",
        ) from None
    answers = _flatten(root)
    content = {key: value for key, value in answers.items() if key not in _NOT_CONTENT}
    canonical = json.dumps([root.get("id", ""), content], sort_keys=True, ensure_ascii=False)
    return Submission(
        form_id=root.get("id", ""),
        version=root.get("version", ""),
        instance_id=answers.get("instanceID", ""),
        deprecated_id=answers.get("deprecatedID", ""),
        answers=answers,
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest(),
    )


class _Reader:
    """Typed access to flattened answers; problems are collected by question name, not raised."""

    def __init__(self, answers: dict, errors: dict):
        self.answers = answers
        self.errors = errors

    def text(self, name: str) -> str:
        value = self.answers.get(name, "")
        return value if isinstance(value, str) else ""

    def code(self, name: str, default: str = "") -> str:
        return self.text(name) or default

    def codes(self, name: str) -> list[str]:
        return self.text(name).split()

    def yes(self, name: str) -> bool:
        return self.text(name) == "yes"

    def date(self, name: str) -> datetime.date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return datetime.date.fromisoformat(value[:10])
        except ValueError:
            self.errors.setdefault(name, []).append(gettext("“%(value)s” is not a date.") % {"value": value})
            return None

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            self.errors.setdefault(name, []).append(
                gettext("“%(value)s” is not a whole number.") % {"value": value}
            )
            return None

    def rows(self, name: str, *, keys: tuple[str, ...]) -> list[_Reader]:
        """The repeat's instances that hold an answer (ODK sends the first, empty, even when not relevant)."""
        found = self.answers.get(name)
        if not isinstance(found, list):
            return []
        return [_Reader(row, self.errors) for row in found if any(row.get(key) for key in keys)]


def _area(reader: _Reader):
    """The commune when given, else the cercle, by P-code in the default COD version."""
    cercle_code, commune_code = reader.text("cercle"), reader.text("commune")
    pcode = commune_code or cercle_code
    if not pcode:
        return None
    area = area_get_by_pcode(pcode)
    name = "commune" if commune_code else "cercle"
    if area is None:
        reader.errors.setdefault(name, []).append(gettext("Unknown P-code %(pcode)s.") % {"pcode": pcode})
    elif commune_code and cercle_code and cercle_code not in area.path_pcodes:
        reader.errors.setdefault("commune", []).append(gettext("This commune is not in the cercle given."))
    return area


def _coordinates(reader: _Reader) -> str:
    """ODK's geopoint "lat lon altitude accuracy" as the "lat,lon" the incident stores (encrypted)."""
    parts = reader.text("coordinates").split()
    if not parts:
        return ""
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        reader.errors.setdefault("coordinates", []).append(gettext("This GPS position cannot be read."))
        return ""
    return f"{lat:.6f},{lon:.6f}"


def _common(reader: _Reader, submission: Submission) -> dict:
    return {
        "date_start": reader.date("date_start"),
        "date_end": reader.date("date_end"),
        "date_estimated": reader.yes("date_estimated"),
        "date_reported": reader.date("date_reported"),
        "area": _area(reader),
        "perpetrator_category": reader.code("perpetrator_category"),
        "account": reader.text("account"),
        "summary": reader.text("summary"),
        "source_id": submission.instance_id,
    }


def _incident(reader: _Reader, submission: Submission) -> IncidentRow:
    categories = reader.codes("categories")
    victims = []
    if reader.yes("has_victims"):
        for row in reader.rows("victims", keys=("victim_outcome", "victim_count")):
            victims.append(
                VictimCell(
                    outcome=row.code("victim_outcome"),
                    sex=row.code("victim_sex", "unknown"),
                    age_group=row.code("victim_age_group", "unknown"),
                    count=row.integer("victim_count") or 0,
                )
            )
    violations = []
    if Category.CHILD_RIGHTS in categories:
        for row in reader.rows("violations", keys=("violation_type",)):
            cells = [
                ViolationVictimCell(
                    sex=cell.code("child_sex", "unknown"),
                    age_group=cell.code("child_age_group", "unknown"),
                    count=cell.integer("child_count") or 0,
                )
                for cell in row.rows("violation_victims", keys=("child_count",))
            ]
            violations.append(
                ViolationLine(
                    type=row.code("violation_type"),
                    perpetrator_party=row.code("perpetrator_party", "unknown"),
                    verification=row.code("verification", "pending"),
                    facility=row.text("facility"),
                    victims=cells,
                )
            )
    explosive = None
    if Category.EXPLOSIVE in categories:
        casualties = []
        if reader.yes("has_casualties"):
            for row in reader.rows("casualties", keys=("casualty_outcome",)):
                casualties.append(
                    CasualtyLine(
                        sex=row.code("casualty_sex", "unknown"),
                        outcome=row.code("casualty_outcome"),
                        age=row.integer("casualty_age"),
                        civilian=row.code("casualty_civilian", "yes") == "yes",
                        displacement_status=row.text("casualty_displacement_status"),
                    )
                )
        explosive = ExplosiveDetails(
            device_type=reader.code("device_type"),
            activity=reader.code("activity", "unknown"),
            casualties=casualties,
        )
    return IncidentRow(
        **_common(reader, submission),
        categories=categories,
        source_mechanism=reader.code("source_mechanism", "monitoring_interview"),
        coordinates=_coordinates(reader),
        victims=victims,
        displaced_households=reader.integer("displaced_households"),
        displaced_individuals=reader.integer("displaced_individuals"),
        reliability=reader.code("reliability", "f"),
        sharing_level=reader.code("sharing_level", "organisation"),
        violations=violations,
        explosive=explosive,
    )


# GBVDetails fields answered by a question of the same name, with the dataclass default when empty.
_GBV_CODES = tuple(GBV_CODES)


def _gbv(reader: _Reader, submission: Submission) -> IncidentRow:
    codes = {name: reader.text(name) for name in _GBV_CODES if reader.text(name)}
    # Required, without a default: an empty answer is refused by the validation (400), not a TypeError.
    codes.setdefault("survivor_sex", "")
    gbv = GBVDetails(
        **codes,
        survivor_age=reader.integer("survivor_age"),
        survivor_age_estimated=reader.yes("survivor_age_estimated"),
        # Only the questions the tool asked have an answer (the others were not relevant).
        answers={key: reader.yes(key) for key in QUESTION_KEYS if reader.text(key)},
        perpetrator_count=reader.integer("perpetrator_count") or 1,
        perpetrator_occupation=reader.text("perpetrator_occupation")[:100],
        referrals={
            code: reader.text(f"referral_{code}")
            for code in IRService.values
            if reader.text(f"referral_{code}")
        },
        consent_to_report=reader.yes("consent_to_report"),
        survivor_code=reader.text("survivor_code")[:32],
    )
    return IncidentRow(
        **_common(reader, submission),
        categories=[Category.GBV, *reader.codes("other_categories")],
        source_mechanism=reader.code("source_mechanism", "gbvims"),
        gbv=gbv,
    )


CHANNEL = Channel.ODK
_MAPPERS = {INCIDENT_FORM: _incident, GBV_FORM: _gbv}


def answers_to_row(submission: Submission) -> tuple[IncidentRow, dict[str, list[str]]]:
    """The IncidentRow of a submission, and the answers that could not be read (by question name)."""
    errors: dict[str, list[str]] = {}
    data = _MAPPERS[submission.form_id](_Reader(submission.answers, errors), submission)
    return data, errors
