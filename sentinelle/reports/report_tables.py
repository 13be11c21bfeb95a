"""Frozen, disclosure-controlled tables of the reports, and their display for an audience.

A report version is computed for the public: it stores each table's cells as [exact value, reader's
figure], the reader's figure being what core.disclosure publishes for the cell (None for "<5", the count
perturbed by up to 2 otherwise; exact for the sources' own aggregates). The published figures therefore
never change afterwards, every output (HTML, PDF, XLSX) shows the same thing, and the cell keys are never
stored: the public sees the reader's figures, the analysts' draft preview the exact ones, marked "3*"
where a reader reads "<5" and "12†" where a reader gets another number. Versions frozen before the cell
key method hold [value, suppression mark] ("", "primary", "complementary") and are shown as they were.
"""

from collections.abc import Callable, Iterable, Mapping

from sentinelle.core.charts import Bar, bar_chart
from sentinelle.core.disclosure import (
    PERTURBED_MARK,
    SMALL_MARK,
    Audience,
    Cell,
    add_keys,
    number,
    protect,
)

# How a cell hidden by the complementary suppression of older versions read for the public.
_LEGACY_HIDDEN = "x"
_LEGACY_MARKS = ("", "primary", "complementary")


class KeyedCounts(dict):
    """{(row, column): exact count} with the cells' keys (`keys`; None: a source's own aggregates)."""

    def __init__(self, counts=(), keys: Mapping | None = None):
        super().__init__(counts)
        self.keys_: dict | None = dict(keys) if keys is not None else None

    def merged(self, other: "KeyedCounts") -> "KeyedCounts":
        counts = {**self, **other}
        if self.keys_ is None or other.keys_ is None:
            return KeyedCounts(counts, None)
        return KeyedCounts(counts, {**self.keys_, **other.keys_})

    def cell(self, position) -> Cell:
        key = None if self.keys_ is None else self.keys_.get(position, 0)
        return Cell(int(self.get(position, 0) or 0), key)

    def total(self) -> Cell:
        """All the cells as one (a key figure): their sum, with the sum of their keys."""
        cells = [self.cell(position) for position in self]
        if self.keys_ is None:
            return Cell(sum(cell.value for cell in cells), None)
        return Cell(sum(cell.value for cell in cells), add_keys(0, *(cell.key for cell in cells)))


def frozen(cell: Cell, threshold: int) -> list:
    """A cell as a report version keeps it: [exact value, reader's figure (None for "<5")]."""
    return [int(cell.value or 0), cell.published(threshold)]


def frozen_table(
    counts: KeyedCounts | dict,
    *,
    key: str,
    title: str,
    row_label: str,
    rows: list,
    columns: list,
    row_labels: Callable[[object], str],
    column_labels: Callable[[object], str],
    row_totals: bool = True,
    column_totals: bool = True,
    threshold: int | None = None,
    note: str = "",
) -> dict:
    """A table of counts for a report version (reader's figures beside exact ones), as JSON; `note` (what
    the GBV floor did to it) is shown under it."""
    keys = counts.keys_ if isinstance(counts, KeyedCounts) else None
    table = protect(
        counts, keys=keys, rows=rows, columns=columns, audience=Audience.PUBLIC, threshold=threshold
    )
    threshold = table.threshold

    def freeze(cell: Cell) -> list:
        return frozen(cell, threshold)

    return {
        "key": key,
        "title": title,
        "row_label": row_label,
        "columns": [column_labels(column) for column in columns],
        "rows": [
            {
                "code": "" if row is None else str(row),
                "label": row_labels(row),
                "cells": [freeze(table.cell(row, column)) for column in columns],
                "total": freeze(table.row_total(row)),
            }
            for row in rows
        ],
        "totals": [freeze(table.column_total(column)) for column in columns],
        "grand": freeze(table.grand_total),
        "row_totals": row_totals and len(columns) > 1,
        "column_totals": column_totals,
        "protected": keys is not None,
        "note": str(note),
    }


def single_figure(cell: Cell, *, label: str, threshold: int) -> dict:
    """One count (a key figure of a section), frozen like a table's cell."""
    return {"label": label, "cell": frozen(cell, threshold)}


def ordered_by_total(counts: dict[tuple, int]) -> list:
    totals: dict = {}
    for (row, _column), value in counts.items():
        totals[row] = totals.get(row, 0) + int(value or 0)
    return sorted(totals, key=lambda row: (-totals[row], str(row)))


def present(codes: Iterable, counts: dict[tuple, int], *, axis: int) -> list:
    """The codes (in their order) that have a count, then any other code found in the counts."""
    found = {key[axis] for key, value in counts.items() if value}
    ordered = [code for code in codes if code in found]
    return ordered + sorted(
        (code for code in found if code not in ordered), key=lambda c: (c is None, str(c))
    )


# --- Display ----------------------------------------------------------------------------------------


def _legacy(cell: list) -> bool:
    return isinstance(cell[1], str) and cell[1] in _LEGACY_MARKS


def public_value(cell: list) -> int | None:
    """The number the public gets (None when it reads "<5" or was hidden)."""
    value, second = cell
    if _legacy(cell):
        return None if second else int(value)
    return second


def shown(cell: list, *, audience: Audience, threshold: int) -> str:
    value, second = cell
    if audience == Audience.ANALYST:
        if _legacy(cell):
            return f"{number(int(value))}{SMALL_MARK if second else ''}"
        if second is None and value:
            return f"{number(int(value))}{SMALL_MARK}"
        mark = PERTURBED_MARK if second is not None and second != value else ""
        return f"{number(int(value))}{mark}"
    if _legacy(cell) and second == "complementary":
        return _LEGACY_HIDDEN
    public = public_value(cell)
    return f"<{threshold}" if public is None else number(public)


def is_hidden(cell: list) -> bool:
    """Does the public read no number here ("<5")?"""
    return public_value(cell) is None


def display_table(table: dict, *, audience: Audience, threshold: int) -> dict:
    def show(cell):
        return shown(cell, audience=audience, threshold=threshold)

    return {
        **table,
        "rows": [
            {
                "label": row["label"],
                "code": row["code"],
                "cells": [show(cell) for cell in row["cells"]],
                "total": show(row["total"]),
            }
            for row in table["rows"]
        ],
        "totals": [show(cell) for cell in table["totals"]],
        "grand": show(table["grand"]),
    }


def drawn(cell: list, *, audience: Audience) -> int:
    """What a chart or a map draws: the audience's number; nothing for a count the public reads "<5"."""
    if audience == Audience.ANALYST:
        return int(cell[0])
    return public_value(cell) or 0


def table_chart(table: dict, *, audience: Audience, threshold: int, column: int | None = None):
    """Bars of the rows' totals (or of one column); a hidden cell draws no bar, its text says "<5"."""
    bars = []
    for row in table["rows"]:
        cell = row["total"] if column is None else row["cells"][column]
        text = shown(cell, audience=audience, threshold=threshold)
        bars.append(Bar(label=row["label"], value=drawn(cell, audience=audience), shown=text))
    return bar_chart(bars, label=table["title"])


def figure_text(figure: dict, *, audience: Audience, threshold: int) -> str:
    if figure["cell"] is None:  # a figure the GBV floor refused
        return "—"
    return shown(figure["cell"], audience=audience, threshold=threshold)
