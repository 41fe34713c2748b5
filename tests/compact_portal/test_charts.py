"""Server-rendered SVG charts (compact_portal/charts.py): each carries its own text alternative, escapes what it is
given, and says so when there is nothing to draw."""

import re
from xml.etree import ElementTree

import pytest

from compact_portal.charts import bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


def bars(items, title="Open flags by rule"):
    return bar_chart(
        title=title, items=items, columns=["Rule", "Open flags"], rows=[[label, text] for label, _, text in items]
    )


def columns(values, texts, *, percent=True, steps=("Apr 2026", "May 2026", "Jun 2026")):
    return column_chart(
        title="Invoices paid on time",
        steps=list(steps),
        values=values,
        texts=texts,
        percent=percent,
        columns=["Month", "Share kept"],
        rows=[[step, text] for step, text in zip(steps, texts, strict=True)],
    )


def parsed(chart) -> ElementTree.Element:
    """The chart's SVG as XML: it must be well formed to draw in WeasyPrint."""
    return ElementTree.fromstring(str(chart.svg))


def texts_of(chart) -> list[str]:
    return [element.text for element in parsed(chart).iter(f"{SVG}text")]


def test_a_bar_chart_is_an_image_titled_and_described_by_its_data():
    chart = bars([("Invoice paid late", 3, "3"), ("Notice too short", 1, "1")])
    svg = parsed(chart)

    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title.text == "Open flags by rule"
    assert desc.text == "Invoice paid late: 3; Notice too short: 1."
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert chart.description == "Open flags by rule. Invoice paid late: 3; Notice too short: 1."
    assert texts_of(chart) == ["Invoice paid late", "3", "Notice too short", "1"]
    assert chart.columns == ["Rule", "Open flags"]
    assert chart.rows == [["Invoice paid late", "3"], ["Notice too short", "1"]]


def test_the_longest_bar_fills_the_width_and_the_others_are_to_scale():
    widths = [float(rect.get("width")) for rect in parsed(bars([("A", 4, "4"), ("B", 1, "1")])).iter(f"{SVG}rect")]

    assert widths == [330.0, 82.5]


def test_each_chart_has_its_own_ids():
    first, second = bars([("A", 1, "1")]), bars([("A", 1, "1")])

    assert parsed(first).find(f"{SVG}title").get("id") != parsed(second).find(f"{SVG}title").get("id")


def test_a_chart_uses_no_style_element_or_attribute_and_no_script():
    for chart in (bars([("A", 1, "1")]), columns([50, None, 100], ["50%", "–", "100%"])):
        markup = str(chart.svg)
        assert "<style" not in markup
        assert "style=" not in markup
        assert "<script" not in markup


@pytest.mark.parametrize("where", ["label", "title", "text"])
def test_a_bar_charts_text_is_escaped(where):
    hostile = "<script>alert(1)</script>"
    item = {"label": (hostile, 1, "1"), "title": ("A", 1, "1"), "text": ("A", 1, hostile)}[where]

    chart = bars([item], title=hostile if where == "title" else "Flags")
    markup = str(chart.svg)

    assert "<script" not in markup
    assert "&lt;script&gt;" in markup
    assert hostile in texts_of(chart) + [parsed(chart).find(f"{SVG}title").text, parsed(chart).find(f"{SVG}desc").text]


def test_a_column_charts_labels_are_escaped():
    chart = columns([50], ["50%"], steps=["<b>Q1</b> & Q2"])

    assert "<b>" not in str(chart.svg)
    assert "&lt;b&gt;Q1&lt;/b&gt; &amp; Q2" in str(chart.svg)
    assert "<b>Q1</b> & Q2" in texts_of(chart)


def test_a_long_bar_label_wraps_onto_more_lines_and_is_never_cut_off():
    label = "Consultation feedback not published within twelve weeks"

    chart = bars([(label, 2, "2"), ("Short", 1, "1")])
    first = next(parsed(chart).iter(f"{SVG}text"))
    lines = [span.text for span in first.iter(f"{SVG}tspan")]

    assert lines == ["Consultation feedback not", "published within twelve weeks"]
    assert " ".join(lines) == label
    assert all(span.get("x") == first.get("x") for span in first.iter(f"{SVG}tspan"))
    assert label in parsed(chart).find(f"{SVG}desc").text
    # the next row starts below both lines
    bars_y = [float(rect.get("y")) for rect in parsed(chart).iter(f"{SVG}rect")]
    assert bars_y[1] - bars_y[0] >= 30


def test_a_bar_chart_of_nothing_says_so():
    chart = bars([])

    assert texts_of(chart) == ["Nothing in this period."]
    assert parsed(chart).find(f"{SVG}desc").text == "Nothing in this period."
    assert list(parsed(chart).iter(f"{SVG}rect")) == []


def test_a_column_chart_shows_each_step_and_describes_it():
    chart = columns([50, 0, 100], ["50%", "0%", "100%"])
    svg = parsed(chart)

    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Invoices paid on time"
    assert svg.find(f"{SVG}desc").text == "Apr 2026: 50%; May 2026: 0%; Jun 2026: 100%."
    assert texts_of(chart)[-6:] == ["50%", "Apr 2026", "0%", "May 2026", "100%", "Jun 2026"]
    assert [float(rect.get("height")) for rect in svg.iter(f"{SVG}rect")] == [70.0, 3.0, 140.0]  # 0 to 100%; 0 a mark
    assert {"0%", "50%", "100%"} <= set(texts_of(chart))  # the scale


def test_a_step_with_nothing_to_count_shows_a_dash_and_no_column():
    chart = columns([50, None, 100], ["50%", "–", "100%"])

    assert len(list(parsed(chart).iter(f"{SVG}rect"))) == 2
    assert texts_of(chart)[-4:-2] == ["–", "May 2026"]
    assert "May 2026: nothing to count" in parsed(chart).find(f"{SVG}desc").text


def test_a_count_column_chart_scales_to_its_largest_value():
    chart = columns([2, 4, None], ["2", "4", "–"], percent=False)
    heights = [float(rect.get("height")) for rect in parsed(chart).iter(f"{SVG}rect")]

    assert heights == [70.0, 140.0]
    assert {"0", "2", "4"} <= set(texts_of(chart))
    assert not any(re.fullmatch(r"\d+%", text) for text in texts_of(chart))


def test_a_column_chart_of_nothing_still_draws():
    chart = columns([None, None], ["–", "–"], steps=["Apr 2026", "May 2026"], percent=False)

    assert list(parsed(chart).iter(f"{SVG}rect")) == []
    assert texts_of(chart).count("–") == 2
