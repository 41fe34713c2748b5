"""Reporting periods: a quarter, a year or any run of dates, and the period before it.

Dashboards, trends and compliance reports all count what happened "in the period", from its first day to
its last, both included. Quarters are calendar quarters (January to March is Q1); a year is a calendar year.
"""

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from compact_portal.formatting import long_date


class PeriodError(ValueError):
    """A period that cannot be: it ends before it starts, or names no real quarter."""


@dataclass(frozen=True)
class Period:
    """The days from ``start`` to ``end``, both included."""

    start: datetime.date
    end: datetime.date

    def __post_init__(self):
        if self.end < self.start:
            raise PeriodError(
                f"The period ends ({long_date(self.end)}) before it starts ({long_date(self.start)}); "
                "choose an end date on or after the start date."
            )

    @classmethod
    def quarter(cls, year: int, number: int) -> "Period":
        if number not in (1, 2, 3, 4):
            raise PeriodError(f"A year has quarters 1 to 4, not {number}.")
        start = datetime.date(year, 3 * number - 2, 1)
        return cls(start, start + relativedelta(months=3, days=-1))

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(datetime.date(year, 1, 1), datetime.date(year, 12, 31))

    @classmethod
    def quarter_of(cls, day: datetime.date) -> "Period":
        return cls.quarter(day.year, (day.month - 1) // 3 + 1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_quarter(self) -> bool:
        return self == Period.quarter_of(self.start)

    @property
    def is_year(self) -> bool:
        return self == Period.year(self.start.year)

    @property
    def label(self) -> str:
        """ "Q2 2026", "2026", or "1 April 2026 to 15 May 2026"."""
        if self.is_year:
            return str(self.start.year)
        if self.is_quarter:
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return f"{self.start.day} {self.start:%B %Y} to {self.end.day} {self.end:%B %Y}"

    def previous(self) -> "Period":
        """The period just before: the previous quarter or year, or as many days ending the day before."""
        if self.is_year:
            return Period.year(self.start.year - 1)
        if self.is_quarter:
            return Period.quarter_of(self.start - datetime.timedelta(days=1))
        end = self.start - datetime.timedelta(days=1)
        return Period(end - datetime.timedelta(days=self.days - 1), end)

    def months(self) -> list["Period"]:
        """The calendar months the period touches, each cut to the period: the steps of a monthly trend."""
        steps, first = [], self.start.replace(day=1)
        while first <= self.end:
            last = first + relativedelta(months=1, days=-1)
            steps.append(Period(max(first, self.start), min(last, self.end)))
            first += relativedelta(months=1)
        return steps

    def quarters(self) -> list["Period"]:
        """The calendar quarters the period touches, each cut to the period: the steps of a quarterly trend."""
        steps, quarter = [], Period.quarter_of(self.start)
        while quarter.start <= self.end:
            steps.append(Period(max(quarter.start, self.start), min(quarter.end, self.end)))
            quarter = Period.quarter_of(quarter.end + datetime.timedelta(days=1))
        return steps
