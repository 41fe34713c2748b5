"""The funding rules of a compact as pure date arithmetic (docs/domain.md).

Every function takes dates and settings and returns a date or a verdict: no database, no clock, no Django.
Callers pass "today" in themselves, so the same inputs always give the same answer.

Working days are Monday to Friday less the bank holidays of the compact's UK nation (Wales shares England's):
GOV.UK's list, kept on disk, and past its last year the ``holidays`` library (compact_portal/working_days.py).
Calendar months clamp at month end (30 November + 3 months is 28 February, or 29 February in a leap year).

Rules covered: Portsmouth 9.1 (funding term), 9.2 (early decisions), 9.3 (feedback on a declined bid),
11.2 (prompt payment), 12.1 (monitoring agreed before signing), 12.3 (monitoring in proportion to the funding),
12.7 (an improvement timetable before ending for performance), 13.1 (impact assessed), 13.3 and Leicestershire
principle 11 (notice of ending), 13.4 (time to respond), and the VCS side's 17.3 (monitoring returns made by
their due dates). Portsmouth 19.5 (reallocation assessed when an equality grant is withdrawn) is a yes/no record
with no date arithmetic, so it is checked where it is recorded, not here (``reallocation_needed`` says when it
applies).

The deadline planner (``funding/planning.py``) works back from a change's day with the inverses:
``latest_notice_date`` (13.3), ``latest_final_decision`` and ``latest_response_close`` (13.4), and
``decision_due_by`` (9.2), which is already one.

Where a commitment allows an explanation (9.1, 9.2, 9.3), a missing one is a gap, not an error: the record is
kept as it happened and flagged until the explanation is added. The ``*_missing`` functions say when there is
such a gap; the forms warn with them and the record pages list them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from compact_portal.working_days import add_working_days, working_days_after
from compact_portal.working_days import is_working_day as is_working_day  # re-exported for funding's callers

_ONE_DAY = timedelta(days=1)


def payment_due_by(received: date, *, nation: str, working_days: int = 10) -> date:
    """The last day on which an invoice received on ``received`` is paid promptly (Portsmouth 11.2).

    It is the ``working_days``-th working day after the day of receipt. The receipt day itself never counts,
    whatever day it is, so an invoice received on a Friday, Saturday or Sunday has the same due date.
    The result is always a working day.
    """
    return add_working_days(received, working_days, nation=nation)


def working_days_late(*, due_by: date, paid_or_today: date, nation: str) -> int:
    """How many working days after ``due_by`` an invoice was paid, or has stayed unpaid (Portsmouth 11.2).

    Counts working days after ``due_by`` up to and including ``paid_or_today``; 0 when that is on or before
    ``due_by``. A payment made on the weekend or bank holiday straight after the due date is late
    (see ``invoice_paid_on_time``) yet counts 0 working days late.
    """
    return working_days_after(due_by, paid_or_today, nation=nation)


def working_days_to_pay(*, received: date, paid: date, nation: str) -> int:
    """Working days the payer took (Portsmouth 11.2): those after receipt up to and including ``paid``.

    The receipt day is not counted; 0 when paid on or before the day of receipt. Paying on
    ``payment_due_by(received, working_days=n)`` gives exactly ``n``.
    """
    return working_days_after(received, paid, nation=nation)


def invoice_paid_on_time(*, due_by: date, paid: date) -> bool:
    """True when the invoice was paid on or before its due date (Portsmouth 11.2)."""
    return paid <= due_by


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the last day of a shorter month.

    30 November + 3 is 28 February (29 February in a leap year); 31 January + 1 is 28 or 29 February.
    Negative ``months`` move backwards with the same clamping.
    """
    return day + relativedelta(months=months)


def earliest_effective_date(notice_given: date, *, months: int = 3) -> date:
    """The first day on which an ending or reduction of funding may take effect (Portsmouth 13.3).

    It is the notice date plus ``months`` calendar months, clamped at month end.
    """
    return add_months(notice_given, months)


