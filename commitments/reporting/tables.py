"""The dashboard's, the health check's and the report's tables and charts, built from one set of ``Figures``.

A table's cells are plain values (what its CSV holds); a ``Link`` cell also says where its figure drills
down to, which the dashboard shows as a link and the PDF as text.

Every page opens with the same ``Summary``: each promise's shares kept, explained and broken in the period,
its change on the period before and where it stands (``commitments/standing.py``). A table or chart with
nothing in it says so in one line, in one wording (``NOTHING``).
"""

from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.safestring import SafeString

from compact_portal.charts import NOTHING, Chart, bar_chart, column_chart, share_bar
from compact_portal.figures import Share, Verdict
from compact_portal.formatting import money

from ..filters import PORTAL_DEFAULT_VALUE
from ..models import RuleKey, Side
from ..rulebook import PORTAL_DEFAULT
from ..selectors.dashboard import Figures, ShareFigure
from ..standing import NO_RECORDS, Standing, describe_thresholds, kept_or_explained, standing

NO_OPEN_FLAGS = "No flags are open today."  # the flag tables count flags open today, whatever the period
PROMISER, RECIPIENT = "promiser", "recipient"  # a health check's drill-downs: its own promises, or those to it
BY_VALUE_NOTE = "By value: an explanation is of an award, not of its pounds, so pounds not kept count as broken."


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
    nothing: bool = False  # a trend with no records at any step: its rows are dashes, and no chart is drawn
    charted: bool = False  # drawn as a chart (with its table beside it) when it has something to show
    empty_text: str = NOTHING  # what the pages say in its place when it is empty

    @property
    def empty(self) -> bool:
        """Nothing to show: the pages print ``empty_text`` in one line instead of the chart and the table."""
        return self.nothing or not self.rows

    @property
    def name(self) -> str:
        """What it shows, in a few words, for a line listing the empty ones."""
        return self.extra.get("name", self.title)


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
        return f"{share.percent}% ({money(share.met)} of {money(share.total)})"
    return str(share)


def change_text(figure: ShareFigure) -> str:
    change = figure.change
    if change is None:
        return "–"
    return f"{change:+d} points" if change else "no change"


def _payment_clause(figures: Figures) -> str:
    """The compact's clause for paying invoices on time (Portsmouth's 11.2), or the portal's default."""
    try:
        return figures.share("paid_on_time").clause
    except StopIteration:
        return PORTAL_DEFAULT


def _days(value: int | None) -> str:
    return "–" if value is None else f"{value} working day{'s' if value != 1 else ''}"


# --- The summary: where each promise stands ------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One of a promise's three shares (kept, explained or broken) and the list of its records."""

    verdict: str
    percent: int | None
    text: str  # "50% (1 of 2)", or "–" with no records
    url: str = ""

    @property
    def count_text(self) -> str:
        """What the percentage is of: "1 of 2", "£12,000 of £30,000"; blank with no records."""
        return self.text.partition(" (")[2].rstrip(")")


@dataclass(frozen=True)
class Change:
    """The change in the share kept or explained since the previous period: an arrow, its figure, and the same
    in words for a screen reader (the arrow itself is hidden from it)."""

    arrow: str  # ↑, ↓, → or – (nothing to compare)
    text: str  # "+12 points", "no change", "–"
    words: str  # "Up 12 points on Q1 2026"

    def __str__(self) -> str:
        return f"{self.arrow} {self.text}" if self.text != "–" else "–"


@dataclass(frozen=True)
class SummaryRow:
    key: str
    label: str
    clause: str
    share: Share
    parts: tuple[Part, Part, Part]  # kept, explained, broken
    change: Change
    standing: Standing | None
    url: str = ""  # every record the figure counted
    by_value: bool = False

    @property
    def status(self) -> str:
        return self.standing.label if self.standing else NO_RECORDS

    @property
    def bar(self) -> SafeString | None:
        """The small bar of the three shares; None with no records (the row says so in words)."""
        if self.standing is None:
            return None
        kept, explained, broken = (part.percent for part in self.parts)
        return share_bar(kept=kept, explained=explained, broken=broken)


