"""The funding rules at their edges, with real UK dates (bank holidays as published on GOV.UK)."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from compact_portal import working_days
from funding import rules

ENG = "england_wales"
SCT = "scotland"
NIR = "northern_ireland"
NATIONS = [ENG, SCT, NIR]


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


# --- working days -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "nation", "working"),
    [
        pytest.param(date(2026, 10, 2), ENG, True, id="ordinary-friday"),
        pytest.param(date(2026, 10, 3), ENG, False, id="saturday"),
        pytest.param(date(2026, 10, 4), SCT, False, id="sunday"),
        pytest.param(date(2027, 3, 26), ENG, False, id="good-friday-2027-eng"),
        pytest.param(date(2027, 3, 26), SCT, False, id="good-friday-2027-sct"),
        pytest.param(date(2027, 3, 29), ENG, False, id="easter-monday-2027-eng"),
        pytest.param(date(2027, 3, 29), SCT, True, id="easter-monday-2027-not-in-scotland"),
        pytest.param(date(2027, 3, 29), NIR, False, id="easter-monday-2027-nir"),
        pytest.param(date(2027, 12, 27), ENG, False, id="christmas-2027-substitute"),
        pytest.param(date(2027, 12, 28), NIR, False, id="boxing-day-2027-substitute"),
        pytest.param(date(2027, 12, 29), SCT, True, id="after-christmas-2027"),
        pytest.param(date(2026, 12, 28), ENG, False, id="boxing-day-2026-substitute"),
        pytest.param(date(2028, 1, 3), ENG, False, id="new-year-2028-substitute"),
        pytest.param(date(2028, 1, 4), ENG, True, id="4-jan-2028-eng"),
        pytest.param(date(2028, 1, 4), SCT, False, id="2-jan-2028-substitute-sct"),
        pytest.param(date(2026, 1, 2), ENG, True, id="2-jan-2026-eng"),
        pytest.param(date(2026, 1, 2), SCT, False, id="2-jan-2026-sct"),
        pytest.param(date(2027, 1, 4), SCT, False, id="2-jan-2027-substitute-sct"),
        pytest.param(date(2027, 1, 4), ENG, True, id="4-jan-2027-eng"),
        pytest.param(date(2026, 11, 30), SCT, False, id="st-andrews-2026-sct"),
        pytest.param(date(2026, 11, 30), ENG, True, id="st-andrews-2026-eng"),
        pytest.param(date(2025, 12, 1), SCT, False, id="st-andrews-2025-substitute-sct"),
        pytest.param(date(2025, 12, 1), NIR, True, id="st-andrews-2025-substitute-nir"),
        pytest.param(date(2027, 8, 2), SCT, False, id="first-monday-august-sct"),
        pytest.param(date(2027, 8, 2), ENG, True, id="first-monday-august-eng"),
        pytest.param(date(2027, 8, 30), ENG, False, id="last-monday-august-eng"),
        pytest.param(date(2027, 8, 30), SCT, True, id="last-monday-august-sct"),
        pytest.param(date(2027, 3, 17), NIR, False, id="st-patricks-2027-nir"),
        pytest.param(date(2027, 3, 17), ENG, True, id="st-patricks-2027-eng"),
        pytest.param(date(2027, 7, 12), NIR, False, id="boyne-2027-nir"),
        pytest.param(date(2027, 7, 12), SCT, True, id="boyne-2027-sct"),
        pytest.param(date(2026, 7, 13), NIR, False, id="boyne-2026-substitute-nir"),
    ],
)
def test_is_working_day(day, nation, working):
    assert rules.is_working_day(day, nation=nation) is working


@pytest.mark.parametrize("nation", ["wales", "ENG", "", "England"])
def test_unknown_nation_is_refused(nation):
    with pytest.raises(ValueError, match="unknown nation"):
        rules.payment_due_by(date(2026, 10, 1), nation=nation)


def test_cached_calendar_is_right_whatever_year_is_asked_first():
    working_days.clear_cache()
    # 2030 first, then an earlier year and a year boundary: each year is worked out when first asked for.
    assert rules.payment_due_by(date(2030, 12, 20), nation=ENG) == date(2031, 1, 8)
    assert rules.payment_due_by(date(2026, 12, 18), nation=ENG) == date(2027, 1, 6)
    assert rules.payment_due_by(date(2027, 12, 24), nation=ENG) == date(2028, 1, 12)
    assert working_days.bank_holidays(SCT, 2027) is working_days.bank_holidays(SCT, 2027)


# --- 11.2: invoices paid within 10 working days ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "nation", "due"),
    [
        pytest.param(date(2026, 10, 1), ENG, date(2026, 10, 15), id="thursday"),
        pytest.param(date(2026, 10, 2), ENG, date(2026, 10, 16), id="friday"),
        pytest.param(date(2026, 10, 3), ENG, date(2026, 10, 16), id="saturday-receipt-not-counted"),
        pytest.param(date(2026, 10, 4), ENG, date(2026, 10, 16), id="sunday-receipt-not-counted"),
        pytest.param(date(2026, 10, 5), ENG, date(2026, 10, 19), id="monday"),
        # Christmas and New Year 2026-27
        pytest.param(date(2026, 12, 18), ENG, date(2027, 1, 6), id="xmas-2026-18-dec-eng"),
        pytest.param(date(2026, 12, 18), NIR, date(2027, 1, 6), id="xmas-2026-18-dec-nir"),
        pytest.param(date(2026, 12, 18), SCT, date(2027, 1, 7), id="xmas-2026-18-dec-sct"),
        pytest.param(date(2026, 12, 24), ENG, date(2027, 1, 12), id="xmas-2026-24-dec-eng"),
        pytest.param(date(2026, 12, 24), SCT, date(2027, 1, 13), id="xmas-2026-24-dec-sct"),
        pytest.param(date(2026, 12, 25), ENG, date(2027, 1, 12), id="received-on-christmas-day"),
        pytest.param(date(2026, 12, 28), ENG, date(2027, 1, 12), id="received-on-boxing-day-substitute"),
        # Christmas 2027 falls on a weekend: substitute days 27 and 28 December, then New Year 2028 on Monday 3 Jan
        pytest.param(date(2027, 12, 23), ENG, date(2028, 1, 11), id="xmas-2027-23-dec-eng"),
        pytest.param(date(2027, 12, 24), ENG, date(2028, 1, 12), id="xmas-2027-24-dec-eng"),
        pytest.param(date(2027, 12, 24), SCT, date(2028, 1, 13), id="xmas-2027-24-dec-sct"),
        pytest.param(date(2030, 12, 20), ENG, date(2031, 1, 8), id="xmas-2030-eng"),
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March (not a bank holiday in Scotland)
        pytest.param(date(2027, 3, 25), ENG, date(2027, 4, 12), id="easter-2027-thursday-eng"),
        pytest.param(date(2027, 3, 25), SCT, date(2027, 4, 9), id="easter-2027-thursday-sct"),
        pytest.param(date(2027, 3, 26), ENG, date(2027, 4, 12), id="received-on-good-friday"),
        pytest.param(date(2027, 3, 27), ENG, date(2027, 4, 12), id="received-on-easter-saturday"),
        pytest.param(date(2027, 3, 29), ENG, date(2027, 4, 12), id="received-on-easter-monday"),
        # St Patrick's Day and Easter together: three nations, three dates
        pytest.param(date(2027, 3, 15), ENG, date(2027, 3, 31), id="march-2027-eng"),
        pytest.param(date(2027, 3, 15), SCT, date(2027, 3, 30), id="march-2027-sct"),
        pytest.param(date(2027, 3, 15), NIR, date(2027, 4, 1), id="march-2027-nir"),
        pytest.param(date(2026, 3, 16), ENG, date(2026, 3, 30), id="st-patricks-2026-eng"),
        pytest.param(date(2026, 3, 16), NIR, date(2026, 3, 31), id="st-patricks-2026-nir"),
        # Scotland: 2 January, St Andrew's Day, first Monday of August
        pytest.param(date(2025, 12, 31), ENG, date(2026, 1, 15), id="new-year-2026-eng"),
        pytest.param(date(2025, 12, 31), SCT, date(2026, 1, 16), id="new-year-2026-sct"),
        pytest.param(date(2025, 11, 28), ENG, date(2025, 12, 12), id="st-andrews-2025-eng"),
        pytest.param(date(2025, 11, 28), SCT, date(2025, 12, 15), id="st-andrews-2025-substitute-sct"),
        pytest.param(date(2026, 11, 27), ENG, date(2026, 12, 11), id="st-andrews-2026-eng"),
        pytest.param(date(2026, 11, 27), SCT, date(2026, 12, 14), id="st-andrews-2026-sct"),
        pytest.param(date(2027, 7, 30), ENG, date(2027, 8, 13), id="early-august-2027-eng"),
        pytest.param(date(2027, 7, 30), SCT, date(2027, 8, 16), id="early-august-2027-sct"),
        pytest.param(date(2027, 8, 27), ENG, date(2027, 9, 13), id="late-august-2027-eng"),
        pytest.param(date(2027, 8, 27), SCT, date(2027, 9, 10), id="late-august-2027-sct"),
        # Northern Ireland: Battle of the Boyne
        pytest.param(date(2027, 7, 9), ENG, date(2027, 7, 23), id="boyne-2027-eng"),
        pytest.param(date(2027, 7, 9), NIR, date(2027, 7, 26), id="boyne-2027-nir"),
        pytest.param(date(2026, 7, 10), ENG, date(2026, 7, 24), id="boyne-2026-eng"),
        pytest.param(date(2026, 7, 10), NIR, date(2026, 7, 27), id="boyne-2026-substitute-nir"),
    ],
)
def test_payment_due_by(received, nation, due):
    assert rules.payment_due_by(received, nation=nation) == due


@pytest.mark.parametrize(
    ("received", "working_days", "due"),
    [
        pytest.param(date(2026, 10, 1), 1, date(2026, 10, 2), id="1-day-thursday"),
        pytest.param(date(2026, 10, 2), 1, date(2026, 10, 5), id="1-day-friday"),
        pytest.param(date(2026, 10, 1), 5, date(2026, 10, 8), id="5-days"),
        pytest.param(date(2026, 10, 1), 20, date(2026, 10, 29), id="20-days"),
        pytest.param(date(2026, 12, 24), 5, date(2027, 1, 5), id="5-days-over-christmas"),
    ],
)
def test_payment_due_by_other_settings(received, working_days, due):
    assert rules.payment_due_by(received, nation=ENG, working_days=working_days) == due


@pytest.mark.parametrize("working_days", [0, -1])
def test_payment_due_by_needs_at_least_one_working_day(working_days):
    with pytest.raises(ValueError, match="at least 1"):
        rules.payment_due_by(date(2026, 10, 1), nation=ENG, working_days=working_days)


@pytest.mark.parametrize("nation", NATIONS)
def test_paying_on_the_due_date_takes_exactly_ten_working_days(nation):
    for received in _days(date(2026, 1, 1), date(2028, 12, 31)):
        due = rules.payment_due_by(received, nation=nation)
        assert rules.is_working_day(due, nation=nation)
        assert rules.working_days_to_pay(received=received, paid=due, nation=nation) == 10
        assert rules.working_days_to_pay(received=received, paid=due - timedelta(days=1), nation=nation) == 9


@pytest.mark.parametrize(
    ("due_by", "paid", "nation", "late"),
    [
        pytest.param(date(2027, 1, 6), date(2027, 1, 5), ENG, 0, id="day-before-due"),
        pytest.param(date(2027, 1, 6), date(2027, 1, 6), ENG, 0, id="on-due-date"),
        pytest.param(date(2027, 1, 6), date(2027, 1, 7), ENG, 1, id="next-working-day"),
        pytest.param(date(2027, 1, 6), date(2027, 1, 11), ENG, 3, id="over-a-weekend"),
        pytest.param(date(2026, 10, 16), date(2026, 10, 17), ENG, 0, id="saturday-after-friday-due"),
        pytest.param(date(2026, 10, 16), date(2026, 10, 18), ENG, 0, id="sunday-after-friday-due"),
        pytest.param(date(2026, 10, 16), date(2026, 10, 19), ENG, 1, id="monday-after-friday-due"),
        pytest.param(date(2026, 10, 16), date(2026, 10, 30), ENG, 10, id="still-unpaid-two-weeks-on"),
        pytest.param(date(2027, 3, 25), date(2027, 3, 30), ENG, 1, id="over-easter-eng"),
        pytest.param(date(2027, 3, 25), date(2027, 3, 30), SCT, 2, id="over-easter-sct"),
        pytest.param(date(2027, 3, 25), date(2027, 3, 30), NIR, 1, id="over-easter-nir"),
        pytest.param(date(2027, 12, 23), date(2027, 12, 29), ENG, 2, id="over-christmas-2027"),
    ],
)
def test_working_days_late(due_by, paid, nation, late):
    assert rules.working_days_late(due_by=due_by, paid_or_today=paid, nation=nation) == late


def test_paid_on_the_weekend_after_the_due_date_is_late_by_no_working_days():
    due_by, paid = date(2026, 10, 16), date(2026, 10, 17)
    assert rules.invoice_paid_on_time(due_by=due_by, paid=paid) is False
    assert rules.working_days_late(due_by=due_by, paid_or_today=paid, nation=ENG) == 0


@pytest.mark.parametrize(
    ("received", "paid", "nation", "taken"),
    [
        pytest.param(date(2026, 12, 18), date(2027, 1, 6), ENG, 10, id="over-christmas-eng"),
        pytest.param(date(2026, 12, 18), date(2027, 1, 6), SCT, 9, id="over-christmas-sct"),
        pytest.param(date(2026, 12, 18), date(2027, 1, 6), NIR, 10, id="over-christmas-nir"),
        pytest.param(date(2026, 10, 1), date(2026, 10, 1), ENG, 0, id="paid-on-receipt"),
        pytest.param(date(2026, 10, 1), date(2026, 9, 30), ENG, 0, id="paid-before-receipt"),
        pytest.param(date(2026, 10, 1), date(2026, 10, 2), ENG, 1, id="paid-next-day"),
        pytest.param(date(2026, 10, 2), date(2026, 10, 3), ENG, 0, id="friday-receipt-paid-saturday"),
        pytest.param(date(2026, 10, 2), date(2026, 10, 5), ENG, 1, id="friday-receipt-paid-monday"),
        pytest.param(date(2026, 10, 3), date(2026, 10, 5), ENG, 1, id="saturday-receipt-paid-monday"),
        pytest.param(date(2027, 3, 26), date(2027, 3, 29), SCT, 1, id="good-friday-receipt-sct"),
        pytest.param(date(2027, 3, 26), date(2027, 3, 29), ENG, 0, id="good-friday-receipt-eng"),
    ],
)
def test_working_days_to_pay(received, paid, nation, taken):
    assert rules.working_days_to_pay(received=received, paid=paid, nation=nation) == taken


@pytest.mark.parametrize(
    ("paid", "on_time"),
    [
        pytest.param(date(2027, 1, 5), True, id="early"),
        pytest.param(date(2027, 1, 6), True, id="on-due-date"),
        pytest.param(date(2027, 1, 7), False, id="day-after"),
    ],
)
def test_invoice_paid_on_time(paid, on_time):
    assert rules.invoice_paid_on_time(due_by=date(2027, 1, 6), paid=paid) is on_time


# --- calendar months -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "result"),
    [
        pytest.param(date(2026, 11, 30), 3, date(2027, 2, 28), id="30-nov-plus-3-clamps"),
        pytest.param(date(2027, 11, 30), 3, date(2028, 2, 29), id="30-nov-plus-3-leap-year"),
        pytest.param(date(2027, 1, 31), 1, date(2027, 2, 28), id="31-jan-plus-1"),
        pytest.param(date(2028, 1, 31), 1, date(2028, 2, 29), id="31-jan-plus-1-leap-year"),
        pytest.param(date(2027, 3, 31), 1, date(2027, 4, 30), id="31-mar-plus-1"),
        pytest.param(date(2027, 10, 31), 4, date(2028, 2, 29), id="31-oct-plus-4-leap-year"),
        pytest.param(date(2028, 2, 29), 12, date(2029, 2, 28), id="29-feb-plus-12"),
        pytest.param(date(2027, 1, 15), 3, date(2027, 4, 15), id="mid-month"),
        pytest.param(date(2026, 12, 31), 3, date(2027, 3, 31), id="31-dec-plus-3"),
        pytest.param(date(2027, 5, 31), -3, date(2027, 2, 28), id="31-may-minus-3"),
        pytest.param(date(2027, 5, 31), 0, date(2027, 5, 31), id="zero"),
    ],
)
def test_add_months(day, months, result):
    assert rules.add_months(day, months) == result


# --- 13.3: three months' notice ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notice", "months", "earliest"),
    [
        pytest.param(date(2026, 11, 30), 3, date(2027, 2, 28), id="30-nov"),
        pytest.param(date(2027, 11, 30), 3, date(2028, 2, 29), id="30-nov-leap-year"),
        pytest.param(date(2026, 12, 31), 3, date(2027, 3, 31), id="31-dec"),
        pytest.param(date(2027, 1, 1), 3, date(2027, 4, 1), id="1-jan"),
        pytest.param(date(2027, 1, 31), 1, date(2027, 2, 28), id="31-jan-one-month"),
        pytest.param(date(2027, 1, 15), 6, date(2027, 7, 15), id="six-months"),
    ],
)
def test_earliest_effective_date(notice, months, earliest):
    assert rules.earliest_effective_date(notice, months=months) == earliest


@pytest.mark.parametrize(
    ("notice", "effective", "met"),
    [
        pytest.param(date(2026, 11, 30), date(2027, 2, 27), False, id="30-nov-to-27-feb"),
        pytest.param(date(2026, 11, 30), date(2027, 2, 28), True, id="30-nov-to-28-feb"),
        pytest.param(date(2027, 11, 30), date(2028, 2, 28), False, id="30-nov-to-28-feb-leap-year"),
        pytest.param(date(2027, 11, 30), date(2028, 2, 29), True, id="30-nov-to-29-feb-leap-year"),
        pytest.param(date(2027, 1, 1), date(2027, 3, 31), False, id="1-jan-to-31-mar"),
        pytest.param(date(2027, 1, 1), date(2027, 4, 1), True, id="1-jan-to-1-apr"),
        pytest.param(date(2027, 1, 1), date(2027, 9, 1), True, id="longer-notice"),
    ],
)
def test_notice_period_met(notice, effective, met):
    assert rules.notice_period_met(notice_given=notice, effective=effective) is met


@pytest.mark.parametrize(
    ("defined_at_start", "excepted", "owed"),
    [
        pytest.param(True, True, False, id="fixed-end-and-compact-excepts-it"),
        pytest.param(True, False, True, id="fixed-end-but-no-exception"),
        pytest.param(False, True, True, id="open-end-with-exception"),
        pytest.param(False, False, True, id="open-end-no-exception"),
    ],
)
def test_notice_owed(defined_at_start, excepted, owed):
    assert rules.notice_owed(end_date_defined_at_start=defined_at_start, fixed_end_excepted=excepted) is owed


@pytest.mark.parametrize(
    ("assessed", "assessed_in_time"),
    [
        pytest.param(None, False, id="never-assessed"),
        pytest.param(date(2026, 11, 1), True, id="before-notice"),
        pytest.param(date(2026, 11, 30), True, id="same-day-as-notice"),
        pytest.param(date(2026, 12, 1), False, id="after-notice"),
    ],
)
def test_impact_assessed_before_notice(assessed, assessed_in_time):
    assert rules.impact_assessed_before_notice(assessed=assessed, notice_given=date(2026, 11, 30)) is assessed_in_time


@pytest.mark.parametrize(
    ("response_due_by", "final_decision", "verdict"),
    [
        pytest.param(date(2027, 1, 29), date(2027, 2, 1), True, id="closes-before-decision"),
        pytest.param(date(2027, 1, 31), date(2027, 2, 1), True, id="closes-day-before-decision"),
        pytest.param(date(2027, 2, 1), date(2027, 2, 1), False, id="closes-on-decision-day"),
        pytest.param(date(2027, 2, 2), date(2027, 2, 1), False, id="closes-after-decision"),
        pytest.param(None, date(2027, 2, 1), None, id="no-window"),
        pytest.param(date(2027, 1, 29), None, None, id="no-decision-yet"),
        pytest.param(None, None, None, id="neither"),
    ],
)
def test_response_window_before_decision(response_due_by, final_decision, verdict):
    assert rules.response_window_before_decision(response_due_by=response_due_by, final_decision=final_decision) is (
        verdict
    )


# --- 9.2: decisions three months before the start ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        pytest.param(date(2027, 4, 1), 3, date(2027, 1, 1), id="1-apr"),
        pytest.param(date(2027, 3, 31), 3, date(2026, 12, 31), id="31-mar"),
        pytest.param(date(2027, 2, 28), 3, date(2026, 11, 30), id="28-feb-clamps-to-30-nov"),
        pytest.param(date(2028, 2, 29), 3, date(2027, 11, 30), id="29-feb-leap-year"),
        pytest.param(date(2028, 2, 28), 3, date(2027, 11, 28), id="28-feb-in-leap-year"),
        pytest.param(date(2027, 5, 31), 3, date(2027, 2, 28), id="31-may"),
        pytest.param(date(2028, 5, 31), 3, date(2028, 2, 29), id="31-may-leap-year"),
        pytest.param(date(2027, 6, 30), 3, date(2027, 3, 31), id="30-jun-clamps-to-31-mar"),
        pytest.param(date(2027, 2, 28), 1, date(2027, 1, 31), id="28-feb-one-month"),
        pytest.param(date(2027, 4, 30), 2, date(2027, 2, 28), id="30-apr-two-months"),
        pytest.param(date(2027, 4, 1), 12, date(2026, 4, 1), id="twelve-months"),
        pytest.param(date(2027, 4, 1), 0, date(2027, 4, 1), id="zero-months-start-day-itself"),
    ],
)
def test_decision_due_by(start, months, due):
    assert rules.decision_due_by(start, months=months) == due


@pytest.mark.parametrize(
    ("told", "start", "in_time"),
    [
        pytest.param(date(2027, 1, 1), date(2027, 4, 1), True, id="exactly-3-months-before"),
        pytest.param(date(2027, 1, 2), date(2027, 4, 1), False, id="one-day-short"),
        pytest.param(date(2026, 12, 31), date(2027, 4, 1), True, id="a-day-early"),
        pytest.param(date(2026, 11, 30), date(2027, 2, 28), True, id="30-nov-for-28-feb"),
        pytest.param(date(2026, 12, 1), date(2027, 2, 28), False, id="1-dec-for-28-feb"),
        pytest.param(date(2027, 11, 30), date(2028, 2, 29), True, id="30-nov-for-29-feb-leap-year"),
        pytest.param(date(2027, 11, 29), date(2028, 2, 28), False, id="29-nov-for-28-feb-leap-year"),
        pytest.param(date(2027, 4, 1), date(2027, 4, 1), False, id="told-on-start-day"),
    ],
)
def test_decision_told_in_time(told, start, in_time):
    assert rules.decision_told_in_time(told=told, expected_start=start) is in_time


@pytest.mark.parametrize("months", [0, 1, 3, 6, 12])
def test_decision_due_by_agrees_with_told_in_time_all_year(months):
    # A leap year and the year after it: every start date, and told dates either side of the due date.
    for start in _days(date(2028, 1, 1), date(2029, 12, 31)):
        due = rules.decision_due_by(start, months=months)
        for offset in range(-4, 5):
            told = due + timedelta(days=offset)
            assert rules.decision_told_in_time(told=told, expected_start=start, months=months) is (offset <= 0)


# --- 9.1: funding for three years ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "years", "end"),
    [
        pytest.param(date(2026, 4, 1), 3, date(2029, 3, 31), id="1-apr-to-31-mar"),
        pytest.param(date(2026, 1, 1), 3, date(2028, 12, 31), id="calendar-years"),
        pytest.param(date(2028, 2, 29), 3, date(2031, 2, 27), id="29-feb-start-clamps"),
        pytest.param(date(2028, 3, 1), 3, date(2031, 2, 28), id="1-mar-after-leap-day"),
        pytest.param(date(2027, 3, 1), 1, date(2028, 2, 29), id="one-year-ends-on-leap-day"),
        pytest.param(date(2026, 4, 1), 1, date(2027, 3, 31), id="one-year"),
    ],
)
def test_minimum_term_end(start, years, end):
    assert rules.minimum_term_end(start, years=years) == end


@pytest.mark.parametrize(
    ("start", "end", "met"),
    [
        pytest.param(date(2026, 4, 1), date(2029, 3, 31), True, id="exactly-three-years"),
        pytest.param(date(2026, 4, 1), date(2029, 3, 30), False, id="one-day-short"),
        pytest.param(date(2026, 4, 1), date(2031, 3, 31), True, id="five-years"),
        pytest.param(date(2026, 4, 1), date(2027, 3, 31), False, id="one-year"),
        pytest.param(date(2026, 4, 1), None, True, id="open-ended"),
        pytest.param(date(2028, 2, 29), date(2031, 2, 27), True, id="leap-day-start"),
        pytest.param(date(2028, 2, 29), date(2031, 2, 26), False, id="leap-day-start-short"),
    ],
)
def test_funding_term_met(start, end, met):
    assert rules.funding_term_met(start=start, end=end) is met


def test_funding_term_met_with_another_setting():
    assert rules.funding_term_met(start=date(2026, 4, 1), end=date(2027, 3, 31), years=1) is True
    assert rules.funding_term_met(start=date(2026, 4, 1), end=date(2027, 3, 30), years=1) is False


# --- 9.1, 9.2, 9.3: an explanation missing is a gap, flagged, not a refusal -----------------------------------------


@pytest.mark.parametrize(
    ("told", "justification", "missing"),
    [
        pytest.param(date(2027, 1, 1), "", False, id="told-on-the-decision-date"),
        pytest.param(date(2027, 1, 2), "", True, id="a-day-late-unjustified"),
        pytest.param(date(2027, 1, 2), " \t\n", True, id="a-day-late-whitespace-only"),
        pytest.param(date(2027, 1, 2), None, True, id="a-day-late-none"),
        pytest.param(date(2027, 1, 2), "Budget set late.", False, id="a-day-late-justified"),
    ],
)
def test_award_justification_missing(told, justification, missing):
    """Start 1 April 2027, 3 months' lead: told by 1 January 2027 is in time (Portsmouth 9.2)."""
    due_by = rules.decision_due_by(date(2027, 4, 1), months=3)

    assert rules.award_justification_missing(told=told, due_by=due_by, justification=justification) is missing