def latest_notice_date(effective: date, *, months: int = 3) -> date:
    """The latest day written notice can be given for a change taking effect on ``effective`` (Portsmouth 13.3):
    ``earliest_effective_date`` turned round, the latest ``d`` with ``earliest_effective_date(d, months=months)
    <= effective``.

    Month ends clamp: for an end on 31 March 2028 with 3 months it is 31 December 2027; for 29 February 2028 it is
    30 November 2027 (30 November + 3 months clamps to 29 February). A day later, notice is too short.
    """
    return _latest_day_months_before(effective, months=months)


def notice_period_met(*, notice_given: date, effective: date, months: int = 3) -> bool:
    """True when the change takes effect on or after ``earliest_effective_date`` (Portsmouth 13.3)."""
    return effective >= earliest_effective_date(notice_given, months=months)


def decision_due_by(expected_start: date, *, months: int = 3) -> date:
    """The latest day the organisation can be told of a funding decision and still be in time (Portsmouth 9.2).

    It is the latest ``d`` with ``add_months(d, months) <= expected_start``. Because of month-end clamping
    this is not always ``expected_start`` minus ``months``: for a start on 28 February 2027 it is
    30 November 2026. Agrees with ``decision_told_in_time`` for every date.
    """
    return _latest_day_months_before(expected_start, months=months)


def _latest_day_months_before(target: date, *, months: int) -> date:
    """The latest ``d`` with ``add_months(d, months) <= target``: ``target`` less ``months`` months, moved on while
    the next day still clamps to ``target`` or before (31 March less 3 months is 31 December; 29 February 2028 less
    3 months is 29 November 2027, and 30 November 2027 + 3 months clamps to 29 February 2028, so it is 30 November).
    """
    day = target - relativedelta(months=months)
    while add_months(day + _ONE_DAY, months) <= target:
        day += _ONE_DAY
    return day


def decision_told_in_time(*, told: date, expected_start: date, months: int = 3) -> bool:
    """True when the organisation was told at least ``months`` calendar months before the start (Portsmouth 9.2).

    Equivalent to ``told <= decision_due_by(expected_start, months=months)``.
    """
    return add_months(told, months) <= expected_start


def minimum_term_end(start: date, *, years: int = 3) -> date:
    """The earliest end date for funding of ``years`` years or more (Portsmouth 9.1).

    Start and end dates both count, so it is start + ``years`` - 1 day: 1 April 2026 gives 31 March 2029.
    A 29 February start clamps first (29 February 2028 + 3 years is 28 February 2031), giving 27 February 2031.
    """
    return start + relativedelta(years=years) - _ONE_DAY


def funding_term_met(*, start: date, end: date | None, years: int = 3) -> bool:
    """True when the funding runs at least ``years`` years (Portsmouth 9.1); open-ended funding (no end) meets it."""
    return end is None or end >= minimum_term_end(start, years=years)


def explained(text: str | None) -> bool:
    """Whether an explanation, justification or feedback is recorded: whitespace alone does not count."""
    return bool((text or "").strip())


def award_justification_missing(*, told: date, due_by: date, justification: str | None) -> bool:
    """True when an award told after its decision date records no justification (Portsmouth 9.2).

    ``due_by`` is ``decision_due_by(expected_start, ...)``, so ``told > due_by`` is ``decision_told_in_time``
    turned round. Such an award is recorded, and the compliance jobs flag it until a justification is added.
    """
    return told > due_by and not explained(justification)


def term_explanation_missing(*, end: date | None, minimum_end: date | None, explanation: str | None) -> bool:
    """True when funding ending before ``minimum_end`` records no explanation of the shorter term (Portsmouth 9.1).

    ``minimum_end`` is ``minimum_term_end(start, ...)``, as the services store it, so ``end < minimum_end`` is
    ``funding_term_met`` turned round. Without a start or an end there is no term to judge yet (False). Such
    funding is recorded, and the compliance jobs flag it once it runs until an explanation is added.
    """
    return end is not None and minimum_end is not None and end < minimum_end and not explained(explanation)


def decline_feedback_missing(*, feedback: str | None) -> bool:
    """True when a declined bid records no feedback for the organisation (Portsmouth 9.3)."""
    return not explained(feedback)


def monitoring_agreed_in_time(*, monitoring_agreed: date | None, agreement_signed: date | None) -> bool | None:
    """Whether monitoring arrangements were agreed on or before the agreement was signed (Portsmouth 12.1).

    None while the agreement is unsigned (no verdict yet); False when signed with monitoring not agreed or
    agreed after signing; True when agreed on or before the signing date.
    """
    if agreement_signed is None:
        return None
    return monitoring_agreed is not None and monitoring_agreed <= agreement_signed