@dataclass(frozen=True)
class Summary:
    """The one-screen summary of a set of promises (the compact's, or one side of a health check)."""

    rows: list[SummaryRow]
    period_label: str
    previous_label: str
    legend: str  # the compact's thresholds in a sentence

    @property
    def empty(self) -> bool:
        """No promise had a record in the period: the page says so in one line instead of the table."""
        return all(row.standing is None for row in self.rows)

    @property
    def by_value_note(self) -> str:
        """What a share by value leaves out, when the summary has one."""
        if not any(row.by_value for row in self.rows):
            return ""
        return BY_VALUE_NOTE

    @property
    def columns(self) -> list[str]:
        return ["Promise", "Clause", "Kept", "Explained", "Broken", f"Change on {self.previous_label}", "Status"]

    def table(self, slug: str = "summary", title: str = "Summary: where each promise stands") -> Table:
        """The summary as plain values, for the PDF and its CSV."""
        rows = [
            [row.label, row.clause, *(part.text for part in row.parts), str(row.change), row.status]
            for row in self.rows
        ]
        note = " ".join(
            filter(None, [f"Kept, explained and broken in {self.period_label}.", self.legend, self.by_value_note])
        )
        return Table(slug, title, self.columns, [] if self.empty else rows, note=note, extra={"summary": self})


def _part_text(verdict: str, share: Share, percent: int | None, by_value: bool) -> str:
    if percent is None:
        return "–"
    count = {Verdict.KEPT: share.met, Verdict.EXPLAINED: share.explained, Verdict.BROKEN: share.broken}[verdict]
    if by_value:
        return f"{percent}% ({money(count)} of {money(share.total)})"
    return f"{percent}% ({count} of {share.total})"


def _change(figure: ShareFigure, previous_label: str) -> Change:
    now, before = kept_or_explained(figure.current), kept_or_explained(figure.previous)
    if now is None:
        return Change("–", "–", "Nothing to compare")
    if before is None:
        return Change("–", "–", f"No records in {previous_label} to compare")
    points = now - before
    unit = "point" if abs(points) == 1 else "points"
    if points > 0:
        return Change("↑", f"+{points} {unit}", f"Up {points} {unit} on {previous_label}")
    if points < 0:
        return Change("↓", f"−{-points} {unit}", f"Down {-points} {unit} on {previous_label}")
    return Change("→", "no change", f"No change on {previous_label}")


def summary_rows(
    figures: Figures, shares: list[ShareFigure], *, role: str = "", links: bool = True
) -> list[SummaryRow]:
    """A summary row for each promise in ``shares``: its three shares in the period (each linking to its records,
    narrowed to the health check's ``role``), its change and where it stands against the compact's thresholds."""
    compact, rows = figures.compact, []
    narrowing = {"role": role} if role else {}
    for figure in shares:
        share = figure.current
        percents = (share.percent, share.explained_percent, share.broken_percent)
        parts = tuple(
            Part(
                verdict,
                percent,
                _part_text(verdict, share, percent, figure.by_value),
                records_url(figures, figure.key, verdict=verdict, **narrowing) if links and percent is not None else "",
            )
            for verdict, percent in zip(Verdict.values, percents, strict=True)
        )
        rows.append(
            SummaryRow(
                figure.key,
                figure.label,
                figure.clause,
                share,
                parts,
                _change(figure, figures.previous.label),
                standing(share, meeting=compact.meeting_threshold, slipping=compact.slipping_threshold),
                records_url(figures, figure.key, **narrowing) if links else "",
                figure.by_value,
            )
        )
    return rows


def summary(
    figures: Figures, shares: list[ShareFigure] | None = None, *, role: str = "", links: bool = True
) -> Summary:
    """The one-screen summary of ``shares`` (the compact's promises unless given)."""
    compact = figures.compact
    return Summary(
        summary_rows(figures, figures.shares if shares is None else shares, role=role, links=links),
        figures.period.label,
        figures.previous.label,
        describe_thresholds(meeting=compact.meeting_threshold, slipping=compact.slipping_threshold),
    )


# --- The details ------------------------------------------------------------------------------------------------


