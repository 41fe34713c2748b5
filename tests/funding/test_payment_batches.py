"""Payments recorded as a batch (``payments_record``, the API's payments): the same rules as one payment at a time
(``payment_record``), the batch's earlier parts counted against what is owed, every refusal by its index, a history
row for each payment and invoice, one compliance re-check, and as many queries for 80 payments as for 10."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from commitments.models import RecordType
from compact_portal.audit import audit_context
from funding import services
from funding.models import Invoice, Payment
from funding.services import PaymentItem, PaymentsRefused
from funding.services.imports import funding_rows_import
from tests.commitments.factories import CompactFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

RECEIVED = datetime.date(2027, 4, 6)  # a Tuesday
FIRST_PART = datetime.date(2027, 4, 8)
LAST_PART = datetime.date(2027, 4, 30)
TODAY = datetime.date(2027, 5, 3)


def item(invoice: Invoice, amount: str, paid: datetime.date = FIRST_PART, reference: str = "") -> PaymentItem:
    return PaymentItem(invoice=invoice, paid_date=paid, amount=Decimal(amount), reference=reference)


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param([("400", FIRST_PART), ("600", LAST_PART)], id="last-part-last"),
        pytest.param([("600", LAST_PART), ("400", FIRST_PART)], id="last-part-first"),
    ],
)
def test_two_parts_in_one_batch_settle_the_invoice_on_the_day_of_the_last_part(parts):
    invoice = InvoiceFactory(amount=Decimal("1000"), received_date=RECEIVED)

    payments = services.payments_record(
        payments=[item(invoice, amount, paid) for amount, paid in parts], actor=None, today=TODAY
    )

    invoice.refresh_from_db()
    assert [payment.amount for payment in payments] == [Decimal(amount) for amount, _paid in parts]
    assert (invoice.amount_paid, invoice.paid_date) == (Decimal("1000"), LAST_PART)
    assert invoice.working_days_to_pay == 18  # 3 + 5 + 5 + 5 working days after Tuesday 6 April


@pytest.mark.parametrize(
    ("nation", "working_days"),
    [
        pytest.param("england_wales", 10, id="england-no-holiday"),
        pytest.param("scotland", 9, id="scotland-first-monday-of-august"),
    ],
)
def test_a_batch_counts_the_working_days_under_the_compacts_nation(nation, working_days):
    funding = AwardedFundingFactory(compact=CompactFactory(name="Paying Compact", nation=nation))
    invoice = InvoiceFactory(relationship=funding, amount=Decimal("100"), received_date=datetime.date(2027, 7, 30))

    services.payments_record(
        payments=[item(invoice, "60", datetime.date(2027, 8, 2)), item(invoice, "40", datetime.date(2027, 8, 13))],
        actor=None,
        today=datetime.date(2027, 8, 13),
    )

    invoice.refresh_from_db()
    assert (invoice.paid_date, invoice.working_days_to_pay) == (datetime.date(2027, 8, 13), working_days)


@pytest.mark.parametrize(
    ("second", "refused"),
    [
        pytest.param("600.00", False, id="exactly-what-is-left"),
        pytest.param("600.01", True, id="a-penny-over"),
    ],
)
def test_a_batch_counts_its_earlier_parts_against_what_is_owed(second, refused):
    invoice = InvoiceFactory(amount=Decimal("1000"), received_date=RECEIVED)
    batch = [item(invoice, "400"), item(invoice, second)]

    if not refused:
        services.payments_record(payments=batch, actor=None, today=TODAY)
        assert Invoice.objects.get().paid_date == FIRST_PART
        return
    with pytest.raises(PaymentsRefused) as refusal:
        services.payments_record(payments=batch, actor=None, today=TODAY)

    assert list(refusal.value.by_item) == [1]
    assert refusal.value.by_item[1].message_dict == {"amount": ["Only £600.00 is still owed on this invoice."]}
    assert not Payment.objects.exists()
    assert Invoice.objects.get().amount_paid == 0


def test_every_refused_payment_is_named_by_its_index_and_nothing_is_saved():
    invoice = InvoiceFactory(amount=Decimal("1000"), received_date=RECEIVED)
    other = InvoiceFactory(relationship=invoice.relationship, amount=Decimal("50"), received_date=RECEIVED)
    batch = [
        item(other, "50"),  # fine
        item(invoice, "10", TODAY + datetime.timedelta(days=1)),  # after today
        item(invoice, "10", RECEIVED - datetime.timedelta(days=1)),  # before the invoice was received
        item(other, "0.01"),  # the first item paid it all
    ]

    with pytest.raises(PaymentsRefused) as refusal:
        services.payments_record(payments=batch, actor=None, today=TODAY)

    by_item = refusal.value.by_item
    assert sorted(by_item) == [1, 2, 3]
    assert "after today" in by_item[1].message_dict["paid_date"][0]
    assert "before the invoice was received" in by_item[2].message_dict["paid_date"][0]
    assert by_item[3].message_dict["amount"] == ["Only £0.00 is still owed on this invoice."]
    assert not Payment.objects.exists()
    assert set(Invoice.objects.values_list("amount_paid", "paid_date")) == {(Decimal("0"), None)}


def test_each_payment_and_each_invoice_gets_one_history_row_crediting_the_actor_and_the_audit_context(officer):
    invoice = InvoiceFactory(amount=Decimal("1000"), received_date=RECEIVED)
    other = InvoiceFactory(relationship=invoice.relationship, amount=Decimal("50"), received_date=RECEIVED)

    with audit_context(via="Funding import (payments): payments.csv"):
        services.payments_record(
            payments=[item(invoice, "400"), item(invoice, "600", LAST_PART), item(other, "50")],
            actor=officer,
            today=TODAY,
        )

    for payment in Payment.objects.all():
        assert [(row.history_type, row.history_user, row.history_change_reason) for row in payment.history.all()] == [
            ("+", officer, "Funding import (payments): payments.csv")
        ]
    for paid in (invoice, other):
        latest, created = paid.history.all()  # newest first
        assert (latest.history_type, latest.history_user) == ("~", officer)
        assert latest.history_change_reason == "Funding import (payments): payments.csv"
        assert (latest.amount_paid, latest.paid_date) == (paid.amount, LAST_PART if paid == invoice else FIRST_PART)
        assert created.paid_date is None  # the earlier state is kept


def test_the_batch_asks_for_one_recheck_of_all_its_invoices(django_capture_on_commit_callbacks):
    invoices = [InvoiceFactory(amount=Decimal("100"), received_date=RECEIVED) for _ in range(3)]

    with (
        mock.patch("commitments.tasks.recheck_records.delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as queued,
    ):
        services.payments_record(
            payments=[item(invoice, "50") for invoice in invoices] + [item(invoices[0], "50")], actor=None, today=TODAY
        )

    assert len(queued) == 1
    delay.assert_called_once()
    assert delay.call_args.kwargs["records"] == {RecordType.INVOICE: sorted(invoice.pk for invoice in invoices)}
    assert delay.call_args.kwargs["cause"] == "4 payments recorded on 3 invoices"


@pytest.mark.parametrize("batch", ["one-payment", "two-parts", "over-payment"])
def test_payment_record_follows_the_same_rules_as_a_batch_of_one(batch):
    """``payment_record`` (the form's) and ``payments_record`` (the API's) share their rules: the same payments leave
    the same invoice, or the same refusal."""
    amounts = {"one-payment": ["1000"], "two-parts": ["400", "600"], "over-payment": ["400", "700"]}[batch]
    alone = InvoiceFactory(amount=Decimal("1000"), received_date=RECEIVED)
    batched = InvoiceFactory(amount=Decimal("1000"), received_date=RECEIVED)
    refusals = []
    for number, amount in enumerate(amounts):
        paid = FIRST_PART + datetime.timedelta(days=number)
        try:
            services.payment_record(invoice=alone, actor=None, paid_date=paid, amount=Decimal(amount), today=TODAY)
        except ValidationError as error:
            refusals.append(error.message_dict)

    refused = {}
    try:
        services.payments_record(
            payments=[
                item(batched, amount, FIRST_PART + datetime.timedelta(days=number))
                for number, amount in enumerate(amounts)
            ],
            actor=None,
            today=TODAY,
        )
    except PaymentsRefused as refusal:
        refused = refusal.by_item

    assert [error.message_dict for error in refused.values()] == refusals
    assert bool(refusals) == (batch == "over-payment")
    if refusals:
        return
    alone.refresh_from_db()
    batched.refresh_from_db()
    fields = ("amount_paid", "paid_date", "working_days_to_pay")
    assert [getattr(batched, name) for name in fields] == [getattr(alone, name) for name in fields]


# --- Through the API's rows ---------------------------------------------------------------------------------------


def rows(invoices: list[Invoice], paid: datetime.date = FIRST_PART, reference: str = "") -> list[dict[str, str]]:
    return [
        {
            "funding_reference": invoice.relationship.reference,
            "invoice_number": invoice.invoice_number,
            "paid_date": paid.isoformat(),
            "amount": "50.00",
        }
        | ({"payment_reference": reference} if reference else {})
        for invoice in invoices
    ]


def send(batch: list[dict[str, str]]):
    return funding_rows_import(kind="payments", rows=batch, actor=None, today=TODAY, first_number=0, row_word="item")


@pytest.mark.parametrize("references", [False, True], ids=["by-day-and-amount", "by-reference"])
# 40 invoices make 80 payments, whose history rows SQLite still takes in one insert (its 999 parameters hold 90 rows
# of 11 columns); past that it splits the insert, which is SQLite's limit and not a query a row.
@pytest.mark.parametrize("size", [5, 40])
def test_the_queries_of_a_batch_do_not_grow_with_its_size(size, references, django_assert_max_num_queries):
    fundings = [AwardedFundingFactory(reference=f"GR-BATCH-{n}") for n in range(3)]
    invoices = [
        InvoiceFactory(relationship=fundings[n % 3], amount=Decimal("100.00"), received_date=RECEIVED)
        for n in range(size)
    ]
    # Half of each invoice now, the other half later in the same batch; the first invoice's first half was sent before.
    # By reference, both halves are paid on one day: only their references tell them apart.
    first_half, second_half = ("PART-1", "PART-2") if references else ("", "")
    send(rows(invoices[:1], reference=first_half))  # already recorded: unchanged
    batch = rows(invoices, reference=first_half) + rows(invoices, paid=LAST_PART, reference=second_half)
    if references:
        batch = rows(invoices, reference=first_half) + rows(invoices, reference=second_half)

    with django_assert_max_num_queries(13):
        first = send(batch)
    with django_assert_max_num_queries(5):
        again = send(batch)

    assert first.ok, first.errors
    assert (first.created, first.unchanged) == (2 * size - 1, 1)
    assert (again.created, again.unchanged) == (0, 2 * size)
    assert set(Invoice.objects.values_list("paid_date", flat=True)) == {FIRST_PART if references else LAST_PART}
    assert Payment.objects.count() == 2 * size


def test_every_bad_row_is_reported_by_its_number_with_the_services_refusals():
    invoice = InvoiceFactory(amount=Decimal("100.00"), received_date=RECEIVED)
    batch = rows([invoice, invoice, invoice]) + [
        {"funding_reference": "NO-SUCH", "invoice_number": "INV-1", "paid_date": "2027-04-08", "amount": "1"}
    ]
    batch[1]["amount"] = "60.00"  # 50 + 60 is over the 100 owed
    batch[2]["invoice_number"] = "INV-MISSING"

    result = send(batch)

    reasons = {error.row: error.message for error in result.errors}
    assert sorted(reasons) == [1, 2, 3]
    assert reasons[1] == "amount: Only £50.00 is still owed on this invoice."
    assert "has no invoice 'INV-MISSING'" in reasons[2]
    assert "no funding has the reference 'NO-SUCH'" in reasons[3]
    assert (result.created, result.outcomes) == (0, [])
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("references", "outcomes", "recorded"),
    [
        (["", ""], ["created", "unchanged"], 1),
        (["A", "A"], ["created", "unchanged"], 1),
        (["A", "B"], ["created", "created"], 2),
        (["A", ""], ["created", "unchanged"], 1),
        (["", "A"], ["created", "created"], 2),
    ],
)
def test_two_equal_payments_in_a_batch_are_one_unless_their_references_differ(references, outcomes, recorded):
    invoice = InvoiceFactory(amount=Decimal("100.00"), received_date=RECEIVED)

    result = send(
        [row | {"payment_reference": ref} for row, ref in zip(rows([invoice, invoice]), references, strict=True)]
    )

    assert result.outcomes == outcomes, result.errors
    assert Payment.objects.count() == recorded


def test_a_batch_refuses_a_reference_given_twice_on_one_invoice_and_the_database_one_already_recorded():
    invoice, other = InvoiceFactory.create_batch(2, amount=Decimal("100.00"), received_date=RECEIVED)

    with pytest.raises(PaymentsRefused) as refused:
        services.payments_record(
            payments=[
                item(invoice, "20", reference="A"),
                item(other, "30", reference="A"),
                item(invoice, "5", reference="A"),
            ],
            actor=None,
            today=TODAY,
        )
    services.payments_record(payments=[item(invoice, "10", reference="A")], actor=None, today=TODAY)

    assert list(refused.value.by_item) == [2]
    assert refused.value.by_item[2].message_dict == {
        "reference": ["This invoice already has a payment with that reference."]
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        services.payments_record(payments=[item(invoice, "10", reference="A")], actor=None, today=TODAY)
    assert list(Payment.objects.values_list("reference", flat=True)) == ["A"]


def test_the_same_payment_twice_in_one_batch_is_recorded_once():
    invoice = InvoiceFactory(amount=Decimal("100.00"), received_date=RECEIVED)

    result = send(rows([invoice, invoice]))

    assert result.outcomes == ["created", "unchanged"]
    assert Payment.objects.count() == 1
