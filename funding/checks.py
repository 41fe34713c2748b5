"""Funding's compliance rules (Portsmouth 9.1–9.3, 11.2, 12.1, 12.3, 12.7, 13.1, 13.3, 13.4, 17.3, 19.5).

Each function returns one set-based query, across every compact, over the deadlines the funding services store
(pay-by dates, decision dates, earliest effective dates, monitoring bands, returns' due dates), as the rows
``commitments.rulebook.breach_rows`` names.
Everything is judged "as of" ``today``: what is recorded for a later day (a payment, a decision, a notice)
has not happened yet, so a back-dated scan sees the records as they stood then.
"""

import datetime
from collections.abc import Iterable

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse

from commitments.models import MeasurableRule, Organisation, RecordType, RuleKey
from commitments.rulebook import (
    Rule,
    breach_rows,
    register,
    register_daily_step,
    register_links,
    within_days_by_nation,
)

from . import rules
from .models import (
    NOTICE_TOO_SHORT,
    PAID_LATE,
    Decision,
    DecisionKind,
    FundingRelationship,
    FundingStatus,
    ImprovementTimetable,
    Invoice,
    Mechanism,
    MonitoringPlan,
    MonitoringReturn,
    Notice,
    NoticeKind,
)
from .selectors.monitoring import returns_visible_to
from .services.monitoring import monitoring_schedules_extend

ENDINGS = (NoticeKind.END, NoticeKind.REDUCE)  # 13.1: the impact is assessed before funding ends or is reduced
FUNDED = (FundingStatus.AWARDED, FundingStatus.ENDED)


def _unpaid_on(today: datetime.date) -> Q:
    return Q(paid_date__isnull=True) | Q(paid_date__gt=today)


# The funder of a flagged invoice, looked up row by row: PostgreSQL cannot estimate how few invoices a partial
# index returns and would otherwise join every relationship in the country to find their funders.
INVOICE_FUNDER = Subquery(
    FundingRelationship.objects.filter(pk=OuterRef("relationship_id")).order_by().values("funder_id")
)


# --- 11.2 prompt payment ------------------------------------------------------------------------


def invoices_overdue(today: datetime.date) -> QuerySet:
    """Unpaid after the pay-by date (open), or unpaid and due within two working days (at risk)."""
    invoices = Invoice.objects.filter(_unpaid_on(today), received_date__lte=today).filter(
        within_days_by_nation("pay_by", rules.payment_at_risk_until, today)
    )  # read through the partial index invoice_unpaid
    return breach_rows(
        invoices,
        compact="compact_id",
        organisation=INVOICE_FUNDER,
        due="pay_by",
        label="invoice_number",
        open_when=Q(pay_by__lt=today),
    )


def invoices_paid_late(today: datetime.date) -> QuerySet:
    """Paid in full after the pay-by date; a payment on the weekend straight after it is late too."""
    invoices = Invoice.objects.filter(PAID_LATE, paid_date__lte=today)
    # read through the partial index invoice_paid_late
    return breach_rows(
        invoices, compact="compact_id", organisation=INVOICE_FUNDER, due="pay_by", label="invoice_number"
    )


# --- 9.1–9.3 decisions and terms, 12.1 monitoring -----------------------------------------------


def decisions_too_late(today: datetime.date) -> QuerySet:
    """9.2: no decision told by the relationship's decision date, or an award told after it unjustified."""
    decisions = Decision.objects.filter(relationship=OuterRef("pk"))
    told_by_today = decisions.filter(told_date__lte=today)
    late_unjustified_award = told_by_today.filter(
        kind=DecisionKind.AWARDED, told_date__gt=F("due_by"), justification=""
    )  # a handful of rows, read through the partial index decision_late_unjustified
    # Undecided on ``today``: pending now, or (a back-dated scan) first told only after ``today``. Pending is
    # tested first, so the decisions are only read for relationships decided after ``today``.
    told_later = Exists(decisions.filter(told_date__gt=today))
    undecided = Q(status=FundingStatus.PENDING) | (told_later & ~Exists(told_by_today))
    relationships = FundingRelationship.objects.filter(
        undecided & Q(decision_due_by__lt=today) | Exists(late_unjustified_award)
    )
    return _relationship_rows(relationships, "decision_due_by")


