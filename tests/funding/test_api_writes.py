"""Invoices and payments in through the API: a token of the body, the import's row logic, one batch whole or not at
all, idempotent, the audit trail naming the token, and the live flags following a late payment."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone
from rest_framework.test import APIClient

from commitments.models import Flag, FlagStatus, RecordType, RuleKey
from compact_portal.accounts.models import Membership
from compact_portal.accounts.tokens import token_create
from compact_portal.models import ApiIdempotency
from funding.models import Invoice, Payment
from funding.services import imports, payments_record
from tests.commitments.factories import PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, sign_up

TODAY = timezone.localdate()
RECENT = TODAY - datetime.timedelta(days=3)
LONG_AGO = TODAY - datetime.timedelta(days=90)


@pytest.fixture
def make_token(officer, council):
    def make(**options):
        fields = {"name": "Finance system", "may_write_invoices": True, "may_write_payments": True, "expires_at": None}
        _token, raw = token_create(organisation=council, actor=officer, **(fields | options))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def api(make_token):
    return make_token()


def invoice(number="INV-1", amount="1250.00", received=RECENT, reference="GR-2027-001"):
    return {"funding_reference": reference, "invoice_number": number, "amount": amount, "received_date": str(received)}


def payment(number="INV-1", amount="1250.00", paid=TODAY, reference="GR-2027-001"):
    return {"funding_reference": reference, "invoice_number": number, "paid_date": str(paid), "amount": amount}


def test_an_invoice_is_recorded_with_its_pay_by_date_and_the_same_payload_again_changes_nothing(api, funding):
    first = api.post("/api/v1/invoices/", invoice(), format="json")
    again = api.post("/api/v1/invoices/", invoice(), format="json")

    assert first.status_code == 201, first.json()
    assert first.json()["items"] == [
        {"index": 0, "funding_reference": "GR-2027-001", "invoice_number": "INV-1", "outcome": "created"}
    ]
    assert again.status_code == 200
    assert again.json()["unchanged"] == 1
    recorded = Invoice.objects.get()
    assert (recorded.amount, recorded.received_date) == (Decimal("1250.00"), RECENT)
    assert recorded.pay_by > RECENT
    assert recorded.history.count() == 1


def test_a_batch_is_saved_whole_or_not_at_all_with_every_bad_item_by_index(api, funding):
    batch = [
        invoice("INV-1"),
        invoice("INV-2", received=TODAY + datetime.timedelta(days=1)),
        invoice("INV-3", reference="NO-SUCH"),
        invoice("INV-1"),
        {"funding_reference": "GR-2027-001"},
    ]

    answer = api.post("/api/v1/invoices/", batch, format="json")

    assert answer.status_code == 400
    body = answer.json()
    assert [error["index"] for error in body["errors"]] == [4]  # missing fields are reported before anything runs
    assert "invoice_number" in body["errors"][0]["reason"]
    answer = api.post("/api/v1/invoices/", batch[:4], format="json")
    reasons = {error["index"]: error["reason"] for error in answer.json()["errors"]}
    assert answer.status_code == 400
    assert sorted(reasons) == [1, 2, 3]
    assert "after today" in reasons[1]
    assert "NO-SUCH" in reasons[2]
    assert "item 0" in reasons[3]
    assert "Nothing was saved" in answer.json()["detail"]
    assert not Invoice.objects.exists()


def test_payments_settle_the_invoice_once_however_often_they_are_sent(api, funding):
    api.post("/api/v1/invoices/", [invoice("INV-1"), invoice("INV-2", amount="100")], format="json")
    batch = [payment("INV-1", amount="250.00"), payment("INV-1", amount="1000.00"), payment("INV-2", amount="100")]

    first = api.post("/api/v1/payments/", batch, format="json")
    again = api.post("/api/v1/payments/", batch, format="json")

    assert first.status_code == 201, first.json()
    assert [item["outcome"] for item in again.json()["items"]] == ["unchanged"] * 3
    assert Payment.objects.count() == 3
    one = Invoice.objects.get(invoice_number="INV-1")
    assert (one.amount_paid, one.paid_date) == (Decimal("1250.00"), TODAY)


def paid_by_reference(amount="625.00", reference="BACS-1", **options):
    return payment(amount=amount, **options) | {"payment_reference": reference}


def test_two_equal_part_payments_on_one_day_with_their_own_references_are_both_recorded(api, funding):
    api.post("/api/v1/invoices/", invoice("INV-1"), format="json")
    batch = [paid_by_reference(reference="BACS-1"), paid_by_reference(reference="BACS-2")]

    first = api.post("/api/v1/payments/", batch, format="json")
    again = api.post("/api/v1/payments/", batch, format="json")

    assert first.status_code == 201, first.json()
    assert [(item["payment_reference"], item["outcome"]) for item in first.json()["items"]] == [
        ("BACS-1", "created"),
        ("BACS-2", "created"),
    ]
    assert again.status_code == 200
    assert [item["outcome"] for item in again.json()["items"]] == ["unchanged"] * 2
    assert sorted(Payment.objects.values_list("reference", flat=True)) == ["BACS-1", "BACS-2"]
    settled = Invoice.objects.get()
    assert (settled.amount_paid, settled.paid_date) == (Decimal("1250.00"), TODAY)


@pytest.mark.parametrize(
    ("earlier", "where"),
    [("recorded", "recorded on this invoice for £625.00"), ("same batch", "given on item 0 for £625.00")],
)
@pytest.mark.parametrize("change", ["amount", "paid_date"])
def test_a_reference_sent_again_with_another_day_or_amount_is_refused_by_its_index(
    api, funding, earlier, where, change
):
    api.post("/api/v1/invoices/", invoice("INV-1"), format="json")
    changed = {"amount": {"amount": "600.00"}, "paid_date": {"paid": RECENT}}[change]
    batch = [paid_by_reference(), paid_by_reference(**changed)]
    if earlier == "recorded":
        assert api.post("/api/v1/payments/", batch[0], format="json").status_code == 201

    answer = api.post("/api/v1/payments/", batch, format="json")

    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["index"] == 1
    assert error["reason"].startswith(f"payment_reference: 'BACS-1' is already {where} on ")
    assert Payment.objects.count() == (1 if earlier == "recorded" else 0)


@pytest.mark.parametrize(
    ("references", "recorded"),
    [(["", ""], 1), (["BACS-1", ""], 1), (["", "BACS-1"], 2), (["BACS-1", "BACS-2"], 2)],
)
def test_a_payment_without_a_reference_is_the_one_recorded_on_its_day_for_its_amount(
    api, funding, references, recorded
):
    api.post("/api/v1/invoices/", invoice("INV-1"), format="json")
    for reference in references:
        sent = paid_by_reference(reference=reference) if reference else payment(amount="625.00")
        assert api.post("/api/v1/payments/", sent, format="json").status_code in (200, 201)

    assert Payment.objects.count() == recorded


def test_a_payment_reference_over_60_characters_or_holding_nul_is_refused(api, funding):
    api.post("/api/v1/invoices/", invoice("INV-1"), format="json")

    too_long = api.post("/api/v1/payments/", [payment(), paid_by_reference(reference="R" * 61)], format="json")
    with_nul = api.post("/api/v1/payments/", [payment(), paid_by_reference(reference="BACS\x00")], format="json")

    assert (too_long.status_code, with_nul.status_code) == (400, 400)
    assert too_long.json()["errors"] == [
        {"index": 1, "reason": "payment_reference: give at most 60 characters; this one has 61."}
    ]
    assert with_nul.json()["errors"] == [
        {"index": 1, "reason": "Remove the NUL character (\\u0000) from payment_reference."}
    ]
    assert not Payment.objects.exists()


def test_a_payment_over_what_is_owed_or_on_an_unknown_invoice_refuses_the_batch(api, funding):
    api.post("/api/v1/invoices/", invoice("INV-1"), format="json")

    answer = api.post(
        "/api/v1/payments/", [payment("INV-1", amount="10"), payment("INV-9"), payment(amount="5000")], format="json"
    )

    reasons = {error["index"]: error["reason"] for error in answer.json()["errors"]}
    assert answer.status_code == 400
    assert sorted(reasons) == [1, 2]
    assert "no invoice 'INV-9'" in reasons[1]
    assert "still owed" in reasons[2]
    assert not Payment.objects.exists()


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(api, funding):
    headers = {"HTTP_IDEMPOTENCY_KEY": "batch-2027-05-03"}
    first = api.post("/api/v1/invoices/", [invoice("INV-1")], format="json", **headers)
    Invoice.objects.all().delete()  # the replay does not look at the records again

    replay = api.post("/api/v1/invoices/", [invoice("INV-1")], format="json", **headers)
    other = api.post("/api/v1/invoices/", [invoice("INV-2")], format="json", **headers)

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert not Invoice.objects.exists()
    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    assert ApiIdempotency.objects.count() == 1


def test_the_audit_trail_names_the_token_and_no_person(api, funding):
    api.post("/api/v1/invoices/", invoice(), format="json")
    api.post("/api/v1/payments/", payment(), format="json")

    for record in (Invoice.objects.get(), Payment.objects.get()):
        latest = record.history.first()
        assert latest.history_change_reason == "API: Finance system"
        assert latest.history_user is None


def test_a_token_of_another_body_neither_reads_nor_writes_the_councils_records(api, funding, officer):
    other_body = PublicBodyFactory(name="Havant Borough Council")
    sign_up(compact=funding.compact, funder=other_body)
    theirs = AwardedFundingFactory(compact=funding.compact, funder=other_body, reference="HBC-1")
    api.post("/api/v1/invoices/", invoice(), format="json")
    Membership.objects.create(user=officer, organisation=other_body, role="officer")
    _token, raw = token_create(
        organisation=other_body,
        actor=officer,
        name="Havant finance",
        may_write_invoices=True,
        may_write_payments=True,
        expires_at=None,
    )
    havant = APIClient()
    havant.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    listed = havant.get("/api/v1/invoices/")
    wrote = havant.post("/api/v1/invoices/", invoice("INV-X"), format="json")
    paid = havant.post("/api/v1/payments/", payment(), format="json")

    assert listed.status_code == 200
    assert listed.json()["results"] == []
    assert wrote.status_code == 400
    assert "no funding given by your organisation" in wrote.json()["errors"][0]["reason"]
    assert paid.status_code == 400
    assert not Payment.objects.exists()
    assert not theirs.invoices.exists()


def test_the_list_shows_the_bodys_invoices_with_pay_by_dates_and_open_flags(api, funding):
    api.post("/api/v1/invoices/", [invoice("INV-OLD", received=LONG_AGO), invoice("INV-NEW")], format="json")
    overdue = Invoice.objects.get(invoice_number="INV-OLD")
    Flag.objects.create(
        compact=funding.compact,
        rule=RuleKey.INVOICE_OVERDUE,
        organisation=funding.funder,
        record_type=RecordType.INVOICE,
        record_id=overdue.pk,
        record_label="INV-OLD",
        due_date=overdue.pay_by,
        first_detected=TODAY,
        status=FlagStatus.OPEN,
        status_changed_at=timezone.now(),
    )

    listed = api.get("/api/v1/invoices/").json()["results"]
    flagged = api.get("/api/v1/invoices/?flagged=true").json()["results"]

    assert [row["invoice_number"] for row in listed] == ["INV-OLD", "INV-NEW"]  # soonest pay-by first
    assert listed[0]["pay_by"] == str(overdue.pay_by)
    assert [flag["rule"] for flag in listed[0]["open_flags"]] == [RuleKey.INVOICE_OVERDUE]
    assert listed[1]["open_flags"] == []
    assert [row["invoice_number"] for row in flagged] == ["INV-OLD"]


def test_a_late_payment_through_the_api_is_flagged_at_once(
    api, funding, django_capture_on_commit_callbacks, tasks_run_in_process
):
    api.post("/api/v1/invoices/", invoice("INV-OLD", received=LONG_AGO), format="json")

    with django_capture_on_commit_callbacks(execute=True) as queued:
        answer = api.post("/api/v1/payments/", payment("INV-OLD"), format="json")

    assert answer.status_code == 201
    assert len(queued) == 1  # one re-check for the batch
    late = Invoice.objects.get()
    flags = Flag.objects.filter(record_type=RecordType.INVOICE, record_id=late.pk)
    assert dict(flags.values_list("rule", "status")) == {RuleKey.INVOICE_PAID_LATE: FlagStatus.OPEN}


def test_a_body_that_is_not_json_objects_is_refused_plainly(api, funding):
    for body in ([], [1, 2], "text"):
        answer = api.post("/api/v1/invoices/", body, format="json")
        assert answer.status_code == 400
        assert answer.json()["detail"]


def test_a_batch_that_meets_another_saving_the_same_payment_at_that_moment_is_read_again(api, funding, monkeypatch):
    # Two finance systems' batches naming one new reference, each looked up before the other saved: the database's
    # constraint stops the second, which is then read again (and, in production, finds the first's payment).
    api.post("/api/v1/invoices/", invoice("INV-1"), format="json")
    saves = []

    def another_batch_got_there_first_once(**kwargs):
        saves.append(kwargs)
        if len(saves) == 1:
            raise IntegrityError('duplicate key value violates unique constraint "payment_unique_reference"')
        return payments_record(**kwargs)

    monkeypatch.setattr(imports, "payments_record", another_batch_got_there_first_once)

    answer = api.post("/api/v1/payments/", paid_by_reference(amount="1250.00"), format="json")

    assert answer.status_code == 201, answer.json()
    assert len(saves) == 2
    assert list(Payment.objects.values_list("reference", "amount")) == [("BACS-1", Decimal("1250.00"))]
