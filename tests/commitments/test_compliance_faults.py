"""Faults: a compliance run killed halfway leaves no duplicate or half-written flag, and the next run finishes
the work, leaving exactly what a run that was never interrupted leaves.

Three adopted compacts (Alpha, Beta, Gamma), each breaking several rules, are checked as of Monday 19 April
2027 (the run before), then as of Wednesday 21 April 2027, when the run is killed halfway through the
``invoice_overdue`` check (one statement across the three compacts), a check with something of every kind to
write: new flags, flags whose deadline has passed, flags to resolve and their history (``FlagEvent``). Each
compact (England and Wales) has:

- INV-1, received Tuesday 6 April, payable by Tuesday 20 April: at risk on the 19th, overdue on the 21st;
- INV-2, received Tuesday 30 March, payable by Tuesday 13 April, paid on the 20th: overdue on the 19th, then
  resolved, and flagged as paid late, on the 21st;
- INV-3, received Thursday 8 April, payable by Thursday 22 April: at risk from the 21st;
- a notice of ending given on 1 April for 1 May (too short, and no impact assessment);
- a review due on 1 April 2027 and not done.
"""

import datetime
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from commitments import rulebook
from commitments.models import CheckStatus, ComplianceRun, Flag, FlagEvent, FlagStatus, RuleKey
from commitments.services import compliance as engine
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory, NoticeFactory, pay_in_full

BEFORE = datetime.date(2027, 4, 19)  # the run before
AS_OF = datetime.date(2027, 4, 21)  # the run that is killed
COMPACTS = ("Alpha", "Beta", "Gamma")
VICTIM = RuleKey.INVOICE_OVERDUE  # the check the run is killed in; the rules are checked in RuleKey's order
WATCHED = "beta-compact"  # whose flags of the victim rule are followed one by one
APPLICATION_NAME = "compact-portal-killed-check"  # how the killed process is found in pg_stat_activity
PROJECT = Path(__file__).resolve().parents[2]

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: the check runs in another process, which shares the test database and is killed "
    "while waiting for a row lock the test holds",
)


@pytest.fixture
def breaches(db):
    """The three compacts and their records (module docstring); returns the compacts by slug."""
    compacts = {}
    for name in COMPACTS:
        compact = CompactFactory(
            name=f"{name} Compact",
            status="adopted",
            adopted_date=datetime.date(2026, 4, 1),
            next_review_date=datetime.date(2027, 4, 1),
        )
        funder = PublicBodyFactory(name=f"{name} Borough Council")
        funding = AwardedFundingFactory(
            compact=compact, funder=funder, recipient=OrganisationFactory(name=f"{name} Food Bank")
        )
        InvoiceFactory(relationship=funding, invoice_number="INV-1", received_date=datetime.date(2027, 4, 6))
        late = InvoiceFactory(relationship=funding, invoice_number="INV-2", received_date=datetime.date(2027, 3, 30))
        pay_in_full(late, datetime.date(2027, 4, 20))  # a scan as of an earlier day does not see it
        InvoiceFactory(relationship=funding, invoice_number="INV-3", received_date=datetime.date(2027, 4, 8))
        NoticeFactory(
            relationship=funding, notice_date=datetime.date(2027, 4, 1), effective_date=datetime.date(2027, 5, 1)
        )
        compacts[compact.slug] = compact
    return compacts


def check(as_of: datetime.date) -> None:
    call_command("check_compliance", "--as-of", as_of.isoformat(), stdout=StringIO())


def flag_state() -> dict[tuple, tuple]:
    """Every flag, by its identity (compact, rule, record, due date), with everything a reader sees of it:
    status, reason, first found, clause, organisation and its history (each change's status and reason)."""
    state = {}
    for flag in Flag.objects.select_related("compact").prefetch_related("events"):
        key = (flag.compact.slug, flag.rule, flag.record_type, flag.record_label, flag.due_date)
        assert key not in state, f"two flags for {key}"
        history = [(event.status, event.reason) for event in flag.events.all()]
        state[key] = (flag.status, flag.status_reason, flag.first_detected, flag.clause, flag.organisation_id, history)
    return state


