"""Demo of the reports: last month's monthly protection analysis, the PROSMED quarterly report
(October-December 2023, seed 004) and PROTECT's for the last quarter, each generated, given a narrative
and published. Idempotent: a report that already has a published version is left as it is."""

from django.utils import timezone

from sentinelle.reports import quarterly
from sentinelle.reports.analysis import previous_month
from sentinelle.reports.models import Report, ReportKind

MONTHLY_NARRATIVE = {
    "context": (
        "La situation sécuritaire reste volatile dans le centre du pays, en particulier dans les régions de "
        "Mopti et de Ségou, où les opérations militaires et les attaques de groupes armés non étatiques "
        "entraînent de nouveaux déplacements."
    ),
    "threats": (
        "Les atteintes au droit à la vie et à l'intégrité physique demeurent les violations les plus "
        "rapportées ; les engins explosifs improvisés continuent de toucher des civils sur les axes routiers."
    ),
    "effects": (
        "Les femmes et les enfants déplacés restent exposés aux violences basées sur le genre ; les "
        "survivantes ont été orientées vers les services de santé et de soutien psychosocial."
    ),
    "capacities": (
        "Les partenaires ont poursuivi les sensibilisations, la documentation civile et le référencement des "
        "cas ; l'accès reste limité dans plusieurs cercles."
    ),
}
PROSMED_OVERVIEW = (
    "Au cours du trimestre, le PROSMED a poursuivi le renforcement des infrastructures de paix, de la chaîne "
    "pénale et de la prévention de l'extrémisme violent dans ses cercles d'intervention."
)

PROTECT_OVERVIEW = (
    "Au cours du trimestre, les partenaires de PROTECT ont poursuivi les sensibilisations, le soutien "
    "psychosocial et la documentation civile ; les valeurs sont calculées à partir des 4W validés."
)


def _actor():
    from sentinelle.accounts.models import User

    return User.objects.filter(username="imo").first()


def seed(*, stdout, style) -> None:
    from sentinelle.reports import services

    actor = _actor()
    if actor is None:
        stdout.write(style.WARNING("Reports: no demo IMO account; skipped."))
        return
    start, end = previous_month(timezone.localdate())
    monthly = Report.objects.filter(
        kind=ReportKind.MONTHLY_ANALYSIS, period_start=start, period_end=end, area=None
    ).first()
    if monthly is None or not monthly.is_published:
        monthly = services.report_generate(
            actor=actor, kind=ReportKind.MONTHLY_ANALYSIS, period_start=start, period_end=end
        )
        narrative = dict(monthly.current_version.narrative)
        for key, text in MONTHLY_NARRATIVE.items():
            narrative[key] = f"{narrative.get(key, '')}\n\n{text}".strip()
        services.report_narrative_update(actor=actor, report=monthly, narrative=narrative)
        services.report_publish(actor=actor, report=monthly)
        stdout.write(style.SUCCESS(f"Reports: published {monthly.title}."))
    previous = quarterly.previous_quarter(timezone.localdate())
    # PROSMED as in seed 004 (October-December 2023, its manual values); PROTECT for the last quarter
    # (computed from the 4W, with the women / men split).
    for code, (year, number), overview in (
        ("PROSMED", (2023, 4), PROSMED_OVERVIEW),
        ("PROTECT", previous, PROTECT_OVERVIEW),
    ):
        _quarterly(actor, code, year, number, overview, stdout=stdout, style=style)


def _quarterly(actor, code, year, number, overview, *, stdout, style) -> None:
    from sentinelle.activities.models import ResultsFramework
    from sentinelle.reports import services

    framework = ResultsFramework.objects.filter(code=code).first()
    if framework is None:
        stdout.write(style.WARNING(f"Reports: no {code} results framework (activities demo); skipped."))
        return
    start, end = quarterly.quarter_bounds(year, number)
    report = Report.objects.filter(
        kind=ReportKind.PROGRAMME_QUARTERLY, framework=framework, period_start=start, period_end=end
    ).first()
    if report is not None and report.is_published:
        return
    report = services.report_generate(
        actor=actor,
        kind=ReportKind.PROGRAMME_QUARTERLY,
        period_start=start,
        period_end=end,
        framework=framework,
    )
    narrative = dict(report.current_version.narrative)
    narrative["overview"] = overview
    services.report_narrative_update(actor=actor, report=report, narrative=narrative)
    services.report_publish(actor=actor, report=report)
    stdout.write(style.SUCCESS(f"Reports: published {report.title}."))