@pytest.mark.parametrize(
    ("end", "years", "explanation", "missing"),
    [
        pytest.param(date(2030, 3, 31), 3, "", False, id="exactly-three-years"),
        pytest.param(date(2030, 3, 30), 3, "", True, id="a-day-short"),
        pytest.param(date(2030, 3, 30), 3, "  ", True, id="a-day-short-whitespace-only"),
        pytest.param(date(2030, 3, 30), 3, "A pilot.", False, id="a-day-short-explained"),
        pytest.param(date(2028, 3, 31), 1, "", False, id="exactly-the-compacts-one-year"),
        pytest.param(None, 3, "", False, id="open-ended"),
    ],
)
def test_term_explanation_missing(end, years, explanation, missing):
    """Funding from 1 April 2027 (Portsmouth 9.1); the minimum end as the services store it."""
    minimum_end = rules.minimum_term_end(date(2027, 4, 1), years=years)

    assert rules.term_explanation_missing(end=end, minimum_end=minimum_end, explanation=explanation) is missing
    assert (not missing) or not rules.funding_term_met(start=date(2027, 4, 1), end=end, years=years)


def test_term_explanation_missing_without_a_start_yet():
    assert rules.term_explanation_missing(end=date(2028, 3, 31), minimum_end=None, explanation="") is False


