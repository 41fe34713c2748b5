import datetime

import pytest

from compact_portal.periods import Period, PeriodError

D = datetime.date


@pytest.mark.parametrize(
    ("number", "start", "end"),
    [
        pytest.param(1, D(2028, 1, 1), D(2028, 3, 31), id="q1"),
        pytest.param(2, D(2028, 4, 1), D(2028, 6, 30), id="q2"),
        pytest.param(3, D(2028, 7, 1), D(2028, 9, 30), id="q3"),
        pytest.param(4, D(2028, 10, 1), D(2028, 12, 31), id="q4"),
    ],
)
def test_a_quarter_runs_from_its_first_day_to_its_last(number, start, end):
    assert Period.quarter(2028, number) == Period(start, end)


def test_a_year_is_the_calendar_year():
    assert Period.year(2026) == Period(D(2026, 1, 1), D(2026, 12, 31))


@pytest.mark.parametrize("number", [0, 5])
def test_there_is_no_fifth_quarter(number):
    with pytest.raises(PeriodError, match="quarters 1 to 4"):
        Period.quarter(2026, number)


def test_a_period_that_ends_before_it_starts_is_refused_in_plain_words():
    with pytest.raises(PeriodError) as error:
        Period(D(2026, 5, 1), D(2026, 4, 30))

    assert str(error.value) == (
        "The period ends (30 April 2026) before it starts (1 May 2026); choose an end date on or after the start date."
    )


def test_a_single_day_is_a_period():
    assert Period(D(2026, 5, 1), D(2026, 5, 1)).days == 1


@pytest.mark.parametrize(
    ("period", "label"),
    [
        pytest.param(Period.quarter(2026, 2), "Q2 2026", id="quarter"),
        pytest.param(Period.year(2026), "2026", id="year"),
        pytest.param(Period(D(2026, 4, 1), D(2026, 5, 15)), "1 April 2026 to 15 May 2026", id="dates"),
        pytest.param(Period(D(2026, 4, 2), D(2026, 6, 30)), "2 April 2026 to 30 June 2026", id="not-quite-a-quarter"),
    ],
)
def test_a_period_is_labelled_as_people_say_it(period, label):
    assert period.label == label


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        pytest.param(Period.quarter(2026, 1), Period.quarter(2025, 4), id="q1-follows-last-years-q4"),
        pytest.param(Period.quarter(2026, 3), Period.quarter(2026, 2), id="quarter"),
        pytest.param(Period.year(2028), Period.year(2027), id="year"),
        pytest.param(Period(D(2026, 3, 1), D(2026, 3, 10)), Period(D(2026, 2, 19), D(2026, 2, 28)), id="ten-days"),
    ],
)
def test_the_previous_period_is_the_one_just_before(period, previous):
    assert period.previous() == previous


def test_a_period_splits_into_the_months_it_touches_cut_to_the_period():
    months = Period(D(2026, 1, 15), D(2026, 3, 10)).months()

    assert months == [
        Period(D(2026, 1, 15), D(2026, 1, 31)),
        Period(D(2026, 2, 1), D(2026, 2, 28)),
        Period(D(2026, 3, 1), D(2026, 3, 10)),
    ]


def test_a_year_splits_into_four_quarters_and_twelve_months():
    year = Period.year(2028)

    assert year.quarters() == [Period.quarter(2028, n) for n in (1, 2, 3, 4)]
    assert len(year.months()) == 12
    assert year.months()[1] == Period(D(2028, 2, 1), D(2028, 2, 29))


def test_a_period_across_a_year_end_splits_into_the_quarters_it_touches():
    assert Period(D(2026, 11, 1), D(2027, 2, 1)).quarters() == [
        Period(D(2026, 11, 1), D(2026, 12, 31)),
        Period(D(2027, 1, 1), D(2027, 2, 1)),
    ]
