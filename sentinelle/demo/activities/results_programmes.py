"""Demo data of PROTECT's expected results (seed 000) and PROSMED's four results with the indicators of
its October-December 2023 quarterly report (seed 004)."""

from sentinelle.demo.activities.results_cluster import (
    ADULTS,
    CHILDREN,
    REFERRED_MANAGED,
    WHOLE,
    D,
    _ratio,
    _value,
)

PROTECT_OBJECTIVE = (
    "Renforcer les services de protection en faveur des victimes de violences et contribuer au renforcement "
    "de l'environnement protecteur au Mali."
)
PROTECT_EFFECTS = [
    (
        "E1",
        "Les pouvoirs publics se sont dotés d'un cadre législatif et réglementaire ainsi que de moyens "
        "humains et financiers permettant un système intégré et fonctionnel de protection de la population.",
        [
            (
                "R1",
                "Le Mali se dote des bases légales (loi sur la protection, loi sur les VBG) pour assumer la "
                "protection et son financement.",
            ),
            (
                "R2",
                "Un système de gouvernance de la protection permet aux collectivités territoriales de "
                "délivrer certains services (état civil, éducation, santé, soutien psychosocial).",
            ),
            (
                "R3",
                "Les pouvoirs publics et les acteurs de la protection ont accès à des connaissances et leurs "
                "capacités de monitoring sont renforcées.",
            ),
        ],
    ),
    (
        "E2",
        "Les collectivités territoriales et les services techniques déconcentrés, avec les organisations "
        "spécialisées et les communautés, ont renforcé la prévention et la réponse aux violations "
        "des droits.",
        [
            (
                "R4",
                "Les collectivités territoriales sont dotées de services et de moyens pour prévenir les "
                "violations et répondre à leurs conséquences.",
            ),
            (
                "R5",
                "Les communautés bien informées mènent des actions de prévention et de réponse pour les plus "
                "vulnérables.",
            ),
        ],
    ),
]
YEARLY = "yearly"  # a yearly target, seeded as four quarterly ones (a quarter's report has its own)
# node -> [(code, name, unit, computation, disaggregations, baseline, (kind, target), manual value)]
PROTECT_INDICATORS = {
    "R1": [
        (
            "P.1.1",
            "Nombre de textes de loi relatifs à la protection adoptés (loi sur la protection, loi VBG)",
            "number",
            None,
            [],
            0,
            (WHOLE, 2),
            0,
        ),
    ],
    "R2": [
        (
            "P.2.1",
            "Nombre d'enfants ayant obtenu un acte de naissance (bénéficiaires de la documentation civile)",
            "number",
            _value(
                "activities", "people_reached", True, activity_type="civil_documentation", age_group=CHILDREN
            ),
            ["sex", "area"],
            102000,
            None,
            None,
        ),
        (
            "P.2.2",
            "Nombre d'adultes ayant obtenu un document d'identité (bénéficiaires de la documentation civile)",
            "number",
            _value(
                "activities", "people_reached", True, activity_type="civil_documentation", age_group=ADULTS
            ),
            ["sex", "area"],
            42000,
            None,
            None,
        ),
    ],
    "R3": [
        (
            "P.3.1",
            "Nombre de cas de protection gérés (200 par mois en moyenne)",
            "number",
            _value("cases", context=True),
            ["sex", "age", "area"],
            2400,
            (YEARLY, 2400),
            None,
        ),
        (
            "P.3.2",
            "Pourcentage des cas référés pris en charge (référencements achevés sur référencements faits)",
            "percentage",
            _ratio(*REFERRED_MANAGED, context=True),
            ["area"],
            40,
            (WHOLE, 40),
            None,
        ),
        (
            "P.3.3",
            "Nombre d'acteurs de la protection formés, par sexe",
            "number",
            _value("trainings", "participants", True),
            ["sex", "area"],
            None,
            None,
            None,
        ),
    ],
    "R4": [
        (
            "P.4.1",
            "Nombre de survivantes de VBG ayant reçu un soutien psychosocial (référencements PSS achevés "
            "sur les cas VBG)",
            "number",
            _value("referrals", "count", True, service_type="pss", status="completed", case_type="gbv"),
            ["sex", "age", "area"],
            3400,
            (YEARLY, 3400),
            None,
        ),
        (
            "P.4.2",
            "Nombre d'enfants ayant reçu un soutien psychosocial (référencements PSS achevés sur les cas de "
            "protection de l'enfant)",
            "number",
            _value(
                "referrals",
                "count",
                True,
                service_type="pss",
                status="completed",
                case_type="child_protection",
            ),
            ["sex", "area"],
            2000,
            (YEARLY, 2000),
            None,
        ),
    ],
    "R5": [
        (
            "P.5.1",
            "Nombre de personnes sensibilisées par les actions communautaires",
            "number",
            _value("activities", "people_reached", True, activity_type="awareness"),
            ["sex", "age", "area", "population_status"],
            None,
            None,
            None,
        ),
        (
            "P.5.2",
            "Nombre de personnes déplacées internes ayant reçu une assistance (cash ou IPA)",
            "number",
            _value("activities", "people_reached", True, activity_type="cash_ipa", population_status="idp"),
            ["sex", "area"],
            22500,
            None,
            None,
        ),
    ],
}