def _relationship_rows(relationships: QuerySet[FundingRelationship], due) -> QuerySet:
    return breach_rows(relationships, compact="compact_id", organisation="funder_id", due=due, label="reference")


def terms_too_short(today: datetime.date) -> QuerySet:
    """9.1: funding that has started, ends before the minimum term and records no explanation."""
    relationships = FundingRelationship.objects.filter(
        status__in=FUNDED,
        start_date__lte=today,
        end_date__lt=F("minimum_end_date"),
        term_explanation="",
    )
    return _relationship_rows(relationships, "start_date")


def declined_without_feedback(today: datetime.date) -> QuerySet:
    """9.3: a decline told with no feedback; due on the day it was told."""
    bare_declines = Decision.objects.filter(
        relationship=OuterRef("pk"), kind=DecisionKind.DECLINED, feedback="", told_date__lte=today
    ).order_by("told_date")
    relationships = FundingRelationship.objects.filter(Exists(bare_declines))
    return _relationship_rows(relationships, Subquery(bare_declines.values("told_date")[:1]))


def monitoring_not_agreed(today: datetime.date) -> QuerySet:
    """12.1: an agreement signed with monitoring not agreed on or before that day."""
    relationships = FundingRelationship.objects.filter(agreement_signed_date__lte=today).filter(
        Q(monitoring_agreed_date__isnull=True) | Q(monitoring_agreed_date__gt=F("agreement_signed_date"))
    )
    return _relationship_rows(relationships, "agreement_signed_date")


# --- 12.3 proportionate monitoring, 17.3 returns made when due -----------------------------------


def monitoring_disproportionate(today: datetime.date) -> QuerySet:
    """12.3: a plan asking for more returns a year than its compact's band allows for the funding's value, with
    no reason recorded; due on the day the plan was agreed with the organisation (or, not agreed yet, set up)."""
    due = Coalesce("relationship__monitoring_agreed_date", TruncDate("created_at"))
    plans = (
        MonitoringPlan.objects.filter(returns_per_year__gt=F("returns_allowed_per_year"), disproportion_reason="")
        .alias(monitoring_due=due)
        .filter(monitoring_due__lte=today)
    )  # read through the partial index monitoring_plan_over_band
    return breach_rows(
        plans,
        compact="relationship__compact_id",
        record="relationship_id",
        organisation="relationship__funder_id",
        due=due,
        label="relationship__reference",
    )


def monitoring_returns_overdue(today: datetime.date) -> QuerySet:
    """17.3: a return not yet sent after its due date (open), or due within ten working days (at risk: the
    reminder to the organisation); against the organisation that makes it."""
    returns = MonitoringReturn.objects.filter(Q(submitted_date__isnull=True) | Q(submitted_date__gt=today)).filter(
        within_days_by_nation(
            "due_date", rules.return_at_risk_until, today, nation="plan__relationship__compact__nation"
        )
    )  # read through the partial index monitoring_return_outstanding
    return breach_rows(
        returns,
        compact="plan__relationship__compact_id",
        organisation="plan__relationship__recipient_id",
        due="due_date",
        label="plan__relationship__reference",
        open_when=Q(due_date__lt=today),
    )


# --- 12.7, 13.1, 13.3, 13.4, 19.5 notices -------------------------------------------------------


def _notices(today: datetime.date) -> QuerySet[Notice]:
    return Notice.objects.filter(notice_date__lte=today)


def _notice_rows(notices: QuerySet[Notice], due: str) -> QuerySet:
    return breach_rows(
        notices,
        compact="relationship__compact_id",
        organisation="relationship__funder_id",
        due=due,
        label="relationship__reference",
    )


def notices_too_short(today: datetime.date) -> QuerySet:
    """13.3: notice is owed and the change takes effect before the notice period has run."""
    notices = _notices(today).filter(NOTICE_TOO_SHORT)
    return _notice_rows(notices, "notice_date")


