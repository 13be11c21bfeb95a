"""The declared computation grammar: validation (messages), evaluation against hand-counted 4W records.

Fixture (2025), hand-counted:
  A1 alpha, Mopti, civil documentation, January, validated: f 0-5 idp 4, m 0-5 idp 3, f 18-59 host 2 (9)
  A2 beta, Ségou, civil documentation, April, validated: f 6-11 idp 5 (5)
  A3 alpha, Mopti, civil documentation, March, report only SUBMITTED: f 0-5 idp 100 (not counted)
  A4 alpha, Mopti, civil documentation, January, validated but CANCELLED: m 0-5 idp 50 (not counted)
  A5 alpha, Mopti, awareness, January, validated: m 18-59 host 7
  A6 alpha, Mopti, coordination, January, validated, no beneficiaries
  T1 alpha, Mopti, training, January, validated: magistrates m 3, f 1; police m 5
  T2 beta, Ségou, training, April, validated: police f 2
  T3 alpha, Mopti, training, March (submitted report): police m 10 (not counted)
Birth certificates (civil documentation beneficiaries): 14 = f 11 + m 3; Mopti 9, Ségou 5; Q1 9, Q2 5.
People trained: 11 = m 8 + f 3 (T1 + T2); activities counted: A1 A2 A5 A6 + T1 T2 = 6.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sentinelle.activities import computations
from sentinelle.activities.computations import Evaluator, Scope
from sentinelle.activities.tests.factories_results import (
    APR,
    JAN,
    YEAR,
    make_activity,
    make_programme,
    make_training,
)
from sentinelle.core import datasets
from sentinelle.core.datasets import Filters
from sentinelle.monitoring.tests.factories import cercle_of


def aggregate(*args, **kwargs):
    """The figures without their cell keys (core/disclosure.py), as these tests compare them."""
    return datasets.strip_keys(datasets.aggregate(*args, **kwargs))


Y_FROM, Y_TO = datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31)
MAR = datetime.date(YEAR, 3, 10)
BIRTH_CERTIFICATES = {
    "kind": "value",
    "dataset": "activities",
    "measure": "people_reached",
    "filters": {"activity_type": "civil_documentation"},
}
PEOPLE_TRAINED = {"kind": "value", "dataset": "trainings", "measure": "participants"}


@pytest.fixture
def fourw(alpha, beta, mopti, segou):
    m, s = cercle_of(mopti), cercle_of(segou)
    make_activity(
        alpha,
        m,
        "civil_documentation",
        beneficiaries=[("f", "0_5", "idp", 4), ("m", "0_5", "idp", 3), ("f", "18_59", "host", 2)],
    )
    make_activity(beta, s, "civil_documentation", start=APR, beneficiaries=[("f", "6_11", "idp", 5)])
    make_activity(
        alpha,
        m,
        "civil_documentation",
        start=MAR,
        report_status="submitted",
        beneficiaries=[("f", "0_5", "idp", 100)],
    )
    make_activity(
        alpha, m, "civil_documentation", status="cancelled", beneficiaries=[("m", "0_5", "idp", 50)]
    )
    make_activity(alpha, m, "awareness", beneficiaries=[("m", "18_59", "host", 7)])
    make_activity(alpha, m, "coordination")
    make_training(alpha, m, participants=[("magistrate", "m", 3), ("magistrate", "f", 1), ("police", "m", 5)])
    make_training(beta, s, start=APR, participants=[("police", "f", 2)])
    make_training(alpha, m, start=MAR, participants=[("police", "m", 10)], report_status="submitted")
    return {"mopti": m, "segou": s}


def _value(computation, scope=None, **kwargs):
    return Evaluator(scope).evaluate(computation, date_from=Y_FROM, date_to=Y_TO, **kwargs)


# --- Datasets of the activities app ---------------------------------------------------------------


def test_activities_dataset_counts_validated_activities_that_took_place(fourw):
    [row] = aggregate("activities", measures=["count", "people_reached"], filters=Filters(Y_FROM, Y_TO))
    # A1 A2 A5 A6 and the trainings T1 T2 (activities of type training without beneficiaries).
    assert row == {"count": 6, "people_reached": 9 + 5 + 7}


def test_several_beneficiary_filters_never_multiply_rows(fourw):
    filters = Filters(Y_FROM, Y_TO, extra={"sex": "f", "age_group": "0_5", "population_status": "idp"})
    [row] = aggregate("activities", measures=["count", "people_reached"], filters=filters)
    assert row == {"count": 1, "people_reached": 4}


def test_trainings_dataset_by_category_and_sex(fourw):
    rows = aggregate("trainings", group_by=["category", "sex"], filters=Filters(Y_FROM, Y_TO))
    assert {(r["category"], r["sex"]): r["participants"] for r in rows} == {
        ("magistrate", "m"): 3,
        ("magistrate", "f"): 1,
        ("police", "m"): 5,
        ("police", "f"): 2,
    }
    [total] = aggregate("trainings", measures=["count"], filters=Filters(Y_FROM, Y_TO))
    assert total == {"count": 2}


# --- Evaluation -----------------------------------------------------------------------------------


def test_birth_certificates_total_and_by_sex(fourw):
    assert _value(BIRTH_CERTIFICATES) == {(): Decimal(14)}
    assert _value(BIRTH_CERTIFICATES, group_by=["sex"]) == {("f",): 11, ("m",): 3}


def test_birth_certificates_by_region(fourw):
    assert _value(BIRTH_CERTIFICATES, group_by=["admin1"]) == {("ML05",): 9, ("ML04",): 5}


def test_area_scope_limits_to_the_area(fourw, mopti):
    assert _value(BIRTH_CERTIFICATES, Scope(area=mopti)) == {(): 9}


def test_people_trained_by_sex(fourw):
    assert _value(PEOPLE_TRAINED) == {(): 11}
    assert _value(PEOPLE_TRAINED, group_by=["sex"]) == {("m",): 8, ("f",): 3}


def test_ratio_and_zero_denominator(fourw):
    women_share = {
        "kind": "ratio",
        "numerator": {**PEOPLE_TRAINED, "filters": {"sex": "f"}},
        "denominator": PEOPLE_TRAINED,
        "scale": 100,
    }
    assert _value(women_share)[()] == Decimal(3) / Decimal(11) * 100
    nothing = {
        "kind": "ratio",
        "numerator": BIRTH_CERTIFICATES,
        "denominator": {"dataset": "activities", "filters": {"activity_type": "legal_assistance"}},
        "scale": 100,
    }
    assert _value(nothing) == {(): None}
    # By sex: a category with no denominator has no value either.
    by_sex = {"kind": "ratio", "numerator": PEOPLE_TRAINED, "denominator": BIRTH_CERTIFICATES}
    assert _value(by_sex, group_by=["sex"]) == {("m",): Decimal(8) / 3, ("f",): Decimal(3) / 11}


def test_series_by_quarter_in_one_query_per_part(fourw, django_assert_max_num_queries):
    quarters = [
        (datetime.date(YEAR, 1, 1), datetime.date(YEAR, 3, 31)),
        (datetime.date(YEAR, 4, 1), datetime.date(YEAR, 6, 30)),
        (datetime.date(YEAR, 7, 1), datetime.date(YEAR, 9, 30)),
        (datetime.date(YEAR, 10, 1), datetime.date(YEAR, 12, 31)),
    ]
    evaluator = Evaluator()
    with django_assert_max_num_queries(1):
        series = evaluator.series(BIRTH_CERTIFICATES, quarters)
    assert [series[q][()] for q in quarters] == [9, 5, 0, 0]


def test_programme_context_partners_and_areas(fourw, alpha, beta, segou, mopti):
    in_context = {**BIRTH_CERTIFICATES, "context": {"programme_partners": True, "programme_areas": True}}
    beta_in_segou = make_programme("P1", beta, partners=[beta], areas=[segou])
    assert _value(in_context, Scope(programme=beta_in_segou)) == {(): 5}
    alpha_in_segou = make_programme("P2", alpha, partners=[alpha], areas=[segou])
    assert _value(in_context, Scope(programme=alpha_in_segou)) == {(): 0}
    # The chosen area outside the programme's areas: nothing.
    assert _value(in_context, Scope(area=mopti, programme=beta_in_segou)) == {(): 0}


def test_dates_bound_the_period(fourw):
    value = Evaluator().evaluate(BIRTH_CERTIFICATES, date_from=JAN, date_to=datetime.date(YEAR, 3, 31))
    assert value == {(): 9}


# --- Validation -----------------------------------------------------------------------------------


def _errors(computation, **kwargs):
    with translation.override("en"):
        return computations.computation_errors(computation, **kwargs)


def test_valid_computations_have_no_error():
    assert _errors(BIRTH_CERTIFICATES) == []
    assert (
        _errors({"kind": "ratio", "numerator": PEOPLE_TRAINED, "denominator": PEOPLE_TRAINED, "scale": 100})
        == []
    )
    assert _errors(PEOPLE_TRAINED, disaggregations=["sex", "area"]) == []


@pytest.mark.parametrize(
    ("computation", "expected"),
    [
        ({}, "The computation must be an object"),
        ({"kind": "sum"}, "Unknown kind of computation: sum"),
        ({"kind": "value", "dataset": "nowhere"}, "Unknown dataset: nowhere."),
        (
            {"kind": "value", "dataset": "activities", "measure": "budget"},
            "Unknown measure for activities: budget",
        ),
        (
            {"kind": "value", "dataset": "activities", "filters": {"colour": "red"}},
            "Unknown filter for activities: colour",
        ),
        (
            {"kind": "value", "dataset": "activities", "filters": {"activity_type": "picnic"}},
            "Unknown code for the filter activity_type of activities: picnic.",
        ),
        (
            {"kind": "ratio", "numerator": PEOPLE_TRAINED},
            "A ratio needs a numerator and a denominator: the denominator",
        ),
        (
            {"kind": "ratio", "numerator": PEOPLE_TRAINED, "denominator": PEOPLE_TRAINED, "scale": 0},
            "The scale of a ratio must be a positive number",
        ),
        (
            {**PEOPLE_TRAINED, "context": {"programme_partners": True}},
            "needs a results framework linked to a programme",
        ),
        ({**PEOPLE_TRAINED, "context": {"donors": True}}, "Unknown context: donors"),
        ({**PEOPLE_TRAINED, "group": "sex"}, "Unknown key in the computation: group."),
    ],
)
def test_validation_messages(db, computation, expected):
    errors = _errors(computation)
    assert any(expected in error for error in errors), errors


def test_disaggregation_must_exist_in_the_dataset(db):
    errors = _errors({"kind": "value", "dataset": "cases"}, disaggregations=["population_status"])
    assert errors == ["The disaggregation by population_status is not available for the dataset cases."]


def test_validate_raises_on_computation_field(db):
    with pytest.raises(ValidationError) as error:
        computations.validate_computation({"kind": "value", "dataset": "nowhere"})
    assert "computation" in error.value.error_dict


def test_parse_reports_bad_json():
    with translation.override("en"), pytest.raises(ValidationError) as error:
        computations.parse('{"kind": ')
    assert "not valid JSON" in error.value.messages[0]


def test_description_in_words(db):
    with translation.override("en"):
        text = computations.describe(
            {
                "kind": "value",
                "dataset": "referrals",
                "measure": "count",
                "filters": {"service_type": "pss", "status": "completed", "case_type": "gbv"},
            }
        )
    assert text == (
        "Referrals, where Type of service : Psychosocial support ; Status : Completed ; "
        "Type of case : Gender-based violence"
    )
