"""Demo programmes from the seed documents, and a few projects per demo organisation.

PROTECT (seed 000): DDC (Swiss cooperation) with USAID and the Netherlands, included by ECHO in its HIP
2023; CHF 11,270,000 (Swiss budget of the current phase), 01.03.2021 - 31.07.2033; consortium Helvetas,
HI, AMSS, DRC, NRC, FEDE, CISP; regions of Sikasso, Mopti and Tombouctou.
REVIVRE 2 (seed 001): DRC with a Swiss contribution (and ECHO co-financing of its emergency component);
CHF 840,000, 01.03.2022 - 31.05.2023; Koro and Douentza (Mopti).
PROSMED (seed 004): UNDP, UN Women and UNODC with the Netherlands, Denmark, Swiss cooperation and the
Peacebuilding Fund; 22 cercles (Kayes to Mopti). The seed gives neither its budget nor its dates: the
budget stays empty and the period (2021-2024) is an assumption of the demo.
Idempotent: programmes and projects are found by code; a second run changes nothing.
"""

import datetime
from decimal import Decimal

from sentinelle.accounts.models import Organisation, OrganisationType
from sentinelle.activities.models import Programme, Project
from sentinelle.geography.models import AdminArea
from sentinelle.geography.selectors import cod_version_default

DONORS = [
    ("DDC", "Direction du développement et de la coopération (Coopération suisse)"),
    ("USAID", "Agence des États-Unis pour le développement international"),
    ("PAYS-BAS", "Royaume des Pays-Bas"),
    ("DANEMARK", "Royaume du Danemark"),
    ("ECHO", "Protection civile et opérations d'aide humanitaire européennes (ECHO)"),
    ("PBF", "Fonds des Nations unies pour la consolidation de la paix"),
]
AGENCIES = [
    ("PNUD", "Programme des Nations unies pour le développement"),
    ("ONU-FEMMES", "ONU Femmes"),
    ("ONUDC", "Office des Nations unies contre la drogue et le crime"),
]
# Organisations of demo/accounts.py that may be missing when this runs alone (tests).
PARTNERS = [
    ("HELVETAS", "Helvetas Swiss Intercooperation", OrganisationType.INTERNATIONAL_NGO),
    ("HI", "Humanité & Inclusion", OrganisationType.INTERNATIONAL_NGO),
    ("AMSS", "Association malienne pour la survie au Sahel", OrganisationType.NATIONAL_NGO),
    ("DRC", "Conseil danois pour les réfugiés", OrganisationType.INTERNATIONAL_NGO),
    ("NRC", "Conseil norvégien pour les réfugiés", OrganisationType.INTERNATIONAL_NGO),
    ("FEDE", "FEDE, partenaire national du consortium PROTECT", OrganisationType.NATIONAL_NGO),
    ("CISP", "Comitato Internazionale per lo Sviluppo dei Popoli", OrganisationType.INTERNATIONAL_NGO),
]

PROGRAMMES = [
    {
        "code": "PROTECT",
        "name": "Programme de renforcement de l'environnement protecteur au Mali",
        "description": (
            "Renforcer les services de protection en faveur des victimes de violences et contribuer au "
            "renforcement de l'environnement protecteur au Mali. 684 816 personnes ciblées dans les "
            "régions de Sikasso, Mopti et Tombouctou (personnes déplacées internes et communautés hôtes)."
        ),
        "lead": "HELVETAS",
        "donors": ["DDC", "USAID", "PAYS-BAS", "ECHO"],
        "partners": ["HELVETAS", "HI", "AMSS", "DRC", "NRC", "FEDE", "CISP"],
        "start": datetime.date(2021, 3, 1),
        "end": datetime.date(2033, 7, 31),
        "budget": Decimal("11270000"),
        "currency": "CHF",
        "areas": ["ML03", "ML05", "ML06"],
    },
    {
        "code": "REVIVRE2",
        "name": (
            "REVIVRE 2 - Renforcement de l'Environnement de Vie et Impact sur le Vécu et la Résilience "
            "des communautés à Mopti"
        ),
        "description": (
            "Renforcement de l'environnement protecteur des communautés impactées par les conflits dans "
            "la région de Mopti : 274 premiers répondants formés au soutien psychosocial, 4 800 enfants "
            "dans les centres communautaires de Koro et Douentza."
        ),
        "lead": "DRC",
        "donors": ["DDC", "ECHO"],
        "partners": ["DRC"],
        "start": datetime.date(2022, 3, 1),
        "end": datetime.date(2023, 5, 31),
        "budget": Decimal("840000"),
        "currency": "CHF",
        "areas": ["ML0506", "ML0507"],
    },
    {
        "code": "PROSMED",
        "name": "Programme d'appui à la stabilisation du Mali à travers le renforcement de l'État de droit",
        "description": (
            "Résilience des populations face aux conflits, redéploiement des acteurs de sécurité et de "
            "justice dans 22 cercles, prévention de la corruption et de l'extrémisme violent."
        ),
        "lead": "PNUD",
        "donors": ["PAYS-BAS", "DANEMARK", "DDC", "PBF"],
        "partners": ["PNUD", "ONU-FEMMES", "ONUDC"],
        "start": datetime.date(2021, 1, 1),
        "end": datetime.date(2024, 12, 31),
        "budget": None,
        "currency": "USD",
        "areas": ["ML01", "ML02", "ML03", "ML04", "ML05"],
    },
]

