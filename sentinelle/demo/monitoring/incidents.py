"""A year of demo incidents for `manage.py seed_demo`: realistic, deterministic, idempotent.

Mopti first (half of the country's incidents in the seeds), then Ségou, Tombouctou, Gao, the Ménaka
cercle, Kidal, Sikasso and Bamako; reported by the organisations of the seeds through their usual
sources (AMSS and DRC monitoring, UNFPA's GBVIMS, UNICEF's MRM, HI for explosive ordnance, OIM's RRM).
Written through `incident_import_many` (one bulk import per organisation), then reviewed like the IMO
and managers would. A few events are reported twice by two organisations: duplicate detection proposes
them to the IMO, one pair is linked. A second run finds the demo incidents and creates nothing.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import replace

from django.utils import timezone

from sentinelle.accounts.models import Organisation, User
from sentinelle.demo.monitoring.alerts import seed as seed_alerts
from sentinelle.geography.models import AdminArea, Settlement
from sentinelle.geography.selectors import cod_version_default
from sentinelle.monitoring.inputs import (
    CasualtyLine,
    ExplosiveDetails,
    GBVDetails,
    IncidentRow,
    VictimCell,
    ViolationLine,
    ViolationVictimCell,
)
from sentinelle.monitoring.models import DuplicateCandidate, Incident, IncidentEvent
from sentinelle.monitoring.rollups import incident_rollups_updating
from sentinelle.monitoring.services.duplicates import duplicate_link, duplicates_detect
from sentinelle.monitoring.services.incidents import incident_import_many

SEED = 20260301
DEMO_PREFIX = "demo-"
DAYS = 365

# Cercle P-codes (COD-AB 2015) and their weight: Mopti is the epicentre.
CERCLES = {
    "ML0501": 9, "ML0502": 10, "ML0503": 11, "ML0506": 12,
    "ML0507": 12, "ML0505": 5, "ML0508": 6, "ML0504": 4,
    "ML0405": 6, "ML0407": 5, "ML0404": 3, "ML0402": 2,
    "ML0601": 4, "ML0604": 4, "ML0605": 3, "ML0603": 3,
    "ML0701": 5, "ML0702": 5, "ML0703": 3,
    "ML0704": 7,
    "ML0801": 2, "ML0804": 1,
    "ML0301": 1, "ML0302": 1, "ML0305": 1,
    "ML0901": 2,
}  # fmt: skip

# acronym: (number of incidents, regions (P-code prefixes), sources, scenario weights, user or None)
ORGANISATIONS = {
    "AMSS": (110, ["ML05"], ["monitoring_interview", "community_focal_point"], "general", "monitor.amss"),
    "DRC": (140, ["ML05", "ML04", "ML07"], ["protection_monitoring", "community_focal_point"], "general",
            "manager.drc"),
    "NRC": (60, ["ML06", "ML07", "ML04"], ["monitoring_interview"], "general", None),
    "UNHCR": (60, ["ML05", "ML06", "ML07", "ML08", "ML03", "ML09"], ["protection_monitoring", "ohchr"],
              "general", None),
    "CISP": (40, ["ML07", "ML06"], ["rrm", "monitoring_interview"], "general", None),
    # GBVIMS records hold survivor details: loaded by the administrator (not the IMO, who may not).
    "UNFPA": (60, ["ML05", "ML04", "ML06", "ML07", "ML09"], ["gbvims", "service_provider"], "gbv", "admin"),
    "UNICEF": (45, ["ML05", "ML07", "ML06", "ML08"], ["mrm"], "children", None),
    "HI": (35, ["ML05", "ML07", "ML04"], ["service_provider", "community_focal_point"], "explosive", None),
    "OIM": (25, ["ML05", "ML06", "ML07"], ["rrm"], "movement", None),
}  # fmt: skip

MIXES = {
    # Protection monitoring records GBV as allegations; only GBV service providers' records have survivors.
    "general": {"attack": 30, "abduction": 14, "extortion": 16, "displacement": 12, "gbv_allegation": 8,
                "children": 5, "explosive": 4, "access": 4, "documentation": 3, "cohesion": 4},
    "gbv": {"gbv": 1},
    "children": {"children": 1},
    "explosive": {"explosive": 1},
    "movement": {"displacement": 1},
}  # fmt: skip

ARMED = ["nsag", "nsag", "nsag", "militia", "state_forces", "unknown"]
ACCOUNT = (
    "Récit confidentiel recueilli par l'équipe de monitoring auprès de témoins directs ; "
    "les noms et le lieu exact ne figurent que dans le dossier de l'organisation."
)


class _Builder:
    """Builds the demo incidents from one random generator: the same rows on every run."""

    def __init__(self, rng: random.Random, areas: dict[str, AdminArea], communes, settlements, today):
        self.rng = rng
        self.areas = areas
        self.communes = communes
        self.settlements = settlements
        self.today = today

    def place(self, regions: list[str], *, road: bool = False):
        cercles = [code for code in CERCLES if code[:4] in regions and code in self.areas]
        if road:
            cercles = [code for code in cercles if code[:4] in ("ML05", "ML07")] or cercles
        code = self.rng.choices(cercles, weights=[CERCLES[c] for c in cercles])[0]
        cercle = self.areas[code]
        communes = self.communes.get(cercle.pk, [])
        if communes and self.rng.random() < 0.75:
            commune = self.rng.choice(communes)
            places = self.settlements.get(commune.pk, [])
            settlement = self.rng.choice(places) if places and self.rng.random() < 0.4 else None
            return commune, settlement
        return cercle, None

    def dates(self, *, within: int = DAYS, delay: int = 6):
        start = self.today - datetime.timedelta(days=self.rng.randint(2, within))
        reported = min(self.today, start + datetime.timedelta(days=int(self.rng.expovariate(1 / delay))))
        return start, reported

    def people(self, outcome: str, total: int, *, adults_only: bool = False) -> list[VictimCell]:
        cells: dict[tuple[str, str], int] = defaultdict(int)
        for _ in range(total):
            sex = self.rng.choices(["m", "f", "unknown"], weights=[70, 27, 3])[0]
            groups = (
                ["18_59", "60_plus"]
                if adults_only
                else ["18_59", "18_59", "18_59", "12_17", "60_plus", "6_11"]
            )
            cells[(sex, self.rng.choice(groups))] += 1
        return [VictimCell(outcome, sex, age, n) for (sex, age), n in sorted(cells.items())]

    def base(self, org: str, regions, sources, **values) -> IncidentRow:
        area, settlement = values.pop("place", None) or self.place(regions)
        start, reported = values.pop("dates", None) or self.dates()
        coordinates = ""
        if area.lat is not None and self.rng.random() < 0.3:
            lat, lon = area.lat + self.rng.uniform(-0.05, 0.05), area.lon + self.rng.uniform(-0.05, 0.05)
            coordinates = f"{lat:.4f},{lon:.4f}"
        return IncidentRow(
            date_start=start,
            date_reported=reported,
            date_estimated=self.rng.random() < 0.1,
            area=area,
            settlement=settlement,
            coordinates=coordinates,
            account=ACCOUNT,
            source_mechanism=self.rng.choice(sources),
            reliability=self.rng.choices("abcdf", weights=[20, 40, 25, 5, 10])[0],
            sharing_level="cluster" if self.rng.random() < 0.35 else "organisation",
            **values,
        )

    # --- Scenarios: each returns the fields specific to the kind of event ----------------------

    def attack(self):
        killed, injured = self.rng.choice([0, 1, 1, 2, 3, 4, 6, 9]), self.rng.choice([0, 1, 2, 3, 5])
        killed = killed or (0 if injured else 1)
        households = self.rng.choice([None, None, 15, 40, 120]) if killed > 2 else None
        return {
            "categories": ["life", "integrity"] if injured else ["life"],
            "perpetrator_category": self.rng.choice(ARMED),
            "victims": self.people("killed", killed) + self.people("injured", injured),
            "displaced_households": households,
            "displaced_individuals": households * 6 if households else None,
            "summary": f"Attaque armée contre un village : {killed} civil(s) tué(s), {injured} blessé(s).",
        }

    def abduction(self):
        count = self.rng.choice([1, 1, 2, 3, 5])
        return {
            "categories": ["liberty"],
            "perpetrator_category": self.rng.choice(["nsag", "nsag", "criminal", "unknown"]),
            "victims": self.people("affected", count, adults_only=True),
            "summary": f"Enlèvement de {count} personne(s) sur l'axe routier ; rançon exigée.",
        }

    def extortion(self):
        return {
            "categories": ["property"],
            "perpetrator_category": self.rng.choice(["nsag", "nsag", "militia", "criminal"]),
            "victims": self.people("affected", self.rng.choice([1, 2, 4, 8]), adults_only=True),
            "summary": self.rng.choice(
                [
                    "Vol de bétail et imposition de la zakat par un groupe armé.",
                    "Extorsion de commerçants au marché hebdomadaire.",
                    "Incendie de greniers et destruction de biens.",
                ]
            ),
        }

    def displacement(self):
        households = self.rng.choice([25, 60, 110, 240, 400])
        return {
            "categories": ["movement"],
            "perpetrator_category": self.rng.choice(["nsag", "militia", "unknown"]),
            "displaced_households": households,
            "displaced_individuals": households * self.rng.randint(5, 8),
            "summary": f"Déplacement préventif de {households} ménages après des menaces contre le village.",
        }

    def access(self):
        return {
            "categories": ["access"],
            "perpetrator_category": self.rng.choice(["nsag", "state_forces", "unknown"]),
            "summary": "Blocus d'une localité : convoi humanitaire empêché de passer.",
        }

    def documentation(self):
        return {
            "categories": ["documentation"],
            "perpetrator_category": "other",
            "victims": self.people("affected", self.rng.choice([3, 10, 25])),
            "summary": "Personnes déplacées sans acte de naissance ni carte d'identité ; état civil fermé.",
        }

    def cohesion(self):
        return {
            "categories": ["cohesion", "property"],
            "perpetrator_category": "militia",
            "victims": self.people("affected", self.rng.choice([2, 5, 12]), adults_only=True),
            "summary": "Conflit foncier entre agriculteurs et éleveurs autour d'un point d'eau.",
        }

    def gbv_allegation(self):
        """What protection monitoring records of GBV: the allegation, how many were affected, no survivor."""
        count = self.rng.choice([1, 1, 1, 2, 3])
        return {
            "categories": ["gbv"],
            "perpetrator_category": self.rng.choice(["nsag", "nsag", "militia", "unknown"]),
            "victims": [VictimCell("affected", "f", "unknown", count)],
            "dates": self.dates(delay=9),
            "summary": "Allégation de violences sexuelles rapportée en entretien communautaire ; "
            "orientation proposée vers les services VBG.",
        }

    def gbv(self):
        rng = self.rng
        minor = rng.random() < 0.6
        age = rng.randint(12, 17) if minor else rng.randint(18, 45)
        position = rng.choices(range(6), weights=[35, 15, 20, 12, 10, 8])[0]
        keys = [
            "penetration",
            "sexual_contact",
            "physical_assault",
            "forced_marriage",
            "denial_of_resources",
            "psychological_abuse",
        ]
        relationship = rng.choice(
            [
                "armed_actor",
                "intimate_partner",
                "intimate_partner",
                "community_member",
                "family_other",
                "unknown",
            ]
        )
        if keys[position] == "forced_marriage":
            relationship = "family_other"
        perpetrator = {"armed_actor": "nsag", "intimate_partner": "family", "family_other": "family"}.get(
            relationship, "unknown"
        )
        sex = "f" if rng.random() < 0.97 else "m"
        survivor = GBVDetails(
            survivor_sex=sex,
            survivor_age=age,
            survivor_age_estimated=rng.random() < 0.3,
            displacement_status=rng.choice(["idp", "idp", "resident", "returnee"]),
            marital_status="single" if minor else rng.choice(["married", "married", "widowed", "divorced"]),
            displacement_stage=rng.choice(["during_refuge", "not_displaced", "during_flight"]),
            time_of_day=rng.choice(["morning", "afternoon", "night", "night"]),
            location_type=rng.choice(["bush", "field", "survivor_home", "road", "water_point", "site"]),
            answers={**dict.fromkeys(keys[:position], False), keys[position]: True},
            goods_exchanged=rng.choice(["no", "no", "no", "yes", "unknown"]),
            abduction_type=rng.choice(["none"] * 8 + ["other"]),
            harmful_practice="early_marriage" if keys[position] == "forced_marriage" and minor else "no",
            perpetrator_count=rng.choice([1, 1, 1, 2, 3]),
            perpetrator_sex="m",
            perpetrator_age_group=rng.choice(["18_25", "26_40", "26_40", "41_60", "unknown"]),
            perpetrator_relationship=relationship,
            referred_from=rng.choice(["self", "community_leader", "health", "humanitarian"]),
            referrals={
                "health": rng.choice(["referred", "provided_by_agency"]),
                "psychosocial": "provided_by_agency",
                "legal": rng.choice(["declined", "referred", "not_applicable"]),
            },
            wants_legal_action=rng.choice(["no", "undecided", "yes"]),
            consent_to_report=rng.random() < 0.85,
            survivor_code=f"S-{rng.randint(1000, 9999)}",
        )
        return {
            "categories": ["gbv"],
            "perpetrator_category": perpetrator,
            "gbv": survivor,
            "dates": self.dates(delay=9),
            "summary": "Survivante de VBG prise en charge (soins, appui psychosocial), orientée à son choix.",
        }

    def children(self):
        rng = self.rng
        kind = rng.choices(
            ["recruitment", "killing", "attack_school", "abduction", "denial_access"],
            weights=[30, 30, 20, 12, 8],
        )[0]
        party = rng.choice(["nsag", "nsag", "nsag", "state_forces", "unknown"])
        verification = rng.choice(["pending", "verified", "verified", "unverified"])

        def boys(count, age_group="12_17"):
            return [ViolationVictimCell("m", age_group, count)]

        if kind == "recruitment":
            violations = [ViolationLine("recruitment", party, verification, victims=boys(rng.randint(1, 5)))]
            categories, summary = (
                ["child_rights"],
                "Recrutement de garçons par un groupe armé dans le village.",
            )
        elif kind == "killing":
            violations = [
                ViolationLine("killing", party, verification, victims=boys(rng.randint(1, 2), "6_11")),
                ViolationLine("maiming", party, verification, victims=[ViolationVictimCell("f", "12_17", 1)]),
            ]
            categories, summary = ["child_rights", "life"], "Enfants tués et blessés lors d'une attaque."
        elif kind == "attack_school":
            violations = [ViolationLine("attack_school", party, verification, facility="École fondamentale")]
            categories, summary = (
                ["child_rights"],
                "École incendiée et enseignants menacés ; l'école est fermée.",
            )
        elif kind == "abduction":
            violations = [ViolationLine("abduction", party, verification, victims=boys(rng.randint(1, 3)))]
            categories, summary = (
                ["child_rights", "liberty"],
                "Enlèvement d'enfants sur le chemin de l'école.",
            )
        else:
            violations = [
                ViolationLine("denial_access", party, verification, facility="Distribution alimentaire")
            ]
            categories, summary = (
                ["child_rights", "access"],
                "Convoi d'aide aux enfants bloqué par un groupe armé.",
            )
        return {
            "categories": categories,
            "perpetrator_category": party,
            "violations": violations,
            "summary": summary,
        }

    def explosive(self, regions):
        rng = self.rng
        device = rng.choices(["ied", "erw", "landmine", "unknown"], weights=[70, 18, 7, 5])[0]
        activity = (
            "travelling" if device == "ied" else rng.choice(["playing", "herding", "farming", "handling"])
        )
        casualties = []
        for _ in range(rng.choice([1, 2, 3, 4, 6])):
            child = activity in ("playing", "handling") or rng.random() < 0.15
            casualties.append(
                CasualtyLine(
                    sex=rng.choice(["m", "m", "f"]),
                    outcome=rng.choice(["killed", "injured", "injured"]),
                    age=rng.randint(6, 16) if child else rng.randint(18, 60),
                    civilian=rng.random() < 0.9,
                    displacement_status=rng.choice(["", "resident", "idp"]),
                )
            )
        killed = any(c.outcome == "killed" for c in casualties)
        what = (
            "Un véhicule de transport a sauté sur un engin explosif improvisé"
            if device == "ied"
            else ("Accident dû à un reste explosif de guerre")
        )
        return {
            "categories": ["explosive", "life"] if killed else ["explosive", "integrity"],
            "perpetrator_category": "unknown" if device != "ied" else "nsag",
            "explosive": ExplosiveDetails(device_type=device, activity=activity, casualties=casualties),
            "place": self.place(regions, road=device == "ied"),
            "summary": f"{what} ({len(casualties)} victime(s)).",
        }

    def incident(self, org: str, regions, sources, mix: str) -> IncidentRow:
        weights = MIXES[mix]
        kind = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        fields = self.explosive(regions) if kind == "explosive" else getattr(self, kind)()
        if kind in ("gbv", "children") and "place" not in fields:
            fields["place"] = self.place(regions)
        return self.base(org, regions, sources, **fields)


def _geography():
    version = cod_version_default()
    if version is None:
        return None
    cercles = {
        a.pcode: a
        for a in AdminArea.objects.filter(version=version, pcode__in=list(CERCLES)).defer("geometry")
    }
    communes: dict[int, list[AdminArea]] = defaultdict(list)
    for commune in AdminArea.objects.filter(version=version, level=3, parent__in=cercles.values()).defer(
        "geometry"
    ):
        communes[commune.parent_id].append(commune)
    by_id = {c.pk: c for group in communes.values() for c in group}
    settlements: dict[int, list[Settlement]] = defaultdict(list)
    for settlement in Settlement.objects.filter(admin3_id__in=list(by_id)).order_by("pcode"):
        settlement.admin3 = by_id[settlement.admin3_id]
        settlements[settlement.admin3_id].append(settlement)
    return cercles, communes, settlements


def _reported_twice(builder: _Builder, rows: dict[str, list[IncidentRow]]) -> None:
    """The same events reported by a second organisation, a day later, with slightly different counts."""
    pairs = [
        ("AMSS", "DRC"),
        ("AMSS", "UNHCR"),
        ("DRC", "NRC"),
        ("NRC", "UNHCR"),
        ("DRC", "UNICEF"),
        ("CISP", "NRC"),
    ]
    for number, (first, second) in enumerate(pairs):
        regions = {row.area.path[:8] for row in rows[second]}  # "ML/ML05/": where the second one works
        old_enough = builder.today - datetime.timedelta(days=5)
        original = next(
            row
            for row in rows[first]
            if row.victims
            and "life" in row.categories
            and row.area.path[:8] in regions
            and row.date_start < old_enough
        )
        cercle_by_id = {cercle.pk: cercle for cercle in builder.areas.values()}
        area = cercle_by_id[original.area.parent_id] if original.area.level == 3 else original.area
        copy = replace(
            original,
            area=area,
            settlement=None,
            date_start=original.date_start + datetime.timedelta(days=number % 2),
            date_reported=original.date_reported + datetime.timedelta(days=1 + number % 2),
            source_mechanism=ORGANISATIONS[second][2][0],
            reliability="c",
            source_id="",
            summary=original.summary + " (rapporté par un partenaire)",
        )
        rows[second].append(copy)


def seed(*, stdout, style) -> None:
    if Incident.objects.filter(source_id__startswith=DEMO_PREFIX).exists():
        stdout.write("Demo incidents: already there, nothing created.")
        seed_alerts(stdout=stdout, style=style)
        return
    geography = _geography()
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["admin", "imo", "monitor.amss", "manager.drc", "caseworker.drc"]
        )
    }
    organisations = {o.acronym: o for o in Organisation.objects.filter(acronym__in=list(ORGANISATIONS))}
    if geography is None or not geography[0] or "imo" not in users or len(organisations) < len(ORGANISATIONS):
        stdout.write(
            style.WARNING(
                "Demo incidents skipped: the geography, organisations or demo accounts are missing."
            )
        )
        return
    cercles, communes, settlements = geography
    rng = random.Random(SEED)
    builder = _Builder(rng, cercles, communes, settlements, timezone.localdate())
    rows: dict[str, list[IncidentRow]] = {}
    for acronym, (count, regions, sources, mix, _user) in ORGANISATIONS.items():
        rows[acronym] = [builder.incident(acronym, regions, sources, mix) for _ in range(count)]
    # A spike in Bankass: a dozen attacks in a week, six weeks ago (the threshold alert rule fires).
    spike = builder.today - datetime.timedelta(days=42)
    for day in range(12):
        start = spike + datetime.timedelta(days=day % 6)
        dates = (start, start + datetime.timedelta(days=1))
        fields = {**builder.attack(), "place": (cercles["ML0503"], None), "dates": dates}
        rows["DRC"].append(builder.base("DRC", ["ML05"], ["protection_monitoring"], **fields))
    _reported_twice(builder, rows)
    imo = users["imo"]
    created: list[Incident] = []
    for acronym, items in rows.items():
        for index, item in enumerate(items):
            item.source_id = item.source_id or f"{DEMO_PREFIX}{acronym.lower()}-{index:04d}"
        actor = users.get(ORGANISATIONS[acronym][4]) or imo
        drafts = items[-8:] if acronym in ("AMSS", "DRC") else []
        submitted = items[: len(items) - len(drafts)]
        result = incident_import_many(
            actor=actor, organisation=organisations[acronym], rows=submitted, channel="web", follow_up=False
        )
        created += result.incidents
        if drafts:
            author = users.get("monitor.amss" if acronym == "AMSS" else "caseworker.drc") or actor
            in_scope = [d for d in drafts if d.area.path.startswith("ML/ML05/")]
            incident_import_many(
                actor=author,
                organisation=organisations[acronym],
                rows=in_scope,
                submit=False,
                channel="web",
                follow_up=False,
            )
    reviewed = _review(rng, created, imo, users.get("manager.drc"))
    candidates = duplicates_detect(incident_ids=[incident.pk for incident in created])
    linked = 0
    marker = "(rapporté par un partenaire)"
    designed = [
        c for c in candidates if c.first.summary.endswith(marker) or c.second.summary.endswith(marker)
    ]
    if designed:
        duplicate_link(actor=imo, candidate=designed[0])
        linked = 1
    total = Incident.objects.filter(source_id__startswith=DEMO_PREFIX).count()
    pending = DuplicateCandidate.objects.filter(status="pending").count()
    stdout.write(
        style.SUCCESS(
            f"Demo incidents: {total} created ({reviewed['verified']} verified, "
            f"{reviewed['rejected']} rejected), "
            f"{pending} possible duplicates to review, {linked} pair linked."
        )
    )
    seed_alerts(stdout=stdout, style=style)


def _review(rng: random.Random, incidents: list[Incident], imo, manager) -> dict[str, int]:
    """Verify most submitted incidents and reject a few, as the IMO and DRC's manager did over the year."""
    now = timezone.now()
    decided = {"verified": [], "rejected": []}
    for incident in incidents:
        if incident.date_start > timezone.localdate() - datetime.timedelta(days=10):
            continue  # recent reports are still waiting for review
        roll = rng.random()
        if roll < 0.6:
            decided["verified"].append(incident)
        elif roll < 0.64:
            decided["rejected"].append(incident)
    events = []
    for status, chosen in decided.items():
        for incident in chosen:
            reviewer = manager if (manager is not None and incident.organisation.acronym == "DRC") else imo
            incident.status, incident.reviewed_at, incident.reviewed_by = status, now, reviewer
            incident.rejection_reason = (
                "Informations insuffisantes pour confirmer l'incident." if status == "rejected" else ""
            )
            events.append(
                IncidentEvent(
                    incident=incident,
                    kind=status,
                    user=reviewer,
                    at=now,
                    changes={"status": ["submitted", status]},
                    note=incident.rejection_reason,
                )
            )
    reviewed = decided["verified"] + decided["rejected"]
    with incident_rollups_updating(incident_ids=[incident.pk for incident in reviewed]):
        Incident.objects.bulk_update(
            reviewed, ["status", "reviewed_at", "reviewed_by", "rejection_reason"], batch_size=200
        )
    IncidentEvent.objects.bulk_create(events, batch_size=500)
    return {status: len(chosen) for status, chosen in decided.items()}
