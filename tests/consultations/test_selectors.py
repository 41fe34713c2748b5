import datetime

import pytest

from commitments.figures import PROMISER, RECIPIENT, figure
from compact_portal.figures import Share, shares_by_window
from compact_portal.periods import Period
from consultations import selectors, services
from consultations.models import Represents
from tests.commitments.factories import CompactFactory, OrganisationFactory
from tests.consultations.factories import ConsultationFactory, publish_feedback

pytestmark = pytest.mark.django_db

Q1_2026, Q2_2026 = Period.quarter(2026, 1), Period.quarter(2026, 2)


def consultation_shares(*, compact, windows, organisation=None, role: str = "") -> dict[str, list[Share]]:
    """The two consultation figures registered in consultations/figures.py, counted through the figure
    registry in one query: the compact's, or those of ``organisation`` (in ``role``, or either)."""
    figures = [figure("long_enough"), figure("feedback_on_time")]
    records = figures[0].of(compact=compact, organisation=organisation, role=role)
    return shares_by_window(records, [f.measure for f in figures], windows)


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

    shares = consultation_shares(compact=compact, windows=[Q1_2026, Q2_2026])

    # The informal one is not held to the minimum; the eight-week one is explained, not broken.
    assert shares["long_enough"] == [Share(1, 2, 1), Share(0, 0)]
    assert shares["feedback_on_time"] == [Share(0, 0), Share(1, 3)]


def test_consultation_shares_month_by_month(compact, consultations):
    """All three opened in January; feedback fell due on 10 May (late), 24 May (none) and 21 June (on time)."""
    assert consultation_shares(compact=compact, windows=Q1_2026.months()) == {
        "long_enough": [Share(1, 2, 1), Share(0, 0), Share(0, 0)],
        "feedback_on_time": [Share(0, 0), Share(0, 0), Share(0, 0)],
    }
    assert consultation_shares(compact=compact, windows=Q2_2026.months()) == {
        "long_enough": [Share(0, 0), Share(0, 0), Share(0, 0)],
        "feedback_on_time": [Share(0, 0), Share(0, 2), Share(1, 1)],
    }


def test_consultation_shares_for_one_body(compact, consultations):
    body = consultations["twelve_weeks"].body

    both_quarters = consultation_shares(
        compact=compact, windows=[Period(Q1_2026.start, Q2_2026.end)], organisation=body
    )
    by_quarter = consultation_shares(compact=compact, windows=[Q1_2026, Q2_2026], organisation=body)

    assert both_quarters == {"long_enough": [Share(1, 1)], "feedback_on_time": [Share(1, 1)]}
    assert by_quarter == {"long_enough": [Share(1, 1), Share(0, 0)], "feedback_on_time": [Share(0, 0), Share(1, 1)]}
    assert list(selectors.consultations_of(compact=compact, organisation=body)) == [consultations["twelve_weeks"]]
    assert consultation_shares(compact=compact, windows=[Q1_2026, Q2_2026], organisation=body, role=PROMISER) == (
        by_quarter
    )
    assert consultation_shares(compact=compact, windows=[Q1_2026, Q2_2026], organisation=body, role=RECIPIENT) == {
        "long_enough": [Share(0, 0)] * 2,
        "feedback_on_time": [Share(0, 0)] * 2,
    }


def respond(consultation, organisation, *, submit: bool = True):
    return services.response_save(
        consultation=consultation,
        organisation=organisation,
        actor=None,
        today=datetime.date(2026, 2, 2),
        text="We run the mobile library's volunteer drivers.",
        represents=Represents.MEMBERS,
        how_gathered="A members' meeting.",
        may_publish=False,
        submit=submit,
    )


def test_consultation_shares_of_a_respondent_are_those_it_answered(compact, consultations):
    """The consultations an organisation answered are the promises made to it (``role=recipient``), each counted
    once however many others answered too; it made none of them (``role=promiser``)."""
    charity, other = OrganisationFactory(name="Southsea Food Bank"), OrganisationFactory(name="Fratton Youth Club")
    for consultation in (consultations["twelve_weeks"], consultations["eight_weeks"]):
        respond(consultation, charity)
    respond(consultations["twelve_weeks"], other)

    assert consultation_shares(compact=compact, windows=[Q1_2026, Q2_2026], organisation=charity, role=RECIPIENT) == {
        "long_enough": [Share(1, 2, 1), Share(0, 0)],  # the eight-week one explained
        "feedback_on_time": [Share(0, 0), Share(1, 2)],  # the eight-week one's feedback never came
    }
    assert consultation_shares(compact=compact, windows=[Q1_2026, Q2_2026], organisation=charity) == (
        consultation_shares(compact=compact, windows=[Q1_2026, Q2_2026], organisation=charity, role=RECIPIENT)
    )
    assert consultation_shares(compact=compact, windows=[Q1_2026], organisation=charity, role=PROMISER) == {
        "long_enough": [Share(0, 0)],
        "feedback_on_time": [Share(0, 0)],
    }
    assert consultation_shares(compact=compact, windows=[Q1_2026], organisation=other, role=RECIPIENT) == {
        "long_enough": [Share(1, 1)],
        "feedback_on_time": [Share(0, 0)],
    }


def test_consultations_of_a_compact_are_its_published_ones(compact, consultations):
    assert set(selectors.consultations_of(compact=compact)) == set(consultations.values())


def test_consultation_shares_take_one_query_however_many_consultations(
    compact, consultations, django_assert_num_queries
):
    for more in (1, 3):
        with django_assert_num_queries(1):
            consultation_shares(compact=compact, windows=Q1_2026.months() + Q2_2026.months())
        for _ in range(more):
            publish_feedback(ConsultationFactory(compact=compact, publish=True), today=datetime.date(2026, 4, 1))
    with django_assert_num_queries(1):
        shares = consultation_shares(compact=compact, windows=Q1_2026.months() + Q2_2026.months())

    assert shares["long_enough"][0] == Share(5, 6, 1)


def test_a_draft_never_submitted_is_not_an_answer(compact, consultations):
    charity = OrganisationFactory(name="Southsea Food Bank")
    respond(consultations["twelve_weeks"], charity, submit=False)

    assert consultation_shares(compact=compact, windows=[Q1_2026], organisation=charity, role=RECIPIENT) == {
        "long_enough": [Share(0, 0)],
        "feedback_on_time": [Share(0, 0)],
    }