def notices_without_impact_assessment(today: datetime.date) -> QuerySet:
    """13.1: an ending or reduction with no impact assessment dated on or before the notice."""
    notices = (
        _notices(today)
        .filter(kind__in=ENDINGS)
        .filter(Q(impact_assessed_date__isnull=True) | Q(impact_assessed_date__gt=F("notice_date")))
    )
    return _notice_rows(notices, "notice_date")


def notices_decided_before_response(today: datetime.date) -> QuerySet:
    """13.4: the final decision was taken on or before the last day the organisation could respond."""
    notices = (
        _notices(today)
        .filter(final_decision_date__lte=today, response_due_by__isnull=False)
        .filter(final_decision_date__lte=F("response_due_by"))
    )
    return _notice_rows(notices, "final_decision_date")


def reallocations_not_assessed(today: datetime.date) -> QuerySet:
    """19.5: a strategic grant to an organisation serving a protected characteristic ends unassessed."""
    serves_protected_group = Organisation.communities.through.objects.filter(
        organisation=OuterRef("relationship__recipient"), community__protected_characteristic=True
    )
    notices = _notices(today).filter(
        Exists(serves_protected_group),
        kind=NoticeKind.END,
        relationship__strategic=True,
        relationship__mechanism=Mechanism.GRANT,
        reallocation_assessment="",
    )
    return _notice_rows(notices, "notice_date")


def improvement_timetables_missing(today: datetime.date) -> QuerySet:
    """12.7: notice of ending or reducing funding for performance, with no improvement timetable agreed with the
    organisation on or before the day notice was given."""
    agreed_first = ImprovementTimetable.objects.filter(
        relationship=OuterRef("relationship_id"), agreed_on__lte=OuterRef("notice_date")
    )
    notices = _notices(today).filter(kind__in=ENDINGS, for_performance=True).filter(~Exists(agreed_first))
    return _notice_rows(notices, "notice_date")


# --- Links from flags to the pages ---------------------------------------------------------------


def relationship_links(items: Iterable[tuple[int, str]]) -> dict[int, str]:
    return {pk: reverse("funding:relationship_detail", args=[pk]) for pk, _label in items}


def invoice_links(items: Iterable[tuple[int, str]]) -> dict[int, str]:
    """An invoice is shown on its relationship's page; one query finds the relationships."""
    ids = [pk for pk, _label in items]
    owners = Invoice.objects.filter(pk__in=ids).values_list("pk", "relationship_id")
    return {pk: reverse("funding:relationship_detail", args=[owner]) + f"#invoice-{pk}" for pk, owner in owners}


def notice_links(items: Iterable[tuple[int, str]]) -> dict[int, str]:
    return {pk: reverse("funding:notice_detail", args=[pk]) for pk, _label in items}


def return_links(items: Iterable[tuple[int, str]]) -> dict[int, str]:
    return {pk: reverse("funding:return_detail", args=[pk]) for pk, _label in items}


def returns_opening_for(user, pks: Iterable[int]) -> set[int]:
    """Of the returns ``pks``, those whose page opens for ``user`` (``selectors.monitoring.return_detail`` finds
    its return among ``returns_visible_to``, and so does this): a champion sees the flag, not the return."""
    return set(returns_visible_to(user=user).filter(pk__in=list(pks)).values_list("pk", flat=True))


register_links(RecordType.FUNDING_RELATIONSHIP, relationship_links)
register_links(RecordType.INVOICE, invoice_links)
register_links(RecordType.NOTICE, notice_links)
register_links(RecordType.MONITORING_RETURN, return_links, opens_for=returns_opening_for)

