"""The compact's own rules as pure date arithmetic: dates in, a date or a verdict out (no database, no clock).

An action of a compact's action plan (Portsmouth's Partnership Improvement Action Plan, Appendix A; Leicestershire
§8, §11) is due by its date: an action neither done nor dropped is late the day after its due date, and due soon
(at risk) from ``ACTION_DUE_SOON_DAYS`` days before it.
"""

import datetime

# An open action due within this many calendar days (today counted, the due date too) is due soon: its flag is at
# risk, and its lead sees it waiting for them.
ACTION_DUE_SOON_DAYS = 10


def action_at_risk_until(today: datetime.date) -> datetime.date:
    """The last due date that is due soon on ``today``: ``ACTION_DUE_SOON_DAYS`` days ahead."""
    return today + datetime.timedelta(days=ACTION_DUE_SOON_DAYS)


def action_late(*, due: datetime.date | None, open_: bool, today: datetime.date) -> bool:
    """An action still open (not done, not dropped) whose due date has passed: due yesterday is late, due today is
    not yet. An action with a timescale and no date is never late by date."""
    return open_ and due is not None and due < today


def action_due_soon(*, due: datetime.date | None, open_: bool, today: datetime.date) -> bool:
    """An open action due today or within ``ACTION_DUE_SOON_DAYS`` days: not late yet."""
    return open_ and due is not None and today <= due <= action_at_risk_until(today)
