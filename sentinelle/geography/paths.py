"""Area paths ("ML/ML05/ML0501/": each level's P-code and a slash, the country first), read without a query.

An area's path holds its ancestors' paths as prefixes; these say them once for every app (alerts and their
followers, duplicate detection, flash reports, displacement figures).
"""


def ancestor_paths(path: str) -> list[str]:
    """The paths from the country down to the area itself: "ML/", "ML/ML05/", "ML/ML05/ML0501/"."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[: depth + 1]) + "/" for depth in range(len(parts))]


def path_at_level(path: str, level: int) -> str:
    """The path of the area of `level` (0 the country, 1 a region, 2 a cercle...) on `path`; the path
    itself when the area is at that level or above it."""
    return "/".join(path.split("/")[:-1][: level + 1]) + "/"
