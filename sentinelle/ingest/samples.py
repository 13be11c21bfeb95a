"""Realistic sample import files: the template's columns filled with plausible, valid, fictitious rows.

Used by the tests (a few rows), by the lead's 1,000-row try and by the benchmark (10,000 rows and more).
Places are communes (or cercles) of the default COD version, so the rows validate against the database
they are generated for. Deterministic for a given seed.
"""

import datetime
import random
from pathlib import Path

from django.utils import timezone

from sentinelle.geography.models import AdminArea
from sentinelle.geography.selectors import cod_version_default
from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.workbooks import template_csv, template_xlsx

CATEGORY_WEIGHTS = {
    "life": 20,
    "integrity": 15,
    "property": 15,
    "liberty": 12,
    "movement": 10,
    "child_rights": 6,
    "explosive": 6,
    "gbv": 6,
    "access": 4,
    "documentation": 3,
    "cohesion": 3,
}
SUMMARIES = {
    "life": "Des civils tués lors d'une attaque armée sur la route du marché.",
    "integrity": "Des personnes battues et menacées lors d'un contrôle par des hommes armés.",
    "property": "Bétail emporté et greniers incendiés lors d'une incursion nocturne.",
    "liberty": "Enlèvement de plusieurs personnes sur l'axe routier, libérées contre rançon.",
    "movement": "Des ménages ont fui le village après des menaces répétées.",
    "child_rights": "Des enfants victimes lors d'une attaque contre le village.",
    "explosive": "Un véhicule a sauté sur un engin explosif sur la piste.",
    "gbv": "Une survivante de violence prise en charge par les services.",
    "access": "Un convoi humanitaire empêché d'accéder à la commune.",
    "documentation": "Des déplacés sans acte de naissance pour leurs enfants.",
    "cohesion": "Conflit entre agriculteurs et éleveurs autour d'un point d'eau.",
}
PERPETRATORS = {
    "life": ["nsag", "nsag", "militia", "state_forces", "unknown"],
    "integrity": ["nsag", "state_forces", "militia", "criminal"],
    "property": ["criminal", "nsag", "militia"],
    "liberty": ["nsag", "criminal", "state_forces"],
    "movement": ["nsag", "militia"],
    "child_rights": ["nsag", "militia"],
    "explosive": ["unknown", "nsag"],
    "gbv": ["family", "nsag", "criminal", "unknown"],
    "access": ["nsag", "state_forces"],
    "documentation": ["other", "unknown"],
    "cohesion": ["militia", "other"],
}
SOURCES = [
    "monitoring_interview",
    "community_focal_point",
    "service_provider",
    "protection_monitoring",
    "media",
]
AGE_BY_YEARS = ((5, "0_5"), (11, "6_11"), (17, "12_17"), (59, "18_59"))


def _age_group(age: int) -> str:
    return next((group for limit, group in AGE_BY_YEARS if age <= limit), "60_plus")


def _places() -> list[tuple[AdminArea, AdminArea | None, AdminArea | None]]:
    """(area, its cercle, its region) for the communes of the default version, else its cercles."""
    version = cod_version_default()
    if version is None:
        raise ValueError("No default COD version: load the geography first (load_geography).")
    areas = {
        area.pk: area
        for area in AdminArea.objects.filter(version=version, level__in=(1, 2, 3)).only(
            "id", "pcode", "level", "parent_id", "name_fr"
        )
    }
    deepest = [area for area in areas.values() if area.level == 3] or [
        area for area in areas.values() if area.level == 2
    ]
    if not deepest:
        raise ValueError("The default COD version has no cercle: load the geography first.")
    places = []
    for area in sorted(deepest, key=lambda a: a.pcode):
        parent = areas.get(area.parent_id)
        grandparent = areas.get(parent.parent_id) if parent is not None else None
        places.append((area, parent, grandparent))
    return places


