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


def test_consultation_figures_count_length_by_opening_and_feedback_by_its_due_date(compact, consultations):
    assert consultations["eight_weeks"].feedback_due == datetime.date(2026, 5, 24)

    opened_in_q1 = selectors.consultation_figures(compact=compact, period=Q1_2026)
    due_in_q2 = selectors.consultation_figures(compact=compact, period=Q2_2026)

    assert opened_in_q1.long_enough == Share(1, 2)  # the informal one is not held to the minimum
    assert opened_in_q1.feedback_on_time == Share(0, 0)
    assert due_in_q2.long_enough == Share(0, 0)
    assert due_in_q2.feedback_on_time == Share(1, 3)


def test_consultation_figures_for_one_body(compact, consultations):
    figures = selectors.consultation_figures(
        compact=compact, period=Period(Q1_2026.start, Q2_2026.end), organisation=consultations["twelve_weeks"].body
    )

    assert (figures.long_enough, figures.feedback_on_time) == (Share(1, 1), Share(1, 1))


def test_consultation_figures_take_one_query(compact, consultations, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.consultation_figures(compact=compact, period=Q1_2026)