# Quarterly targets the seed does not give, for the demo's quarterly reports (illustrative, at the scale
# of the demo's 4W data): indicator code -> target per quarter.
PROTECT_QUARTER_TARGETS = {"P.2.1": 900, "P.2.2": 300, "P.3.3": 90, "P.5.1": 3000, "P.5.2": 600}

# --- PROSMED (seed 004) -----------------------------------------------------------------------------

PROSMED_OBJECTIVE = (
    "Appuyer les populations maliennes afin d'améliorer leur résilience face aux dynamiques de conflits et "
    "leur permettre de vivre dans un environnement sécurisé et respectueux de l'État de droit."
)
PROSMED_RESULTS = [
    (
        "R1",
        "Les populations bénéficient d'infrastructures de paix et de mécanismes de prévention et gestion des "
        "conflits efficaces, inclusifs et accessibles à toutes et tous.",
    ),
    (
        "R2",
        "Les populations, notamment les femmes et les filles survivantes de VBG, ont un accès effectif à des "
        "services de sécurité, de justice et des institutions des droits de l'homme plus représentatifs, "
        "efficaces, inclusifs, redevables.",
    ),
    (
        "R3",
        "La corruption au sein des services publics, en particulier de sécurité et de justice, est diminuée "
        "grâce aux efforts de prévention et de répression.",
    ),
    (
        "R4",
        "Les communautés sont plus résilientes face aux discours de radicalisation et d'extrémisme violent.",
    ),
]
Q4_2023 = (D(2023, 10, 1), D(2023, 12, 31))
PROSMED_REPORT = "Rapport trimestriel PROSMED, octobre-décembre 2023"
# Targets for Q4 2023: the seed's report gives none; illustrative ones, close to its results, so that the
# demo report shows achievement and traffic lights (indicator code -> target for the quarter).
PROSMED_Q4_2023_TARGETS = {
    "PM.1.1": 10,
    "PM.1.2": 900,
    "PM.1.3": 30,
    "PM.2.1": 40,
    "PM.2.2": 25,
    "PM.2.3": 4,
    "PM.2.4": 25,
    "PM.3.1": 1,
    "PM.4.1": 250,
    "PM.4.2": 100,
    "PM.4.3": 200,
}
# node -> [(code, name, unit, computation, disaggregations, baseline (report figure), Q4 2023 manual value)]
PROSMED_INDICATORS = {
    "R1": [
        ("PM.1.1", "Nombre d'infrastructures de paix réalisées", "number", None, [], None, 8),
        (
            "PM.1.2",
            "Nombre de personnes sensibilisées sur la gestion des conflits fonciers",
            "number",
            _value("activities", "people_reached", activity_type="awareness", programme="PROSMED"),
            ["sex", "age", "area"],
            872,
            None,
        ),
        (
            "PM.1.3",
            "Nombre d'acteurs de justice et membres des commissions foncières formés",
            "number",
            None,
            [],
            None,
            26,
        ),
    ],
    "R2": [
        (
            "PM.2.1",
            "Nombre de magistrats formés",
            "number",
            _value("trainings", "participants", category="magistrate", programme="PROSMED"),
            ["sex", "area"],
            41,
            None,
        ),
        (
            "PM.2.2",
            "Nombre d'agents et officiers de police judiciaire formés",
            "number",
            _value("trainings", "participants", category="police", programme="PROSMED"),
            ["sex", "area"],
            25,
            None,
        ),
        (
            "PM.2.3",
            "Nombre d'infrastructures de sécurité construites ou réhabilitées",
            "number",
            _value("activities", "count", activity_type="rehabilitation", programme="PROSMED"),
            ["area"],
            14,
            None,
        ),
        (
            "PM.2.4",
            "Nombre d'activités de rapprochement entre populations et forces de sécurité",
            "number",
            None,
            [],
            None,
            27,
        ),
    ],
    "R3": [
        (
            "PM.3.1",
            "Stratégie nationale de lutte contre la corruption lancée et comité de pilotage en place "
            "(1 = oui)",
            "number",
            None,
            [],
            None,
            1,
        ),
    ],
    "R4": [
        (
            "PM.4.1",
            "Nombre d'élèves ayant participé au concours d'innovation sur la prévention de l'extrémisme "
            "violent",
            "number",
            None,
            [],
            None,
            272,
        ),
        (
            "PM.4.2",
            "Nombre d'acteurs religieux réunis dans les comités locaux d'orientation",
            "number",
            None,
            [],
            None,
            83,
        ),
        (
            "PM.4.3",
            "Nombre de jeunes et de femmes ayant participé aux cadres d'échange avec les autorités",
            "number",
            None,
            [],
            None,
            207,
        ),
    ],
}
