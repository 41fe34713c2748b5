"""The consultation rules at their edges, with real dates checked against the calendar (no database)."""

from datetime import date, timedelta

import pytest

from consultations import rules

MON_5_JAN_2026 = date(2026, 1, 5)
SUN_29_MAR_2026 = date(2026, 3, 29)


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def test_the_anchor_dates_fall_on_the_days_the_examples_say():
    assert MON_5_JAN_2026.strftime("%A") == "Monday"
    assert SUN_29_MAR_2026.strftime("%A") == "Sunday"


# --- 3.7: length of a formal written consultation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "closes", "days"),
    [
        pytest.param(date(2026, 3, 2), date(2026, 3, 2), 1, id="opens-and-closes-same-day"),
        pytest.param(date(2026, 3, 2), date(2026, 3, 3), 2, id="next-day"),
        pytest.param(MON_5_JAN_2026, SUN_29_MAR_2026, 84, id="mon-5-jan-to-sun-29-mar"),
        pytest.param(MON_5_JAN_2026, date(2026, 3, 28), 83, id="mon-5-jan-to-sat-28-mar"),
        pytest.param(date(2028, 2, 1), date(2028, 3, 1), 30, id="february-in-leap-year"),
        pytest.param(date(2027, 2, 1), date(2027, 3, 1), 29, id="february-in-common-year"),
        pytest.param(date(2026, 12, 14), date(2027, 3, 7), 84, id="across-year-end"),
    ],
)
def test_consultation_length_days(opens, closes, days):
    assert rules.consultation_length_days(opens=opens, closes=closes) == days


@pytest.mark.parametrize(
    "function",
    [
        pytest.param(rules.consultation_length_days, id="consultation_length_days"),
        pytest.param(rules.meets_minimum_length, id="meets_minimum_length"),
    ],
)
def test_closing_before_opening_is_refused(function):
    with pytest.raises(ValueError, match="before it opens"):
        function(opens=date(2026, 3, 2), closes=date(2026, 3, 1))


@pytest.mark.parametrize(
    ("min_weeks", "days"),
    [
        pytest.param(12, 84, id="twelve-weeks"),
        pytest.param(8, 56, id="eight-weeks"),
        pytest.param(1, 7, id="one-week"),
    ],
)
def test_minimum_length_days(min_weeks, days):
    assert rules.minimum_length_days(min_weeks=min_weeks) == days


@pytest.mark.parametrize("min_weeks", [0, -1])
def test_minimum_length_needs_at_least_one_week(min_weeks):
    with pytest.raises(ValueError, match="at least 1"):
        rules.minimum_length_days(min_weeks=min_weeks)


@pytest.mark.parametrize(
    ("closes", "min_weeks", "met"),
    [
        pytest.param(SUN_29_MAR_2026, 12, True, id="exactly-84-days"),
        pytest.param(date(2026, 3, 28), 12, False, id="83-days"),
        pytest.param(date(2026, 3, 30), 12, True, id="85-days"),
        pytest.param(date(2026, 3, 1), 8, True, id="exactly-56-days-compact-sets-8-weeks"),
        pytest.param(date(2026, 2, 28), 8, False, id="55-days-compact-sets-8-weeks"),
        pytest.param(date(2026, 3, 1), 12, False, id="56-days-against-12-weeks"),
    ],
)
def test_meets_minimum_length(closes, min_weeks, met):
    assert rules.meets_minimum_length(opens=MON_5_JAN_2026, closes=closes, min_weeks=min_weeks) is met


@pytest.mark.parametrize(
    ("closes", "met"),
    [
        pytest.param(SUN_29_MAR_2026, True, id="exactly-12-weeks"),
        pytest.param(date(2026, 3, 28), False, id="a-day-short"),
    ],
)
def test_meets_minimum_length_defaults_to_twelve_weeks(closes, met):
    assert rules.meets_minimum_length(opens=MON_5_JAN_2026, closes=closes) is met


