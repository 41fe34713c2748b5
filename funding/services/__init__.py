"""Every write to funding relationships, decisions, invoices, payments and notices goes through here.

Each function validates with ``full_clean()``, stores the deadlines ``funding/rules.py`` computes from
the compact's settings, and saves inside one transaction. django-simple-history records who changed
what: the signed-in person through its middleware, or the ``actor`` passed here (imports, jobs).
"""

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from commitments.models import RecordType, Signature, SignatureStatus
from commitments.services.live import recheck_on_commit
from compact_portal.accounts.models import User
from compact_portal.formatting import money
from compact_portal.one_time import once
from compact_portal.services import check_fields, validated_save

from .. import rules
from ..models import (
    NOTICE_DETAIL_FIELDS,
    RELATIONSHIP_DETAIL_FIELDS,
    STATUS_AFTER_DECISION,
    Decision,
    DecisionKind,
    FundingRelationship,
    FundingStatus,
    Invoice,
    Notice,
    Payment,
)

RELATIONSHIP_FIELDS = frozenset(RELATIONSHIP_DETAIL_FIELDS) | {"published_as_open_data"}
NOTICE_FIELDS = frozenset(NOTICE_DETAIL_FIELDS)

# Which decisions may follow which state of the relationship.
DECISIONS_ALLOWED = {
    FundingStatus.PENDING: {DecisionKind.AWARDED, DecisionKind.DECLINED},
    FundingStatus.DECLINED: {DecisionKind.AWARDED},
    FundingStatus.AWARDED: {DecisionKind.VARIED, DecisionKind.RENEWED, DecisionKind.REDUCED, DecisionKind.ENDED},
    FundingStatus.ENDED: {DecisionKind.RENEWED},
}

# The dates of what has already happened, which cannot lie after the day they are recorded. Planned dates (an
# expected start, an end, an effective date, a response deadline) may lie ahead.
HAPPENED_BY_TODAY = {
    "told_date": "A decision cannot be told to the organisation after today",
    "received_date": "An invoice cannot be received after today",
    "paid_date": "A payment cannot be made after today",
    "notice_date": "Notice cannot be given after today",
}


def refuse_after_today(today: datetime.date, **dates: datetime.date | None) -> None:
    """Refuse a decision told, an invoice received, a payment made or notice given after ``today`` (the caller's:
    the day the record is made): it cannot be true, so it is wrong data, refused with a plain message, never a
    broken promise to flag. ``dates`` are named as in ``HAPPENED_BY_TODAY``; a missing one is left to the model."""
    after = {
        name: f"{HAPPENED_BY_TODAY[name]} ({date_format(today)})."
        for name, value in dates.items()
        if value is not None and value > today
    }
    if after:
        raise ValidationError(after)


def funder_signed(*, compact_id: int, funder_id: int) -> bool:
    """Whether the funder has signed the compact and not withdrawn from it (an approved signature)."""
    return Signature.objects.filter(
        compact_id=compact_id, organisation_id=funder_id, status=SignatureStatus.APPROVED
    ).exists()


def _refuse_unsigned_compact(relationship: FundingRelationship) -> None:
    """Funding is recorded only under a compact its funder has signed (approved, not withdrawn). When the funder
    signed does not matter: funding from before the signature is loaded as history."""
    if not (relationship.compact_id and relationship.funder_id):
        return  # full_clean says what is missing
    if funder_signed(compact_id=relationship.compact_id, funder_id=relationship.funder_id):
        return
    funder, compact = relationship.funder, relationship.compact
    signatures = Signature.objects.filter(compact=compact, organisation=funder)
    withdrawn = signatures.filter(status=SignatureStatus.WITHDRAWN).order_by("-withdrawn_date").first()
    if signatures.filter(status=SignatureStatus.APPLIED).exists():
        why = f"{funder} has applied to sign {compact} but has not signed it yet"
    elif withdrawn is not None:
        why = f"{funder} withdrew from {compact}" + (
            f" on {date_format(withdrawn.withdrawn_date)}" if withdrawn.withdrawn_date else ""
        )
    else:
        why = f"{funder} has not signed {compact}"
    raise ValidationError({"compact": f"{why}; funding can only be recorded under a compact its funder has signed."})


# --- Relationships ------------------------------------------------------------------------------


