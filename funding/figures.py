"""The funding figures of every dashboard, health check and report (``commitments/figures.py`` explains).

The measures themselves, and the queries behind the panels, are in ``selectors/figures.py``.

Full cost recovery (8.1–8.2) and payment in advance (11.1) are shares of the awards, not promises every award must
keep, so they are registered with ``judged=False``: they ride in the one query that counts the decisions' promises
and the dashboard shows them as "N% of awards" (``Figures.practice``), never as kept or broken. Who the money
reaches (each protected characteristic, small groups: 19.3, 19.5, 20.3) is the ``equality_funding`` panel, and
the money by mechanism and by funder carries the period before's totals for the trend.
"""

from commitments.figures import Figure, Listing, PanelScope, register, register_panel
from commitments.models import MeasurableRule

from .models import Decision, Invoice, Notice
from .selectors.figures import (
    AWARDS,
    FULL_COST_RECOVERY,
    MULTI_YEAR,
    NOTICE_LONG_ENOUGH,
    PAID_ON_TIME,
    PAYMENT_IN_ADVANCE,
    TOLD_IN_TIME,
    awards_by_mechanism_and_funder,
    days_to_pay,
    equality_funding,
)


def invoices(compact):
    return Invoice.objects.filter(compact=compact)


def decisions(compact):
    return Decision.objects.filter(relationship__compact=compact)


def notices(compact):
    return Notice.objects.filter(relationship__compact=compact)


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
