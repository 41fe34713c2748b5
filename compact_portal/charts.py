"""Server-rendered SVG charts for the dashboards and the PDF reports.

Written here rather than taken from a charting library: the same markup must draw in the browser with no
JavaScript and in WeasyPrint's SVG renderer, carry its own text alternative (``role="img"``, ``<title>``,
``<desc>``), and style itself with presentation attributes only, so a Content Security Policy without
inline styles or scripts allows it. Charting libraries such as pygal style their SVG with ``<style>``
blocks and add scripts for tooltips. These charts are bars and columns: a few dozen lines.

Each chart comes with its data as rows, which the pages and the report print as a table beside it.
"""

import itertools
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

INK, BAR, GRID, MUTED = "#0b0c0c", "#1d70b8", "#b1b4b6", "#505a5f"  # GOV.UK palette: 4.5:1 or more on white
WIDTH = 640
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
    """Horizontal bars, one per ``(label, value, value as text)``, longest scaled to the full width."""
    label_width, bar_width, row_height = 230, 330, 26
    largest = max((value for _, value, _ in items), default=0) or 1
    body = format_html_join(
        "",
        '<text x="{lx}" y="{ty}" text-anchor="end" fill="{ink}">{label}</text>'
        '<rect x="{bx}" y="{ry}" width="{bw}" height="16" fill="{bar}"/>'
        '<text x="{vx}" y="{ty}" fill="{ink}">{text}</text>',
        (
            {
                "lx": label_width - 8,
                "ty": i * row_height + 17,
                "ink": INK,
                "label": _shorten(label, 32),
                "bx": label_width,
                "ry": i * row_height + 4,
                "bw": round(bar_width * value / largest, 1),
                "bar": BAR,
                "vx": label_width + round(bar_width * value / largest, 1) + 6,
                "text": text,
            }
            for i, (label, value, text) in enumerate(items)
        ),
    )
    if not items:
        body = format_html('<text x="8" y="18" fill="{}">Nothing to show for this period.</text>', MUTED)
    described = "; ".join(f"{label}: {text}" for label, _, text in items) or "nothing to show for this period"
    height = max(1, len(items)) * row_height + 6
    return Chart(title, f"{title}. {described}.", _svg(title, f"{described}.", height, body), columns, rows)


def column_chart(
    *, title: str, steps: list[str], values: list[float | None], texts: list[str], percent: bool, columns, rows
) -> Chart:
    """Vertical columns, one per step of a trend; ``percent`` fixes the scale at 0 to 100. A step with no
    value (nothing to count) shows a dash instead of a column."""
    top, plot_height, bottom = 20, 140, 40
    left, gap = 40, 8
    scale = 100 if percent else max((v for v in values if v is not None), default=0) or 1
    column_width = (WIDTH - left - 10) / max(1, len(steps)) - gap
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
            parts.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{bar}"/>',
                    x=round(x, 1),
                    y=round(top + plot_height - height, 1),
                    w=round(column_width, 1),
                    h=round(height, 1),
                    bar=BAR,
                )
            )
        parts.append(
            format_html(
                '<text x="{m}" y="{vy}" text-anchor="middle" fill="{ink}" font-size="11">{value}</text>'
                '<text x="{m}" y="{sy}" text-anchor="middle" fill="{ink}" font-size="11">{step}</text>',
                m=middle,
                vy=round(top + plot_height - height - 4, 1),
                ink=INK,
                value=text if value is not None else "–",
                sy=top + plot_height + 16,
                step=step,
            )
        )
    described = "; ".join(
        f"{step}: {text if value is not None else 'nothing to count'}"
        for step, value, text in zip(steps, values, texts, strict=True)
    )
    svg = _svg(title, f"{described}.", top + plot_height + bottom, "".join(parts))
    return Chart(title, f"{title}. {described}.", svg, columns, rows)


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"