def response_window_before_decision(*, response_due_by: date | None, final_decision: date | None) -> bool | None:
    """Whether the organisation's window to respond closed before the final decision (Portsmouth 13.4).

    None when either date is missing; True only when the window closes strictly before the decision date.
    """
    if response_due_by is None or final_decision is None:
        return None
    return response_due_by < final_decision


def latest_final_decision(effective: date) -> date:
    """The latest day for the final decision on a change taking effect on ``effective`` (Portsmouth 13.4, as the
    planner counts it): the day before it takes effect."""
    return effective - _ONE_DAY


def latest_response_close(final_decision: date) -> date:
    """The latest day the organisations' window to respond may close for a final decision on ``final_decision``
    (Portsmouth 13.4): ``response_window_before_decision`` turned round, the day before the decision."""
    return final_decision - _ONE_DAY


def impact_assessed_before_notice(*, assessed: date | None, notice_given: date) -> bool:
    """True when an impact assessment is recorded on or before the notice date (Portsmouth 13.1)."""
    return assessed is not None and assessed <= notice_given


def notice_owed(*, end_date_defined_at_start: bool, fixed_end_excepted: bool) -> bool:
    """Whether notice of an ending is owed at all (Portsmouth 13.3; Leicestershire principle 11).

    Leicestershire excepts arrangements whose end date was defined from the start; ``fixed_end_excepted`` is
    the compact's setting for that exception. False only when the end was fixed at the start and the compact
    applies the exception; otherwise notice is owed.
    """
    return not (end_date_defined_at_start and fixed_end_excepted)


def reallocation_needed(*, ending: bool, strategic: bool, grant: bool, serves_protected_characteristic: bool) -> bool:
    """Whether the equality duty of Portsmouth 19.5 applies: a strategic grant ends (is withdrawn) from an
    organisation serving people with a protected characteristic, so a reallocation assessment is owed. A notice
    (``Notice.reallocation_needed``) and a proposal's page (``funding.selectors.proposals``) both ask it."""
    return ending and strategic and grant and serves_protected_characteristic


PAYMENT_AT_RISK_WORKING_DAYS = 2  # warn while an unpaid invoice is this close to its pay-by date


def payment_at_risk_until(today: date, *, nation: str) -> date:
    """The last pay-by date for which an unpaid invoice is "at risk" on ``today`` (Portsmouth 11.2).

    An invoice still unpaid is at risk from two working days before its pay-by date up to and including
    that date: so on ``today`` those due from today to the second working day after today.
    """
    return add_working_days(today, PAYMENT_AT_RISK_WORKING_DAYS, nation=nation)


# --- 12.3 proportionate monitoring, 17.3 returns made when due, 12.7 an improvement timetable ----------------------


def monitoring_returns_allowed(
    amount: Decimal,
    *,
    small_below: int,
    small_returns: int,
    medium_below: int,
    medium_returns: int,
    large_returns: int,
) -> int:
    """The most monitoring returns a year the compact's bands allow for funding of ``amount`` (Portsmouth 12.3).

    Funding under ``small_below`` pounds is small (at most ``small_returns``); from there to under
    ``medium_below`` it is medium (at most ``medium_returns``); at or above ``medium_below`` it is large (at most
    ``large_returns``). With the shipped bands £9,999.99 allows one return a year, £10,000 two, £99,999.99 two
    and £100,000 four.
    """
    if amount < small_below:
        return small_returns
    if amount < medium_below:
        return medium_returns
    return large_returns


def monitoring_proportionate(*, returns_per_year: int, allowed: int, reason: str | None) -> bool:
    """True when a monitoring plan asks for no more returns a year than its band allows, or records why more
    are proportionate here (Portsmouth 12.3). Whitespace alone is no reason."""
    return returns_per_year <= allowed or explained(reason)


def monitoring_reason_missing(*, returns_per_year: int, allowed: int, reason: str | None) -> bool:
    """True when a plan asks for more returns a year than its band allows and records no reason (Portsmouth
    12.3): ``monitoring_proportionate`` turned round. The plan is saved as it is, and flagged until the reason is
    recorded; the form warns with this."""
    return not monitoring_proportionate(returns_per_year=returns_per_year, allowed=allowed, reason=reason)


