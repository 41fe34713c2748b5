import datetime

import pytest

from compact_portal.figures import Share
from compact_portal.periods import Period
from consultations import selectors
from tests.commitments.factories import CompactFactory
from tests.consultations.factories import ConsultationFactory, publish_feedback

pytestmark = pytest.mark.django_db

Q1_2026, Q2_2026 = Period.quarter(2026, 1), Period.quarter(2026, 2)


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact")


@pytest.fixture
def consultations(compact):
    """All opened on Monday 5 January 2026. Twelve weeks: feedback due 21 June, published 1 May (on time).
    Eight weeks, explained: feedback due 24 May, none. Informal, six weeks: feedback due 10 May, published
    1 June (late). A short draft and another compact's short consultation count for nothing."""
    twelve_weeks = ConsultationFactory(compact=compact, publish=True)
    eight_weeks = ConsultationFactory(
        compact=compact, publish=True, close_date=datetime.date(2026, 3, 1), shorter_explanation="Budget deadline."
    )
    informal = ConsultationFactory(compact=compact, publish=True, formal=False, close_date=datetime.date(2026, 2, 15))
    ConsultationFactory(compact=compact, close_date=datetime.date(2026, 3, 1), shorter_explanation="Draft.")
    ConsultationFactory(
        compact=CompactFactory(name="Other Compact"),
        publish=True,
        close_date=datetime.date(2026, 3, 1),
        shorter_explanation="Elsewhere.",
    )
    publish_feedback(twelve_weeks, today=datetime.date(2026, 5, 1))
    publish_feedback(informal, today=datetime.date(2026, 6, 1))
    return {"twelve_weeks": twelve_weeks, "eight_weeks": eight_weeks, "informal": informal}


def test_consultation_shares_count_length_by_opening_and_feedback_by_its_due_date(compact, consultations):
    assert consultations["eight_weeks"].feedback_due == datetime.date(2026, 5, 24)

    shares = selectors.consultation_shares(compact=compact, windows=[Q1_2026, Q2_2026])

    assert shares["long_enough"] == [Share(1, 2), Share(0, 0)]  # the informal one is not held to the minimum
    assert shares["feedback_on_time"] == [Share(0, 0), Share(1, 3)]


def test_consultation_shares_month_by_month(compact, consultations):
    """All three opened in January; feedback fell due on 10 May (late), 24 May (none) and 21 June (on time)."""
    assert selectors.consultation_shares(compact=compact, windows=Q1_2026.months()) == {
        "long_enough": [Share(1, 2), Share(0, 0), Share(0, 0)],
        "feedback_on_time": [Share(0, 0), Share(0, 0), Share(0, 0)],
    }
    assert selectors.consultation_shares(compact=compact, windows=Q2_2026.months()) == {
        "long_enough": [Share(0, 0), Share(0, 0), Share(0, 0)],
        "feedback_on_time": [Share(0, 0), Share(0, 2), Share(1, 1)],
    }


def test_consultation_shares_for_one_body(compact, consultations):
    body = consultations["twelve_weeks"].body

    both_quarters = selectors.consultation_shares(
        compact=compact, windows=[Period(Q1_2026.start, Q2_2026.end)], organisation=body
    )
    by_quarter = selectors.consultation_shares(compact=compact, windows=[Q1_2026, Q2_2026], organisation=body)

    assert both_quarters == {"long_enough": [Share(1, 1)], "feedback_on_time": [Share(1, 1)]}
    assert by_quarter == {"long_enough": [Share(1, 1), Share(0, 0)], "feedback_on_time": [Share(0, 0), Share(1, 1)]}
    assert list(selectors.consultations_of(compact=compact, organisation=body)) == [consultations["twelve_weeks"]]


def test_consultations_of_a_compact_are_its_published_ones(compact, consultations):
    assert set(selectors.consultations_of(compact=compact)) == set(consultations.values())


def test_consultation_shares_take_one_query_however_many_consultations(
    compact, consultations, django_assert_num_queries
):
    for more in (1, 3):
        with django_assert_num_queries(1):
            selectors.consultation_shares(compact=compact, windows=Q1_2026.months() + Q2_2026.months())
        for _ in range(more):
            publish_feedback(ConsultationFactory(compact=compact, publish=True), today=datetime.date(2026, 4, 1))
    with django_assert_num_queries(1):
        shares = selectors.consultation_shares(compact=compact, windows=Q1_2026.months() + Q2_2026.months())

    assert shares["long_enough"][0] == Share(5, 6)