def _store_relationship_deadlines(relationship: FundingRelationship) -> None:
    compact = relationship.compact
    if relationship.expected_start:
        relationship.decision_due_by = rules.decision_due_by(
            relationship.expected_start, months=compact.decision_lead_months
        )
    relationship.minimum_end_date = (
        rules.minimum_term_end(relationship.start_date, years=compact.min_funding_years)
        if relationship.start_date
        else None
    )


@transaction.atomic
def relationship_create(*, actor: User | None, **fields: Any) -> FundingRelationship:
    """Create a funding relationship (no decision yet) with its 9.1 and 9.2 deadlines stored.

    Refused under a compact its funder has not signed (or has withdrawn from)."""
    check_fields(fields, RELATIONSHIP_FIELDS)
    relationship = FundingRelationship(created_by=actor, **fields)
    _refuse_unsigned_compact(relationship)
    _store_relationship_deadlines(relationship)
    validated_save(relationship, actor)
    _recheck_relationship(relationship, f"Funding {relationship.reference} recorded")
    return relationship


@transaction.atomic
def relationship_update(
    *, relationship: FundingRelationship, actor: User | None, today: datetime.date | None = None, **changes: Any
) -> FundingRelationship:
    """Change a relationship's details; its stored deadlines, and its decisions' 9.2 deadline, follow, and so do
    its monitoring plan's band and the returns not yet sent (their periods follow a new start or end as of
    ``today``, the day of the request: default, the local date).

    Moving it to another compact or funder is refused unless that funder has signed that compact; funding
    recorded before its funder withdrew keeps its compact."""
    check_fields(changes, RELATIONSHIP_FIELDS)
    previous = (relationship.compact_id, relationship.end_date_defined_at_start)
    band_inputs = (relationship.compact_id, relationship.amount)
    term = (relationship.expected_start, relationship.start_date, relationship.end_date)
    signed_under = (relationship.compact_id, relationship.funder_id)
    for name, value in changes.items():
        setattr(relationship, name, value)
    if (relationship.compact_id, relationship.funder_id) != signed_under:
        _refuse_unsigned_compact(relationship)
    _store_relationship_deadlines(relationship)
    validated_save(relationship, actor)
    for decision in relationship.decisions.exclude(due_by=relationship.decision_due_by):
        decision.due_by = relationship.decision_due_by
        validated_save(decision, actor)
    if (relationship.compact_id, relationship.end_date_defined_at_start) != previous:
        _deadlines_follow_compact(relationship, actor)
    term_moved = (relationship.expected_start, relationship.start_date, relationship.end_date) != term
    if (relationship.compact_id, relationship.amount) != band_inputs or term_moved:
        _monitoring_follows(relationship, actor, today=(today or timezone.localdate()) if term_moved else None)
    # Its invoices and notices too: their flags name its funder, and 19.5 reads its kind and recipient.
    _recheck_relationship(relationship, f"Funding {relationship.reference} changed", with_records=True)
    return relationship


def _recheck_relationship(relationship: FundingRelationship, what: str, *, with_records: bool = False) -> None:
    recheck_on_commit(record_type=RecordType.FUNDING_RELATIONSHIP, ids=[relationship.pk], what=what)
    if with_records:
        recheck_on_commit(record_type=RecordType.INVOICE, ids=relationship.invoices.values_list("pk", flat=True))
        recheck_on_commit(record_type=RecordType.NOTICE, ids=relationship.notices.values_list("pk", flat=True))


def _monitoring_follows(
    relationship: FundingRelationship, actor: User | None, *, today: datetime.date | None = None
) -> None:
    """The amount, compact or term changed: the monitoring plan's band (12.3) and its returns' due dates (17.3)
    follow, and with ``today`` (the term moved) the periods of the returns not yet sent."""
    from .monitoring import plan_follows_relationship  # here: that module builds on this one

    plan_follows_relationship(relationship, actor, today=today)


def _deadlines_follow_compact(relationship: FundingRelationship, actor: User | None) -> None:
    """A relationship moved to another compact (or whose end date is now said to be fixed from the start, or
    not): its invoices' pay-by dates and working days to pay (11.2) and its notices' earliest effective dates
    and whether notice is owed (13.3) are counted again under the compact's settings.
    A rare correction, so one save each, with its history."""
    for invoice in relationship.invoices.all():
        invoice.compact = relationship.compact
        invoice.pay_by = _pay_by(relationship, invoice.received_date)
        _store_settlement(invoice)
        validated_save(invoice, actor)
    for notice in relationship.notices.all():
        _store_notice_deadlines(notice)
        validated_save(notice, actor)