_RULES = (
    (RuleKey.NOTICE_WITHOUT_IMPACT_ASSESSMENT, "13.1", MeasurableRule.IMPACT_ASSESSMENT, RecordType.NOTICE,
     notices_without_impact_assessment, "The impact on beneficiaries, service users and volunteers is assessed "
     "before notice is given of ending or reducing funding.", False),
    (RuleKey.NOTICE_TOO_SHORT, "13.3", MeasurableRule.NOTICE_PERIOD, RecordType.NOTICE, notices_too_short,
     "Funding ends or is reduced only after the compact's notice period, counted in calendar months.", False),
    (RuleKey.NOTICE_DECIDED_BEFORE_RESPONSE, "13.4", MeasurableRule.RESPONSE_BEFORE_DECISION, RecordType.NOTICE,
     notices_decided_before_response, "The organisation's time to respond closes before the final decision.", False),
    (RuleKey.DECISION_TOO_LATE, "9.2", MeasurableRule.DECISION_LEAD_TIME, RecordType.FUNDING_RELATIONSHIP,
     decisions_too_late, "The organisation is told the decision the compact's number of months before the start, "
     "or the lateness is justified.", False),
    (RuleKey.FUNDING_TERM_TOO_SHORT, "9.1", MeasurableRule.FUNDING_TERM, RecordType.FUNDING_RELATIONSHIP,
     terms_too_short, "Funding runs the compact's minimum term, or the shorter term is explained.", False),
    (RuleKey.DECLINED_WITHOUT_FEEDBACK, "9.3", MeasurableRule.DECLINE_FEEDBACK, RecordType.FUNDING_RELATIONSHIP,
     declined_without_feedback, "An unsuccessful applicant is given constructive feedback.", False),
    (RuleKey.MONITORING_NOT_AGREED, "12.1", MeasurableRule.MONITORING_AGREED, RecordType.FUNDING_RELATIONSHIP,
     monitoring_not_agreed, "Monitoring arrangements are agreed on or before the day the agreement is signed.",
     False),
    (RuleKey.MONITORING_DISPROPORTIONATE, "12.3", MeasurableRule.MONITORING_PROPORTIONATE,
     RecordType.FUNDING_RELATIONSHIP, monitoring_disproportionate, "Monitoring is in proportion to the funding: "
     "no more returns a year than the compact's band for its value, or the reason for asking more is recorded "
     "with the plan.", False),
    (RuleKey.MONITORING_RETURN_OVERDUE, "17.3", MeasurableRule.MONITORING_RETURNS, RecordType.MONITORING_RETURN,
     monitoring_returns_overdue, "The organisation makes each monitoring return by its due date, a month after "
     "the period it covers; a reminder shows from ten working days before. A return not yet made can still be "
     "sent: this clears when it is.", False),
    (RuleKey.INVOICE_OVERDUE, "11.2", MeasurableRule.PROMPT_PAYMENT, RecordType.INVOICE, invoices_overdue,
     "Invoices are paid within the compact's number of working days after receipt.", True),
    (RuleKey.INVOICE_PAID_LATE, "11.2", MeasurableRule.PROMPT_PAYMENT, RecordType.INVOICE, invoices_paid_late,
     "Invoices are paid within the compact's number of working days after receipt.", True),
    (RuleKey.REALLOCATION_NOT_ASSESSED, "19.5", MeasurableRule.REALLOCATION_ASSESSED, RecordType.NOTICE,
     reallocations_not_assessed, "When a strategic grant to an organisation serving people with a protected "
     "characteristic is withdrawn, how the money is reallocated is assessed.", False),
    (RuleKey.IMPROVEMENT_TIMETABLE_MISSING, "12.7", MeasurableRule.IMPROVEMENT_TIMETABLE, RecordType.NOTICE,
     improvement_timetables_missing, "Before funding is ended or reduced for performance, the problems are "
     "discussed with the organisation and a timetable of improvement actions agreed, on or before the day "
     "notice is given.", False),
)  # fmt: skip

for key, clause, commitment_rule, record_type, breaches, explanation, payments in _RULES:
    register(Rule(key, clause, commitment_rule, record_type, breaches, explanation, payments))


def _schedules_extend(today: datetime.date) -> int:
    """17.3: open-ended funding's next returns, scheduled before the scan looks for returns due."""
    return monitoring_schedules_extend(today=today)


register_daily_step("monitoring_schedules_extend", _schedules_extend)
