"""Writes to the geography: loading COD versions and crosswalks.

Each public function is keyword-only, runs in one transaction and writes one audit entry. Input is
read and validated as a whole before anything is written, so a refused file leaves no trace.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils.dateparse import parse_date
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import EVERYTHING, figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.text import normalise_text, strip_accents
from sentinelle.core.validation import Errors, refuse
from sentinelle.geography.geometry import simplify_geometry
from sentinelle.geography.models import (
    AdminArea,
    AdminLevel,
    AreaName,
    CodVersion,
    Crosswalk,
    CrosswalkRelation,
    NameKind,
    Settlement,
)
from sentinelle.geography.sources import (
    SourceArea,
    SourceSettlement,
    clean,
    clean_pcode,
    read_level,
    read_pcode_table,
    read_settlements,
)

BATCH_SIZE = 2000
# At most this many problems are listed in one error: enough to fix a file, not a wall of text.
MAX_LISTED_ERRORS = 20

SHIPPED_CODE = "cod-ab-mli-2015"
SHIPPED_DIR = Path(__file__).resolve().parent / "data" / SHIPPED_CODE
SHIPPED_FILES = {
    AdminLevel.COUNTRY: SHIPPED_DIR / "mli_admbnda_adm0_gov.geojson",
    AdminLevel.REGION: SHIPPED_DIR / "mli_admbnda_adm1_gov_ocha_itos.geojson",
    AdminLevel.CERCLE: SHIPPED_DIR / "mli_admbnda_adm2_gov_ocha_itos.geojson",
    AdminLevel.COMMUNE: SHIPPED_DIR / "mli_admbnda_adm3_gov_ocha.geojson",
    AdminLevel.QUARTIER: SHIPPED_DIR / "mli_admbnda_adm4_iom_gov.geojson",
}
SHIPPED_SETTLEMENTS = SHIPPED_DIR / "mli_settlements.csv"
SHIPPED_NAMES_FR = SHIPPED_DIR / "names_fr.csv"
SHIPPED_ALIASES = SHIPPED_DIR / "aliases.csv"
SHIPPED_TITLE = "OCHA COD-AB Mali 2015"
SHIPPED_VALID_ON = datetime.date(2015, 4, 8)
SHIPPED_SOURCE = (
    "OCHA Common Operational Dataset administrative-boundaries-cod-mli (OCHA / ITOS / Government "
    "of Mali), validOn 2015-04-08, via github.com/validmeasures/mali data-raw/maps/ at commit "
    "0156546369241f2552deeb969951e9f0dcb6a805; see sentinelle/geography/data/cod-ab-mli-2015/README.md."
)


@dataclass
class LoadResult:
    version: CodVersion
    created: bool
    counts: dict[str, int] = field(default_factory=dict)


def _tolerance() -> float:
    return float(getattr(settings, "SENTINELLE", {}).get("GEOMETRY_TOLERANCE", 0.01))


def _add_problems(errors: Errors, problems: list[str]) -> None:
    """A file's problems on the whole input: the first MAX_LISTED_ERRORS, then how many more."""
    for problem in problems[:MAX_LISTED_ERRORS]:
        errors.add(None, problem)
    if len(problems) > MAX_LISTED_ERRORS:
        errors.add(None, _("… and %(count)s more.") % {"count": len(problems) - MAX_LISTED_ERRORS})


def version_counts(version: CodVersion) -> dict[str, int]:
    """Areas per level (keyed by the level's English code name) and settlements of a version."""
    by_level = dict(
        AdminArea.objects.filter(version=version).values_list("level").annotate(n=Count("id")).order_by()
    )
    counts = {level.name.lower(): by_level.get(level.value, 0) for level in AdminLevel}
    counts["settlements"] = Settlement.objects.filter(version=version).count()
    return counts


# --- Validation of source rows -----------------------------------------------------------------


def _parent_level(level: int, levels: Iterable[int]) -> int | None:
    """The level whose P-code a level's features carry as parent; None at the top."""
    if level == AdminLevel.COUNTRY:
        return None
    if level == AdminLevel.REGION and AdminLevel.COUNTRY not in levels:
        return None
    return level - 1