@pytest.mark.parametrize(
    ("feedback", "missing"), [("", True), ("  \n", True), (None, True), ("Costs were unclear.", False)]
)
def test_decline_feedback_missing(feedback, missing):
    assert rules.decline_feedback_missing(feedback=feedback) is missing


# --- 12.1: monitoring agreed before signing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agreed", "signed", "verdict"),
    [
        pytest.param(None, None, None, id="not-signed-nothing-agreed"),
        pytest.param(date(2027, 3, 1), None, None, id="not-signed-yet"),
        pytest.param(None, date(2027, 3, 1), False, id="signed-without-monitoring"),
        pytest.param(date(2027, 3, 2), date(2027, 3, 1), False, id="agreed-after-signing"),
        pytest.param(date(2027, 3, 1), date(2027, 3, 1), True, id="agreed-on-signing-day"),
        pytest.param(date(2027, 2, 1), date(2027, 3, 1), True, id="agreed-before-signing"),
    ],
)
def test_monitoring_agreed_in_time(agreed, signed, verdict):
    assert rules.monitoring_agreed_in_time(monitoring_agreed=agreed, agreement_signed=signed) is verdict


# --- 12.3: monitoring in proportion to the funding ------------------------------------------------------------------

BANDS = {"small_below": 10_000, "small_returns": 1, "medium_below": 100_000, "medium_returns": 2, "large_returns": 4}


