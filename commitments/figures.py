"""The figure registry: every figure the dashboards, health checks, drill-downs, the report and its CSVs show,
declared by the app that owns its records.

As with the compliance rules (``commitments/rulebook.py``), each app lists its figures in its own
``figures.py``, imported when the apps are ready (``CommitmentsConfig.ready``); this app builds its pages from
the registry alone and never imports another app to count.

There are two kinds:

- A ``Figure`` counts records with a ``Measure`` (``compact_portal/figures.py``): the share of a promise
  *kept*, *explained* and *broken* (a measure with a ``met`` condition, citing its ``rule``), or a plain count
  (awards made, concerns received). Its ``records`` gives the compact's records; the figures of one kind of
  record are counted together, in one query for every window of the period and the one before. ``promiser``
  names the organisation whose promise it is and ``recipient`` the one it was made to, so a signatory's health
  check can say how it kept its own promises apart from how others kept theirs to it.
- A ``Figure`` with ``judged=False`` is a share that is no verdict: of the awards told in the period, how many
  (and how much money) included full cost recovery, or had payment in advance agreed. A compact asks for these
  where they fit the work, not of every award, so no record keeps or breaks anything: the dashboard shows them as
  "N% of awards" (``Figures.practice``), never among the promises kept and broken (``Figures.shares``). They are
  counted in the same query as the promises on the same records (a panel would cost one more query).
- A ``Panel`` is a figure that is not a share (within how many working days invoices were paid, concerns by
  stage, awards by mechanism and by funder): a function the owning app registers under a name the dashboard
  asks for (``PANELS``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, Q, QuerySet, Value

from compact_portal.figures import Measure

if TYPE_CHECKING:
    from compact_portal.periods import Period

    from .models import Compact, MeasurableRule, Organisation

RecordsOf = Callable[["Compact"], QuerySet]


@dataclass(frozen=True)
class Listing:
    """How a drill-down lists a figure's records: the template pair ``dashboard/records/<kind>_head.html`` and
    ``_row.html``, what to fetch with them, their order, and other orders by name (``?sort=``). ``record_type``
    names the records' type in the rulebook where a row links to the record's own page and that page opens for
    fewer people than see the figure: a row links only for those it opens for (rulebook.records_opening_for)."""

    kind: str
    related: tuple[str, ...] = ()
    order: tuple[str, ...] = ("pk",)
    sorts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    record_type: str = ""


@dataclass(frozen=True)
class Figure:
    """One figure counted on records.

    ``label`` names it in the headline table and the PDF; ``records_title`` heads the list of its records.
    ``promiser`` and ``recipient`` are lookups from a record to the organisation that made the promise and the
    one it was made to (``recipient`` blank where nobody in particular is). ``narrowing`` maps a drill-down's
    query parameters (``stage``, ``mechanism``, ``funder``) to lookups on the records. ``by_value`` also shows
    the share of the measure's ``amount``. ``headline`` figures open the dashboard; the others are drill-downs
    only (the records behind a panel's rows). ``judged`` is False for a share that is no verdict (the module's
    docstring explains): its records are listed without kept or broken, and it is shown as "N% of awards".
    """

    key: str
    label: str
    records_title: str
    measure: Measure
    records: RecordsOf
    listing: Listing
    promiser: str
    recipient: str = ""
    rule: MeasurableRule | None = None
    by_value: bool = False
    headline: bool = True
    narrowing: dict[str, str] = field(default_factory=dict)
    value_label: str = ""
    judged: bool = True
    recipient_filter: dict[str, Any] = field(default_factory=dict)  # with ``recipient``, on the same related row

    @property
    def is_promise(self) -> bool:
        """A share of a promise (kept, explained, broken): not a count, nor a share that is no verdict."""
        return self.judged and self.measure.is_promise

    @property
    def is_share(self) -> bool:
        """Counted as a share (a ``met`` condition), judged or not."""
        return self.measure.is_promise

    def verdict(self):
        """Each record's ``Verdict``, as an expression to annotate records with: None for a count, and for a share
        that is no verdict."""
        return self.measure.verdict() if self.is_promise else Value(None, output_field=CharField())

    def of(self, *, compact: Compact, organisation: Organisation | None = None, role: str = "") -> QuerySet:
        """The compact's records this figure counts: all, or those of ``organisation``: as the one promising
        (``role="promiser"``), as the one promised to (``"recipient"``), or either (no role)."""
        records = self.records(compact)
        if organisation is None:
            return records
        return records.filter(self.involving(compact=compact, organisation=organisation, role=role))

    def involving(self, *, compact: Compact, organisation: Organisation, role: str = "") -> Q:
        """The records of ``organisation`` in ``role`` (either, if blank). A subquery by primary key, so a
        lookup across a one-to-many relation (a consultation's responses) never counts a record twice."""
        lookups = {"promiser": [self.promiser], "recipient": [self.recipient] if self.recipient else []}
        chosen = lookups.get(role, [self.promiser, self.recipient] if self.recipient else [self.promiser])
        if not chosen:
            return Q(pk__in=[])
        matching = Q()
        for lookup in chosen:
            # In one Q, so a condition on the recipient's row (a response submitted) is on the same related row.
            extra = self.recipient_filter if lookup == self.recipient else {}
            matching |= Q(**{lookup: organisation}, **extra)
        return Q(pk__in=self.records(compact).filter(matching).values("pk"))


PROMISER, RECIPIENT = "promiser", "recipient"


@dataclass(frozen=True)
class PanelScope:
    """What a panel is computed for: a compact (or one organisation's part) over a period, the one before, and
    the steps of both (``windows``: the previous period's steps, then the period's)."""

    compact: Compact
    organisation: Organisation | None
    period: Period
    previous: Period
    steps: Sequence[Period]
    windows: Sequence[Period]
    today: datetime.date


Panel = Callable[[PanelScope], Any]

# The panels the dashboard shows, by name, and what each returns.
PANELS = {
    "days_to_pay": "DaysToPay: within how many working days half and nine in ten of the invoices were paid",
    "cases_by_stage": "(stages, received): concerns received in the period by stage today, and in each window",
    "awards_by_mechanism_and_funder": "(by mechanism, by funder): lists of Total (this period's and the one before's)",
    "equality_funding": "EqualityFunding: awards to organisations serving each protected characteristic and to small "
    "groups, in the period and the one before",
    "action_plan": "ActionPlan: the compact's action plan today (its actions led by the organisation, for a health "
    "check): how many done, on track, not started, at risk, late and dropped, and the late ones",
}

_FIGURES: dict[str, Figure] = {}
_PANELS: dict[str, Panel] = {}


def register(*figures: Figure) -> None:
    for figure in figures:
        if figure.key in _FIGURES:
            raise ValueError(f"the figure {figure.key!r} is registered twice")
        _FIGURES[figure.key] = figure


def register_panel(name: str, panel: Panel) -> None:
    if name not in PANELS:
        raise ValueError(f"unknown panel {name!r}; expected one of {', '.join(PANELS)}")
    _PANELS[name] = panel


def all_figures() -> list[Figure]:
    """Every registered figure, in the order registered (the apps' order in ``INSTALLED_APPS``)."""
    return list(_FIGURES.values())


def headline_figures() -> list[Figure]:
    return [figure for figure in _FIGURES.values() if figure.headline]


def figure(key: str) -> Figure:
    """The figure registered under ``key``; raises ``KeyError`` for one that does not exist."""
    return _FIGURES[key]


def panel(name: str, scope: PanelScope) -> Any:
    """What the panel registered under ``name`` gives for ``scope``; None if no app registered it."""
    compute = _PANELS.get(name)
    return compute(scope) if compute else None


def figures_by_records(figures: Sequence[Figure]) -> list[list[Figure]]:
    """``figures`` grouped by the records they count (in first-seen order): each group is one query."""
    groups: dict[RecordsOf, list[Figure]] = {}
    for each in figures:
        groups.setdefault(each.records, []).append(each)
    return list(groups.values())


def waived(record_type: str, *rules: str, lookup: str = "pk") -> Q:
    """The records (found by ``lookup``, the field holding the flagged record's id) with a flag of one of
    ``rules`` that a champion waived with a reason: the promise is then *explained*."""
    from .models import Flag, FlagStatus

    flagged = Flag.objects.filter(record_type=record_type, rule__in=rules, status=FlagStatus.WAIVED)
    return Q(**{f"{lookup}__in": flagged.values("record_id")})


# --- The compact's own panel: its action plan ------------------------------------------------------------------


@dataclass(frozen=True)
class ActionPlan:
    """Where the compact's action plan stands today: its ``PlanSummary`` and its late actions, the latest first."""

    summary: Any
    late: list


def _action_plan(scope: PanelScope) -> ActionPlan:
    """Two queries: the counts, and the late actions with their objective and lead."""
    from .selectors.plans import late_actions, plan_summary  # the selectors read the registry: imported when asked

    mine = {"organisation": scope.organisation}
    return ActionPlan(
        summary=plan_summary(compact=scope.compact, today=scope.today, **mine),
        late=list(late_actions(compact=scope.compact, today=scope.today, **mine)),
    )


register_panel("action_plan", _action_plan)