@pytest.mark.parametrize(
    ("opens", "min_weeks", "earliest"),
    [
        pytest.param(MON_5_JAN_2026, 12, SUN_29_MAR_2026, id="mon-5-jan-2026-twelve-weeks"),
        pytest.param(MON_5_JAN_2026, 8, date(2026, 3, 1), id="mon-5-jan-2026-eight-weeks"),
        pytest.param(date(2026, 12, 14), 12, date(2027, 3, 7), id="across-year-end"),
        pytest.param(date(2028, 1, 3), 12, date(2028, 3, 26), id="over-leap-day-2028"),
        pytest.param(date(2028, 2, 1), 12, date(2028, 4, 24), id="opens-in-leap-february"),
        pytest.param(date(2026, 3, 2), 1, date(2026, 3, 8), id="one-week"),
    ],
)
def test_earliest_close_date(opens, min_weeks, earliest):
    assert rules.earliest_close_date(opens=opens, min_weeks=min_weeks) == earliest


def test_earliest_close_date_defaults_to_twelve_weeks():
    assert rules.earliest_close_date(opens=MON_5_JAN_2026) == SUN_29_MAR_2026


@pytest.mark.parametrize("min_weeks", [1, 8, 12, 13])
def test_earliest_close_date_is_the_first_that_meets_the_minimum(min_weeks):
    # Every open date in a leap year and the year after it.
    for opens in _days(date(2028, 1, 1), date(2029, 12, 31)):
        earliest = rules.earliest_close_date(opens=opens, min_weeks=min_weeks)
        assert rules.meets_minimum_length(opens=opens, closes=earliest, min_weeks=min_weeks)
        assert not rules.meets_minimum_length(opens=opens, closes=earliest - timedelta(days=1), min_weeks=min_weeks)
        # Whole weeks with both ends counted: the close falls on the weekday before the opening weekday.
        assert earliest.weekday() == (opens.weekday() - 1) % 7


@pytest.mark.parametrize(
    ("formal", "closes", "min_weeks", "explanation", "kept_or_explained"),
    [
        pytest.param(True, SUN_29_MAR_2026, 12, "", True, id="formal-long-enough-no-explanation"),
        pytest.param(True, date(2026, 3, 28), 12, "", False, id="formal-a-day-short-no-explanation"),
        pytest.param(True, date(2026, 3, 28), 12, "  ", False, id="formal-short-blank-explanation"),
        pytest.param(True, date(2026, 3, 28), 12, "\t\n", False, id="formal-short-whitespace-explanation"),
        pytest.param(
            True,
            date(2026, 2, 15),
            12,
            "Statutory deadline set by the Department; six weeks is all the timetable allows.",
            True,
            id="formal-short-real-explanation",
        ),
        pytest.param(True, date(2026, 3, 1), 8, "", True, id="formal-meets-compact-eight-weeks"),
        pytest.param(True, date(2026, 2, 28), 8, "", False, id="formal-short-of-compact-eight-weeks"),
        pytest.param(False, date(2026, 1, 18), 12, "", True, id="informal-two-weeks-no-explanation"),
        pytest.param(False, MON_5_JAN_2026, 12, "  ", True, id="informal-one-day-blank-explanation"),
    ],
)
def test_length_explanation_missing(formal, closes, min_weeks, explanation, kept_or_explained):
    """The length and minimum as the services store them (Portsmouth 3.7)."""
    missing = rules.length_explanation_missing(
        formal=formal,
        length_days=rules.consultation_length_days(opens=MON_5_JAN_2026, closes=closes),
        minimum_days=rules.minimum_length_days(min_weeks=min_weeks),
        explanation=explanation,
    )
    assert missing is not kept_or_explained


