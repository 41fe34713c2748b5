"""Bulk import of funding relationships, invoices, notices and monitoring returns from CSV: every bad row reported,
all rows or none saved.

Row numbers are the spreadsheet's: the header is row 1, the first record row 2. Each row is saved through
the funding services (so it is validated and its deadlines stored as if entered by hand) inside a savepoint
of one transaction; a row the services refuse is reported and the import goes on to find every other bad
row, then the whole transaction is rolled back if any row was bad.

Re-importing the same file creates no duplicates. A relationship row matches on its funder and reference,
an invoice row on its funding and invoice number, a notice row on its funding, kind and notice date, a return row
on its funding and the day its period starts; a matched record is updated only where the file differs, and a
decision or payment already recorded is not recorded again.

A monitoring return (17.3) is recorded on the funding's monitoring plan, which must be set up first: the period it
covers and, if it was sent, the day it was first sent. Its due date is worked out as for a return made in the
portal (a month after the period ends, moved to the next working day), so the file need not give it; a
``due_date`` column, if the file has one, is checked against it and a row that disagrees is refused.

What happened is imported as it happened: a term shorter than the compact's minimum with no
``term_explanation`` (9.1), an award told late with no ``decision_justification`` (9.2), a decline with no
``feedback`` (9.3) are recorded, and the compliance jobs flag them until the explanation is added. A later
import of the file with the explanation filled in adds it: to the relationship (``term_explanation``), or to
the decision already recorded, where its justification or feedback was blank. Wrong data (an unknown
organisation, an end before the start, a date that is not a date, a decision that cannot follow the
funding's state) is still refused, with its row number and the reason.
"""

import datetime
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from commitments.models import Compact, Organisation
from compact_portal.accounts.models import User
from compact_portal.csv_import import (
    DATE_ARITHMETIC_ERRORS,
    DATE_ARITHMETIC_FAILED,
    RowError,
    parse_bool,
    parse_date,
    parse_money,
    validation_messages,
)
from compact_portal.formatting import long_date, money

from .. import rules
from ..models import (
    DecisionKind,
    FundingRelationship,
    Invoice,
    Mechanism,
    MonitoringPlan,
    Notice,
    NoticeKind,
    Payment,
)
from . import (
    PaymentItem,
    PaymentsRefused,
    decision_explain,
    decision_record,
    invoice_record,
    invoice_update,
    notice_record,
    notice_update,
    payment_record,
    payments_record,
    relationship_create,
    relationship_update,
)
from .monitoring import return_record

COLUMNS = {
    "relationships": (
        "reference",
        "funder_org_id",
        "recipient_org_id",
        "compact",
        "mechanism",
        "title",
        "amount",
        "expected_start",
        "start_date",
        "end_date",
        "end_date_defined_at_start",
        "strategic",
        "decision",
        "decision_date",
        "decision_justification",
        "term_explanation",
        "feedback",
    ),
    "invoices": ("funding_reference", "invoice_number", "amount", "received_date", "paid_date"),
    "notices": ("funding_reference", "kind", "notice_date", "effective_date", "rationale"),
    "returns": ("funding_reference", "period_start", "period_end"),
}
# Columns a file of the kind may leave out: a return's day sent (blank or absent: not sent yet) and its due date
# (worked out; checked when given); whether a notice is for performance (12.7; absent: an existing notice keeps
# what it says, a new one is not).
OPTIONAL_COLUMNS = {"returns": ("submitted_date", "due_date"), "notices": ("for_performance",)}
KINDS = tuple(COLUMNS)

logger = logging.getLogger(__name__)


def import_via_label(kind: str) -> str:
    """How the audit trail names an import of ``kind`` (followed there by the file's name)."""
    return f"Funding import ({kind})"


# The decisions a relationships file may record; later decisions (variations, endings...) are made in the portal.
IMPORTED_DECISIONS = [(DecisionKind.AWARDED.value, "Awarded"), (DecisionKind.DECLINED.value, "Declined")]


