"""Every headline figure on each of the three seed compacts (Portsmouth, Leicestershire, Nottinghamshire, loaded from
fixtures/compacts as the portal loads them), counted by hand from the same small set of records, and what each
figure cites: the compact's own clause, or the portal's default where its document makes no such promise.

Each compact gets the same records in Q2 2026, dated from its own rule settings (the minimum consultation, the
notice period, the working days to pay, the decision lead time, the minimum term), so the hand count holds whatever
those settings are. Where a setting changes what is counted, the count says so: Leicestershire owes no notice of an
end fixed from the start (principle 11), so its short notice on such a grant is not counted at all.

The dashboard, a health check, the report's tables and the PDF of Leicestershire and Nottinghamshire must cite only
their own clause codes or "Portal default", never a Portsmouth number; Portsmouth's figures cite Portsmouth's.
"""

import datetime
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from pypdf import PdfReader

from commitments.models import Commitment, Flag, FlagStatus, RecordType, RuleKey
from commitments.reporting import pdf as report_pdf
from commitments.reporting.pdf import render_report, report_tables
from commitments.rulebook import PORTAL_DEFAULT
from commitments.selectors.dashboard import compact_figures
from commitments.services import compacts_load
from commitments.services.compliance import compliance_scan
from commitments.services.flags import flag_waive
from compact_portal.accounts.roles import Role
from compact_portal.figures import Share
from compact_portal.periods import Period
from compact_portal.working_days import add_working_days
from consultations import services as consultation_services
from consultations.models import Represents
from funding import rules as funding_rules
from funding import services as funding_services
from funding.services import monitoring
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import ChampionFactory, OrganisationFactory, PublicBodyFactory, SignatureFactory
from tests.consultations.factories import ConsultationFactory, publish_feedback
from tests.disputes.factories import ConcernFactory
from tests.funding.factories import FundingRelationshipFactory, InvoiceFactory, NoticeFactory, pay_in_full
from tests.worlds import shared_world

pytestmark = pytest.mark.django_db

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)
Q1_2026, Q2_2026 = Period.quarter(2026, 1), Period.quarter(2026, 2)
TODAY = D(2026, 11, 22)
SLUGS = ["portsmouth", "leicestershire", "nottinghamshire"]
OTHERS = ["leicestershire", "nottinghamshire"]
FCR = {"overheads_included": True, "volunteer_costs_included": True}

# What each figure cites on each compact (read from the documents: tests/commitments/test_compact_clauses.py holds
# every rule's answer). The days to pay cite the clause for paying invoices on time.
CITES = {
    "portsmouth": {
        "paid_on_time": "11.2",
        "told_in_time": "9.2",
        "notice_long_enough": "13.3",
        "multi_year": "9.1",
        "monitoring_proportionate": "12.3",
        "returns_on_time": "17.3",
        "improvement_timetable": "12.7",
        "long_enough": "3.7",
        "feedback_on_time": "3.5",
        "full_cost_recovery": "8.1",
        "payment_in_advance": "11.1",
    },
    "leicestershire": {
        "paid_on_time": PORTAL_DEFAULT,
        "told_in_time": PORTAL_DEFAULT,
        "notice_long_enough": "Principle 11",
        "multi_year": "PSA 11",
        "monitoring_proportionate": "PSA 10",
        "returns_on_time": "VCS 5",
        "improvement_timetable": PORTAL_DEFAULT,
        "long_enough": "PSA 18",
        "feedback_on_time": PORTAL_DEFAULT,
        "full_cost_recovery": "Principle 10",
        "payment_in_advance": PORTAL_DEFAULT,
    },
    "nottinghamshire": {
        "paid_on_time": PORTAL_DEFAULT,
        "told_in_time": PORTAL_DEFAULT,
        "notice_long_enough": PORTAL_DEFAULT,
        "multi_year": PORTAL_DEFAULT,
        "monitoring_proportionate": PORTAL_DEFAULT,
        "returns_on_time": PORTAL_DEFAULT,
        "improvement_timetable": PORTAL_DEFAULT,
        "long_enough": PORTAL_DEFAULT,
        "feedback_on_time": PORTAL_DEFAULT,
        "full_cost_recovery": "KP2.6",
        "payment_in_advance": PORTAL_DEFAULT,
    },
}


def within(day: datetime.date, period: Period) -> bool:
    return period.start <= day <= period.end