def assert_no_duplicate_or_half_written_flag() -> None:
    identity = ("compact", "rule", "record_type", "record_id", "due_date")
    duplicates = Flag.objects.values(*identity).annotate(n=Count("pk")).filter(n__gt=1)
    assert not duplicates.exists(), list(duplicates)
    for flag in Flag.objects.prefetch_related("events"):
        events = list(flag.events.all())
        assert events, f"{flag} has no history"
        assert (events[-1].status, events[-1].reason) == (flag.status, flag.status_reason), (
            f"{flag} is {flag.status} but its history ends with {events[-1].status}"
        )


class Snapshot:
    """The flags and their history as they stand, to put back so the same run can be made again."""

    def __init__(self):
        self.flags = list(Flag.objects.values())
        self.events = list(FlagEvent.objects.values())
        self.last_run = ComplianceRun.objects.order_by("-pk").values_list("pk", flat=True).first()

    def restore(self) -> None:
        ComplianceRun.objects.filter(pk__gt=self.last_run).delete()
        Flag.objects.all().delete()
        Flag.objects.bulk_create(Flag(**row) for row in self.flags)
        FlagEvent.objects.bulk_create(FlagEvent(**row) for row in self.events)


def the_uninterrupted_outcome(before: Snapshot) -> dict[tuple, tuple]:
    """What a run as of AS_OF leaves when nothing interrupts it, from the same starting point."""
    before.restore()
    check(AS_OF)
    state = flag_state()
    # The victim check had one of everything to write: a deadline passed, a flag resolved, a new flag.
    assert {key[3]: value[0] for key, value in state.items() if key[:2] == (WATCHED, VICTIM)} == {
        "INV-1": FlagStatus.OPEN,
        "INV-2": FlagStatus.RESOLVED,
        "INV-3": FlagStatus.AT_RISK,
    }
    assert len({key[:2] for key in state}) > len(COMPACTS) * 3  # several rules broken in every compact
    return state


def assert_killed_halfway(killed: ComplianceRun) -> None:
    """Everything before the victim check done, the victim claimed and left running, the rest still queued."""
    checks = list(killed.checks.order_by("pk"))
    order = [c.rule for c in checks]
    victim = order.index(VICTIM)
    assert [c.status for c in checks] == (
        [CheckStatus.DONE] * victim + [CheckStatus.RUNNING] + [CheckStatus.QUEUED] * (len(checks) - victim - 1)
    )
    assert 0 < victim < len(checks) - 1  # really halfway: some checks done, some never started
    assert killed.finished_at is None
    assert killed.digest_sent_at is None


def assert_victim_untouched(before_state: dict[tuple, tuple]) -> None:
    """Nothing of the victim check's transaction survives: its flags are as the run before left them."""
    now = {key: value for key, value in flag_state().items() if key[1] == VICTIM}
    assert now == {key: value for key, value in before_state.items() if key[1] == VICTIM}
    watched = {key[3]: value[0] for key, value in now.items() if key[0] == WATCHED}
    assert watched == {"INV-1": FlagStatus.AT_RISK, "INV-2": FlagStatus.OPEN}


def assert_finished_like_an_uninterrupted_run(rerun: ComplianceRun) -> None:
    assert rerun.finished_at is not None
    assert set(rerun.checks.values_list("status", flat=True)) == {CheckStatus.DONE}
    assert rerun.checks.count() == len(rulebook.all_rules())  # one a rule, across the compacts


# --- A real process, killed with SIGKILL --------------------------------------------------------------------


def _pg_activity(cursor, *, waiting: bool) -> list[tuple]:
    """The killed process's database sessions (those waiting for a lock), with their transaction ids: a
    transaction gets one when it first writes. Only this database's: another run of the suite on the same server,
    in a test database of its own, may be running this test at the same moment."""
    cursor.execute(
        "SELECT pid, backend_xid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s"
        + (" AND wait_event_type = 'Lock'" if waiting else ""),
        [APPLICATION_NAME],
    )
    return cursor.fetchall()