def headline_table(
    figures: Figures,
    *,
    links: bool = True,
    shares: list[ShareFigure] | None = None,
    role: str = "",
    others: bool = True,
    slug: str = "headline",
    title: str = "Headline figures",
) -> Table:
    """Each headline figure this period against the previous one, and this period's records kept, explained
    and broken (each linking to them). ``shares`` are the compact's promises unless given (a health check's
    side, whose links carry its ``role``); ``others`` adds the days to pay and the concerns received."""
    rows = []
    narrowing = {"role": role} if role else {}
    for figure in figures.shares if shares is None else shares:
        now, before = share_text(figure.current, figure.by_value), share_text(figure.previous, figure.by_value)
        share, counts = figure.current, []
        for verdict, count in zip(Verdict.values, (share.met, share.explained, share.broken), strict=True):
            text = (money(count) if figure.by_value else str(count)) if share.total else "–"
            counts.append(
                Link(text, records_url(figures, figure.key, verdict=verdict, **narrowing))
                if links and share.total
                else text
            )
        if links:
            now = Link(now, records_url(figures, figure.key, **narrowing))
            before = Link(before, records_url(figures, figure.key, previous=True, **narrowing))
        rows.append([figure.label, figure.clause, now, before, change_text(figure), *counts])
    if others:
        rows += _other_rows(figures, links=links)
    return Table(
        slug,
        title,
        ["Figure", "Clause", figures.period.label, figures.previous.label, "Change", "Kept", "Explained", "Broken"],
        rows,
        note=f"A share is the share kept; kept, explained and broken count {figures.period.label}'s records.",
    )


def _other_rows(figures: Figures, *, links: bool) -> list[list]:
    """The days within which invoices were paid, and the concerns received: figures, not promises."""
    rows = []
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
        rows.append([label, _payment_clause(figures), now, before, change, "–", "–", "–"])
    received = figures.cases_received
    now, before = str(received.current.total), str(received.previous.total)
    if links:
        now, before = (
            Link(now, records_url(figures, "cases")),
            Link(before, records_url(figures, "cases", previous=True)),
        )
    change = f"{received.current.total - received.previous.total:+d}"
    rows.append([received.label, "", now, before, change, "–", "–", "–"])
    return rows


def other_figures_table(figures: Figures, *, links: bool = True) -> Table:
    """A health check's figures that are nobody's promise alone: the days its invoices took to pay (paid by it
    or to it) and the concerns raised by or about it."""
    rows = [row[:5] for row in _other_rows(figures, links=links)]
    return Table("other-figures", "Payments and concerns", ["Figure", "Clause", *_periods(figures), "Change"], rows)


def _periods(figures: Figures) -> list[str]:
    return [figures.period.label, figures.previous.label]


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
    name: str,
    nothing: bool,
) -> Table:
    """A trend's table (``cells``, one per step) and its column chart (``values``, labelled ``labels``); no
    chart when ``nothing`` was counted at any step: the pages then say so in one line."""
    columns = [figures.step.title(), heading]
    rows = [[step, cell] for step, cell in zip(figures.step_labels, cells, strict=True)]
    chart = (
        None
        if nothing
        else column_chart(
            title=title,
            steps=figures.step_labels,
            values=values,
            texts=labels,
            percent=percent,
            columns=columns,
            rows=rows,
        )
    )
    return Table(slug, title, columns, rows, chart, extra={"name": name}, nothing=nothing, charted=True)


def trend_tables(figures: Figures, shares: list[ShareFigure] | None = None, *, others: bool = True) -> list[Table]:
    """A chart and a table for each measure (of ``shares``, the compact's promises unless given), step by step
    through the period; ``others`` adds the days to pay and the concerns received. A trend with nothing at any
    step has no chart (``Table.nothing``)."""
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
            name=figure.label,
            nothing=not any(share.total for share in figure.trend),
        )
        for figure in (figures.shares if shares is None else shares)
    ]
    if not others:
        return tables
    medians = figures.days_to_pay.trend
    tables.append(
        _trend(
            figures,
            "trend-days-to-pay",
            f"Working days within which half of invoices were paid ({_payment_clause(figures)}), {figures.step}ly",
            "Median",
            [_days(value) for value in medians],
            medians,
            ["–" if value is None else str(value) for value in medians],
            percent=False,
            name="Working days to pay half of invoices",
            nothing=all(value is None for value in medians),
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
            name="Compact concerns received",
            nothing=not any(received),
        )
    )
    return tables


