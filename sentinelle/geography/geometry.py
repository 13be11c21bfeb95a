"""Display geometry: simplification for storage, and SVG paths for server-drawn maps.

Stored geometry is for drawing only (pages must stay light, design §8): it is simplified with
shapely and rounded to 4 decimals (about 11 m), which is far below what a map on a page shows.
"""

import math
from dataclasses import dataclass

import shapely
from shapely.geometry import mapping, shape

# Round coordinates to 4 decimals (~11 m at the equator).
COORDINATE_GRID = 1e-4
# A small feature (a Bamako quartier is ~0.02° across) simplified with the national tolerance
# would become a triangle: never simplify more than this fraction of the feature's own extent.
MAX_TOLERANCE_SHARE_OF_EXTENT = 0.04


@dataclass(frozen=True)
class DisplayGeometry:
    geometry: dict | None
    lon: float | None
    lat: float | None
    bbox: list[float] | None


def _round_coordinates(geom):
    return shapely.transform(geom, lambda coords: coords.round(4))


def simplify_geometry(geojson: dict | None, tolerance: float) -> DisplayGeometry:
    """Simplified GeoJSON geometry, centroid and bounding box of a source geometry."""
    if not geojson:
        return DisplayGeometry(None, None, None, None)
    geom = shape(geojson)
    if geom.is_empty:
        return DisplayGeometry(None, None, None, None)
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    min_x, min_y, max_x, max_y = geom.bounds
    extent = max(max_x - min_x, max_y - min_y)
    effective = min(tolerance, extent * MAX_TOLERANCE_SHARE_OF_EXTENT)
    simplified = geom.simplify(effective, preserve_topology=True) if effective > 0 else geom
    # set_precision rounds and removes the duplicate vertices rounding creates; it can collapse a
    # sliver to nothing, in which case plain rounding is kept.
    rounded = shapely.set_precision(simplified, COORDINATE_GRID)
    if rounded.is_empty:
        rounded = _round_coordinates(simplified)
    centroid = geom.centroid
    if not geom.contains(centroid):
        # A crescent-shaped commune has its centroid outside: use a point on the surface.
        centroid = geom.representative_point()
    return DisplayGeometry(
        geometry=_plain(mapping(rounded)),
        lon=round(centroid.x, 5),
        lat=round(centroid.y, 5),
        bbox=[round(min_x, 4), round(min_y, 4), round(max_x, 4), round(max_y, 4)],
    )


def _plain(value):
    """shapely's mapping() uses tuples; JSON storage and size measures want lists."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def polygons_of(geometry: dict | None) -> list:
    """The polygons (lists of rings) of a Polygon, MultiPolygon or GeometryCollection."""
    if not geometry:
        return []
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["coordinates"]]
    if kind == "MultiPolygon":
        return list(geometry["coordinates"])
    if kind == "GeometryCollection":
        return [polygon for part in geometry.get("geometries", []) for polygon in polygons_of(part)]
    return []


def geometry_bounds(geometries: list[dict | None]) -> tuple[float, float, float, float] | None:
    xs: list[float] = []
    ys: list[float] = []
    for geometry in geometries:
        for polygon in polygons_of(geometry):
            for ring in polygon:
                xs.extend(point[0] for point in ring)
                ys.extend(point[1] for point in ring)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True)
class SvgFrame:
    """Maps lon/lat to SVG user units: x east, y down, longitudes shrunk by cos(latitude)."""

    min_x: float
    max_y: float
    scale_x: float
    scale_y: float
    width: float
    height: float

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"

    def point(self, lon: float, lat: float) -> str:
        x = (lon - self.min_x) * self.scale_x
        y = (self.max_y - lat) * self.scale_y
        return f"{x:.1f} {y:.1f}"


def svg_frame(bounds: tuple[float, float, float, float], *, size: float = 300.0, margin: float = 0.03):
    """A frame fitting `bounds` into a box whose longer side is `size` units."""
    min_x, min_y, max_x, max_y = bounds
    pad_x = (max_x - min_x) * margin or 0.01
    pad_y = (max_y - min_y) * margin or 0.01
    min_x, max_x, min_y, max_y = min_x - pad_x, max_x + pad_x, min_y - pad_y, max_y + pad_y
    # An equirectangular map looks stretched away from the equator; cos(lat) restores the shape.
    aspect = math.cos(math.radians((min_y + max_y) / 2))
    span_x = (max_x - min_x) * aspect
    span_y = max_y - min_y
    unit = size / max(span_x, span_y)
    return SvgFrame(
        min_x=min_x,
        max_y=max_y,
        scale_x=unit * aspect,
        scale_y=unit,
        width=round(span_x * unit, 1),
        height=round(span_y * unit, 1),
    )


def svg_path(geometry: dict | None, frame: SvgFrame) -> str:
    """The `d` attribute drawing a polygon geometry (holes need fill-rule="evenodd")."""
    parts = []
    for polygon in polygons_of(geometry):
        for ring in polygon:
            if len(ring) < 3:
                continue
            points = " L".join(frame.point(lon, lat) for lon, lat, *_ in ring)
            parts.append(f"M{points} Z")
    return " ".join(parts)