def _wait_for(condition, what: str, process: subprocess.Popen | None = None, log: Path | None = None, seconds=120):
    give_up = time.monotonic() + seconds
    while not condition():
        output = log.read_text()[-3000:] if log else ""
        assert process is None or process.poll() is None, f"the check ended before {what}:\n{output}"
        assert time.monotonic() < give_up, f"gave up waiting {seconds} s for {what}:\n{output}"
        time.sleep(0.1)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_check_compliance_process_killed_halfway_leaves_nothing_half_written_and_the_next_run_finishes_the_work(
    breaches, test_database_url, tmp_path
):
    import psycopg2

    check(BEFORE)
    before = Snapshot()
    before_state = flag_state()
    inv1 = Flag.objects.get(compact__slug=WATCHED, rule=VICTIM, record_label="INV-1")

    # A second connection locks Beta's INV-1 flag: the check's update of it (at risk -> open) waits there, in the
    # middle of the check's transaction, after it has inserted INV-3's new flag and before any history is written.
    blocker = psycopg2.connect(test_database_url)
    log = tmp_path / "check_compliance.log"
    try:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT id FROM commitments_flag WHERE id = %s FOR UPDATE", [inv1.pk])
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "check_compliance", "--as-of", AS_OF.isoformat()],
                cwd=PROJECT,
                env=os.environ | {"DATABASE_URL": test_database_url, "PGAPPNAME": APPLICATION_NAME,
                                  "EMAIL_URL": "consolemail://"},
                stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            with connection.cursor() as cursor:
                _wait_for(lambda: _pg_activity(cursor, waiting=True), "it waited for the lock", process, log)
                ((_, transaction_id),) = _pg_activity(cursor, waiting=True)
            assert transaction_id is not None  # the check's transaction has written (INV-3's flag), uncommitted
            killed = ComplianceRun.objects.get(as_of=AS_OF)
            assert_killed_halfway(killed)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    finally:
        blocker.rollback()  # the lock goes; the server notices its client has gone and rolls its transaction back
        blocker.close()
    with connection.cursor() as cursor:
        _wait_for(lambda: not _pg_activity(cursor, waiting=False), "the killed process's session to end")

    assert process.returncode == -signal.SIGKILL
    assert_killed_halfway(ComplianceRun.objects.get(pk=killed.pk))
    assert_no_duplicate_or_half_written_flag()
    assert_victim_untouched(before_state)

    check(AS_OF)  # the next run (the next night's, or the command again)

    rerun = ComplianceRun.objects.get(as_of=AS_OF, pk__gt=killed.pk)
    assert_finished_like_an_uninterrupted_run(rerun)
    assert_no_duplicate_or_half_written_flag()
    after_kill = flag_state()
    assert after_kill == the_uninterrupted_outcome(before)


# --- In process: the process "dies" (an exception that nothing catches) in the same place ------------------


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so the engine's "record the failed rule and carry on"
    does not catch it, as it could not catch a SIGKILL."""


@pytest.mark.django_db
def test_a_scan_that_dies_in_the_middle_of_a_check_leaves_nothing_of_it_and_the_next_run_finishes_the_work(
    breaches, monkeypatch
):
    check(BEFORE)
    before = Snapshot()
    before_state = flag_state()
    real_apply_rule, real_insert_select = engine._apply_rule, engine.insert_select
    real_write_with_history = engine.write_with_history
    current = {}

    def apply_rule(check, scope):
        current["check"], current["writes"] = check.rule, 0
        return real_apply_rule(check, scope)

    def insert_select(model, **kwargs):
        if model is FlagEvent and current["check"] == VICTIM:  # new flag inserted, statuses updated, no history yet
            raise Killed
        return real_insert_select(model, **kwargs)

    def write_with_history(statement, **kwargs):
        # PostgreSQL writes each change with its history: the new flags are inserted, then it dies moving the others
        current["writes"] += 1
        if current["check"] == VICTIM and current["writes"] == 2:
            raise Killed
        return real_write_with_history(statement, **kwargs)

    monkeypatch.setattr(engine, "_apply_rule", apply_rule)
    monkeypatch.setattr(engine, "insert_select", insert_select)
    monkeypatch.setattr(engine, "write_with_history", write_with_history)
    with pytest.raises(Killed):
        check(AS_OF)
    monkeypatch.undo()

    killed = ComplianceRun.objects.get(as_of=AS_OF)
    assert_killed_halfway(killed)
    assert_no_duplicate_or_half_written_flag()
    assert_victim_untouched(before_state)

    check(AS_OF)

    assert_finished_like_an_uninterrupted_run(ComplianceRun.objects.get(as_of=AS_OF, pk__gt=killed.pk))
    assert_no_duplicate_or_half_written_flag()
    after_kill = flag_state()
    assert after_kill == the_uninterrupted_outcome(before)
