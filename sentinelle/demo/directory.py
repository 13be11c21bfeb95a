"""Demo services across the regions of the seed documents, for `seed_demo` (after geography and accounts).

Mopti region carries most of them (REVIVRE 2's community centres in Douentza and Koro, seed 001), so
that "which PSS services serve Douentza?" has answers at every distance: in the commune, in the region,
nationwide. Providers are the demo organisations plus the state services that run health centres,
civil registry offices and police or gendarmerie posts. Phone numbers and e-mails are fictitious.
Idempotent (each service has a source identifier; a second run creates nothing) and deterministic.
"""

import csv
import datetime
from pathlib import Path

from django.utils import timezone

from sentinelle.accounts.models import Organisation, OrganisationType, User
from sentinelle.directory.models import Service
from sentinelle.geography.models import AdminArea
from sentinelle.geography.selectors import cod_version_default

# State services that provide directory entries but have no demo accounts.
PROVIDERS = [
    ("DRS-MOPTI", "Direction régionale de la santé de Mopti", OrganisationType.STATE_SERVICE),
    ("DGSHP", "Direction générale de la santé et de l'hygiène publique", OrganisationType.STATE_SERVICE),
    ("DNEC", "Direction nationale de l'état civil", OrganisationType.STATE_SERVICE),
    ("DGPN", "Direction générale de la police nationale", OrganisationType.STATE_SERVICE),
    ("DGGN", "Direction générale de la gendarmerie nationale", OrganisationType.STATE_SERVICE),
]

# Each demo user is focal point of their organisation's services (they receive its referrals).
FOCAL_POINTS = {"DRPFEF-MOPTI": ["focal.drpfef"], "DRC": ["manager.drc"]}

# One row per service (fictitious contacts): source id, name, type code, provider acronym, P-code of the
# commune where it is delivered, address, areas served (P-codes separated by spaces; empty: its cercle),
# hours, languages, cost, capacity per month, eligibility, days since the last check, status.
SERVICES_FILE = Path(__file__).resolve().parent / "data" / "directory_services.csv"


def demo_services() -> list[dict]:
    with SERVICES_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _phone(number: int) -> str:
    # Fictitious numbers of the demo (the 70 00 range is not a real operator prefix sequence).
    return f"+223 70 00 {number // 100:02d} {number % 100:02d}"


def seed(*, stdout, style) -> None:
    version = cod_version_default()
    if version is None:
        stdout.write(style.WARNING("Demo services: no default COD version, nothing created."))
        return
    organisations = {org.acronym: org for org in Organisation.objects.all()}
    for acronym, name, kind in PROVIDERS:
        if acronym not in organisations:
            organisations[acronym] = Organisation.objects.create(acronym=acronym, name=name, type=kind)
    specs = demo_services()
    pcodes = {spec["pcode"] for spec in specs} | {
        code for spec in specs for code in spec["areas_served"].split()
    }
    areas = {
        area.pcode: area
        for area in AdminArea.objects.filter(version=version, pcode__in=pcodes).only(
            "id", "pcode", "version_id"
        )
    }
    existing = set(
        Service.objects.filter(source_id__startswith="demo-").values_list("provider__acronym", "source_id")
    )
    today = timezone.localdate()
    created = skipped = 0
    for number, spec in enumerate(specs, start=1):
        served = spec["areas_served"].split()
        if (spec["provider"], spec["source_id"]) in existing:
            continue
        if spec["provider"] not in organisations or any(
            code not in areas for code in [spec["pcode"], *served]
        ):
            skipped += 1
            continue
        service = Service.objects.create(
            source_id=spec["source_id"],
            name=spec["name"],
            service_type=spec["service_type"],
            provider=organisations[spec["provider"]],
            area=areas[spec["pcode"]],
            address=spec["address"],
            opening_hours=spec["opening_hours"],
            contact_phone=_phone(number),
            contact_email=f"{spec['source_id']}@demo.sentinelle.ml",
            languages=spec["languages"],
            cost=spec["cost"],
            capacity_per_month=int(spec["capacity_per_month"]) if spec["capacity_per_month"] else None,
            eligibility=spec["eligibility"],
            status=spec["status"],
            last_verified_on=today - datetime.timedelta(days=int(spec["verified_days_ago"])),
        )
        service.areas_served.set([areas[code] for code in served])
        created += 1
    linked = _link_focal_points(organisations)
    message = f"Demo services: {created} created, {len(existing)} already there"
    if skipped:
        message += f", {skipped} skipped (place or organisation missing)"
    stdout.write(style.SUCCESS(f"{message}; {linked} focal point links added."))


def _link_focal_points(organisations) -> int:
    linked = 0
    for acronym, usernames in FOCAL_POINTS.items():
        organisation = organisations.get(acronym)
        if organisation is None:
            continue
        users = list(User.objects.filter(username__in=usernames, memberships__organisation=organisation))
        for service in Service.objects.filter(provider=organisation, source_id__startswith="demo-"):
            present = set(service.focal_points.values_list("pk", flat=True))
            missing = [user for user in users if user.pk not in present]
            if missing:
                service.focal_points.add(*missing)
                linked += len(missing)
    return linked
