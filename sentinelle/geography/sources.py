"""Reading COD-AB files: GeoJSON or zipped shapefile per level, and the settlements CSV.

Nothing here touches the database. Readers return plain rows or raise ValidationError with a
message for the administrator; services.py validates the rows as a whole and writes them.

Field names differ between COD releases: the 2015 files use `admin1Name` / `admin1Pcod` (the
shapefile's 10-character limit), HDX releases from 2017 on `ADM1_FR` / `ADM1_PCODE`. The fields
are detected per level from the candidates below, case-insensitively.
"""

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import shapefile
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PCODE_FIELDS = ("ADM{n}_PCODE", "admin{n}Pcod", "admin{n}Pcode", "ADM{n}_CODE", "adm{n}_pcode")
NAME_FIELDS = ("ADM{n}_FR", "admin{n}Name", "ADM{n}_NAME", "adm{n}_name", "ADM{n}_EN")
# Other spellings the COD carries: reference (ASCII) name, alternative names, English name.
ALT_NAME_FIELDS = (
    "admin{n}RefN",
    "admin{n}AltN",
    "admin{n}Al_1",
    "ADM{n}_REF",
    "ADM{n}ALT1FR",
    "ADM{n}ALT2FR",
    "ADM{n}_EN",
    "ADM{n}ALT1EN",
    "ADM{n}ALT2EN",
)
# Values that mean "no value" in COD exports (R writes NA, some tools write null strings).
MISSING_VALUES = {"", "na", "n/a", "null", "none"}


@dataclass(frozen=True)
class SourceArea:
    level: int
    pcode: str
    name: str
    parent_pcode: str | None
    alt_names: tuple[str, ...]
    geometry: dict | None


@dataclass(frozen=True)
class SourceSettlement:
    pcode: str
    name: str
    admin3_pcode: str
    place_class: int | None
    lon: float | None
    lat: float | None


@dataclass(frozen=True)
class LevelFields:
    pcode: str
    name: str
    parent_pcode: str | None
    alt_names: tuple[str, ...]


def clean(value) -> str:
    """A stripped string, or "" for the COD's ways of saying "missing"."""
    if value is None:
        return ""
    text = str(value).strip()
    return "" if text.casefold() in MISSING_VALUES else text


def clean_pcode(value) -> str:
    return clean(value).upper()


def _find_field(available: Iterable[str], templates: Iterable[str], level: int) -> str | None:
    by_folded = {name.casefold(): name for name in available}
    for template in templates:
        found = by_folded.get(template.format(n=level).casefold())
        if found:
            return found
    return None


def detect_fields(available: Iterable[str], level: int, *, parent_level: int | None, source: str):
    """The property names holding this level's P-code, name, parent P-code and other names."""
    available = list(available)
    pcode = _find_field(available, PCODE_FIELDS, level)
    name = _find_field(available, NAME_FIELDS, level)
    parent = None
    if parent_level is not None:
        parent = _find_field(available, PCODE_FIELDS, parent_level)
    missing = []
    if pcode is None:
        missing.append(" / ".join(t.format(n=level) for t in PCODE_FIELDS[:2]))
    if name is None:
        missing.append(" / ".join(t.format(n=level) for t in NAME_FIELDS[:2]))
    if parent_level is not None and parent is None:
        missing.append(" / ".join(t.format(n=parent_level) for t in PCODE_FIELDS[:2]))
    if missing:
        raise ValidationError(
            _("%(source)s: unknown field names for level %(level)s; expected %(expected)s, found %(found)s.")
            % {
                "source": source,
                "level": level,
                "expected": ", ".join(missing),
                "found": ", ".join(sorted(available)) or "-",
            }
        )
    alt_names = tuple(
        found
        for template in ALT_NAME_FIELDS
        if (found := _find_field(available, [template], level)) and found != name
    )
    return LevelFields(pcode=pcode, name=name, parent_pcode=parent, alt_names=alt_names)


# --- Feature readers ---------------------------------------------------------------------------


def _read_geojson(path: Path) -> list[tuple[dict, dict | None]]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(
            _("%(source)s is not valid GeoJSON (%(error)s).") % {"source": path.name, "error": error}
        ) from error
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValidationError(_("%(source)s is not a GeoJSON FeatureCollection.") % {"source": path.name})
    return [
        (feature.get("properties") or {}, feature.get("geometry")) for feature in data.get("features") or []
    ]


def _zip_member(archive: zipfile.ZipFile, suffix: str, source: str, *, required: bool = True):
    names = [
        name
        for name in archive.namelist()
        if name.lower().endswith(suffix) and not name.startswith("__MACOSX/")
    ]
    if len(names) > 1:
        raise ValidationError(
            _("%(source)s holds several %(suffix)s files; put one layer per archive.")
            % {"source": source, "suffix": suffix}
        )
    if not names:
        if required:
            raise ValidationError(
                _("%(source)s holds no %(suffix)s file.") % {"source": source, "suffix": suffix}
            )
        return None
    return io.BytesIO(archive.read(names[0]))


