"""Results-framework services: who may edit, validation, manual values with evidence, achievement rules."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from sentinelle.activities.models import Indicator, IndicatorValue, ResultNode, ResultsFramework
from sentinelle.activities.selectors import results as selectors
from sentinelle.activities.services import results as services
from sentinelle.activities.tests.factories_results import YEAR, make_framework, make_indicator, make_tree
from sentinelle.core.models import AuditAction, AuditEntry, AuditOutcome

Y1, Y2 = datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31)
Q1 = (datetime.date(YEAR, 1, 1), datetime.date(YEAR, 3, 31))
Q2 = (datetime.date(YEAR, 4, 1), datetime.date(YEAR, 6, 30))


@pytest.fixture
def framework(alpha):
    return make_framework(alpha)


@pytest.fixture
def manual(framework):
    _objective, _outcome, output = make_tree(framework)
    return make_indicator(framework, output, "M1")


def _values(**overrides):
    values = {"code": "NEW", "name": "Nouveau cadre", "start_date": Y1, "end_date": Y2, "description": ""}
    values.update(overrides)
    return values


# --- Who may edit ---------------------------------------------------------------------------------


def test_manager_creates_a_framework_for_their_organisation(manager, alpha):
    framework = services.framework_create(actor=manager, owner_organisation=alpha, **_values())
    assert framework.owner_organisation == alpha
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(framework.public_id)).exists()


def test_manager_cannot_create_for_another_organisation(manager, beta):
    before = ResultsFramework.objects.count()
    with pytest.raises(PermissionDenied):
        services.framework_create(actor=manager, owner_organisation=beta, **_values())
    assert ResultsFramework.objects.count() == before
    assert AuditEntry.objects.filter(user=manager, outcome=AuditOutcome.DENIED).exists()


def test_other_organisation_manager_cannot_edit_and_nothing_changes(outsider, framework):
    with pytest.raises(PermissionDenied):
        services.framework_update(actor=outsider, framework=framework, name="Pris")
    framework.refresh_from_db()
    assert framework.name == "Cadre FW"
    assert AuditEntry.objects.filter(user=outsider, outcome=AuditOutcome.DENIED).exists()
    with pytest.raises(PermissionDenied):
        services.node_create(actor=outsider, framework=framework, level="objective", code="X", title_fr="X")
    assert not ResultNode.objects.filter(code="X").exists()


def test_imo_edits_any_framework(imo, framework):
    services.framework_update(actor=imo, framework=framework, name="Cadre revu")
    framework.refresh_from_db()
    assert framework.name == "Cadre revu"


def test_reader_cannot_record_a_value(reader, manual):
    with pytest.raises(PermissionDenied):
        services.indicator_value_record(
            actor=reader, indicator=manual, period_start=Y1, period_end=Y2, value=Decimal(3), evidence="PV"
        )
    assert not IndicatorValue.objects.exists()


# --- Validation -----------------------------------------------------------------------------------


def test_result_levels_hang_in_order(manager, framework):
    objective = services.node_create(
        actor=manager, framework=framework, level="objective", code="OS1", title_fr="Objectif"
    )
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.node_create(
            actor=manager, framework=framework, level="output", code="P1", title_fr="P", parent=objective
        )
    assert "parent" in error.value.error_dict
    outcome = services.node_create(
        actor=manager, framework=framework, level="outcome", code="R1", title_fr="R", parent=objective
    )
    assert outcome.parent == objective


def test_indicator_with_a_bad_computation_is_refused(manager, framework):
    _o, _r, output = make_tree(framework)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.indicator_create(
            actor=manager,
            framework=framework,
            node=output,
            code="I1",
            name_fr="Référencements",
            unit="number",
            source="computed",
            computation={"kind": "ratio", "numerator": {"dataset": "referrals"}},
        )
    assert any("denominator" in message for message in error.value.error_dict["computation"][0].messages)
    assert not Indicator.objects.filter(code="I1").exists()


def test_indicator_with_programme_context_needs_a_programme(manager, framework):
    _o, _r, output = make_tree(framework)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.indicator_create(
            actor=manager,
            framework=framework,
            node=output,
            code="I2",
            name_fr="Formés",
            source="computed",
            computation={"dataset": "trainings", "context": {"programme_partners": True}},
        )
    assert "programme" in str(error.value)


def test_computed_indicator_is_created_and_audited(manager, framework):
    _o, _r, output = make_tree(framework)
    indicator = services.indicator_create(
        actor=manager,
        framework=framework,
        node=output,
        code="I3",
        name_fr="Personnes formées",
        source="computed",
        computation={"kind": "value", "dataset": "trainings", "measure": "participants"},
        disaggregations=["sex"],
    )
    assert indicator.computation["dataset"] == "trainings"
    assert (
        AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(indicator.public_id)).count() == 1
    )


# --- Manual values and targets ----------------------------------------------------------------------


def test_manual_value_needs_evidence(manager, manual):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.indicator_value_record(
            actor=manager, indicator=manual, period_start=Y1, period_end=Y2, value=Decimal(3), evidence="  "
        )
    assert "evidence" in error.value.error_dict
    assert not IndicatorValue.objects.exists()


def test_manual_value_is_audited_and_the_latest_for_a_period_wins(manager, manual):
    first = services.indicator_value_record(
        actor=manager,
        indicator=manual,
        period_start=Q1[0],
        period_end=Q1[1],
        value=Decimal(10),
        evidence="Rapport T1",
    )
    services.indicator_value_record(
        actor=manager,
        indicator=manual,
        period_start=Q1[0],
        period_end=Q1[1],
        value=Decimal(12),
        evidence="Rapport T1 corrigé",
    )
    services.indicator_value_record(
        actor=manager,
        indicator=manual,
        period_start=Q2[0],
        period_end=Q2[1],
        value=Decimal(5),
        evidence="Rapport T2",
    )
    assert (
        AuditEntry.objects.filter(object_type="activities.indicatorvalue", action=AuditAction.CREATE).count()
        == 3
    )
    assert AuditEntry.objects.filter(object_id=str(first.public_id)).exists()
    entries = list(manual.values.all())
    assert selectors.manual_value(manual, entries, *Q1) == 12
    # The year adds up the latest value of each quarter.
    assert selectors.manual_value(manual, entries, Y1, Y2) == 12 + 5


def test_percentage_manual_value_takes_the_latest_period(manager, manual):
    manual.unit = "percentage"
    manual.save()
    for (start, end), value in ((Q1, 30), (Q2, 45)):
        services.indicator_value_record(
            actor=manager,
            indicator=manual,
            period_start=start,
            period_end=end,
            value=Decimal(value),
            evidence="Enquête",
        )
    assert selectors.manual_value(manual, list(manual.values.all()), Y1, Y2) == 45
    with pytest.raises(ValidationError):
        services.indicator_value_record(
            actor=manager,
            indicator=manual,
            period_start=Y1,
            period_end=Y2,
            value=Decimal(140),
            evidence="Enquête",
        )


def test_targets_by_period(manager, manual):
    services.target_set(
        actor=manager, indicator=manual, period_start=Q1[0], period_end=Q1[1], value=Decimal(20)
    )
    services.target_set(
        actor=manager, indicator=manual, period_start=Q2[0], period_end=Q2[1], value=Decimal(30)
    )
    services.target_set(
        actor=manager, indicator=manual, period_start=Q2[0], period_end=Q2[1], value=Decimal(25)
    )
    targets = list(manual.targets.all())
    assert len(targets) == 2
    assert selectors.target_for(manual, targets, *Q2) == 25
    assert selectors.target_for(manual, targets, Y1, Y2) == 45


# --- Achievement ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "light"),
    [
        (90, 100, "green"),
        (120, 100, "green"),
        (89, 100, "amber"),
        (60, 100, "amber"),
        (59, 100, "red"),
        (None, 100, "grey"),
        (50, None, "grey"),
        (0, 0, "grey"),
    ],
)
def test_traffic_light(value, target, light):
    percent = selectors.achievement(
        None if value is None else Decimal(value), None if target is None else Decimal(target)
    )
    assert selectors.traffic_light(percent) == light