# --- Decisions ----------------------------------------------------------------------------------


@transaction.atomic
def decision_record(
    *,
    relationship: FundingRelationship,
    actor: User | None,
    kind: str,
    told_date: datetime.date,
    today: datetime.date,
    rationale: str = "",
    justification: str = "",
    feedback: str = "",
    new_amount: Decimal | None = None,
    submission_key: uuid.UUID | None = None,
) -> Decision:
    """Record a decision; the relationship's status (and amount, if a new one is given) follows it.

    Refuses a decision told after ``today``, and one that cannot follow the relationship's current state (for
    example a reduction before any award). A decline without feedback (9.3) or an award told late without a
    justification (9.2) is recorded as it happened: the compliance jobs flag it until ``decision_explain`` adds
    what is missing. Recorded once per ``submission_key`` (the form's one-time key, ``compact_portal.one_time``).
    """
    refuse_after_today(today, told_date=told_date)

    def record() -> Decision:
        return _decision_record(
            relationship=relationship,
            actor=actor,
            kind=kind,
            told_date=told_date,
            rationale=rationale,
            justification=justification,
            feedback=feedback,
            new_amount=new_amount,
        )

    return once(key=submission_key, actor=actor, model=Decision, create=record)[0]


def _decision_record(
    *,
    relationship: FundingRelationship,
    actor: User | None,
    kind: str,
    told_date: datetime.date,
    rationale: str,
    justification: str,
    feedback: str,
    new_amount: Decimal | None,
) -> Decision:
    relationship = FundingRelationship.objects.select_for_update().select_related("compact").get(pk=relationship.pk)
    allowed = DECISIONS_ALLOWED[FundingStatus(relationship.status)]
    if kind not in allowed:
        raise ValidationError(
            {
                "kind": f"A funding relationship that is {relationship.get_status_display().lower()} can only be "
                f"{' or '.join(sorted(DecisionKind(k).label.lower() for k in allowed))}."
            }
        )
    decision = Decision(
        relationship=relationship,
        kind=kind,
        told_date=told_date,
        rationale=rationale,
        justification=justification,
        feedback=feedback,
        new_amount=new_amount,
        due_by=relationship.decision_due_by,
        recorded_by=actor,
    )
    validated_save(decision, actor)
    relationship.status = STATUS_AFTER_DECISION[DecisionKind(kind)]
    amount_changed = new_amount is not None and new_amount != relationship.amount
    if new_amount is not None:
        relationship.amount = new_amount
    validated_save(relationship, actor)
    if amount_changed:
        _monitoring_follows(relationship, actor)
    _recheck_relationship(relationship, f"{decision.get_kind_display()} decision recorded on {relationship.reference}")
    return decision


class DecisionRefused(ValidationError):
    """``relationship_log_with_decision`` refused the decision (and so logged nothing): the decision's own
    ValidationError, as a kind its caller can tell from the relationship's and show on the decision's form."""


@transaction.atomic
def relationship_log_with_decision(
    *,
    actor: User | None,
    today: datetime.date,
    decision_kind: str = "",
    told_date: datetime.date | None = None,
    rationale: str = "",
    justification: str = "",
    feedback: str = "",
    **fields: Any,
) -> FundingRelationship:
    """Log a funding relationship (``relationship_create``) and, when ``decision_kind`` is given, the decision
    already told to the organisation (``decision_record``), both or neither.

    A refused relationship raises its ValidationError as it is, a refused decision its ValidationError as
    ``DecisionRefused``; either way nothing is saved. An IntegrityError (a clash with a record saved at the same
    moment) is raised as it is.
    """
    relationship = relationship_create(actor=actor, **fields)
    if decision_kind:
        try:
            decision_record(
                relationship=relationship,
                actor=actor,
                kind=decision_kind,
                told_date=told_date,
                today=today,
                rationale=rationale,
                justification=justification,
                feedback=feedback,
            )
        except ValidationError as error:
            raise DecisionRefused(error) from error
    return relationship


EXPLANATIONS = {"justification": "Justification", "feedback": "Feedback"}