def _read_levels(files_by_level: Mapping[int, object]) -> dict[int, list[SourceArea]]:
    levels = {}
    for raw_level, path in files_by_level.items():
        try:
            level = AdminLevel(int(raw_level))
        except (TypeError, ValueError):
            refuse(_("Unknown administrative level %(level)s (expected 0 to 4).") % {"level": raw_level})
        levels[level] = path
    if not levels:
        refuse(_("No file given: give at least one level."))
    for level in levels:
        parent = _parent_level(level, levels)
        if parent is not None and parent not in levels:
            refuse(
                _("Level %(level)s needs the file of level %(parent)s (its parents).")
                % {"level": level, "parent": parent}
            )
    return {
        level: read_level(path, level, parent_level=_parent_level(level, levels))
        for level, path in sorted(levels.items())
    }


def _validate_areas(rows_by_level: dict[int, list[SourceArea]], errors: Errors) -> None:
    problems = []
    seen: dict[str, int] = {}
    for level, rows in rows_by_level.items():
        for index, row in enumerate(rows, start=1):
            if not row.pcode:
                problems.append(
                    _("Level %(level)s, feature %(index)s: no P-code.") % {"level": level, "index": index}
                )
            if not row.name:
                problems.append(
                    _("Level %(level)s, feature %(index)s (%(pcode)s): no name.")
                    % {"level": level, "index": index, "pcode": row.pcode}
                )
            if row.pcode and row.pcode in seen:
                problems.append(
                    _("Duplicate P-code %(pcode)s (levels %(first)s and %(second)s).")
                    % {"pcode": row.pcode, "first": seen[row.pcode], "second": level}
                )
            seen.setdefault(row.pcode, level)
    for level, rows in rows_by_level.items():
        for row in rows:
            if row.parent_pcode is None:
                continue
            if seen.get(row.parent_pcode) != level - 1:
                problems.append(
                    _(
                        "Level %(level)s, %(pcode)s: parent P-code %(parent)s is missing "
                        "from level %(parent_level)s."
                    )
                    % {
                        "level": level,
                        "pcode": row.pcode,
                        "parent": row.parent_pcode or "-",
                        "parent_level": level - 1,
                    }
                )
    _add_problems(errors, problems)


def _validate_settlements(rows: list[SourceSettlement], commune_pcodes: set[str], errors: Errors) -> None:
    problems = []
    seen = set()
    for line, row in enumerate(rows, start=2):
        if not row.pcode or not row.name:
            problems.append(_("Settlements, line %(line)s: P-code or name missing.") % {"line": line})
        elif row.pcode in seen:
            problems.append(_("Settlements: duplicate P-code %(pcode)s.") % {"pcode": row.pcode})
        seen.add(row.pcode)
        if row.admin3_pcode not in commune_pcodes:
            problems.append(
                _("Settlements, line %(line)s (%(pcode)s): commune %(admin3)s is missing.")
                % {"line": line, "pcode": row.pcode, "admin3": row.admin3_pcode or "-"}
            )
    _add_problems(errors, problems)


# --- Writing -----------------------------------------------------------------------------------


def _name_rows(area: AdminArea, spellings: Iterable[tuple[str, str]], user) -> list[AreaName]:
    """One row per distinct spelling; the first kind given wins (official before ASCII)."""
    rows, seen = [], set()
    for name, kind in spellings:
        name = name[:200]
        key = normalise_text(name)
        if key and name not in seen:
            seen.add(name)
            rows.append(AreaName(area=area, key=key[:200], name=name, kind=kind, created_by=user))
    return rows