def empty_names(tables: list[Table]) -> str:
    """The empty tables' names in a line: "Notices giving the full notice period; Compact concerns received"."""
    return "; ".join(table.name for table in tables if table.empty)


@dataclass(frozen=True)
class Group:
    """Tables shown together: a section of the report, the dashboard's trends or breakdowns. When every table is
    empty the group says so in one line (``empty_text``); in the report it then begins no page of its own
    (``new_page`` only counts when there is something to show), so short parts share a page. With
    ``group_empty`` (the trends), the empty tables are named together in one line instead of each saying so."""

    title: str
    tables: list[Table]
    intro: str = ""
    new_page: bool = False
    empty_text: str = NOTHING
    group_empty: bool = False

    @property
    def empty(self) -> bool:
        return all(table.empty for table in self.tables)

    @property
    def shown(self) -> list[Table]:
        return [table for table in self.tables if not (self.group_empty and table.empty)]

    @property
    def empty_names(self) -> str:
        return empty_names(self.tables) if self.group_empty else ""


def _bars(slug, title, columns, rows, items, note="", empty_text=NOTHING):
    chart = bar_chart(title=title, items=items, columns=columns, rows=rows) if items else None
    return Table(slug, title, columns, rows, chart, note, empty_text=empty_text, charted=True)


def breakdown_tables(figures: Figures, *, links: bool = True, flag_links: bool = True) -> list[Table]:
    """Open flags by rule and clause, disputes by stage, funding by mechanism and by funder. With ``links``, each
    count links to its records; the flags' counts only with ``flag_links`` too (False for a reader the flag list
    does not open for)."""

    def link(text, url):
        return Link(str(text), url) if links else text

    def flag_link(text, url):
        return link(text, url) if flag_links else text

    by_rule = [
        [RuleKey(f.key).label, flag_link(f.count, flags_url(figures, rule=f.key))] for f in figures.flags_by_rule
    ]
    by_clause = [
        [f.label, flag_link(f.count, flags_url(figures, clause=f.key or PORTAL_DEFAULT_VALUE))]
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
    received = any(s.count for s in figures.stages)  # every stage is listed, with none received: nothing to show
    mechanisms = [
        [t.label, link(t.awards, records_url(figures, "awards", mechanism=t.key)), money(t.amount)]
        for t in figures.by_mechanism
    ]
    funders = [
        [t.label, link(t.awards, records_url(figures, "awards", funder=t.key)), money(t.amount)]
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
            NO_OPEN_FLAGS,
        ),
        _bars(
            "flags-by-clause",
            "Open flags by clause",
            ["Clause", "Open flags"],
            by_clause,
            [(f"Clause {f.key}" if f.key else f.label, f.count, str(f.count)) for f in figures.flags_by_clause],
            "Flags open today, whatever the period.",
            NO_OPEN_FLAGS,
        ),
        _bars(
            "disputes-by-stage",
            "Compact concerns received in the period, by stage today",
            ["Stage", "Concerns", "Oldest open (days since received)"],
            stages if received else [],
            [(s.label, s.count, str(s.count)) for s in figures.stages] if received else [],
        ),
        _bars(
            "funding-by-mechanism",
            "Funding awarded in the period, by mechanism",
            ["Mechanism", "Awards", "Amount"],
            mechanisms,
            [(t.label, float(t.amount), money(t.amount)) for t in figures.by_mechanism],
        ),
        _bars(
            "funding-by-funder",
            "Funding awarded in the period, by funder",
            ["Funder", "Awards", "Amount"],
            funders,
            [(t.label, float(t.amount), money(t.amount)) for t in figures.by_funder],
        ),
    ]


# --- A signatory's health check: its own promises, and those made to it ----------------------------------------


@dataclass(frozen=True)
class HealthCheckSection:
    """One side of a health check: the promises the organisation made (``role="promiser"``), or those others
    made to it (``"recipient"``), summarised, in detail and step by step; its drill-downs carry the role, so
    an organisation is only ever scored on its own promises."""

    slug: str
    title: str
    intro: str
    role: str
    summary: Summary
    headline: Table
    trends: Group

    @property
    def empty(self) -> bool:
        return self.summary.empty


