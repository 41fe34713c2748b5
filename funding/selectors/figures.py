"""The funding figures of the champions' dashboards and the compliance reports, counted in the database.

Each figure is a ``Measure``: which records it counts, the date that puts a record in a period, what
keeping the promise means and what explains not keeping it. The same definitions give the figure, its
drill-down's records, the verdict on each record's page and, registered in ``funding/figures.py``, every
dashboard, health check and report, so they always agree.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from commitments.figures import waived
from commitments.models import (
    SMALL_GROUP_MAX_PAID_STAFF,
    Community,
    Compact,
    Organisation,
    RecordType,
    RuleKey,
    Side,
)
from compact_portal.figures import Measure, percentiles_by_windows
from compact_portal.periods import Period

from ..models import (
    NOTICE_TOO_SHORT,
    PAID_LATE,
    Decision,
    DecisionKind,
    ImprovementTimetable,
    Invoice,
    Mechanism,
    MonitoringPlan,
    MonitoringReturn,
    Notice,
    NoticeKind,
)

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
# 8.1–8.2 and 11.1: of the awards told in the period, those with full cost recovery (overheads and volunteer costs
# both funded: ``FundingRelationship.full_cost_recovery``) and those with payment in advance agreed, by number and by
# value. Shares, not promises every award must keep: registered with ``judged=False``, they read "N% of awards" and
# nothing in them is kept or broken (``commitments/figures.py``).
FULL_COST_RECOVERY = Measure(
    "full_cost_recovery",
    "told_date",
    met=Q(relationship__overheads_included=True, relationship__volunteer_costs_included=True),
    counted=AWARDS.counted,
    amount="relationship__amount",
)
PAYMENT_IN_ADVANCE = Measure(
    "payment_in_advance",
    "told_date",
    met=Q(relationship__payment_in_advance=True),
    counted=AWARDS.counted,
    amount="relationship__amount",
)
# 13.3: notices owed and given, taking effect no sooner than the notice period allows. A short notice is not
# explained by its rationale (every notice has one); only a champion's waiver explains it.
NOTICE_LONG_ENOUGH = Measure(
    "notice_long_enough",
    "notice_date",
    met=~NOTICE_TOO_SHORT,
    counted=Q(notice_owed=True),
    explained=waived(RecordType.NOTICE, RuleKey.NOTICE_TOO_SHORT),
)


class Today(Expression):
    """The portal's date today, read when the query runs (``timezone.localdate``): a figure is counted as of the
    day it is drawn, and the registry's measures are built once, at start-up."""

    output_field = DateField()

    def as_sql(self, compiler, connection):
        return compiler.compile(Value(timezone.localdate(), output_field=DateField()))


