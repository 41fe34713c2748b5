"""The champions' dashboard, the per-signatory scorecard and the compliance report: one set of figures.

``compact_figures`` gathers every headline figure of a compact (or of one of its signatories) for a
period, the previous period and each month or quarter of both, from each app's figure selectors: ten
queries (nine for one signatory) whatever the size of the data. ``figure_records`` gives the records
behind any figure, picked by the same definitions, for its drill-down.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When

from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role
from compact_portal.figures import Share, add_shares, shares_by_window_and_group
from compact_portal.periods import Period

from .. import figures as registry
from ..models import (
    Champion,
    Compact,
    ComplianceReport,
    Flag,
    FlagStatus,
    Organisation,
    Side,
    Signature,
)
from ..rulebook import PORTAL_DEFAULT
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


@dataclass(frozen=True)
class ShareFigure:
    """One promise's shares kept, explained and broken: in the period, in the period before, and step by step
    across both."""

    key: str  # the registered figure's key: names the drill-down's records
    label: str
    clause: str
    current: Share
    previous: Share
    trend: list[Share]  # the current period's steps
    by_value: bool = False  # a share of pounds, not of records
    rule: str = ""  # the MeasurableRule it measures

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
    """Every headline figure of a compact (or one signatory's) for a period.

    For the compact, ``shares`` are all its promises. For one signatory (its health check), ``shares`` are the
    promises it made (as a funder, or a body running a consultation) and ``treated`` those made to it (the
    funding it receives, the consultations it answered): a charity is never scored for a council's failure.
    """

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
    stages: list  # disputes' StageAge, received in the period, by stage today
    cases_received: ShareFigure  # counts only: total is the number received
    by_mechanism: list  # funding's Total
    by_funder: list
    step_labels: list[str] = field(default_factory=list)
    treated: list[ShareFigure] = field(default_factory=list)
    panels: dict = field(default_factory=dict)
    # Shares that are no verdict (``Figure.judged`` False: full cost recovery, payment in advance): "N% of awards",
    # never kept or broken. For one signatory, of the records it is in either way (the awards it gave or received).
    practice: list[ShareFigure] = field(default_factory=list)

    def share(self, key: str) -> ShareFigure:
        return next(figure for figure in [*self.shares, *self.treated, *self.practice] if figure.key == key)

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
    previous period and a trend by ``step``, from the figures and panels the apps register
    (``commitments/figures.py``): one query per kind of record, one per panel query, and four more, whatever
    the size of the data."""
    step = step or default_step(period)
    previous = period.previous()
    steps, earlier_steps = trend_steps(period, step), trend_steps(previous, step)
    windows = earlier_steps + steps

    cited = {rule: code for (_id, rule), (code, _pk) in commitments_carrying_rules(compact=compact).items()}
    shares_counted = [figure for figure in registry.headline_figures() if figure.is_share]
    promises = [figure for figure in shares_counted if figure.is_promise]
    practice = [figure for figure in shares_counted if not figure.judged]  # counted with them, shown apart
    roles = [""] if organisation is None else [registry.PROMISER, registry.RECIPIENT]
    counted: dict[str, dict[str, list[Share]]] = {role: {} for role in roles}
    for group in registry.figures_by_records(shares_counted):
        first = group[0]
        if organisation is None:
            groups = {"": Q()}
        else:
            groups = {role: first.involving(compact=compact, organisation=organisation, role=role) for role in roles}
        found = shares_by_window_and_group(
            first.records(compact), [figure.measure for figure in group], windows, groups
        )
        for role, shares in found.items():
            counted[role] |= shares

    def share_figures(shares: dict[str, list[Share]], chosen=promises) -> list[ShareFigure]:
        made = []
        for figure in chosen:
            clause = cited.get(figure.rule, PORTAL_DEFAULT)  # a promise the compact's document does not make
            keys = [(figure.key, figure.label, False)]
            if figure.by_value:
                keys.append((f"{figure.key}_value", figure.value_label, True))
            for key, label, by_value in keys:
                before, now = shares[key][: len(earlier_steps)], shares[key][len(earlier_steps) :]
                made.append(
                    ShareFigure(
                        figure.key, label, clause, add_shares(now), add_shares(before), now, by_value, figure.rule
                    )
                )
        return made

    scope = registry.PanelScope(compact, organisation, period, previous, steps, windows, today)
    panels = {name: registry.panel(name, scope) for name in registry.PANELS}
    (paid_both, paid_by_step) = panels["days_to_pay"] or ([(None, None), (None, None)], [(None, None)] * len(steps))
    stages, received = panels["cases_by_stage"] or ([], [0] * len(windows))
    by_mechanism, by_funder = panels["awards_by_mechanism_and_funder"] or ([], [])
    by_rule, by_clause = open_flags_by_rule_and_clause(compact=compact, organisation=organisation)
    if organisation is None:
        now, before = signatories_by_side(compact=compact, dates=[period.end, previous.end])
        signatories = {side: (now[side], before[side]) for side in Side.values}
        shares, treated = share_figures(counted[""]), []
        practiced = share_figures(counted[""], practice)
    else:
        signatories = {}
        shares, treated = share_figures(counted[registry.PROMISER]), share_figures(counted[registry.RECIPIENT])
        made, to = counted[registry.PROMISER], counted[registry.RECIPIENT]  # each record is counted in one only
        either = {key: [add_shares(pair) for pair in zip(made[key], to[key], strict=True)] for key in made}
        practiced = share_figures(either, practice)
    received_before, received_now = received[: len(earlier_steps)], received[len(earlier_steps) :]
    cases = registry.figure("cases") if "cases" in {f.key for f in registry.all_figures()} else None
    return Figures(
        compact=compact,
        organisation=organisation,
        period=period,
        previous=previous,
        steps=steps,
        step=step,
        today=today,
        signatories=signatories,
        shares=shares,
        treated=treated,
        days_to_pay=DaysToPay(
            median=paid_both[1][0],
            p90=paid_both[1][1],
            previous_median=paid_both[0][0],
            previous_p90=paid_both[0][1],
            trend=[median for median, _ in paid_by_step],
        ),
        flags_by_rule=by_rule,
        flags_by_clause=by_clause,
        stages=stages,
        cases_received=ShareFigure(
            "cases",
            cases.label if cases else "Compact concerns received",
            "",
            Share(sum(received_now), sum(received_now)),
            Share(sum(received_before), sum(received_before)),
            [Share(n, n) for n in received_now],
        ),
        by_mechanism=by_mechanism,
        by_funder=by_funder,
        step_labels=[_step_label(s, step) for s in steps],
        panels=panels,
        practice=practiced,
    )


def _step_label(window: Period, step: str) -> str:
    if step == MONTH:
        return f"{window.start:%b %Y}"
    return f"Q{(window.start.month - 1) // 3 + 1} {window.start.year}"


# --- The records behind a figure --------------------------------------------------------------------


def figure_records(
    *,
    key: str,
    compact: Compact,
    period: Period,
    verdict: str = "",
    organisation: Organisation | None = None,
    role: str = "",
    side: str = "",
    **narrowing: str,
) -> QuerySet:
    """The records a figure counted for ``period``, each annotated with its ``verdict`` (kept, explained or
    broken; None for a count): all of them, or only those of one ``Verdict``; ``organisation``'s part (in
    ``role``, or either); narrowed to one side (signatories) or by the figure's own ``narrowing`` (a stage, a
    mechanism, a funder's slug). Raises ``KeyError`` for a figure that does not exist."""
    if key == "signatories":
        return signatures_on(compact=compact, on=period.end, organisation=organisation, side=side)
    figure = registry.figure(key)
    measure = figure.measure
    chosen = figure.of(compact=compact, organisation=organisation, role=role).filter(measure.in_window(period))
    chosen = chosen.filter(
        **{figure.narrowing[name]: value for name, value in narrowing.items() if value and name in figure.narrowing}
    )
    chosen = chosen.annotate(verdict=figure.verdict())
    if figure.is_promise and verdict:
        chosen = chosen.filter(measure.of_verdict(verdict))
    return chosen


# --- The report's lists ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportLists:
    """What the report lists beyond the dashboard's figures."""

    breaches_by_commitment: list[tuple[str, str, int]]  # clause, commitment, open flags
    breaches_by_signatory: list[tuple[str, int]]  # organisation, open flags
    open_flags: list  # Flag, with compact, organisation and commitment
    consultations: list  # Consultation, with body and feedback, and ``length_verdict`` and ``feedback_verdict``
    # Notice, with the relationship's funder and recipient, annotated with its ``verdict`` (13.3) and, for an ending
    # for performance, its ``timetable_verdict`` (12.7)
    notices: list


def report_lists(*, compact: Compact, period: Period) -> ReportLists:
    """The compact's open flags (by commitment, by signatory, and each one), the consultations opened or
    owing feedback during ``period``, and the notices given then; five queries."""
    flags = Flag.objects.filter(compact=compact, status=FlagStatus.OPEN)
    by_commitment = flags.values_list("clause", "commitment__summary").annotate(n=Count("pk")).order_by("-n", "clause")
    by_signatory = flags.values_list("organisation__name").annotate(n=Count("pk")).order_by("-n", "organisation__name")
    long_enough, feedback = registry.figure("long_enough"), registry.figure("feedback_on_time")
    consultations = (
        long_enough.of(compact=compact)
        .filter(long_enough.measure.in_window(period) | feedback.measure.in_window(period))
        .annotate(length_verdict=long_enough.measure.verdict(), feedback_verdict=feedback.measure.verdict())
        .select_related("body", "feedback")
        .order_by("open_date", "pk")
    )
    notice, timetable = registry.figure("notice_long_enough"), registry.figure("improvement_timetable")
    notices = (
        notice.of(compact=compact)
        .filter(notice.measure.in_window(period) | timetable.measure.in_window(period))
        .annotate(
            verdict=notice.measure.verdict(),
            # 12.7, for the notices that figure counts (endings for performance); None for the others.
            timetable_verdict=Case(
                When(timetable.measure.counted, then=timetable.measure.verdict()),
                default=Value(None),
                output_field=CharField(),
            ),
        )
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
