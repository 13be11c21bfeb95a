"""Every path of the GBV Classification Tool, every case-context flag both ways, the delay boundaries."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sentinelle.monitoring.classification import (
    CASE_CONTEXT_FIELDS,
    IS_GBV,
    QUESTIONS,
    case_context,
    classify,
    derivation_explanation,
    reporting_delay,
)
from sentinelle.monitoring.models import GBVType

TYPE_KEYS = [key for key, _type in QUESTIONS]


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English, whatever the French catalogue holds."""
    with translation.override("en"):
        yield


def test_questions_are_in_the_gbvims_order():
    assert QUESTIONS == (
        ("penetration", "rape"),
        ("sexual_contact", "sexual_assault"),
        ("physical_assault", "physical_assault"),
        ("forced_marriage", "forced_marriage"),
        ("denial_of_resources", "denial_of_resources"),
        ("psychological_abuse", "psychological_abuse"),
    )


@pytest.mark.parametrize(("position", "expected"), list(enumerate(t for _k, t in QUESTIONS)))
def test_first_yes_gives_the_type_and_stops(position, expected):
    answers = dict.fromkeys(TYPE_KEYS[:position], False)
    answers[TYPE_KEYS[position]] = True
    result = classify(answers)
    assert result.gbv_type == expected
    assert result.asked == [*[(k, False) for k in TYPE_KEYS[:position]], (TYPE_KEYS[position], True)]


def test_later_answers_are_ignored_once_a_yes_is_found():
    # Penetration and physical assault both happened: rape, the most specific type, and the later
    # questions are never asked.
    result = classify({"penetration": True, "physical_assault": True, "is_gbv": False})
    assert result.gbv_type == GBVType.RAPE
    assert result.asked == [("penetration", True)]


def test_all_no_and_not_gbv_gives_non_gbv():
    answers = {**dict.fromkeys(TYPE_KEYS, False), IS_GBV: False}
    result = classify(answers)
    assert result.gbv_type == GBVType.NON_GBV
    assert result.asked[-1] == (IS_GBV, False)
    assert len(result.asked) == 7


def test_all_no_but_gbv_is_refused_with_the_re_ask_instruction():
    answers = {**dict.fromkeys(TYPE_KEYS, False), IS_GBV: True}
    with pytest.raises(ValidationError) as error:
        classify(answers)
    assert error.value.code == "classification_invalid"
    assert "supervisor" in error.value.messages[0]
    assert "again" in error.value.messages[0]


def test_french_re_ask_message():
    answers = {**dict.fromkeys(TYPE_KEYS, False), IS_GBV: True}
    with translation.override("fr"), pytest.raises(ValidationError) as error:
        classify(answers)
    assert error.value.messages[0]


@pytest.mark.parametrize("missing", range(len(TYPE_KEYS) + 1))
def test_a_missing_answer_before_the_first_yes_is_refused(missing):
    keys = [*TYPE_KEYS, IS_GBV]
    answers = dict.fromkeys(keys[:missing], False)
    with pytest.raises(ValidationError) as error:
        classify(answers)
    assert error.value.code == "classification_incomplete"


def test_answers_from_forms_and_files():
    assert classify({"penetration": "non", "sexual_contact": "oui"}).gbv_type == "sexual_assault"
    assert classify({"penetration": "no", "sexual_contact": 0, "physical_assault": "yes"}).gbv_type == (
        "physical_assault"
    )
    with pytest.raises(ValidationError):
        classify({"penetration": "peut-être"})


def test_explanation_names_questions_answers_and_type():
    result = classify({"penetration": False, "sexual_contact": True})
    assert "penetration" in result.explanation
    assert "Sexual assault" in result.explanation
    assert "first question answered yes" in result.explanation
    non_gbv = classify({**dict.fromkeys(TYPE_KEYS, False), IS_GBV: False})
    assert "not GBV" in non_gbv.explanation


# --- case context -------------------------------------------------------------------------------


def _context(**overrides):
    values = {
        "gbv_type": "physical_assault",
        "survivor_age": 30,
        "perpetrator_relationship": "unknown",
        "goods_exchanged": "no",
        "abduction_type": "none",
        "harmful_practice": "no",
    }
    values.update(overrides)
    return case_context(**values)


