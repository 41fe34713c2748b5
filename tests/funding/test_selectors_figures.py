"""The funding figures of the dashboards and reports, registered in funding/figures.py with their measures in
funding/selectors/figures.py: each counted through the figure registry (commitments/figures.py) in one query,
kept, explained (a justification, an explanation of a shorter term, a champion's waiver) or broken."""

import datetime
from decimal import Decimal

import pytest

from commitments.figures import PROMISER, RECIPIENT, figure
from compact_portal.figures import Share, shares_by_window
from compact_portal.periods import Period
from funding import services
from funding.models import Mechanism
from funding.selectors import figures
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, FundingRelationshipFactory, InvoiceFactory, NoticeFactory

pytestmark = pytest.mark.django_db


def figure_shares(*keys: str, compact, windows, organisation=None, role: str = "") -> dict[str, list[Share]]:
    """The registered figures ``keys`` (all counting the same records) in each window, in one query: the compact's,
    or those of ``organisation`` (in ``role``, or either)."""
    figures = [figure(key) for key in keys]
    records = figures[0].of(compact=compact, organisation=organisation, role=role)
    return shares_by_window(records, [f.measure for f in figures], windows)


def payment_shares(**scope) -> list[Share]:
    return figure_shares("paid_on_time", **scope)["paid_on_time"]


def decision_shares(**scope) -> dict[str, list[Share]]:
    return figure_shares("told_in_time", "multi_year", **scope)


def notice_shares(**scope) -> list[Share]:
    return figure_shares("notice_long_enough", **scope)["notice_long_enough"]


RECEIVED = datetime.date(2027, 4, 6)  # Tuesday; payable by Tuesday 20 April (10 working days)
Q1_2027, Q2_2027 = Period.quarter(2027, 1), Period.quarter(2027, 2)
APRIL_2027, MAY_2027, JUNE_2027 = Q2_2027.months()


def paid_invoice(funding, paid: datetime.date, received: datetime.date = RECEIVED):
    invoice = InvoiceFactory(relationship=funding, received_date=received)
    services.payment_record(invoice=invoice, actor=None, paid_date=paid, today=paid, amount=invoice.amount)
    return invoice


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact")


@pytest.fixture
def funding(compact):
    return AwardedFundingFactory(compact=compact)


@pytest.fixture
def paid_in_q2(funding):
    """Paid after 3, 8, 12 and 15 working days, all in April: two on time, two late."""
    return [
        paid_invoice(funding, paid)
        for paid in (
            datetime.date(2027, 4, 9),
            datetime.date(2027, 4, 16),
            datetime.date(2027, 4, 22),
            datetime.date(2027, 4, 27),
        )
    ]


# --- Invoices paid (11.2) -----------------------------------------------------------------------------------------


def test_payment_shares_count_the_invoices_paid_in_each_window(compact, funding, paid_in_q2):
    paid_invoice(funding, datetime.date(2027, 3, 5), received=datetime.date(2027, 3, 1))  # 4 working days, in Q1
    InvoiceFactory(relationship=funding, received_date=RECEIVED)  # not paid yet
    paid_invoice(AwardedFundingFactory(compact=CompactFactory(name="Other Compact")), datetime.date(2027, 4, 9))

    assert payment_shares(compact=compact, windows=[Q1_2027, Q2_2027]) == [Share(1, 1), Share(2, 4)]
    assert payment_shares(compact=compact, windows=Q2_2027.months()) == [Share(2, 4), Share(0, 0), Share(0, 0)]


def test_days_to_pay_give_the_median_and_90th_percentile_of_each_window(compact, funding, paid_in_q2):
    paid_invoice(funding, datetime.date(2027, 3, 5), received=datetime.date(2027, 3, 1))  # 4 working days, in Q1
    paid_invoice(funding, datetime.date(2027, 5, 7), received=datetime.date(2027, 5, 4))  # 3 working days, in May
    InvoiceFactory(relationship=funding, received_date=RECEIVED)  # not paid yet: no working days to count
    paid_invoice(AwardedFundingFactory(compact=CompactFactory(name="Other Compact")), datetime.date(2027, 5, 28))

    # Q2 holds 3, 3, 8, 12 and 15 working days: the median is the 3rd of five, the 90th percentile the 5th.
    # April alone holds 3, 8, 12 and 15: half were paid within 8 working days. Both sets of windows in one query.
    assert figures.days_to_pay(compact=compact, window_sets=[[Q1_2027, Q2_2027], Q2_2027.months()]) == [
        [(4, 4), (8, 15)],
        [(8, 15), (3, 3), (None, None)],
    ]


