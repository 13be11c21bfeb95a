"""Trend sparklines of the population pages (the map by cercle is geography.maps.circles_map, as on the
incident list)."""

SPARK_WIDTH, SPARK_HEIGHT = 120, 28


def sparkline(values: list[int]) -> str:
    """The `points` attribute of a polyline drawing `values` left to right ("" under two points)."""
    if len(values) < 2:
        return ""
    top = max(values) or 1
    step = SPARK_WIDTH / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * value / top:.1f}"
        for i, value in enumerate(values)
    )
