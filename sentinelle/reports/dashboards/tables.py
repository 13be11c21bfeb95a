"""A dashboard figure: its table (after disclosure control), its drawing, its notes; and the builders.

Every number a figure holds went through `core.disclosure`: a table keeps, per cell, the text to show
(the reader's figure, "<5" for a small count; for analysts the exact count, marked "3*" or "12†" where a
reader sees something else) and the number that exports write and charts draw. A small cell's bar or
shade is drawn at half the threshold, whatever its true size, and titled "<5".
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils.safestring import SafeString

from sentinelle.core.charts import Bar, screen_bar_chart, screen_column_chart
from sentinelle.core.disclosure import TOTAL, Audience, Cell, ProtectedTable, Status, protect, show_cell
from sentinelle.geography.maps import choropleth_map


@dataclass(frozen=True)
class Shown:
    text: str
    # The number an export writes and a chart draws (the reader's figure, or the exact one for analysts);
    # None when the audience may not see a number (a small count, for readers).
    value: float | None
    # How a reader's figure relates to the exact one (readers: SMALL for "<5"; analysts: the marks).
    status: Status = Status.EXACT

    @property
    def small(self) -> bool:
        return self.status == Status.SMALL


EMPTY = Shown("", None)


@dataclass(frozen=True)
class Column:
    code: object
    label: str
    tag: str  # HXL hashtag with attributes, for the exports


@dataclass(frozen=True)
class Row:
    code: object
    label: str
    cells: list[Shown]


@dataclass
class Table:
    row_header: str
    row_tag: str
    columns: list[Column]
    rows: list[Row]
    totals: Row | None = None

    @property
    def is_empty(self) -> bool:
        return not self.rows

    def all_rows(self) -> list[Row]:
        return [*self.rows, *([self.totals] if self.totals else [])]


@dataclass
class Figure:
    key: str
    title: str
    table: Table
    chart: str = ""  # SVG markup (SafeString) from core.charts
    map: dict | None = None
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Why the figure may not be shown to this audience (the GBV floor): shown instead of numbers.
    refused: str = ""
    # What disclosure control tells this audience about the figure (core.disclosure.audience_note), once:
    # under the table and chart, in the XLSX's "About" sheet and on the CSV's last line. Empty for the
    # sources' own aggregates (exact).
    disclosure: str = ""


def shown(cell: Cell, *, audience: Audience, threshold: int) -> Shown:
    """A cell as the audience sees it."""
    status = cell.status(threshold)
    text = show_cell(cell, threshold=threshold, audience=audience)
    if audience == Audience.ANALYST:
        return Shown(text, cell.value, status)
    return Shown(text, cell.published(threshold), Status.SMALL if status == Status.SMALL else Status.EXACT)


def shown_cell(table: ProtectedTable, cell: Cell) -> Shown:
    return shown(cell, audience=table.audience, threshold=table.threshold)


def drawn_value(cell: Shown, threshold: int) -> float:
    """What a chart draws: the number when it may be seen; for a small hidden cell, the middle of the range
    it hides (1 to threshold - 1), whatever its true value, so that its size reveals nothing."""
    if cell.value is not None:
        return cell.value
    return threshold / 2 if cell.small else 0


def protected_table(
    counts: dict,
    *,
    keys: dict | None,
    rows: list,
    columns: list,
    row_label,
    column_label,
    row_header: str,
    row_tag: str,
    column_tag,
    audience: Audience,
    threshold: int,
    totals: bool = True,
) -> Table:
    """A two-way (or one-column) table of counts through disclosure control, rows and columns in order.
    `keys` holds the cells' keys (None: a source's own aggregates, shown exactly)."""
    protected = protect(counts, keys=keys, rows=rows, columns=columns, audience=audience, threshold=threshold)
    with_total = totals and len(columns) > 1
    out_columns = [Column(code, column_label(code), column_tag(code)) for code in columns]
    if with_total:
        out_columns.append(Column(TOTAL, _total_label(), column_tag(TOTAL)))
    out_rows = []
    for row in rows:
        cells = [shown_cell(protected, protected.cell(row, column)) for column in columns]
        if with_total:
            cells.append(shown_cell(protected, protected.row_total(row)))
        out_rows.append(Row(row, row_label(row), cells))
    total_row = None
    if totals and rows:
        cells = [shown_cell(protected, protected.column_total(column)) for column in columns]
        if with_total:
            cells.append(shown_cell(protected, protected.grand_total))
        total_row = Row(TOTAL, _total_label(), cells)
    return Table(row_header=row_header, row_tag=row_tag, columns=out_columns, rows=out_rows, totals=total_row)


def _total_label() -> str:
    from django.utils.translation import gettext

    return gettext("Total")


# --- Drawings -------------------------------------------------------------------------------------


def bars_of(table: Table, *, label: str, threshold: int, column: int = -1) -> SafeString:
    """One bar per row: its total (or the given column)."""
    bars = []
    for row in table.rows:
        cell = row.cells[column] if row.cells else EMPTY
        bars.append(Bar(row.label, drawn_value(cell, threshold), shown=cell.text))
    return screen_bar_chart(bars, label=label)


def cell_bars_of(table: Table, *, label: str, threshold: int) -> SafeString:
    """One bar per non-empty inner cell ("Female · 18-59 years"), for small two-way tables."""
    bars = []
    inner = [c for c in table.columns if c.code != TOTAL]
    for row in table.rows:
        for index, column in enumerate(inner):
            cell = row.cells[index]
            if cell.value == 0 and not cell.small:
                continue
            bars.append(Bar(f"{column.label} · {row.label}", drawn_value(cell, threshold), shown=cell.text))
    return screen_bar_chart(bars, label=label)


def columns_of(table: Table, *, label: str, threshold: int) -> SafeString:
    """Stacked columns: the rows along the axis (months), one series per column (categories)."""
    inner = [(index, c) for index, c in enumerate(table.columns) if c.code != TOTAL]
    series, shown = {}, {}
    for index, column in inner:
        series[column.label] = [drawn_value(row.cells[index], threshold) for row in table.rows]
        shown[column.label] = [row.cells[index].text for row in table.rows]
    # Months read "12/25" under the columns (twelve of them fit); the table keeps "2025-12".
    axis = [f"{row.code:%m/%y}" if isinstance(row.code, date) else row.label for row in table.rows]
    return screen_column_chart(axis, series, label=label, stacked=True, shown=shown)


def map_of(table: Table, *, version, level: int, within, threshold: int, column: int = -1) -> dict | None:
    """A choropleth of the table's rows (keyed by P-code), small cells' shades drawn at half the threshold."""
    values, texts = {}, {}
    for row in table.rows:
        if not row.code:
            continue
        cell = row.cells[column]
        values[row.code] = drawn_value(cell, threshold)
        texts[row.code] = cell.text
    drawing = choropleth_map(values, version, level=level, within=within)
    if drawing is None:
        return None
    for shape in drawing["shapes"]:
        shape["shown"] = texts.get(shape["pcode"], "0")
        shape.pop("value", None)
    return drawing
