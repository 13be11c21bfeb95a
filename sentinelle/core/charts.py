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
SVG_OPEN = (
    '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">'
)
SVG_OPEN_NARROW = SVG_OPEN.replace('class="chart"', 'class="chart chart-narrow"')


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


def bar_chart(bars: Sequence[Bar], *, label: str, colour: str = PALETTE[0]) -> SafeString:
    """Horizontal bars, one per line, labelled on the left and valued on the right."""
    if not bars:
        return SafeString("")
    row, label_width, value_width = 22, 230, 70
    plot = WIDTH - label_width - value_width
    biggest = max((bar.value or 0 for bar in bars), default=0) or 1
    height = row * len(bars) + 4
    marks = []
    for index, bar in enumerate(bars):
        y = index * row + 2
        length = max(0.0, (bar.value or 0) / biggest * plot)
        marks.append((bar, y, length))
    body = format_html_join(
        "",
        '<g><title>{}: {}</title><text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
        '<text x="{}" y="{}" font-size="12">{}</text></g>',
        (
            (
                bar.label,
                bar.text,
                label_width - 6,
                y + 14,
                _clip(bar.label, 34),
                label_width,
                y + 2,
                _f(length),
                row - 6,
                colour,
                _f(label_width + length + 4),
                y + 14,
                bar.text,
            )
            for bar, y, length in marks
        ),
    )
    return format_html(
        SVG_OPEN + "{}</svg>",
        WIDTH,
        height,
        label,
        body,
    )