# --- 3.2: forthcoming consultations announced ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("announced", "in_time"),
    [
        pytest.param(date(2025, 12, 1), True, id="weeks-before"),
        pytest.param(date(2026, 1, 4), True, id="day-before-opening"),
        pytest.param(MON_5_JAN_2026, False, id="on-open-date"),
        pytest.param(date(2026, 1, 6), False, id="after-opening"),
        pytest.param(None, False, id="never-announced"),
    ],
)
def test_announced_in_time(announced, in_time):
    assert rules.announced_in_time(announced=announced, opens=MON_5_JAN_2026) is in_time


# --- 3.5 and 4.2: feedback on how responses influenced the decision ------------------------------------------------


@pytest.mark.parametrize(
    ("closes", "weeks", "due"),
    [
        pytest.param(SUN_29_MAR_2026, 12, date(2026, 6, 21), id="twelve-weeks"),
        pytest.param(date(2026, 11, 1), 12, date(2027, 1, 24), id="across-year-end"),
        pytest.param(date(2027, 12, 20), 12, date(2028, 3, 13), id="across-year-end-and-leap-day"),
        pytest.param(date(2027, 12, 6), 12, date(2028, 2, 28), id="day-before-leap-day"),
        pytest.param(date(2028, 2, 29), 12, date(2028, 5, 23), id="closes-on-leap-day"),
        pytest.param(date(2026, 12, 3), 8, date(2027, 1, 28), id="compact-sets-eight-weeks"),
    ],
)
def test_feedback_due_by(closes, weeks, due):
    assert rules.feedback_due_by(closes=closes, weeks=weeks) == due
    assert due.weekday() == closes.weekday()


def test_feedback_due_by_defaults_to_twelve_weeks():
    assert rules.feedback_due_by(closes=date(2027, 12, 20)) == date(2028, 3, 13)


CLOSES = SUN_29_MAR_2026
DUE_BY = date(2026, 6, 21)


@pytest.mark.parametrize(
    ("published", "today", "standing"),
    [
        pytest.param(None, date(2026, 1, 1), "not_due_yet", id="forthcoming"),
        pytest.param(None, date(2026, 2, 1), "not_due_yet", id="open"),
        pytest.param(None, CLOSES, "not_due_yet", id="close-day"),
        pytest.param(None, date(2026, 3, 30), "due", id="day-after-close"),
        pytest.param(None, DUE_BY, "due", id="on-due-date"),
        pytest.param(None, date(2026, 6, 22), "overdue", id="day-after-due-date"),
        pytest.param(None, date(2027, 1, 1), "overdue", id="months-late"),
        pytest.param(date(2026, 4, 15), date(2026, 4, 15), "published_on_time", id="published-early"),
        pytest.param(DUE_BY, DUE_BY, "published_on_time", id="published-on-due-date"),
        pytest.param(DUE_BY, date(2026, 9, 1), "published_on_time", id="on-time-stays-on-time"),
        pytest.param(date(2026, 6, 22), date(2026, 6, 22), "published_late", id="published-day-after-due-date"),
        pytest.param(date(2026, 8, 3), date(2026, 9, 1), "published_late", id="published-weeks-late"),
    ],
)
def test_feedback_standing(published, today, standing):
    assert rules.feedback_standing(closes=CLOSES, due_by=DUE_BY, published=published, today=today) == standing


def test_feedback_standing_across_a_year_end_and_leap_day():
    closes = date(2027, 12, 20)
    due_by = rules.feedback_due_by(closes=closes)
    assert rules.feedback_standing(closes=closes, due_by=due_by, published=None, today=date(2028, 2, 29)) == "due"
    assert rules.feedback_standing(closes=closes, due_by=due_by, published=None, today=date(2028, 3, 13)) == "due"
    assert rules.feedback_standing(closes=closes, due_by=due_by, published=None, today=date(2028, 3, 14)) == "overdue"


