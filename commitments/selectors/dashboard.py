"""The champions' dashboard, the per-signatory scorecard and the compliance report: one set of figures.

``compact_figures`` gathers every headline figure of a compact (or of one of its signatories) for a
period, the previous period and each month or quarter of both, from each app's figure selectors: ten
queries (nine for one signatory) whatever the size of the data. ``figure_records`` gives the records
behind any figure, picked by the same definitions, for its drill-down.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, OuterRef, QuerySet, When

from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role
from compact_portal.figures import Share, add_shares
from compact_portal.periods import Period

from ..compliance import PORTAL_DEFAULT
from ..models import (
    Champion,
    Compact,
    ComplianceReport,
    Flag,
    FlagStatus,
    MeasurableRule,
    Organisation,
    Side,
    Signature,
)
from . import (
    SIGNED,
    FlagCount,
    commitments_carrying_rules,
    open_flags_by_rule_and_clause,
    signatories_by_side,
    signatures_on,
)

MONTH, QUARTER = "month", "quarter"


# --- Who may see what ---------------------------------------------------------------------------------
# The dashboard and the reports: administrators, and the compact's champions. A signatory's scorecard:
# those, and the organisation's own members, for its own card only. Anyone else is told it does not exist.


def dashboard_compact(*, user: User, slug: str) -> Compact:
    """The compact, if ``user`` may see its dashboard and reports; raises ``Compact.DoesNotExist`` otherwise.
    One query (the person's roles are read once per request)."""
    compact = Compact.objects.annotate(
        championed=Exists(Champion.objects.filter(user_id=user.pk, compact=OuterRef("pk")))
    ).get(slug=slug)
    if not (compact.championed or user.has_role(Role.ADMINISTRATOR)):
        raise Compact.DoesNotExist
    return compact


def scorecard_signature(*, user: User, slug: str, organisation_slug: str) -> Signature:
    """The organisation's signature of the compact, with both, if ``user`` may see its scorecard; raises
    ``Signature.DoesNotExist`` otherwise. One query."""
    signature = (
        Signature.objects.select_related("compact", "organisation")
        .annotate(
            championed=Exists(Champion.objects.filter(user_id=user.pk, compact=OuterRef("compact_id"))),
            member=Exists(Membership.objects.filter(user_id=user.pk, organisation=OuterRef("organisation_id"))),
        )
        .filter(status__in=SIGNED)
        .get(compact__slug=slug, organisation__slug=organisation_slug)
    )
    if not (signature.championed or signature.member or user.has_role(Role.ADMINISTRATOR)):
        raise Signature.DoesNotExist
    return signature


def compacts_championed(*, user: User) -> QuerySet[Compact]:
    """The compacts whose dashboards ``user`` may open: all of them for administrators."""
    if user.has_role(Role.ADMINISTRATOR):
        return Compact.objects.order_by("name")
    return Compact.objects.filter(Exists(Champion.objects.filter(user_id=user.pk, compact=OuterRef("pk")))).order_by(
        "name"
    )


def reports_of(*, compact: Compact) -> QuerySet[ComplianceReport]:
    return ComplianceReport.objects.filter(compact=compact).select_related("requested_by")


def report_for(*, user: User, pk: int) -> ComplianceReport:
    """A report, if ``user`` may see its compact's dashboard; raises ``ComplianceReport.DoesNotExist``."""
    report = ComplianceReport.objects.select_related("compact", "requested_by").get(pk=pk)
    try:
        dashboard_compact(user=user, slug=report.compact.slug)
    except Compact.DoesNotExist:
        raise ComplianceReport.DoesNotExist from None
    return report


TREND_STEPS = {MONTH: "By month", QUARTER: "By quarter"}


def trend_steps(period: Period, step: str) -> list[Period]:
    return period.months() if step == MONTH else period.quarters()


def default_step(period: Period) -> str:
    """Months, unless that would draw more than two years of bars."""
    return MONTH if len(period.months()) <= 24 else QUARTER


RULE = MeasurableRule


@dataclass(frozen=True)
class ShareFigure:
    """One promise's share kept: in the period, in the period before, and step by step across both."""

    key: str  # names the drill-down's records
    label: str
    clause: str
    current: Share
    previous: Share
    trend: list[Share]  # the current period's steps
    by_value: bool = False  # a share of pounds, not of records

    @property
    def change(self) -> int | None:
        """Percentage points up (+) or down (−) on the previous period; None unless both had records."""
        if self.current.percent is None or self.previous.percent is None:
            return None
        return self.current.percent - self.previous.percent


@dataclass(frozen=True)
class DaysToPay:
    """Within how many working days half and nine in ten of the invoices paid in full were paid."""

    median: int | None
    p90: int | None
    previous_median: int | None
    previous_p90: int | None
    trend: list[int | None]  # the median, step by step


@dataclass(frozen=True)
class Figures:
    """Every headline figure of a compact (or one signatory's) for a period."""

    compact: Compact
    organisation: Organisation | None
    period: Period
    previous: Period
    steps: list[Period]
    step: str
    today: datetime.date
    signatories: dict[str, tuple[int, int]]  # side: (at the period's end, at the previous period's end)
    shares: list[ShareFigure]
    days_to_pay: DaysToPay
    flags_by_rule: list[FlagCount]
    flags_by_clause: list[FlagCount]
    stages: list  # disputes.selectors.StageAge, received in the period, by stage today
    cases_received: ShareFigure  # counts only: total is the number received
    by_mechanism: list  # funding.selectors.figures.Total
    by_funder: list
    step_labels: list[str] = field(default_factory=list)

    def share(self, key: str) -> ShareFigure:
        return next(figure for figure in self.shares if figure.key == key)

    @property
    def open_flags(self) -> int:
        return sum(flag.count for flag in self.flags_by_rule)


def compact_figures(
    *,
    compact: Compact,
    period: Period,
    today: datetime.date,
    step: str | None = None,
    organisation: Organisation | None = None,
) -> Figures:
    """Every headline figure of ``compact`` for ``period`` (only ``organisation``'s part, if given), with the
    previous period and a trend by ``step``; ten queries (nine for one organisation)."""
    # Imported here: the funding, consultations and disputes apps build on commitments, not the reverse.
    from consultations.selectors import consultation_shares
    from disputes.selectors import cases_by_stage
    from funding.selectors.figures import (
        awards_by_mechanism_and_funder,
        days_to_pay,
        decision_shares,
        notice_shares,
        payment_shares,
    )

    step = step or default_step(period)
    previous = period.previous()
    steps, earlier_steps = trend_steps(period, step), trend_steps(previous, step)
    windows = earlier_steps + steps
    scope = {"compact": compact, "organisation": organisation, "windows": windows}

    shares = {"paid_on_time": payment_shares(**scope)}
    shares |= decision_shares(**scope)
    shares["notice_long_enough"] = notice_shares(**scope)
    shares |= consultation_shares(**scope)

    cited = {rule: code for (_id, rule), (code, _pk) in commitments_carrying_rules(compact=compact).items()}

    def figure(key: str, label: str, rule: MeasurableRule, by_value: bool = False) -> ShareFigure:
        before, now = shares[key][: len(earlier_steps)], shares[key][len(earlier_steps) :]
        clause = cited.get(rule, PORTAL_DEFAULT)  # a promise the compact's document does not make
        return ShareFigure(
            key.removesuffix("_value"), label, clause, add_shares(now), add_shares(before), now, by_value
        )

    paid = days_to_pay(compact=compact, organisation=organisation, windows=[previous, period])
    paid_by_step = days_to_pay(compact=compact, organisation=organisation, windows=steps)
    stages, received = cases_by_stage(
        compact=compact, period=period, windows=windows, today=today, organisation=organisation
    )
    by_rule, by_clause = open_flags_by_rule_and_clause(compact=compact, organisation=organisation)
    by_mechanism, by_funder = awards_by_mechanism_and_funder(compact=compact, period=period, organisation=organisation)
    if organisation is None:
        now, before = signatories_by_side(compact=compact, dates=[period.end, previous.end])
        signatories = {side: (now[side], before[side]) for side in Side.values}
    else:
        signatories = {}
    received_before, received_now = received[: len(earlier_steps)], received[len(earlier_steps) :]
    return Figures(
        compact=compact,
        organisation=organisation,
        period=period,
        previous=previous,
        steps=steps,
        step=step,
        today=today,
        signatories=signatories,
        shares=[
            figure("paid_on_time", "Invoices paid within the agreed working days", MeasurableRule.PROMPT_PAYMENT),
            figure(
                "told_in_time", "Funding decisions told in time before the start", MeasurableRule.DECISION_LEAD_TIME
            ),
            figure("notice_long_enough", "Notices giving the full notice period", MeasurableRule.NOTICE_PERIOD),
            figure("multi_year", "Awards of multi-year funding", MeasurableRule.FUNDING_TERM),
            figure("multi_year_value", "Multi-year funding, by value", MeasurableRule.FUNDING_TERM, by_value=True),
            figure("long_enough", "Consultations lasting the minimum length", MeasurableRule.CONSULTATION_LENGTH),
            figure("feedback_on_time", "Consultation feedback published on time", RULE.CONSULTATION_FEEDBACK),
        ],
        days_to_pay=DaysToPay(
            median=paid[1][0],
            p90=paid[1][1],
            previous_median=paid[0][0],
            previous_p90=paid[0][1],
            trend=[median for median, _ in paid_by_step],
        ),
        flags_by_rule=by_rule,
        flags_by_clause=by_clause,
        stages=stages,
        cases_received=ShareFigure(
            "cases",
            "Compact concerns received",
            "",
            Share(sum(received_now), sum(received_now)),
            Share(sum(received_before), sum(received_before)),
            [Share(n, n) for n in received_now],
        ),
        by_mechanism=by_mechanism,
        by_funder=by_funder,
        step_labels=[_step_label(s, step) for s in steps],
    )


def _step_label(window: Period, step: str) -> str:
    if step == MONTH:
        return f"{window.start:%b %Y}"
    return f"Q{(window.start.month - 1) // 3 + 1} {window.start.year}"


# --- The records behind a figure --------------------------------------------------------------------


def figure_sources() -> dict:
    """Every figure's records and measure, by the figure's key."""
    from consultations.selectors import FIGURE_RECORDS as consultations
    from disputes.selectors import FIGURE_RECORDS as disputes
    from funding.selectors.figures import FIGURE_RECORDS as funding

    return funding | consultations | disputes


def figure_records(
    *,
    key: str,
    compact: Compact,
    period: Period,
    met: bool | None = None,
    organisation: Organisation | None = None,
    side: str = "",
    stage: str = "",
    mechanism: str = "",
    funder: str = "",
) -> QuerySet:
    """The records a figure counted for ``period``: all of them, or only those that kept the promise
    (``met=True``) or broke it (``met=False``); narrowed to one side (signatories), one stage (cases), one
    mechanism or one funder's slug (awards). Raises ``KeyError`` for a figure that does not exist."""
    if key == "signatories":
        return signatures_on(compact=compact, on=period.end, organisation=organisation, side=side)
    records, measure = figure_sources()[key]
    chosen = records(compact=compact, organisation=organisation).filter(measure.in_window(period))
    narrowing = {"stage": stage, "relationship__mechanism": mechanism, "relationship__funder__slug": funder}
    chosen = chosen.filter(**{name: value for name, value in narrowing.items() if value})
    if not measure.met:  # a count, not a promise: nothing is kept or broken
        return chosen
    if met is True:
        chosen = chosen.filter(measure.met)
    elif met is False:
        chosen = chosen.exclude(measure.met)
    return chosen


# --- The report's lists ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportLists:
    """What the report lists beyond the dashboard's figures."""

    breaches_by_commitment: list[tuple[str, str, int]]  # clause, commitment, open flags
    breaches_by_signatory: list[tuple[str, int]]  # organisation, open flags
    open_flags: list  # Flag, with compact, organisation and commitment
    consultations: list  # Consultation, with body and feedback
    notices: list  # Notice, with the relationship's funder and recipient, annotated ``full_notice`` (13.3)


def report_lists(*, compact: Compact, period: Period) -> ReportLists:
    """The compact's open flags (by commitment, by signatory, and each one), the consultations opened or
    owing feedback during ``period``, and the notices given then; five queries."""
    from consultations.selectors import FEEDBACK_ON_TIME, LONG_ENOUGH, consultations_of
    from funding.selectors.figures import NOTICE_LONG_ENOUGH, notices_of

    flags = Flag.objects.filter(compact=compact, status=FlagStatus.OPEN)
    by_commitment = flags.values_list("clause", "commitment__summary").annotate(n=Count("pk")).order_by("-n", "clause")
    by_signatory = flags.values_list("organisation__name").annotate(n=Count("pk")).order_by("-n", "organisation__name")
    consultations = (
        consultations_of(compact=compact)
        .filter(LONG_ENOUGH.in_window(period) | FEEDBACK_ON_TIME.in_window(period))
        .select_related("body", "feedback")
        .order_by("open_date", "pk")
    )
    notices = (
        notices_of(compact=compact)
        .filter(NOTICE_LONG_ENOUGH.in_window(period))
        .annotate(full_notice=Case(When(NOTICE_LONG_ENOUGH.met, then=True), default=False))
        .select_related("relationship__funder", "relationship__recipient")
        .order_by("notice_date", "pk")
    )
    return ReportLists(
        breaches_by_commitment=[
            (clause or PORTAL_DEFAULT, title or "the compact states no such rule", n)
            for clause, title, n in by_commitment
        ],
        breaches_by_signatory=[(name or "The compact as a whole", n) for name, n in by_signatory],
        open_flags=list(flags.select_related("organisation", "commitment").order_by("clause", "due_date", "pk")),
        consultations=list(consultations),
        notices=list(notices),
    )