@pytest.mark.parametrize(
    ("amount", "allowed"),
    [
        pytest.param("0", 1, id="nothing"),
        pytest.param("9999.99", 1, id="a-penny-under-10000-small"),
        pytest.param("10000", 2, id="10000-medium"),
        pytest.param("10000.01", 2, id="a-penny-over-10000"),
        pytest.param("99999.99", 2, id="a-penny-under-100000-medium"),
        pytest.param("100000", 4, id="100000-large"),
        pytest.param("2500000", 4, id="millions-large"),
    ],
)
def test_monitoring_returns_allowed_by_the_shipped_bands(amount, allowed):
    assert rules.monitoring_returns_allowed(Decimal(amount), **BANDS) == allowed


@pytest.mark.parametrize(
    ("amount", "allowed"),
    [
        pytest.param("4999.99", 2, id="under-the-small-limit"),
        pytest.param("5000", 3, id="at-the-small-limit"),
        pytest.param("49999.99", 3, id="under-the-medium-limit"),
        pytest.param("50000", 12, id="at-the-medium-limit"),
    ],
)
def test_monitoring_returns_allowed_by_a_compacts_own_bands(amount, allowed):
    bands = {"small_below": 5_000, "small_returns": 2, "medium_below": 50_000, "medium_returns": 3, "large_returns": 12}

    assert rules.monitoring_returns_allowed(Decimal(amount), **bands) == allowed


