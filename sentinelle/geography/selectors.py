"""Reads of the geography: look-ups by P-code and name used by every import, and the views' lists.

Name look-ups compare `normalise_text` keys (case, accents, punctuation and spacing ignored) against
the AreaName table, which holds the French name, the COD's ASCII name, the COD's alternative names
and curated aliases. Look-ups are single indexed queries; an import that resolves thousands of
values should build one `AreaResolver` (two queries) and resolve from memory.
"""

import re
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from sentinelle.core.permissions import Perm, get_object_for_user, scope_queryset
from sentinelle.core.text import normalise_text
from sentinelle.geography.models import AdminArea, AdminLevel, AreaName, CodVersion, Settlement

# OCHA P-codes: ISO alpha-2 country code and 0 to 9 digits (ML, ML05, ML0501, ML050101, ML090104223).
PCODE_PATTERN = re.compile(r"^[A-Z]{2}\d{0,12}$")
# How many candidates an "ambiguous" message lists.
MAX_CANDIDATES = 10


class AreaLookupError(LookupError):
    """A value matched no area or several; `candidates` holds the areas that matched."""

    def __init__(self, message: str, *, value: str = "", candidates: Iterable[AdminArea] = ()):
        super().__init__(message)
        self.message = message
        self.value = value
        self.candidates = list(candidates)

    def __str__(self):
        return self.message


# --- Versions ----------------------------------------------------------------------------------


def cod_version_default() -> CodVersion | None:
    return CodVersion.objects.filter(is_default=True).first()


def cod_version_get(version) -> CodVersion | None:
    """A version given as an instance, a code, or None for the default version."""
    if isinstance(version, CodVersion):
        return version
    if version is None:
        return cod_version_default()
    return CodVersion.objects.filter(code=str(version)).first()


def _version_required(version, parent: AdminArea | None = None) -> CodVersion:
    if version is None and parent is not None:
        return parent.version
    resolved = cod_version_get(version)
    if resolved is None:
        if version is None:
            raise AreaLookupError(_("No default COD version: load the geography first (load_geography)."))
        raise AreaLookupError(_("Unknown COD version %(code)s.") % {"code": version}, value=str(version))
    return resolved


