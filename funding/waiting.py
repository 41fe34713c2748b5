"""What funding puts on the "Waiting for you" list (compact_portal/worklist.py).

For an officer, for the public bodies they are an officer of, as funder: invoices to pay (11.2), decisions to
tell (9.2), final decisions to take on the endings and reductions the body gave notice of (13.4), monitoring to
agree before the agreement is signed, for funding starting within four weeks (12.1), and monitoring returns to
review. For a VCS member, for their organisations: the notices about its funding it may still answer (13.4), and
its monitoring returns due soon or past their date (17.3) or with the funder's questions to answer. And for an
officer, each step not done of the body's proposals going ahead, on its latest day (the deadline planner's).

Each item cites the commitment of its own compact that carries the rule, or the portal's default where the
compact's document makes no such promise, in the words the compliance flags use (``commitments.selectors.Promise``).
Each source takes two queries whatever the number of records: the records, and the clauses the compacts give
the rule (none when nothing waits).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse

from commitments import planner
from commitments.models import MeasurableRule
from commitments.rulebook import within_days_by_nation
from commitments.selectors import Promise
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from compact_portal.formatting import long_date, money
from compact_portal.working_days import add_working_days

from . import rules
from .checks import ENDINGS
from .models import (
    FundingRelationship,
    FundingStatus,
    Invoice,
    MonitoringReturn,
    Notice,
    ProposalStatus,
    ProposalStep,
    ReturnStatus,
)

# A decision to tell or a final decision to take is listed from this many working days before its date: they
# take longer to prepare than a payment, whose window is the compliance check's (rules.payment_at_risk_until).
DUE_SOON_WORKING_DAYS = 10


COMPACT_NATION = "relationship__compact__nation"  # a notice's compact's nation, whose bank holidays count


def due_soon_until(today: datetime.date, *, nation: str) -> datetime.date:
    """The last date that counts as "due soon" on ``today``: ten working days ahead in ``nation``."""
    return add_working_days(today, DUE_SOON_WORKING_DAYS, nation=nation)


@worklist.source(Role.OFFICER)
def invoices_to_pay(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """The body's unpaid invoices from two working days before their pay-by date (the compliance check's "at
    risk", ``rules.payment_at_risk_until``) and every one past it (11.2)."""
    bodies = person.organisations_as(Role.OFFICER)
    if not bodies:
        return
    invoices = (
        Invoice.objects.filter(relationship__funder__in=bodies, paid_date__isnull=True, received_date__lte=person.today)
        .filter(within_days_by_nation("pay_by", rules.payment_at_risk_until, person.today))
        .select_related("compact", "relationship__recipient")
        .order_by("pay_by", "pk")
    )
    promise = Promise(MeasurableRule.PROMPT_PAYMENT)
    for invoice in invoices:
        compact = invoice.compact
        what = f"Invoice {invoice.invoice_number} from {invoice.relationship.recipient}, {money(invoice.amount)}"
        if invoice.amount_paid:
            what += f" ({money(invoice.outstanding)} still to pay)"
        yield worklist.Waiting(
            role=Role.OFFICER,
            kind="invoice_to_pay",
            key=str(invoice.pk),
            what=what,
            action="Record the payment",
            url=reverse("funding:payment_create", args=[invoice.pk]),
            **promise.cited(compact),
            due=invoice.pay_by,
        )