@pytest.mark.parametrize(
    ("returns_per_year", "allowed", "reason", "proportionate"),
    [
        pytest.param(1, 2, "", True, id="below-the-band"),
        pytest.param(2, 2, "", True, id="at-the-band"),
        pytest.param(4, 2, "", False, id="above-the-band"),
        pytest.param(4, 2, None, False, id="above-the-band-no-reason"),
        pytest.param(4, 2, "  \n", False, id="above-the-band-whitespace-only"),
        pytest.param(4, 2, "A new service: quarterly figures for its first year.", True, id="above-the-band-explained"),
        pytest.param(12, 4, "Monthly safeguarding figures the law asks for.", True, id="monthly-explained"),
    ],
)
def test_monitoring_proportionate(returns_per_year, allowed, reason, proportionate):
    assert (
        rules.monitoring_proportionate(returns_per_year=returns_per_year, allowed=allowed, reason=reason)
        is proportionate
    )
    assert (
        rules.monitoring_reason_missing(returns_per_year=returns_per_year, allowed=allowed, reason=reason)
        is not proportionate
    )


# --- The periods a plan's returns cover ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "per_year", "periods"),
    [
        pytest.param(
            date(2027, 4, 1),
            date(2030, 3, 31),
            1,
            [
                (date(2027, 4, 1), date(2028, 3, 31)),
                (date(2028, 4, 1), date(2029, 3, 31)),
                (date(2029, 4, 1), date(2030, 3, 31)),
            ],
            id="yearly-over-three-years",
        ),
        pytest.param(
            date(2027, 4, 1),
            date(2028, 3, 31),
            4,
            [
                (date(2027, 4, 1), date(2027, 6, 30)),
                (date(2027, 7, 1), date(2027, 9, 30)),
                (date(2027, 10, 1), date(2027, 12, 31)),
                (date(2028, 1, 1), date(2028, 3, 31)),
            ],
            id="quarterly-over-a-year",
        ),
        pytest.param(
            date(2027, 4, 1),
            date(2028, 1, 15),
            2,
            [(date(2027, 4, 1), date(2027, 9, 30)), (date(2027, 10, 1), date(2028, 1, 15))],
            id="last-period-cut-at-the-end",
        ),
        pytest.param(
            date(2027, 4, 1),
            date(2027, 10, 1),
            2,
            [(date(2027, 4, 1), date(2027, 9, 30)), (date(2027, 10, 1), date(2027, 10, 1))],
            id="a-last-period-of-one-day",
        ),
        pytest.param(
            date(2027, 4, 1),
            None,
            2,
            [(date(2027, 4, 1), date(2027, 9, 30)), (date(2027, 10, 1), date(2028, 3, 31))],
            id="open-ended-a-year-of-periods",
        ),
        pytest.param(
            date(2028, 1, 31),
            date(2028, 5, 30),
            12,
            [
                (date(2028, 1, 31), date(2028, 2, 28)),
                (date(2028, 2, 29), date(2028, 3, 30)),
                (date(2028, 3, 31), date(2028, 4, 29)),
                (date(2028, 4, 30), date(2028, 5, 30)),
            ],
            id="monthly-from-31-january-leap-year-no-drift",
        ),
        pytest.param(
            date(2027, 1, 31),
            date(2027, 3, 30),
            12,
            [(date(2027, 1, 31), date(2027, 2, 27)), (date(2027, 2, 28), date(2027, 3, 30))],
            id="monthly-from-31-january",
        ),
        pytest.param(
            date(2028, 2, 29),
            date(2030, 2, 27),
            1,
            [(date(2028, 2, 29), date(2029, 2, 27)), (date(2029, 2, 28), date(2030, 2, 27))],
            id="yearly-from-29-february",
        ),
        pytest.param(date(2027, 4, 1), date(2027, 4, 1), 4, [(date(2027, 4, 1), date(2027, 4, 1))], id="one-day"),
        pytest.param(date(2027, 4, 1), date(2027, 3, 31), 4, [], id="ends-before-it-starts"),
    ],
)
def test_return_periods(start, end, per_year, periods):
    found = rules.return_periods(start, end, returns_per_year=per_year)

    assert found == periods
    assert all(later[0] == earlier[1] + timedelta(days=1) for earlier, later in pairwise(found))


