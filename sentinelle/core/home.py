"""What each role finds in the navigation and on the home page; entries appear only when permitted."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from sentinelle.core.permissions import Perm, has_perm


@dataclass(frozen=True)
class Entry:
    perm: Perm
    url_name: str
    label: str
    description: str = ""


NAVIGATION: list[Entry] = [
    Entry(Perm.HOME_VIEW, "core:home", _("Home")),
    Entry(Perm.GEOGRAPHY_VIEW, "geography:area-list", _("Geography")),
    Entry(Perm.ORGANISATION_VIEW, "accounts:organisation-list", _("Organisations")),
    Entry(Perm.USER_VIEW, "accounts:user-list", _("Users")),
    Entry(Perm.AUDIT_VIEW, "core:audit-list", _("Audit log")),
]

HOME_SECTIONS: list[Entry] = [
    Entry(
        Perm.GEOGRAPHY_VIEW,
        "geography:area-list",
        _("Geography"),
        _("Browse regions, cercles, communes and settlements with their P-codes."),
    ),
    Entry(
        Perm.ORGANISATION_VIEW,
        "accounts:organisation-list",
        _("Organisations"),
        _("The partners, state services and community structures working in Sentinelle."),
    ),
    Entry(
        Perm.ORGANISATION_MANAGE,
        "accounts:organisation-create",
        _("Add an organisation"),
        _("Register a new partner, state service or community structure."),
    ),
    Entry(
        Perm.USER_MANAGE,
        "accounts:user-list",
        _("Manage accounts"),
        _("Create accounts, give roles and areas, unlock or deactivate users."),
    ),
    Entry(
        Perm.AUDIT_VIEW,
        "core:audit-list",
        _("Audit log"),
        _("See who signed in, read, changed or exported protected data, and every refusal."),
    ),
]


def _visible(user, entries: list[Entry]) -> list[dict]:
    visible = []
    for entry in entries:
        if not has_perm(user, entry.perm):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        visible.append({"url": url, "label": entry.label, "description": entry.description})
    return visible


def home_sections(user) -> list[dict]:
    return _visible(user, HOME_SECTIONS)


def navigation_for(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    return _visible(user, NAVIGATION)
