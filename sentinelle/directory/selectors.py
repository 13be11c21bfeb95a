"""Reads of the service directory: services by place and type, referral pathways, one service.

Who serves a place (`serving_q`, and `serves` for the same rule in memory):
  - a service with areas served serves the place if the place is in (or below) one of them; for a
    cercle or a region, a service serving part of it (one of its communes) counts too;
  - a service without areas served serves the communes of the cercle where it is located (for a
    cercle or a region: the services located in it).
Both are materialised-path tests (prefix and P-code lists), so every selector here is a constant
number of queries whatever the number of services or areas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import IntegerChoices, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from sentinelle.accounts.models import Organisation, User
from sentinelle.core.permissions import Perm, get_object_for_user, organisations_in_scope, scope_queryset
from sentinelle.core.text import normalise_text
from sentinelle.directory.models import Service, ServiceStatus, ServiceType
from sentinelle.geography.models import AdminArea, AdminLevel
from sentinelle.geography.selectors import area_find_by_name, as_pcode, cod_version_default

# Levels a directory search may be about: cercle, commune, quartier (a region is too broad to be useful).
SEARCH_LEVELS = (AdminLevel.CERCLE, AdminLevel.COMMUNE, AdminLevel.QUARTIER)


class Distance(IntegerChoices):
    """How near a service is to the place, by admin hierarchy (nearest first)."""

    COMMUNE = 0, _("Same commune")
    CERCLE = 1, _("Same cercle")
    REGION = 2, _("Same region")
    NATIONAL = 3, _("Elsewhere in the country")


# --- The serving rule ---------------------------------------------------------------------------


def _ancestor_path(area: AdminArea, level: int) -> str:
    """The path of the area's ancestor at `level` (the area's own path when it is at or above it)."""
    pcodes = area.path_pcodes
    keep = len(pcodes) - max(0, area.level - level)
    return "".join(f"{code}/" for code in pcodes[: max(keep, 1)])


def _reach_path(area: AdminArea) -> str:
    """Where services without areas served must be located to serve the place."""
    return _ancestor_path(area, AdminLevel.CERCLE)


def serving_q(area: AdminArea) -> Q:
    """Services (rows of Service) that serve `area`; subqueries, so rows never repeat."""
    through = Service.areas_served.through.objects
    covering = Q(adminarea__version_id=area.version_id, adminarea__pcode__in=area.path_pcodes)
    if area.level < AdminLevel.COMMUNE:
        covering |= Q(adminarea__version_id=area.version_id, adminarea__path__startswith=area.path)
    served = through.filter(covering).values("service_id")
    with_areas = through.values("service_id")
    located = Q(area__version_id=area.version_id, area__path__startswith=_reach_path(area))
    return Q(pk__in=served) | (~Q(pk__in=with_areas) & located)


def serves(service: Service, area: AdminArea, areas_served: list[AdminArea]) -> bool:
    """The rule of `serving_q` for a service already loaded with its areas served."""
    if areas_served:
        for served in areas_served:
            if served.contains(area):
                return True
            if area.level < AdminLevel.COMMUNE and area.contains(served):
                return True
        return False
    location = service.area
    return location.version_id == area.version_id and location.path.startswith(_reach_path(area))


def distance_of(location: AdminArea, area: AdminArea) -> Distance:
    """The admin level the service's location shares with the place: commune, cercle, region, none."""
    if location.version_id != area.version_id:
        return Distance.NATIONAL
    mine, theirs = area.path_pcodes, location.path_pcodes
    common = 0
    for a, b in zip(mine, theirs, strict=False):
        if a != b:
            break
        common += 1
    if common == 0:
        return Distance.NATIONAL
    shared_level = area.level - (len(mine) - common)
    if shared_level >= AdminLevel.COMMUNE:
        return Distance.COMMUNE
    if shared_level == AdminLevel.CERCLE:
        return Distance.CERCLE
    if shared_level == AdminLevel.REGION:
        return Distance.REGION
    return Distance.NATIONAL


# --- Lists -------------------------------------------------------------------------------------


