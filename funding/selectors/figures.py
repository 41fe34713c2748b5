"""The funding figures of the champions' dashboards and the compliance reports, counted in the database.

Each figure is a ``Measure``: which records it counts, the date that puts a record in a period, and what
keeping the promise means. The same definitions give the figure and, for its drill-down, the records
behind it, so the two always agree.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from commitments.models import Compact, Organisation
from compact_portal.figures import Measure, Share, percentiles_by_window, shares_by_window
from compact_portal.periods import Period

from ..models import NOTICE_TOO_SHORT, PAID_LATE, Decision, DecisionKind, Invoice, Mechanism, Notice

# 11.2: paid in full within the compact's working days of receipt. An invoice is counted when paid in full.
PAID_ON_TIME = Measure("paid_on_time", "paid_date", met=~PAID_LATE, counted=Q(paid_date__isnull=False))
# 9.2: awards and declines told by the date three months (or the compact's lead time) before the start.
TOLD_IN_TIME = Measure(
    "told_in_time",
    "told_date",
    met=Q(told_date__lte=F("due_by")),
    counted=Q(kind__in=(DecisionKind.AWARDED, DecisionKind.DECLINED)),
)
# 9.1: awards running the compact's minimum term, or open-ended; a term is known once funding has a start.
MULTI_YEAR = Measure(
    "multi_year",
    "told_date",
    met=Q(relationship__end_date__isnull=True) | Q(relationship__end_date__gte=F("relationship__minimum_end_date")),
    counted=Q(kind=DecisionKind.AWARDED, relationship__start_date__isnull=False),
    amount="relationship__amount",
)
# Every award told in the period, for the totals by mechanism and by funder.
AWARDS = Measure("awards", "told_date", met=Q(), counted=Q(kind=DecisionKind.AWARDED))
# 13.3: notices owed and given, taking effect no sooner than the notice period allows.
NOTICE_LONG_ENOUGH = Measure("notice_long_enough", "notice_date", met=~NOTICE_TOO_SHORT, counted=Q(notice_owed=True))

# The working days invoices took to pay: the median and the 90th percentile.
DAYS_TO_PAY_FRACTIONS = ((1, 2), (9, 10))


def _funded_by_or_for(records: QuerySet, organisation: Organisation | None) -> QuerySet:
    """Only the records of funding ``organisation`` gives or receives, if one is given."""
    if organisation is None:
        return records
    return records.filter(Q(relationship__funder=organisation) | Q(relationship__recipient=organisation))


def invoices_of(*, compact: Compact, organisation: Organisation | None = None) -> QuerySet[Invoice]:
    """The compact's invoices (those ``organisation`` pays or is paid, if given)."""
    return _funded_by_or_for(Invoice.objects.filter(compact=compact), organisation)


def decisions_of(*, compact: Compact, organisation: Organisation | None = None) -> QuerySet[Decision]:
    return _funded_by_or_for(Decision.objects.filter(relationship__compact=compact), organisation)


def notices_of(*, compact: Compact, organisation: Organisation | None = None) -> QuerySet[Notice]:
    return _funded_by_or_for(Notice.objects.filter(relationship__compact=compact), organisation)


def payment_shares(
    *, compact: Compact, windows: Sequence[Period], organisation: Organisation | None = None
) -> list[Share]:
    """Invoices paid in full in each window, and how many within the 11.2 deadline; one query."""
    records = invoices_of(compact=compact, organisation=organisation)
    return shares_by_window(records, [PAID_ON_TIME], windows)["paid_on_time"]


def days_to_pay(
    *, compact: Compact, windows: Sequence[Period], organisation: Organisation | None = None
) -> list[tuple[int | None, int | None]]:
    """For each window, within how many working days half, and nine in ten, of the invoices paid in full
    then were paid (nearest rank); one query."""
    records = invoices_of(compact=compact, organisation=organisation).filter(working_days_to_pay__isnull=False)
    found = percentiles_by_window(
        records, field="working_days_to_pay", date_field="paid_date", windows=windows, fractions=DAYS_TO_PAY_FRACTIONS
    )
    return [tuple(row) for row in found]


def decision_shares(
    *, compact: Compact, windows: Sequence[Period], organisation: Organisation | None = None
) -> dict[str, list[Share]]:
    """Decisions told in time, and multi-year awards by number (``multi_year``) and by value
    (``multi_year_value``, whole pounds), for each window; one query."""
    return shares_by_window(
        decisions_of(compact=compact, organisation=organisation), [TOLD_IN_TIME, MULTI_YEAR], windows
    )


def notice_shares(
    *, compact: Compact, windows: Sequence[Period], organisation: Organisation | None = None
) -> list[Share]:
    """Notices owed and given in each window, and how many gave the 13.3 notice period; one query."""
    records = notices_of(compact=compact, organisation=organisation)
    return shares_by_window(records, [NOTICE_LONG_ENOUGH], windows)["notice_long_enough"]


@dataclass(frozen=True)
class Total:
    """What one funder, or one mechanism, awarded in a period."""

    key: str  # the funder's slug or the mechanism's value, for the drill-down
    label: str
    awards: int
    amount: Decimal


def awards_by_mechanism_and_funder(
    *, compact: Compact, period: Period, organisation: Organisation | None = None
) -> tuple[list[Total], list[Total]]:
    """The awards told during ``period``, totalled by mechanism and by funder, largest first; one query."""
    rows = (
        decisions_of(compact=compact, organisation=organisation)
        .filter(AWARDS.in_window(period))
        .values_list("relationship__mechanism", "relationship__funder__slug", "relationship__funder__name")
        .annotate(awards=Count("pk"), amount=Sum("relationship__amount"))
        .order_by()
    )
    mechanisms, funders = {}, {}
    for mechanism, slug, name, awards, amount in rows:
        for totals, key, label in ((mechanisms, mechanism, Mechanism(mechanism).label), (funders, slug, name)):
            before = totals.get(key, Total(key, label, 0, Decimal(0)))
            totals[key] = Total(key, label, before.awards + awards, before.amount + amount)
    return tuple(sorted(totals.values(), key=lambda t: (-t.amount, t.label)) for totals in (mechanisms, funders))


# The records behind each figure, for its drill-down: (the records, the measure that picks them).
FIGURE_RECORDS = {
    "paid_on_time": (invoices_of, PAID_ON_TIME),
    "told_in_time": (decisions_of, TOLD_IN_TIME),
    "multi_year": (decisions_of, MULTI_YEAR),
    "awards": (decisions_of, AWARDS),
    "notice_long_enough": (notices_of, NOTICE_LONG_ENOUGH),
}