# --- The records ---------------------------------------------------------------------------------------------------


def _award(compact, council, food, reference, *, told, start, end, amount, justification="", explanation="", **fields):
    relationship = FundingRelationshipFactory(
        compact=compact,
        funder=council,
        recipient=food,
        reference=reference,
        expected_start=start,
        start_date=start,
        end_date=end,
        amount=Decimal(amount),
        term_explanation=explanation,
        **fields,
    )
    funding_services.decision_record(
        relationship=relationship, actor=None, kind="awarded", told_date=told, today=told, justification=justification
    )
    relationship.refresh_from_db()
    return relationship


def _consulted(compact, council, food, title, *, opens, closes, formal=True, explanation=""):
    """A published consultation by the council, answered by the food bank the day after it opened."""
    consultation = ConsultationFactory(
        compact=compact,
        body=council,
        title=title,
        publish=True,
        formal=formal,
        announced_date=opens - datetime.timedelta(days=30),
        open_date=opens,
        close_date=closes,
        shorter_explanation=explanation,
    )
    consultation_services.response_save(
        consultation=consultation,
        organisation=food,
        actor=None,
        today=opens + ONE_DAY,
        text="Our volunteers run the mobile library.",
        represents=Represents.OWN,
        how_gathered="",
        may_publish=False,
        submit=True,
    )
    return consultation


def _plan(relationship, returns_per_year: int, *, agreed: datetime.date, reason: str = ""):
    """``relationship``'s monitoring plan, agreed on ``agreed``, set up as of ``TODAY`` (it schedules no return due
    by then: those counted are recorded as they happened)."""
    return monitoring.monitoring_plan_set(
        relationship=relationship,
        actor=None,
        today=TODAY,
        questions="How many households did you help?",
        purpose="To report to the council's cabinet.",
        returns_per_year=returns_per_year,
        service_user_views=False,
        agreed_on=agreed,
        disproportion_reason=reason,
    )


def _made(plan, start: datetime.date, end: datetime.date, sent: datetime.date | None = None):
    return monitoring.return_record(
        plan=plan, actor=None, today=sent or end, period_start=start, period_end=end, submitted_date=sent
    )


def _waive(compact, champion, rule, record_type, record_id):
    flag = Flag.objects.get(compact=compact, rule=rule, record_type=record_type, record_id=record_id)
    flag_waive(flag=flag, actor=champion, reason="Explained to the champions' group.")


