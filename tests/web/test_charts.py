"""web/charts.py: valid SVG with its text alternative, suppressed values drawn and labelled, labels escaped,
right-to-left mirrored."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from web import charts

SVG = "{http://www.w3.org/2000/svg}"


def _bars(**overrides):
    arguments = dict(
        chart_id="chart-test", title="Reports by kind", description="Bars for each kind of report.",
        groups=[charts.BarGroup("Noise", (charts.Bar("", 12, "12"),)),
                charts.BarGroup("Hate incident", (charts.Bar("", None, "fewer than 5"),)),
                charts.BarGroup("Council", (charts.Bar("Typical days", 2.5, "2.5", target=2.0),))],
        suppressed_label="fewer than 5", target_label="Agreed target")
    arguments.update(overrides)
    return ElementTree.fromstring(str(charts.bar_chart(**arguments)))


def _line(**overrides):
    arguments = dict(
        chart_id="chart-line", title="Reports each month", description="A line of reports per month.",
        points=[charts.Point("Jan", 7), charts.Point("Feb", None), charts.Point("Mar", 9), charts.Point("Apr", 12)],
        number=lambda value: f"{value:g}", suppressed_label="fewer than 5")
    arguments.update(overrides)
    return ElementTree.fromstring(str(charts.line_chart(**arguments)))


def _texts(svg) -> list[str]:
    return ["".join(text.itertext()) for text in svg.iter(f"{SVG}text")]


@pytest.mark.parametrize("build", [_bars, _line])
def test_chart_is_an_image_with_a_title_and_description_it_is_labelled_by(build):
    svg = build()
    assert svg.get("role") == "img"
    assert svg.get("width") == "100%" and svg.get("viewBox").startswith("0 0 360 ")
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # No inline style (the CSP refuses it) and no named or fetched font.
    assert all("style" not in element.attrib and "font-family" not in element.attrib for element in svg.iter())


def test_suppressed_bar_is_hatched_and_labelled_fewer_than_five():
    svg = _bars()
    hatched = [rect for rect in svg.iter(f"{SVG}rect") if rect.get("fill") == "url(#chart-test-hatch)"]
    assert len(hatched) == 2  # the bar and its legend swatch
    assert _texts(svg).count("fewer than 5") == 2  # beside the bar, and in the legend
    assert svg.find(f".//{SVG}pattern[@id='chart-test-hatch']") is not None


def test_bar_lengths_follow_the_values_and_the_target_is_a_dashed_line():
    svg = _bars()
    solid = [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect") if rect.get("fill") == charts.BAR_COLOUR]
    assert solid[0] == pytest.approx(solid[1] * 12 / 2.5, rel=0.01)
    dashed = [line for line in svg.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 2  # on the council's bar, and in the legend
    assert "Agreed target" in _texts(svg)


def test_suppressed_month_breaks_the_line_and_is_hatched():
    svg = _line()
    lines = list(svg.iter(f"{SVG}polyline"))
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2  # March to April; January stands alone
    assert len(list(svg.iter(f"{SVG}circle"))) == 3
    assert any(rect.get("fill") == "url(#chart-line-hatch)" for rect in svg.iter(f"{SVG}rect"))
    assert "fewer than 5" in _texts(svg)


def test_labels_and_titles_are_escaped():
    hostile = '<script>alert("x")</script> & "quotes"'
    svg = _bars(title=hostile, description=hostile,
                groups=[charts.BarGroup(hostile, (charts.Bar(hostile, 3, hostile),))])
    assert svg.find(f"{SVG}title").text == hostile
    assert any(hostile in text for text in _texts(svg))
    assert not list(svg.iter(f"{SVG}script")) and not list(svg.iter("script"))
    svg = _line(points=[charts.Point(hostile, 1)])
    assert hostile in "".join(_texts(svg))


def test_chart_ids_are_plain():
    with pytest.raises(ValueError):
        _bars(chart_id='x" onload="alert(1)')


def test_long_labels_wrap_onto_lines_inside_the_chart():
    label = "A place that feels unsafe (poor lighting, broken doors, hidden corners) " * 2
    svg = _bars(groups=[charts.BarGroup(label, (charts.Bar("", 5, "5"),))])
    spans = [span for text in svg.iter(f"{SVG}text") for span in text.iter(f"{SVG}tspan")]
    assert len(spans) > 3
    longest = max(len(span.text or "") for span in spans)
    assert longest * charts.LABEL_SIZE * charts.CHAR_WIDTH <= charts.WIDTH


def test_right_to_left_bars_grow_from_the_right():
    left = [rect for rect in _bars().iter(f"{SVG}rect") if rect.get("fill") == charts.BAR_COLOUR]
    right = [rect for rect in _bars(rtl=True).iter(f"{SVG}rect") if rect.get("fill") == charts.BAR_COLOUR]
    assert float(left[0].get("x")) == 4
    assert float(right[0].get("x")) + float(right[0].get("width")) == pytest.approx(charts.WIDTH - 4)
    first_left = float(next(_line().iter(f"{SVG}circle")).get("cx"))
    first_right = float(next(_line(rtl=True).iter(f"{SVG}circle")).get("cx"))
    assert first_left < charts.WIDTH / 2 < first_right


@pytest.mark.parametrize("build", [_bars, _line])
def test_right_to_left_labels_read_right_to_left_and_keep_their_side(build):
    # SVG reads text-anchor in the text's own direction: an Arabic label is laid out right to left and its
    # anchor swapped, so each label still starts (or ends) at the same point of the mirrored chart.
    left_to_right = list(build().iter(f"{SVG}text"))
    right_to_left = list(build(rtl=True).iter(f"{SVG}text"))
    assert right_to_left and all(text.get("direction") == "rtl" for text in right_to_left)
    assert all(text.get("direction") is None for text in left_to_right)
    # The mirrored chart puts each label at the mirrored point with the mirrored anchor, which in the
    # label's own direction is the anchor it had (a label beginning at the left edge begins at the right).
    assert [text.get("text-anchor") for text in right_to_left] == [text.get("text-anchor") for text in left_to_right]


def test_chinese_labels_wrap_between_characters_and_keep_punctuation_with_its_word():
    # Chinese has no spaces to break at, and each character is about a whole em wide.
    label = "仇恨事件（因种族、宗教、残障、性取向或跨性别身份）"
    lines = charts._wrap(label, charts.LABEL_SIZE, charts.WIDTH - 8)
    assert len(lines) == 2 and "".join(lines) == label
    assert all(charts._ems(line) * charts.LABEL_SIZE <= charts.WIDTH - 8 for line in lines)
    assert not any(line[0] in "，。、）" or line[-1] == "（" for line in lines)
    # Latin words wrap at spaces as before, and a Latin word inside Chinese is not split.
    assert charts._wrap("Weavers ward 的 panel", charts.LABEL_SIZE, 60) == ["Weavers", "ward 的", "panel"]
