"""Flags follow every write: a change re-checks its records once it commits, without waiting for a scheduled run.

The live re-check works as of the real today (``timezone.localdate()``, as the task does), so the dates here are
counted from it. An invoice received 30 days ago is past its pay-by date today. Today is held at the day this module
was loaded (``same_day``), so a run that goes past midnight does not see two days.
"""

import datetime
import threading
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from commitments.models import ComplianceRun, Flag, FlagEvent, FlagStatus, RecordType, RuleKey, Trigger
from commitments.services.compliance import compliance_recheck, compliance_scan
from commitments.services.live import recheck_on_commit
from funding import services as funding_services
from funding.services.imports import funding_import
from tests.commitments.factories import ChampionFactory, CompactFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory, sign_up

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_run_in_process")]  # re-checks run here

TODAY = timezone.localdate()
LONG_AGO = TODAY - datetime.timedelta(days=30)  # an invoice received then is past its pay-by date today


@pytest.fixture(autouse=True)
def same_day(monkeypatch):
    real = timezone.localdate  # a moment's date (localdate(value)) is still worked out

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))


@pytest.fixture
def funding(compact, council, charity):
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-LIVE-1")


@pytest.fixture
def overdue_invoice(funding):
    invoice = InvoiceFactory(relationship=funding, invoice_number="INV-LIVE-1", received_date=LONG_AGO)
    assert invoice.pay_by < TODAY
    return invoice


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what is queued when the test's transaction would commit, as production does after each write."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def flags_of(invoice) -> dict[str, str]:
    return dict(Flag.objects.filter(record_type=RecordType.INVOICE, record_id=invoice.pk).values_list("rule", "status"))


def pay(invoice, *, on=TODAY, actor=None):
    return funding_services.payment_record(
        invoice=invoice, actor=actor, paid_date=on, today=on, amount=invoice.outstanding
    )


# --- A write re-checks its records ------------------------------------------------------------------------------


def test_a_late_payment_moves_the_invoices_flag_from_unpaid_to_paid_late_without_a_scheduled_run(
    overdue_invoice, committed
):
    compliance_scan(today=TODAY)
    assert flags_of(overdue_invoice) == {RuleKey.INVOICE_OVERDUE: FlagStatus.OPEN}

    with committed():
        pay(overdue_invoice)

    assert flags_of(overdue_invoice) == {
        RuleKey.INVOICE_OVERDUE: FlagStatus.RESOLVED,
        RuleKey.INVOICE_PAID_LATE: FlagStatus.OPEN,
    }
    live = ComplianceRun.objects.get(trigger=Trigger.LIVE)
    assert live.as_of == TODAY
    assert live.cause == "Payment recorded on invoice INV-LIVE-1"
    resolved = FlagEvent.objects.get(flag__rule=RuleKey.INVOICE_OVERDUE, status=FlagStatus.RESOLVED)
    assert resolved.run == live
    assert resolved.reason == "Resolved: the record was put right: Payment recorded on invoice INV-LIVE-1."
    raised = FlagEvent.objects.get(flag__rule=RuleKey.INVOICE_PAID_LATE)
    assert raised.reason == "Found after a change: Payment recorded on invoice INV-LIVE-1."


def test_an_invoice_recorded_overdue_is_flagged_at_once(funding, committed):
    with committed():
        invoice = funding_services.invoice_record(
            relationship=funding,
            actor=None,
            invoice_number="INV-LATE",
            amount=100,
            received_date=LONG_AGO,
            today=LONG_AGO,
        )

    assert flags_of(invoice) == {RuleKey.INVOICE_OVERDUE: FlagStatus.OPEN}


