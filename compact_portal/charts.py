"""Server-rendered SVG charts for the dashboards and the PDF reports.

Written here rather than taken from a charting library: the same markup must draw in the browser with no
JavaScript and in WeasyPrint's SVG renderer, carry its own text alternative (``role="img"``, ``<title>``,
``<desc>``), and style itself with presentation attributes only, so a Content Security Policy without
inline styles or scripts allows it. Charting libraries such as pygal style their SVG with ``<style>``
blocks and add scripts for tooltips. These charts are bars and columns: a few dozen lines.

Each chart comes with its data as rows, which the pages and the report print as a table beside it.
"""

import itertools
import textwrap
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

INK, BAR, GRID, MUTED = "#0b0c0c", "#1d70b8", "#b1b4b6", "#505a5f"  # GOV.UK palette: 4.5:1 or more on white
# A promise's verdicts: kept, explained, broken (GOV.UK green, light blue, red), always drawn in that order and
# always beside their figures in words, so the colour is never the only sign.
KEPT, EXPLAINED, BROKEN = "#00703c", "#5694ca", "#d4351c"
WIDTH = 640
NOTHING = "Nothing in this period."  # the one wording for an empty chart or table, on every page and in the PDF
ZERO_MARK = 3  # a zero is drawn as a thin mark this high (or wide), never as nothing
LABEL_CHARACTERS = 30  # a bar's label wraps onto another line beyond this many characters
LINE_HEIGHT = 15
_ids = itertools.count(1)


@dataclass(frozen=True)
class Chart:
    """A chart and the table of what it shows."""

    title: str
    description: str  # the text alternative: what the chart shows, in a sentence
    svg: SafeString
    columns: list[str]
    rows: list[list] = field(default_factory=list)


def _svg(title: str, description: str, height: int, body: str) -> SafeString:
    ident = f"chart-{next(_ids)}"
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="100%" '
        'role="img" aria-labelledby="{i}-title {i}-desc" font-family="Helvetica, Arial, sans-serif" font-size="13">'
        '<title id="{i}-title">{t}</title><desc id="{i}-desc">{d}</desc>{b}</svg>',
        w=WIDTH,
        h=height,
        i=ident,
        t=title,
        d=description,
        b=mark_safe(body),  # built below from format_html pieces only
    )


def bar_chart(*, title: str, items: list[tuple[str, float, str]], columns: list[str], rows: list[list]) -> Chart:
    """Horizontal bars, one per ``(label, value, value as text)``, longest scaled to the width left once the
    longest value's text has room beside it. A long label wraps onto more lines, never cut off; a zero is a thin
    mark."""
    label_width, row_gap = 230, 10
    widest_text = max((len(text) for _, _, text in items), default=0) * 8 + 6
    bar_width = min(330, WIDTH - label_width - 10 - widest_text)
    largest = max((value for _, value, _ in items), default=0) or 1
    parts, y = [], 0
    for label, value, text in items:
        lines = _wrap(label, LABEL_CHARACTERS)
        height = max(16, len(lines) * LINE_HEIGHT)
        width = round(bar_width * value / largest, 1)
        drawn = width if value else ZERO_MARK
        parts.append(
            format_html(
                '<text x="{lx}" y="{ty}" text-anchor="end" fill="{ink}">{label}</text>'
                '<rect x="{bx}" y="{ry}" width="{bw}" height="16" fill="{bar}"/>'
                '<text x="{vx}" y="{vy}" fill="{ink}">{text}</text>',
                lx=label_width - 8,
                ty=y + 17,
                ink=INK,
                label=_lines(lines, label_width - 8),
                bx=label_width,
                ry=y + 4 + (height - 16) // 2,
                bw=drawn,
                bar=BAR if value else INK,
                vx=label_width + drawn + 6,
                vy=y + 17 + (height - 16) // 2,
                text=text,
            )
        )
        y += height + row_gap
    body = "".join(parts)
    if not items:
        body = format_html('<text x="8" y="18" fill="{}">{}</text>', MUTED, NOTHING)
    described = "; ".join(f"{label}: {text}" for label, _, text in items) or NOTHING.rstrip(".")
    height = max(y, 26) + 6
    return Chart(title, f"{title}. {described}.", _svg(title, f"{described}.", height, body), columns, rows)