@pytest.mark.parametrize("per_year", [0, 5, 7, 24, -1])
def test_return_periods_refuse_a_frequency_that_does_not_divide_the_year(per_year):
    with pytest.raises(ValueError, match="must divide 12"):
        rules.return_periods(date(2027, 4, 1), None, returns_per_year=per_year)


# --- 17.3: a return's due date -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period_end", "nation", "due"),
    [
        pytest.param(date(2027, 6, 30), ENG, date(2027, 7, 30), id="a-month-later-a-friday"),
        pytest.param(date(2027, 9, 30), ENG, date(2027, 11, 1), id="saturday-moves-to-monday"),
        pytest.param(date(2027, 1, 31), SCT, date(2027, 3, 1), id="31-jan-clamps-to-sunday-28-feb-then-monday"),
        pytest.param(date(2027, 12, 31), ENG, date(2028, 1, 31), id="31-dec-to-31-jan"),
        pytest.param(date(2028, 1, 31), ENG, date(2028, 2, 29), id="31-jan-to-29-feb-leap-year"),
        pytest.param(date(2028, 2, 29), SCT, date(2028, 3, 29), id="29-feb-to-29-mar"),
        pytest.param(date(2028, 3, 31), ENG, date(2028, 5, 2), id="sunday-then-early-may-bank-holiday"),
        pytest.param(date(2027, 2, 28), ENG, date(2027, 3, 30), id="sunday-then-easter-monday-eng"),
        pytest.param(date(2027, 2, 28), SCT, date(2027, 3, 29), id="sunday-then-easter-monday-worked-sct"),
        pytest.param(date(2027, 10, 31), ENG, date(2027, 11, 30), id="31-oct-clamps-to-30-nov-eng"),
        pytest.param(date(2027, 10, 31), SCT, date(2027, 12, 1), id="st-andrews-day-sct"),
        pytest.param(date(2027, 12, 4), ENG, date(2028, 1, 4), id="4-jan-2028-worked-eng"),
        pytest.param(date(2027, 12, 4), SCT, date(2028, 1, 5), id="2-jan-substitute-sct"),
        pytest.param(date(2027, 11, 25), ENG, date(2027, 12, 29), id="christmas-saturday-and-two-substitutes"),
        pytest.param(date(2027, 7, 2), SCT, date(2027, 8, 3), id="first-monday-of-august-sct"),
        pytest.param(date(2027, 7, 2), ENG, date(2027, 8, 2), id="first-monday-of-august-worked-eng"),
    ],
)
def test_return_due_date(period_end, nation, due):
    found = rules.return_due_date(period_end, nation=nation)

    assert found == due
    assert rules.is_working_day(found, nation=nation)
    assert found >= rules.add_months(period_end, 1)