def _write_areas(
    version: CodVersion,
    rows_by_level: dict[int, list[SourceArea]],
    *,
    names_fr: Mapping[str, str],
    aliases: Mapping[str, list[str]],
    user,
) -> dict[str, AdminArea]:
    """Create the areas level by level (parents first) and their names; pcode -> area."""
    tolerance = _tolerance()
    by_pcode: dict[str, AdminArea] = {}
    names: list[AreaName] = []
    for level in sorted(rows_by_level):
        batch = []
        for row in rows_by_level[level]:
            parent = by_pcode.get(row.parent_pcode) if row.parent_pcode else None
            display = simplify_geometry(row.geometry, tolerance)
            batch.append(
                AdminArea(
                    version=version,
                    level=level,
                    pcode=row.pcode,
                    parent=parent,
                    name_fr=names_fr.get(row.pcode, row.name),
                    name_ascii=strip_accents(row.name),
                    path=f"{parent.path if parent else ''}{row.pcode}/",
                    geometry=display.geometry,
                    lon=display.lon,
                    lat=display.lat,
                    bbox=display.bbox,
                    created_by=user,
                )
            )
        # bulk_create sets primary keys on PostgreSQL and SQLite, which the next level needs.
        for area in AdminArea.objects.bulk_create(batch, batch_size=BATCH_SIZE):
            by_pcode[area.pcode] = area
        for area, row in zip(batch, rows_by_level[level], strict=True):
            spellings = [
                (area.name_fr, NameKind.OFFICIAL),
                (row.name, NameKind.ASCII),
                (area.name_ascii, NameKind.ASCII),
            ]
            spellings += [(alias, NameKind.ALIAS) for alias in (*row.alt_names, *aliases.get(row.pcode, []))]
            names.extend(_name_rows(area, spellings, user))
    AreaName.objects.bulk_create(names, batch_size=BATCH_SIZE)
    return by_pcode


def _write_settlements(version, rows: list[SourceSettlement], by_pcode: dict[str, AdminArea], user) -> int:
    objects = (
        Settlement(
            version=version,
            pcode=row.pcode,
            name=row.name[:200],
            key=normalise_text(row.name)[:200],
            admin3=by_pcode[row.admin3_pcode],
            place_class=row.place_class,
            lon=row.lon,
            lat=row.lat,
            created_by=user,
        )
        for row in rows
    )
    created = 0
    batch: list[Settlement] = []
    for settlement in objects:
        batch.append(settlement)
        if len(batch) == BATCH_SIZE:
            created += len(Settlement.objects.bulk_create(batch))
            batch = []
    if batch:
        created += len(Settlement.objects.bulk_create(batch))
    return created


def _coerce_date(value, errors: Errors) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    parsed = parse_date(str(value or ""))
    if parsed is None:
        errors.add("valid_on", _("Invalid date %(value)s: use YYYY-MM-DD.") % {"value": value})
    return parsed


def cod_version_load(
    *,
    code: str,
    title: str,
    valid_on,
    files_by_level: Mapping[int, object],
    source: str,
    user=None,
    make_default: bool = False,
    settlements_file=None,
    notes: str = "",
    names_fr: Mapping[str, str] | None = None,
    aliases: Mapping[str, list[str]] | None = None,
) -> LoadResult:
    """Load a COD release (one GeoJSON or zipped shapefile per level) as a new version; `names_fr` and
    `aliases` (by P-code) give French display names and more look-up names than the COD's."""
    errors = Errors()
    if not code or slugify(code) != code:
        errors.add(
            "code",
            _("Invalid version code %(code)s: use lower-case letters, digits and hyphens.") % {"code": code},
        )
    if not clean(title):
        errors.add("title", _("A version title is required."))
    valid_on = _coerce_date(valid_on, errors)
    rows_by_level = _read_levels(files_by_level)
    _validate_areas(rows_by_level, errors)
    settlements: list[SourceSettlement] = []
    if settlements_file is not None:
        communes = {row.pcode for row in rows_by_level.get(AdminLevel.COMMUNE, [])}
        settlements = list(read_settlements(settlements_file))
        _validate_settlements(settlements, communes, errors)
    errors.raise_if_any()

    with transaction.atomic():
        if CodVersion.objects.filter(code=code).exists():
            refuse(_("A COD version with the code %(code)s already exists.") % {"code": code}, "code")
        if make_default:
            CodVersion.objects.filter(is_default=True).update(is_default=False)
        version = CodVersion.objects.create(
            code=code,
            title=clean(title),
            valid_on=valid_on,
            source=source or "",
            notes=notes,
            is_default=make_default,
            created_by=user,
        )
        by_pcode = _write_areas(
            version, rows_by_level, names_fr=names_fr or {}, aliases=aliases or {}, user=user
        )
        _write_settlements(version, settlements, by_pcode, user)
        counts = version_counts(version)
        audit_record(
            action=AuditAction.IMPORT,
            user=user,
            obj=version,
            detail={"code": code, "default": make_default, "counts": counts},
        )
        figures_changed(EVERYTHING)
    return LoadResult(version=version, created=True, counts=counts)