# code, organisation, programme, name, donors, start, end, budget, currency, areas
PROJECTS = [
    ("PROTECT-DRC", "DRC", "PROTECT", "Protection communautaire et gestion de cas, Mopti", ["DDC"],
     datetime.date(2023, 1, 1), datetime.date(2027, 12, 31), "1850000", "CHF",
     ["ML0501", "ML0502", "ML0506"]),
    ("REVIVRE2-DRC", "DRC", "REVIVRE2", "REVIVRE 2 : centres communautaires de Koro et Douentza",
     ["DDC", "ECHO"],
     datetime.date(2022, 3, 1), datetime.date(2023, 5, 31), "840000", "CHF", ["ML0506", "ML0507"]),
    ("DRC-URG-2026", "DRC", None, "Réponse de protection d'urgence aux déplacements, Mopti", ["ECHO"],
     datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), "1200000", "EUR", ["ML05"]),
    ("PROTECT-NRC", "NRC", "PROTECT", "Information, conseil et assistance juridique (documentation civile)",
     ["DDC"], datetime.date(2023, 1, 1), datetime.date(2027, 12, 31), "1400000", "CHF", ["ML06", "ML05"]),
    ("PROTECT-AMSS", "AMSS", "PROTECT", "Mécanismes communautaires de protection, Tombouctou et Mopti",
     ["DDC"], datetime.date(2023, 1, 1), datetime.date(2027, 12, 31), "620000000", "XOF", ["ML06", "ML0501"]),
    ("PROTECT-HI", "HI", "PROTECT", "Soutien psychosocial et inclusion des personnes handicapées, Ségou",
     ["DDC", "USAID"], datetime.date(2023, 1, 1), datetime.date(2027, 12, 31), "980000", "CHF", ["ML04"]),
    ("PROTECT-HELVETAS", "HELVETAS", "PROTECT", "Gouvernance de la protection et coordination du consortium",
     ["DDC"], datetime.date(2021, 3, 1), datetime.date(2033, 7, 31), "2100000", "CHF",
     ["ML03", "ML05", "ML06"]),
    ("PROSMED-PNUD", "PNUD", "PROSMED", "Chaîne pénale et infrastructures de paix",
     ["PAYS-BAS", "DANEMARK"], datetime.date(2021, 1, 1), datetime.date(2024, 12, 31), None, "USD",
     ["ML04", "ML05"]),
    ("PNUD-JUSTICE-2026", "PNUD", None, "Accès à la justice et formation des acteurs judiciaires",
     ["PAYS-BAS", "DDC"], datetime.date(2025, 1, 1), datetime.date(2027, 12, 31), "3500000", "USD",
     ["ML04", "ML05"]),
]  # fmt: skip


def _organisations() -> dict[str, Organisation]:
    wanted = [(a, n, OrganisationType.DONOR) for a, n in DONORS]
    wanted += [(a, n, OrganisationType.UN_AGENCY) for a, n in AGENCIES] + PARTNERS
    found = {o.acronym: o for o in Organisation.objects.filter(acronym__in=[a for a, _n, _t in wanted])}
    for acronym, name, kind in wanted:
        if acronym not in found:
            found[acronym] = Organisation.objects.create(acronym=acronym, name=name, type=kind)
    return found


def seed_programmes(*, stdout, style) -> None:
    organisations = _organisations()
    version = cod_version_default()
    areas = (
        {a.pcode: a for a in AdminArea.objects.filter(version=version).only("id", "pcode")} if version else {}
    )
    created = 0
    programmes = {p.code: p for p in Programme.objects.filter(code__in=[s["code"] for s in PROGRAMMES])}
    for spec in PROGRAMMES:
        if spec["code"] in programmes:
            continue
        programme = Programme.objects.create(
            code=spec["code"],
            name=spec["name"],
            description=spec["description"],
            lead_organisation=organisations[spec["lead"]],
            start_date=spec["start"],
            end_date=spec["end"],
            budget=spec["budget"],
            currency=spec["currency"],
        )
        programme.donors.set([organisations[a] for a in spec["donors"]])
        programme.implementing_partners.set([organisations[a] for a in spec["partners"]])
        programme.areas.set([areas[code] for code in spec["areas"] if code in areas])
        programmes[programme.code] = programme
        created += 1
    existing = set(Project.objects.filter(code__in=[p[0] for p in PROJECTS]).values_list("code", flat=True))
    projects = 0
    for code, acronym, programme, name, donors, start, end, budget, currency, pcodes in PROJECTS:
        if code in existing:
            continue
        project = Project.objects.create(
            code=code,
            name=name,
            organisation=organisations[acronym],
            programme=programmes.get(programme) if programme else None,
            start_date=start,
            end_date=end,
            budget=Decimal(budget) if budget else None,
            currency=currency,
        )
        project.donors.set([organisations[a] for a in donors])
        project.areas.set([areas[p] for p in pcodes if p in areas])
        projects += 1
    stdout.write(
        style.SUCCESS(
            f"Demo programmes: {created} programmes and {projects} projects created "
            f"({len(PROGRAMMES) - created} and {len(PROJECTS) - projects} already there)."
        )
    )
