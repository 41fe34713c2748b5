"""A compact's rule settings change: open cases' step deadlines and running appeal windows follow the new
working-day limits, steps already taken and finished cases keep theirs (disputes/services/deadlines.py).

The usual path's dates are tests/disputes/factories.py's (England and Wales, 2026-27); each limit below is
5 working days longer than the default, counted across Christmas (25 and 28 December 2026) and 1 January 2027.
"""

import datetime

import pytest

from commitments.models import Nation
from commitments.services import compact_settings_update
from disputes import services
from disputes.models import Step
from tests.disputes.factories import (
    ACKNOWLEDGE_BY,
    APPEAL_DECISION_DUE,
    DECIDED_ON,
    FORMAL_RESPONSE_DUE,
    INFORMAL_DUE,
    LODGE_BY,
)

pytestmark = pytest.mark.django_db

LONGER = {
    "dispute_acknowledge_days": 10,
    "dispute_informal_days": 25,
    "dispute_formal_days": 25,
    "dispute_appeal_lodge_days": 25,
    "dispute_appeal_decision_days": 25,
}
TODAY = datetime.date(2027, 1, 4)  # the appeal window of a case decided on 16 December 2026 is running


@pytest.mark.parametrize(
    ("state", "step", "before", "after"),
    [
        ("received", Step.ACKNOWLEDGE, ACKNOWLEDGE_BY, datetime.date(2026, 11, 16)),
        ("acknowledged", Step.INFORMAL, INFORMAL_DUE, datetime.date(2026, 12, 9)),
        ("informal", Step.INFORMAL, INFORMAL_DUE, datetime.date(2026, 12, 9)),
        ("formal", Step.FORMAL_RESPONSE, FORMAL_RESPONSE_DUE, datetime.date(2026, 12, 30)),
        ("appeal", Step.APPEAL_DECISION, APPEAL_DECISION_DUE, datetime.date(2027, 2, 15)),
    ],
)
def test_an_open_cases_step_deadline_follows_the_new_limit(case_at, compact, administrator, state, step, before, after):
    concern = case_at(state)
    assert (concern.step, concern.step_due_by) == (step, before)

    compact_settings_update(compact=compact, actor=administrator, today=TODAY, **LONGER)

    concern.refresh_from_db()
    assert concern.step_due_by == after
    if step == Step.FORMAL_RESPONSE:
        assert concern.formal_response_due == after
    latest = concern.history.latest()
    assert (latest.step_due_by, latest.history_user) == (after, administrator)


@pytest.mark.parametrize("state", ["closed", "withdrawn"])
def test_a_finished_case_keeps_every_date_it_was_judged_by(case_at, compact, administrator, state):
    concern = case_at(state)
    before = (concern.step_due_by, concern.formal_response_due, concern.appeal_lodge_by)
    history = concern.history.count()

    compact_settings_update(compact=compact, actor=administrator, today=TODAY, nation=Nation.SCOTLAND, **LONGER)

    concern.refresh_from_db()
    assert (concern.step_due_by, concern.formal_response_due, concern.appeal_lodge_by) == before
    assert concern.history.count() == history


def test_a_formal_response_already_given_keeps_its_deadline(case_at, compact, administrator):
    concern = case_at("responded")

    compact_settings_update(compact=compact, actor=administrator, today=TODAY, **LONGER)

    concern.refresh_from_db()
    assert (concern.step, concern.step_due_by, concern.formal_response_due) == (Step.NONE, None, FORMAL_RESPONSE_DUE)


@pytest.mark.parametrize(
    ("today", "lodge_by"),
    [
        (TODAY, datetime.date(2027, 1, 25)),  # the window is running: it follows
        (LODGE_BY, datetime.date(2027, 1, 25)),  # its last day: still running
        (LODGE_BY + datetime.timedelta(days=1), LODGE_BY),  # passed unused: it stays passed
    ],
)
def test_a_running_appeal_window_follows_and_a_passed_one_keeps_its_last_day(
    case_at, compact, administrator, today, lodge_by
):
    concern = case_at("decided")
    assert (concern.formal_decided_on, concern.appeal_lodge_by) == (DECIDED_ON, LODGE_BY)

    compact_settings_update(compact=compact, actor=administrator, today=today, **LONGER)

    concern.refresh_from_db()
    assert concern.appeal_lodge_by == lodge_by


def test_an_extension_already_granted_is_kept_on_top_of_the_new_formal_limit(case_at, compact, cast, administrator):
    concern = services.formal_extend(
        concern=case_at("formal"),
        actor=cast.respondent,
        today=datetime.date(2026, 12, 1),
        days=5,
        reasons="The officer who wrote the notice is on leave.",
    )
    assert concern.step_due_by == datetime.date(2026, 12, 30)  # 20 + 5 working days from escalation

    compact_settings_update(compact=compact, actor=administrator, today=TODAY, dispute_formal_days=25)

    concern.refresh_from_db()
    assert concern.formal_response_due == concern.step_due_by == datetime.date(2027, 1, 7)  # 25 + 5
    assert concern.formal_extension_days == 5


def test_a_change_of_nation_moves_an_open_step_across_the_other_bank_holidays(raise_concern, compact, administrator):
    # Raised Monday 23 November 2026: 5 working days is Monday 30 November in England; St Andrew's Day is a
    # bank holiday in Scotland, so there it is Tuesday 1 December.
    concern = raise_concern(today=datetime.date(2026, 11, 23))
    assert concern.step_due_by == datetime.date(2026, 11, 30)

    compact_settings_update(compact=compact, actor=administrator, today=TODAY, nation=Nation.SCOTLAND)

    concern.refresh_from_db()
    assert concern.step_due_by == datetime.date(2026, 12, 1)