def cod_version_load_shipped(*, user=None) -> LoadResult:
    """Load the COD-AB 2015 shipped with Sentinelle; a second call changes nothing."""
    existing = CodVersion.objects.filter(code=SHIPPED_CODE).first()
    if existing is not None:
        return LoadResult(version=existing, created=False, counts=version_counts(existing))
    aliases = defaultdict(list)
    for pcode, alias in read_pcode_table(SHIPPED_ALIASES, "alias"):
        aliases[pcode].append(alias)
    return cod_version_load(
        code=SHIPPED_CODE,
        title=SHIPPED_TITLE,
        valid_on=SHIPPED_VALID_ON,
        files_by_level=SHIPPED_FILES,
        source=SHIPPED_SOURCE,
        user=user,
        make_default=not CodVersion.objects.filter(is_default=True).exists(),
        settlements_file=SHIPPED_SETTLEMENTS,
        notes=(
            "French display names from names_fr.csv (accents, Koulikoro spelling); "
            "the COD's ASCII names are kept as look-up names."
        ),
        names_fr=dict(read_pcode_table(SHIPPED_NAMES_FR, "name_fr")),
        aliases=aliases,
    )


# --- Crosswalks --------------------------------------------------------------------------------


def _version(value) -> CodVersion:
    if isinstance(value, CodVersion):
        return value
    version = CodVersion.objects.filter(code=str(value)).first()
    if version is None:
        refuse(_("Unknown COD version %(code)s.") % {"code": value})
    return version


def _share(value, line: int, problems: list[str]) -> float | None:
    text = clean(value)
    if not text:
        return None
    try:
        share = float(text.replace(",", "."))
    except ValueError:
        share = None
    if share is None or not 0 <= share <= 1:
        problems.append(
            _("Line %(line)s: share %(value)s must be a number between 0 and 1.")
            % {"line": line, "value": text}
        )
        return None
    return share


def _write_crosswalk(from_version, to_version, links: list[tuple[int, int, str, float | None]], user):
    """Create or update links (from_id, to_id, relation, share); counts of each outcome."""
    existing = {
        (link.from_area_id, link.to_area_id): link
        for link in Crosswalk.objects.filter(from_area__version=from_version, to_area__version=to_version)
    }
    to_create, to_update = [], []
    for from_id, to_id, relation, share in links:
        link = existing.get((from_id, to_id))
        if link is None:
            to_create.append(
                Crosswalk(
                    from_area_id=from_id, to_area_id=to_id, relation=relation, share=share, created_by=user
                )
            )
        elif (link.relation, link.share) != (relation, share):
            link.relation, link.share, link.updated_by = relation, share, user
            to_update.append(link)
    Crosswalk.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    Crosswalk.objects.bulk_update(
        to_update, ["relation", "share", "updated_by", "updated_at"], batch_size=BATCH_SIZE
    )
    counts = {
        "created": len(to_create),
        "updated": len(to_update),
        "unchanged": len(links) - len(to_create) - len(to_update),
    }
    audit_record(
        action=AuditAction.IMPORT,
        user=user,
        object_type="geography.crosswalk",
        object_id=f"{from_version.code}>{to_version.code}"[:64],
        detail={"from": from_version.code, "to": to_version.code, **counts},
    )
    figures_changed(EVERYTHING)
    return counts