def _visible(user) -> QuerySet:
    services = Service.objects.filter(is_archived=False, provider__is_archived=False)
    return scope_queryset(user, services, Perm.SERVICE_VIEW)


def _for_display(services: QuerySet) -> QuerySet:
    return services.select_related("provider", "area", "area__parent", "settlement").defer(
        "area__geometry", "area__bbox", "area__parent__geometry", "area__parent__bbox"
    )


def service_list(*, user, area=None, service_type=None, status="active", q="") -> QuerySet:
    """Services the user may see, that serve `area`, of a type (one or several), with a status."""
    services = _visible(user)
    if area is not None:
        services = services.filter(serving_q(area))
    if service_type:
        types = [service_type] if isinstance(service_type, str) else list(service_type)
        services = services.filter(service_type__in=types)
    if status:
        services = services.filter(status=status)
    text = (q or "").strip()
    if text:
        services = services.filter(
            Q(name__icontains=text)
            | Q(provider__acronym__icontains=text)
            | Q(provider__name__icontains=text)
            | Q(description__icontains=text)
        )
    return _for_display(services).order_by("service_type", "name", "pk")


def provider_list(*, user) -> QuerySet:
    """The organisations that provide a service of the directory the user sees: those a person can be
    referred to (never a donor or a coordination body without services)."""
    providers = _visible(user).values("provider_id")
    return Organisation.objects.filter(is_archived=False, pk__in=providers).order_by("acronym")


def provider_choices(*, user) -> QuerySet:
    """The organisations whose services the user keeps up to date: those a new service may belong to."""
    organisations = organisations_in_scope(user, Perm.SERVICE_MANAGE)
    providers = Organisation.objects.filter(is_archived=False)
    return providers if organisations is None else providers.filter(pk__in=organisations)


def focal_point_choices(*, user, service: Service) -> QuerySet:
    """The users who may be the service's focal points: active members of its provider (`user` manages it)."""
    return (
        User.objects.filter(
            is_active=True, memberships__organisation=service.provider_id, memberships__is_archived=False
        )
        .distinct()
        .order_by("username")
    )


def service_get(*, user, public_id, request=None, perm: Perm = Perm.SERVICE_VIEW) -> Service:
    """One service the user may see (or manage, with perm=SERVICE_MANAGE), or Http404 alike."""
    services = _for_display(Service.objects.filter(is_archived=False, provider__is_archived=False))
    return get_object_for_user(
        user,
        services.prefetch_related("focal_points"),
        public_id,
        perm,
        request=request,
    )


def service_areas_served(service: Service) -> list[AdminArea]:
    return list(
        service.areas_served.select_related("parent")
        .defer("geometry", "bbox", "parent__geometry", "parent__bbox")
        .order_by("level", "pcode")
    )


# --- Referral pathways -------------------------------------------------------------------------


@dataclass
class PathwayEntry:
    service: Service
    distance: Distance

    @property
    def distance_label(self) -> str:
        return str(self.distance.label)


@dataclass
class PathwayGroup:
    service_type: str
    label: str
    entries: list[PathwayEntry] = field(default_factory=list)


def _groups(entries: list[PathwayEntry], service_types) -> list[PathwayGroup]:
    types = [t for t in ServiceType.values if service_types is None or t in service_types]
    groups = {t: PathwayGroup(t, str(ServiceType(t).label)) for t in types}
    for entry in sorted(entries, key=lambda e: (e.distance, e.service.name.casefold(), e.service.pk)):
        group = groups.get(entry.service.service_type)
        if group is not None:
            group.entries.append(entry)
    return list(groups.values())


def referral_pathway(*, user, area: AdminArea, service_types=None) -> list[PathwayGroup]:
    """For a commune or a cercle, per service type, the active services that serve it, nearest first.

    Every type asked for has a group, empty when no service is known: gaps are part of a pathway.
    One query for the services (plus the user's memberships, cached per request).
    """
    services = service_list(user=user, area=area, service_type=service_types, status=ServiceStatus.ACTIVE)
    entries = [PathwayEntry(service, distance_of(service.area, area)) for service in services]
    return _groups(entries, service_types)


