"""The compliance report as a PDF for a Local Strategic Partnership meeting, drawn by WeasyPrint."""

import datetime
from dataclasses import dataclass

from django.template.loader import render_to_string

from compact_portal.figures import Verdict
from compact_portal.formatting import long_date
from compact_portal.periods import Period

from ..exports import record_text
from ..models import Compact
from ..rulebook import PORTAL_DEFAULT
from ..selectors.dashboard import compact_figures, report_lists
from .tables import (
    NO_OPEN_FLAGS,
    Group,
    Table,
    action_plan_tables,
    breakdown_tables,
    funding_practice_tables,
    headline_table,
    signatories_table,
    summary,
    trend_tables,
)

# The report's tables, in order, by the slug that names each one's CSV download.
REPORT_TABLES = [
    ("summary", "Summary: where each promise stands"),
    ("headline", "Headline figures"),
    ("signatories", "Signatories by side"),
    ("trend-paid_on_time", "Invoices paid within the agreed working days, by month or quarter"),
    ("trend-told_in_time", "Funding decisions told in time, by month or quarter"),
    ("trend-notice_long_enough", "Notices giving the full notice period, by month or quarter"),
    ("trend-multi_year", "Awards of multi-year funding, by month or quarter"),
    ("trend-multi_year-value", "Multi-year funding by value, by month or quarter"),
    ("trend-monitoring_proportionate", "Monitoring plans proportionate to the funding's value, by month or quarter"),
    ("trend-returns_on_time", "Monitoring returns made on time, by month or quarter"),
    ("trend-improvement_timetable", "Improvement timetables agreed before ending for performance, by month or quarter"),
    ("trend-long_enough", "Consultations lasting the minimum length, by month or quarter"),
    ("trend-feedback_on_time", "Consultation feedback published on time, by month or quarter"),
    ("trend-days-to-pay", "Working days within which half of invoices were paid, by month or quarter"),
    ("trend-cases", "Compact concerns received, by month or quarter"),
    ("flags-by-rule", "Open flags by rule"),
    ("flags-by-clause", "Open flags by clause"),
    ("disputes-by-stage", "Compact concerns by stage"),
    ("funding-by-mechanism", "Funding awarded by mechanism"),
    ("funding-by-funder", "Funding awarded by funder"),
    ("funding-practice", "Full cost recovery and payment in advance"),
    ("equality-funding", "Funding to organisations serving protected characteristics, and to small groups"),
    ("funding-by-mechanism-trend", "Funding awarded by mechanism, against the period before"),
    ("funding-by-funder-trend", "Funding awarded by funder, against the period before"),
    ("action-plan", "Action plan: N done, N on track, N late"),
    ("late-actions", "Late actions"),
    ("breaches-by-commitment", "Open flags by commitment"),
    ("breaches-by-signatory", "Open flags by signatory"),
    ("consultations", "Consultations"),
    ("notices", "Notices of ending or reducing funding"),
    ("open-flags", "Appendix: open flags"),
]


def report_sections(ordered: list[Table]) -> list[Group]:
    """The report's sections after its summary, from its tables in order."""
    tables = {table.slug: table for table in ordered}
    return [
        Group(
            "Trends",
            [table for table in ordered if table.slug.startswith("trend-")],
            new_page=True,
            group_empty=True,
        ),
        Group(
            "Where the compact is broken",
            [
                tables[slug]
                for slug in ("flags-by-rule", "flags-by-clause", "breaches-by-commitment", "breaches-by-signatory")
            ],
            new_page=True,
            empty_text=NO_OPEN_FLAGS,
        ),
        Group(
            "Disputes",
            [tables["disputes-by-stage"]],
            "Compact concerns received in the period, by the stage each has reached today. No organisation is named.",
        ),
        Group("Consultations", [tables["consultations"]]),
        Group(
            "Funding",
            [
                tables[slug]
                for slug in (
                    "funding-by-mechanism",
                    "funding-by-funder",
                    "funding-practice",
                    "equality-funding",
                    "funding-by-mechanism-trend",
                    "funding-by-funder-trend",
                    "notices",
                )
            ],
        ),
        Group(
            "Action plan",
            [tables["action-plan"], tables["late-actions"]],
            "Where the compact's action plan stands on the day of the report, and its actions late.",
            empty_text="The compact has no action plan yet.",
        ),
        Group("Appendix: open flags", [tables["open-flags"]], new_page=True, empty_text=NO_OPEN_FLAGS),
    ]


