"""Demo data of the Protection Cluster strategy 2020-2022 (seed 002, targets from seed 003 annex I), and
the small builders of declared computations the programme frameworks share (results_programmes.py)."""

import datetime

D = datetime.date
CHILDREN = ["0_5", "6_11", "12_17"]
ADULTS = ["18_59", "60_plus"]
DEMO_EVIDENCE = "Valeur de démonstration (données fictives) — "


def _value(dataset: str, measure: str | None = None, context: bool = False, **filters) -> dict:
    spec = {"kind": "value", "dataset": dataset}
    if measure:
        spec["measure"] = measure
    if filters:
        spec["filters"] = filters
    if context:
        spec["context"] = {"programme_partners": True, "programme_areas": True}
    return spec


def _ratio(numerator: dict, denominator: dict, *, context: bool = False) -> dict:
    spec = {"kind": "ratio", "numerator": numerator, "denominator": denominator, "scale": 100}
    if context:
        spec["context"] = {"programme_partners": True, "programme_areas": True}
    return spec


REFERRED_MANAGED = (_value("referrals", status="completed"), _value("referrals"))

# --- Cluster strategy 2020-2022 (seed 002), targets from seed 003 annex I ---------------------------

CLUSTER_PERIOD = (D(2020, 1, 1), D(2022, 12, 31))
CLUSTER_OBJECTIVES = [
    (
        "OS1",
        "Assurer et coordonner une collecte de données de qualité afin de produire une analyse adéquate et "
        "représentative de la situation de protection des populations affectées.",
        [
            (
                "1.1",
                "Un système inter-agences de monitoring et d'analyse de la situation de protection est "
                "créé et rattaché au CP.",
            ),
            (
                "1.2",
                "La situation et les besoins de protection sont évalués et un partage d'information de "
                "qualité est assuré, via des analyses de protection validées et disséminées.",
            ),
            (
                "1.3",
                "Un mécanisme de suivi des mouvements de population opérationnel permettant le profilage "
                "des personnes déplacées est assuré.",
            ),
            (
                "1.4",
                "La coordination entre les mécanismes de collecte et de rapportage (monitoring de "
                "protection, GBVIMS, MRM, LAMH, conflits communautaires) est renforcée.",
            ),
        ],
    ),
    (
        "OS2",
        "Contribuer à la réduction des vulnérabilités et au renforcement de la résilience des populations "
        "exposées aux risques de protection, par la prévention, la cohésion sociale et la protection à base "
        "communautaire.",
        [
            (
                "2.1",
                "Des activités de prévention et de sensibilisation aux risques de protection sont mises "
                "en œuvre.",
            ),
            (
                "2.2",
                "Des programmes de cohésion sociale, de prévention des conflits et de protection à base "
                "communautaire sont conçus avec les autorités et les structures communautaires.",
            ),
            (
                "2.3",
                "La préparation et la planification d'urgence en prévision des futurs chocs de protection "
                "sont renforcées.",
            ),
        ],
    ),
    (
        "OS3",
        "Renforcer la coordination des interventions de réponse et les capacités des acteurs pour améliorer "
        "la qualité et la couverture géographique des services de protection.",
        [
            (
                "3.1",
                "La coordination des interventions de réponse est renforcée via la mise à jour de la "
                "cartographie des acteurs de protection.",
            ),
            (
                "3.2",
                "Les personnes en besoin de protection sont identifiées, assistées et référées grâce à "
                "une cartographie des services et un système de référencement harmonisé.",
            ),
            (
                "3.3",
                "Les services de prise en charge médicale, psychosociale, juridique et judiciaire, "
                "économique, sécuritaire sont mis en place et renforcés.",
            ),
        ],
    ),
    (
        "OS4",
        "Renforcer le cadre juridique et opérationnel de la protection dans l'action humanitaire.",
        [
            (
                "4.1",
                "Une expertise technique est fournie aux législateurs et décideurs et des formations sont "
                "organisées pour que les autorités remplissent leurs obligations de protection.",
            ),
            ("4.2", "La transversalité de la protection est assurée dans tous les secteurs."),
            (
                "4.3",
                "Les capacités des acteurs humanitaires, des autorités, de la société civile et des "
                "communautés sont renforcées en protection.",
            ),
            (
                "4.4",
                "Les mécanismes de coordination de protection au niveau national et sous-national sont "
                "soutenus.",
            ),
            (
                "4.5",
                "Le plaidoyer est effectué pour une mobilisation accrue des ressources pour la protection.",
            ),
        ],
    ),
]
WHOLE = "whole"  # the target covers the framework's whole period
# node code -> [(indicator code, name, unit, computation or None, disaggregations, target, manual value)]
CLUSTER_INDICATORS = {
    "1.1": [
        (
            "1.1.a",
            "Nombre d'incidents de protection documentés (doublons liés comptés une fois)",
            "number",
            _value("incidents"),
            ["area"],
            None,
            None,
        ),
        (
            "1.1.b",
            "Nombre de structures de protection utilisant les outils de collecte harmonisés et "
            "partageant leurs données chaque mois",
            "number",
            None,
            [],
            None,
            14,
        ),
    ],
    "1.2": [
        (
            "1.2.a",
            "Nombre de rapports d'analyse de protection produits et partagés",
            "number",
            None,
            [],
            None,
            30,
        ),
    ],
    "1.3": [
        (
            "1.3.a",
            "Pourcentage des PDI identifiées et volontaires au retour bénéficiant d'un accompagnement",
            "percentage",
            None,
            [],
            75,
            48,
        ),
    ],
    "1.4": [
        (
            "1.4.a",
            "Nombre de violations graves contre les enfants documentées (règles MRM)",
            "number",
            _value("grave_violations"),
            ["sex", "area"],
            None,
            None,
        ),
        (
            "1.4.b",
            "Nombre d'incidents de VBG rapportés avec le consentement des survivantes",
            "number",
            _value("gbv_incidents"),
            ["sex", "age", "area"],
            None,
            None,
        ),
    ],
    "2.1": [
        (
            "2.1.a",
            "Nombre de personnes sensibilisées aux risques de protection (dont risques des engins explosifs)",
            "number",
            _value("activities", "people_reached", activity_type="awareness"),
            ["sex", "age", "area", "population_status"],
            100000,
            None,
        ),
        (
            "2.1.b",
            "Pourcentage de localités ciblées menant des actions de proximité de prévention",
            "percentage",
            None,
            [],
            60,
            52,
        ),
        (
            "2.1.c",
            "Nombre de victimes d'engins explosifs (tués et blessés)",
            "number",
            _value("eo_casualties"),
            ["sex", "age", "area"],
            None,
            None,
        ),
    ],
    "2.2": [
        (
            "2.2.a",
            "Nombre de mécanismes communautaires de protection appuyés",
            "number",
            _value("activities", "count", activity_type="community_mechanism"),
            ["area"],
            None,
            None,
        ),
        (
            "2.2.b",
            "Pourcentage de localités ciblées ayant au moins un mécanisme communautaire de protection",
            "percentage",
            None,
            [],
            65,
            41,
        ),
    ],
    "2.3": [
        (
            "2.3.a",
            "Nombre de plans de contingence de protection élaborés avec les autorités locales",
            "number",
            None,
            [],
            None,
            3,
        ),
    ],
    "3.1": [
        (
            "3.1.a",
            "Nombre de publications mensuelles de la cartographie des acteurs (4W)",
            "number",
            None,
            [],
            None,
            24,
        ),
    ],
    "3.2": [
        (
            "3.2.a",
            "Pourcentage des cas référés ayant reçu le service (référencements achevés sur référencements "
            "faits)",
            "percentage",
            _ratio(*REFERRED_MANAGED),
            ["sex", "area"],
            100,
            None,
        ),
        (
            "3.2.b",
            "Nombre de cas de protection identifiés et enregistrés",
            "number",
            _value("cases"),
            ["sex", "age", "area"],
            None,
            None,
        ),
    ],
    "3.3": [
        (
            "3.3.a",
            "Nombre de survivantes de VBG ayant reçu un soutien psychosocial (référencements PSS achevés "
            "sur les cas VBG)",
            "number",
            _value("referrals", "count", service_type="pss", status="completed", case_type="gbv"),
            ["sex", "age", "area"],
            None,
            None,
        ),
        (
            "3.3.b",
            "Nombre de personnes ayant reçu une assistance juridique",
            "number",
            _value("activities", "people_reached", activity_type="legal_assistance"),
            ["sex", "age", "area"],
            None,
            None,
        ),
    ],
    "4.1": [
        (
            "4.1.a",
            "Nombre de formations des autorités locales sur les principes directeurs et la Convention de "
            "Kampala",
            "number",
            _value("trainings", "count", category="local_authority"),
            ["area"],
            None,
            None,
        ),
        (
            "4.1.b",
            "Nombre d'acteurs étatiques formés (magistrats, forces de sécurité, autorités locales)",
            "number",
            _value(
                "trainings",
                "participants",
                category=["magistrate", "police", "armed_forces", "local_authority"],
            ),
            ["sex", "area"],
            None,
            None,
        ),
    ],
    "4.2": [
        (
            "4.2.a",
            "Nombre de points focaux protection transversale actifs dans les secteurs",
            "number",
            None,
            [],
            None,
            12,
        ),
    ],
    "4.3": [
        (
            "4.3.a",
            "Nombre de personnes formées en protection",
            "number",
            _value("trainings", "participants"),
            ["sex", "area"],
            None,
            None,
        ),
    ],
    "4.4": [
        (
            "4.4.a",
            "Nombre de réunions de coordination de protection tenues",
            "number",
            _value("activities", "count", activity_type="coordination"),
            ["area"],
            None,
            None,
        ),
    ],
    "4.5": [
        ("4.5.a", "Nombre de documents de plaidoyer publiés", "number", None, [], None, 6),
    ],
}

# --- PROTECT (seed 000) -----------------------------------------------------------------------------
