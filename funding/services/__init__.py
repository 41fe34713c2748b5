"""Every write to funding relationships, decisions, invoices, payments and notices goes through here.

Each function validates with ``full_clean()``, stores the deadlines ``funding/rules.py`` computes from
the compact's settings, and saves inside one transaction. django-simple-history records who changed
what: the signed-in person through its middleware, or the ``actor`` passed here (imports, jobs).
"""

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from commitments.models import RecordType, Signature, SignatureStatus
from commitments.services.live import recheck_on_commit
from compact_portal.accounts.models import User
from compact_portal.audit import fill_historical_record
from compact_portal.formatting import money
from compact_portal.models import Recorded
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


def _settle(invoice: Invoice, last_paid: datetime.date | None) -> None:
    """The invoice is paid in full on the day its last part is paid (``last_paid``): store that day and the working
    days it took under its compact's nation (11.2), or neither while anything is owed."""
    invoice.paid_date = last_paid if invoice.amount_paid >= invoice.amount else None
    invoice.working_days_to_pay = (
        rules.working_days_to_pay(received=invoice.received_date, paid=invoice.paid_date, nation=invoice.compact.nation)
        if invoice.paid_date
        else None
    )


def _store_settlements(invoices: Sequence[Invoice]) -> None:
    """Store each invoice's settlement (``_settle``) from the payments saved on it, reading the day of the last
    payment of every invoice paid in full in one query, however many invoices there are."""
    paid_in_full = [invoice.pk for invoice in invoices if invoice.amount_paid >= invoice.amount]
    last_paid = (
        dict(
            Payment.objects.filter(invoice_id__in=paid_in_full)
            .order_by()
            .values("invoice_id")
            .annotate(last=Max("paid_date"))
            .values_list("invoice_id", "last")
        )
        if paid_in_full
        else {}
    )
    for invoice in invoices:
        _settle(invoice, last_paid.get(invoice.pk))


def _store_settlement(invoice: Invoice) -> None:
    _store_settlements([invoice])


@dataclass(frozen=True)
class PaymentItem:
    """One payment of a batch for ``payments_record``: ``amount`` paid on ``paid_date`` against ``invoice``, with the
    finance system's own ``reference`` for it, if any (saved on the payment)."""

    invoice: Invoice
    paid_date: datetime.date
    amount: Decimal
    reference: str = ""


class PaymentsRefused(ValidationError):
    """``payments_record`` refused its batch and saved none of it. ``by_item`` maps the index (from 0, in the order
    given) of every refused payment to its own ValidationError, worded as ``payment_record`` words it."""

    def __init__(self, by_item: dict[int, ValidationError]):
        self.by_item = dict(sorted(by_item.items()))
        super().__init__([f"Payment {index}: {' '.join(error.messages)}" for index, error in self.by_item.items()])


def _history_credit(model: type[Recorded], actor: User | None) -> tuple[User | None, str | None]:
    """Who and why the history rows of a bulk save of ``model`` name, as ``validated_save``'s single save would:
    ``actor``, else the signed-in person, then whatever the audit context adds (an import's name, the API's
    "API: <token name>"). simple_history's bulk saves send no ``pre_create_historical_record``, so the audit
    receiver is run here on a row that stands for them all."""
    historical = model.history.model
    row = historical(history_user=actor or historical.get_default_history_user(model()), history_change_reason=None)
    fill_historical_record(sender=historical, history_instance=row)
    return row.history_user, row.history_change_reason


@transaction.atomic
def payments_record(*, payments: Sequence[PaymentItem], actor: User | None, today: datetime.date) -> list[Payment]:
    """Record a batch of payments (several may be parts of one invoice), all or none, in a number of queries that
    does not grow with the batch.

    Each payment meets ``payment_record``'s rules, in the order given: one made after ``today``, before its invoice was
    received, or for more than is still owed on its invoice once the batch's earlier payments on it are counted is
    refused, as is one whose reference an earlier payment of the batch on its invoice has (one whose invoice has it
    recorded breaks the database's constraint: look references up first); then nothing is saved and ``PaymentsRefused``
    names every refused payment by its index. Otherwise every payment is saved with one history row, and every invoice
    once, with one history row, its amount paid and its settlement (paid in full on the day its last part was paid, and
    the working days that took); the history credits ``actor`` (else the signed-in person) and the audit context, as a
    single save does. One compliance re-check of all the batch's invoices is asked for, run once the transaction
    commits. Returns the payments in the order given.
    """
    return _payments_record(payments, actor=actor, today=today)


