"""Server-drawn charts: escaped, proportional, readable as text, nothing drawn for no figure."""

from defusedxml import ElementTree as ET

from sentinelle.core.charts import Bar, bar_chart, column_chart

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