def _build(compact) -> dict:
    """The same records under ``compact``, dated from its own settings (``COUNTED`` holds the hand count)."""
    area, nation = compact.area, compact.nation
    council = PublicBodyFactory(name=f"{area} County Council")
    food = OrganisationFactory(name=f"{area} Food Bank")
    for organisation in (council, food):
        SignatureFactory(compact=compact, organisation=organisation, signed_date=D(2025, 6, 1))
    champion = MembershipFactory(organisation=council, role=Role.CHAMPION).user
    ChampionFactory(compact=compact, organisation=council, user=champion)
    member = MembershipFactory(organisation=food, role=Role.VCS_MEMBER).user
    years, months = compact.min_funding_years, compact.decision_lead_months

    # Funding running since January, told a year ahead: the invoices and the notices are on these.
    start = D(2026, 1, 1)
    running = _award(
        compact,
        council,
        food,
        "GR-RUNNING",
        told=D(2025, 1, 2),
        start=start,
        end=funding_rules.minimum_term_end(start, years=years),
        amount="60000",
    )
    fixed = _award(
        compact,
        council,
        food,
        "GR-FIXED-END",
        told=D(2025, 1, 2),
        start=start,
        end=funding_rules.minimum_term_end(start, years=years),
        amount="6000",
        end_date_defined_at_start=True,
    )

    # Prompt payment: invoices received on Tuesday 14 April, payable by the compact's Nth working day after.
    received, n = D(2026, 4, 14), compact.payment_working_days
    invoices = {}
    for name, days in (("early", 3), ("last-day", n), ("day-late-waived", n + 1), ("day-late", n + 1), ("late", n + 5)):
        invoice = InvoiceFactory(relationship=running, invoice_number=f"INV-{name}", received_date=received)
        assert invoice.pay_by == add_working_days(received, n, nation=nation)
        paid = add_working_days(received, days, nation=nation)
        assert within(paid, Q2_2026)
        invoices[name] = pay_in_full(invoice, paid)
        invoices[name].refresh_from_db()
        assert invoices[name].working_days_to_pay == days
    before = InvoiceFactory(relationship=running, invoice_number="INV-Q1", received_date=D(2026, 3, 2))
    pay_in_full(before, add_working_days(D(2026, 3, 2), 2, nation=nation))  # Q1: counted in the period before
    InvoiceFactory(relationship=running, invoice_number="INV-UNPAID", received_date=D(2026, 6, 1))  # never paid

    # Decisions and terms: awards to start on the day the compact's lead time after 1 May, so they are due by 1 May.
    start = funding_rules.add_months(D(2026, 5, 1), months)
    due, minimum_end = D(2026, 5, 1), funding_rules.minimum_term_end(start, years=years)
    FundingRelationshipFactory(compact=compact, funder=council, recipient=food, expected_start=start)  # pending
    awards = {}
    for name, told, end, amount, extra in (
        ("in-time", due, minimum_end, "10000", FCR | {"payment_in_advance": True}),
        ("in-time-short-explained", due, minimum_end - ONE_DAY, "20000", {"explanation": "A pilot year."}),
        ("late-justified", due + ONE_DAY, minimum_end, "30000", {"justification": "The budget was set late."}),
        ("late-waived", due + ONE_DAY, minimum_end - ONE_DAY, "40000", {}),
        ("late", due + ONE_DAY, minimum_end - ONE_DAY, "50000", FCR),
    ):
        awards[name] = _award(
            compact, council, food, f"GR-{name}", told=told, start=start, end=end, amount=amount, **extra
        )
        assert (awards[name].decision_due_by, awards[name].minimum_end_date) == (due, minimum_end)
    declined = FundingRelationshipFactory(
        compact=compact,
        funder=council,
        recipient=food,
        reference="GR-declined",
        expected_start=start,
        amount=Decimal("9000"),
    )
    funding_services.decision_record(
        relationship=declined, actor=None, kind="declined", told_date=due, today=due, feedback="Outside our priorities."
    )

    # Notices of ending given on 1 April: the full notice runs to the compact's notice months later.
    given = D(2026, 4, 1)
    earliest = funding_rules.earliest_effective_date(given, months=compact.notice_months)
    notices = {}
    # All but the full one end the funding for performance (12.7): an improvement timetable was agreed on the
    # fixed-end grant that day (in time), and on the running grant only the day after (too late).
    for name, relationship, effective, for_performance in (
        ("full", running, earliest, False),
        ("short-waived", running, earliest - ONE_DAY, True),
        ("short", running, earliest - ONE_DAY, True),
        ("short-fixed-end", fixed, earliest - ONE_DAY, True),  # Leicestershire owes no notice of a fixed end
    ):
        notices[name] = NoticeFactory(
            relationship=relationship, notice_date=given, effective_date=effective, for_performance=for_performance
        )
        assert notices[name].earliest_effective_date == earliest
    for relationship, agreed in ((fixed, given), (running, given + ONE_DAY)):
        monitoring.improvement_timetable_agree(
            relationship=relationship,
            actor=None,
            today=agreed,
            problems="Fewer sessions ran than agreed.",
            agreed_on=agreed,
            review_on=agreed + datetime.timedelta(days=60),
            actions=[("Recruit a sessions coordinator", agreed + datetime.timedelta(days=30))],
        )

    # Monitoring plans agreed on 1 May (12.3): once a year (within every band), and every month (above them all)
    # with the reason recorded, with the flag waived, and with neither.
    for name, returns_per_year, reason in (
        ("in-time", 1, ""),
        ("in-time-short-explained", 12, "Monthly figures while the service is piloted."),
        ("late-waived", 12, ""),
        ("late", 12, ""),
    ):
        _plan(awards[name], returns_per_year, agreed=D(2026, 5, 1), reason=reason)
        assert awards[name].monitoring_plan.returns_allowed_per_year < 12

    # The food bank's monthly returns on the running grant (its plan agreed in 2025), for March, April and May (17.3):
    # one sent on its due day; one a day late, its flag waived the day after it fell due; one a day late.
    monthly = _plan(running, 12, agreed=D(2025, 12, 1), reason="Monthly figures while the service is piloted.")
    returns = {
        "on-time": _made(monthly, D(2026, 3, 1), D(2026, 3, 31)),
        "late-waived": _made(monthly, D(2026, 4, 1), D(2026, 4, 30)),
        "late": _made(monthly, D(2026, 5, 1), D(2026, 5, 31)),
    }
    assert all(within(item.due_date, Q2_2026) for item in returns.values())
    _made(monthly, D(2026, 3, 1), D(2026, 3, 31), sent=returns["on-time"].due_date)
    compliance_scan(
        today=returns["late-waived"].due_date + ONE_DAY,
        compact=compact,
        rule_keys=[RuleKey.MONITORING_RETURN_OVERDUE],
        send_digest=False,
    )
    _waive(
        compact, champion, RuleKey.MONITORING_RETURN_OVERDUE, RecordType.MONITORING_RETURN, returns["late-waived"].pk
    )
    for name in ("late-waived", "late"):
        item = returns[name]
        _made(monthly, item.period_start, item.period_end, sent=item.due_date + ONE_DAY)

    # Formal consultations opened on Monday 6 April, of the compact's minimum length, or a day short.
    opens = D(2026, 4, 6)
    long_enough = opens + datetime.timedelta(days=7 * compact.consultation_min_weeks - 1)
    consultations = {}
    for name, closes, formal, explanation in (
        ("long-enough", long_enough, True, ""),
        ("short-explained", long_enough - ONE_DAY, True, "The government's deadline."),
        ("short-waived", long_enough - ONE_DAY, True, ""),
        ("short", long_enough - ONE_DAY, True, ""),
        ("informal-short", long_enough - ONE_DAY, False, ""),  # an informal one is not counted
    ):
        consultation = _consulted(
            compact, council, food, f"{area} {name}", opens=opens, closes=closes, formal=formal, explanation=explanation
        )
        assert consultation.feedback_due > Q2_2026.end  # counted for its length only
        consultations[name] = consultation

    # Feedback falling due on Sunday 21 June, on consultations of the compact's minimum length opened in Q1.
    feedback_due = D(2026, 6, 21)
    closes = feedback_due - datetime.timedelta(weeks=compact.feedback_due_weeks)
    opens = closes - datetime.timedelta(days=7 * compact.consultation_min_weeks - 1)
    feedback = {}
    for name in ("on-time", "late-waived", "late"):
        feedback[name] = _consulted(compact, council, food, f"{area} feedback {name}", opens=opens, closes=closes)
        assert feedback[name].feedback_due == feedback_due
        assert within(opens, Q1_2026)
    publish_feedback(feedback["on-time"], today=feedback_due)
    compliance_scan(
        today=feedback_due + ONE_DAY,
        compact=compact,
        rule_keys=[RuleKey.CONSULTATION_FEEDBACK_OVERDUE],
        send_digest=False,
    )
    _waive(
        compact, champion, RuleKey.CONSULTATION_FEEDBACK_OVERDUE, RecordType.CONSULTATION, feedback["late-waived"].pk
    )
    for name in ("late-waived", "late"):
        publish_feedback(feedback[name], today=feedback_due + ONE_DAY)

    # A concern about the council, received in May and never acknowledged.
    concern = ConcernFactory(
        actor=member, raiser=food, compact=compact, respondent=council, happened_on=D(2026, 5, 1), today=D(2026, 5, 12)
    )

    # Every rule, once every term has started; the champion waives the flags of the "waived" records.
    compliance_scan(today=D(2026, 8, 15), compact=compact, send_digest=False)
    for rule, record_type, record_id in (
        (RuleKey.INVOICE_PAID_LATE, RecordType.INVOICE, invoices["day-late-waived"].pk),
        (RuleKey.DECISION_TOO_LATE, RecordType.FUNDING_RELATIONSHIP, awards["late-waived"].pk),
        (RuleKey.NOTICE_TOO_SHORT, RecordType.NOTICE, notices["short-waived"].pk),
        (RuleKey.CONSULTATION_TOO_SHORT, RecordType.CONSULTATION, consultations["short-waived"].pk),
        (RuleKey.MONITORING_DISPROPORTIONATE, RecordType.FUNDING_RELATIONSHIP, awards["late-waived"].pk),
        (RuleKey.IMPROVEMENT_TIMETABLE_MISSING, RecordType.NOTICE, notices["short-waived"].pk),
    ):
        _waive(compact, champion, rule, record_type, record_id)
    return {"compact": compact, "council": council, "food": food, "champion": champion, "concern": concern}


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker, tmp_path_factory):
    """The three seed compacts, each with its records: built once in a transaction rolled back at the end."""
    with shared_world(django_db_blocker, tmp_path_factory):
        compacts = {compact.slug: compact for compact in compacts_load()}
        administrator = MembershipFactory(
            organisation=PublicBodyFactory(name="Portal Administrators"), role=Role.ADMINISTRATOR
        ).user
        built = {slug: _build(compacts[slug]) | {"administrator": administrator} for slug in SLUGS}
        yield built