def _payments_record(payments: Sequence[PaymentItem], *, actor: User | None, today: datetime.date) -> list[Payment]:
    refused: dict[int, ValidationError] = {}
    for index, item in enumerate(payments):
        try:
            refuse_after_today(today, paid_date=item.paid_date)
        except ValidationError as error:
            refused[index] = error
    # Every invoice of the batch locked in one query, in the order of their keys so two batches cannot deadlock.
    invoices = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update(of=("self",))
        .select_related("compact")
        .filter(pk__in={item.invoice.pk for item in payments})
        .order_by("pk")
    }
    # A reference names one payment of its invoice. Those already recorded are the caller's to look up (the import
    # does, in its one query of the batch's payments); the database's constraint refuses any the caller missed.
    taken: set[tuple[int, str]] = set()
    made: list[Payment] = []
    first_item_on: dict[int, int] = {}  # invoice -> the index of the batch's first payment on it
    for index, item in enumerate(payments):
        if index in refused:
            continue
        invoice = invoices.get(item.invoice.pk)
        if invoice is None:
            raise Invoice.DoesNotExist(f"Invoice {item.invoice.pk} no longer exists.")
        if item.reference:
            if (invoice.pk, item.reference) in taken:
                refused[index] = ValidationError(
                    {"reference": "This invoice already has a payment with that reference."}
                )
                continue
            taken.add((invoice.pk, item.reference))
        payment = Payment(
            invoice=invoice, paid_date=item.paid_date, amount=item.amount, reference=item.reference, recorded_by=actor
        )
        try:
            if item.amount > invoice.outstanding:
                raise ValidationError({"amount": f"Only {money(invoice.outstanding)} is still owed on this invoice."})
            # The invoice is the one just locked and the actor is the caller's: checking that they exist would cost
            # a query a payment and tell nothing.
            payment.full_clean(exclude=["invoice", "recorded_by"])
        except ValidationError as error:
            refused[index] = error
            continue
        invoice.amount_paid += item.amount
        first_item_on.setdefault(invoice.pk, index)
        made.append(payment)
    if refused:
        raise PaymentsRefused(refused)

    touched = [invoices[pk] for pk in first_item_on]
    user, reason = _history_credit(Payment, actor)
    bulk_create_with_history(made, Payment, default_user=user, default_change_reason=reason)
    _store_settlements(touched)
    for invoice in touched:
        try:
            # Its relationship, compact and number are as they were; checking them again would cost queries.
            invoice.full_clean(exclude=["relationship", "compact", "recorded_by"])
        except ValidationError as error:
            refused[first_item_on[invoice.pk]] = error
    if refused:
        raise PaymentsRefused(refused)
    user, reason = _history_credit(Invoice, actor)
    bulk_update_with_history(
        touched,
        Invoice,
        ["amount_paid", "paid_date", "working_days_to_pay"],
        default_user=user,
        default_change_reason=reason,
    )
    if len(made) == 1:
        what = f"Payment recorded on invoice {touched[0].invoice_number}"
    elif len(touched) == 1:
        what = f"{len(made)} payments recorded on invoice {touched[0].invoice_number}"
    else:
        what = f"{len(made)} payments recorded on {len(touched)} invoices"
    recheck_on_commit(record_type=RecordType.INVOICE, ids=[invoice.pk for invoice in touched], what=what)
    return made


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

    The rules are ``payments_record``'s, for a batch of one: a payment made after ``today``, before the invoice was
    received or over what is still owed is refused with its ValidationError. Recorded once per ``submission_key``
    (the form's one-time key): the same form sent twice pays once.
    """

    def record() -> Payment:
        try:
            return _payments_record([PaymentItem(invoice, paid_date, amount)], actor=actor, today=today)[0]
        except PaymentsRefused as refusal:
            raise refusal.by_item[0] from None

    return once(key=submission_key, actor=actor, model=Payment, create=record)[0]


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