@transaction.atomic
def decision_explain(
    *,
    decision: Decision,
    actor: User | None,
    justification: str | None = None,
    feedback: str | None = None,
) -> Decision:
    """Add to a recorded decision the justification of a late award (9.2) or the feedback on a decline (9.3),
    or correct it; its flag goes when the rules check the funding again, once this commits.

    None leaves a field as it is. A blank one is refused: it would explain nothing. Saving what is already
    recorded changes nothing and checks nothing again.
    """
    if justification is None and feedback is None:
        raise TypeError("decision_explain needs a justification or feedback")
    decision = Decision.objects.select_for_update(of=("self",)).select_related("relationship").get(pk=decision.pk)
    offered = {"justification": justification, "feedback": feedback}
    given = {name: value.strip() for name, value in offered.items() if value is not None}
    blank = [name for name, value in given.items() if not value]
    if blank:
        raise ValidationError({name: f"Write the {name} first." for name in blank})
    changed = [name for name, value in given.items() if getattr(decision, name) != value]
    if not changed:
        return decision
    for name in changed:
        setattr(decision, name, given[name])
    validated_save(decision, actor)
    relationship = decision.relationship
    recheck_on_commit(
        record_type=RecordType.FUNDING_RELATIONSHIP,
        ids=[relationship.pk],
        what=f"{' and '.join(EXPLANATIONS[name] for name in changed)} added to the decision on "
        f"{relationship.reference}",
    )
    return decision


# --- Invoices and payments ----------------------------------------------------------------------


def _pay_by(relationship: FundingRelationship, received: datetime.date) -> datetime.date:
    compact = relationship.compact
    return rules.payment_due_by(received, nation=compact.nation, working_days=compact.payment_working_days)


@transaction.atomic
def invoice_record(
    *,
    relationship: FundingRelationship,
    actor: User | None,
    invoice_number: str,
    amount: Decimal,
    received_date: datetime.date,
    today: datetime.date,
) -> Invoice:
    """Record an invoice with its pay-by date (11.2) stored; one received after ``today`` is refused."""
    refuse_after_today(today, received_date=received_date)
    invoice = Invoice(
        relationship=relationship,
        compact=relationship.compact,
        invoice_number=invoice_number.strip(),
        amount=amount,
        received_date=received_date,
        pay_by=_pay_by(relationship, received_date),
        recorded_by=actor,
    )
    validated_save(invoice, actor)
    _recheck_invoice(invoice, f"Invoice {invoice.invoice_number} recorded")
    return invoice


@transaction.atomic
def invoice_update(
    *,
    invoice: Invoice,
    actor: User | None,
    invoice_number: str,
    amount: Decimal,
    received_date: datetime.date,
    today: datetime.date,
) -> Invoice:
    """Correct an invoice; a changed received date moves its pay-by date. One received after ``today`` is
    refused."""
    refuse_after_today(today, received_date=received_date)
    invoice = (
        Invoice.objects.select_for_update(of=("self",))  # lock the invoice, not its relationship and compact
        .select_related("relationship__compact", "compact")
        .get(pk=invoice.pk)
    )
    invoice.invoice_number = invoice_number.strip()
    invoice.amount = amount
    invoice.received_date = received_date
    invoice.pay_by = _pay_by(invoice.relationship, received_date)
    _store_settlement(invoice)
    validated_save(invoice, actor)
    _recheck_invoice(invoice, f"Invoice {invoice.invoice_number} corrected")
    return invoice


def _recheck_invoice(invoice: Invoice, what: str) -> None:
    recheck_on_commit(record_type=RecordType.INVOICE, ids=[invoice.pk], what=what)


def _store_settlement(invoice: Invoice) -> None:
    """The invoice is paid in full on the day its last part is paid; store that day and the working days
    it took (11.2), or neither while anything is owed."""
    invoice.paid_date = None
    invoice.working_days_to_pay = None
    if invoice.amount_paid < invoice.amount:
        return
    invoice.paid_date = invoice.payments.order_by("-paid_date").values_list("paid_date", flat=True).first()
    if invoice.paid_date:
        invoice.working_days_to_pay = rules.working_days_to_pay(
            received=invoice.received_date, paid=invoice.paid_date, nation=invoice.compact.nation
        )


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    actor: User | None,
    paid_date: datetime.date,
    amount: Decimal,
    today: datetime.date,
    submission_key: uuid.UUID | None = None,
) -> Payment:
    """Record a payment, perhaps a part payment; the invoice is paid in full on the day the last part is paid.

    A payment made after ``today`` is refused. Recorded once per ``submission_key`` (the form's one-time key): the
    same form sent twice pays once.
    """
    refuse_after_today(today, paid_date=paid_date)
    return once(
        key=submission_key,
        actor=actor,
        model=Payment,
        create=lambda: _payment_record(invoice=invoice, actor=actor, paid_date=paid_date, amount=amount),
    )[0]