def figures_of(world, **scope):
    return compact_figures(compact=world["compact"], period=Q2_2026, today=TODAY, **scope)


# --- Known answers ---------------------------------------------------------------------------------------------------

# (kept, explained, broken) of each promise in Q2 2026, counted by hand from ``_build``.
COUNTED = {
    # early and on the last working day; a day late, its flag waived; a day late, and five days late.
    ("paid_on_time", False): (2, 1, 2),
    # on the day (twice) and a decline on the day; a day late, justified or its flag waived; a day late.
    ("told_in_time", False): (3, 2, 1),
    # the full notice; a day short, waived; a day short, and a day short on the grant whose end was fixed.
    ("notice_long_enough", False): (1, 1, 2),
    # the full term (told on time or late); a day short, explained; a day short twice (a waiver of the late
    # decision's flag explains the decision, not the term). The pending application and the decline have no term.
    ("multi_year", False): (2, 1, 2),
    ("multi_year", True): (10000 + 30000, 0, 40000 + 50000 + 20000),  # pounds explained count as broken
    # once a year; monthly with the reason, or the flag waived; monthly.
    ("monitoring_proportionate", False): (1, 2, 1),
    # sent on the due day; a day late, waived; a day late.
    ("returns_on_time", False): (1, 1, 1),
    # the timetable agreed on the day of the notice; the day after, waived; the day after.
    ("improvement_timetable", False): (1, 1, 1),
    # the full length; a day short, explained or waived; a day short. The informal one is not counted.
    ("long_enough", False): (1, 2, 1),
    # on the day it fell due; a day late, waived before it was published; a day late.
    ("feedback_on_time", False): (1, 1, 1),
}
# Leicestershire owes no notice of an end fixed from the start (principle 11): that notice is not counted.
COUNTED_FOR = {
    "portsmouth": COUNTED,
    "leicestershire": COUNTED | {("notice_long_enough", False): (1, 1, 1)},
    "nottinghamshire": COUNTED,
}
# Of the five awards told in Q2 2026 (£150,000): full cost recovery on the £10,000 and £50,000 awards, payment in
# advance on the £10,000 one; (met, total).
PRACTICE = {
    ("full_cost_recovery", False): (2, 5),
    ("full_cost_recovery", True): (60000, 150000),
    ("payment_in_advance", False): (1, 5),
    ("payment_in_advance", True): (10000, 150000),
}