def test_nothing_is_checked_again_until_the_change_commits(overdue_invoice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pay(overdue_invoice)

    assert len(callbacks) == 1
    assert not Flag.objects.exists()
    callbacks[0]()
    assert flags_of(overdue_invoice) == {RuleKey.INVOICE_PAID_LATE: FlagStatus.OPEN}


def test_a_change_rolled_back_queues_no_recheck(overdue_invoice, django_capture_on_commit_callbacks):
    def pay_then_fail() -> None:
        with transaction.atomic():
            pay(overdue_invoice)
            raise RuntimeError("the page failed after the payment was saved")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        pay_then_fail()

    assert callbacks == []
    assert not ComplianceRun.objects.exists()


def test_the_person_who_made_the_change_is_named(overdue_invoice, officer, client, committed):
    client.force_login(officer)

    with committed():
        response = client.post(
            reverse("funding:payment_create", args=[overdue_invoice.pk]),
            {"paid_date": TODAY.isoformat(), "amount": str(overdue_invoice.amount)},
        )

    assert response.status_code == 302
    cause = ComplianceRun.objects.get(trigger=Trigger.LIVE).cause
    assert cause == f"Payment recorded on invoice INV-LIVE-1 by {officer.email}"


def listed(client) -> set[tuple[str, str, str]]:
    """What /flags/ lists: each row's rule, record and status."""
    rows = client.get(reverse("commitments:flag_list")).context["rows"]
    return {(flag.rule, flag.record_label, flag.status) for flag, _link, _days in rows}


def test_the_flag_list_agrees_after_a_payment_in_the_browser(overdue_invoice, officer, client, committed):
    """The form path, then a look at /flags/, with no scheduled run in between."""
    compliance_scan(today=TODAY)
    client.force_login(officer)
    assert listed(client) == {(RuleKey.INVOICE_OVERDUE, "INV-LIVE-1", FlagStatus.OPEN)}

    with committed():
        client.post(
            reverse("funding:payment_create", args=[overdue_invoice.pk]),
            {"paid_date": TODAY.isoformat(), "amount": str(overdue_invoice.amount)},
        )

    assert listed(client) == {(RuleKey.INVOICE_PAID_LATE, "INV-LIVE-1", FlagStatus.OPEN)}


# --- Once per transaction, and per import ---------------------------------------------------------------------


def test_a_transaction_touching_many_records_queues_one_recheck(funding, committed):
    invoices = [
        InvoiceFactory(relationship=funding, invoice_number=f"INV-{n}", received_date=LONG_AGO) for n in range(3)
    ]

    with mock.patch("commitments.tasks.recheck_records.delay") as delay, committed(), transaction.atomic():
        for invoice in invoices:
            pay(invoice)

    delay.assert_called_once()
    assert delay.call_args.kwargs["records"] == {RecordType.INVOICE: sorted(invoice.pk for invoice in invoices)}
    assert delay.call_args.kwargs["cause"] == "Payment recorded on invoice INV-0 and 2 other changes"


def test_an_import_queues_one_recheck_for_the_whole_file(funding, committed):
    rows = [
        {"funding_reference": "GR-LIVE-1", "invoice_number": f"IMP-{n}", "amount": "100", "received_date": "",
         "paid_date": ""}
        for n in range(5)
    ]  # fmt: skip
    for row in rows:
        row["received_date"] = LONG_AGO.isoformat()
    rows[0]["paid_date"] = TODAY.isoformat()

    with mock.patch("commitments.tasks.recheck_records.delay", wraps=None) as delay, committed():
        result = funding_import(kind="invoices", header=list(rows[0]), rows=rows, actor=None, today=TODAY)

    assert result.ok, result.errors
    delay.assert_called_once()
    assert len(delay.call_args.kwargs["records"][RecordType.INVOICE]) == 5


def test_an_import_flags_what_it_recorded(funding, committed):
    header = ["funding_reference", "invoice_number", "amount", "received_date", "paid_date"]
    rows = [
        dict(zip(header, ["GR-LIVE-1", "IMP-PAID-LATE", "100", LONG_AGO.isoformat(), TODAY.isoformat()], strict=True)),
        dict(zip(header, ["GR-LIVE-1", "IMP-UNPAID", "100", LONG_AGO.isoformat(), ""], strict=True)),
        dict(zip(header, ["GR-LIVE-1", "IMP-ON-TIME", "100", LONG_AGO.isoformat(), LONG_AGO.isoformat()], strict=True)),
    ]

    with committed():
        funding_import(kind="invoices", header=header, rows=rows, actor=None, today=TODAY)

    flagged = dict(Flag.objects.values_list("record_label", "rule"))
    assert flagged == {"IMP-PAID-LATE": RuleKey.INVOICE_PAID_LATE, "IMP-UNPAID": RuleKey.INVOICE_OVERDUE}


def test_reimporting_the_file_with_paid_dates_filled_in_moves_the_flags(funding, committed):
    header = ["funding_reference", "invoice_number", "amount", "received_date", "paid_date"]
    unpaid = [dict(zip(header, ["GR-LIVE-1", "IMP-1", "100", LONG_AGO.isoformat(), ""], strict=True))]
    with committed():
        funding_import(kind="invoices", header=header, rows=unpaid, actor=None, today=TODAY)
    assert dict(Flag.objects.values_list("rule", "status")) == {RuleKey.INVOICE_OVERDUE: FlagStatus.OPEN}

    paid = [dict(unpaid[0], paid_date=TODAY.isoformat())]
    with committed():
        funding_import(kind="invoices", header=header, rows=paid, actor=None, today=TODAY)

    assert dict(Flag.objects.values_list("rule", "status")) == {
        RuleKey.INVOICE_OVERDUE: FlagStatus.RESOLVED,
        RuleKey.INVOICE_PAID_LATE: FlagStatus.OPEN,
    }


def test_the_import_command_flags_what_it_recorded_and_names_itself(funding, tmp_path, committed):
    file = tmp_path / "invoices.csv"
    file.write_text(
        "funding_reference,invoice_number,amount,received_date,paid_date\n"
        f"GR-LIVE-1,CMD-1,100,{LONG_AGO.isoformat()},\n"
    )

    with committed():
        call_command("import_funding", "invoices", str(file), stdout=StringIO())

    flag = Flag.objects.get(record_label="CMD-1")
    assert (flag.rule, flag.status) == (RuleKey.INVOICE_OVERDUE, FlagStatus.OPEN)
    assert (
        flag.events.get().reason
        == "Found after a change: Command: import_funding; Funding import (invoices): invoices.csv."
    )


def test_a_write_outside_a_transaction_is_checked_at_once(overdue_invoice):
    with mock.patch("commitments.tasks.recheck_records.delay") as delay:
        recheck_on_commit(record_type=RecordType.INVOICE, ids=[overdue_invoice.pk], what="Checked by hand")

    if connection.in_atomic_block:  # the test's own transaction: queued for its end, like any other
        delay.assert_not_called()
    else:
        delay.assert_called_once()


# --- The re-check reads only what it was given, and agrees with the scheduled run ------------------------------


def test_a_recheck_reads_only_the_records_it_was_given(funding, overdue_invoice):
    other = InvoiceFactory(relationship=funding, invoice_number="INV-OTHER", received_date=LONG_AGO)

    run = compliance_recheck(today=TODAY, records={RecordType.INVOICE: [overdue_invoice.pk]}, cause="A test")

    assert flags_of(overdue_invoice) == {RuleKey.INVOICE_OVERDUE: FlagStatus.OPEN}
    assert flags_of(other) == {}
    assert set(run.checks.values_list("rule", flat=True)) == {RuleKey.INVOICE_OVERDUE, RuleKey.INVOICE_PAID_LATE}


def test_a_recheck_of_records_no_rule_reads_records_no_run():
    assert compliance_recheck(today=TODAY, records={RecordType.INVOICE: []}, cause="Nothing") is None
    assert not ComplianceRun.objects.exists()


def test_a_recheck_run_twice_changes_nothing_the_second_time(overdue_invoice):
    records = {RecordType.INVOICE: [overdue_invoice.pk]}
    compliance_recheck(today=TODAY, records=records, cause="First")

    second = compliance_recheck(today=TODAY, records=records, cause="Second")

    counts = second.checks.values_list("new", "changed", "resolved")
    assert set(counts) == {(0, 0, 0)}
    assert Flag.objects.count() == 1


def test_the_scheduled_run_agrees_with_the_live_one(overdue_invoice, funding):
    compliance_recheck(today=TODAY, records={RecordType.INVOICE: [overdue_invoice.pk]}, cause="Live")
    before = set(Flag.objects.values_list("rule", "record_id", "due_date", "status"))

    scan = compliance_scan(today=TODAY)

    assert set(Flag.objects.values_list("rule", "record_id", "due_date", "status")) == before
    assert sum(scan.checks.values_list("new", flat=True)) == 0


def test_funding_moved_to_another_compact_is_flagged_there_and_resolved_in_the_old_one(
    funding, overdue_invoice, committed
):
    compliance_scan(today=TODAY)
    elsewhere = CompactFactory(name="Fareham Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))
    sign_up(compact=elsewhere, funder=funding.funder)

    with committed():
        funding_services.relationship_update(relationship=funding, actor=None, compact=elsewhere)

    flags = set(Flag.objects.filter(record_id=overdue_invoice.pk).values_list("compact__slug", "status"))
    assert flags == {("southsea-compact", FlagStatus.RESOLVED), ("fareham-compact", FlagStatus.OPEN)}


# --- Announced in the next digest -------------------------------------------------------------------------------


def test_a_live_runs_flags_go_out_once_with_the_next_scheduled_digest(compact, overdue_invoice, officer, mailoutbox):
    ChampionFactory(compact=compact)
    compliance_recheck(today=TODAY, records={RecordType.INVOICE: [overdue_invoice.pk]}, cause="Live")
    assert mailoutbox == []  # a live run sends no e-mail of its own

    compliance_scan(today=TODAY)
    compliance_scan(today=TODAY)

    to_officer = [message for message in mailoutbox if officer.email in message.to]
    assert len(to_officer) == 1
    assert "INV-LIVE-1" in to_officer[0].body


# --- Safe alongside the scheduled run (PostgreSQL) --------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: two connections at once")
@pytest.mark.django_db(transaction=True)
def test_a_recheck_and_the_scheduled_run_at_once_leave_one_flag_each(council, charity):
    compact = CompactFactory(name="Hythe Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))
    funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity)
    invoices = [
        InvoiceFactory(relationship=funding, invoice_number=f"INV-{n}", received_date=LONG_AGO) for n in range(20)
    ]
    records = {RecordType.INVOICE: [invoice.pk for invoice in invoices]}
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run(check) -> None:
        try:
            start.wait()
            check()
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: compliance_scan(today=TODAY, send_digest=False),)),
        threading.Thread(target=run, args=(lambda: compliance_recheck(today=TODAY, records=records, cause="A"),)),
        threading.Thread(target=run, args=(lambda: compliance_recheck(today=TODAY, records=records, cause="B"),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    flags = Flag.objects.filter(rule=RuleKey.INVOICE_OVERDUE)
    assert flags.count() == 20
    assert set(flags.values_list("status", flat=True)) == {FlagStatus.OPEN}
    assert FlagEvent.objects.filter(flag__in=flags).count() == 20  # each raised once, by whichever came first
