"""The dashboard's and the report's tables and charts, built from one set of ``Figures``.

A table's cells are plain values (what its CSV holds); a ``Link`` cell also says where its figure drills
down to, which the dashboard shows as a link and the PDF as text.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse

from compact_portal.charts import Chart, bar_chart, column_chart
from compact_portal.figures import Share

from ..filters import PORTAL_DEFAULT_VALUE
from ..models import RuleKey, Side
from ..selectors.dashboard import Figures, ShareFigure


@dataclass(frozen=True)
class Link:
    """A figure and the list of records behind it."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Table:
    slug: str  # names its CSV download
    title: str
    columns: list[str]
    rows: list[list]
    chart: Chart | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


def records_url(figures: Figures, key: str, *, previous: bool = False, **narrowing) -> str:
    """The drill-down list of the records behind one figure, for the period (or the previous one)."""
    period = figures.previous if previous else figures.period
    query = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    if figures.organisation is not None:
        query["organisation"] = figures.organisation.slug
    query |= {name: value for name, value in narrowing.items() if value not in (None, "")}
    return f"{reverse('commitments:figure_records', args=[figures.compact.slug, key])}?{urlencode(query)}"


def flags_url(figures: Figures, **narrowing) -> str:
    query = {"compact": figures.compact.pk, "status": "open"}
    if figures.organisation is not None:
        query["organisation"] = figures.organisation.pk
    return f"{reverse('commitments:flag_list')}?{urlencode(query | narrowing)}"


def share_text(share: Share, by_value: bool = False) -> str:
    if share.percent is None:
        return "none in the period"
    if by_value:
        return f"{share.percent}% (£{share.met:,} of £{share.total:,})"
    return str(share)


def change_text(figure: ShareFigure) -> str:
    change = figure.change
    if change is None:
        return "–"
    return f"{change:+d} points" if change else "no change"


def _days(value: int | None) -> str:
    return "–" if value is None else f"{value} working day{'s' if value != 1 else ''}"


def headline_table(figures: Figures, *, links: bool = True) -> Table:
    """The summary: each headline figure this period against the previous one."""
    rows = []
    for figure in figures.shares:
        now, before = share_text(figure.current, figure.by_value), share_text(figure.previous, figure.by_value)
        if links:
            now = Link(now, records_url(figures, figure.key))
            before = Link(before, records_url(figures, figure.key, previous=True))
        rows.append([figure.label, figure.clause, now, before, change_text(figure)])
    days = figures.days_to_pay
    for label, value, earlier in (
        ("Half of invoices paid within", days.median, days.previous_median),
        ("Nine in ten invoices paid within", days.p90, days.previous_p90),
    ):
        now, before = _days(value), _days(earlier)
        if links:
            now = Link(now, records_url(figures, "paid_on_time", sort="days"))
            before = Link(before, records_url(figures, "paid_on_time", previous=True, sort="days"))
        change = (
            "–"
            if value is None or earlier is None
            else f"{value - earlier:+d} days"
            if value != earlier
            else "no change"
        )
        rows.append([label, "11.2", now, before, change])
    received = figures.cases_received
    now, before = str(received.current.total), str(received.previous.total)
    if links:
        now, before = (
            Link(now, records_url(figures, "cases")),
            Link(before, records_url(figures, "cases", previous=True)),
        )
    rows.append([received.label, "", now, before, f"{received.current.total - received.previous.total:+d}"])
    return Table(
        "headline",
        "Headline figures",
        ["Figure", "Clause", figures.period.label, figures.previous.label, "Change"],
        rows,
    )


def signatories_table(figures: Figures, *, links: bool = True) -> Table:
    rows = []
    for side, (now, before) in figures.signatories.items():
        label = Side(side).label
        rows.append(
            [
                label,
                Link(str(now), records_url(figures, "signatories", side=side)) if links else now,
                Link(str(before), records_url(figures, "signatories", previous=True, side=side)) if links else before,
            ]
        )
    return Table(
        "signatories",
        "Signatories by side",
        ["Side", f"At the end of {figures.period.label}", f"At the end of {figures.previous.label}"],
        rows,
    )


