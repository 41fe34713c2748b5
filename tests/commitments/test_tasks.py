"""The compliance scan through Celery: the scan task fans out one check per compact and rule, the last check
to finish queues the digest, and beat runs it nightly and the payment rules hourly on working days.

Invoice INV-0042 (``unpaid_invoice``) is payable by Tuesday 20 April 2027 and overdue on 21 April.
"""

import datetime
import inspect
import subprocess
import time

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from commitments import rulebook
from commitments.models import CheckStatus, ComplianceRun, Flag, FlagStatus, RuleKey, Trigger
from commitments.tasks import check_compliance_rule, scan_compliance
from compact_portal.celery import BEAT_SCHEDULE
from compact_portal.celery import app as celery_app
from tests.commitments.factories import ChampionFactory, CompactFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory

OVERDUE = "2027-04-21"
PAYMENT_RULES = {"invoice_overdue", "invoice_paid_late"}


@pytest.fixture
def tasks_go_to_the_broker():
    """Tasks are sent to Redis for a worker, whatever an earlier test left configured."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def compact_champion(scan_compact, council):
    return ChampionFactory(compact=scan_compact, organisation=council, user__full_name="Cara Champion").user


@pytest.fixture
def second_invoice(unpaid_invoice):
    """INV-0043, on the same award as INV-0042 and payable the same day."""
    return InvoiceFactory(
        relationship=unpaid_invoice.relationship, invoice_number="INV-0043", received_date=unpaid_invoice.received_date
    )


# --- In process (eager) ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("tasks_run_in_process")
def test_the_nightly_scan_task_flags_finishes_the_run_and_sends_one_digest_per_person(
    unpaid_invoice, second_invoice, officer, compact_champion
):
    run_id = scan_compliance.delay(as_of_iso=OVERDUE).get()

    run = ComplianceRun.objects.get(pk=run_id)
    assert (run.trigger, run.as_of) == (Trigger.NIGHTLY, datetime.date(2027, 4, 21))
    assert run.finished_at is not None
    assert run.digest_sent_at is not None
    assert run.checks.count() == len(rulebook.all_rules())
    assert set(run.checks.values_list("status", flat=True)) == {CheckStatus.DONE}
    assert set(Flag.objects.values_list("record_label", "status")) == {
        ("INV-0042", FlagStatus.OPEN),
        ("INV-0043", FlagStatus.OPEN),
    }
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        [officer.email, compact_champion.email]
    )
    assert {message.subject for message in mail.outbox} == {"Compact Portal: 2 new compliance flags"}


@pytest.mark.django_db
@pytest.mark.usefixtures("tasks_run_in_process")
def test_the_scan_task_can_check_one_compact(scan_compact, unpaid_invoice):
    elsewhere = CompactFactory(name="Fareham Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))
    InvoiceFactory(relationship=AwardedFundingFactory(compact=elsewhere), received_date=unpaid_invoice.received_date)

    run_id = scan_compliance.delay(as_of_iso=OVERDUE, compact_id=elsewhere.pk).get()

    run = ComplianceRun.objects.get(pk=run_id)
    assert run.compact == elsewhere
    assert set(run.checks.values_list("compact", flat=True)) == {elsewhere.pk}
    assert set(Flag.objects.values_list("compact", flat=True)) == {elsewhere.pk}


@pytest.mark.django_db
@pytest.mark.usefixtures("tasks_run_in_process")
def test_a_check_delivered_twice_runs_once_and_sends_no_second_digest(unpaid_invoice, officer):
    run = ComplianceRun.objects.get(pk=scan_compliance.delay(as_of_iso=OVERDUE).get())
    check = run.checks.get(rule=RuleKey.INVOICE_OVERDUE)
    assert len(mail.outbox) == 1

    check_compliance_rule.delay(check.pk).get()

    assert len(mail.outbox) == 1
    assert Flag.objects.count() == 1
    assert Flag.objects.get().events.count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("tasks_run_in_process")
def test_the_hourly_payment_check_checks_only_the_payment_rules(scan_compact, unpaid_invoice):
    scan_compact.next_review_date = datetime.date(2027, 4, 1)
    scan_compact.save()  # the compact's review is overdue too, but that is not a payment rule
    hourly = BEAT_SCHEDULE["compliance-payments"]["kwargs"]

    run_id = scan_compliance.delay(as_of_iso=OVERDUE, **hourly).get()

    run = ComplianceRun.objects.get(pk=run_id)
    assert run.trigger == Trigger.PAYMENTS
    assert set(run.checks.values_list("rule", flat=True)) == PAYMENT_RULES
    assert set(run.rules) == PAYMENT_RULES
    assert run.finished_at is not None
    assert list(Flag.objects.values_list("rule", flat=True)) == [RuleKey.INVOICE_OVERDUE]


# --- The beat schedule ------------------------------------------------------------------------------------


def compliance_entries() -> dict[str, dict]:
    return {name: entry for name, entry in BEAT_SCHEDULE.items() if entry["task"].startswith("commitments.")}


def test_every_compliance_beat_entry_names_a_registered_task_and_arguments_it_takes():
    celery_app.loader.import_default_modules()
    entries = compliance_entries()
    assert {"compliance-nightly", "compliance-payments"} <= set(entries)
    for name, entry in entries.items():
        assert entry["task"] in celery_app.tasks, f"beat entry {name!r} runs unknown task {entry['task']!r}"
        assert entry["task"] == scan_compliance.name
        assert set(entry.get("kwargs", {})) <= set(inspect.signature(scan_compliance.run).parameters), name
    assert Trigger(BEAT_SCHEDULE["compliance-payments"]["kwargs"]["trigger"]) == Trigger.PAYMENTS
    assert BEAT_SCHEDULE["compliance-payments"]["kwargs"]["payments_only"] is True


def test_the_full_scan_runs_nightly_at_two_in_the_morning():
    schedule = BEAT_SCHEDULE["compliance-nightly"]["schedule"]

    assert (schedule.hour, schedule.minute) == ({2}, {0})
    assert schedule.day_of_week == set(range(7))
    assert "kwargs" not in BEAT_SCHEDULE["compliance-nightly"]  # every rule, every compact in use


def test_the_payment_check_runs_on_the_hour_on_weekdays_only():
    schedule = BEAT_SCHEDULE["compliance-payments"]["schedule"]

    assert schedule.minute == {0}
    assert schedule.hour == set(range(8, 19))  # working hours, 08:00 to 18:00
    assert schedule.day_of_week == {1, 2, 3, 4, 5}  # Celery counts Sunday as 0


# --- A real worker -----------------------------------------------------------------------------------------


def wait_until(condition, worker: subprocess.Popen, seconds: float = 60) -> bool:
    """Poll ``condition`` until it holds, the worker dies, or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and worker.poll() is None:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL or connection.vendor != "postgresql",
    reason="needs CELERY_BROKER_URL (Redis) and PostgreSQL, so a worker process can share the test database",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("tasks_go_to_the_broker")
