"""Building blocks of the dashboards' and reports' figures, computed in the database.

A ``Share`` is how many of some records kept a promise out of how many could have; ``within`` reads a
percentile straight from an ordered query, so no figure ever loads the records it counts.
"""

import math
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class Share:
    """``met`` of ``total`` records kept the promise."""

    met: int
    total: int

    @property
    def percent(self) -> int | None:
        """The share as a whole percentage, rounded half up; None when there was nothing to count."""
        if not self.total:
            return None
        return math.floor(100 * self.met / self.total + 0.5)

    def __str__(self) -> str:
        return "none in the period" if self.percent is None else f"{self.percent}% ({self.met} of {self.total})"


def within(records: QuerySet, *, field: str, fraction: float, count: int):
    """The smallest ``field`` value that ``fraction`` of the ``count`` ``records`` are at or below: the
    nearest-rank percentile, so "half were paid within 6 working days" reads true of the figure.

    One query, ordered and offset in the database; None when there are no records.
    """
    if not count:
        return None
    rank = max(1, math.ceil(fraction * count))  # 1-based
    return records.order_by(field).values_list(field, flat=True)[rank - 1]
