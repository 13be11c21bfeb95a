"""Demo 4W: six months of partners' monthly reports across Mopti, Ségou and Tombouctou.

The five months before the current one are validated, locked and their 4W published (so the last full
month shows a validated 4W); in the current month DRC has a draft (manager.drc can go on with it) and AMSS
a submitted report waiting for the IMO. Figures are drawn from a seeded random generator, so every run
gives the same demo; a report already there is left as it is (idempotent).
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from sentinelle.accounts.models import Organisation, User
from sentinelle.activities.models import (
    Activity,
    ActivityReport,
    Beneficiaries,
    PeriodStatus,
    Project,
    ReportingPeriod,
    ReportStatus,
    Training,
    TrainingParticipants,
)
from sentinelle.geography.models import AdminArea
from sentinelle.geography.selectors import cod_version_default

MONTHS = 6
# organisation -> (cercle P-codes, [(type, title, project code, audience)])
# audience: "children", "women", "adults", "mixed", or a training "police" / "magistrate" / "community"
PLANS = {
    "DRC": (
        ["ML0501", "ML0502", "ML0506", "ML0507"],
        [
            ("awareness", "Sensibilisation sur les risques de protection et les services disponibles",
             "PROTECT-DRC", "mixed"),
            ("pss_session", "Groupes de parole pour femmes et adolescentes", "PROTECT-DRC", "women"),
            ("cash_ipa", "Assistance individuelle de protection en espèces", "DRC-URG-2026", "adults"),
            ("community_mechanism", "Appui aux comités communautaires de protection", "PROTECT-DRC",
             "adults"),
            ("pss_session", "Espaces amis des enfants : activités récréatives et psychosociales",
             "DRC-URG-2026", "children"),
        ],
    ),
    "NRC": (
        ["ML0601", "ML0603", "ML0501"],
        [
            ("civil_documentation", "Obtention d'actes de naissance par jugement supplétif", "PROTECT-NRC",
             "children"),
            ("legal_assistance", "Conseil juridique logement, terre et biens", "PROTECT-NRC", "adults"),
            ("awareness", "Sessions d'information sur la documentation civile", "PROTECT-NRC", "mixed"),
        ],
    ),
    "AMSS": (
        ["ML0601", "ML0602", "ML0605", "ML0501"],
        [
            ("community_mechanism", "Redynamisation des réseaux communautaires de protection", "PROTECT-AMSS",
             "adults"),
            ("awareness", "Causeries sur les violences basées sur le genre", "PROTECT-AMSS", "women"),
            ("training", "Formation des relais communautaires au référencement", "PROTECT-AMSS", "community"),
            ("coordination", "Réunion du groupe de travail protection du cercle", "PROTECT-AMSS", "none"),
        ],
    ),
    "HI": (
        ["ML0402", "ML0405", "ML0407"],
        [
            ("pss_session", "Premiers secours psychologiques et suivi psychosocial", "PROTECT-HI", "mixed"),
            ("awareness", "Sensibilisation sur l'inclusion des personnes handicapées", "PROTECT-HI", "mixed"),
            ("rehabilitation", "Mise en accessibilité d'un centre de santé communautaire", "PROTECT-HI",
             "none"),
        ],
    ),
    "PNUD": (
        ["ML0501", "ML0502", "ML0505", "ML0402", "ML0404"],
        [
            ("training", "Techniques d'enquête et d'audition pour les officiers de police judiciaire",
             "PNUD-JUSTICE-2026", "police"),
            ("training", "Management des juridictions", "PNUD-JUSTICE-2026", "magistrate"),
            ("awareness", "Émissions radio sur les mécanismes de gestion des conflits fonciers",
             "PNUD-JUSTICE-2026", "mixed"),
        ],
    ),
}  # fmt: skip
CURRENT_MONTH = {"DRC": ReportStatus.DRAFT, "AMSS": ReportStatus.SUBMITTED}
USERS = {"DRC": "manager.drc", "AMSS": "monitor.amss"}
CHILD_AGES = ("0_5", "6_11", "12_17")
ADULT_AGES = ("18_59", "60_plus")


def _months(today: datetime.date) -> list[datetime.date]:
    month, months = today.replace(day=1), []
    for _index in range(MONTHS):
        months.append(month)
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return months


def _cells(rng: random.Random, audience: str) -> list[tuple[str, str, str, int]]:
    if audience in ("none", "police", "magistrate", "community"):
        return []
    ages = {"children": CHILD_AGES, "adults": ADULT_AGES, "women": ("12_17", "18_59"), "mixed": None}[
        audience
    ]
    ages = ages or (*CHILD_AGES, *ADULT_AGES)
    statuses = ["idp", "host", "idp_returnee"] if rng.random() < 0.4 else ["idp", "host"]
    cells = []
    for status in statuses:
        for sex in ("f", "m"):
            if audience == "women" and sex == "m":
                continue
            for age in ages:
                count = rng.randint(0, 40 if status == "idp" else 20)
                if count:
                    cells.append((sex, age, status, count))
    return cells


def _participants(rng: random.Random, audience: str) -> list[tuple[str, str, int]]:
    category = {"police": "police", "magistrate": "magistrate", "community": "community_focal_point"}[
        audience
    ]
    women = rng.randint(2, 8)
    return [(category, "f", women), (category, "m", rng.randint(10, 20))]


def _area_for(rng, cercle, communes):
    if communes and rng.random() < 0.6:
        return rng.choice(communes)
    return cercle


def _write_report(*, organisation, period, status, plan, places, projects, rng, today, users):
    month = period.month
    last_day = today.day if month == today.replace(day=1) else 28
    user = users.get(USERS.get(organisation.acronym, ""))
    imo = users.get("imo")
    month_end = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    submitted_at = timezone.make_aware(
        datetime.datetime.combine(month_end + datetime.timedelta(days=3), datetime.time(10))
    )
    report = ActivityReport.objects.create(
        organisation=organisation,
        period=period,
        status=status,
        created_by=user,
        updated_by=user,
        submitted_at=submitted_at if status != ReportStatus.DRAFT else None,
        submitted_by=user if status != ReportStatus.DRAFT else None,
        reviewed_at=submitted_at + datetime.timedelta(days=4) if status == ReportStatus.VALIDATED else None,
        reviewed_by=imo if status == ReportStatus.VALIDATED else None,
    )
    if status == ReportStatus.SUBMITTED:
        report.submitted_at = timezone.now()
        report.save(update_fields=["submitted_at"])
    cercles, kinds = plan
    chosen = kinds if status != ReportStatus.DRAFT else kinds[:2]
    count = 0
    for activity_type, title, project_code, audience in chosen:
        for cercle_code in rng.sample(cercles, k=min(len(cercles), rng.randint(1, 2))):
            if cercle_code not in places:
                continue
            cercle, communes = places[cercle_code]
            start = month + datetime.timedelta(days=rng.randint(0, last_day - 1))
            end = min(
                start + datetime.timedelta(days=rng.randint(0, 3)),
                month + datetime.timedelta(days=last_day - 1),
            )
            activity = Activity.objects.create(
                report=report,
                organisation=organisation,
                project=projects.get(project_code),
                activity_type=activity_type,
                title=title,
                area=_area_for(rng, cercle, communes),
                start_date=start,
                end_date=max(start, end),
                status="completed",
                quantity=rng.randint(1, 12) if activity_type != "coordination" else 1,
                source_key=f"demo-{organisation.acronym}-{month:%Y%m}-{count}",
                created_by=user,
                updated_by=user,
            )
            count += 1
            cells = _cells(rng, audience)
            if activity_type == "training":
                participants = _participants(rng, audience)
                training = Training.objects.create(
                    activity=activity,
                    topic=title,
                    place=cercle.name_fr,
                    trainers="Formateurs de l'Institut national de formation judiciaire"
                    if audience != "community"
                    else "Équipe protection AMSS",
                )
                TrainingParticipants.objects.bulk_create(
                    TrainingParticipants(training=training, category=c, sex=s, count=n)
                    for c, s, n in participants
                )
                cells = [(s, "18_59", "host", n) for _c, s, n in participants]
            Beneficiaries.objects.bulk_create(
                Beneficiaries(activity=activity, sex=s, age_group=a, population_status=p, count=n)
                for s, a, p, n in cells
            )
    return count


def seed_reporting(*, stdout, style) -> None:
    version = cod_version_default()
    if version is None:
        stdout.write(style.WARNING("Demo 4W: no default COD version, nothing created."))
        return
    pcodes = {code for cercles, _kinds in PLANS.values() for code in cercles}
    cercles = {
        a.pcode: a for a in AdminArea.objects.filter(version=version, pcode__in=pcodes).defer("geometry")
    }
    children: dict[int, list] = {}
    for commune in (
        AdminArea.objects.filter(version=version, parent__in=cercles.values())
        .defer("geometry")
        .order_by("pcode")
    ):
        children.setdefault(commune.parent_id, []).append(commune)
    places = {code: (area, children.get(area.pk, [])[:4]) for code, area in cercles.items()}
    organisations = {o.acronym: o for o in Organisation.objects.filter(acronym__in=PLANS)}
    projects = {p.code: p for p in Project.objects.all()}
    users = {u.username: u for u in User.objects.filter(username__in=[*USERS.values(), "imo"])}
    today = timezone.localdate()
    months = _months(today)
    created_reports = created_activities = 0
    with transaction.atomic():
        for month in months:
            period, _created = ReportingPeriod.objects.get_or_create(
                month=month, defaults={"deadline": month + datetime.timedelta(days=40)}
            )
            current = month == months[0]
            existing = set(period.reports.values_list("organisation__acronym", flat=True))
            for acronym, plan in PLANS.items():
                if acronym not in organisations or acronym in existing:
                    continue
                if current and acronym not in CURRENT_MONTH:
                    continue
                status = CURRENT_MONTH[acronym] if current else ReportStatus.VALIDATED
                rng = random.Random(f"sentinelle-4w-{acronym}-{month:%Y%m}")
                created_activities += _write_report(
                    organisation=organisations[acronym],
                    period=period,
                    status=status,
                    plan=plan,
                    places=places,
                    projects=projects,
                    rng=rng,
                    today=today,
                    users=users,
                )
                created_reports += 1
            if not current and not period.is_locked:
                stamp = timezone.make_aware(
                    datetime.datetime.combine(month + datetime.timedelta(days=45), datetime.time(9))
                )
                period.status = PeriodStatus.LOCKED
                period.locked_at = period.fourw_published_at = min(stamp, timezone.now())
                period.locked_by = period.fourw_published_by = users.get("imo")
                period.save()
    stdout.write(
        style.SUCCESS(
            f"Demo 4W: {created_reports} monthly reports and {created_activities} activities created "
            f"over {len(months)} months (the 5 past months locked and published)."
        )
    )