@dataclass
class CerclePathway:
    cercle: AdminArea
    groups: list[PathwayGroup]

    @property
    def service_count(self) -> int:
        return sum(len(group.entries) for group in self.groups)

    @property
    def missing(self) -> list[str]:
        return [group.label for group in self.groups if not group.entries]


def cercle_pathways(*, user, area: AdminArea, service_types=None) -> list[CerclePathway]:
    """The pathway of each cercle of a region (or of the cercle itself, or of a commune's cercle).

    Three queries whatever the number of cercles: the cercles, the services serving any part of the
    area, and their areas served; each cercle's share is then sorted out in memory with `serves`.
    """
    if area.level >= AdminLevel.CERCLE:
        cercle_path = _ancestor_path(area, AdminLevel.CERCLE)
        cercles = list(_areas_without_geometry().filter(version_id=area.version_id, path=cercle_path))
        scope = cercles[0] if cercles else area
    else:
        cercles = list(
            _areas_without_geometry()
            .filter(version_id=area.version_id, level=AdminLevel.CERCLE, path__startswith=area.path)
            .order_by("pcode")
        )
        scope = area
    services = list(
        service_list(
            user=user, area=scope, service_type=service_types, status=ServiceStatus.ACTIVE
        ).prefetch_related(Prefetch("areas_served", queryset=AdminArea.objects.defer("geometry", "bbox")))
    )
    pathways = []
    for cercle in cercles:
        entries = [
            PathwayEntry(service, distance_of(service.area, cercle))
            for service in services
            if serves(service, cercle, list(service.areas_served.all()))
        ]
        pathways.append(CerclePathway(cercle, _groups(entries, service_types)))
    return pathways


# --- Places ------------------------------------------------------------------------------------


def _areas_without_geometry() -> QuerySet:
    return AdminArea.objects.select_related("parent").defer(
        "geometry", "bbox", "parent__geometry", "parent__bbox"
    )


@dataclass
class PlaceMatch:
    """What a typed place name resolves to: one area (with others of the same name), or a choice."""

    area: AdminArea | None = None
    also: list[AdminArea] = field(default_factory=list)
    candidates: list[AdminArea] = field(default_factory=list)


def place_find(text: str) -> PlaceMatch:
    """A cercle, commune or quartier of the default COD version by name (accents and case ignored) or
    P-code. When one match contains the others ("Douentza": the cercle and its chief town), the widest
    is chosen and the others offered; unrelated matches are all offered as a choice."""
    value = (text or "").strip()
    if not normalise_text(value):
        return PlaceMatch()
    version = cod_version_default()
    if version is None:
        return PlaceMatch()
    pcode = as_pcode(value)
    if pcode:
        area = _areas_without_geometry().filter(version=version, pcode=pcode).first()
        if area is not None:
            return PlaceMatch(area=area)
    matches = list(
        area_find_by_name(value, version=version)
        .defer("geometry", "bbox", "parent__geometry", "parent__bbox")
        .filter(level__in=SEARCH_LEVELS)
    )
    if not matches:
        return PlaceMatch()
    widest = matches[0]  # ordered by level, then P-code
    others = matches[1:]
    if all(widest.contains(area) for area in others):
        return PlaceMatch(area=widest, also=others)
    return PlaceMatch(candidates=matches)


def place_get(public_id) -> AdminArea | None:
    """An area of the default version by public id (areas are public reference data)."""
    return _areas_without_geometry().filter(public_id=public_id, version__is_default=True).first()


def cercle_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The cercles of the default version grouped by region, for a select: one query."""
    cercles = (
        _areas_without_geometry()
        .filter(version__is_default=True, level=AdminLevel.CERCLE)
        .order_by("parent__name_fr", "name_fr")
    )
    grouped: dict[str, list[tuple[str, str]]] = {}
    for cercle in cercles:
        region = cercle.parent.name_fr if cercle.parent else ""
        grouped.setdefault(region, []).append((str(cercle.public_id), cercle.name_fr))
    return list(grouped.items())