def column_chart(
    *, title: str, steps: list[str], values: list[float | None], texts: list[str], percent: bool, columns, rows
) -> Chart:
    """Vertical columns, one per step of a trend; ``percent`` fixes the scale at 0 to 100. A step with no
    value (nothing to count) shows a dash instead of a column; a zero is a thin mark with its "0%". A step's
    label too wide for its column goes on two lines ("Jan" over "2026")."""
    top, plot_height, bottom = 20, 140, 40
    left, gap = 40, 8
    scale = 100 if percent else max((v for v in values if v is not None), default=0) or 1
    column_width = (WIDTH - left - 10) / max(1, len(steps)) - gap
    size = 11 if column_width >= 30 else 9
    parts = [
        format_html(
            '<line x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="{g}" stroke-width="1"/>'
            '<text x="{tx}" y="{ty}" text-anchor="end" fill="{m}" font-size="11">{label}</text>',
            l=left,
            r=WIDTH - 10,
            y=round(top + plot_height * (1 - fraction), 1),
            g=GRID,
            tx=left - 4,
            ty=round(top + plot_height * (1 - fraction) + 4, 1),
            m=MUTED,
            label=f"{round(scale * fraction)}{'%' if percent else ''}",
        )
        for fraction in ((0, 0.5, 1) if percent or scale % 2 == 0 else (0, 1))  # whole numbers only
    ]
    for i, (step, value, text) in enumerate(zip(steps, values, texts, strict=True)):
        x = left + gap / 2 + i * (column_width + gap)
        middle = round(x + column_width / 2, 1)
        height = 0 if value is None else plot_height * value / scale
        if value is not None:
            drawn = height or ZERO_MARK  # a zero is a thin mark at the foot of the scale, in ink
            parts.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{bar}"/>',
                    x=round(x, 1),
                    y=round(top + plot_height - drawn, 1),
                    w=round(column_width, 1),
                    h=round(drawn, 1),
                    bar=BAR if height else INK,
                )
            )
        lines = [step] if len(step) * size * 0.6 <= column_width + gap else step.split(" ", 1)
        parts.append(
            format_html(
                '<text x="{m}" y="{vy}" text-anchor="middle" fill="{ink}" font-size="{size}">{value}</text>'
                '<text x="{m}" y="{sy}" text-anchor="middle" fill="{ink}" font-size="{size}">{step}</text>',
                m=middle,
                vy=round(top + plot_height - max(height, ZERO_MARK if value is not None else 0) - 4, 1),
                ink=INK,
                size=size,
                value=text if value is not None else "–",
                sy=top + plot_height + 16,
                step=_lines(lines, middle, line_height=size + 2),
            )
        )
    described = "; ".join(
        f"{step}: {text if value is not None else 'nothing to count'}"
        for step, value, text in zip(steps, values, texts, strict=True)
    )
    svg = _svg(title, f"{described}.", top + plot_height + bottom, "".join(parts))
    return Chart(title, f"{title}. {described}.", svg, columns, rows)


def share_bar(*, kept: int, explained: int, broken: int, width: int = 120, height: int = 14) -> SafeString:
    """A small bar of one promise's shares kept, explained and broken (whole percentages adding up to 100), in
    that order from the left, with a white gap between them. Decoration only (``aria-hidden``): the page always
    prints the three figures beside it, so neither a screen reader nor a reader who cannot tell the colours
    apart loses anything."""
    parts, x = [], 0.0
    for percent, fill in ((kept, KEPT), (explained, EXPLAINED), (broken, BROKEN)):
        if percent:
            segment = width * percent / 100
            parts.append(
                format_html(
                    '<rect x="{x}" y="0" width="{w}" height="{h}" fill="{f}" stroke="#ffffff" stroke-width="1"/>',
                    x=round(x, 1),
                    w=round(segment, 1),
                    h=height,
                    f=fill,
                )
            )
            x += segment
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="share-bar" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'aria-hidden="true" focusable="false"><rect x="0" y="0" width="{w}" height="{h}" fill="#f3f2f1"/>{b}</svg>',
        w=width,
        h=height,
        b=mark_safe("".join(parts)),  # built above from format_html pieces only
    )


def _wrap(text: str, most: int) -> list[str]:
    return textwrap.wrap(text, most, break_long_words=True) or [""]


def _lines(lines: list[str], x: float, *, line_height: int = LINE_HEIGHT) -> SafeString:
    """Text on one line, or on several as ``<tspan>``s each starting at ``x`` (escaped)."""
    if len(lines) == 1:
        return format_html("{}", lines[0])
    return format_html_join(
        "",
        '<tspan x="{}" dy="{}">{}</tspan>',
        ((x, 0 if i == 0 else line_height, line) for i, line in enumerate(lines)),
    )