def _payment_record(*, invoice: Invoice, actor: User | None, paid_date: datetime.date, amount: Decimal) -> Payment:
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("compact").get(pk=invoice.pk)
    if amount > invoice.outstanding:
        raise ValidationError({"amount": f"Only {money(invoice.outstanding)} is still owed on this invoice."})
    payment = Payment(invoice=invoice, paid_date=paid_date, amount=amount, recorded_by=actor)
    validated_save(payment, actor)
    invoice.amount_paid += amount
    _store_settlement(invoice)
    validated_save(invoice, actor)
    _recheck_invoice(invoice, f"Payment recorded on invoice {invoice.invoice_number}")
    return payment


# --- Notices ------------------------------------------------------------------------------------


def _store_notice_deadlines(notice: Notice) -> None:
    relationship = notice.relationship
    compact = relationship.compact
    if notice.notice_date:
        notice.earliest_effective_date = rules.earliest_effective_date(notice.notice_date, months=compact.notice_months)
    notice.notice_owed = rules.notice_owed(
        end_date_defined_at_start=relationship.end_date_defined_at_start,
        fixed_end_excepted=compact.notice_excepts_fixed_end,
    )


@transaction.atomic
def notice_record(
    *,
    relationship: FundingRelationship,
    actor: User | None,
    today: datetime.date,
    submission_key: uuid.UUID | None = None,
    **fields: Any,
) -> Notice:
    """Record written notice of an end, reduction or change, with its earliest effective date (13.3) stored.

    A notice shorter than the compact requires is recorded, not refused: it happened, and the
    compliance jobs flag it. Notice given after ``today`` is refused (its effective date and response deadline
    may lie ahead). Recorded once per ``submission_key`` (the form's one-time key).
    """
    check_fields(fields, NOTICE_FIELDS)
    refuse_after_today(today, notice_date=fields.get("notice_date"))

    def record() -> Notice:
        notice = Notice(relationship=relationship, recorded_by=actor, **fields)
        _store_notice_deadlines(notice)
        validated_save(notice, actor)
        _recheck_notice(notice, f"Notice recorded on {relationship.reference}")
        return notice

    return once(key=submission_key, actor=actor, model=Notice, create=record)[0]


def _recheck_notice(notice: Notice, what: str) -> None:
    recheck_on_commit(record_type=RecordType.NOTICE, ids=[notice.pk], what=what)


@transaction.atomic
def notice_update(*, notice: Notice, actor: User | None, today: datetime.date, **changes: Any) -> Notice:
    """Change a notice (for example to record the final decision); its stored dates follow. Notice given after
    ``today`` is refused."""
    check_fields(changes, NOTICE_FIELDS)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    for name, value in changes.items():
        setattr(notice, name, value)
    refuse_after_today(today, notice_date=notice.notice_date)
    _store_notice_deadlines(notice)
    validated_save(notice, actor)
    _recheck_notice(notice, f"Notice on {notice.relationship.reference} changed")
    return notice


@transaction.atomic
def notice_respond(*, notice: Notice, actor: User, response: str, today: datetime.date) -> Notice:
    """The organisation responds to a notice (13.4); it may change its response until the window closes."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.response_due_by is None:
        raise ValidationError("The funder has not opened a window for responses to this notice.")
    if not notice.response_open(today):
        raise ValidationError(
            f"The window for responding closed on {date_format(notice.response_due_by)}; "
            "contact the funder if you still need to respond."
        )
    if not response.strip():
        raise ValidationError({"response": "Write your response."})
    notice.response = response.strip()
    notice.responded_at = timezone.now()
    notice.responded_by = actor
    validated_save(notice, actor)
    _recheck_notice(notice, f"Response to the notice on {notice.relationship.reference}")
    return notice