# 12.3: the monitoring plans agreed in the period (on the relationship's monitoring agreed date, or, not agreed yet,
# the day the plan was made), asking for no more returns a year than the compact's band for the funding's value
# allows (stored on the plan). The reason recorded for asking more often explains it, as does a champion's waiver.
PLAN_AGREED_ON = "agreed_on"  # annotated by ``monitoring_plans_of``
MONITORING_PROPORTIONATE = Measure(
    "monitoring_proportionate",
    PLAN_AGREED_ON,
    met=Q(returns_per_year__lte=F("returns_allowed_per_year")),
    explained=~Q(disproportion_reason="")
    | waived(RecordType.FUNDING_RELATIONSHIP, RuleKey.MONITORING_DISPROPORTIONATE, lookup="relationship_id"),
)
# 17.3 (the organisation's undertaking): the returns due in the period, made (first sent) on or before the due
# date. A return is counted once it is due: due before today, or due today and already made (one due today may
# still be made in time); later ones are not counted yet. Only a champion's waiver explains a late return.
RETURNS_ON_TIME = Measure(
    "returns_on_time",
    "due_date",
    met=Q(submitted_date__lte=F("due_date")),
    counted=Q(due_date__lt=Today()) | Q(due_date__lte=Today(), submitted_date__isnull=False),
    explained=waived(RecordType.MONITORING_RETURN, RuleKey.MONITORING_RETURN_OVERDUE),
)
# 12.7: notices ending or reducing funding for performance, given in the period, after an improvement timetable
# agreed with the organisation on or before the notice date. Only a champion's waiver explains one without.
PERFORMANCE_ENDINGS = Q(kind__in=(NoticeKind.END, NoticeKind.REDUCE), for_performance=True)
IMPROVEMENT_TIMETABLE = Measure(
    "improvement_timetable",
    "notice_date",
    met=Q(
        Exists(
            ImprovementTimetable.objects.filter(
                relationship=OuterRef("relationship"), agreed_on__lte=OuterRef("notice_date")
            )
        )
    ),
    counted=PERFORMANCE_ENDINGS,
    explained=waived(RecordType.NOTICE, RuleKey.IMPROVEMENT_TIMETABLE_MISSING),
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


def monitoring_plans_of(*, compact: Compact, organisation: Organisation | None = None) -> QuerySet[MonitoringPlan]:
    """The compact's monitoring plans (those of funding ``organisation`` gives or receives, if given), each
    annotated with the day that places it in a period (``PLAN_AGREED_ON``): the day monitoring was agreed with the
    organisation, or the day the plan was made while it is not agreed yet."""
    plans = MonitoringPlan.objects.filter(relationship__compact=compact).annotate(
        **{PLAN_AGREED_ON: Coalesce("relationship__monitoring_agreed_date", TruncDate("created_at"))}
    )
    return _funded_by_or_for(plans, organisation)


def monitoring_returns_of(*, compact: Compact, organisation: Organisation | None = None) -> QuerySet[MonitoringReturn]:
    """The compact's monitoring returns (those of funding ``organisation`` gives or receives, if given)."""
    returns = MonitoringReturn.objects.filter(plan__relationship__compact=compact)
    if organisation is None:
        return returns
    return returns.filter(Q(plan__relationship__funder=organisation) | Q(plan__relationship__recipient=organisation))


def days_to_pay(
    *, compact: Compact, window_sets: Sequence[Sequence[Period]], organisation: Organisation | None = None
) -> list[list[tuple[int | None, int | None]]]:
    """For each window of each set, within how many working days half, and nine in ten, of the invoices paid in
    full then were paid (nearest rank); one query for every set."""
    records = invoices_of(compact=compact, organisation=organisation).filter(working_days_to_pay__isnull=False)
    found = percentiles_by_windows(
        records,
        field="working_days_to_pay",
        date_field="paid_date",
        window_sets=window_sets,
        fractions=DAYS_TO_PAY_FRACTIONS,
    )
    return [[tuple(row) for row in rows] for rows in found]


@dataclass(frozen=True)
class Total:
    """What one funder, or one mechanism, awarded in a period, and in the period before."""

    key: str  # the funder's slug or the mechanism's value, for the drill-down
    label: str
    awards: int
    amount: Decimal
    previous_awards: int = 0
    previous_amount: Decimal = Decimal(0)

    @property
    def change(self) -> Decimal:
        """The money awarded, up (+) or down (−) on the period before."""
        return self.amount - self.previous_amount


def _awards_in(
    *, compact: Compact, period: Period, previous: Period | None, organisation: Organisation | None
) -> QuerySet[Decision]:
    """The awards told during ``period`` or ``previous``, each annotated ``now``: 1 if told during ``period``."""
    told = AWARDS.in_window(period) if previous is None else AWARDS.in_window(period) | AWARDS.in_window(previous)
    now = Case(
        When(told_date__range=(period.start, period.end), then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    return decisions_of(compact=compact, organisation=organisation).filter(told).annotate(now=now).order_by()


def awards_by_mechanism_and_funder(
    *, compact: Compact, period: Period, organisation: Organisation | None = None, previous: Period | None = None
) -> tuple[list[Total], list[Total]]:
    """The awards told during ``period`` (and ``previous``, if given), totalled by mechanism and by funder, largest
    first this period (a funder or mechanism only the period before gave to comes last); one query."""
    rows = (
        _awards_in(compact=compact, period=period, previous=previous, organisation=organisation)
        .values_list("now", "relationship__mechanism", "relationship__funder__slug", "relationship__funder__name")
        .annotate(awards=Count("pk"), amount=Sum("relationship__amount"))
    )
    mechanisms, funders = {}, {}
    for now, mechanism, slug, name, awards, amount in rows:
        for totals, key, label in ((mechanisms, mechanism, Mechanism(mechanism).label), (funders, slug, name)):
            totals[key] = _add(totals.get(key) or Total(key, label, 0, Decimal(0)), now, awards, amount)
    return tuple(sorted(totals.values(), key=_largest_first) for totals in (mechanisms, funders))


def _largest_first(total) -> tuple:
    return (-total.amount, -total.previous_amount, total.label)


def _add(total, now: int, awards: int, amount: Decimal):
    """``total`` (a ``Total`` or ``Awarded``) with ``awards`` worth ``amount`` more, in the period or the one before."""
    if now:
        return replace(total, awards=total.awards + awards, amount=total.amount + amount)
    return replace(
        total, previous_awards=total.previous_awards + awards, previous_amount=total.previous_amount + amount
    )


# --- Equality: who the money reaches (19.3, 19.5, 20.3) --------------------------------------------------------------

# A small group (docs/domain.md): a VCS organisation with at most two paid staff (``Organisation.is_small_group``).
SMALL_GROUP = Q(
    relationship__recipient__side=Side.VCS, relationship__recipient__paid_staff__lte=SMALL_GROUP_MAX_PAID_STAFF
)
SMALL_GROUPS, EVERY_AWARD = "small groups", "every award"  # never a community's slug, which has no spaces


@dataclass(frozen=True)
class Awarded:
    """The awards told to one kind of organisation: in the period and the one before."""

    key: str  # the community's slug, SMALL_GROUPS or EVERY_AWARD
    label: str
    awards: int = 0
    amount: Decimal = Decimal(0)
    previous_awards: int = 0
    previous_amount: Decimal = Decimal(0)

    @property
    def change(self) -> Decimal:
        return self.amount - self.previous_amount


@dataclass(frozen=True)
class EqualityFunding:
    """The awards told to organisations serving each protected characteristic (every one, in the communities'
    order, with none where none), to small groups, and all the awards, in the period and the one before."""

    characteristics: list[Awarded]
    small_groups: Awarded
    every_award: Awarded

    @property
    def none(self) -> bool:
        """No award was told in either period."""
        return not (self.every_award.awards or self.every_award.previous_awards)


def equality_funding(
    *, compact: Compact, period: Period, previous: Period, organisation: Organisation | None = None
) -> EqualityFunding:
    """The awards told during ``period`` and ``previous`` to organisations serving each protected characteristic
    (an organisation serving two counts under each), to small groups, and in all; one query.

    The query is the union of four: the awards by each protected characteristic their recipient serves (a join, so
    an award counts once for each), those to small groups, all of them, and every protected characteristic (so one
    nobody was funded to serve is listed, with none)."""
    awards = _awards_in(compact=compact, period=period, previous=previous, organisation=organisation)
    money = {"awards": Count("pk"), "amount": Sum("relationship__amount")}
    served = "relationship__recipient__communities"

    def named(queryset, key, label):
        return queryset.annotate(group=Value(key, CharField()), label=Value(label, CharField()))

    rows = (
        awards.filter(**{f"{served}__protected_characteristic": True})
        .values_list("now", f"{served}__slug", f"{served}__name")
        .annotate(**money)
        .union(
            named(awards.filter(SMALL_GROUP), SMALL_GROUPS, "").values_list("now", "group", "label").annotate(**money),
            named(awards, EVERY_AWARD, "").values_list("now", "group", "label").annotate(**money),
            Community.objects.filter(protected_characteristic=True)
            .annotate(now=Value(-1, IntegerField()), awards=Value(0, IntegerField()), amount=Value(0, IntegerField()))
            .values_list("now", "slug", "name", "awards", "amount")
            .order_by(),
            all=True,
        )
    )
    groups = {
        SMALL_GROUPS: Awarded(SMALL_GROUPS, f"Small groups (at most {SMALL_GROUP_MAX_PAID_STAFF} paid staff)"),
        EVERY_AWARD: Awarded(EVERY_AWARD, "All awards"),
    }
    for now, key, label, count, amount in rows:
        total = groups.setdefault(key, Awarded(key, label))
        if now >= 0:
            groups[key] = _add(total, now, count, Decimal(amount or 0))
    characteristics = [total for key, total in groups.items() if key not in (SMALL_GROUPS, EVERY_AWARD)]
    return EqualityFunding(sorted(characteristics, key=lambda t: t.label), groups[SMALL_GROUPS], groups[EVERY_AWARD])