@pytest.mark.parametrize(
    ("today", "nation", "until"),
    [
        pytest.param(date(2027, 3, 15), ENG, date(2027, 3, 31), id="good-friday-and-easter-monday-skipped-eng"),
        pytest.param(date(2027, 3, 15), SCT, date(2027, 3, 30), id="only-good-friday-skipped-sct"),
        pytest.param(date(2027, 12, 13), ENG, date(2027, 12, 29), id="christmas-substitutes-skipped"),
        pytest.param(date(2027, 6, 5), ENG, date(2027, 6, 18), id="from-a-saturday"),
        pytest.param(date(2027, 6, 7), ENG, date(2027, 6, 21), id="from-a-monday"),
    ],
)
def test_a_return_not_yet_made_is_at_risk_up_to_ten_working_days_ahead(today, nation, until):
    assert rules.RETURN_REMINDER_WORKING_DAYS == 10
    assert rules.return_at_risk_until(today, nation=nation) == until


@pytest.mark.parametrize(
    ("submitted", "today", "verdict"),
    [
        pytest.param(None, date(2027, 11, 1), None, id="not-sent-due-today"),
        pytest.param(None, date(2027, 11, 2), False, id="not-sent-a-day-after"),
        pytest.param(date(2027, 11, 1), date(2027, 11, 1), True, id="sent-on-the-due-date"),
        pytest.param(date(2027, 11, 2), date(2027, 11, 30), False, id="sent-a-day-late"),
        pytest.param(date(2027, 11, 2), date(2027, 11, 1), None, id="sent-later-not-seen-early"),
    ],
)
def test_return_made_on_time(submitted, today, verdict):
    assert rules.return_made_on_time(due=date(2027, 11, 1), submitted=submitted, today=today) is verdict