def test_payment_figures_for_one_organisation(compact, funding, paid_in_q2):
    other_funder = PublicBodyFactory(name="Hampshire Fire and Rescue")
    paid_invoice(AwardedFundingFactory(compact=compact, funder=other_funder), datetime.date(2027, 4, 7))

    assert payment_shares(compact=compact, windows=[Q2_2027], organisation=other_funder) == [Share(1, 1)]
    assert figures.days_to_pay(compact=compact, window_sets=[[Q2_2027]], organisation=other_funder) == [[(1, 1)]]
    assert payment_shares(compact=compact, windows=[Q2_2027], organisation=other_funder, role=PROMISER) == [Share(1, 1)]
    assert payment_shares(compact=compact, windows=[Q2_2027], organisation=other_funder, role=RECIPIENT) == [
        Share(0, 0)
    ]
    # The recipient's invoices: paid to it, so promised to it, not by it.
    assert payment_shares(compact=compact, windows=[Q2_2027], organisation=funding.recipient) == [Share(2, 4)]
    assert payment_shares(compact=compact, windows=[Q2_2027], organisation=funding.recipient, role=RECIPIENT) == [
        Share(2, 4)
    ]
    assert payment_shares(compact=compact, windows=[Q2_2027], organisation=funding.recipient, role=PROMISER) == [
        Share(0, 0)
    ]
    assert payment_shares(compact=compact, windows=[Q2_2027]) == [Share(3, 5)]
    assert figures.invoices_of(compact=compact, organisation=other_funder).count() == 1


@pytest.mark.parametrize(
    ("windows", "shares", "days"),
    [
        pytest.param([Q2_2027], [Share(0, 0)], [(None, None)], id="one-window"),
        pytest.param([Q1_2027, Q2_2027], [Share(0, 0)] * 2, [(None, None)] * 2, id="two-windows"),
        pytest.param([], [], [], id="no-windows"),
    ],
)
def test_payment_figures_with_nothing_paid_say_so(compact, funding, windows, shares, days):
    InvoiceFactory(relationship=funding, received_date=RECEIVED)  # received, never paid

    assert payment_shares(compact=compact, windows=windows) == shares
    assert figures.days_to_pay(compact=compact, window_sets=[windows]) == [days]
    assert [share.percent for share in shares] == [None] * len(windows)


# --- Decisions, notices and awards: 2026 in the Southsea Compact ------------------------------------------------

YEAR_2026 = Period.year(2026)
Q1_2026, Q2_2026, Q3_2026, Q4_2026 = YEAR_2026.quarters()


@pytest.fixture
def funding_in_2026(compact):
    """A: a three-year grant of £30,000 from the city council, awarded in good time (1 October 2026).
    B: a one-year contract of £10,000 from the fire service, awarded late (justified) on 1 July 2026.
    C: the city council's decline, told in good time on 2 November 2026.
    D: an award told in 2025, and E: one in another compact, count for nothing in 2026.
    Notices given in 2026: A's on 1 December gives three months, B's on 30 November does not."""
    city, fire = PublicBodyFactory(name="Southsea City Council"), PublicBodyFactory(name="Southsea Fire Service")
    a = AwardedFundingFactory(compact=compact, funder=city, amount=Decimal("30000"))
    b = FundingRelationshipFactory(
        compact=compact,
        funder=fire,
        mechanism=Mechanism.CONTRACT,
        amount=Decimal("10000"),
        expected_start=datetime.date(2026, 9, 1),
        start_date=datetime.date(2026, 9, 1),
        end_date=datetime.date(2027, 8, 31),
        term_explanation="A one-year pilot.",
    )
    services.decision_record(
        relationship=b,
        actor=None,
        kind="awarded",
        told_date=datetime.date(2026, 7, 1),
        today=datetime.date(2026, 7, 1),
        justification="Budget late.",
    )
    c = FundingRelationshipFactory(compact=compact, funder=city)
    services.decision_record(
        relationship=c,
        actor=None,
        kind="declined",
        told_date=datetime.date(2026, 11, 2),
        today=datetime.date(2026, 11, 2),
        feedback="Too costly.",
    )
    d = FundingRelationshipFactory(compact=compact, funder=city, expected_start=datetime.date(2026, 4, 1))
    services.decision_record(
        relationship=d,
        actor=None,
        kind="awarded",
        told_date=datetime.date(2025, 10, 1),
        today=datetime.date(2025, 10, 1),
    )
    AwardedFundingFactory(compact=CompactFactory(name="Other Compact"), funder=city)
    NoticeFactory(relationship=a, notice_date=datetime.date(2026, 12, 1), effective_date=datetime.date(2027, 3, 1))
    NoticeFactory(relationship=b, notice_date=datetime.date(2026, 11, 30), effective_date=datetime.date(2027, 1, 31))
    return {"city": city, "fire": fire, "a": a, "b": b}


