import datetime
from decimal import Decimal

import pytest

from compact_portal.figures import Share
from compact_portal.periods import Period
from funding import selectors, services
from funding.models import Mechanism
from tests.commitments.factories import CompactFactory, PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, FundingRelationshipFactory, InvoiceFactory, NoticeFactory

pytestmark = pytest.mark.django_db

RECEIVED = datetime.date(2027, 4, 6)  # Tuesday; payable by Tuesday 20 April (10 working days)
Q2_2027 = Period.quarter(2027, 2)


def paid_invoice(funding, paid: datetime.date, received: datetime.date = RECEIVED):
    invoice = InvoiceFactory(relationship=funding, received_date=received)
    services.payment_record(invoice=invoice, actor=None, paid_date=paid, amount=invoice.amount)
    return invoice


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact")


@pytest.fixture
def funding(compact):
    return AwardedFundingFactory(compact=compact)


@pytest.fixture
def paid_in_q2(funding):
    """Paid after 3, 8, 12 and 15 working days: two on time, two late."""
    return [
        paid_invoice(funding, paid)
        for paid in (
            datetime.date(2027, 4, 9),
            datetime.date(2027, 4, 16),
            datetime.date(2027, 4, 22),
            datetime.date(2027, 4, 27),
        )
    ]


def test_payment_figures_count_the_invoices_paid_in_the_period(compact, funding, paid_in_q2):
    paid_invoice(funding, datetime.date(2027, 3, 5), received=datetime.date(2027, 3, 1))  # paid in Q1
    InvoiceFactory(relationship=funding, received_date=RECEIVED)  # not paid yet
    paid_invoice(AwardedFundingFactory(compact=CompactFactory(name="Other Compact")), datetime.date(2027, 4, 9))

    figures = selectors.payment_figures(compact=compact, period=Q2_2027)

    assert figures.on_time == Share(met=2, total=4)
    assert figures.median_working_days == 8  # half were paid within 8 working days
    assert figures.p90_working_days == 15


def test_payment_figures_for_one_funder(compact, funding, paid_in_q2):
    other_funder = PublicBodyFactory(name="Hampshire Fire and Rescue")
    paid_invoice(AwardedFundingFactory(compact=compact, funder=other_funder), datetime.date(2027, 4, 7))

    assert selectors.payment_figures(compact=compact, period=Q2_2027, funder=other_funder).on_time == Share(1, 1)
    assert selectors.payment_figures(compact=compact, period=Q2_2027).on_time == Share(3, 5)


def test_payment_figures_with_nothing_paid_say_so(compact):
    figures = selectors.payment_figures(compact=compact, period=Q2_2027)

    assert (figures.on_time.percent, figures.median_working_days, figures.p90_working_days) == (None, None, None)


def test_payment_figures_take_three_queries_however_many_invoices(compact, paid_in_q2, django_assert_num_queries):
    with django_assert_num_queries(3):
        selectors.payment_figures(compact=compact, period=Q2_2027)


# --- Funding figures: 2026 in the Southsea Compact ---------------------------------------------------

YEAR_2026 = Period.year(2026)


@pytest.fixture
def funding_in_2026(compact):
    """A: a three-year grant of £30,000 from the city council, awarded in good time (October 2026).
    B: a one-year contract of £10,000 from the fire service, awarded late (justified) in July 2026.
    C: the city council's decline, told in good time in November 2026.
    D: an award told in 2025, and E: one in another compact, count for nothing in 2026.
    Notices given in 2026: A's gives three months, B's does not."""
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
        relationship=b, actor=None, kind="awarded", told_date=datetime.date(2026, 7, 1), justification="Budget late."
    )
    c = FundingRelationshipFactory(compact=compact, funder=city)
    services.decision_record(
        relationship=c, actor=None, kind="declined", told_date=datetime.date(2026, 11, 2), feedback="Too costly."
    )
    d = FundingRelationshipFactory(compact=compact, funder=city, expected_start=datetime.date(2026, 4, 1))
    services.decision_record(relationship=d, actor=None, kind="awarded", told_date=datetime.date(2025, 10, 1))
    AwardedFundingFactory(compact=CompactFactory(name="Other Compact"), funder=city)
    NoticeFactory(relationship=a, notice_date=datetime.date(2026, 12, 1), effective_date=datetime.date(2027, 3, 1))
    NoticeFactory(relationship=b, notice_date=datetime.date(2026, 11, 30), effective_date=datetime.date(2027, 1, 31))
    return {"city": city, "fire": fire}


def test_funding_figures_for_a_year(compact, funding_in_2026):
    figures = selectors.funding_figures(compact=compact, period=YEAR_2026)

    assert figures.decisions_told_in_time == Share(2, 3)
    assert figures.notices_long_enough == Share(1, 2)
    assert figures.multi_year_awards == Share(1, 2)
    assert figures.multi_year_value == Share(30000, 40000)
    assert [(t.label, t.awards, t.amount) for t in figures.by_mechanism] == [
        ("Grant", 1, Decimal("30000")),
        ("Contract", 1, Decimal("10000")),
    ]
    assert [(t.key, t.awards, t.amount) for t in figures.by_funder] == [
        (funding_in_2026["city"].slug, 1, Decimal("30000")),
        (funding_in_2026["fire"].slug, 1, Decimal("10000")),
    ]


def test_funding_figures_for_one_organisation(compact, funding_in_2026):
    figures = selectors.funding_figures(compact=compact, period=YEAR_2026, organisation=funding_in_2026["fire"])

    assert (figures.decisions_told_in_time, figures.notices_long_enough, figures.multi_year_awards) == (
        Share(0, 1),
        Share(0, 1),
        Share(0, 1),
    )
    assert [t.label for t in figures.by_funder] == ["Southsea Fire Service"]


def test_funding_figures_take_five_queries_however_much_funding(compact, funding_in_2026, django_assert_num_queries):
    with django_assert_num_queries(5):
        selectors.funding_figures(compact=compact, period=YEAR_2026)
