"""Small charts drawn on the server as SVG, for pages and PDF reports alike (no JavaScript, no CDN).

Each function returns escaped SVG markup: values are shown as text too (a <title> per mark and labels),
so the chart reads without colour and the page's data table stays the reference. Colours come from
presentation attributes (the strict CSP forbids style attributes); shown values go through the caller's
disclosure control first: pass the text to show with `shown` when it differs from the number.

A chart scales with its box, so its text does too: drawn 600 units wide, a label of 12 units is 6 px on a
phone. Pages therefore take `screen_bar_chart` / `screen_column_chart`: the wide drawing and a narrow one
(320 units, labels above the bars, fewer axis labels, one legend entry a line), the stylesheet showing the
one that fits (static/css/dashboards.css), so that no text is drawn below about 11 px. PDFs keep the wide one.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from sentinelle.core import formatting

PALETTE = ("#1f5f8b", "#b3261e", "#6b8e23", "#b8860b", "#6a3d9a", "#008080", "#7f7f7f")
WIDTH = 600
NARROW = 320  # about a phone's card (360 px less margins): the narrow drawing's text stays at its size


@dataclass(frozen=True)
class BarLayout:
    """Where a bar chart puts each part of a row: label beside the bar (wide) or above it (narrow)."""

    width: int
    svg_class: str
    row: int  # one bar's line, label included
    margin: int  # above the first row and below the last
    plot: int  # the longest bar
    label_x: int
    label_y: int  # the label's baseline, from the row's top
    label_anchor: str  # ' text-anchor="end"' to end the label at label_x, "" to start it there
    label_font: int
    label_clip: int
    bar_x: int
    bar_y: int
    bar_height: int
    value_y: int


@dataclass(frozen=True)
class ColumnLayout:
    """Where a column chart puts the plot, the axis labels, the scale and the legend."""

    width: int
    svg_class: str
    height: int  # of the plot with its axis labels, the legend below it
    bottom: int  # room for the axis labels
    left: int  # room for the scale
    top: int  # room above the highest column
    right: int  # room after the last column (for its axis label)
    axis_clip: int
    axis_label_room: int  # an axis label's width: labels are left out to keep that much room (0: all shown)
    scale_x: int
    scale_anchor: str
    legend_columns: int
    legend_column_width: int
    key_x: int
    key_y: int  # below the plot
    key_size: int
    key_text_dx: int
    key_text_y: int
    key_clip: int
    legend_pad: int  # under the legend
    no_legend_room: int  # under a single series' plot (no legend)


LEGEND_ENTRY = 18
WIDE_BARS = BarLayout(
    width=WIDTH,
    svg_class="chart",
    row=22,
    margin=2,
    plot=WIDTH - 230 - 70,  # a label column of 230, a value column of 70
    label_x=224,
    label_y=14,
    label_anchor=' text-anchor="end"',
    label_font=12,
    label_clip=34,
    bar_x=230,
    bar_y=2,
    bar_height=16,
    value_y=14,
)
# The label on its own line (13 high, 3 below it), then the bar (12) and its value, then 9 of space.
NARROW_BARS = BarLayout(
    width=NARROW,
    svg_class="chart chart-narrow",
    row=16 + 12 + 9,
    margin=0,
    plot=NARROW - 60,
    label_x=0,
    label_y=13,
    label_anchor="",
    label_font=13,
    label_clip=42,
    bar_x=0,
    bar_y=16,
    bar_height=12,
    value_y=16 + 12 - 1,
)
WIDE_COLUMNS = ColumnLayout(
    width=WIDTH,
    svg_class="chart",
    height=220,
    bottom=30,
    left=40,
    top=10,
    right=0,
    axis_clip=12,
    axis_label_room=0,
    scale_x=36,
    scale_anchor=' text-anchor="end"',
    legend_columns=3,
    legend_column_width=180,
    key_x=40,
    key_y=4,
    key_size=10,
    key_text_dx=14,
    key_text_y=13,
    key_clip=24,
    legend_pad=4,
    no_legend_room=LEGEND_ENTRY + 4,
)
# Only as many axis labels as fit (the latest always), the scale's top value only, one legend entry a line.
NARROW_COLUMNS = ColumnLayout(
    width=NARROW,
    svg_class="chart chart-narrow",
    height=200,
    bottom=22,
    left=34,
    top=16,
    right=12,
    axis_clip=8,
    axis_label_room=38,
    scale_x=0,
    scale_anchor="",
    legend_columns=1,
    legend_column_width=0,
    key_x=0,
    key_y=6,
    key_size=11,
    key_text_dx=16,
    key_text_y=16,
    key_clip=40,
    legend_pad=8,
    no_legend_room=4,
)


def _svg(svg_class: str, width: int, height: int, label: str, *parts) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        + "{}" * len(parts)
        + "</svg>",
        svg_class,
        width,
        height,
        label,
        *parts,
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str = ""  # the text to print (e.g. "<5" after disclosure control); default: the value

    @property
    def text(self) -> str:
        return self.shown or _number(self.value)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _number(value) -> str:
    return formatting.number(value)


def bar_chart(
    bars: Sequence[Bar], *, label: str, colour: str = PALETTE[0], layout: BarLayout = WIDE_BARS
) -> SafeString:
    """Horizontal bars, one per row, each with its label (beside or above it) and its value after it."""
    if not bars:
        return SafeString("")
    biggest = max((bar.value or 0 for bar in bars), default=0) or 1
    marks = []
    for index, bar in enumerate(bars):
        y = layout.margin + index * layout.row
        marks.append((bar, y, max(0.0, (bar.value or 0) / biggest * layout.plot)))
    body = format_html_join(
        "",
        '<g><title>{}: {}</title><text x="{}" y="{}"' + layout.label_anchor + ' font-size="{}">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
        '<text x="{}" y="{}" font-size="12">{}</text></g>',
        (
            (
                bar.label,
                bar.text,
                layout.label_x,
                y + layout.label_y,
                layout.label_font,
                _clip(bar.label, layout.label_clip),
                layout.bar_x,
                y + layout.bar_y,
                _f(length),
                layout.bar_height,
                colour,
                _f(layout.bar_x + length + 4),
                y + layout.value_y,
                bar.text,
            )
            for bar, y, length in marks
        ),
    )
    height = layout.row * len(bars) + 2 * layout.margin
    return _svg(layout.svg_class, layout.width, height, label, body)


def column_chart(
    categories: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    label: str,
    stacked: bool = False,
    shown: dict[str, Sequence[str]] | None = None,
    layout: ColumnLayout = WIDE_COLUMNS,
) -> SafeString:
    """Vertical columns over categories (months, quarters): grouped, or stacked for parts of a whole.

    `series` maps a series name to one value per category; None draws nothing (no figure), not zero.
    `shown` (same shape, optional) gives the text of a mark when it differs from the value ("<5" after
    disclosure control; an empty text keeps the value).
    """
    if not categories or not series:
        return SafeString("")
    font, height, bottom, left = 12, layout.height, layout.bottom, layout.left
    plot_height = height - bottom - layout.top
    names = list(series)
    if stacked:
        biggest = max(sum(values[i] or 0 for values in series.values()) for i in range(len(categories)))
    else:
        biggest = max((value or 0 for values in series.values() for value in values), default=0)
    biggest = biggest or 1
    slot = (layout.width - left - layout.right) / len(categories)
    width = slot * 0.7 / (1 if stacked else len(names))
    every = max(1, -(-layout.axis_label_room // max(1, int(slot))))
    last = len(categories) - 1
    marks = []
    for i, category in enumerate(categories):
        base = height - bottom
        for s, name in enumerate(names):
            value = series[name][i]
            if value is None:
                continue
            bar_height = value / biggest * plot_height
            x = left + i * slot + slot * 0.15 + (0 if stacked else s * width)
            y = base - bar_height
            texts = (shown or {}).get(name) or ()
            text = texts[i] if i < len(texts) else ""
            title = f"{name} — {category}: {text or _number(value)}"
            marks.append((title, x, y, width, bar_height, PALETTE[s % 7]))
            if stacked:
                base = y
    axis = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>',
        (
            (_f(left + i * slot + slot / 2), height - bottom + 16, font, _clip(c, layout.axis_clip))
            for i, c in enumerate(categories)
            if (last - i) % every == 0
        ),
    )
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
        ((_f(x), _f(y), _f(w), _f(h), colour, title) for title, x, y, w, h, colour in marks),
    )
    scale = format_html(
        '<text x="{}" y="{}"' + layout.scale_anchor + ' font-size="{}">{}</text>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"></line>',
        layout.scale_x,
        font,
        font,
        _number(biggest),
        left,
        height - bottom,
        layout.width,
        height - bottom,
    )
    columns, entry = layout.legend_columns, LEGEND_ENTRY
    keys = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
        '<text x="{}" y="{}" font-size="{}">{}</text>',
        (
            (
                layout.key_x + (s % columns) * layout.legend_column_width,
                height + layout.key_y + (s // columns) * entry,
                layout.key_size,
                layout.key_size,
                PALETTE[s % 7],
                layout.key_x + (s % columns) * layout.legend_column_width + layout.key_text_dx,
                height + layout.key_text_y + (s // columns) * entry,
                font,
                _clip(name, layout.key_clip),
            )
            for s, name in enumerate(names)
        ),
    )
    if len(names) > 1:
        legend = entry * -(-len(names) // columns) + layout.legend_pad
    else:
        legend, keys = layout.no_legend_room, ""
    return _svg(layout.svg_class, layout.width, height + legend, label, scale, bars, axis, keys)


def screen_bar_chart(bars: Sequence[Bar], *, label: str, colour: str = PALETTE[0]) -> SafeString:
    """bar_chart for a page: the wide and the narrow drawing, the stylesheet showing one."""
    return _for_screens(
        bar_chart(bars, label=label, colour=colour),
        bar_chart(bars, label=label, colour=colour, layout=NARROW_BARS),
    )


def screen_column_chart(categories, series, *, label: str, stacked: bool = False, shown=None) -> SafeString:
    """column_chart for a page: the wide and the narrow drawing, the stylesheet showing one."""
    options = {"label": label, "stacked": stacked, "shown": shown}
    return _for_screens(
        column_chart(categories, series, **options),
        column_chart(categories, series, layout=NARROW_COLUMNS, **options),
    )


def _for_screens(wide: SafeString, narrow: SafeString) -> SafeString:
    if not wide:
        return SafeString("")
    return format_html('<div class="chart-box">{}{}</div>', wide, narrow)


def _clip(text: str, length: int) -> str:
    text = str(text)
    return text if len(text) <= length else text[: length - 1] + "…"
