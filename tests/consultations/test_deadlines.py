"""A compact's rule settings change: consultations that have not closed take the new minimum length (3.7) and
feedback due date (3.5), closed ones keep what they ran under and what their respondents were promised
(consultations/services/deadlines.py)."""

import datetime

import pytest

from commitments.services import compact_settings_update
from consultations.rules import feedback_due_by
from tests.consultations.factories import ConsultationFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)
OPENS = datetime.date(2026, 1, 5)


@pytest.mark.parametrize(
    ("closes", "publish", "follows"),
    [
        (datetime.date(2026, 3, 29), True, True),  # open today: follows
        (TODAY, True, True),  # its last day is today: still open
        (datetime.date(2026, 2, 28), True, False),  # closed yesterday: keeps
        (datetime.date(2026, 1, 31), True, False),  # closed a month ago: keeps
        (datetime.date(2026, 3, 29), False, True),  # a draft: promised nothing yet, follows
    ],
)
def test_open_consultations_follow_the_new_weeks_and_closed_ones_keep_theirs(
    compact, council, administrator, closes, publish, follows
):
    consultation = ConsultationFactory(
        compact=compact, body=council, open_date=OPENS, close_date=closes, shorter_explanation="A short one.",
        publish=publish,
    )  # fmt: skip
    before = (consultation.minimum_days, consultation.feedback_due)
    assert before == (84, feedback_due_by(closes=closes, weeks=12))

    compact_settings_update(
        compact=compact, actor=administrator, today=TODAY, consultation_min_weeks=14, feedback_due_weeks=8
    )

    consultation.refresh_from_db()
    after = (consultation.minimum_days, consultation.feedback_due)
    assert after == ((98, feedback_due_by(closes=closes, weeks=8)) if follows else before)
    assert consultation.length_days == (closes - OPENS).days + 1


def test_a_published_consultation_a_longer_minimum_makes_short_is_saved_for_the_flags_to_judge(
    compact, council, administrator
):
    consultation = ConsultationFactory(compact=compact, body=council, publish=True)  # exactly 12 weeks

    compact_settings_update(compact=compact, actor=administrator, today=TODAY, consultation_min_weeks=13)

    consultation.refresh_from_db()
    assert consultation.shorter_than_minimum
    latest = consultation.history.latest()
    assert (latest.minimum_days, latest.history_user) == (91, administrator)
