"""The GBV Classification Tool (GBVIMS, standards §1.1) and the derived case context.

The tool is an ordered process of elimination: questions are asked in order and the first "yes" gives the
core type, the most specific one. When every type question is answered "no", the last question asks
whether the incident is GBV at all: "no" gives Non-GBV; "yes" means the answers contradict each other,
and GBVIMS asks to start the questions again (and, after repeated failure, to ask a supervisor), so that
case is refused rather than guessed.

Case-context terms (intimate partner violence, child sexual abuse...) are never chosen: they are derived
from the type and the other IR answers, as the GBVIMS Incident Recorder does. Everything here is pure
(no database), so channels can classify before anything is written.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sentinelle.monitoring.models.gbv_codes import GBVType, ReportingDelay

# (question key, type given by a "yes"), in the order the tool asks them.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("penetration", GBVType.RAPE),
    ("sexual_contact", GBVType.SEXUAL_ASSAULT),
    ("physical_assault", GBVType.PHYSICAL_ASSAULT),
    ("forced_marriage", GBVType.FORCED_MARRIAGE),
    ("denial_of_resources", GBVType.DENIAL_OF_RESOURCES),
    ("psychological_abuse", GBVType.PSYCHOLOGICAL_ABUSE),
)
IS_GBV = "is_gbv"
QUESTION_KEYS: tuple[str, ...] = (*(key for key, _type in QUESTIONS), IS_GBV)

QUESTION_TEXTS = {
    "penetration": _("Did the reported incident involve penetration?"),
    "sexual_contact": _("Did the reported incident involve unwanted sexual contact?"),
    "physical_assault": _("Did the reported incident involve physical assault?"),
    "forced_marriage": _("Was the incident an act of forced marriage?"),
    "denial_of_resources": _(
        "Did the reported incident involve the denial of resources, opportunities or services?"
    ),
    "psychological_abuse": _("Did the reported incident involve psychological or emotional abuse?"),
    IS_GBV: _("Is the reported incident a case of GBV?"),
}

SEXUAL_TYPES = frozenset({GBVType.RAPE, GBVType.SEXUAL_ASSAULT})
ADULT_AGE = 18

_YES = {"yes", "oui", "true", "1", "y"}
_NO = {"no", "non", "false", "0", "n"}


@dataclass(frozen=True)
class Classification:
    gbv_type: str
    # [(question key, answer)] in the order asked, up to the first "yes" (or through `is_gbv`).
    asked: list[tuple[str, bool]]
    explanation: str


def _as_bool(value) -> bool | None:
    """An answer as True/False; None when not given. ODK and files send "yes"/"no" or 1/0."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return bool(value)
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def _question(key: str) -> str:
    return str(QUESTION_TEXTS[key])


def classify(answers: dict) -> Classification:
    """The core type from the tool's answers; ValidationError (French) when incomplete or contradictory.

    Only the questions up to the first "yes" are read: later answers, if any, are ignored, as the
    tool never asks them.
    """
    asked: list[tuple[str, bool]] = []
    for key, gbv_type in QUESTIONS:
        answer = _as_bool(answers.get(key))
        if answer is None:
            raise ValidationError(
                gettext("Answer the classification question: %(question)s") % {"question": _question(key)},
                code="classification_incomplete",
            )
        asked.append((key, answer))
        if answer:
            return Classification(gbv_type, asked, explain(asked, gbv_type))
    is_gbv = _as_bool(answers.get(IS_GBV))
    if is_gbv is None:
        raise ValidationError(
            gettext("Answer the classification question: %(question)s") % {"question": _question(IS_GBV)},
            code="classification_incomplete",
        )
    if is_gbv:
        raise ValidationError(
            gettext(
                "The incident was described as GBV but no type question was answered yes: ask the "
                "questions again from the first one; if the answers do not change, ask a supervisor."
            ),
            code="classification_invalid",
        )
    asked.append((IS_GBV, False))
    return Classification(GBVType.NON_GBV, asked, explain(asked, GBVType.NON_GBV))


def explain(asked, gbv_type: str) -> str:
    """In words: which questions were asked, what was answered, and why this type."""
    lines = []
    for number, (key, answer) in enumerate(asked, start=1):
        lines.append(
            gettext("Question %(number)s, “%(question)s”: %(answer)s.")
            % {
                "number": number,
                "question": _question(key),
                "answer": gettext("yes") if answer else gettext("no"),
            }
        )
    label = str(GBVType(gbv_type).label)
    if gbv_type == GBVType.NON_GBV:
        lines.append(
            gettext("Type: %(type)s, because no type question was answered yes and the incident is not GBV.")
            % {"type": label}
        )
    else:
        lines.append(
            gettext(
                "Type: %(type)s, the first question answered yes (the tool stops at the first yes, "
                "the most specific type)."
            )
            % {"type": label}
        )
    return " ".join(lines)


# --- Case context ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseContext:
    is_intimate_partner_violence: bool = False
    is_child_sexual_abuse: bool = False
    is_early_marriage: bool = False
    is_possible_sexual_exploitation: bool = False
    is_possible_sexual_slavery: bool = False
    is_harmful_traditional_practice: bool = False
    # Why each flag is set, in words, in the order above.
    reasons: list[str] = field(default_factory=list, compare=False)

    def as_fields(self) -> dict[str, bool]:
        """The GBVIncident fields these flags are stored in."""
        return {name: getattr(self, name) for name in CASE_CONTEXT_FIELDS}

    @property
    def labels(self) -> list[str]:
        return [str(CASE_CONTEXT_LABELS[name]) for name in CASE_CONTEXT_FIELDS if getattr(self, name)]