def test_decision_shares_for_a_year_and_each_quarter(compact, funding_in_2026):
    """B's award, late but justified, for a one-year term explained, is explained on both counts (not broken);
    a share by value counts no explanation."""
    assert decision_shares(compact=compact, windows=[YEAR_2026]) == {
        "told_in_time": [Share(2, 3, 1)],
        "multi_year": [Share(1, 2, 1)],
        "multi_year_value": [Share(30000, 40000)],
    }
    assert decision_shares(compact=compact, windows=YEAR_2026.quarters()) == {
        "told_in_time": [Share(0, 0), Share(0, 0), Share(0, 1, 1), Share(2, 2)],
        "multi_year": [Share(0, 0), Share(0, 0), Share(0, 1, 1), Share(1, 1)],
        "multi_year_value": [Share(0, 0), Share(0, 0), Share(0, 10000), Share(30000, 30000)],
    }


def test_notice_shares_for_a_year_and_the_months_of_its_last_quarter(compact, funding_in_2026):
    assert notice_shares(compact=compact, windows=[YEAR_2026]) == [Share(1, 2)]
    assert notice_shares(compact=compact, windows=Q4_2026.months()) == [Share(0, 0), Share(0, 1), Share(1, 1)]
    assert notice_shares(compact=compact, windows=[Q3_2026]) == [Share(0, 0)]


def test_awards_by_mechanism_and_funder_for_a_year(compact, funding_in_2026):
    by_mechanism, by_funder = figures.awards_by_mechanism_and_funder(compact=compact, period=YEAR_2026)

    assert [(t.key, t.label, t.awards, t.amount) for t in by_mechanism] == [
        (Mechanism.GRANT, "Grant", 1, Decimal("30000")),
        (Mechanism.CONTRACT, "Contract", 1, Decimal("10000")),
    ]
    assert [(t.key, t.label, t.awards, t.amount) for t in by_funder] == [
        (funding_in_2026["city"].slug, "Southsea City Council", 1, Decimal("30000")),
        (funding_in_2026["fire"].slug, "Southsea Fire Service", 1, Decimal("10000")),
    ]


def test_awards_by_mechanism_and_funder_add_up_each_funders_awards(compact, funding_in_2026):
    city = funding_in_2026["city"]
    AwardedFundingFactory(compact=compact, funder=city, mechanism=Mechanism.CONTRACT, amount=Decimal("5000"))

    by_mechanism, by_funder = figures.awards_by_mechanism_and_funder(compact=compact, period=Q4_2026)

    assert [(t.label, t.awards, t.amount) for t in by_mechanism] == [
        ("Grant", 1, Decimal("30000")),
        ("Contract", 1, Decimal("5000")),
    ]
    assert [(t.label, t.awards, t.amount) for t in by_funder] == [("Southsea City Council", 2, Decimal("35000"))]
    assert figures.awards_by_mechanism_and_funder(compact=compact, period=Q1_2026) == ([], [])