def test_a_real_worker_runs_the_scan_through_redis_and_sends_the_digest(
    unpaid_invoice, officer, start_celery_worker, test_database_url
):
    worker, log = start_celery_worker(
        DATABASE_URL=test_database_url,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_RESULT_BACKEND=None,  # results go back through the same Redis as the broker
        EMAIL_URL="consolemail://",  # the digest is printed, so the test can read it
    )
    try:
        result = scan_compliance.delay(as_of_iso=OVERDUE)
        run_id = result.get(timeout=60)

        def finished_and_digested() -> bool:
            return ComplianceRun.objects.filter(
                pk=run_id, finished_at__isnull=False, digest_sent_at__isnull=False
            ).exists()

        done = wait_until(finished_and_digested, worker)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    output = log.read_text()
    assert done, f"the run did not finish within 60 s; worker output:\n{output[-3000:]}"
    run = ComplianceRun.objects.get(pk=run_id)
    assert run.trigger == Trigger.NIGHTLY
    assert run.checks_total == len(rulebook.all_rules())
    assert set(run.checks.values_list("status", flat=True)) == {CheckStatus.DONE}
    flag = Flag.objects.get(rule=RuleKey.INVOICE_OVERDUE, record_id=unpaid_invoice.pk)
    assert (flag.status, flag.changed_in_run_id) == (FlagStatus.OPEN, run_id)
    assert "Subject: Compact Portal: 1 new compliance flag" in output
    assert f"To: {officer.email}" in output