def version_list(*, user) -> list[CodVersion]:
    """Versions the user may see, each with `level_counts` {level: n} and `settlement_count`."""
    versions = list(scope_queryset(user, CodVersion.objects.all(), Perm.GEOGRAPHY_VIEW))
    ids = [version.pk for version in versions]
    level_counts = defaultdict(dict)
    for version_id, level, count in (
        AdminArea.objects.filter(version_id__in=ids)
        .values_list("version_id", "level")
        .annotate(n=Count("id"))
        .order_by()
    ):
        level_counts[version_id][level] = count
    settlement_counts = dict(
        Settlement.objects.filter(version_id__in=ids)
        .values_list("version_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for version in versions:
        version.level_counts = [(level, level_counts[version.pk].get(level.value, 0)) for level in AdminLevel]
        version.settlement_count = settlement_counts.get(version.pk, 0)
    return versions


# --- Look-ups used by imports ------------------------------------------------------------------


def as_pcode(value) -> str | None:
    """The value as a P-code if it is shaped like one ("ml0501 " -> "ML0501"), else None."""
    text = re.sub(r"\s+", "", str(value or "")).upper()
    return text if PCODE_PATTERN.match(text) else None


def area_get_by_pcode(pcode: str, *, version=None) -> AdminArea | None:
    resolved = cod_version_get(version)
    code = as_pcode(pcode)
    if resolved is None or code is None:
        return None
    return AdminArea.objects.filter(version=resolved, pcode=code).select_related("version").first()


def areas_by_pcode(pcode: str) -> list[AdminArea]:
    """The areas a P-code filter names (geography is reference data, the same for every user): those of the
    default COD version, else of any version (a P-code retired since), only what scoping by area needs."""
    code = (pcode or "").strip()
    found = AdminArea.objects.filter(pcode__iexact=code).only("path", "version")
    return list(found.filter(version__is_default=True)) or list(found)


def area_find_by_name(name: str, *, level=None, parent: AdminArea | None = None, version=None) -> QuerySet:
    """Areas one of whose names matches `name`; `parent` restricts to its descendants."""
    key = normalise_text(str(name or ""))
    resolved = parent.version if (version is None and parent is not None) else cod_version_get(version)
    if not key or resolved is None:
        return AdminArea.objects.none()
    areas = AdminArea.objects.filter(
        version=resolved, pk__in=AreaName.objects.filter(key=key).values("area_id")
    )
    if level is not None:
        areas = areas.filter(level=level)
    if parent is not None:
        areas = areas.filter(path__startswith=parent.path).exclude(pk=parent.pk)
    # Look-ups feed imports: the display geometry is not needed there.
    return (
        areas.select_related("version", "parent")
        .defer("geometry", "parent__geometry")
        .order_by("level", "pcode")
    )


def _describe(area: AdminArea, parents: dict[int, AdminArea] | None = None) -> str:
    parent = (parents or {}).get(area.parent_id) if parents is not None else area.parent
    where = f", {parent.name_fr}" if parent is not None else ""
    return f"{area.pcode} ({area.name_fr}{where})"


def _level_label(level) -> str:
    return str(AdminLevel(level).label).lower()


def _choose(value: str, candidates: list[AdminArea], *, level, parent, parents=None) -> AdminArea:
    """The one candidate, or AreaLookupError saying why not (in the user's language)."""
    if len(candidates) == 1:
        return candidates[0]
    within = ""
    if parent is not None:
        within = _(" in %(parent)s (%(pcode)s)") % {"parent": parent.name_fr, "pcode": parent.pcode}
    if not candidates:
        # The level is quoted rather than used as a noun: French would need its gender.
        if level is None:
            message = _("No area named or coded “%(value)s”%(within)s.")
        else:
            message = _("No area of level “%(level)s” named or coded “%(value)s”%(within)s.")
        raise AreaLookupError(
            message
            % {"level": _level_label(level) if level is not None else "", "value": value, "within": within},
            value=value,
        )
    listed = ", ".join(_describe(area, parents) for area in candidates[:MAX_CANDIDATES])
    raise AreaLookupError(
        _(
            "“%(value)s” is ambiguous%(within)s: %(count)s areas match (%(candidates)s); "
            "give the P-code or the parent."
        )
        % {"value": value, "within": within, "count": len(candidates), "candidates": listed},
        value=value,
        candidates=candidates,
    )


def _fits(area: AdminArea, *, level, parent: AdminArea | None) -> bool:
    if level is not None and area.level != level:
        return False
    return parent is None or (parent.contains(area) and area.pk != parent.pk)


def area_resolve(value, *, level=None, parent: AdminArea | None = None, version=None) -> AdminArea:
    """Exactly one area for a P-code or a name, or AreaLookupError (not found / ambiguous)."""
    text = str(value or "").strip()
    resolved = _version_required(version, parent)
    if not text:
        raise AreaLookupError(_("No area given."), value=text)
    pcode = as_pcode(text)
    if pcode is not None:
        area = AdminArea.objects.filter(version=resolved, pcode=pcode).select_related("parent").first()
        if area is not None and _fits(area, level=level, parent=parent):
            return area
    # Not a P-code of this version: a name, which may look like one ("Sy" is a commune of San).
    candidates = list(area_find_by_name(text, level=level, parent=parent, version=resolved))
    return _choose(text, candidates, level=level, parent=parent)


class AreaResolver:
    """Resolves many values against one version from memory, for imports of thousands of rows.

    Construction costs two queries (areas without geometry, and their name keys); each `resolve`
    is then a dictionary look-up. Build one per import job, never keep one across requests: it
    does not see areas loaded after it was built.
    """

    def __init__(self, version=None):
        self.version = _version_required(version)
        areas = AdminArea.objects.filter(version=self.version).only(
            "id", "pcode", "level", "parent_id", "path", "name_fr", "version_id"
        )
        self.by_id = {area.pk: area for area in areas}
        self.by_pcode = {area.pcode: area for area in self.by_id.values()}
        self.by_key: dict[str, list[AdminArea]] = defaultdict(list)
        names = (
            AreaName.objects.filter(area__version=self.version)
            .values_list("area_id", "key")
            .order_by()
            .distinct()
        )
        for area_id, key in names:
            self.by_key[key].append(self.by_id[area_id])
        for matches in self.by_key.values():
            matches.sort(key=lambda area: (area.level, area.pcode))

    def get(self, pcode: str) -> AdminArea | None:
        code = as_pcode(pcode)
        return self.by_pcode.get(code) if code else None

    def resolve(self, value, *, level=None, parent: AdminArea | None = None) -> AdminArea:
        text = str(value or "").strip()
        if not text:
            raise AreaLookupError(_("No area given."), value=text)
        area = self.get(text)
        if area is not None and _fits(area, level=level, parent=parent):
            return area
        candidates = [
            area
            for area in self.by_key.get(normalise_text(text), [])
            if _fits(area, level=level, parent=parent)
        ]
        return _choose(text, candidates, level=level, parent=parent, parents=self.by_id)


def settlement_find_by_name(name: str, *, parent: AdminArea | None = None, version=None) -> QuerySet:
    """Settlements named `name` (normalised), optionally within an area's subtree."""
    key = normalise_text(str(name or ""))
    resolved = parent.version if (version is None and parent is not None) else cod_version_get(version)
    if not key or resolved is None:
        return Settlement.objects.none()
    settlements = Settlement.objects.filter(version=resolved, key=key)
    if parent is not None:
        settlements = settlements.filter(admin3__path__startswith=parent.path)
    return settlements.select_related("admin3").order_by("pcode")


def settlement_get_by_pcode(pcode: str, *, version=None) -> Settlement | None:
    resolved = cod_version_get(version)
    code = as_pcode(pcode)
    if resolved is None or code is None:
        return None
    return Settlement.objects.filter(version=resolved, pcode=code).select_related("admin3").first()


def area_ancestors(area: AdminArea) -> list[AdminArea]:
    """From the top of the version down to the area's parent, in one query."""
    pcodes = area.path_pcodes[:-1]
    if not pcodes:
        return []
    return list(AdminArea.objects.filter(version_id=area.version_id, pcode__in=pcodes).order_by("level"))


# --- Selectors for the pages -------------------------------------------------------------------


def area_list(*, user, parent: AdminArea | None = None, level=None, query: str | None = None, version=None):
    """Areas for the browser: regions, a parent's children, or a search by name or P-code."""
    resolved = parent.version if parent is not None else cod_version_get(version)
    if resolved is None:
        return AdminArea.objects.none()
    areas = AdminArea.objects.filter(version=resolved)
    query = (query or "").strip()
    if query:
        conditions = Q(pk__in=[])
        key = normalise_text(query)
        if key:
            conditions |= Q(pk__in=AreaName.objects.filter(key__contains=key).values("area_id"))
        pcode = re.sub(r"\s+", "", query).upper()
        if pcode:
            conditions |= Q(pcode__startswith=pcode)
        areas = areas.filter(conditions)
        if parent is not None:
            areas = areas.filter(path__startswith=parent.path).exclude(pk=parent.pk)
    elif parent is not None:
        areas = areas.filter(parent=parent)
    elif level is None:
        level = AdminLevel.REGION
    if level is not None:
        areas = areas.filter(level=level)
    areas = scope_queryset(user, areas, Perm.GEOGRAPHY_VIEW)
    return (
        areas.defer("geometry", "parent__geometry")
        .select_related("parent")
        .annotate(children_count=Count("children"))
        .order_by("level", "pcode")
    )


def area_get(*, user, public_id, request=None) -> AdminArea:
    """One area the user may see, or Http404."""
    return get_object_for_user(
        user,
        AdminArea.objects.select_related("version", "parent"),
        public_id,
        Perm.GEOGRAPHY_VIEW,
        request=request,
    )


def area_names(area: AdminArea) -> list[AreaName]:
    """The area's spellings, French name first (reference data of an area already authorised)."""
    order = {"official": 0, "ascii": 1, "alias": 2}
    return sorted(area.names.all(), key=lambda name: (order.get(name.kind, 9), name.name))


def area_settlement_count(area: AdminArea) -> int:
    return Settlement.objects.filter(admin3__path__startswith=area.path, version_id=area.version_id).count()


# --- Area pickers -------------------------------------------------------------------------------

# "Mopti (région, ML05)", "Douentza (ML0506)": the P-code in brackets wins over the name, so that a
# suggestion picked (or an edited value) resolves exactly.
_BRACKETED_PCODE = re.compile(r"\((?:[^()]*,)?\s*([A-Za-z]{2}\d*)\s*\)\s*$")
# How many suggestions a picker offers while typing.
MAX_SUGGESTIONS = 12


def area_within_q(limits, *, ancestors: bool = False) -> Q | None:
    """Areas inside one of `limits` (None: no limit, [] : none), and with `ancestors` the areas above
    them too, so that chained selects can reach them (a region, to get to its one allowed cercle)."""
    if limits is None:
        return None
    condition = Q(pk__in=[])
    for limit in limits:
        condition |= Q(version_id=limit.version_id, path__startswith=limit.path)
        if ancestors:
            condition |= Q(version_id=limit.version_id, pcode__in=limit.path_pcodes)
    return condition


def areas_within(areas: QuerySet, limits, *, ancestors: bool = False) -> QuerySet:
    condition = area_within_q(limits, ancestors=ancestors)
    return areas if condition is None else areas.filter(condition)


def area_in_limits(area: AdminArea, limits) -> bool:
    return limits is None or any(limit.contains(area) for limit in limits)


def area_label(area: AdminArea) -> str:
    """How a picker shows an area and reads it back: "Mopti (région, ML05)"."""
    return f"{area.name_fr} ({_level_label(area.level)}, {area.pcode})"


def area_pick(value, *, levels=None, limits=None, version=None) -> AdminArea:
    """The one area a person typed or picked: "Name (level, P-code)" from the suggestions, a P-code, or a
    name (accents and case ignored). A name that several areas share resolves when only one of them is of
    the `levels` asked and inside the `limits`; otherwise AreaLookupError lists the candidates."""
    text = str(value or "").strip()
    match = _BRACKETED_PCODE.search(text)
    if match and as_pcode(match.group(1)):
        text = match.group(1)
    try:
        return area_resolve(text, version=version)
    except AreaLookupError as error:
        candidates = [
            area
            for area in error.candidates
            if (not levels or area.level in levels) and area_in_limits(area, limits)
        ]
        if len(candidates) == 1:
            return candidates[0]
        if not error.candidates:
            raise
        shown = candidates or error.candidates
        raise AreaLookupError(
            _("“%(value)s” names %(count)s areas: %(candidates)s. Pick one from the suggestions.")
            % {
                "value": text,
                "count": len(shown),
                "candidates": "; ".join(area_label(area) for area in shown[:MAX_CANDIDATES]),
            },
            value=text,
            candidates=shown,
        ) from None


def area_suggestions(*, user, text: str, levels=None, limits=None, version=None) -> list[AdminArea]:
    """Areas whose name (any spelling, accents and case ignored) or P-code starts like `text`, for a
    picker: exact names first, then by level (région, cercle, commune) and name; within `limits`."""
    key = normalise_text(str(text or ""))
    resolved = cod_version_get(version)
    if not key or resolved is None:
        return []
    names = AreaName.objects.filter(Q(key__startswith=key) | Q(key__contains=f" {key}"))
    condition = Q(pk__in=names.values("area_id"))
    pcode = as_pcode(text)
    pcode = pcode if pcode and any(ch.isdigit() for ch in pcode) else None  # "ML" alone names nothing
    if pcode:
        condition |= Q(pcode__startswith=pcode)
    areas = AdminArea.objects.filter(condition, version=resolved, level__gte=AdminLevel.REGION)
    if levels:
        areas = areas.filter(level__in=levels)
    areas = areas_within(scope_queryset(user, areas, Perm.GEOGRAPHY_VIEW), limits)
    found = list(
        areas.select_related("parent")
        .only(
            "pk",
            "pcode",
            "name_fr",
            "level",
            "path",
            "version_id",
            "parent",
            "parent__name_fr",
            "parent__level",
        )
        .order_by("level", "name_fr")[: MAX_SUGGESTIONS * 4]
    )

    def rank(area):
        if pcode and area.pcode.startswith(pcode):
            return (0, area.pcode != pcode, area.level, area.pcode)
        name = normalise_text(area.name_fr)
        return (1, name != key, not name.startswith(key), area.level, name)

    return sorted(found, key=rank)[:MAX_SUGGESTIONS]
