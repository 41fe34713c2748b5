"""What funding puts on the "Waiting for you" list (compact_portal/worklist.py).

For an officer, for the public bodies they are an officer of, as funder: invoices to pay (11.2), decisions to
tell (9.2) and final decisions to take on the endings and reductions the body gave notice of (13.4). For a
VCS member, for their organisations: the notices about its funding it may still answer (13.4).

Each item cites the commitment of its own compact that carries the rule, or the portal's default where the
compact's document makes no such promise, in the words the compliance flags use (``commitments.selectors.Promise``).
Each source takes two queries whatever the number of records: the records, and the clauses the compacts give
the rule (none when nothing waits).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from commitments.models import MeasurableRule
from commitments.rulebook import within_days_by_nation
from commitments.selectors import Promise
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from compact_portal.formatting import money
from compact_portal.working_days import add_working_days

from . import rules
from .checks import ENDINGS
from .models import FundingRelationship, FundingStatus, Invoice, Notice

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