@pytest.mark.parametrize("slug", SLUGS)
def test_each_promise_is_kept_explained_and_broken_as_counted_by_hand(worlds, slug):
    figures = figures_of(worlds[slug])

    counted = {(f.key, f.by_value): (f.current.met, f.current.explained, f.current.broken) for f in figures.shares}
    assert counted == COUNTED_FOR[slug]
    totals = {(f.key, f.by_value): f.current.total for f in figures.shares}
    assert totals == {key: sum(parts) for key, parts in COUNTED_FOR[slug].items()}


@pytest.mark.parametrize("slug", SLUGS)
def test_the_working_days_to_pay_are_counted_by_hand(worlds, slug):
    """Paid after 3, N, N+1, N+1 and N+5 working days (N the compact's own): half within the third, N+1, nine in
    ten within the fifth, N+5 (nearest rank). Q1's one invoice took two."""
    n = worlds[slug]["compact"].payment_working_days
    days = figures_of(worlds[slug]).days_to_pay

    assert (days.median, days.p90) == (n + 1, n + 5)
    assert (days.previous_median, days.previous_p90) == (2, 2)


@pytest.mark.parametrize("slug", SLUGS)
def test_the_shares_of_awards_and_the_concerns_received_are_counted_by_hand(worlds, slug):
    figures = figures_of(worlds[slug])

    assert {(f.key, f.by_value): (f.current.met, f.current.total) for f in figures.practice} == PRACTICE
    assert figures.cases_received.current == Share(1, 1)
    assert figures.cases_received.previous == Share(0, 0)


