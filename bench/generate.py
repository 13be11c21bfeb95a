"""Synthetic national-scale data, cloned from the demo so that every record is one the app itself made.

Each generated record copies a demo record of the same kind (chosen at random, so the demo's proportions of
categories, typed details, statuses and organisations carry over) and gets new dates, places, identities
and unique codes. Writes go through `bulk_create` in large batches: identity fields are encrypted by the
EncryptedTextField and keyed hashes computed by the KeyedHashField exactly as on `save()`, and the fuzzy
search keys (PersonNameKey) are written the way `write_name_keys` writes them. Deterministic: one seeded
`random.Random`; the same scale and seed give the same records (UUIDs included).

Full scale (1.0): 1,000,000 incidents, 200,000 persons and cases, 500,000 referrals, 100,000 activities,
and 5 years of monthly population rounds (every cercle and population status).
"""

import datetime as dt
import random
import time
import uuid
from collections.abc import Callable, Iterable

FULL = {"incidents": 1_000_000, "persons": 200_000, "referrals": 500_000, "activities": 100_000}
YEARS = 5
BATCH = 5_000
# See Generator.spread_referral_days (PostgreSQL: the bench database).
SPREAD_REFERRAL_DAYS = """
    UPDATE cases_referral r
    SET created_at = LEAST(
        (c.opened_on + ((r.id * 7919) %% 61)::int + time '08:00'
            + ((r.id * 104729) %% 32400) * interval '1 second') AT TIME ZONE 'UTC',
        now()
    )
    FROM cases_case c
    WHERE c.id = r.case_id AND r.reference LIKE %s
"""

GIVEN = [
    "Aminata",
    "Awa",
    "Fatoumata",
    "Mariam",
    "Kadidia",
    "Oumou",
    "Hawa",
    "Aïssata",
    "Djeneba",
    "Rokia",
    "Assétou",
    "Salimata",
    "Bintou",
    "Kadiatou",
    "Nana",
    "Fanta",
    "Safiatou",
    "Ramata",
    "Maïmouna",
    "Hadja",
    "Moussa",
    "Ibrahim",
    "Oumar",
    "Amadou",
    "Mamadou",
    "Boubacar",
    "Seydou",
    "Adama",
    "Souleymane",
    "Modibo",
    "Bakary",
    "Issa",
    "Yacouba",
    "Sékou",
    "Drissa",
    "Lassine",
    "Abdoulaye",
    "Hamidou",
    "Cheick",
    "Mahamadou",
]
FAMILY = [
    "Traoré",
    "Coulibaly",
    "Diarra",
    "Keïta",
    "Konaté",
    "Cissé",
    "Maïga",
    "Touré",
    "Diallo",
    "Sangaré",
    "Sidibé",
    "Dembélé",
    "Doumbia",
    "Kanté",
    "Bagayoko",
    "Camara",
    "Koné",
    "Sissoko",
    "Ballo",
    "Togo",
    "Guindo",
    "Dicko",
    "Ag-Mohamed",
    "Sow",
    "Tall",
    "Kouyaté",
    "Samaké",
    "Dao",
    "Fofana",
    "Bah",
]


def counts(scale: float) -> dict[str, int]:
    return {name: max(1, round(full * scale)) for name, full in FULL.items()}


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(GIVEN), rng.choice(FAMILY)


def misspell(name: str, rng: random.Random) -> str:
    """A plausible typing or transcription slip (for fuzzy search): drop, double or swap a letter."""
    if len(name) < 4:
        return name
    i = rng.randrange(1, len(name) - 1)
    choice = rng.randrange(3)
    if choice == 0:
        return name[:i] + name[i + 1 :]
    if choice == 1:
        return name[:i] + name[i] + name[i:]
    return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :]


