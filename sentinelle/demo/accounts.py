"""Demo organisations (from the seed documents) and one account per role, for `seed_demo`."""

import base64
import hashlib

from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.accounts.models import Membership, Organisation, OrganisationType, User
from sentinelle.core.models import Role
from sentinelle.core.permissions import ROLES_REQUIRING_2FA

DEMO_PASSWORD = "Sentinelle-demo-2026"  # noqa: S105  (documented demo password, demo data only)

ORGANISATIONS = [
    ("CLUSTER", "Cluster Protection Mali", OrganisationType.COORDINATION),
    ("DRC", "Conseil danois pour les réfugiés", OrganisationType.INTERNATIONAL_NGO),
    ("NRC", "Conseil norvégien pour les réfugiés", OrganisationType.INTERNATIONAL_NGO),
    ("HI", "Humanité & Inclusion", OrganisationType.INTERNATIONAL_NGO),
    ("HELVETAS", "Helvetas Swiss Intercooperation", OrganisationType.INTERNATIONAL_NGO),
    ("CISP", "Comitato Internazionale per lo Sviluppo dei Popoli", OrganisationType.INTERNATIONAL_NGO),
    ("AMSS", "Association malienne pour la survie au Sahel", OrganisationType.NATIONAL_NGO),
    ("FEDE", "FEDE, partenaire national du consortium PROTECT", OrganisationType.NATIONAL_NGO),
    ("UNHCR", "Haut-Commissariat des Nations unies pour les réfugiés", OrganisationType.UN_AGENCY),
    ("UNICEF", "Fonds des Nations unies pour l'enfance", OrganisationType.UN_AGENCY),
    ("UNFPA", "Fonds des Nations unies pour la population", OrganisationType.UN_AGENCY),
    ("OIM", "Organisation internationale pour les migrations", OrganisationType.UN_AGENCY),
    ("DNDS", "Direction nationale du développement social", OrganisationType.STATE_SERVICE),
    (
        "DRPFEF-MOPTI",
        "Direction régionale de la promotion de la femme, de l'enfant et de la famille de Mopti",
        OrganisationType.STATE_SERVICE,
    ),
    (
        "CGCC-SEVARE",
        "Comité de gestion du centre communautaire de Sévaré (Mopti)",
        OrganisationType.COMMUNITY,
    ),
]

# username, organisation, role, full name, areas (P-codes of the 2015 COD; empty = whole country)
ACCOUNTS = [
    ("admin", "CLUSTER", Role.ADMIN, "Awa Keïta", []),
    ("imo", "CLUSTER", Role.IMO, "Moussa Sidibé", []),
    ("manager.drc", "DRC", Role.MANAGER, "Fatoumata Coulibaly", []),
    ("caseworker.drc", "DRC", Role.CASEWORKER, "Aminata Traoré", ["ML05"]),
    ("monitor.amss", "AMSS", Role.MONITOR, "Ousmane Maïga", ["ML05"]),
    ("focal.drpfef", "DRPFEF-MOPTI", Role.FOCAL_POINT, "Mariam Diallo", ["ML05"]),
    ("reader.unhcr", "UNHCR", Role.READER, "Ibrahim Touré", []),
]


def demo_totp_key(username: str) -> bytes:
    """A stable demo secret per account, so that an authenticator enrolled once keeps working."""
    return hashlib.sha256(f"sentinelle-demo-totp:{username}".encode()).digest()[:20]


def demo_totp_base32(username: str) -> str:
    return base64.b32encode(demo_totp_key(username)).decode().rstrip("=")


def seed(*, stdout, style) -> None:
    from django.apps import apps

    admin_area = apps.get_model("geography", "AdminArea")
    organisations = {}
    for acronym, name, kind in ORGANISATIONS:
        organisations[acronym], _created = Organisation.objects.get_or_create(
            acronym=acronym, defaults={"name": name, "type": kind}
        )
    created = 0
    for username, acronym, role, full_name, pcodes in ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username, DEMO_PASSWORD, email=f"{username}@demo.sentinelle.ml", full_name=full_name
            )
            membership = Membership.objects.create(user=user, organisation=organisations[acronym], role=role)
            membership.areas.set(admin_area.objects.filter(pcode__in=pcodes, version__is_default=True))
            TOTPDevice.objects.create(
                user=user, name="Démo", confirmed=True, key=demo_totp_key(username).hex()
            )
            created += 1
    stdout.write(style.SUCCESS(f"Demo accounts: {created} created, {len(ACCOUNTS) - created} already there."))


def summary(*, stdout, style) -> None:
    """The demo sign-ins, printed last by seed_demo so that they are the first thing a newcomer reads."""
    stdout.write(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
    stdout.write(f"{'username':<16} {'role':<42} {'organisation':<14} two-factor secret (TOTP, base32)")
    for username, acronym, role, _name, _pcodes in ACCOUNTS:
        needs_otp = role in ROLES_REQUIRING_2FA
        secret = demo_totp_base32(username) if needs_otp else "(not required)"
        stdout.write(f"{username:<16} {Role(role).label!s:<42} {acronym:<14} {secret}")
    stdout.write(
        "\nTwo-factor code of a demo account right now: "
        "DJANGO_DEBUG=true .venv/bin/python manage.py demo_totp USERNAME "
        "(development only), or add the secret to any authenticator app.\n"
    )
