"""A compact's rule settings (or bank holidays) changed: the funding deadlines of its open records are counted again.

Registered with ``commitments.deadlines`` by ``FundingConfig.ready()``. The dates come from the same helpers
the funding services store them with, under the compact's new settings:

- unpaid invoices: the pay-by date (11.2, the compact's working days and nation); a paid invoice keeps the
  date it was judged by, and its working days to pay, which count the payment and not the limit;
- relationships awaiting a decision: the day to tell the decision by (9.2), its decisions' copy of it, and
  the earliest end for the minimum term (9.1). A decision fixes both: the organisation was told, and the term
  agreed, under the settings of the day, so decided funding keeps them;
- notices not yet in effect: the earliest effective date (13.3) and whether notice is owed at all
  (Leicestershire principle 11); a notice already in effect keeps them;
- monitoring plans of funding not ended or declined: the most returns a year the compact's band allows for the
  funding's value (12.3); funding that has ended keeps the band it was monitored under;
- monitoring returns not yet sent: the due date (17.3, the compact's nation and its bank holidays); a return
  sent keeps the date it was judged by;
- proposals not withdrawn and still to take effect: their planned steps (the deadline planner's), a step done
  keeping its day done.
"""

import datetime

from django.db.models import Prefetch

from commitments.deadlines import save_with_history
from commitments.models import Compact
from compact_portal.accounts.models import User

from .. import rules
from ..models import Decision, FundingRelationship, FundingStatus, Invoice, MonitoringPlan, MonitoringReturn, Notice
from . import _pay_by, _store_notice_deadlines, _store_relationship_deadlines
from .monitoring import returns_allowed
from .proposals import proposals_follow_compact

RELATIONSHIP_DEADLINES = ("decision_due_by", "minimum_end_date")
NOTICE_DEADLINES = ("earliest_effective_date", "notice_owed")


def _unpaid_invoices(compact: Compact) -> list[Invoice]:
    invoices = list(Invoice.objects.filter(compact=compact, paid_date__isnull=True).select_related("relationship"))
    moved = []
    for invoice in invoices:
        invoice.relationship.compact = compact  # the new settings, without a query per invoice
        pay_by = _pay_by(invoice.relationship, invoice.received_date)
        if pay_by != invoice.pay_by:
            invoice.pay_by = pay_by
            moved.append(invoice)
    return moved


def _undecided_relationships(compact: Compact) -> tuple[list[FundingRelationship], list[Decision]]:
    relationships = FundingRelationship.objects.filter(compact=compact, status=FundingStatus.PENDING).prefetch_related(
        Prefetch("decisions", queryset=Decision.objects.order_by())
    )
    moved, decisions = [], []
    for relationship in relationships:
        relationship.compact = compact
        before = [getattr(relationship, name) for name in RELATIONSHIP_DEADLINES]
        _store_relationship_deadlines(relationship)
        if [getattr(relationship, name) for name in RELATIONSHIP_DEADLINES] != before:
            moved.append(relationship)
        for decision in relationship.decisions.all():
            if decision.due_by != relationship.decision_due_by:
                decision.due_by = relationship.decision_due_by
                decisions.append(decision)
    return moved, decisions


def _notices_not_in_effect(compact: Compact, today: datetime.date) -> list[Notice]:
    notices = Notice.objects.filter(relationship__compact=compact, effective_date__gt=today).select_related(
        "relationship"
    )
    moved = []
    for notice in notices:
        notice.relationship.compact = compact
        before = [getattr(notice, name) for name in NOTICE_DEADLINES]
        _store_notice_deadlines(notice)
        if [getattr(notice, name) for name in NOTICE_DEADLINES] != before:
            moved.append(notice)
    return moved


def _monitoring_plans_running(compact: Compact) -> list[MonitoringPlan]:
    plans = (
        MonitoringPlan.objects.filter(relationship__compact=compact)
        .exclude(relationship__status__in=[FundingStatus.ENDED, FundingStatus.DECLINED])
        .select_related("relationship")
    )
    moved = []
    for plan in plans:
        allowed = returns_allowed(plan.relationship, compact)
        if allowed != plan.returns_allowed_per_year:
            plan.returns_allowed_per_year = allowed
            moved.append(plan)
    return moved


def _returns_not_sent(compact: Compact) -> list[MonitoringReturn]:
    returns = MonitoringReturn.objects.filter(plan__relationship__compact=compact, submitted_date__isnull=True)
    moved = []
    for item in returns:
        due = rules.return_due_date(item.period_end, nation=compact.nation)
        if due != item.due_date:
            item.due_date = due
            moved.append(item)
    return moved


def deadlines_recompute(*, compact: Compact, actor: User | None, today: datetime.date, reason: str) -> int:
    """Store the deadlines of ``compact``'s open funding records under its current settings; returns how many
    records were saved (each with a history record crediting ``actor``)."""
    relationships, decisions = _undecided_relationships(compact)
    return (
        save_with_history(_unpaid_invoices(compact), ["pay_by"], actor=actor, reason=reason)
        + save_with_history(relationships, RELATIONSHIP_DEADLINES, actor=actor, reason=reason)
        + save_with_history(decisions, ["due_by"], actor=actor, reason=reason)
        + save_with_history(_notices_not_in_effect(compact, today), NOTICE_DEADLINES, actor=actor, reason=reason)
        + save_with_history(
            _monitoring_plans_running(compact), ["returns_allowed_per_year"], actor=actor, reason=reason
        )
        + save_with_history(_returns_not_sent(compact), ["due_date"], actor=actor, reason=reason)
        + proposals_follow_compact(compact=compact, today=today)
    )
