"""The consultation rules of a compact as pure date arithmetic (docs/domain.md).

Every function takes dates and settings and returns a date or a verdict: no database, no clock, no Django.
Callers pass "today" in themselves, so the same inputs always give the same answer.

A consultation's open and close dates both count, so it lasts (close - open) + 1 days: one opening on
Monday 5 January 2026 and closing on Sunday 29 March 2026 lasts 84 days, exactly 12 weeks.

Rules covered: Portsmouth 3.7 (formal written consultations last a minimum number of weeks, 12 unless the
compact sets another, or a shorter one records why), 3.2 (forthcoming consultations are announced before they
open), 3.5 and 4.2 (respondents are told how their responses influenced the decision, within a number of weeks
after close that the compact sets, 12 by default). The countdown, reminder and extension helpers serve the
pages and scheduled jobs that keep those rules.
"""

from __future__ import annotations

from datetime import date, timedelta

NOT_DUE_YET = "not_due_yet"
DUE = "due"
OVERDUE = "overdue"
PUBLISHED_ON_TIME = "published_on_time"
PUBLISHED_LATE = "published_late"

FORTHCOMING = "forthcoming"
OPEN = "open"
CLOSED = "closed"


def consultation_length_days(*, opens: date, closes: date) -> int:
    """How many days a consultation runs, counting both the open and the close day (Portsmouth 3.7).

    Opening and closing on the same day is 1 day. Raises ValueError when ``closes`` is before ``opens``.
    """
    if closes < opens:
        raise ValueError(f"a consultation cannot close ({closes}) before it opens ({opens})")
    return (closes - opens).days + 1


def minimum_length_days(*, min_weeks: int) -> int:
    """The compact's minimum length for a formal written consultation, in days (Portsmouth 3.7).

    Raises ValueError when ``min_weeks`` is less than 1.
    """
    if min_weeks < 1:
        raise ValueError("min_weeks must be at least 1")
    return min_weeks * 7


def meets_minimum_length(*, opens: date, closes: date, min_weeks: int = 12) -> bool:
    """True when the consultation lasts at least ``min_weeks`` weeks, both end days counted (Portsmouth 3.7).

    Raises ValueError when ``closes`` is before ``opens``.
    """
    return consultation_length_days(opens=opens, closes=closes) >= minimum_length_days(min_weeks=min_weeks)


def earliest_close_date(*, opens: date, min_weeks: int = 12) -> date:
    """The first close date that meets the minimum length for a consultation opening on ``opens`` (Portsmouth 3.7).

    It is ``opens`` plus ``min_weeks`` weeks less one day, because the open day counts: open Monday
    5 January 2026, close Sunday 29 March 2026 at the earliest for 12 weeks.
    """
    return opens + timedelta(days=minimum_length_days(min_weeks=min_weeks) - 1)


def latest_close_before(decision: date) -> date:
    """The latest day a consultation can close so that a decision on ``decision`` can take its responses into
    account (the deadline planner's rule): the day before."""
    return decision - timedelta(days=1)


def latest_opening_day(closes_by: date, *, weeks: int = 12) -> date:
    """The latest day a formal consultation closing on ``closes_by`` can open and still last ``weeks`` weeks, both
    days counted (Portsmouth 3.7): ``earliest_close_date`` turned round. To close on Tuesday 30 November 2027 after
    12 weeks, it opens on Wednesday 8 September 2027 at the latest; a day later it is a day short.
    """
    return closes_by - timedelta(days=minimum_length_days(min_weeks=weeks) - 1)


def length_explanation_missing(*, formal: bool, length_days: int, minimum_days: int, explanation: str | None) -> bool:
    """True when a formal written consultation is shorter than the minimum and records no explanation (Portsmouth 3.7).

    ``length_days`` and ``minimum_days`` are ``consultation_length_days`` and ``minimum_length_days``, as the
    services store them. An informal consultation never lacks one; nor does a formal one that meets the minimum,
    or a shorter one whose explanation is not blank (whitespace alone does not count). Such a consultation is
    still saved and may be published: it is what the body is doing, and the compliance jobs flag it until the
    explanation is added.
    """
    return formal and length_days < minimum_days and not (explanation or "").strip()


def announced_in_time(*, announced: date | None, opens: date) -> bool:
    """True when the forthcoming consultation was announced strictly before it opens (Portsmouth 3.2).

    No announcement, or one made on or after the open date, is a breach.
    """
    return announced is not None and announced < opens


def feedback_due_by(*, closes: date, weeks: int = 12) -> date:
    """The last day for publishing feedback on how responses influenced the decision (Portsmouth 3.5, 4.2).

    It is the close date plus ``weeks`` weeks; the number of weeks is a compact setting, 12 by default.
    """
    return closes + timedelta(weeks=weeks)


def feedback_standing(*, closes: date, due_by: date, published: date | None, today: date) -> str:
    """Where a consultation's feedback stands on ``today`` (Portsmouth 3.5, 4.2).

    Once feedback is published the verdict is final: ``"published_on_time"`` when published on or before
    ``due_by``, ``"published_late"`` after it. Unpublished, it is ``"not_due_yet"`` while the consultation
    is forthcoming or open (``today`` on or before ``closes``), ``"due"`` from the day after close up to and
    including ``due_by``, and ``"overdue"`` after that.
    """
    if published is not None:
        return PUBLISHED_ON_TIME if published <= due_by else PUBLISHED_LATE
    if today <= closes:
        return NOT_DUE_YET
    if today <= due_by:
        return DUE
    return OVERDUE


def phase(*, opens: date, closes: date, today: date) -> str:
    """``"forthcoming"`` before the open day, ``"open"`` from the open day to the close day inclusive, then
    ``"closed"`` (Portsmouth 3.2, 3.7)."""
    if today < opens:
        return FORTHCOMING
    if today <= closes:
        return OPEN
    return CLOSED


def days_left(*, closes: date, today: date) -> int:
    """Days left to respond, counting ``today`` and the close day, for the "N days left" countdown.

    1 on the close day, 2 the day before, 0 once the consultation has closed (never negative).
    """
    return max(0, (closes - today).days + 1)


def reminder_date(*, closes: date, days_before: int = 7) -> date:
    """The day to remind would-be respondents that the consultation closes soon: one week before by default."""
    return closes - timedelta(days=days_before)


def closes_after_extension_valid(*, current_close: date, new_close: date, today: date) -> bool:
    """Whether an extension or reopening may set the close date to ``new_close`` (Portsmouth 3.7).

    The new date must be later than the current one and not in the past (``today`` itself is allowed).
    """
    return new_close > current_close and new_close >= today


FEEDBACK_AT_RISK_DAYS = 14  # warn when feedback falls due within two weeks


def feedback_at_risk_until(today: date) -> date:
    """The last feedback due date that counts as "at risk" on ``today`` (Portsmouth 3.5): two weeks ahead."""
    return today + timedelta(days=FEEDBACK_AT_RISK_DAYS)


REFERENCE_PREFIX = "CONS-"
REFERENCE_DIGITS = 5


def consultation_reference(pk: int) -> str:
    """The reference a consultation is known by in flags and exports: CONS-00042 for the 42nd."""
    return f"{REFERENCE_PREFIX}{pk:0{REFERENCE_DIGITS}d}"