@dataclass
class FundingImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, outcome: str) -> None:
        """Count a row saved with ``outcome`` ("created", "updated" or "unchanged")."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.outcomes.append(outcome)


def funding_import(
    *,
    kind: str,
    header: list[str],
    rows: list[dict[str, str]],
    actor: User | None,
    today: datetime.date,
    allowed_funder_ids: set[int] | None = None,
) -> FundingImportResult:
    """Import a file of ``kind`` ("relationships", "invoices", "notices" or "returns"): every row, or none if any is
    bad.

    ``today`` is the import's day: a decision told, an invoice received, a payment made or notice given after it
    is that row's error (the services refuse it), as is funding under a compact its funder has not signed.
    ``allowed_funder_ids`` limits the import to funding given by those organisations (an officer's own public
    bodies); None allows any funder (the management command).
    """
    if kind not in COLUMNS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    result = FundingImportResult()
    missing = [column for column in COLUMNS[kind] if column not in header]
    if missing:
        result.errors.append(RowError(1, f"The header is missing the column(s): {', '.join(missing)}."))
        return result
    if not rows:
        result.errors.append(RowError(1, f"The file has a header but no {kind}."))
        return result

    return funding_rows_import(
        kind=kind, rows=rows, actor=actor, today=today, allowed_funder_ids=allowed_funder_ids, result=result
    )


def funding_rows_import(
    *,
    kind: str,
    rows: list[dict[str, str]],
    actor: User | None,
    today: datetime.date,
    allowed_funder_ids: set[int] | None = None,
    first_number: int = 2,
    row_word: str = "row",
    result: FundingImportResult | None = None,
) -> FundingImportResult:
    """Save ``rows`` of ``kind`` (a CSV kind, or "payments": funding_reference, invoice_number, paid_date, amount and
    perhaps payment_reference) through the services in one transaction: every row, or none if any is bad, with every bad
    row's error. Rows are numbered from ``first_number`` and called ``row_word`` in the messages (the API's items: 0 and
    "item"); ``result.outcomes`` says what became of each row ("created", "updated" or "unchanged"). Payments are looked
    up and saved as one batch (``payments_record``), in a number of queries that does not grow with the rows."""
    result = result or FundingImportResult()
    importer = _IMPORTERS[kind](actor=actor, today=today, allowed_funder_ids=allowed_funder_ids)
    importer.row_word = row_word
    with transaction.atomic():
        numbered = [
            (number, {key: (value or "").strip() for key, value in raw.items() if key})
            for number, raw in enumerate(rows, start=first_number)
        ]
        importer.import_rows(numbered, result)
        if result.errors:
            transaction.set_rollback(True)
            result.created = result.updated = result.unchanged = 0
            result.outcomes = []
    return result


def _org_id_key(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def _choice(value: str, column: str, choices) -> str:
    wanted = value.strip().lower()
    for key, label in choices:
        if wanted in (key, label.lower(), slugify(label).replace("-", "_")):
            return key
    raise ValidationError(f"{column}: '{value}' is not one of: {', '.join(key for key, _ in choices)}.")


class _Cells:
    """One row's cells, read column by column; every problem is kept so the row's message lists them all."""

    def __init__(self, values: dict[str, str]):
        self.values = values
        self.problems: list[str] = []

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def read(self, column: str, parse: Callable[..., Any], *args: Any, required: bool = False) -> Any:
        value = self.values.get(column, "")
        if required and not value:
            self.problem(f"{column}: this is blank; every row needs one.")
            return None
        try:
            return parse(value, column, *args)
        except ValidationError as error:
            self.problems.extend(error.messages)
            return None

    def text(self, column: str, *, required: bool = False) -> str:
        return self.read(column, lambda value, _column: value, required=required) or ""

    def check(self) -> None:
        if self.problems:
            raise ValidationError(self.problems)


class _Importer:
    field_columns: dict[str, str] = {}  # model field -> CSV column, for the services' errors
    row_word = "row"  # what the messages call a row ("item" in the API)

    def __init__(self, *, actor: User | None, today: datetime.date, allowed_funder_ids: set[int] | None):
        self.actor = actor
        self.today = today
        self.allowed_funder_ids = allowed_funder_ids
        self.seen: dict[tuple, int] = {}
        self._relationships: dict[str, FundingRelationship | str] = {}

    def import_rows(self, rows: list[tuple[int, dict[str, str]]], result: FundingImportResult) -> None:
        """Save ``rows`` (each with its number) one by one, each in a savepoint, adding its outcome or its error to
        ``result``."""
        for number, values in rows:
            try:
                with transaction.atomic():
                    outcome = self.import_row(values, number)
            except ValidationError as error:
                result.errors.append(RowError(number, validation_messages(error, self.field_columns)))
                continue
            except DATE_ARITHMETIC_ERRORS:
                # A deadline ran off the calendar; the row's savepoint has undone whatever it had saved.
                logger.warning("Funding import row %s: date arithmetic failed", number, exc_info=True)
                result.errors.append(RowError(number, DATE_ARITHMETIC_FAILED))
                continue
            result.add(outcome)

    def import_row(self, values: dict[str, str], number: int) -> str:
        """Save one row through the services; return "created", "updated" or "unchanged"."""
        raise NotImplementedError

    def first_seen(self, cells: _Cells, key: tuple, number: int, what: str) -> None:
        """Note the row holding ``key``; a later row with the same key is a duplicate of it."""
        if not all(key):
            return
        if key in self.seen:
            cells.problem(f"{what} is already on {self.row_word} {self.seen[key]}; give each one once.")
        else:
            self.seen[key] = number

    def funding(self, cells: _Cells, column: str = "funding_reference") -> FundingRelationship | None:
        """The relationship a row's reference names, among the allowed funders' when the import is limited."""
        reference = cells.values.get(column, "")
        if not reference:
            cells.problem(f"{column}: this is blank; give the reference of the funding.")
            return None
        if reference not in self._relationships:
            self._remember_funding(reference, list(self._fundings().filter(reference=reference)[:2]), column)
        found = self._relationships[reference]
        if isinstance(found, str):
            cells.problem(found)
            return None
        return found

    def find_fundings(self, references: Iterable[str], column: str = "funding_reference") -> None:
        """Look up every one of ``references`` in one query, so that ``funding`` then finds each without another."""
        wanted = {reference for reference in references if reference and reference not in self._relationships}
        if not wanted:
            return
        matches: dict[str, list[FundingRelationship]] = defaultdict(list)
        for relationship in self._fundings().filter(reference__in=wanted):
            matches[relationship.reference].append(relationship)
        for reference in wanted:
            self._remember_funding(reference, matches[reference], column)

    def _fundings(self):
        found = FundingRelationship.objects.select_related("compact")
        if self.allowed_funder_ids is not None:
            found = found.filter(funder_id__in=self.allowed_funder_ids)
        return found

    def _remember_funding(self, reference: str, matches: list[FundingRelationship], column: str) -> None:
        """Keep the one relationship with ``reference``, or why there is none to use."""
        if not matches:
            whose = "given by your organisation " if self.allowed_funder_ids is not None else ""
            self._relationships[reference] = (
                f"{column}: no funding {whose}has the reference '{reference}'; import the funding relationship "
                "first, or check the reference."
            )
        elif len(matches) > 1:
            self._relationships[reference] = (
                f"{column}: more than one funder uses the reference '{reference}'; give the funding a reference "
                "no other funder uses, then import again."
            )
        else:
            self._relationships[reference] = matches[0]


class _RelationshipImporter(_Importer):
    field_columns = {
        "funder": "funder_org_id",
        "recipient": "recipient_org_id",
        "kind": "decision",
        "told_date": "decision_date",
        "justification": "decision_justification",
    }
    DETAIL_FIELDS = (
        "compact",
        "recipient",
        "mechanism",
        "title",
        "amount",
        "expected_start",
        "start_date",
        "end_date",
        "end_date_defined_at_start",
        "strategic",
        "term_explanation",
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.compacts = {compact.slug: compact for compact in Compact.objects.all()}
        self.organisations: dict[str, Organisation | None] = {}
        self._own_names: str | None = None

    def organisation(self, cells: _Cells, column: str, role: str, example: str) -> Organisation | None:
        value = cells.values.get(column, "")
        if not value:
            cells.problem(f"{column}: this is blank; give the {role}'s Org-ID, for example {example}.")
            return None
        key = _org_id_key(value)
        if key not in self.organisations:
            candidates = list(Organisation.objects.filter(org_id__iexact=key))
            exact = [organisation for organisation in candidates if organisation.org_id == key]
            self.organisations[key] = (exact or candidates or [None])[0]
        organisation = self.organisations[key]
        if organisation is None:
            cells.problem(
                f"{column}: no organisation has the Org-ID '{value}'; add the {role} to the portal first, "
                "or check the Org-ID."
            )
        return organisation

    def compact(self, value: str, column: str) -> Compact:
        compact = self.compacts.get(value.lower())
        if compact is None:
            raise ValidationError(
                f"{column}: no compact has the slug '{value}'; use one of: {', '.join(sorted(self.compacts))}."
            )
        return compact

    def own_names(self) -> str:
        if self._own_names is None:
            names = Organisation.objects.filter(pk__in=self.allowed_funder_ids).values_list("name", flat=True)
            self._own_names = ", ".join(sorted(names)) or "none"
        return self._own_names

    def import_row(self, values: dict[str, str], number: int) -> str:
        cells = _Cells(values)
        reference = cells.text("reference", required=True)
        funder_key = _org_id_key(values.get("funder_org_id", ""))
        self.first_seen(cells, (funder_key, reference), number, f"reference: '{reference}' from this funder")
        funder = self.organisation(cells, "funder_org_id", "funder", "GB-LAE-POR")
        if funder and self.allowed_funder_ids is not None and funder.pk not in self.allowed_funder_ids:
            cells.problem(
                f"You can only import funding given by your own organisation ({self.own_names()}); "
                f"this row's funder is {funder.name}."
            )
        details = {
            "recipient": self.organisation(cells, "recipient_org_id", "recipient", "GB-CHC-1012345"),
            "compact": cells.read("compact", self.compact, required=True),
            "mechanism": cells.read("mechanism", _choice, Mechanism.choices, required=True),
            "title": cells.text("title", required=True),
            "amount": cells.read("amount", parse_money),
            "expected_start": cells.read("expected_start", parse_date, required=True),
            "start_date": cells.read("start_date", parse_date),
            "end_date": cells.read("end_date", parse_date),
            "end_date_defined_at_start": cells.read("end_date_defined_at_start", parse_bool),
            "strategic": cells.read("strategic", parse_bool),
            "term_explanation": cells.text("term_explanation"),
        }
        decision = values.get("decision") and cells.read("decision", _choice, IMPORTED_DECISIONS)
        told_date = cells.read("decision_date", parse_date)
        if values.get("decision") and not values.get("decision_date"):
            cells.problem("decision_date: this is blank; give the date the organisation was told of the decision.")
        if values.get("decision_date") and not values.get("decision"):
            cells.problem("decision: this is blank; say whether the funding was awarded or declined.")
        cells.check()

        relationship = FundingRelationship.objects.filter(funder=funder, reference=reference).first()
        if relationship is None:
            relationship = relationship_create(actor=self.actor, funder=funder, reference=reference, **details)
            outcome = "created"
        elif any(getattr(relationship, name) != value for name, value in details.items()):
            relationship = relationship_update(relationship=relationship, actor=self.actor, today=self.today, **details)
            outcome = "updated"
        else:
            outcome = "unchanged"

        explanations = {
            "justification": values.get("decision_justification", ""),
            "feedback": values.get("feedback", ""),
        }
        recorded = decision and relationship.decisions.filter(kind=decision, told_date=told_date).first()
        if decision and recorded is None:
            decision_record(
                relationship=relationship,
                actor=self.actor,
                kind=decision,
                told_date=told_date,
                today=self.today,
                **explanations,
            )
            outcome = "updated" if outcome == "unchanged" else outcome
        elif recorded:
            # Recorded before without its justification or feedback (9.2, 9.3): the file now gives it.
            filled = {name: text for name, text in explanations.items() if text and not getattr(recorded, name)}
            if filled:
                decision_explain(decision=recorded, actor=self.actor, **filled)
                outcome = "updated" if outcome == "unchanged" else outcome
        return outcome


class _InvoiceImporter(_Importer):
    field_columns = {"relationship": "funding_reference"}

    def import_row(self, values: dict[str, str], number: int) -> str:
        cells = _Cells(values)
        invoice_number = cells.text("invoice_number", required=True)
        key = (values.get("funding_reference", ""), invoice_number)
        self.first_seen(cells, key, number, f"invoice_number: '{invoice_number}' for this funding")
        relationship = self.funding(cells)
        amount = cells.read("amount", parse_money)
        if amount is not None and amount <= 0:
            cells.problem("amount: an invoice must be for more than £0.")
        received_date = cells.read("received_date", parse_date, required=True)
        paid_date = cells.read("paid_date", parse_date)
        cells.check()

        details = {"invoice_number": invoice_number, "amount": amount, "received_date": received_date}
        invoice = Invoice.objects.filter(relationship=relationship, invoice_number=invoice_number).first()
        if invoice is None:
            invoice = invoice_record(relationship=relationship, actor=self.actor, today=self.today, **details)
            outcome = "created"
        elif invoice.amount != amount or invoice.received_date != received_date:
            invoice = invoice_update(invoice=invoice, actor=self.actor, today=self.today, **details)
            outcome = "updated"
        else:
            outcome = "unchanged"

        if paid_date and invoice.outstanding > 0:
            payment_record(
                invoice=invoice, actor=self.actor, paid_date=paid_date, amount=invoice.outstanding, today=self.today
            )
            outcome = "updated" if outcome == "unchanged" else outcome
        return outcome


class _PaymentImporter(_Importer):
    """Payments against invoices already recorded (the API's payments), looked up and saved as one batch, so a
    finance system may send its payments more than once. A row with a ``payment_reference`` is the same payment as
    the one its invoice already has with that reference (recorded, or given earlier in the batch): unchanged if its
    day and amount agree, refused if not. A row without one is the same payment as one its invoice has on the same
    day for the same amount, and is unchanged."""

    field_columns = {"relationship": "funding_reference", "invoice": "invoice_number", "reference": "payment_reference"}
    REFERENCE_MAX_LENGTH = Payment._meta.get_field("reference").max_length

    def import_rows(self, rows: list[tuple[int, dict[str, str]]], result: FundingImportResult) -> None:
        self.find_fundings(values.get("funding_reference", "") for _number, values in rows)
        read = []
        for number, values in rows:
            cells = _Cells(values)
            invoice_number = cells.text("invoice_number", required=True)
            relationship = self.funding(cells)
            paid_date = cells.read("paid_date", parse_date, required=True)
            amount = cells.read("amount", parse_money, required=True)
            if amount is not None and amount <= 0:
                cells.problem("amount: a payment must be for more than £0.")
            reference = cells.text("payment_reference")
            if len(reference) > self.REFERENCE_MAX_LENGTH:
                cells.problem(
                    f"payment_reference: give at most {self.REFERENCE_MAX_LENGTH} characters; "
                    f"this one has {len(reference)}."
                )
            read.append((number, cells, relationship, invoice_number, paid_date, amount, reference))

        # The batch's invoices in one query: those of its relationships with its numbers, matched in pairs here.
        wanted = {(relationship.pk, number) for _n, _c, relationship, number, *_rest in read if relationship and number}
        invoices = {
            (invoice.relationship_id, invoice.invoice_number): invoice
            for invoice in Invoice.objects.filter(
                relationship_id__in={pk for pk, _number in wanted},
                invoice_number__in={number for _pk, number in wanted},
            )
            if (invoice.relationship_id, invoice.invoice_number) in wanted
        }
        # Their payments in one query: by day and amount, and by reference (with the day and amount it names).
        recorded: set[tuple] = set()
        by_reference: dict[tuple[int, str], tuple[datetime.date, Any, str]] = {}
        for invoice_id, paid_date, amount, reference in Payment.objects.filter(
            invoice__in=invoices.values()
        ).values_list("invoice_id", "paid_date", "amount", "reference"):
            recorded.add((invoice_id, paid_date, amount))
            if reference:
                by_reference[(invoice_id, reference)] = (paid_date, amount, "recorded on this invoice")

        outcomes: dict[int, str] = {}
        errors: list[RowError] = []
        batch: list[PaymentItem] = []
        batch_numbers: list[int] = []
        for number, cells, relationship, invoice_number, paid_date, amount, reference in read:
            invoice = relationship and invoices.get((relationship.pk, invoice_number))
            if relationship is not None and invoice_number and invoice is None:
                cells.problem(
                    f"invoice_number: the funding '{relationship.reference}' has no invoice '{invoice_number}'; "
                    "send the invoice first, or check the number."
                )
            same = invoice and reference and by_reference.get((invoice.pk, reference))
            if same and (same[0], same[1]) != (paid_date, amount) and paid_date and amount:
                cells.problem(
                    f"payment_reference: '{reference}' is already {same[2]} for {money(same[1])} on "
                    f"{long_date(same[0])}; a payment's day and amount cannot change once recorded, so give this "
                    "payment its own reference, or send that one as it was."
                )
            if cells.problems:
                errors.append(RowError(number, validation_messages(ValidationError(cells.problems))))
                continue
            key = (invoice.pk, paid_date, amount)
            if same or (not reference and key in recorded):
                outcomes[number] = "unchanged"
                continue
            recorded.add(key)
            if reference:
                by_reference[(invoice.pk, reference)] = (paid_date, amount, f"given on {self.row_word} {number}")
            outcomes[number] = "created"
            batch.append(PaymentItem(invoice=invoice, paid_date=paid_date, amount=amount, reference=reference))
            batch_numbers.append(number)

        if batch:
            try:
                payments_record(payments=batch, actor=self.actor, today=self.today)
            except PaymentsRefused as refusal:
                errors.extend(
                    RowError(batch_numbers[index], validation_messages(error, self.field_columns))
                    for index, error in refusal.by_item.items()
                )
        if errors:
            result.errors.extend(sorted(errors, key=lambda error: error.row))
            return
        for number, _values in rows:
            result.add(outcomes[number])


class _NoticeImporter(_Importer):
    field_columns = {"relationship": "funding_reference"}

    def import_row(self, values: dict[str, str], number: int) -> str:
        cells = _Cells(values)
        kind = cells.read("kind", _choice, NoticeKind.choices, required=True)
        notice_date = cells.read("notice_date", parse_date, required=True)
        key = (values.get("funding_reference", ""), kind, notice_date)
        if all(key):
            what = f"notice_date: this funding's {kind} notice of {notice_date:%d/%m/%Y}"
            self.first_seen(cells, key, number, what)
        relationship = self.funding(cells)
        effective_date = cells.read("effective_date", parse_date, required=True)
        rationale = values.get("rationale", "")
        if not rationale:
            cells.problem("rationale: this is blank; give the reason the funding is ending, reducing or changing.")
        given = {"effective_date": effective_date, "rationale": rationale}
        if "for_performance" in values:
            given["for_performance"] = cells.read("for_performance", parse_bool)
        cells.check()

        notice = Notice.objects.filter(relationship=relationship, kind=kind, notice_date=notice_date).first()
        if notice is None:
            notice_record(
                relationship=relationship,
                actor=self.actor,
                today=self.today,
                kind=kind,
                notice_date=notice_date,
                **given,
            )
            return "created"
        changes = {name: value for name, value in given.items() if getattr(notice, name) != value}
        if not changes:
            return "unchanged"
        notice_update(notice=notice, actor=self.actor, today=self.today, **changes)
        return "updated"


class _ReturnImporter(_Importer):
    field_columns = {"plan": "funding_reference"}

    def import_row(self, values: dict[str, str], number: int) -> str:
        cells = _Cells(values)
        period_start = cells.read("period_start", parse_date, required=True)
        period_end = cells.read("period_end", parse_date, required=True)
        key = (values.get("funding_reference", ""), period_start)
        if all(key):
            what = f"period_start: this funding's return for the period from {period_start:%d/%m/%Y}"
            self.first_seen(cells, key, number, what)
        relationship = self.funding(cells)
        submitted_date = cells.read("submitted_date", parse_date)
        due_given = cells.read("due_date", parse_date)
        plan = relationship and MonitoringPlan.objects.filter(relationship=relationship).first()
        if relationship and plan is None:
            cells.problem(
                f"funding_reference: the funding '{relationship.reference}' has no monitoring plan yet; set up its "
                "monitoring on the funding's page first, then import its returns."
            )
        if period_start and period_end and period_end < period_start:
            cells.problem("period_end: the period must not end before it starts.")
        if period_start and submitted_date and submitted_date < period_start:
            cells.problem(
                f"submitted_date: {long_date(submitted_date)} is before the period starts "
                f"({long_date(period_start)}); check the dates."
            )
        due = None
        if relationship and period_end:
            due = rules.return_due_date(period_end, nation=relationship.compact.nation)
            if due_given and due_given != due:
                cells.problem(
                    f"due_date: a return for a period ending {long_date(period_end)} is due on {long_date(due)} "
                    f"(a month after the period ends, moved to the next working day), not {long_date(due_given)}; "
                    "leave due_date blank to have it worked out."
                )
        cells.check()

        existing = plan.returns.filter(period_start=period_start).first()
        if (
            existing is not None
            and (existing.period_end, existing.due_date) == (period_end, due)
            and submitted_date in (None, existing.submitted_date)
        ):
            return "unchanged"
        try:
            return_record(
                plan=plan,
                actor=self.actor,
                today=self.today,
                period_start=period_start,
                period_end=period_end,
                submitted_date=submitted_date,
            )
        except PermissionDenied as refusal:
            raise ValidationError(str(refusal)) from None
        return "created" if existing is None else "updated"


_IMPORTERS: dict[str, type[_Importer]] = {
    "relationships": _RelationshipImporter,
    "invoices": _InvoiceImporter,
    "payments": _PaymentImporter,
    "notices": _NoticeImporter,
    "returns": _ReturnImporter,
}