def return_periods(
    start: date, end: date | None, *, returns_per_year: int, until: date | None = None
) -> list[tuple[date, date]]:
    """The periods a plan's returns cover (Portsmouth 12.1, 12.3, 17.3): consecutive periods of
    12 / ``returns_per_year`` calendar months from ``start``.

    Each period starts ``n`` whole periods after ``start`` (counted from ``start`` each time, so a start on the
    31st does not drift once a short month clamps it: monthly from 31 January gives 31 January to 27 February,
    28 February to 30 March, 31 March to 29 April) and ends the day before the next one starts.

    With an ``end`` the periods cover the term, the last one cut at ``end``; an ``end`` before ``start`` gives
    none, and ``until`` is not used. With no ``end`` (open-ended funding) the schedule runs a year ahead of
    ``until`` (the caller's today): every period that starts on or before ``until`` and in the year after it,
    that is before ``add_months(until, 12)``, each a whole period. So the next return is always scheduled (its
    due date visible in the worklists and calendar) however long the funding has run, and the schedule only
    grows as ``until`` moves on. An ``until`` before ``start`` (or none) counts from ``start``: one year of
    periods, as for a plan set before the funding starts.
    ``returns_per_year`` must divide 12 (1, 2, 3, 4, 6 or 12).
    """
    if returns_per_year <= 0 or 12 % returns_per_year:
        raise ValueError(f"returns a year must divide 12, not {returns_per_year}")
    months = 12 // returns_per_year
    if end is None:
        last_start = add_months(max(start, until or start), 12) - _ONE_DAY
        last_end = None
    else:
        last_start = last_end = end
    periods = []
    index = 0
    while (period_start := add_months(start, index * months)) <= last_start:
        period_end = add_months(start, (index + 1) * months) - _ONE_DAY
        periods.append((period_start, period_end if last_end is None else min(period_end, last_end)))
        index += 1
    return periods


def next_working_day(day: date, *, nation: str) -> date:
    """``day`` itself when it is a working day of ``nation``, otherwise the first working day after it."""
    while not is_working_day(day, nation=nation):
        day += _ONE_DAY
    return day


RETURN_DUE_MONTHS = 1  # a return is due this many calendar months after the period it covers ends


def return_due_date(period_end: date, *, nation: str) -> date:
    """The day a monitoring return for a period ending on ``period_end`` is due (Portsmouth 17.3).

    One calendar month after the period ends (clamped at month end: a period ending 31 January is due
    28 February, or 29 February in a leap year), moved to the next working day of the compact's nation when that
    falls on a weekend or a bank holiday.
    """
    return next_working_day(add_months(period_end, RETURN_DUE_MONTHS), nation=nation)


RETURN_REMINDER_WORKING_DAYS = 10  # a return not yet made is "at risk" (the reminder) this close to its due date


def return_at_risk_until(today: date, *, nation: str) -> date:
    """The last due date for which a return not yet made is "at risk" on ``today`` (Portsmouth 17.3): the
    reminder to the organisation before its return is due.

    A return not yet made is at risk from ten working days before its due date up to and including that date:
    so on ``today`` those due from today to the tenth working day after today. Due dates are always working days.
    """
    return add_working_days(today, RETURN_REMINDER_WORKING_DAYS, nation=nation)


def return_made_on_time(*, due: date, submitted: date | None, today: date) -> bool | None:
    """Whether a return was made by its due date (Portsmouth 17.3), as of ``today``.

    True when first sent on or before ``due``; False when sent after it, or not sent and ``due`` has passed;
    None while it is not yet sent and not yet due (no verdict yet). A return sent after ``today`` is not sent yet.
    """
    if submitted is not None and submitted <= today:
        return submitted <= due
    return False if today > due else None


def improvement_timetable_in_time(*, agreed: date | None, notice_given: date) -> bool:
    """True when an improvement timetable was agreed with the organisation on or before the day notice was given
    of ending or reducing its funding for performance (Portsmouth 12.7). The same day counts as before."""
    return agreed is not None and agreed <= notice_given