@dataclass(frozen=True)
class RenderedReport:
    pdf: bytes
    page_count: int


def report_tables(*, compact: Compact, period: Period, today: datetime.date) -> list[Table]:
    """Every table in the report, in its order; each is also a CSV download."""
    figures = compact_figures(compact=compact, period=period, today=today)
    lists = report_lists(compact=compact, period=period)
    return _tables(figures, lists)


def _tables(figures, lists) -> list[Table]:
    return [
        summary(figures, links=False).table(),
        headline_table(figures, links=False),
        signatories_table(figures, links=False),
        *trend_tables(figures),
        *breakdown_tables(figures, links=False),
        *funding_practice_tables(figures, links=False),
        *action_plan_tables(figures, links=False),
        Table(
            "breaches-by-commitment",
            "Open flags by commitment",
            ["Clause", "Commitment", "Open flags"],
            [list(row) for row in lists.breaches_by_commitment],
            empty_text=NO_OPEN_FLAGS,
        ),
        Table(
            "breaches-by-signatory",
            "Open flags by signatory",
            ["Signatory", "Open flags"],
            [list(row) for row in lists.breaches_by_signatory],
            empty_text=NO_OPEN_FLAGS,
        ),
        Table(
            "consultations",
            "Consultations opened, or owing feedback, in the period",
            [
                "Consultation",
                "Run by",
                "Opened",
                "Closed",
                "Days open",
                "Minimum days",
                "Length",
                "Feedback due",
                "Feedback published",
                "Feedback",
            ],
            [
                [
                    c.title,
                    c.body.name,
                    c.open_date,
                    c.close_date,
                    c.length_days,
                    c.minimum_days if c.formal else "informal",
                    _verdict(c.length_verdict) if c.formal else "–",
                    c.feedback_due,
                    _feedback_published(c),
                    _verdict(c.feedback_verdict) if c.feedback_due <= figures.today else "not due yet",
                ]
                for c in lists.consultations
            ],
        ),
        Table(
            "notices",
            "Notices of ending or reducing funding given in the period",
            [
                "Funding",
                "Funder",
                "Recipient",
                "Notice given",
                "Takes effect",
                "Earliest allowed",
                "Full notice",
                "Improvement timetable first",
            ],
            [
                [
                    n.relationship.reference,
                    n.relationship.funder.name,
                    n.relationship.recipient.name,
                    n.notice_date,
                    n.effective_date,
                    n.earliest_effective_date,
                    _verdict(n.verdict),
                    _verdict(n.timetable_verdict) if n.timetable_verdict else "not for performance",
                ]
                for n in lists.notices
            ],
        ),
        flags_table(lists.open_flags, "open-flags", "Appendix: open flags"),
    ]


def flags_table(flags, slug: str, title: str, empty_text: str = NO_OPEN_FLAGS) -> Table:
    """Flags one a row, as the report's appendix lists them (and a meeting pack its new ones)."""
    return Table(
        slug,
        title,
        ["Clause", "Rule", "Signatory", "Record", "Due", "First found"],
        [
            [
                f.clause or PORTAL_DEFAULT,
                f.get_rule_display(),
                f.organisation.name if f.organisation else "",
                record_text(f),
                f.due_date,
                f.first_detected,
            ]
            for f in flags
        ],
        empty_text=empty_text,
    )


def _verdict(value: str | None) -> str:
    return Verdict(value).label if value else "–"


def _feedback_published(consultation) -> str:
    feedback = getattr(consultation, "feedback", None)
    if feedback is None or feedback.published_on is None:
        return "not yet"
    return long_date(feedback.published_on)


def render_report(
    *, compact: Compact, period: Period, today: datetime.date, meeting: str = "", requested_by: str = ""
) -> RenderedReport:
    """The report as PDF bytes, with its page count."""
    # WeasyPrint is imported here: it loads Pango, which only the report job and the command need.
    from weasyprint import HTML

    figures = compact_figures(compact=compact, period=period, today=today)
    lists = report_lists(compact=compact, period=period)
    ordered = _tables(figures, lists)
    tables = {table.slug.replace("-", "_"): table for table in ordered}  # names a template can look up
    html = render_to_string(
        "commitments/report/report.html",
        {
            "compact": compact,
            "figures": figures,
            "tables": tables,
            "summary": tables["summary"].extra["summary"],
            "sections": report_sections(ordered),
            "meeting": meeting,
            "requested_by": requested_by,
            "today": today,
        },
    )
    document = HTML(string=html).render()
    return RenderedReport(document.write_pdf(), len(document.pages))
