"""Frozen, disclosure-controlled tables of the reports, and their display for an audience.

A report version stores each table as its exact cells with the suppression mark that
`core.disclosure.protect` gave at generation (public audience: primary and complementary
suppression), so that the published figures never change afterwards and every output (HTML, PDF,
XLSX) shows the same thing: "<5" to the public, the exact value marked with * to the analysts' draft
preview.
"""

from collections.abc import Callable, Iterable

from sentinelle.core.charts import Bar, bar_chart
from sentinelle.core.disclosure import Audience, Cell, Suppression, protect, show_cell


def frozen_table(
    counts: dict[tuple, int],
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
) -> dict:
    """A table of counts protected for the public, as JSON for a report version."""
    table = protect(counts, rows=rows, columns=columns, audience=Audience.PUBLIC, threshold=threshold)

    def frozen(cell: Cell) -> list:
        return [cell.value, str(cell.suppression)]

    return {
        "key": key,
        "title": title,
        "row_label": row_label,
        "columns": [column_labels(column) for column in columns],
        "rows": [
            {
                "code": "" if row is None else str(row),
                "label": row_labels(row),
                "cells": [frozen(table.cell(row, column)) for column in columns],
                "total": frozen(table.row_total(row)),
            }
            for row in rows
        ],
        "totals": [frozen(table.column_total(column)) for column in columns],
        "grand": frozen(table.grand_total),
        "row_totals": row_totals and len(columns) > 1,
        "column_totals": column_totals,
    }


def single_figure(value: int, *, label: str, threshold: int | None = None) -> dict:
    """One count (a key figure of a section), protected like a one-cell table."""
    cell = protect({("x", "x"): int(value or 0)}, threshold=threshold).cell("x", "x")
    return {"label": label, "cell": [cell.value, str(cell.suppression)]}


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


def shown(cell: list, *, audience: Audience, threshold: int) -> str:
    value, suppression = cell
    return show_cell(Cell(int(value), Suppression(suppression)), threshold=threshold, audience=audience)


def is_hidden(cell: list) -> bool:
    return bool(cell[1])


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


def table_chart(table: dict, *, audience: Audience, threshold: int, column: int | None = None):
    """Bars of the rows' totals (or of one column); a hidden cell draws no bar, its text says "<5"."""
    bars = []
    for row in table["rows"]:
        cell = row["total"] if column is None else row["cells"][column]
        text = shown(cell, audience=audience, threshold=threshold)
        value = cell[0] if (audience == Audience.ANALYST or not is_hidden(cell)) else 0
        bars.append(Bar(label=row["label"], value=value, shown=text))
    return bar_chart(bars, label=table["title"])


def figure_text(figure: dict, *, audience: Audience, threshold: int) -> str:
    return shown(figure["cell"], audience=audience, threshold=threshold)
