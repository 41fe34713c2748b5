"""The funding figures of the champions' dashboards and the compliance reports, counted in the database.

Each figure is a ``Measure``: which records it counts, the date that puts a record in a period, what
keeping the promise means and what explains not keeping it. The same definitions give the figure, its
drill-down's records, the verdict on each record's page and, registered in ``funding/figures.py``, every
dashboard, health check and report, so they always agree.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from commitments.figures import waived
from commitments.models import Compact, Organisation, RecordType, RuleKey
from compact_portal.figures import Measure, percentiles_by_window
from compact_portal.periods import Period

from ..models import NOTICE_TOO_SHORT, PAID_LATE, Decision, DecisionKind, Invoice, Mechanism, Notice

# 11.2: paid in full within the compact's working days of receipt. An invoice is counted when paid in full. The
# compact allows no explanation for paying late; a champion may still waive the flag, with a reason.
PAID_ON_TIME = Measure(
    "paid_on_time",
    "paid_date",
    met=~PAID_LATE,
    counted=Q(paid_date__isnull=False),
    explained=waived(RecordType.INVOICE, RuleKey.INVOICE_PAID_LATE),
)
# 9.2: awards and declines told by the date three months (or the compact's lead time) before the start, or the
# lateness justified.
TOLD_IN_TIME = Measure(
    "told_in_time",
    "told_date",
    met=Q(told_date__lte=F("due_by")),
    counted=Q(kind__in=(DecisionKind.AWARDED, DecisionKind.DECLINED)),
    explained=~Q(justification="")
    | waived(RecordType.FUNDING_RELATIONSHIP, RuleKey.DECISION_TOO_LATE, lookup="relationship_id"),
)
# 9.1: awards running the compact's minimum term, or open-ended, or the shorter term explained; a term is known
# once funding has a start.
MULTI_YEAR = Measure(
    "multi_year",
    "told_date",
    met=Q(relationship__end_date__isnull=True) | Q(relationship__end_date__gte=F("relationship__minimum_end_date")),
    counted=Q(kind=DecisionKind.AWARDED, relationship__start_date__isnull=False),
    amount="relationship__amount",
    explained=~Q(relationship__term_explanation="")
    | waived(RecordType.FUNDING_RELATIONSHIP, RuleKey.FUNDING_TERM_TOO_SHORT, lookup="relationship_id"),
)
# Every award told in the period, for the totals by mechanism and by funder.
AWARDS = Measure("awards", "told_date", met=Q(), counted=Q(kind=DecisionKind.AWARDED))
# 13.3: notices owed and given, taking effect no sooner than the notice period allows. A short notice is not
# explained by its rationale (every notice has one); only a champion's waiver explains it.
NOTICE_LONG_ENOUGH = Measure(
    "notice_long_enough",
    "notice_date",
    met=~NOTICE_TOO_SHORT,
    counted=Q(notice_owed=True),
    explained=waived(RecordType.NOTICE, RuleKey.NOTICE_TOO_SHORT),
)

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