def health_check_sections(figures: Figures, *, links: bool = True) -> list[HealthCheckSection]:
    """The health check's two sections, for ``figures`` of one organisation."""
    name = figures.organisation.name
    sides = [
        (
            "promises-made",
            f"Promises {name} made",
            "The funding it gives (invoices it pays, decisions and notices it gives, the terms it offers) and the "
            "consultations it runs.",
            PROMISER,
            figures.shares,
        ),
        (
            "promises-to",
            f"How others kept their promises to {name}",
            "Payments to it, the funding decisions and notices it was told, and the consultations it answered.",
            RECIPIENT,
            figures.treated,
        ),
    ]
    return [
        HealthCheckSection(
            slug,
            title,
            intro,
            role,
            summary(figures, shares, role=role, links=links),
            headline_table(
                figures, links=links, shares=shares, role=role, others=False, slug=f"headline-{slug}", title=title
            ),
            Group(
                title,
                [
                    replace(table, slug=table.slug.replace("trend-", f"trend-{slug}-", 1))
                    for table in trend_tables(figures, shares, others=False)
                ],
                group_empty=True,
            ),
        )
        for slug, title, intro, role, shares in sides
    ]


# --- Funding practice, who the money reaches, and its trend -------------------------------------------------------
# Figures the data holds that are not promises kept or broken: full cost recovery and payment in advance as shares
# of the awards ("N% of awards", ``Figures.practice``), the awards to organisations serving each protected
# characteristic and to small groups (the ``equality_funding`` panel), and the money by mechanism and by funder
# against the period before.


def of_awards_text(share: Share, by_value: bool = False) -> str:
    """A share that is no verdict, in words: "40% of awards (2 of 5)", "55% of the money (£5,500.00 of £10,000.00)"."""
    if share.percent is None:
        return "no awards in the period"
    if by_value:
        return f"{share.percent}% of the money ({money(share.met)} of {money(share.total)})"
    return f"{share.percent}% of awards ({share.met} of {share.total})"


def _pounds(amount) -> str:
    return money(amount)


def _pounds_change(amount) -> str:
    if not amount:
        return "no change"
    return f"+{money(amount)}" if amount > 0 else f"−{money(-amount)}"


def _money_columns(figures: Figures, first: str) -> list[str]:
    now, before = figures.period.label, figures.previous.label
    return [first, f"Awards, {now}", f"Amount, {now}", f"Awards, {before}", f"Amount, {before}", "Change in amount"]


def funding_practice_table(figures: Figures, *, links: bool = True) -> Table:
    """Of the awards told in each period, the share with full cost recovery and with payment in advance agreed, by
    number and by value, citing the compact's clause (or the portal's default). Each links to the awards counted.
    No rows with no awards in either period."""
    rows = []
    awarded = any(figure.current.total or figure.previous.total for figure in figures.practice)
    for figure in figures.practice if awarded else []:
        now = of_awards_text(figure.current, figure.by_value)
        before = of_awards_text(figure.previous, figure.by_value)
        if links:
            now = Link(now, records_url(figures, figure.key))
            before = Link(before, records_url(figures, figure.key, previous=True))
        rows.append([figure.label, figure.clause, now, before, change_text(figure)])
    return Table(
        "funding-practice",
        "Full cost recovery and payment in advance",
        ["Figure", "Clause", figures.period.label, figures.previous.label, "Change"],
        rows,
        note="Shares of the awards told in each period, not promises every award must keep: nothing here is kept "
        "or broken. Full cost recovery: the award funds both overheads and volunteer costs.",
    )


