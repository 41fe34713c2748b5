"""The funding figures of every dashboard, health check and report (``commitments/figures.py`` explains).

The measures themselves, and the queries behind the panels, are in ``selectors/figures.py``.

Full cost recovery (8.1–8.2) and payment in advance (11.1) are shares of the awards, not promises every award must
keep, so they are registered with ``judged=False``: they ride in the one query that counts the decisions' promises
and the dashboard shows them as "N% of awards" (``Figures.practice``), never as kept or broken. Who the money
reaches (each protected characteristic, small groups: 19.3, 19.5, 20.3) is the ``equality_funding`` panel, and
the money by mechanism and by funder carries the period before's totals for the trend.

Monitoring returns made on time (17.3) is the organisation's undertaking to its funder, so its ``promiser`` is the
recipient: a charity's health check counts it among its own promises. The improvement timetable before an ending for
performance (12.7) counts the notices, in the same query as the notice period (13.3).
"""

from commitments.figures import Figure, Listing, PanelScope, register, register_panel
from commitments.models import MeasurableRule, RecordType

from .models import Decision, Invoice, Notice
from .selectors.figures import (
    AWARDS,
    FULL_COST_RECOVERY,
    IMPROVEMENT_TIMETABLE,
    MONITORING_PROPORTIONATE,
    MULTI_YEAR,
    NOTICE_LONG_ENOUGH,
    PAID_ON_TIME,
    PAYMENT_IN_ADVANCE,
    PLAN_AGREED_ON,
    RETURNS_ON_TIME,
    TOLD_IN_TIME,
    awards_by_mechanism_and_funder,
    days_to_pay,
    equality_funding,
    monitoring_plans_of,
    monitoring_returns_of,
)


def invoices(compact):
    return Invoice.objects.filter(compact=compact)


def decisions(compact):
    return Decision.objects.filter(relationship__compact=compact)


def notices(compact):
    return Notice.objects.filter(relationship__compact=compact)


def monitoring_plans(compact):
    return monitoring_plans_of(compact=compact)


def monitoring_returns(compact):
    return monitoring_returns_of(compact=compact)


FUNDER, RECIPIENT = "relationship__funder", "relationship__recipient"
_FUNDING = ("relationship__funder", "relationship__recipient")
_DECISIONS = Listing("decisions", _FUNDING, ("told_date", "pk"))

register(
    Figure(
        "paid_on_time",
        "Invoices paid within the agreed working days",
        "Invoices paid in full",
        PAID_ON_TIME,
        invoices,
        Listing("invoices", _FUNDING, ("paid_date", "pk"), sorts={"days": ("working_days_to_pay", "pk")}),
        FUNDER,
        RECIPIENT,
        MeasurableRule.PROMPT_PAYMENT,
    ),
    Figure(
        "told_in_time",
        "Funding decisions told in time before the start",
        "Funding decisions told",
        TOLD_IN_TIME,
        decisions,
        _DECISIONS,
        FUNDER,
        RECIPIENT,
        MeasurableRule.DECISION_LEAD_TIME,
    ),
    Figure(
        "notice_long_enough",
        "Notices giving the full notice period",
        "Notices given",
        NOTICE_LONG_ENOUGH,
        notices,
        Listing("notices", _FUNDING, ("notice_date", "pk")),
        FUNDER,
        RECIPIENT,
        MeasurableRule.NOTICE_PERIOD,
    ),
    Figure(
        "multi_year",
        "Awards of multi-year funding",
        "Awards with a known term",
        MULTI_YEAR,
        decisions,
        _DECISIONS,
        FUNDER,
        RECIPIENT,
        MeasurableRule.FUNDING_TERM,
        by_value=True,
        value_label="Multi-year funding, by value",
    ),
    Figure(
        "awards",
        "Funding awarded",
        "Funding awarded",
        AWARDS,
        decisions,
        _DECISIONS,
        FUNDER,
        RECIPIENT,
        headline=False,
        narrowing={"mechanism": "relationship__mechanism", "funder": "relationship__funder__slug"},
    ),
    Figure(
        "full_cost_recovery",
        "Awards with full cost recovery (overheads and volunteer costs)",
        "Awards told, with or without full cost recovery",
        FULL_COST_RECOVERY,
        decisions,
        _DECISIONS,
        FUNDER,
        RECIPIENT,
        MeasurableRule.FULL_COST_RECOVERY,
        by_value=True,
        value_label="Full cost recovery, by value",
        judged=False,
    ),
    Figure(
        "payment_in_advance",
        "Awards with payment in advance agreed",
        "Awards told, with or without payment in advance",
        PAYMENT_IN_ADVANCE,
        decisions,
        _DECISIONS,
        FUNDER,
        RECIPIENT,
        MeasurableRule.PAYMENT_IN_ADVANCE,
        by_value=True,
        value_label="Payment in advance, by value",
        judged=False,
    ),
    # 12.3: the funder asks for no more returns a year than the compact's band for the funding's value allows.
    Figure(
        "monitoring_proportionate",
        "Monitoring plans proportionate to the funding's value",
        "Monitoring plans agreed",
        MONITORING_PROPORTIONATE,
        monitoring_plans,
        Listing("monitoring_plans", _FUNDING, (PLAN_AGREED_ON, "pk")),
        FUNDER,
        RECIPIENT,
        MeasurableRule.MONITORING_PROPORTIONATE,
    ),
    # 17.3: the organisation's undertaking, to the funder: its returns made by their due dates. A return's page
    # opens only for the two organisations (and administrators), so a row links only for them.
    Figure(
        "returns_on_time",
        "Monitoring returns made on time",
        "Monitoring returns due",
        RETURNS_ON_TIME,
        monitoring_returns,
        Listing(
            "monitoring_returns",
            ("plan__relationship__funder", "plan__relationship__recipient"),
            ("due_date", "pk"),
            record_type=RecordType.MONITORING_RETURN,
        ),
        "plan__relationship__recipient",
        "plan__relationship__funder",
        MeasurableRule.MONITORING_RETURNS,
    ),
    # 12.7: counted with the notices, in the same query as the notice period.
    Figure(
        "improvement_timetable",
        "Improvement timetable agreed before ending for performance",
        "Notices ending or reducing funding for performance",
        IMPROVEMENT_TIMETABLE,
        notices,
        Listing("performance_notices", _FUNDING, ("notice_date", "pk")),
        FUNDER,
        RECIPIENT,
        MeasurableRule.IMPROVEMENT_TIMETABLE,
    ),
)


def _days_to_pay(scope: PanelScope):
    """(the previous period's and the period's (median, 90th percentile)), and the median step by step; one
    query."""
    both, by_step = days_to_pay(
        compact=scope.compact,
        organisation=scope.organisation,
        window_sets=[[scope.previous, scope.period], scope.steps],
    )
    return both, by_step


def _awards(scope: PanelScope):
    return awards_by_mechanism_and_funder(
        compact=scope.compact, period=scope.period, organisation=scope.organisation, previous=scope.previous
    )


def _equality(scope: PanelScope):
    return equality_funding(
        compact=scope.compact, period=scope.period, previous=scope.previous, organisation=scope.organisation
    )


register_panel("days_to_pay", _days_to_pay)
register_panel("awards_by_mechanism_and_funder", _awards)
register_panel("equality_funding", _equality)