def test_funding_figures_for_one_organisation(compact, funding_in_2026):
    fire = funding_in_2026["fire"]

    decisions = decision_shares(compact=compact, windows=[YEAR_2026], organisation=fire)
    notices = notice_shares(compact=compact, windows=[YEAR_2026], organisation=fire)
    by_mechanism, by_funder = figures.awards_by_mechanism_and_funder(
        compact=compact, period=YEAR_2026, organisation=fire
    )

    assert (decisions["told_in_time"], notices, decisions["multi_year"]) == (
        [Share(0, 1, 1)],
        [Share(0, 1)],
        [Share(0, 1, 1)],
    )
    assert decision_shares(compact=compact, windows=[YEAR_2026], organisation=fire, role=RECIPIENT) == {
        "told_in_time": [Share(0, 0)],
        "multi_year": [Share(0, 0)],
        "multi_year_value": [Share(0, 0)],
    }
    assert decisions["multi_year_value"] == [Share(0, 10000)]
    assert [t.label for t in by_funder] == ["Southsea Fire Service"]
    assert [t.label for t in by_mechanism] == ["Contract"]


def test_a_recipients_figures_are_those_of_the_funding_it_receives(compact, funding_in_2026):
    """A's recipient: the city's promises to it (``role=recipient``); it made none (``role=promiser``)."""
    recipient = funding_in_2026["a"].recipient

    for role in ("", RECIPIENT):
        assert decision_shares(compact=compact, windows=[YEAR_2026], organisation=recipient, role=role)[
            "told_in_time"
        ] == [Share(1, 1)]
        assert notice_shares(compact=compact, windows=[YEAR_2026], organisation=recipient, role=role) == [Share(1, 1)]
    assert decision_shares(compact=compact, windows=[YEAR_2026], organisation=recipient, role=PROMISER)[
        "told_in_time"
    ] == [Share(0, 0)]
    assert notice_shares(compact=compact, windows=[YEAR_2026], organisation=recipient, role=PROMISER) == [Share(0, 0)]
    assert figures.decisions_of(compact=compact, organisation=recipient).count() == 1
    assert figures.notices_of(compact=compact, organisation=recipient).count() == 1
    assert decision_shares(compact=compact, windows=[YEAR_2026], organisation=OrganisationFactory(name="Unfunded"))[
        "told_in_time"
    ] == [Share(0, 0)]


# --- One query each, however much funding -------------------------------------------------------------------------

WINDOWS = YEAR_2026.quarters() + Period.year(2027).quarters()

FIGURES = {
    "payment_shares": lambda compact, _: payment_shares(compact=compact, windows=WINDOWS),
    "payment_shares_of_its_recipient": lambda compact, recipient: payment_shares(
        compact=compact, windows=WINDOWS, organisation=recipient, role=RECIPIENT
    ),
    "days_to_pay": lambda compact, _: figures.days_to_pay(compact=compact, window_sets=[WINDOWS, WINDOWS[:1]]),
    "decision_shares": lambda compact, _: decision_shares(compact=compact, windows=WINDOWS),
    "decision_shares_of_its_recipient": lambda compact, recipient: decision_shares(
        compact=compact, windows=WINDOWS, organisation=recipient
    ),
    "notice_shares": lambda compact, _: notice_shares(compact=compact, windows=WINDOWS),
    "awards_by_mechanism_and_funder": lambda compact, _: figures.awards_by_mechanism_and_funder(
        compact=compact, period=YEAR_2026
    ),
}


def more_funding(compact, recipient, n: int) -> None:
    """Another funder's award to ``recipient`` told in 2026, a notice on it, and ``n`` invoices on it paid in
    2027."""
    award = FundingRelationshipFactory(
        compact=compact, funder=PublicBodyFactory(), recipient=recipient, mechanism=Mechanism.LOAN
    )
    services.decision_record(
        relationship=award,
        actor=None,
        kind="awarded",
        told_date=datetime.date(2026, 6, 1),
        today=datetime.date(2026, 6, 1),
    )
    NoticeFactory(relationship=award)
    for i in range(n):
        paid_invoice(award, RECEIVED + datetime.timedelta(days=i))


@pytest.mark.parametrize("name", list(FIGURES))
def test_each_funding_figure_takes_one_query_however_much_funding(
    compact, funding, funding_in_2026, paid_in_q2, name, django_assert_num_queries
):
    recipient = funding.recipient
    for n in (1, 4):
        with django_assert_num_queries(1):
            FIGURES[name](compact, recipient)
        more_funding(compact, recipient, n)
    with django_assert_num_queries(1):
        FIGURES[name](compact, recipient)
    # What was counted grew: the 4 invoices of paid_in_q2 and the 1 + 4 paid in 2027, all paid to the recipient.
    assert sum(share.total for share in payment_shares(compact=compact, windows=WINDOWS)) == 9
