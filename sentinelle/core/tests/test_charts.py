"""Server-drawn charts: escaped, proportional, readable as text, nothing drawn for no figure."""

from defusedxml import ElementTree as ET

from sentinelle.core.charts import (
    NARROW_BARS,
    NARROW_COLUMNS,
    Bar,
    bar_chart,
    column_chart,
    screen_bar_chart,
    screen_column_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str):
    return ET.fromstring(str(markup))


def test_bars_are_proportional_and_labelled():
    svg = _parse(bar_chart([Bar("Mopti", 40), Bar("Ségou", 10)], label="Incidents par région"))
    widths = [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect")]
    assert widths[0] == 4 * widths[1]
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert "Mopti" in texts and "40" in texts and "10" in texts
    assert svg.get("aria-label") == "Incidents par région"


def test_shown_text_replaces_the_number_after_disclosure_control():
    svg = _parse(bar_chart([Bar("Gao", 3, shown="<5"), Bar("Kidal", 12)], label="x"))
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert "<5" in texts and "3" not in texts


def test_labels_are_escaped():
    markup = str(bar_chart([Bar("<script>alert(1)</script>", 1)], label='"><b>'))
    assert "<script>" not in markup and "<b>" not in markup
    _parse(markup)


def test_columns_skip_missing_values_and_stack():
    markup = column_chart(["jan", "fév", "mar"], {"PDI": [10, None, 30], "Retournés": [5, 5, 5]}, label="x")
    rects = [r for r in _parse(markup).iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(rects) == 5  # the missing February IDP figure draws nothing
    stacked = column_chart(["jan"], {"a": [2], "b": [2]}, label="x", stacked=True)
    heights = [float(r.get("height")) for r in _parse(stacked).iter(f"{SVG}rect") if r.get("height") != "10"]
    assert len(heights) == 2 and heights[0] == heights[1]


def test_nothing_to_draw_gives_no_markup():
    assert bar_chart([], label="x") == ""
    assert column_chart([], {}, label="x") == ""


def test_column_titles_show_the_disclosed_text():
    svg = _parse(column_chart(["2026-01", "2026-02"], {"Vie": [5, 3]}, label="x", shown={"Vie": ["", "<5"]}))
    titles = [title.text for title in svg.iter(f"{SVG}title")]
    assert titles == ["Vie — 2026-01: 5", "Vie — 2026-02: <5"]


def test_a_narrow_bar_chart_puts_each_label_above_its_bar():
    bars = [Bar("Tombouctou", 40), Bar("Ségou", 10)]
    wide = _parse(bar_chart(bars, label="x"))
    narrow = _parse(bar_chart(bars, label="x", layout=NARROW_BARS))

    assert wide.get("viewBox") == "0 0 600 48" and narrow.get("viewBox") == "0 0 320 74"
    assert narrow.get("class") == "chart chart-narrow"
    label, rect = narrow.find(f"{SVG}g/{SVG}text"), narrow.find(f"{SVG}g/{SVG}rect")
    assert label.get("x") == rect.get("x") == "0"
    assert int(label.get("y")) < int(rect.get("y"))
    assert all(int(text.get("font-size")) >= 12 for text in narrow.iter(f"{SVG}text"))


def test_a_narrow_column_chart_keeps_the_latest_axis_labels_that_fit():
    months = [f"2025-{month:02d}" for month in range(1, 13)]
    series = {"PDI": list(range(12)), "Retournés": [1] * 12}
    wide = _parse(column_chart(months, series, label="x"))
    narrow = _parse(column_chart(months, series, label="x", layout=NARROW_COLUMNS))

    def axis(svg):
        return [text.text for text in svg.iter(f"{SVG}text") if text.get("text-anchor") == "middle"]

    assert axis(wide) == months
    assert axis(narrow) == months[1::2]  # every other month, ending on the latest
    assert narrow.get("viewBox") == "0 0 320 244"  # the legend one entry a line under the plot


def test_a_screen_chart_holds_both_drawings():
    markup = str(screen_bar_chart([Bar("Mopti", 4)], label="x"))
    assert markup.count("<svg") == 2 and 'class="chart chart-narrow"' in markup
    assert screen_column_chart([], {}, label="x") == ""
