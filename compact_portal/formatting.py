"""Money and dates in one style everywhere (the GOV.UK style): "£3,125.00", "4 December 2026".

Pages use the ``money`` and ``long_date`` filters (``{% load portal %}``); e-mails, worklists and exports built in
Python call these functions, so the two never drift apart.
"""

import datetime
from decimal import Decimal


def money(amount: Decimal | int | float | None) -> str:
    """Pounds with a thousands separator and pence: "£3,125.00"; "–" for no amount; "-£5.00" for a negative one."""
    if amount is None or amount == "":
        return "–"
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


def long_date(day: datetime.date | None) -> str:
    """The day in words, no leading zero: "4 December 2026"; "–" for no date."""
    if day is None:
        return "–"
    return f"{day.day} {day:%B %Y}"