def crosswalk_load(*, from_version, to_version, rows: Iterable[Mapping], user=None) -> dict[str, int]:
    """Load links between two versions; rows carry from_pcode, to_pcode, relation and share.

    Loading the same rows again changes nothing; a changed relation or share is updated.
    """
    from_version, to_version = _version(from_version), _version(to_version)
    if from_version.pk == to_version.pk:
        refuse(_("A crosswalk links two different COD versions."))
    rows = list(rows)
    pcodes_from = {clean_pcode(row.get("from_pcode")) for row in rows}
    pcodes_to = {clean_pcode(row.get("to_pcode")) for row in rows}
    from_ids = dict(
        AdminArea.objects.filter(version=from_version, pcode__in=pcodes_from).values_list("pcode", "id")
    )
    to_ids = dict(
        AdminArea.objects.filter(version=to_version, pcode__in=pcodes_to).values_list("pcode", "id")
    )
    problems: list[str] = []
    links, seen = [], set()
    for line, row in enumerate(rows, start=2):
        from_pcode, to_pcode = clean_pcode(row.get("from_pcode")), clean_pcode(row.get("to_pcode"))
        relation = clean(row.get("relation")).lower() or CrosswalkRelation.SAME
        share = _share(row.get("share"), line, problems)
        if from_pcode not in from_ids:
            problems.append(
                _("Line %(line)s: P-code %(pcode)s is not in version %(version)s.")
                % {"line": line, "pcode": from_pcode or "-", "version": from_version.code}
            )
        if to_pcode not in to_ids:
            problems.append(
                _("Line %(line)s: P-code %(pcode)s is not in version %(version)s.")
                % {"line": line, "pcode": to_pcode or "-", "version": to_version.code}
            )
        if relation not in CrosswalkRelation.values:
            problems.append(
                _("Line %(line)s: unknown relation %(relation)s (expected %(expected)s).")
                % {"line": line, "relation": relation, "expected": ", ".join(CrosswalkRelation.values)}
            )
        if (from_pcode, to_pcode) in seen:
            problems.append(
                _("Line %(line)s: the link %(from)s → %(to)s is given twice.")
                % {"line": line, "from": from_pcode, "to": to_pcode}
            )
        seen.add((from_pcode, to_pcode))
        if from_pcode in from_ids and to_pcode in to_ids:
            links.append((from_ids[from_pcode], to_ids[to_pcode], relation, share))
    if not rows:
        problems.append(_("The crosswalk file holds no row."))
    errors = Errors()
    _add_problems(errors, problems)
    errors.raise_if_any()
    with transaction.atomic():
        return _write_crosswalk(from_version, to_version, links, user)


def crosswalk_build_by_pcode(*, from_version, to_version, user=None, commit: bool = True) -> list[dict]:
    """Propose "same" links where both versions have the same P-code, level and name.

    Areas that already have a link into `to_version` are left alone (an administrator's "split"
    is never overwritten). With commit=False the proposals are only returned.
    """
    from_version, to_version = _version(from_version), _version(to_version)
    if from_version.pk == to_version.pk:
        refuse(_("A crosswalk links two different COD versions."))

    def keys_by_area(version):
        keys = defaultdict(set)
        for area_id, key in AreaName.objects.filter(area__version=version).values_list("area_id", "key"):
            keys[area_id].add(key)
        return keys

    from_keys, to_keys = keys_by_area(from_version), keys_by_area(to_version)
    targets = {
        (pcode, level): area_id
        for area_id, pcode, level in AdminArea.objects.filter(version=to_version).values_list(
            "id", "pcode", "level"
        )
    }
    linked = set(
        Crosswalk.objects.filter(from_area__version=from_version, to_area__version=to_version).values_list(
            "from_area_id", flat=True
        )
    )
    proposals = []
    for area_id, pcode, level in (
        AdminArea.objects.filter(version=from_version).order_by("pcode").values_list("id", "pcode", "level")
    ):
        target = targets.get((pcode, level))
        if target is None or area_id in linked or not (from_keys[area_id] & to_keys[target]):
            continue
        proposals.append(
            {"from_pcode": pcode, "to_pcode": pcode, "relation": CrosswalkRelation.SAME.value, "share": None}
        )
    if commit and proposals:
        crosswalk_load(from_version=from_version, to_version=to_version, rows=proposals, user=user)
    return proposals
