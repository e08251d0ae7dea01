"""Small server-rendered SVG charts for the public pages: a horizontal bar chart and a line chart.

Pure functions of their arguments (no Flask, no clock): every word and number arrives already translated
and formatted by the caller, so a chart says exactly what the table beside it says, in the page's digits.
Each chart is `role="img"` with a `<title>` and `<desc>` (its text alternative); the page puts every value
in an HTML table right after it, so nothing is only in the picture.

Drawn with presentation attributes only (fill=, font-size=), never style=: the public pages' CSP allows
no inline style attributes. Text takes the page's own font (no font is named or fetched). The viewBox is
narrow (360 units) and the SVG is width 100%, so the text stays readable on a 320 px phone. For
right-to-left pages the geometry is mirrored here (bars grow from the right, time runs right to left)
while the SVG itself keeps direction="ltr", so the coordinates mean the same in every browser.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from markupsafe import Markup, escape

WIDTH = 360
BAR_COLOUR = "#1d4f5e"
TARGET_COLOUR = "#a3001b"
MUTED = "#555555"
LABEL_SIZE = 15
SMALL_SIZE = 13
# An estimate of a character's width as a share of the font size, to wrap labels (SVG text never wraps).
# Generous, because Bengali clusters and bold text run wider than Latin.
CHAR_WIDTH = 0.6
# Where a label at the chart's side begins: 4 units in, or 12 on a right-to-left page, because Urdu's
# Nastaliq letters sweep about half an em past the point their text begins at (found by the browser test).
LABEL_EDGE, RTL_LABEL_EDGE = 4, 12
# Space from one line of a label to the next, as a share of its size. Urdu's Nastaliq climbs and drops
# far further than other scripts, so its pages ask for about twice its size (NASTALIQ_LINE_GAP).
LINE_GAP, NASTALIQ_LINE_GAP = 1.25, 2.0


@dataclass(frozen=True)
class Bar:
    """One bar: `value` None means suppressed (drawn hatched, labelled with `shown`, e.g. "fewer than 5")."""

    label: str  # may be "" when the group's label says it all
    value: Optional[float]
    shown: str  # the value as the page writes it ("3.5", "৩.৫", "fewer than 5")
    target: Optional[float] = None  # drawn as a dashed line across this bar's row


@dataclass(frozen=True)
class BarGroup:
    label: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Point:
    """One point of a line: `value` None means suppressed (a hatched band, no dot, the line breaks)."""

    label: str  # the axis label (a short month name)
    value: Optional[float]


def _ems(text: str) -> float:
    """About how wide `text` is, in ems: a Chinese character (East Asian wide or full-width) takes a whole
    em, others CHAR_WIDTH."""
    return sum(1.0 if _wide(char) else CHAR_WIDTH for char in text)


# Chinese punctuation that may not begin a line, and brackets that may not end one.
_NO_BREAK_BEFORE = frozenset("，。、；：！？）】》」』〕…%")
_NO_BREAK_AFTER = frozenset("（【《「『〔")


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _pieces(text: str) -> list[tuple[str, str]]:
    """The text as (space before, piece) pairs a line may break between: words, and within a word each
    Chinese character, since Chinese is written without spaces and breaks between characters."""
    pieces: list[tuple[str, str]] = []
    for match in re.finditer(r"(\s*)(\S+)", text):
        space, word, start = " " if match[1] else "", match[2], 0
        for index in range(1, len(word)):
            before, char = word[index - 1], word[index]
            if (_wide(before) or _wide(char)) and char not in _NO_BREAK_BEFORE and before not in _NO_BREAK_AFTER:
                pieces.append((space, word[start:index]))
                space, start = "", index
        pieces.append((space, word[start:]))
    return pieces


def _wrap(text: str, font_size: float, width: float) -> list[str]:
    """Lines of at most about `width` units, broken at spaces or between Chinese characters (a word longer
    than that stands alone)."""
    room = max(8 * CHAR_WIDTH, width / font_size)  # in ems
    lines: list[str] = []
    current = ""
    for space, piece in _pieces(text):
        candidate = current + space + piece if current else piece
        if _ems(candidate) <= room or not current:
            current = candidate
        else:
            lines.append(current)
            current = piece
    if current:
        lines.append(current)
    return lines or [""]


def _text(x: float, y: float, text: str, *, size: float = LABEL_SIZE, anchor: str = "start",
          bold: bool = False, fill: str = "#1b1b1b", line_gap: float = 1.25, width: float = WIDTH,
          rtl: bool = False) -> tuple[str, float]:
    """A wrapped <text> block whose first baseline is at y; returns its markup and the height it took.

    `anchor` names the side of the chart x is on ("start": the text begins at x and runs right). In a
    right-to-left language the text is laid out right to left (Arabic words in their order, a closing
    bracket or a number at the right end), and since SVG reads "start" and "end" in the text's own
    direction, the anchor is swapped to keep x on the same side.
    """
    lines = _wrap(text, size, width)
    weight = ' font-weight="700"' if bold else ""
    if rtl:
        anchor = {"start": "end", "end": "start"}.get(anchor, anchor)
        weight += ' direction="rtl"'
    spans = "".join(
        f'<tspan x="{x:.1f}" dy="{0 if index == 0 else size * line_gap:.1f}">{escape(line)}</tspan>'
        for index, line in enumerate(lines))
    markup = (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{weight}>'
              f'{spans}</text>')
    return markup, size * line_gap * len(lines)


def _hatch_pattern(chart_id: str) -> str:
    return (f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{MUTED}" stroke-width="2"/></pattern></defs>')


_CHART_ID = re.compile(r"[a-z][a-z0-9-]*")


def _checked_id(chart_id: str) -> str:
    """Chart ids become element ids and url(#...) references: plain ASCII, unique on the page."""
    if not _CHART_ID.fullmatch(chart_id):
        raise ValueError(f"a chart id is lowercase letters, digits and '-': {chart_id!r}")
    return chart_id


def _svg(chart_id: str, title: str, description: str, height: float, body: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" direction="ltr" '
        f'preserveAspectRatio="xMinYMin meet" focusable="false">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f'{_hatch_pattern(chart_id)}{body}</svg>'
    )


def _legend(chart_id: str, y: float, *, suppressed_label: str, target_label: Optional[str],
            show_target: bool, rtl: bool, line_gap: float = LINE_GAP) -> tuple[str, float]:
    """Swatches for "fewer than 5" (always: it says what a hatched shape means) and the target line."""
    parts: list[str] = []
    height = 0.0
    entries = [("hatch", suppressed_label)] + ([("target", target_label)] if show_target and target_label else [])
    for kind, label in entries:
        swatch_x = WIDTH - 4 - 16 if rtl else 4
        text_x = swatch_x - 6 if rtl else swatch_x + 22
        if kind == "hatch":
            parts.append(f'<rect x="{swatch_x}" y="{y + height:.1f}" width="16" height="12" '
                         f'fill="url(#{chart_id}-hatch)" stroke="{MUTED}"/>')
        else:
            middle = y + height + 6
            parts.append(f'<line x1="{swatch_x}" y1="{middle:.1f}" x2="{swatch_x + 16}" y2="{middle:.1f}" '
                         f'stroke="{TARGET_COLOUR}" stroke-width="2.5" stroke-dasharray="4 3"/>')
        markup, used = _text(text_x, y + height + 10.5, label, size=SMALL_SIZE, anchor="end" if rtl else "start",
                             width=WIDTH - 30, rtl=rtl, line_gap=line_gap)
        parts.append(markup)
        height += max(used, 14) + 4
    return "".join(parts), height


def bar_chart(*, chart_id: str, title: str, description: str, groups: Sequence[BarGroup],
              suppressed_label: str, target_label: Optional[str] = None, rtl: bool = False,
              line_gap: float = LINE_GAP) -> Markup:
    """Horizontal bars in labelled groups (an agency: median and 90th percentile days; a category: one
    count). Labels sit on their own line above each bar, so long translations wrap instead of squeezing
    the bars on a phone. A suppressed bar is an outlined, hatched box carrying `shown` ("fewer than 5")."""
    chart_id = _checked_id(chart_id)
    values = [bar.value for group in groups for bar in group.bars if bar.value is not None]
    targets = [bar.target for group in groups for bar in group.bars if bar.target is not None]
    scale_top = max(values + targets + [1.0])
    # Room at the bar's far end for its value, so the longest bar's number still fits.
    plot = WIDTH - 8 - 70
    bar_height = 14
    parts: list[str] = []
    y = 4.0
    label_x = WIDTH - RTL_LABEL_EDGE if rtl else LABEL_EDGE
    label_width = WIDTH - LABEL_EDGE - (RTL_LABEL_EDGE if rtl else LABEL_EDGE)
    for group in groups:
        if group.label:
            # The first baseline sits lower as the lines spread, so a tall script clears the bar above.
            markup, used = _text(label_x, y + LABEL_SIZE * line_gap * 0.8, group.label, bold=True,
                                 anchor="end" if rtl else "start", width=label_width, rtl=rtl, line_gap=line_gap)
            parts.append(markup)
            # A tall script's number beside the bar rises above the bar: room for it below the label.
            y += used + 4 + (line_gap - LINE_GAP) * SMALL_SIZE
        for bar in group.bars:
            if bar.label:
                markup, used = _text(label_x, y + SMALL_SIZE * line_gap * 0.8, bar.label, size=SMALL_SIZE,
                                     anchor="end" if rtl else "start", fill="#333333", width=label_width, rtl=rtl,
                                     line_gap=line_gap)
                parts.append(markup)
                y += used + 2
            if bar.value is None:
                length = plot * 0.25
                start = WIDTH - 4 - length if rtl else 4
                parts.append(f'<rect x="{start:.1f}" y="{y:.1f}" width="{length:.1f}" height="{bar_height}" '
                             f'fill="url(#{chart_id}-hatch)" stroke="{MUTED}"/>')
            else:
                length = max(plot * bar.value / scale_top, 1.5 if bar.value > 0 else 0)
                start = WIDTH - 4 - length if rtl else 4
                parts.append(f'<rect x="{start:.1f}" y="{y:.1f}" width="{length:.1f}" height="{bar_height}" '
                             f'fill="{BAR_COLOUR}"/>')
            value_x = (WIDTH - 4 - length - 5) if rtl else (4 + length + 5)
            markup, _used = _text(value_x, y + bar_height - 2.5, bar.shown, size=SMALL_SIZE,
                                  anchor="end" if rtl else "start", width=WIDTH, rtl=rtl)
            parts.append(markup)
            if bar.target is not None:
                target_x = (WIDTH - 4 - plot * bar.target / scale_top) if rtl else (4 + plot * bar.target / scale_top)
                parts.append(f'<line x1="{target_x:.1f}" y1="{y - 3:.1f}" x2="{target_x:.1f}" '
                             f'y2="{y + bar_height + 3:.1f}" stroke="{TARGET_COLOUR}" stroke-width="2.5" '
                             f'stroke-dasharray="4 3"/>')
            y += bar_height + 8
        y += 6
    legend, used = _legend(chart_id, y + 2, suppressed_label=suppressed_label, target_label=target_label,
                           show_target=bool(targets), rtl=rtl, line_gap=line_gap)
    parts.append(legend)
    return _svg(chart_id, title, description, y + 2 + used + 4, "".join(parts))


def line_chart(*, chart_id: str, title: str, description: str, points: Sequence[Point],
               number: Callable[[float], str], suppressed_label: str, y_max: Optional[float] = None,
               target: Optional[float] = None, target_label: Optional[str] = None, rtl: bool = False,
               line_gap: float = LINE_GAP) -> Markup:
    """One line over time (reports a month; a target's share met a month). A suppressed month is a hatched
    band with no dot and a break in the line; `target` is a dashed horizontal line. The axis labels are
    thinned on long series (every third month and the last) because the table lists every one."""
    chart_id = _checked_id(chart_id)
    values = [point.value for point in points if point.value is not None]
    top = y_max if y_max is not None else _nice_top(max(values + ([target] if target is not None else []) + [1.0]))
    axis_room, top_margin, plot_height = 40, 10, 150
    plot_width = WIDTH - axis_room - 10
    left = 10 if rtl else axis_room
    count = max(len(points), 1)
    step = plot_width / count

    def x_of(index: int) -> float:
        middle = step * index + step / 2
        return left + (plot_width - middle if rtl else middle)

    def y_of(value: float) -> float:
        return top_margin + plot_height - plot_height * (value / top if top else 0)

    parts: list[str] = []
    axis_x = WIDTH - axis_room if rtl else axis_room
    for fraction in (0, 0.5, 1):
        tick_y = y_of(top * fraction)
        parts.append(f'<line x1="{left}" y1="{tick_y:.1f}" x2="{left + plot_width}" y2="{tick_y:.1f}" '
                     f'stroke="#d6d6d0" stroke-width="1"/>')
        markup, _used = _text(axis_x + 5 if rtl else axis_x - 5, tick_y + 4, number(top * fraction),
                              size=SMALL_SIZE, anchor="start" if rtl else "end", width=axis_room, rtl=rtl)
        parts.append(markup)
    for index, point in enumerate(points):
        if point.value is None:
            parts.append(f'<rect x="{x_of(index) - step / 2 + 1:.1f}" y="{top_margin}" width="{step - 2:.1f}" '
                         f'height="{plot_height}" fill="url(#{chart_id}-hatch)" opacity="0.55"/>')
    if target is not None:
        parts.append(f'<line x1="{left}" y1="{y_of(target):.1f}" x2="{left + plot_width}" y2="{y_of(target):.1f}" '
                     f'stroke="{TARGET_COLOUR}" stroke-width="2.5" stroke-dasharray="4 3"/>')
    # The line breaks at a suppressed month rather than drawing across a figure nobody may see.
    run: list[str] = []
    runs: list[list[str]] = []
    for index, point in enumerate(points):
        if point.value is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(f"{x_of(index):.1f},{y_of(point.value):.1f}")
    if run:
        runs.append(run)
    for line in runs:
        if len(line) > 1:
            parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{BAR_COLOUR}" stroke-width="2.5"/>')
    for index, point in enumerate(points):
        if point.value is not None:
            parts.append(f'<circle cx="{x_of(index):.1f}" cy="{y_of(point.value):.1f}" r="3.5" fill="{BAR_COLOUR}"/>')
    label_every = 1 if len(points) <= 6 else 3
    axis_y = top_margin + plot_height
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + plot_width}" y2="{axis_y}" stroke="{MUTED}"/>')
    for index, point in enumerate(points):
        if index % label_every == 0 or index == len(points) - 1:
            markup, _used = _text(x_of(index), axis_y + 16, point.label, size=SMALL_SIZE, anchor="middle",
                                  width=step * 3, rtl=rtl, line_gap=line_gap)
            parts.append(markup)
    legend_y = axis_y + 16 + SMALL_SIZE * line_gap * 2 + 6
    show_legend_target = target is not None
    legend, used = _legend(chart_id, legend_y, suppressed_label=suppressed_label, target_label=target_label,
                           show_target=show_legend_target, rtl=rtl, line_gap=line_gap)
    parts.append(legend)
    return _svg(chart_id, title, description, legend_y + used + 4, "".join(parts))


def _nice_top(value: float) -> float:
    """The axis top: the next of 1, 2, 5 × a power of ten at or above the largest value."""
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for multiple in (1, 2, 5, 10):
        if magnitude * multiple >= value:
            return magnitude * multiple
    return value
