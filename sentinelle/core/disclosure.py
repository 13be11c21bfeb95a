"""Statistical disclosure control (design §6): the one function every aggregate that leaves the analysts
goes through.

A table is cells keyed by (row, column) with counts. Primary suppression hides every count below the
threshold (default 5, setting SENTINELLE["DISCLOSURE_THRESHOLD"]), zero excepted: a zero reveals nobody
and hiding it would let a reader guess the small cells. Complementary suppression then hides the
smallest further cells wherever a row or column (totals included) would otherwise let a reader subtract
their way back to a hidden count: every line holding a hidden cell holds at least two, or its total is
hidden too. Totals are computed here from the exact counts, so what is published always adds up for
the cells shown.

Analysts (the IMO, administrators) see exact figures with the small cells marked; everyone else sees
"<5" for a small cell and "x" for a cell hidden only to protect one (it is not small: "<5" would
mislead). GBV figures are never broken down below the admin level the sharing protocol allows
(SENTINELLE["GBV_MIN_ADMIN_LEVEL"]): `coarsest_area_level` answers what a caller may group by.
"""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

TOTAL = "__total__"
# How a complementary cell reads outside the analysts: hidden, but not claimed to be small.
HIDDEN_MARK = "x"


class Audience(StrEnum):
    ANALYST = "analyst"
    PUBLIC = "public"


class Suppression(StrEnum):
    NONE = ""
    PRIMARY = "primary"
    COMPLEMENTARY = "complementary"


@dataclass(frozen=True)
class Cell:
    value: int
    suppression: Suppression = Suppression.NONE

    @property
    def suppressed(self) -> bool:
        return self.suppression != Suppression.NONE


@dataclass(frozen=True)
class ProtectedTable:
    """Cells, row totals, column totals and the grand total, each a Cell; shown per audience."""

    cells: dict[tuple[Hashable, Hashable], Cell]
    rows: list
    columns: list
    threshold: int
    audience: Audience

    def cell(self, row, column) -> Cell:
        return self.cells.get((row, column), Cell(0))

    def row_total(self, row) -> Cell:
        return self.cells[(row, TOTAL)]

    def column_total(self, column) -> Cell:
        return self.cells[(TOTAL, column)]

    @property
    def grand_total(self) -> Cell:
        return self.cells[(TOTAL, TOTAL)]

    def show(self, cell: Cell) -> str:
        return show_cell(cell, threshold=self.threshold, audience=self.audience)

    @property
    def suppressed_count(self) -> int:
        return sum(1 for cell in self.cells.values() if cell.suppressed)


def threshold_setting() -> int:
    return int(settings.SENTINELLE.get("DISCLOSURE_THRESHOLD", 5))


def gbv_min_admin_level() -> int:
    return int(settings.SENTINELLE.get("GBV_MIN_ADMIN_LEVEL", 1))


def coarsest_area_level(requested_level: int, *, gbv: bool) -> int:
    """The admin level a breakdown may use: GBV figures stop at the protocol's level (1 = region)."""
    return min(requested_level, gbv_min_admin_level()) if gbv else requested_level


def show_cell(cell: Cell, *, threshold: int, audience: Audience) -> str:
    if not cell.suppressed:
        return _number(cell.value)
    if audience == Audience.ANALYST:
        # Exact for analysts, marked so that they know the figure cannot be published as is.
        return f"{_number(cell.value)}*"
    if cell.suppression == Suppression.COMPLEMENTARY:
        return HIDDEN_MARK
    return f"<{threshold}"


def _number(value) -> str:
    return f"{value:,}".replace(",", "\u202f") if isinstance(value, int) else str(value)


def protect(
    counts: Mapping[tuple[Hashable, Hashable], int],
    *,
    rows: list | None = None,
    columns: list | None = None,
    audience: Audience = Audience.PUBLIC,
    threshold: int | None = None,
) -> ProtectedTable:
    """Apply primary and complementary suppression to a two-way table of counts (one column for a list).

    `counts` maps (row, column) to a count; missing cells are zeros. Totals are added under TOTAL.
    """
    threshold = threshold_setting() if threshold is None else threshold
    rows = list(rows) if rows is not None else _ordered({row for row, _ in counts})
    columns = list(columns) if columns is not None else _ordered({column for _, column in counts})
    values: dict[tuple, int] = {}
    for row in rows:
        for column in columns:
            values[(row, column)] = int(counts.get((row, column), 0) or 0)
        values[(row, TOTAL)] = sum(values[(row, column)] for column in columns)
    for column in columns:
        values[(TOTAL, column)] = sum(values[(row, column)] for row in rows)
    values[(TOTAL, TOTAL)] = sum(values[(row, TOTAL)] for row in rows)

    hidden: dict[tuple, Suppression] = {
        key: Suppression.PRIMARY for key, value in values.items() if 0 < value < threshold
    }
    # Each line: its inner cells plus its total. Lines are the rows (with the column totals' row) and
    # the columns (with the row totals' column).
    all_rows = [*rows, TOTAL]
    all_columns = [*columns, TOTAL]
    lines = [[(row, column) for column in all_columns] for row in all_rows] + [
        [(row, column) for row in all_rows] for column in all_columns
    ]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if _exposed(line, hidden, values):
                partner = _smallest_visible(line, hidden, values)
                if partner is None:
                    continue
                hidden[partner] = Suppression.COMPLEMENTARY
                changed = True
    cells = {key: Cell(value, hidden.get(key, Suppression.NONE)) for key, value in values.items()}
    return ProtectedTable(cells=cells, rows=rows, columns=columns, threshold=threshold, audience=audience)


def _exposed(line: list[tuple], hidden: Mapping, values: Mapping) -> bool:
    """A line with exactly one hidden non-zero cell can be solved by subtraction."""
    hidden_in_line = [key for key in line if key in hidden and values[key] > 0]
    return len(hidden_in_line) == 1


def _smallest_visible(line: list[tuple], hidden: Mapping, values: Mapping) -> tuple | None:
    candidates = [key for key in line if key not in hidden and values[key] > 0]
    if not candidates:
        return None
    # Hiding the smallest count loses the least information; inner cells before totals.
    return min(candidates, key=lambda key: (TOTAL in key, values[key]))


def protect_rows(
    rows: list[dict],
    *,
    row_key: str,
    column_key: str | None,
    measure: str,
    audience: Audience = Audience.PUBLIC,
    threshold: int | None = None,
) -> ProtectedTable:
    """`protect` for the rows that core/datasets.aggregate answers (one column when column_key is None)."""
    counts: dict[tuple, int] = {}
    for row in rows:
        key = (row[row_key], row[column_key] if column_key else measure)
        counts[key] = counts.get(key, 0) + int(row[measure] or 0)
    return protect(counts, audience=audience, threshold=threshold)


def _ordered(keys: set) -> list:
    return sorted(keys, key=lambda key: (key is None, str(key)))
