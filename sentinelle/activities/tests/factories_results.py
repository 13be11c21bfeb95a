"""Builders for the results-framework tests: 4W records (validated or not), programmes, frameworks.

    activity = make_activity(alpha, cercle, "civil_documentation", beneficiaries=[("f", "0_5", "idp", 4)])
    training = make_training(alpha, cercle, participants=[("magistrate", "m", 3)])
    framework = make_framework(alpha, programme=make_programme("PROG", alpha, partners=[alpha]))
    indicator = make_indicator(framework, node, "I1", {"kind": "value", "dataset": "activities"})

4W rows are written directly (the 4W services belong to their own tests), keeping the figures' roll-ups
current as the services do; frameworks and indicators too (their services are tested in
test_results_services.py).
"""

from __future__ import annotations

import datetime

from sentinelle.activities.models import (
    Activity,
    ActivityReport,
    Beneficiaries,
    Indicator,
    IndicatorTarget,
    NodeLevel,
    Programme,
    ReportingPeriod,
    ReportStatus,
    ResultNode,
    ResultsFramework,
    Training,
    TrainingParticipants,
)
from sentinelle.activities.rollups import KEYED_BY, activity_rollups_updating
from sentinelle.core.rollups import rollups_add

YEAR = 2025
JAN = datetime.date(YEAR, 1, 15)
APR = datetime.date(YEAR, 4, 15)


def make_report(organisation, month: datetime.date, status: str = ReportStatus.VALIDATED) -> ActivityReport:
    period, _ = ReportingPeriod.objects.get_or_create(month=month.replace(day=1))
    report, created = ActivityReport.objects.get_or_create(
        organisation=organisation, period=period, defaults={"status": status}
    )
    if not created and report.status != status:
        with activity_rollups_updating(report_ids=[report.pk]):
            report.status = status
            report.save(update_fields=["status"])
    return report


def make_activity(
    organisation,
    area,
    activity_type: str = "awareness",
    *,
    start: datetime.date = JAN,
    report_status: str = ReportStatus.VALIDATED,
    status: str = "completed",
    beneficiaries=(),
    project=None,
) -> Activity:
    report = make_report(organisation, start, report_status)
    activity = Activity.objects.create(
        report=report,
        organisation=organisation,
        project=project,
        activity_type=activity_type,
        area=area,
        start_date=start,
        end_date=start,
        status=status,
    )
    for sex, age_group, population_status, count in beneficiaries:
        Beneficiaries.objects.create(
            activity=activity, sex=sex, age_group=age_group, population_status=population_status, count=count
        )
    rollups_add(keyed_by=KEYED_BY, ids=[activity.pk])
    return activity


def make_training(organisation, area, *, start: datetime.date = JAN, participants=(), **options) -> Training:
    activity = make_activity(organisation, area, "training", start=start, **options)
    training = Training.objects.create(activity=activity, topic="Principes directeurs", place="Sévaré")
    for category, sex, count in participants:
        TrainingParticipants.objects.create(training=training, category=category, sex=sex, count=count)
    return training


def make_programme(code: str, lead, *, partners=(), areas=()) -> Programme:
    programme = Programme.objects.create(
        code=code,
        name=f"Programme {code}",
        lead_organisation=lead,
        start_date=datetime.date(YEAR - 1, 1, 1),
        end_date=datetime.date(YEAR + 1, 12, 31),
    )
    programme.implementing_partners.set(partners)
    programme.areas.set(areas)
    return programme


def make_framework(owner, *, code: str = "FW", programme=None, start=None, end=None) -> ResultsFramework:
    return ResultsFramework.objects.create(
        code=code,
        name=f"Cadre {code}",
        owner_organisation=owner,
        programme=programme,
        start_date=start or datetime.date(YEAR, 1, 1),
        end_date=end or datetime.date(YEAR, 12, 31),
    )


def make_tree(framework) -> tuple[ResultNode, ResultNode, ResultNode]:
    objective = ResultNode.objects.create(
        framework=framework, level=NodeLevel.OBJECTIVE, code="OS1", title_fr="Objectif"
    )
    outcome = ResultNode.objects.create(
        framework=framework, level=NodeLevel.OUTCOME, code="R1", title_fr="Effet", parent=objective
    )
    output = ResultNode.objects.create(
        framework=framework, level=NodeLevel.OUTPUT, code="P1", title_fr="Produit", parent=outcome
    )
    return objective, outcome, output


def make_indicator(
    framework,
    node,
    code: str,
    computation: dict | None = None,
    *,
    unit: str = "number",
    disaggregations=(),
    targets=(),
) -> Indicator:
    indicator = Indicator.objects.create(
        framework=framework,
        node=node,
        code=code,
        name_fr=f"Indicateur {code}",
        unit=unit,
        source="computed" if computation else "manual",
        computation=computation or {},
        disaggregations=list(disaggregations),
    )
    for start, end, value in targets:
        IndicatorTarget.objects.create(indicator=indicator, period_start=start, period_end=end, value=value)
    return indicator