@worklist.source(Role.OFFICER)
def decisions_to_tell(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """The body's funding still awaiting a decision whose day to tell it by (stored, 9.2) is within ten working
    days, or past."""
    bodies = person.organisations_as(Role.OFFICER)
    if not bodies:
        return
    relationships = (
        FundingRelationship.objects.filter(funder__in=bodies, status=FundingStatus.PENDING)
        .filter(within_days_by_nation("decision_due_by", due_soon_until, person.today))
        .select_related("compact", "recipient")
        .order_by("decision_due_by", "pk")
    )
    promise = Promise(MeasurableRule.DECISION_LEAD_TIME)
    for relationship in relationships:
        compact = relationship.compact
        yield worklist.Waiting(
            role=Role.OFFICER,
            kind="decision_to_tell",
            key=str(relationship.pk),
            what=f"Decision on {relationship.reference} ({relationship.title}) for {relationship.recipient}, "
            f"{money(relationship.amount)}",
            action="Record the decision",
            url=reverse("funding:decision_create", args=[relationship.pk]),
            **promise.cited(compact),
            due=relationship.decision_due_by,
        )


@worklist.source(Role.OFFICER)
def final_decisions_to_take(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """The body's notices of ending or reducing funding with no final decision taken by today, from ten working
    days before the day set for it (or, with none set, before the organisation's response window closes), and
    every one past it: the organisation may respond until then, and the decision comes after (13.4)."""
    bodies = person.organisations_as(Role.OFFICER)
    if not bodies:
        return
    notices = (
        Notice.objects.filter(relationship__funder__in=bodies, kind__in=ENDINGS, notice_date__lte=person.today)
        .filter(Q(final_decision_date__isnull=True) | Q(final_decision_date__gt=person.today))
        .annotate(decide_by=Coalesce("final_decision_date", "response_due_by"))
        .filter(within_days_by_nation("decide_by", due_soon_until, person.today, nation=COMPACT_NATION))
        .select_related("relationship__compact", "relationship__recipient")
        .order_by("decide_by", "pk")
    )
    promise = Promise(MeasurableRule.RESPONSE_BEFORE_DECISION)
    for notice in notices:
        relationship = notice.relationship
        compact = relationship.compact
        answered = "the organisation has responded" if notice.responded_at else "no response yet"
        yield worklist.Waiting(
            role=Role.OFFICER,
            kind="final_decision_to_take",
            key=str(notice.pk),
            what=f"{notice.get_kind_display()} notice on {relationship.reference} for {relationship.recipient} "
            f"({answered})",
            action="Review the response and record the final decision",
            url=reverse("funding:notice_detail", args=[notice.pk]),
            **promise.cited(compact),
            due=notice.decide_by,
        )


@worklist.source(Role.VCS_MEMBER)
def notices_to_answer(person: worklist.Person) -> Iterable[worklist.Waiting]:
    """Notices about the organisation's funding (decided funding: a member sees no undecided funding) whose
    response window is open today and that it has not answered yet; due when the window closes (13.4)."""
    organisations = person.organisations_as(Role.VCS_MEMBER)
    if not organisations:
        return
    notices = (
        Notice.objects.filter(
            relationship__recipient__in=organisations,
            notice_date__lte=person.today,
            response_due_by__gte=person.today,
            responded_at__isnull=True,
        )
        .exclude(relationship__status=FundingStatus.PENDING)
        .select_related("relationship__compact", "relationship__funder", "relationship__recipient")
        .order_by("response_due_by", "pk")
    )
    promise = Promise(MeasurableRule.RESPONSE_BEFORE_DECISION)
    for notice in notices:
        relationship = notice.relationship
        compact = relationship.compact
        what = f"{notice.get_kind_display()} notice from {relationship.funder} on {relationship.reference}"
        if len(organisations) > 1:
            what += f" (for {relationship.recipient})"
        yield worklist.Waiting(
            role=Role.VCS_MEMBER,
            kind="notice_to_answer",
            key=str(notice.pk),
            what=what,
            action="Respond to the notice",
            url=reverse("funding:notice_detail", args=[notice.pk]),
            **promise.cited(compact),
            due=notice.response_due_by,
        )


# --- Monitoring (12.1, 17.3) ----------------------------------------------------------------------------------------

RETURN_NATION = "plan__relationship__compact__nation"  # a return's compact's nation, whose bank holidays count


def _returns_of(organisations) -> QuerySet[MonitoringReturn]:
    """The returns of decided funding to ``organisations`` (a member sees no undecided funding), with what an item
    names, in due-date order."""
    return (
        MonitoringReturn.objects.filter(plan__relationship__recipient__in=organisations)
        .exclude(plan__relationship__status=FundingStatus.PENDING)
        .select_related("plan__relationship__compact", "plan__relationship__funder", "plan__relationship__recipient")
        .order_by("due_date", "pk")
    )


def _return_what(item: MonitoringReturn, *, several: bool) -> str:
    relationship = item.plan.relationship
    what = (
        f"Monitoring return to {relationship.funder} on {relationship.reference}, for "
        f"{long_date(item.period_start)} to {long_date(item.period_end)}"
    )
    return f"{what} (for {relationship.recipient})" if several else what


@worklist.source(Role.VCS_MEMBER)
def monitoring_returns_to_make(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """The organisation's returns not yet made, from ten working days before their due date (the compliance check's
    "at risk": ``rules.return_at_risk_until``), the reminder, and every one past it (17.3); and those on which the
    funder has asked questions, until it replies (undated). One query for both."""
    organisations = person.organisations_as(Role.VCS_MEMBER)
    if not organisations:
        return
    due = Q(submitted_date__isnull=True) & within_days_by_nation(
        "due_date", rules.return_at_risk_until, person.today, nation=RETURN_NATION
    )
    promise = Promise(MeasurableRule.MONITORING_RETURNS)
    several = len(organisations) > 1
    for item in _returns_of(organisations).filter(due | Q(status=ReturnStatus.QUESTIONS)):
        what = _return_what(item, several=several)
        cited = promise.cited(item.plan.relationship.compact)
        if item.status == ReturnStatus.QUESTIONS:
            yield worklist.Waiting(
                role=Role.VCS_MEMBER,
                kind="monitoring_return_questions",
                key=str(item.pk),
                what=f"The funder has questions on your return: {what}",
                action="Reply to the questions",
                url=item.get_absolute_url(),
                **cited,
            )
        else:
            yield worklist.Waiting(
                role=Role.VCS_MEMBER,
                kind="monitoring_return_due",
                key=str(item.pk),
                what=what,
                action="Finish and send the return" if item.status == ReturnStatus.DRAFT else "Make the return",
                url=item.get_absolute_url(),
                **cited,
                due=item.due_date,
            )


@worklist.source(Role.OFFICER)
def monitoring_returns_to_review(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """Returns sent to the body, waiting for its review: accepted, or questions to the organisation."""
    bodies = person.organisations_as(Role.OFFICER)
    if not bodies:
        return
    returns = (
        MonitoringReturn.objects.filter(plan__relationship__funder__in=bodies, status=ReturnStatus.SUBMITTED)
        .select_related("plan__relationship__compact", "plan__relationship__recipient")
        .order_by("due_date", "pk")
    )
    for item in returns:
        relationship = item.plan.relationship
        yield worklist.Waiting(
            role=Role.OFFICER,
            kind="monitoring_return_to_review",
            key=str(item.pk),
            what=f"Monitoring return from {relationship.recipient} on {relationship.reference}, for "
            f"{long_date(item.period_start)} to {long_date(item.period_end)}",
            action="Review the return",
            url=item.get_absolute_url(),
            compact=relationship.compact.name,
            nation=relationship.compact.nation,
        )


# Monitoring to agree is listed from this many working days (about four weeks) before the funding starts: the
# agreement is usually signed by then, and monitoring is agreed before it (12.1).
AGREE_MONITORING_WORKING_DAYS = 20


def agree_monitoring_from(today: datetime.date, *, nation: str) -> datetime.date:
    """The last start date whose monitoring is listed to agree on ``today``: twenty working days ahead."""
    return add_working_days(today, AGREE_MONITORING_WORKING_DAYS, nation=nation)


@worklist.source(Role.OFFICER)
def monitoring_to_agree(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """The body's awarded funding starting within twenty working days, or today, whose agreement is not signed yet
    and whose monitoring is not agreed: agree the plan with the organisation before signing (12.1), due by the
    start. Once the funding has started it leaves the list (the 12.1 check judges the signing when it is
    recorded)."""
    bodies = person.organisations_as(Role.OFFICER)
    if not bodies:
        return
    relationships = (
        FundingRelationship.objects.filter(
            funder__in=bodies,
            status=FundingStatus.AWARDED,
            agreement_signed_date__isnull=True,
            monitoring_agreed_date__isnull=True,
        )
        .annotate(starts=Coalesce("start_date", "expected_start"))
        .filter(starts__gte=person.today)
        .filter(within_days_by_nation("starts", agree_monitoring_from, person.today))
        .select_related("compact", "recipient", "monitoring_plan")
        .order_by("starts", "pk")
    )
    promise = Promise(MeasurableRule.MONITORING_AGREED)
    for relationship in relationships:
        has_plan = _has_plan(relationship)
        yield worklist.Waiting(
            role=Role.OFFICER,
            kind="monitoring_to_agree",
            key=str(relationship.pk),
            what=f"Agree monitoring before signing: {relationship.reference} ({relationship.title}) for "
            f"{relationship.recipient}, {money(relationship.amount)}",
            action="Record when the plan was agreed" if has_plan else "Set up monitoring",
            url=reverse("funding:monitoring_plan", args=[relationship.pk]),
            **promise.cited(relationship.compact),
            due=relationship.starts,
        )


def _has_plan(relationship: FundingRelationship) -> bool:
    try:
        return relationship.monitoring_plan is not None
    except FundingRelationship.monitoring_plan.RelatedObjectDoesNotExist:
        return False


# --- Planned changes to funding (the deadline planner) ---------------------------------------------------------------


@worklist.source(Role.OFFICER)
def proposal_steps_to_take(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """Each step not done of the body's proposals going ahead, due on its latest day as the planner stored it, citing
    the clause stored with it; the days only to know (the minimum term's end) are left out. One query."""
    bodies = person.organisations_as(Role.OFFICER)
    if not bodies:
        return
    days_to_know = [step.key for step in planner.registered_steps() if not step.to_do]
    steps = (
        ProposalStep.objects.filter(
            proposal__funder__in=bodies, proposal__status=ProposalStatus.GOING_AHEAD, done_on__isnull=True
        )
        .exclude(key__in=days_to_know)
        .select_related("proposal__compact")
        .order_by("latest_by", "pk")
    )
    for step in steps:
        proposal = step.proposal
        compact = proposal.compact
        yield worklist.Waiting(
            role=Role.OFFICER,
            kind="proposal_step",
            key=str(step.pk),
            what=f"{step.label}: {proposal.title}",
            action="Open the proposal and mark the step done",
            url=proposal.get_absolute_url() + "#steps",
            why=f"Planned so that {proposal.get_kind_display().lower()} can take effect on "
            f"{long_date(proposal.effective_date)}",
            clause=step.clause,
            compact=compact.name,
            nation=compact.nation,
            due=step.latest_by,
        )