CASE_CONTEXT_FIELDS = (
    "is_intimate_partner_violence",
    "is_child_sexual_abuse",
    "is_early_marriage",
    "is_possible_sexual_exploitation",
    "is_possible_sexual_slavery",
    "is_harmful_traditional_practice",
)
CASE_CONTEXT_LABELS = {
    "is_intimate_partner_violence": _("Intimate partner violence"),
    "is_child_sexual_abuse": _("Child sexual abuse"),
    "is_early_marriage": _("Early marriage"),
    "is_possible_sexual_exploitation": _("Possible sexual exploitation"),
    "is_possible_sexual_slavery": _("Possible sexual slavery"),
    "is_harmful_traditional_practice": _("Harmful traditional practice"),
}


def case_context(
    *,
    gbv_type: str,
    survivor_age: int | None,
    perpetrator_relationship: str = "unknown",
    goods_exchanged: str = "unknown",
    abduction_type: str = "none",
    harmful_practice: str = "no",
) -> CaseContext:
    """The GBVIMS case-context flags, derived exactly as the Incident Recorder does (standards §1.1).

    An unknown age never makes a child: the age-based flags need an age under 18.
    """
    is_gbv = gbv_type != GBVType.NON_GBV
    sexual = gbv_type in SEXUAL_TYPES
    minor = survivor_age is not None and survivor_age < ADULT_AGE
    type_label = str(GBVType(gbv_type).label)
    flags = {
        "is_intimate_partner_violence": is_gbv and perpetrator_relationship == "intimate_partner",
        "is_child_sexual_abuse": sexual and minor,
        "is_early_marriage": gbv_type == GBVType.FORCED_MARRIAGE and minor,
        "is_possible_sexual_exploitation": sexual and goods_exchanged == "yes",
        "is_possible_sexual_slavery": sexual and abduction_type not in ("", "none"),
        "is_harmful_traditional_practice": is_gbv and harmful_practice not in ("", "no"),
    }
    why = {
        "is_intimate_partner_violence": gettext(
            "Intimate partner violence: a GBV incident whose alleged perpetrator is an intimate partner "
            "or former partner."
        ),
        "is_child_sexual_abuse": gettext(
            "Child sexual abuse: %(type)s and the survivor was %(age)s years old (under 18)."
        ),
        "is_early_marriage": gettext(
            "Early marriage: forced marriage and the survivor was %(age)s years old (under 18)."
        ),
        "is_possible_sexual_exploitation": gettext(
            "Possible sexual exploitation: %(type)s and money, goods, benefits or services were exchanged."
        ),
        "is_possible_sexual_slavery": gettext(
            "Possible sexual slavery: %(type)s and the survivor was abducted."
        ),
        "is_harmful_traditional_practice": gettext(
            "Harmful traditional practice: a GBV incident that involved a harmful traditional practice."
        ),
    }
    reasons = [
        why[name] % {"type": type_label, "age": survivor_age} if "%(" in why[name] else why[name]
        for name in CASE_CONTEXT_FIELDS
        if flags[name]
    ]
    return CaseContext(**flags, reasons=reasons)


# --- Time between incident and report ------------------------------------------------------------

# Upper bound in days (inclusive) of each bucket; Primero's overlapping Ruby ranges are made explicit.
DELAY_BUCKETS: tuple[tuple[int | None, str], ...] = (
    (3, ReportingDelay.DAYS_0_3),
    (5, ReportingDelay.DAYS_4_5),
    (14, ReportingDelay.DAYS_6_14),
    (30, ReportingDelay.WEEKS_2_4),
    (None, ReportingDelay.OVER_MONTH),
)


def reporting_delay(incident_date: datetime.date, reported_date: datetime.date) -> str:
    """The IR bucket of the days between the incident and the first report: 0-3, 4-5, 6-14, 15-30, >30.

    For a period, pass its last day: the delay runs from the end of the violence, not its start.
    """
    days = (reported_date - incident_date).days
    if days < 0:
        raise ValueError("The report cannot precede the incident.")
    for upper, bucket in DELAY_BUCKETS:
        if upper is None or days <= upper:
            return bucket
    raise AssertionError("unreachable")  # pragma: no cover


def survivor_case_context(gbv, gbv_type: str) -> CaseContext:
    """`case_context` of a survivor record: a stored GBVIncident or the GBVDetails of a write."""
    return case_context(
        gbv_type=gbv_type,
        survivor_age=gbv.survivor_age,
        perpetrator_relationship=gbv.perpetrator_relationship,
        goods_exchanged=gbv.goods_exchanged,
        abduction_type=gbv.abduction_type,
        harmful_practice=gbv.harmful_practice,
    )


def derivation_explanation(gbv) -> list[str]:
    """The whole derivation for a stored GBVIncident, sentence by sentence (for the incident page)."""
    lines = [explain(gbv.classification_answers, gbv.gbv_type)]
    context = survivor_case_context(gbv, gbv.gbv_type)
    lines.extend(context.reasons or [gettext("No case-context term applies.")])
    if gbv.reporting_delay:
        lines.append(
            gettext("Time between incident and report: %(delay)s.")
            % {"delay": ReportingDelay(gbv.reporting_delay).label}
        )
    return lines