def equality_funding_table(figures: Figures, *, links: bool = True) -> Table:
    """The awards told to organisations serving each protected characteristic and to small groups, and all of
    them, in the period against the one before; no rows (the pages say there were none) with no awards in either."""
    equality = figures.panels.get("equality_funding")
    rows = []
    if equality is not None and not equality.none:
        labelled = [(f"Serving {each.label.lower()}", each) for each in equality.characteristics]
        labelled += [(each.label, each) for each in (equality.small_groups, equality.every_award)]
        for label, each in labelled:
            now, before = each.awards, each.previous_awards
            if links and each is equality.every_award:  # no drill-down narrows awards by who they serve
                now = Link(str(now), records_url(figures, "awards"))
                before = Link(str(before), records_url(figures, "awards", previous=True))
            rows.append(
                [label, now, _pounds(each.amount), before, _pounds(each.previous_amount), _pounds_change(each.change)]
            )
    return Table(
        "equality-funding",
        "Funding to organisations serving protected characteristics, and to small groups",
        _money_columns(figures, "Organisations"),
        rows,
        note="Awards told in each period. An organisation serving several protected characteristics counts under "
        "each; a small group has at most two paid staff.",
    )


def funding_trend_tables(figures: Figures, *, links: bool = True) -> list[Table]:
    """The money awarded by mechanism and by funder, in the period against the one before, largest first (one that
    gave only in the period before comes last). Each count links to its awards."""

    def rows(totals, narrowing):
        made = []
        for t in totals:
            now, before = t.awards, t.previous_awards
            if links:
                now = Link(str(now), records_url(figures, "awards", **{narrowing: t.key}))
                before = Link(str(before), records_url(figures, "awards", previous=True, **{narrowing: t.key}))
            made.append([t.label, now, _pounds(t.amount), before, _pounds(t.previous_amount), _pounds_change(t.change)])
        return made

    period = f"{figures.period.label} against {figures.previous.label}"
    return [
        Table(
            "funding-by-mechanism-trend",
            f"Funding awarded by mechanism, {period}",
            _money_columns(figures, "Mechanism"),
            rows(figures.by_mechanism, "mechanism"),
        ),
        Table(
            "funding-by-funder-trend",
            f"Funding awarded by funder, {period}",
            _money_columns(figures, "Funder"),
            rows(figures.by_funder, "funder"),
        ),
    ]


def funding_practice_tables(figures: Figures, *, links: bool = True) -> list[Table]:
    """Full cost recovery and payment in advance, who the money reaches, and the money by mechanism and by funder
    against the period before: the dashboard's, the health check's and the report's, each a CSV."""
    return [
        funding_practice_table(figures, links=links),
        equality_funding_table(figures, links=links),
        *funding_trend_tables(figures, links=links),
    ]


# --- The action plan ----------------------------------------------------------------------------------------------
# Where the compact's action plan stands today, whatever the period (the ``action_plan`` panel): "Action plan: N done,
# N on track, N late", and the late actions one a row.

ACTION_PLAN_NOTE = (
    "Today, whatever the period. Late: not done or dropped by its due date (flagged against its lead organisation); "
    "each action is counted once, a late one as late whatever its status."
)


def action_plan_tables(figures: Figures, *, links: bool = True) -> list[Table]:
    """The plan's actions by where they stand, and the late ones with their objective, lead, due date and days late;
    on the dashboard each late action links to its page."""
    plan = figures.panels.get("action_plan")
    summary = plan.summary if plan is not None else None
    counts = []
    if summary is not None and summary.total:
        counts = [
            ["Done", summary.done],
            ["On track", summary.on_track],
            ["Not started", summary.not_started],
            ["At risk", summary.at_risk],
            ["Late", summary.late],
            ["Dropped", summary.dropped],
            ["All actions", summary.total],
        ]
    late = []
    for action in plan.late if plan is not None else []:
        what = action.what if len(action.what) <= 120 else action.what[:119] + "…"
        if links:
            what = Link(what, reverse("commitments:plan_action", args=[figures.compact.slug, action.pk]))
        days = (figures.today - action.due_date).days
        late.append(
            [action.objective.number, what, action.lead, action.due_date, f"{days} day{'s' if days != 1 else ''}"]
        )
    return [
        Table(
            "action-plan",
            summary.text if summary is not None else "Action plan",
            ["Where the actions stand", "Actions"],
            counts,
            note=ACTION_PLAN_NOTE,
            empty_text="The compact has no action plan yet.",
            extra={"name": "the action plan"},
        ),
        Table(
            "late-actions",
            "Late actions",
            ["Objective", "Action", "Lead", "Due", "Late by"],
            late,
            empty_text="No action of the plan is late.",
            extra={"name": "late actions"},
        ),
    ]
