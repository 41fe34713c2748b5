import datetime

import pytest

from compact_portal.figures import Share
from compact_portal.periods import Period
from funding import selectors, services
from tests.commitments.factories import CompactFactory, PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory

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
