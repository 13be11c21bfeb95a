"""Light server-drawn SVG maps of counts by area, for every domain's pages, dashboards and PDF reports.

Two grouped queries whatever the number of records: the caller counts by area (one row per area at most),
then the outlines and centres of the areas drawn. Outlines are simplified to a whole-unit grid (about a
pixel of a 300-unit map), a third of the bytes of the stored outline, so a page stays light on a slow link.
"""

import math
from collections import Counter
from collections.abc import Iterable

from shapely.geometry import mapping, shape

from sentinelle.geography.geometry import geometry_bounds, polygons_of, svg_frame
from sentinelle.geography.models import AdminArea

# Shades of a choropleth, lightest to darkest (fill-opacity: the strict CSP forbids style attributes).
CHOROPLETH_SHADES = ("0.15", "0.35", "0.55", "0.75", "0.95")


def counts_by_level(paths_and_counts: Iterable[tuple[str, int]], level: int) -> Counter:
    """Counts by area path rolled up to the P-code of the area of `level` (1 region, 2 cercle...)."""
    totals: Counter[str] = Counter()
    for path, count in paths_and_counts:
        codes = [code for code in (path or "").split("/") if code]
        if len(codes) > level:
            totals[codes[level]] += count or 0
    return totals


def outline(geometry: dict | None, frame) -> str:
    """An SVG path drawn on a whole-unit grid; points that round to the one before are dropped."""
    parts = []
    if geometry:
        tolerance = 1 / frame.scale_y
        geometry = mapping(shape(geometry).simplify(tolerance, preserve_topology=False))
    for polygon in polygons_of(geometry):
        for ring in polygon:
            points: list[tuple[int, int]] = []
            for lon, lat, *_rest in ring:
                point = (
                    round((lon - frame.min_x) * frame.scale_x),
                    round((frame.max_y - lat) * frame.scale_y),
                )
                if not points or point != points[-1]:
                    points.append(point)
            if len(points) > 3:
                parts.append("M" + " ".join(f"{x} {y}" for x, y in points) + "Z")
    return "".join(parts)


def _overlaps(a, b) -> bool:
    return a is not None and a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def circles_map(counts: Counter | dict, version, *, level: int = 2) -> dict | None:
    """Regions outlined, one circle per area of `level` sized by its count (`counts` keyed by P-code).

    Framed on the regions that have counts (a monitor's region fills the map); the others are still
    drawn, and the SVG viewBox crops what falls outside. Template: geography/includes/circles_map.html.
    """
    if version is None:
        return None
    counts = {code: value for code, value in counts.items() if code and value}
    areas = AdminArea.objects.filter(version=version).filter(level=1) | AdminArea.objects.filter(
        version=version, level=level, pcode__in=list(counts)
    )
    areas = list(areas.only("pcode", "name_fr", "level", "parent_id", "path", "geometry", "lon", "lat"))
    regions = [area for area in areas if area.level == 1]
    region_by_code = {area.pcode: area for area in regions}
    concerned = {area.path_pcodes[1] for area in areas if area.level == level and len(area.path_pcodes) > 1}
    bounds = geometry_bounds(
        [region_by_code[code].geometry for code in concerned if code in region_by_code]
        or [area.geometry for area in regions]
    )
    if bounds is None:
        return None
    frame = svg_frame(bounds)
    biggest = max(counts.values(), default=1)
    points = []
    for area in areas:
        if area.level == level and area.lon is not None:
            x = (area.lon - frame.min_x) * frame.scale_x
            y = (frame.max_y - area.lat) * frame.scale_y
            radius = 2 + 10 * math.sqrt(counts[area.pcode] / biggest)
            points.append(
                {
                    "x": f"{x:.1f}",
                    "y": f"{y:.1f}",
                    "r": f"{radius:.1f}",
                    "name": area.name_fr,
                    "pcode": area.pcode,
                    "count": counts[area.pcode],
                }
            )
    return {
        "view_box": frame.view_box,
        "regions": [
            outline(r.geometry, frame) for r in regions if _overlaps(geometry_bounds([r.geometry]), bounds)
        ],
        "points": sorted(points, key=lambda p: -p["count"]),
        "total": sum(counts.values()),
    }


def choropleth_map(values: dict, version, *, level: int = 1, within=None) -> dict | None:
    """Areas of `level` shaded by their value in five equal steps of the largest (`values` by P-code).

    `within` (an AdminArea) limits the map to that area's subtree. Areas without a value are drawn
    unshaded, so that "no figure" reads differently from "a small figure".
    """
    if version is None:
        return None
    areas = AdminArea.objects.filter(version=version, level=level)
    if within is not None:
        areas = areas.filter(path__startswith=within.path)
    areas = list(areas.only("pcode", "name_fr", "geometry"))
    bounds = geometry_bounds([area.geometry for area in areas])
    if bounds is None:
        return None
    frame = svg_frame(bounds)
    biggest = max((value for value in values.values() if value), default=0)
    shapes = []
    for area in areas:
        value = values.get(area.pcode)
        if value and biggest:
            step = min(len(CHOROPLETH_SHADES) - 1, int(len(CHOROPLETH_SHADES) * value / (biggest + 1e-9)))
            shade = CHOROPLETH_SHADES[step]
        else:
            shade = ""
        path = outline(area.geometry, frame)
        if path:
            shapes.append(
                {"d": path, "shade": shade, "name": area.name_fr, "pcode": area.pcode, "value": value}
            )
    return {
        "view_box": frame.view_box,
        "shapes": shapes,
        "legend": [
            {"shade": shade, "from": math.ceil(biggest * i / len(CHOROPLETH_SHADES))}
            for i, shade in enumerate(CHOROPLETH_SHADES)
        ]
        if biggest
        else [],
    }