def _trend(
    figures: Figures,
    slug: str,
    title: str,
    heading: str,
    cells: list,
    values: list,
    labels: list[str],
    *,
    percent: bool,
) -> Table:
    """A trend's table (``cells``, one per step) and its column chart (``values``, labelled ``labels``)."""
    columns = [figures.step.title(), heading]
    rows = [[step, cell] for step, cell in zip(figures.step_labels, cells, strict=True)]
    chart = column_chart(
        title=title, steps=figures.step_labels, values=values, texts=labels, percent=percent, columns=columns, rows=rows
    )
    return Table(slug, title, columns, rows, chart)


def trend_tables(figures: Figures) -> list[Table]:
    """A chart and a table for each measure, step by step through the period."""
    tables = [
        _trend(
            figures,
            f"trend-{figure.key}{'-value' if figure.by_value else ''}",
            f"{figure.label} ({figure.clause}), {figures.step}ly",
            "Share kept",
            [share_text(share, figure.by_value) if share.total else "–" for share in figure.trend],
            [share.percent for share in figure.trend],
            [f"{share.percent}%" if share.total else "–" for share in figure.trend],
            percent=True,
        )
        for figure in figures.shares
    ]
    medians = figures.days_to_pay.trend
    tables.append(
        _trend(
            figures,
            "trend-days-to-pay",
            f"Working days within which half of invoices were paid (11.2), {figures.step}ly",
            "Median",
            [_days(value) for value in medians],
            medians,
            ["–" if value is None else str(value) for value in medians],
            percent=False,
        )
    )
    received = [share.total for share in figures.cases_received.trend]
    tables.append(
        _trend(
            figures,
            "trend-cases",
            f"Compact concerns received, {figures.step}ly",
            "Received",
            received,
            received,
            [str(n) for n in received],
            percent=False,
        )
    )
    return tables


def _bars(slug, title, columns, rows, items, note=""):
    return Table(slug, title, columns, rows, bar_chart(title=title, items=items, columns=columns, rows=rows), note)


def breakdown_tables(figures: Figures, *, links: bool = True) -> list[Table]:
    """Open flags by rule and clause, disputes by stage, funding by mechanism and by funder."""

    def link(text, url):
        return Link(str(text), url) if links else text

    by_rule = [[RuleKey(f.key).label, link(f.count, flags_url(figures, rule=f.key))] for f in figures.flags_by_rule]
    by_clause = [
        [f.label, link(f.count, flags_url(figures, clause=f.key or PORTAL_DEFAULT_VALUE))]
        for f in figures.flags_by_clause
    ]
    stages = [
        [
            s.label,
            link(s.count, records_url(figures, "cases", stage=s.stage)),
            "–" if s.oldest_days is None else s.oldest_days,
        ]
        for s in figures.stages
    ]
    mechanisms = [
        [t.label, link(t.awards, records_url(figures, "awards", mechanism=t.key)), f"£{t.amount:,.0f}"]
        for t in figures.by_mechanism
    ]
    funders = [
        [t.label, link(t.awards, records_url(figures, "awards", funder=t.key)), f"£{t.amount:,.0f}"]
        for t in figures.by_funder
    ]
    return [
        _bars(
            "flags-by-rule",
            "Open flags by rule",
            ["Rule", "Open flags"],
            by_rule,
            [(f.label, f.count, str(f.count)) for f in figures.flags_by_rule],
            "Flags open today, whatever the period.",
        ),
        _bars(
            "flags-by-clause",
            "Open flags by clause",
            ["Clause", "Open flags"],
            by_clause,
            [(f"Clause {f.key}" if f.key else f.label, f.count, str(f.count)) for f in figures.flags_by_clause],
            "Flags open today, whatever the period.",
        ),
        _bars(
            "disputes-by-stage",
            "Compact concerns received in the period, by stage today",
            ["Stage", "Concerns", "Oldest open (days since received)"],
            stages,
            [(s.label, s.count, str(s.count)) for s in figures.stages],
        ),
        _bars(
            "funding-by-mechanism",
            "Funding awarded in the period, by mechanism",
            ["Mechanism", "Awards", "Amount"],
            mechanisms,
            [(t.label, float(t.amount), f"£{t.amount:,.0f}") for t in figures.by_mechanism],
        ),
        _bars(
            "funding-by-funder",
            "Funding awarded in the period, by funder",
            ["Funder", "Awards", "Amount"],
            funders,
            [(t.label, float(t.amount), f"£{t.amount:,.0f}") for t in figures.by_funder],
        ),
    ]