def test_no_flag_by_default():
    assert not any(_context().as_fields().values())
    assert set(_context().as_fields()) == set(CASE_CONTEXT_FIELDS)


@pytest.mark.parametrize(
    ("flag", "true_case", "false_cases"),
    [
        (
            "is_intimate_partner_violence",
            {"perpetrator_relationship": "intimate_partner"},
            [
                {"perpetrator_relationship": "family_other"},
                {"perpetrator_relationship": "intimate_partner", "gbv_type": "non_gbv"},
            ],
        ),
        (
            "is_child_sexual_abuse",
            {"gbv_type": "rape", "survivor_age": 17},
            [
                {"gbv_type": "rape", "survivor_age": 18},
                {"gbv_type": "rape", "survivor_age": None},
                {"gbv_type": "physical_assault", "survivor_age": 12},
            ],
        ),
        (
            "is_early_marriage",
            {"gbv_type": "forced_marriage", "survivor_age": 14},
            [
                {"gbv_type": "forced_marriage", "survivor_age": 18},
                {"gbv_type": "forced_marriage", "survivor_age": None},
                {"gbv_type": "sexual_assault", "survivor_age": 14},
            ],
        ),
        (
            "is_possible_sexual_exploitation",
            {"gbv_type": "sexual_assault", "goods_exchanged": "yes"},
            [
                {"gbv_type": "sexual_assault", "goods_exchanged": "unknown"},
                {"gbv_type": "denial_of_resources", "goods_exchanged": "yes"},
            ],
        ),
        (
            "is_possible_sexual_slavery",
            {"gbv_type": "rape", "abduction_type": "trafficked"},
            [
                {"gbv_type": "rape", "abduction_type": "none"},
                {"gbv_type": "physical_assault", "abduction_type": "forced_conscription"},
            ],
        ),
        (
            "is_harmful_traditional_practice",
            {"gbv_type": "sexual_assault", "harmful_practice": "fgm"},
            [
                {"gbv_type": "sexual_assault", "harmful_practice": "no"},
                {"gbv_type": "non_gbv", "harmful_practice": "early_marriage"},
            ],
        ),
    ],
)
def test_each_flag_true_and_false(flag, true_case, false_cases):
    context = _context(**true_case)
    assert getattr(context, flag) is True
    assert context.reasons  # explained in words
    for case in false_cases:
        assert getattr(_context(**case), flag) is False


def test_child_rape_with_goods_and_abduction_sets_several_flags():
    context = _context(gbv_type="rape", survivor_age=13, goods_exchanged="yes", abduction_type="other")
    assert context.is_child_sexual_abuse and context.is_possible_sexual_exploitation
    assert context.is_possible_sexual_slavery
    assert not context.is_early_marriage
    assert len(context.reasons) == 3
    assert "13" in context.reasons[0]


# --- reporting delay ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "0_3_days"),
        (3, "0_3_days"),
        (4, "4_5_days"),
        (5, "4_5_days"),
        (6, "6_14_days"),
        (14, "6_14_days"),
        (15, "2_weeks_1_month"),
        (30, "2_weeks_1_month"),
        (31, "over_1_month"),
        (400, "over_1_month"),
    ],
)
def test_reporting_delay_boundaries(days, bucket):
    incident = datetime.date(2026, 3, 1)
    assert reporting_delay(incident, incident + datetime.timedelta(days=days)) == bucket


def test_reporting_delay_refuses_a_report_before_the_incident():
    with pytest.raises(ValueError):
        reporting_delay(datetime.date(2026, 3, 2), datetime.date(2026, 3, 1))


def test_derivation_explanation_of_a_stored_incident():
    from sentinelle.monitoring.models import GBVIncident

    gbv = GBVIncident(
        classification_answers=[["penetration", True]],
        gbv_type="rape",
        survivor_age=15,
        perpetrator_relationship="unknown",
        goods_exchanged="no",
        abduction_type="none",
        harmful_practice="no",
        reporting_delay="0_3_days",
    )
    lines = derivation_explanation(gbv)
    assert "Rape" in lines[0]
    assert lines[1].startswith("Child sexual abuse")
    assert "0-3 days" in lines[-1]
