"""Working days of the UK nations, shared by every app's rules (pure: dates in, dates or counts out).

A working day is Monday to Friday and not a bank holiday (substitute days included) of the compact's
nation, taken offline from the ``holidays`` library: GB with subdivision ENG, SCT or NIR (Wales shares
England's bank holidays). The library's own working-day arithmetic is used rather than hand-written loops.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays

_SUBDIVISIONS = {
    "england_wales": "ENG",
    "scotland": "SCT",
    "northern_ireland": "NIR",
}

_ONE_DAY = timedelta(days=1)


@functools.lru_cache(maxsize=len(_SUBDIVISIONS))
def calendar(nation: str) -> holidays.HolidayBase:
    """The bank-holiday calendar of one nation, built once per process.

    The object is created with ``expand=True`` (the library's default) and no years, so each year is filled
    in the first time a date in it is looked up; one cached object therefore stays right for every year.
    """
    try:
        subdiv = _SUBDIVISIONS[nation]
    except KeyError:
        raise ValueError(f"unknown nation {nation!r}; expected one of {sorted(_SUBDIVISIONS)}") from None
    return holidays.country_holidays("GB", subdiv=subdiv)


def is_working_day(day: date, *, nation: str) -> bool:
    """True when ``day`` is Monday to Friday and not a bank holiday in ``nation``."""
    return calendar(nation).is_working_day(day)


def add_working_days(start: date, working_days: int, *, nation: str) -> date:
    """The ``working_days``-th working day after ``start`` (``start`` itself never counts, whatever day it is).

    So a step begun on a Friday, Saturday or Sunday has the same deadline, and the result is always a
    working day.
    """
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    return calendar(nation).get_nth_working_day(start, working_days)


def working_days_after(start: date, end: date, *, nation: str) -> int:
    """Working days in the half-open interval (start, end]; 0 when ``end`` is on or before ``start``."""
    if end <= start:
        return 0
    return calendar(nation).get_working_days_count(start + _ONE_DAY, end)