def _victims(random_, row: dict, category: str) -> None:
    def add(outcome, sex, age, count):
        key = f"victims_{outcome}_{sex}_{age}"
        row[key] = row.get(key, 0) + count

    if category == "life":
        add("killed", "m", "18_59", random_.randint(1, 4))
        if random_.random() < 0.3:
            add("injured", "f", "18_59", random_.randint(1, 3))
    elif category in ("integrity", "liberty", "property"):
        add(
            "affected",
            random_.choice("fm"),
            random_.choice(["18_59", "60_plus", "12_17"]),
            random_.randint(1, 6),
        )
    elif category == "child_rights":
        violation = random_.choice(["killing", "maiming", "recruitment", "abduction"])
        outcome = {"killing": "killed", "maiming": "injured"}.get(violation, "affected")
        add(outcome, random_.choice("fm"), random_.choice(["6_11", "12_17"]), random_.randint(1, 3))
        row["mrm_violations"] = violation
        row["mrm_party"] = "nsag"
        row["mrm_verification"] = random_.choice(["pending", "verified"])
    elif category == "explosive":
        add("killed", "m", "18_59", random_.randint(0, 2) or 1)
        if random_.random() < 0.5:
            add("injured", random_.choice("fm"), random_.choice(["12_17", "18_59"]), random_.randint(1, 2))
        row["eo_device"] = random_.choice(["ied", "ied", "erw", "landmine"])
        row["eo_activity"] = random_.choice(["travelling", "farming", "herding"])
    elif category == "gbv":
        age = random_.randint(13, 45)
        row["gbv_survivor_sex"] = "f"
        row["gbv_survivor_age"] = age
        row["gbv_type"] = random_.choice(["rape", "sexual_assault", "physical_assault", "forced_marriage"])
        row["gbv_consent"] = "oui"
        add("affected", "f", _age_group(age), 1)
    elif category == "movement":
        households = random_.randint(5, 120)
        row["displaced_households"] = households
        row["displaced_individuals"] = households * random_.randint(4, 8)


def incident_rows(count: int, *, seed: int = 1, with_ids: bool = True) -> list[dict]:
    random_ = random.Random(seed)
    places = _places()
    today = timezone.localdate()
    categories = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    rows = []
    for number in range(1, count + 1):
        category = random_.choices(categories, weights)[0]
        area, cercle, _region = random_.choice(places)
        start = today - datetime.timedelta(days=random_.randint(3, 365))
        reported = min(today, start + datetime.timedelta(days=random_.randint(0, 10)))
        row = {
            "source_id": f"EX{seed}-{number:06d}" if with_ids else "",
            "date_start": start.strftime("%d/%m/%Y") if number % 3 == 0 else start,
            "date_reported": reported,
            "categories": category,
            "perpetrator_category": random_.choice(PERPETRATORS[category]),
            "source_mechanism": "gbvims" if category == "gbv" else random_.choice(SOURCES),
            "reliability": random_.choice("abcf"),
            "summary": SUMMARIES[category],
        }
        if area.level == 3:
            row["adm2_code"] = cercle.pcode if cercle is not None else None
            # Some rows name the commune instead of coding it (found within its cercle).
            row["adm3_name" if number % 5 == 0 else "adm3_code"] = (
                area.name_fr if number % 5 == 0 else area.pcode
            )
        else:
            row["adm2_code"] = area.pcode
            row["adm1_code"] = cercle.pcode if cercle is not None else None
        _victims(random_, row, category)
        rows.append(row)
    return rows


SAMPLERS = {"incidents": incident_rows}


def write_sample(kind_code: str, count: int, path: Path, *, seed: int = 1, with_ids: bool = True) -> Path:
    kind = get_kind(kind_code)
    if kind.code not in SAMPLERS:
        raise LookupError(f"No sample generator for {kind.code}.")
    rows = SAMPLERS[kind.code](count, seed=seed, with_ids=with_ids)
    path = Path(path)
    content = template_csv(kind, rows) if path.suffix.lower() == ".csv" else template_xlsx(kind, rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path