def _read_zipped_shapefile(path: Path) -> list[tuple[dict, dict | None]]:
    source = path.name
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValidationError(_("%(source)s is not a zip archive.") % {"source": source}) from error
    with archive:
        shp = _zip_member(archive, ".shp", source)
        dbf = _zip_member(archive, ".dbf", source)
        shx = _zip_member(archive, ".shx", source, required=False)
        prj = _zip_member(archive, ".prj", source, required=False)
        cpg = _zip_member(archive, ".cpg", source, required=False)
    # No reprojection library is shipped: only longitude/latitude shapefiles are accepted.
    if prj is not None and prj.getvalue().lstrip().upper().startswith(b"PROJCS"):
        raise ValidationError(
            _("%(source)s is in a projected coordinate system; export it in WGS 84 (EPSG:4326).")
            % {"source": source}
        )
    encoding = "utf-8"
    if cpg is not None:
        encoding = cpg.getvalue().decode("ascii", "ignore").strip() or encoding
    try:
        reader = shapefile.Reader(shp=shp, dbf=dbf, shx=shx, encoding=encoding)
        with reader:
            return [
                (dict(item.record.as_dict()), item.shape.__geo_interface__ if item.shape.points else None)
                for item in reader.iterShapeRecords()
            ]
    except (shapefile.ShapefileException, LookupError, UnicodeDecodeError, ValueError) as error:
        raise ValidationError(
            _("%(source)s could not be read as a shapefile (%(error)s).") % {"source": source, "error": error}
        ) from error


def read_features(path) -> list[tuple[dict, dict | None]]:
    """(properties, geometry) for each feature of a .geojson/.json file or a zipped shapefile."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(_("File not found: %(path)s.") % {"path": path})
    suffix = path.suffix.lower()
    if suffix in {".geojson", ".json"}:
        return _read_geojson(path)
    if suffix == ".zip":
        return _read_zipped_shapefile(path)
    raise ValidationError(
        _("%(source)s: unsupported file type; give a .geojson, .json or zipped shapefile (.zip).")
        % {"source": path.name}
    )


def read_level(path, level: int, *, parent_level: int | None) -> list[SourceArea]:
    """The areas of one level, with their fields detected from the first feature's properties."""
    path = Path(path)
    features = read_features(path)
    if not features:
        raise ValidationError(_("%(source)s holds no feature.") % {"source": path.name})
    fields = detect_fields(features[0][0].keys(), level, parent_level=parent_level, source=path.name)
    areas = []
    for properties, geometry in features:
        alt_names = tuple(dict.fromkeys(v for f in fields.alt_names if (v := clean(properties.get(f)))))
        areas.append(
            SourceArea(
                level=level,
                pcode=clean_pcode(properties.get(fields.pcode)),
                name=clean(properties.get(fields.name)),
                parent_pcode=clean_pcode(properties.get(fields.parent_pcode))
                if fields.parent_pcode
                else None,
                alt_names=alt_names,
                geometry=geometry,
            )
        )
    return areas


# --- Settlements -------------------------------------------------------------------------------

SETTLEMENT_FIELDS = {
    "pcode": ("pcode", "settlement_pcode", "loc_pcode", "p_code"),
    "name": ("featureNam", "name", "settlement_name", "loc_name", "nom"),
    "admin3_pcode": ("admin3Pcod", "ADM3_PCODE", "admin3_pcode"),
    "place_class": ("popPlaceCl", "place_class"),
    "lon": ("longitude", "lon", "x"),
    "lat": ("latitude", "lat", "y"),
}


def _float_or_none(value: str, *, line: int, source: str) -> float | None:
    text = clean(value)
    if not text:
        return None
    try:
        return float(text)
    except ValueError as error:
        raise ValidationError(
            _("%(source)s, line %(line)s: %(value)s is not a number.")
            % {"source": source, "line": line, "value": text}
        ) from error


def read_settlements(path) -> Iterator[SourceSettlement]:
    """Settlements from a CSV with P-code, name and commune P-code columns (COD or HDX names)."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(_("File not found: %(path)s.") % {"path": path})
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = {}
        for key, templates in SETTLEMENT_FIELDS.items():
            columns[key] = _find_field(reader.fieldnames or [], templates, 0)
            if columns[key] is None and key in {"pcode", "name", "admin3_pcode"}:
                raise ValidationError(
                    _("%(source)s: no %(column)s column.") % {"source": path.name, "column": templates[0]}
                )
        for line, row in enumerate(reader, start=2):
            place_class = clean(row.get(columns["place_class"])) if columns["place_class"] else ""
            yield SourceSettlement(
                pcode=clean_pcode(row[columns["pcode"]]),
                name=clean(row[columns["name"]]),
                admin3_pcode=clean_pcode(row[columns["admin3_pcode"]]),
                place_class=int(place_class) if place_class.isdigit() else None,
                lon=_float_or_none(row.get(columns["lon"]), line=line, source=path.name)
                if columns["lon"]
                else None,
                lat=_float_or_none(row.get(columns["lat"]), line=line, source=path.name)
                if columns["lat"]
                else None,
            )


def read_pcode_table(path, value_column: str) -> list[tuple[str, str]]:
    """(pcode, value) pairs of a small curated CSV shipped with the data (names, aliases)."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return [
            (clean_pcode(row["pcode"]), clean(row[value_column]))
            for row in csv.DictReader(handle)
            if clean(row.get(value_column))
        ]