def column_chart(
    categories: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    label: str,
    stacked: bool = False,
    shown: dict[str, Sequence[str]] | None = None,
) -> SafeString:
    """Vertical columns over categories (months, quarters): grouped, or stacked for parts of a whole.

    `series` maps a series name to one value per category; None draws nothing (no figure), not zero.
    `shown` (same shape, optional) gives the text of a mark when it differs from the value ("<5" after
    disclosure control; an empty text keeps the value).
    """
    if not categories or not series:
        return SafeString("")
    height, bottom, left, legend = 220, 30, 40, 18 * ((len(series) + 2) // 3)
    plot_height = height - bottom - 10
    names = list(series)
    if stacked:
        biggest = max(sum(values[i] or 0 for values in series.values()) for i in range(len(categories)))
    else:
        biggest = max((value or 0 for values in series.values() for value in values), default=0)
    biggest = biggest or 1
    slot = (WIDTH - left) / len(categories)
    width = slot * 0.7 / (1 if stacked else len(names))
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
        '<text x="{}" y="{}" text-anchor="middle" font-size="12">{}</text>',
        (
            (_f(left + i * slot + slot / 2), height - bottom + 16, _clip(c, 12))
            for i, c in enumerate(categories)
        ),
    )
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
        ((_f(x), _f(y), _f(w), _f(h), colour, title) for title, x, y, w, h, colour in marks),
    )
    scale = format_html(
        '<text x="{}" y="12" text-anchor="end" font-size="12">{}</text>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"></line>',
        left - 4,
        _number(biggest),
        left,
        height - bottom,
        WIDTH,
        height - bottom,
    )
    keys = format_html_join(
        "",
        '<rect x="{}" y="{}" width="10" height="10" fill="{}"></rect>'
        '<text x="{}" y="{}" font-size="12">{}</text>',
        (
            (
                left + (s % 3) * 180,
                height + 4 + (s // 3) * 18,
                PALETTE[s % 7],
                left + (s % 3) * 180 + 14,
                height + 13 + (s // 3) * 18,
                _clip(name, 24),
            )
            for s, name in enumerate(names)
        ),
    )
    return format_html(
        SVG_OPEN + "{}{}{}{}</svg>",
        WIDTH,
        height + legend + 4,
        label,
        scale,
        bars,
        axis,
        keys if len(names) > 1 else "",
    )


def bar_chart_narrow(bars: Sequence[Bar], *, label: str, colour: str = PALETTE[0]) -> SafeString:
    """Horizontal bars for a narrow screen: each label on its own line above its bar, the value after it."""
    if not bars:
        return SafeString("")
    font, bar_height, gap, value_width = 13, 12, 9, 60
    line = font + 3
    row = line + bar_height + gap
    plot = NARROW - value_width
    biggest = max((bar.value or 0 for bar in bars), default=0) or 1
    marks = []
    for index, bar in enumerate(bars):
        y = index * row
        marks.append((bar, y, max(0.0, (bar.value or 0) / biggest * plot)))
    body = format_html_join(
        "",
        '<g><title>{}: {}</title><text x="0" y="{}" font-size="{}">{}</text>'
        '<rect x="0" y="{}" width="{}" height="{}" fill="{}"></rect>'
        '<text x="{}" y="{}" font-size="12">{}</text></g>',
        (
            (
                bar.label,
                bar.text,
                y + font,
                font,
                _clip(bar.label, 42),
                y + line,
                _f(length),
                bar_height,
                colour,
                _f(length + 4),
                y + line + bar_height - 1,
                bar.text,
            )
            for bar, y, length in marks
        ),
    )
    return format_html(SVG_OPEN_NARROW + "{}</svg>", NARROW, row * len(bars), label, body)


def column_chart_narrow(
    categories: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    label: str,
    stacked: bool = False,
    shown: dict[str, Sequence[str]] | None = None,
) -> SafeString:
    """Vertical columns for a narrow screen: only as many axis labels as fit (the latest always), the
    scale's top value only, and the legend one entry a line."""
    if not categories or not series:
        return SafeString("")
    font, height, bottom, left = 12, 200, 22, 34
    plot_height = height - bottom - 16
    names = list(series)
    if stacked:
        biggest = max(sum(values[i] or 0 for values in series.values()) for i in range(len(categories)))
    else:
        biggest = max((value or 0 for values in series.values() for value in values), default=0)
    biggest = biggest or 1
    slot = (NARROW - left - 12) / len(categories)  # room for the last axis label
    width = slot * 0.7 / (1 if stacked else len(names))
    every = max(1, -(-38 // int(slot or 1)))  # an axis label takes about 38 units at this size
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
            marks.append(
                (f"{name} — {category}: {text or _number(value)}", x, y, width, bar_height, PALETTE[s % 7])
            )
            if stacked:
                base = y
    axis = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>',
        (
            (_f(left + i * slot + slot / 2), height - bottom + 16, font, _clip(c, 8))
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
        '<text x="0" y="{}" font-size="{}">{}</text>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"></line>',
        font,
        font,
        _number(biggest),
        left,
        height - bottom,
        NARROW,
        height - bottom,
    )
    entry = 18
    keys = format_html_join(
        "",
        '<rect x="0" y="{}" width="11" height="11" fill="{}"></rect>'
        '<text x="16" y="{}" font-size="{}">{}</text>',
        (
            (height + 6 + s * entry, PALETTE[s % 7], height + 16 + s * entry, font, _clip(name, 40))
            for s, name in enumerate(names)
        ),
    )
    legend = entry * len(names) + 8 if len(names) > 1 else 4
    return format_html(
        SVG_OPEN_NARROW + "{}{}{}{}</svg>",
        NARROW,
        height + legend,
        label,
        scale,
        bars,
        axis,
        keys if len(names) > 1 else "",
    )


def screen_bar_chart(bars: Sequence[Bar], *, label: str, colour: str = PALETTE[0]) -> SafeString:
    """bar_chart for a page: the wide and the narrow drawing, the stylesheet showing one."""
    return _for_screens(
        bar_chart(bars, label=label, colour=colour), bar_chart_narrow(bars, label=label, colour=colour)
    )


def screen_column_chart(categories, series, *, label: str, stacked: bool = False, shown=None) -> SafeString:
    """column_chart for a page: the wide and the narrow drawing, the stylesheet showing one."""
    options = {"label": label, "stacked": stacked, "shown": shown}
    return _for_screens(
        column_chart(categories, series, **options), column_chart_narrow(categories, series, **options)
    )


def _for_screens(wide: SafeString, narrow: SafeString) -> SafeString:
    if not wide:
        return SafeString("")
    return format_html('<div class="chart-box">{}{}</div>', wide, narrow)


def _clip(text: str, length: int) -> str:
    text = str(text)
    return text if len(text) <= length else text[: length - 1] + "…"