# --- 12.7: an improvement timetable before notice for performance ----------------------------------------------------


@pytest.mark.parametrize(
    ("agreed", "in_time"),
    [
        pytest.param(None, False, id="never-agreed"),
        pytest.param(date(2027, 8, 31), True, id="agreed-the-day-before-the-notice"),
        pytest.param(date(2027, 9, 1), True, id="agreed-the-day-of-the-notice"),
        pytest.param(date(2027, 9, 2), False, id="agreed-the-day-after-the-notice"),
    ],
)
def test_improvement_timetable_in_time(agreed, in_time):
    assert rules.improvement_timetable_in_time(agreed=agreed, notice_given=date(2027, 9, 1)) is in_time


# Open-ended funding: the schedule runs a year ahead of today (17.3), so the next return is always scheduled.
@pytest.mark.parametrize(
    ("start", "per_year", "until", "first", "last", "count"),
    [
        pytest.param(
            date(2027, 4, 1), 4, date(2027, 4, 1), date(2027, 4, 1), (date(2028, 1, 1), date(2028, 3, 31)), 4,
            id="today-on-the-start-one-year",
        ),
        pytest.param(
            date(2027, 4, 1), 4, date(2027, 4, 2), date(2027, 4, 1), (date(2028, 4, 1), date(2028, 6, 30)), 5,
            id="a-day-after-the-start-the-next-years-first-quarter",
        ),
        pytest.param(
            date(2027, 4, 1), 4, date(2027, 6, 30), date(2027, 4, 1), (date(2028, 4, 1), date(2028, 6, 30)), 5,
            id="the-day-before-a-period-start",
        ),
        pytest.param(
            date(2027, 4, 1), 4, date(2027, 7, 1), date(2027, 4, 1), (date(2028, 4, 1), date(2028, 6, 30)), 5,
            id="today-exactly-on-a-period-start",
        ),
        pytest.param(
            date(2027, 4, 1), 4, date(2027, 7, 2), date(2027, 4, 1), (date(2028, 7, 1), date(2028, 9, 30)), 6,
            id="the-day-after-a-period-start",
        ),
        pytest.param(
            date(2027, 4, 1), 1, date(2028, 10, 1), date(2027, 4, 1), (date(2029, 4, 1), date(2030, 3, 31)), 3,
            id="yearly-eighteen-months-on",
        ),
        pytest.param(
            date(2027, 4, 1), 2, date(2028, 10, 1), date(2027, 4, 1), (date(2029, 4, 1), date(2029, 9, 30)), 5,
            id="twice-a-year-eighteen-months-on-on-a-period-start",
        ),
        pytest.param(
            date(2027, 4, 1), 2, date(2027, 1, 1), date(2027, 4, 1), (date(2027, 10, 1), date(2028, 3, 31)), 2,
            id="today-before-the-start-one-year-from-the-start",
        ),
        pytest.param(
            date(2027, 4, 1), 12, None, date(2027, 4, 1), (date(2028, 3, 1), date(2028, 3, 31)), 12,
            id="no-today-one-year-from-the-start",
        ),
        pytest.param(
            date(2027, 1, 31), 12, date(2027, 2, 28), date(2027, 1, 31), (date(2028, 1, 31), date(2028, 2, 28)), 13,
            id="monthly-from-31-january-today-on-a-clamped-start",
        ),
        pytest.param(
            date(2027, 1, 31), 12, date(2027, 3, 1), date(2027, 1, 31), (date(2028, 2, 29), date(2028, 3, 30)), 14,
            id="monthly-from-31-january-into-a-leap-february",
        ),
        pytest.param(
            date(2028, 2, 29), 1, date(2028, 2, 29), date(2028, 2, 29), (date(2028, 2, 29), date(2029, 2, 27)), 1,
            id="yearly-from-29-february-today-on-the-start",
        ),
        pytest.param(
            date(2028, 2, 29), 1, date(2029, 2, 28), date(2028, 2, 29), (date(2029, 2, 28), date(2030, 2, 27)), 2,
            id="yearly-from-29-february-today-on-the-clamped-anniversary",
        ),
    ],
)  # fmt: skip
def test_open_ended_return_periods_run_a_year_ahead_of_today(start, per_year, until, first, last, count):
    found = rules.return_periods(start, None, returns_per_year=per_year, until=until)

    assert (found[0][0], found[-1], len(found)) == (first, last, count)
    assert all(later[0] == earlier[1] + timedelta(days=1) for earlier, later in pairwise(found))


@pytest.mark.parametrize("per_year", [1, 2, 4, 12])
def test_open_ended_return_periods_always_hold_today_and_the_year_after_it(per_year):
    start = date(2027, 1, 31)
    for offset in range(0, 3 * 366, 7):
        today = start + timedelta(days=offset)
        found = rules.return_periods(start, None, returns_per_year=per_year, until=today)
        later = rules.return_periods(start, None, returns_per_year=per_year, until=today + timedelta(days=1))

        assert found[0][0] <= today <= found[-1][1]
        assert found[-1][1] >= rules.add_months(today, 12) - timedelta(days=1)  # a year ahead, whole periods
        assert found[-1][0] < rules.add_months(today, 12)  # none starts more than a year ahead
        assert later[: len(found)] == found  # the schedule only grows as the days pass


@pytest.mark.parametrize("until", [None, date(2027, 4, 1), date(2031, 1, 1)])
def test_return_periods_with_an_end_ignore_today(until):
    assert rules.return_periods(date(2027, 4, 1), date(2028, 3, 31), returns_per_year=2, until=until) == [
        (date(2027, 4, 1), date(2027, 9, 30)),
        (date(2027, 10, 1), date(2028, 3, 31)),
    ]