# --- phase and countdown -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        pytest.param(date(2025, 12, 1), "forthcoming", id="weeks-before"),
        pytest.param(date(2026, 1, 4), "forthcoming", id="day-before-open"),
        pytest.param(MON_5_JAN_2026, "open", id="open-day"),
        pytest.param(date(2026, 2, 14), "open", id="midway"),
        pytest.param(SUN_29_MAR_2026, "open", id="close-day"),
        pytest.param(date(2026, 3, 30), "closed", id="day-after-close"),
        pytest.param(date(2027, 1, 1), "closed", id="long-after"),
    ],
)
def test_phase(today, expected):
    assert rules.phase(opens=MON_5_JAN_2026, closes=SUN_29_MAR_2026, today=today) == expected


def test_phase_of_a_one_day_consultation():
    day = date(2026, 3, 2)
    assert rules.phase(opens=day, closes=day, today=day - timedelta(days=1)) == "forthcoming"
    assert rules.phase(opens=day, closes=day, today=day) == "open"
    assert rules.phase(opens=day, closes=day, today=day + timedelta(days=1)) == "closed"


@pytest.mark.parametrize(
    ("today", "left"),
    [
        pytest.param(SUN_29_MAR_2026, 1, id="close-day"),
        pytest.param(date(2026, 3, 28), 2, id="day-before-close"),
        pytest.param(date(2026, 3, 22), 8, id="week-before-close"),
        pytest.param(MON_5_JAN_2026, 84, id="open-day-of-twelve-weeks"),
        pytest.param(date(2026, 3, 30), 0, id="day-after-close"),
        pytest.param(date(2026, 6, 1), 0, id="long-after-close"),
    ],
)
def test_days_left(today, left):
    assert rules.days_left(closes=SUN_29_MAR_2026, today=today) == left


def test_days_left_across_leap_day():
    assert rules.days_left(closes=date(2028, 3, 1), today=date(2028, 2, 28)) == 3
    assert rules.days_left(closes=date(2027, 3, 1), today=date(2027, 2, 28)) == 2


@pytest.mark.parametrize(
    ("closes", "days_before", "remind_on"),
    [
        pytest.param(SUN_29_MAR_2026, 7, date(2026, 3, 22), id="one-week-before"),
        pytest.param(date(2027, 1, 4), 7, date(2026, 12, 28), id="across-year-end"),
        pytest.param(date(2028, 3, 5), 7, date(2028, 2, 27), id="across-leap-day"),
        pytest.param(SUN_29_MAR_2026, 14, date(2026, 3, 15), id="two-weeks-before"),
        pytest.param(SUN_29_MAR_2026, 0, SUN_29_MAR_2026, id="on-close-day"),
    ],
)
def test_reminder_date(closes, days_before, remind_on):
    assert rules.reminder_date(closes=closes, days_before=days_before) == remind_on


def test_reminder_date_defaults_to_one_week_before():
    remind_on = rules.reminder_date(closes=SUN_29_MAR_2026)
    assert remind_on == date(2026, 3, 22)
    assert rules.days_left(closes=SUN_29_MAR_2026, today=remind_on) == 8


# --- extending or reopening ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new_close", "today", "valid"),
    [
        pytest.param(date(2026, 4, 12), date(2026, 3, 20), True, id="two-weeks-later-while-open"),
        pytest.param(date(2026, 3, 30), date(2026, 3, 20), True, id="one-day-later"),
        pytest.param(SUN_29_MAR_2026, date(2026, 3, 20), False, id="same-date"),
        pytest.param(date(2026, 3, 22), date(2026, 3, 20), False, id="earlier-date"),
        pytest.param(date(2026, 4, 30), date(2026, 5, 4), False, id="reopening-into-the-past"),
        pytest.param(date(2026, 5, 3), date(2026, 5, 4), False, id="reopening-closing-yesterday"),
        pytest.param(date(2026, 5, 4), date(2026, 5, 4), True, id="reopening-closing-today"),
        pytest.param(date(2026, 6, 1), date(2026, 5, 4), True, id="reopening-for-four-weeks"),
    ],
)
def test_closes_after_extension_valid(new_close, today, valid):
    assert rules.closes_after_extension_valid(current_close=SUN_29_MAR_2026, new_close=new_close, today=today) is valid
