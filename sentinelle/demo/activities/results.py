"""Demo results frameworks from the seeds, each indicator wired to a computation where Sentinelle holds
the data, and entered by hand (with its evidence) otherwise.

- CP-2020-2022: the Protection Cluster strategy 2020-2022 (seed 002: OS1 to OS4, results 1.1 to 4.5);
  targets from annex I of the earlier cluster strategy (seed 003) where it gives one (100 % of identified
  cases assisted, 65 % of localities with a community mechanism, 60 % with prevention actions, 75 % of
  IDPs wishing to return accompanied, 100,000 people reached by explosive-ordnance risk education).
- PROTECT (seed 000): objective, the two medium-term effects and the five expected results; the earlier
  results (200 cases a month, 40 % of referred cases managed, 3,400 GBV survivors and 2,000 children in
  psychosocial care a year, 102,000 birth certificates, 42,000 identity cards, 22,500 IDPs assisted) are
  the baselines, and the yearly targets keep that level, seeded a quarter at a time (a quarterly report
  sets each value against its quarter's target; a year's target is the sum of its quarters). Indicators
  the seed gives no target get illustrative quarterly ones (PROTECT_QUARTER_TARGETS).
- PROSMED (seed 004): its four results with the indicators of its October-December 2023 quarterly
  report; the report's figures are the baselines of the computed indicators and the Q4 2023 values of
  the manual ones. The seed gives no target for PROSMED: the demo sets illustrative Q4 2023 ones
  (PROSMED_Q4_2023_TARGETS).

Programmes come from programmes.py (PROTECT, REVIVRE2, PROSMED); if it has not run, they are created
with the seeds' minimal facts. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sentinelle.accounts.models import Organisation, User
from sentinelle.activities import computations
from sentinelle.activities.models import (
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    NodeLevel,
    Programme,
    ResultNode,
    ResultsFramework,
)
from sentinelle.demo.activities.results_cluster import (
    CLUSTER_INDICATORS,
    CLUSTER_OBJECTIVES,
    CLUSTER_PERIOD,
    DEMO_EVIDENCE,
    WHOLE,
    D,
)
from sentinelle.demo.activities.results_programmes import (
    PROSMED_INDICATORS,
    PROSMED_OBJECTIVE,
    PROSMED_Q4_2023_TARGETS,
    PROSMED_REPORT,
    PROSMED_RESULTS,
    PROTECT_EFFECTS,
    PROTECT_INDICATORS,
    PROTECT_OBJECTIVE,
    PROTECT_QUARTER_TARGETS,
    Q4_2023,
)

PROGRAMME_FACTS = {
    # code: (name, lead organisation acronym, start, end) — used only when programmes.py has not run.
    "PROTECT": (
        "PROTECT - Programme de renforcement de l'environnement protecteur au Mali",
        "HELVETAS",
        D(2021, 3, 1),
        D(2033, 7, 31),
    ),
    "PROSMED": (
        "PROSMED - Programme d'appui à la stabilisation du Mali à travers le renforcement de l'État de droit",
        "CLUSTER",
        D(2021, 1, 1),
        D(2025, 12, 31),
    ),
}


class _Seeder:
    def __init__(self, user):
        self.user = user
        self.created = 0

    def framework(self, code, name, owner, start, end, programme=None, description="") -> ResultsFramework:
        framework, created = ResultsFramework.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "owner_organisation": owner,
                "programme": programme,
                "start_date": start,
                "end_date": end,
                "description": description,
                "created_by": self.user,
                "updated_by": self.user,
            },
        )
        self.created += created
        return framework

    def node(self, framework, level, code, title, parent=None, order=0) -> ResultNode:
        node, created = ResultNode.objects.get_or_create(
            framework=framework,
            code=code,
            defaults={
                "level": level,
                "title_fr": title,
                "parent": parent,
                "order": order,
                "created_by": self.user,
                "updated_by": self.user,
            },
        )
        self.created += created
        return node

    def indicator(
        self,
        framework,
        node,
        code,
        name,
        unit,
        computation,
        disaggregations,
        *,
        baseline=None,
        order=0,
        verification="",
    ) -> Indicator:
        if computation:
            computations.validate_computation(
                computation, disaggregations=disaggregations, has_programme=framework.programme_id is not None
            )
        indicator, created = Indicator.objects.get_or_create(
            framework=framework,
            code=code,
            defaults={
                "node": node,
                "name_fr": name,
                "unit": unit,
                "source": "computed" if computation else "manual",
                "computation": computation or {},
                "disaggregations": disaggregations,
                "baseline": None if baseline is None else Decimal(baseline),
                "means_of_verification": verification,
                "order": order,
                "created_by": self.user,
                "updated_by": self.user,
            },
        )
        self.created += created
        return indicator

    def target(self, indicator, start, end, value) -> None:
        _target, created = IndicatorTarget.objects.get_or_create(
            indicator=indicator,
            period_start=start,
            period_end=end,
            area=None,
            defaults={"value": Decimal(value)},
        )
        self.created += created

    def manual_value(self, indicator, start, end, value, evidence) -> None:
        if indicator.values.filter(period_start=start, period_end=end).exists():
            return
        IndicatorValue.objects.create(
            indicator=indicator,
            period_start=start,
            period_end=end,
            value=Decimal(value),
            evidence=evidence,
            entered_by=self.user,
            created_by=self.user,
            updated_by=self.user,
        )
        self.created += 1


def _quarters(year: int) -> list[tuple[datetime.date, datetime.date]]:
    ends = (D(year, 3, 31), D(year, 6, 30), D(year, 9, 30), D(year, 12, 31))
    return [(D(year, 3 * number + 1, 1), end) for number, end in enumerate(ends)]


def _programme(code: str, organisations: dict) -> Programme | None:
    programme = Programme.objects.filter(code=code).first()
    if programme is not None or code not in PROGRAMME_FACTS:
        return programme
    name, lead, start, end = PROGRAMME_FACTS[code]
    if lead not in organisations:
        return None
    return Programme.objects.create(
        code=code, name=name, lead_organisation=organisations[lead], start_date=start, end_date=end
    )


def _cluster(seeder: _Seeder, cluster) -> None:
    start, end = CLUSTER_PERIOD
    framework = seeder.framework(
        "CP-2020-2022",
        "Stratégie du Cluster Protection Mali 2020-2022",
        cluster,
        start,
        end,
        description="Objectifs stratégiques et résultats de la stratégie 2020-2022 ; cibles reprises de "
        "l'annexe I de la stratégie antérieure du cluster lorsqu'elle en donne.",
    )
    for order, (os_code, os_title, results) in enumerate(CLUSTER_OBJECTIVES):
        objective = seeder.node(framework, NodeLevel.OBJECTIVE, os_code, os_title, order=order)
        for result_order, (code, title) in enumerate(results):
            result = seeder.node(
                framework, NodeLevel.OUTCOME, code, title, parent=objective, order=result_order
            )
            for number, (icode, name, unit, computation, disaggregations, target, value) in enumerate(
                CLUSTER_INDICATORS.get(code, [])
            ):
                indicator = seeder.indicator(
                    framework, result, icode, name, unit, computation, disaggregations, order=number
                )
                if target is not None:
                    seeder.target(indicator, start, end, target)
                if value is not None:
                    seeder.manual_value(
                        indicator,
                        start,
                        end,
                        value,
                        DEMO_EVIDENCE
                        + "rapport annuel d'évaluation de la stratégie (réunions trimestrielles du GCS).",
                    )


def _protect(seeder: _Seeder, programme: Programme, today: datetime.date) -> None:
    framework = seeder.framework(
        "PROTECT",
        "PROTECT - cadre de résultats",
        programme.lead_organisation,
        programme.start_date,
        programme.end_date,
        programme=programme,
        description="Effets à moyen terme et principaux résultats attendus (fiche programme DDC). Les "
        "résultats antérieurs (depuis 2017) servent de situation de référence.",
    )
    objective = seeder.node(framework, NodeLevel.OBJECTIVE, "OG", PROTECT_OBJECTIVE)
    last_year = min(programme.end_date.year, today.year + 1)
    for order, (effect_code, effect_title, results) in enumerate(PROTECT_EFFECTS):
        effect = seeder.node(
            framework, NodeLevel.OUTCOME, effect_code, effect_title, parent=objective, order=order
        )
        for result_order, (code, title) in enumerate(results):
            result = seeder.node(framework, NodeLevel.OUTPUT, code, title, parent=effect, order=result_order)
            for number, (
                icode,
                name,
                unit,
                computation,
                disaggregations,
                baseline,
                target,
                value,
            ) in enumerate(PROTECT_INDICATORS.get(code, [])):
                indicator = seeder.indicator(
                    framework,
                    result,
                    icode,
                    name,
                    unit,
                    computation,
                    disaggregations,
                    baseline=baseline,
                    order=number,
                    verification="Fiche programme PROTECT (DDC) ; dossiers de Sentinelle.",
                )
                years = range(max(programme.start_date.year, 2022), last_year + 1)
                if target is not None and target[0] == WHOLE:
                    seeder.target(indicator, programme.start_date, programme.end_date, target[1])
                elif target is not None or icode in PROTECT_QUARTER_TARGETS:
                    quarterly = Decimal(target[1]) / 4 if target else PROTECT_QUARTER_TARGETS[icode]
                    for year in years:
                        for start, end in _quarters(year):
                            seeder.target(indicator, start, end, quarterly)
                if value is not None:
                    seeder.manual_value(
                        indicator,
                        D(today.year, 1, 1),
                        D(today.year, 12, 31),
                        value,
                        DEMO_EVIDENCE + "suivi législatif du consortium PROTECT.",
                    )


def _prosmed(seeder: _Seeder, programme: Programme) -> None:
    framework = seeder.framework(
        "PROSMED",
        "PROSMED - cadre de résultats",
        programme.lead_organisation,
        programme.start_date,
        programme.end_date,
        programme=programme,
        description="Les quatre résultats du programme et les indicateurs de son rapport trimestriel.",
    )
    objective = seeder.node(framework, NodeLevel.OBJECTIVE, "OG", PROSMED_OBJECTIVE)
    for order, (code, title) in enumerate(PROSMED_RESULTS):
        result = seeder.node(framework, NodeLevel.OUTCOME, code, title, parent=objective, order=order)
        for number, (icode, name, unit, computation, disaggregations, baseline, value) in enumerate(
            PROSMED_INDICATORS.get(code, [])
        ):
            indicator = seeder.indicator(
                framework,
                result,
                icode,
                name,
                unit,
                computation,
                disaggregations,
                baseline=baseline,
                order=number,
                verification=PROSMED_REPORT,
            )
            if value is not None:
                seeder.manual_value(indicator, *Q4_2023, value, PROSMED_REPORT + ".")
            if icode in PROSMED_Q4_2023_TARGETS:
                seeder.target(indicator, *Q4_2023, PROSMED_Q4_2023_TARGETS[icode])


def seed_results(*, stdout, style) -> None:
    organisations = {org.acronym: org for org in Organisation.objects.all()}
    cluster = organisations.get("CLUSTER")
    user = User.objects.filter(username="imo").first() or User.objects.filter(is_superuser=True).first()
    if cluster is None or user is None:
        stdout.write(
            style.WARNING("Demo results frameworks: no CLUSTER organisation or imo account, skipped.")
        )
        return
    seeder = _Seeder(user)
    today = timezone.localdate()
    with transaction.atomic():
        _cluster(seeder, cluster)
        protect = _programme("PROTECT", organisations)
        if protect is not None:
            _protect(seeder, Programme.objects.get(pk=protect.pk), today)
        prosmed = _programme("PROSMED", organisations)
        if prosmed is not None:
            _prosmed(seeder, Programme.objects.get(pk=prosmed.pk))
    total = Indicator.objects.filter(framework__code__in=["CP-2020-2022", "PROTECT", "PROSMED"]).count()
    stdout.write(
        style.SUCCESS(
            f"Demo results frameworks: {seeder.created} rows created, {total} indicators in 3 frameworks."
        )
    )