class Generator:
    def __init__(
        self,
        *,
        scale: float = 1.0,
        seed: int = 2026,
        tag: str = "B",
        months: int = YEARS * 12,
        log: Callable[[str], None] = print,
    ):
        # `tag` marks generated codes (INC-2024-B00000001, bench-B-1): a second set in one database
        # needs another tag.
        self.tag = tag
        self.months = months
        self.scale = scale
        self.seed = seed
        self.rng = random.Random(seed)
        self.log = log
        self.today = dt.date(2026, 11, 1)
        self.first_day = self.today - dt.timedelta(days=365 * YEARS)
        self.timings: dict[str, float] = {}
        self.created: dict[str, int] = {}

    # --- helpers ------------------------------------------------------------------------------------

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def day(self) -> dt.date:
        return self.first_day + dt.timedelta(days=self.rng.randrange((self.today - self.first_day).days))

    def clone(self, template, **values):
        """A new unsaved instance with the template's column values (plaintext: re-encrypted on write)."""
        model = type(template)
        obj = model()
        for field in model._meta.concrete_fields:
            # Columns the database fills itself (the secret record keys) are drawn anew for each row.
            if field.primary_key or field.has_db_default():
                continue
            setattr(obj, field.attname, getattr(template, field.attname))
        if hasattr(obj, "public_id"):
            obj.public_id = self.uuid()
        for name, value in values.items():
            setattr(obj, name, value)
        return obj

    def write(self, model, objects: Iterable, label: str | None = None) -> list:
        objects = list(objects)
        created = model.objects.bulk_create(objects, batch_size=BATCH)
        key = label or model._meta.label
        self.created[key] = self.created.get(key, 0) + len(created)
        return created

    def timed(self, name: str, function: Callable[[], None]) -> None:
        start = time.perf_counter()
        function()
        self.timings[name] = round(time.perf_counter() - start, 2)
        self.log(f"  {name}: {self.timings[name]} s")

    # --- run ----------------------------------------------------------------------------------------

    def run(self) -> dict:
        from django.db import connection

        from sentinelle.geography.models import AdminArea

        n = counts(self.scale)
        self.communes = list(AdminArea.objects.filter(level=3).select_related("parent").order_by("pcode"))
        self.cercles = list(AdminArea.objects.filter(level=2).order_by("pcode"))
        self.log(f"Generating at scale {self.scale}: {n}")
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off") if connection.vendor == "postgresql" else None
        self.timed("incidents", lambda: self.incidents(n["incidents"]))
        self.timed("persons_cases", lambda: self.persons_and_cases(n["persons"]))
        self.timed("referrals", lambda: self.referrals(n["referrals"]))
        self.timed("activities", lambda: self.activities(n["activities"]))
        self.timed("population", self.population)
        if connection.vendor == "postgresql":
            # As autovacuum would have done on a live database: planner statistics, and the visibility map
            # that lets counts read indexes only. (Outside a transaction: VACUUM cannot run in one.)
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            self.timed("analyze", lambda: connection.cursor().execute(command))
        return {"scale": self.scale, "seed": self.seed, "created": self.created, "seconds": self.timings}

    # --- incidents with their typed details ---------------------------------------------------------

    def incidents(self, total: int) -> None:
        from django.db import transaction

        from sentinelle.monitoring.models import (
            Casualty,
            ExplosiveAccident,
            GBVIncident,
            GraveViolation,
            Incident,
            IncidentCategory,
            VictimCount,
            ViolationVictims,
        )

        templates = list(Incident.objects.filter(duplicate_of__isnull=True).order_by("pk"))
        if not templates:
            raise RuntimeError("No demo incident to clone: run seed_demo first.")
        ids = [t.pk for t in templates]
        categories = _group(IncidentCategory.objects.filter(incident_id__in=ids), "incident_id")
        victims = _group(VictimCount.objects.filter(incident_id__in=ids), "incident_id")
        gbv = {g.incident_id: g for g in GBVIncident.objects.filter(incident_id__in=ids)}
        violations = _group(GraveViolation.objects.filter(incident_id__in=ids), "incident_id")
        violation_victims = _group(ViolationVictims.objects.all(), "violation_id")
        accidents = {a.incident_id: a for a in ExplosiveAccident.objects.filter(incident_id__in=ids)}
        casualties = _group(Casualty.objects.all(), "accident_id")

        done = 0
        while done < total:
            size = min(BATCH * 4, total - done)
            with transaction.atomic():
                chosen = [self.rng.choice(templates) for _ in range(size)]
                batch = []
                for offset, template in enumerate(chosen):
                    number = done + offset + 1
                    start = self.day()
                    commune = self.rng.choice(self.communes)
                    area = commune if self.rng.random() < 0.7 else commune.parent
                    batch.append(
                        self.clone(
                            template,
                            reference=f"INC-{start.year}-{self.tag}{number:08d}",
                            source_id=f"bench-{self.tag}-{number:08d}",
                            date_start=start,
                            date_end=start + dt.timedelta(days=self.rng.randrange(3))
                            if template.date_end
                            else None,
                            date_reported=min(self.today, start + dt.timedelta(days=self.rng.randrange(15))),
                            area=area,
                            settlement=None,
                            duplicate_of=None,
                        )
                    )
                made = self.write(Incident, batch)
                links, cells, details, grave, accident_rows = [], [], [], [], []
                grave_sources, accident_sources = [], []
                for template, incident in zip(chosen, made, strict=True):
                    links += [self.clone(c, incident_id=incident.pk) for c in categories.get(template.pk, ())]
                    cells += [self.clone(v, incident_id=incident.pk) for v in victims.get(template.pk, ())]
                    if template.pk in gbv:
                        details.append(self.clone(gbv[template.pk], incident_id=incident.pk))
                    for violation in violations.get(template.pk, ()):
                        grave.append(self.clone(violation, incident_id=incident.pk))
                        grave_sources.append(violation.pk)
                    if template.pk in accidents:
                        accident_rows.append(self.clone(accidents[template.pk], incident_id=incident.pk))
                        accident_sources.append(accidents[template.pk].pk)
                self.write(IncidentCategory, links)
                self.write(VictimCount, cells)
                self.write(GBVIncident, details)
                made_grave = self.write(GraveViolation, grave)
                self.write(
                    ViolationVictims,
                    [
                        self.clone(cell, violation_id=new.pk)
                        for source, new in zip(grave_sources, made_grave, strict=True)
                        for cell in violation_victims.get(source, ())
                    ],
                )
                made_accidents = self.write(ExplosiveAccident, accident_rows)
                self.write(
                    Casualty,
                    [
                        self.clone(casualty, accident_id=new.pk)
                        for source, new in zip(accident_sources, made_accidents, strict=True)
                        for casualty in casualties.get(source, ())
                    ],
                )
            done += size
            self.log(f"    incidents {done:,}/{total:,}")

    # --- persons, cases, consents ------------------------------------------------------------------

    def persons_and_cases(self, total: int) -> None:
        from django.db import transaction

        from sentinelle.cases.models import Case, Consent, Person, PersonNameKey
        from sentinelle.cases.names import hashed_name_keys
        from sentinelle.core.codes import AgeGroup

        person_templates = list(Person.objects.filter(merged_into__isnull=True).order_by("pk"))
        case_templates = list(Case.objects.order_by("pk"))
        consent_templates = list(Consent.objects.order_by("pk"))
        if not (person_templates and case_templates and consent_templates):
            raise RuntimeError("No demo person, case or consent to clone: run seed_demo first.")
        self.case_ids: list[tuple[int, int]] = []  # (case id, consent id)
        done = 0
        while done < total:
            size = min(BATCH * 2, total - done)
            with transaction.atomic():
                people, names = [], []
                for offset in range(size):
                    number = done + offset + 1
                    given, family = person_name(self.rng)
                    age = self.rng.randrange(0, 80)
                    commune = self.rng.choice(self.communes)
                    phone = f"+223 {self.rng.randrange(60, 100)} {self.rng.randrange(10**6):06d}"
                    people.append(
                        self.clone(
                            self.rng.choice(person_templates),
                            person_code=f"P-{self.tag}{number:08d}",
                            given_name=given,
                            family_name=family,
                            other_names="",
                            phone=phone,
                            address=f"Quartier {self.rng.randrange(1, 30)}, {commune.name_fr}",
                            caregiver_name="",
                            caregiver_phone="",
                            full_name=f"{given} {family}",
                            age=age,
                            age_group=_age_group(age, AgeGroup),
                            area=commune,
                            merged_into=None,
                        )
                    )
                    names.append((given, family))
                made = self.write(Person, people)
                keys = [
                    PersonNameKey(person_id=person.pk, key=key)
                    for person, (given, family) in zip(made, names, strict=True)
                    for key in sorted(hashed_name_keys(given, family, ""))
                ]
                self.write(PersonNameKey, keys)
                cases = [
                    self.clone(
                        self.rng.choice(case_templates),
                        case_number=f"CAS-{self.tag}{done + i + 1:08d}",
                        person_id=person.pk,
                        area_id=person.area_id,
                        opened_on=self.day(),
                        incident=None,
                    )
                    for i, person in enumerate(made)
                ]
                made_cases = self.write(Case, cases)
                consents = [
                    self.clone(
                        self.rng.choice(consent_templates),
                        person_id=case.person_id,
                        case_id=case.pk,
                        given_on=case.opened_on,
                        withdrawn_on=None,
                    )
                    for case in made_cases
                ]
                made_consents = self.write(Consent, consents)
                self.case_ids += [(c.pk, k.pk) for c, k in zip(made_cases, made_consents, strict=True)]
            done += size
            self.log(f"    persons and cases {done:,}/{total:,}")

    def referrals(self, total: int) -> None:
        from django.db import transaction

        from sentinelle.cases.models import Referral

        templates = list(Referral.objects.order_by("pk"))
        if not templates:
            raise RuntimeError("No demo referral to clone: run seed_demo first.")
        done = 0
        while done < total:
            size = min(BATCH * 4, total - done)
            with transaction.atomic():
                batch = []
                for offset in range(size):
                    case_id, consent_id = self.rng.choice(self.case_ids)
                    batch.append(
                        self.clone(
                            self.rng.choice(templates),
                            reference=f"REF-{self.tag}{done + offset + 1:08d}",
                            case_id=case_id,
                            consent_id=consent_id,
                        )
                    )
                self.write(Referral, batch)
            done += size
            self.log(f"    referrals {done:,}/{total:,}")
        self.spread_referral_days()

    def spread_referral_days(self) -> None:
        """bulk_create stamps every referral with the moment it is written (`created_at`, the day the
        referrals dataset counts it by): spread them as case work would, within 60 days after their case
        opened, in working hours, never later than now (deterministic: from the referral's id)."""
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(SPREAD_REFERRAL_DAYS, [f"REF-{self.tag}%"])

    # --- 4W activities and population rounds --------------------------------------------------------

    def activities(self, total: int) -> None:
        from django.db import transaction

        from sentinelle.activities.models import Activity, Beneficiaries

        templates = list(Activity.objects.order_by("pk"))
        if not templates:
            raise RuntimeError("No demo activity to clone: run seed_demo first.")
        cells = _group(Beneficiaries.objects.all(), "activity_id")
        done = 0
        while done < total:
            size = min(BATCH * 2, total - done)
            with transaction.atomic():
                chosen = [self.rng.choice(templates) for _ in range(size)]
                batch = [
                    self.clone(
                        t, area=self.rng.choice(self.communes), source_key=f"bench-{self.tag}-{done + i + 1}"
                    )
                    if t.source_key
                    else self.clone(t, area=self.rng.choice(self.communes))
                    for i, t in enumerate(chosen)
                ]
                made = self.write(Activity, batch)
                self.write(
                    Beneficiaries,
                    [
                        self.clone(cell, activity_id=new.pk)
                        for t, new in zip(chosen, made, strict=True)
                        for cell in cells.get(t.pk, ())
                    ],
                )
            done += size
            self.log(f"    activities {done:,}/{total:,}")

    def population(self) -> None:
        """Monthly rounds over five years: every cercle, every population status, with sex x age cells."""
        from django.db import transaction

        from sentinelle.core.codes import AgeGroup, PopulationStatus, Sex
        from sentinelle.displacement.models import PopulationBreakdown, PopulationFigure

        template = PopulationFigure.objects.order_by("pk").first()
        if template is None:
            raise RuntimeError("No demo population figure to clone: run seed_demo first.")
        groups = [g for g in AgeGroup.values if g != "unknown"]
        sexes = [s for s in Sex.values if s in ("f", "m")] or list(Sex.values)[:2]
        taken = set(PopulationFigure.objects.values_list("area_id", "status", "round_date", "source"))
        for month in range(self.months):
            year, month0 = divmod(self.first_day.month + month, 12)
            # Rounds dated on the last day of the month, as the demo's are.
            round_date = dt.date(self.first_day.year + year, month0 + 1, 1) - dt.timedelta(days=1)
            with transaction.atomic():
                figures, sizes = [], []
                for cercle in self.cercles:
                    for status in PopulationStatus.values:
                        if (cercle.pk, status, round_date, template.source) in taken:
                            continue
                        individuals = self.rng.randrange(50, 20_000)
                        figures.append(
                            self.clone(
                                template,
                                area=cercle,
                                status=status,
                                round_date=round_date,
                                households=max(1, individuals // 6),
                                individuals=individuals,
                                source_key="",
                                is_archived=False,
                            )
                        )
                        sizes.append(individuals)
                made = self.write(PopulationFigure, figures)
                cells = []
                for figure, individuals in zip(made, sizes, strict=True):
                    share = individuals // (len(groups) * len(sexes))
                    cells += [
                        PopulationBreakdown(figure_id=figure.pk, sex=sex, age_group=group, count=share)
                        for sex in sexes
                        for group in groups
                        if share > 0
                    ]
                self.write(PopulationBreakdown, cells)


def _group(queryset, key: str) -> dict:
    grouped: dict = {}
    for row in queryset.order_by("pk"):
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


def _age_group(age: int, AgeGroup) -> str:
    for limit, code in ((5, "0_5"), (11, "6_11"), (17, "12_17"), (59, "18_59")):
        if age <= limit:
            return code
    return "60_plus"