# --- What each figure cites ------------------------------------------------------------------------------------------

COUNTED_KEYS = sorted({key for key, _ in COUNTED})
DAYS_TO_PAY_ROWS = ("Half of invoices paid within", "Nine in ten invoices paid within")


def cited_by_label(figures) -> dict[str, str]:
    """What each row of the summary, the headline table and the funding practice table should cite, by its label."""
    expected = {f.label: CITES[figures.compact.slug][f.key] for f in [*figures.shares, *figures.practice]}
    expected |= dict.fromkeys(DAYS_TO_PAY_ROWS, CITES[figures.compact.slug]["paid_on_time"])
    return expected | {figures.cases_received.label: ""}  # a count, nobody's promise


@pytest.mark.parametrize("slug", SLUGS)
def test_each_figure_cites_its_compacts_own_clause(worlds, slug):
    """Portsmouth's figures cite 11.2, 9.2, 13.3, 9.1, 12.3, 17.3, 12.7, 3.7, 3.5, 8.1 and 11.1; the others their own
    clauses or the portal's default, in the figures, in every table of the report with a clause column and in the
    trends' titles."""
    figures = figures_of(worlds[slug])
    cites = CITES[slug]

    assert {f.key: f.clause for f in [*figures.shares, *figures.practice]} == cites
    expected = cited_by_label(figures)
    tables = {
        table.slug: table for table in report_tables(compact=worlds[slug]["compact"], period=Q2_2026, today=TODAY)
    }
    for slug_of_table in ("summary", "headline", "funding-practice"):
        table = tables[slug_of_table]
        clause = table.columns.index("Clause")
        assert {row[0]: row[clause] for row in table.rows} == {
            label: expected[label] for label in (row[0] for row in table.rows)
        }, slug_of_table
        assert len(table.rows) == {"summary": 10, "headline": 13, "funding-practice": 4}[slug_of_table]
    for f in figures.shares:
        title = tables[f"trend-{f.key}{'-value' if f.by_value else ''}"].title
        assert f"({cites[f.key]}), monthly" in title
    assert f"({cites['paid_on_time']}), monthly" in tables["trend-days-to-pay"].title


# --- Leicestershire's and Nottinghamshire's pages and report cite only their own clauses -----------------------------

# A clause code as the three compacts write them: "3.7", "10", "PSA 18", "Principle 11", "KP2.6", "LF.1".
CODE = r"(?:(?:Principle|PSA|VCS|PUB) \d+(?:\.\d+)*|KP\d+(?:\.\d+)*|LF\.\d+|\d+(?:\.\d+)*)"


def codes_of(slug: str) -> set[str]:
    return set(Commitment.objects.filter(compact__slug=slug).values_list("code", flat=True))


def allowed(slug: str) -> set[str]:
    return codes_of(slug) | {PORTAL_DEFAULT, ""}


def portsmouths_only(slug: str) -> set[str]:
    return codes_of("portsmouth") - codes_of(slug)


def words(text: str) -> str:
    return " ".join(text.split())


def citations_in(text: str) -> list[str]:
    """What the text cites: each "Clause X" (a summary's line under a promise, a chart of flags by clause) and each
    trend's title, "Invoices paid within the agreed working days (X), monthly"."""
    text = words(text)
    cited = re.findall(rf"\b[Cc]lause ({CODE})", text)
    return cited + re.findall(r"\(([^()]+)\), (?:monthly|quarterly)", text)


def portsmouth_numbers_in(text: str, slug: str) -> list[str]:
    """Portsmouth's clause codes (not also ``slug``'s) standing alone in ``text`` (not inside KP3.1 or 13.35)."""
    text = words(text)
    return sorted(
        code for code in portsmouths_only(slug) if re.search(rf"(?<![\w.]){re.escape(code)}(?![\w]|\.\d)", text)
    )


class Page(HTMLParser):
    """A page's tables (header and rows of cell text) and its text, without scripts and styles."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self.chunks: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._hidden = 0
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag == "table":
            self.tables.append(([], []))
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1
        elif tag in ("th", "td") and self._cell is not None:
            self._row.append(words("".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            columns, rows = self.tables[-1]
            if columns:
                rows.append(self._row)
            else:  # the first row is the header
                columns.extend(self._row)
            self._row = None

    def handle_data(self, data):
        if self._hidden:
            return
        self.chunks.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def text(self) -> str:
        return words(" ".join(self.chunks))

    def clause_cells(self) -> list[str]:
        """Every cell of a column headed "Clause"."""
        return [row[columns.index("Clause")] for columns, rows in self.tables if "Clause" in columns for row in rows]


def assert_cites_only_its_own(slug: str, cited: list[str], text: str) -> None:
    assert set(cited) <= allowed(slug), sorted(set(cited) - allowed(slug))
    assert not set(cited) & portsmouths_only(slug)
    assert portsmouth_numbers_in(text, slug) == []


def dashboard_pages(client, world) -> dict[str, str]:
    """The dashboard and the council's and the food bank's health checks for Q2 2026, as an administrator sees
    them."""
    client.force_login(world["administrator"])
    slug, period = world["compact"].slug, {"start": Q2_2026.start.isoformat(), "end": Q2_2026.end.isoformat()}
    urls = {
        "dashboard": reverse("commitments:dashboard", args=[slug]),
        "council": reverse("commitments:scorecard", args=[slug, world["council"].slug]),
        "food bank": reverse("commitments:scorecard", args=[slug, world["food"].slug]),
    }
    pages = {}
    for name, url in urls.items():
        response = client.get(url, period)
        assert response.status_code == 200, name
        pages[name] = response.content.decode()
    return pages


@pytest.mark.parametrize("slug", OTHERS)
def test_the_dashboard_and_health_checks_cite_only_the_compacts_own_clauses(worlds, client, slug):
    for name, markup in dashboard_pages(client, worlds[slug]).items():
        page = Page(markup)
        cells, cited = page.clause_cells(), citations_in(page.text)

        assert cells, name
        assert_cites_only_its_own(slug, cells + cited, page.text)
        # Not vacuous: each figure's own citation is on the page, in a clause column and in its trend's title.
        assert set(CITES[slug].values()) <= set(cells), name
        assert {CITES[slug][key] for key in COUNTED_KEYS} <= set(cited) | {PORTAL_DEFAULT}, name


@pytest.mark.parametrize("slug", OTHERS)
def test_every_table_of_the_report_cites_only_the_compacts_own_clauses(worlds, slug):
    tables = report_tables(compact=worlds[slug]["compact"], period=Q2_2026, today=TODAY)
    cells = [
        str(row[table.columns.index("Clause")]) for table in tables if "Clause" in table.columns for row in table.rows
    ]
    text = " ".join(
        [table.title for table in tables] + [str(cell) for table in tables for row in table.rows for cell in row]
    )

    assert {"summary", "headline", "flags-by-clause", "funding-practice", "breaches-by-commitment", "open-flags"} <= {
        table.slug for table in tables if "Clause" in table.columns and table.rows
    }
    assert_cites_only_its_own(slug, cells + citations_in(text), text)
    # The flags cite what the compact's catalogue says: its own clause, or the portal's default.
    flagged = set(
        Flag.objects.filter(compact=worlds[slug]["compact"], status=FlagStatus.OPEN).values_list("clause", flat=True)
    )
    assert set(cells) >= {clause or PORTAL_DEFAULT for clause in flagged}
    assert set(CITES[slug].values()) <= set(cells)


@pytest.mark.parametrize("slug", OTHERS)
def test_the_pdf_cites_only_the_compacts_own_clauses(worlds, slug, monkeypatch):
    """The PDF's text (pypdf), and the HTML it is drawn from: one rendering."""
    drawn = []

    def keep(template, context):
        drawn.append(render_to_string(template, context))
        return drawn[-1]

    monkeypatch.setattr(report_pdf, "render_to_string", keep)
    report = render_report(compact=worlds[slug]["compact"], period=Q2_2026, today=TODAY)
    text = words(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(report.pdf)).pages))
    source = Page(drawn[0])

    assert_cites_only_its_own(slug, source.clause_cells() + citations_in(source.text), source.text)
    assert_cites_only_its_own(slug, citations_in(text), text)
    assert set(CITES[slug].values()) <= set(source.clause_cells())
    for cited in set(CITES[slug].values()):
        assert cited in text, cited
