"""The compliance scan: every rule, for every compact in use, turned into flags in bulk.

A scan is a ``ComplianceRun`` of one ``RuleCheck`` per compact in use and rule. Workers share the checks (the
tasks in ``commitments/tasks.py`` fan them out), or ``compliance_scan`` runs them one after another.
Each check, in one transaction:

1. inserts a flag for every breaching record the rule's query returns (``INSERT ... SELECT``; the unique
   constraint on rule, record and due date makes a second insert of the same flag a no-op);
2. moves existing flags to what the query now says: at risk → open when the deadline passes, resolved
   → open or at risk when the record breaks again (a waived flag stays waived: a champion decided);
3. resolves the open and at-risk flags whose records the query no longer returns (put right);
4. writes a ``FlagEvent`` for every flag it changed.

So a check is idempotent, a check killed halfway leaves nothing half-written, and the last check of a
run to finish (a conditional update picks exactly one) triggers the digest e-mails.
"""

import datetime
import logging
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
from django.utils import timezone

from compact_portal.bulk_sql import insert_select

from .. import compliance
from ..models import (
    FINISHED_CHECKS,
    LIVE_STATUSES,
    CheckStatus,
    Compact,
    CompactStatus,
    ComplianceRun,
    Flag,
    FlagEvent,
    FlagStatus,
    RuleCheck,
    Trigger,
)
from .digest import flag_digest_send

logger = logging.getLogger(__name__)

FOUND = "Found by the compliance scan."
DEADLINE_PASSED = "The deadline passed with the record still not put right."
BROKEN_AGAIN = "Found again by the compliance scan after it had been resolved."
DUE_SOON = "Due soon: not yet broken."
PUT_RIGHT = "Resolved by the compliance scan: the record was put right."

STATISTICS_SLACK_PAGES = 8  # growth below this many pages is not worth an ANALYZE (_refresh_flag_statistics)


def compacts_to_check(*, compact: Compact | None = None):
    """Every compact in use: any status but withdrawn, as for raising concerns (a portal hosting a draft
    compact is already keeping it). Only an adopted compact's review can be overdue."""
    compacts = Compact.objects.exclude(status=CompactStatus.WITHDRAWN)
    return compacts.filter(pk=compact.pk) if compact else compacts


@transaction.atomic
def compliance_run_start(
    *, today: datetime.date, trigger: str, compact: Compact | None = None, rule_keys: list[str] | None = None
) -> tuple[ComplianceRun, list[int]]:
    """Record a run as of ``today`` and queue one check per compact in use and rule; return the check ids.

    Raises ``ValueError`` for an unknown rule key. A run with nothing to check is finished at once.
    """
    rules = [compliance.rule(key) for key in rule_keys] if rule_keys else compliance.all_rules()
    run = ComplianceRun.objects.create(
        trigger=Trigger(trigger), as_of=today, compact=compact, rules=[str(r.key) for r in rules] if rule_keys else []
    )
    checks = RuleCheck.objects.bulk_create(
        RuleCheck(run=run, compact=each, rule=r.key) for each in compacts_to_check(compact=compact) for r in rules
    )
    run.checks_total = len(checks)
    if not checks:
        run.finished_at = timezone.now()
    run.save(update_fields=["checks_total", "finished_at"])
    return run, [check.pk for check in checks]


@dataclass(frozen=True)
class CheckOutcome:
    run_id: int
    run_finished: bool  # this check was the run's last: send the digest


@contextmanager
def _derived_data_transaction():
    """A transaction whose commit does not wait for the disk (PostgreSQL's ``synchronous_commit`` off), and
    whose queries are not compiled to machine code (``jit`` off).

    Flags and run records are derived from the records they check: a crash can lose at most the last
    fraction of a second of them, never leave them half-written, and the next scan writes them again (it is
    idempotent). Not waiting for the flush of each of a scan's thousands of small commits keeps it fast.
    A rule's query reads one compact's rows in milliseconds, but at national scale its estimated cost passes
    the threshold for JIT compilation, which then takes longer (about 15 ms) than the query itself.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF; SET LOCAL jit TO OFF")
        yield


def rule_check_run(*, check_id: int) -> CheckOutcome | None:
    """Run one queued check, once: None if another worker has claimed it already.

    The flags and the check's counts are written in one transaction. A rule that raises is recorded as
    failed with its error, nothing of it is kept, and the run carries on with the others.
    """
    with _derived_data_transaction():
        claimed = RuleCheck.objects.filter(pk=check_id, status=CheckStatus.QUEUED).update(
            status=CheckStatus.RUNNING, started_at=timezone.now()
        )
    if not claimed:
        return None
    check = RuleCheck.objects.select_related("run", "compact").get(pk=check_id)
    try:
        with _derived_data_transaction():
            counts = _apply_rule(check)
            RuleCheck.objects.filter(pk=check_id).update(status=CheckStatus.DONE, finished_at=timezone.now(), **counts)
    except Exception as error:  # noqa: BLE001 - one broken rule must not stop the others; the error is recorded
        logger.exception("Compliance rule %s failed for compact %s", check.rule, check.compact_id)
        RuleCheck.objects.filter(pk=check_id).update(
            status=CheckStatus.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"
        )
    else:
        _refresh_flag_statistics()
    return CheckOutcome(run_id=check.run_id, run_finished=compliance_run_finish(run_id=check.run_id))


def _refresh_flag_statistics() -> None:
    """Let PostgreSQL's planner see how big the flag tables have grown, each time they have doubled.

    The foreign-key checks on flag events are planned once per connection. Planned while the statistics say
    the flag table is (nearly) empty, as on a first scan or with autovacuum off, they read the whole table
    for every event and a first national-scale scan slows to a crawl; fresh statistics re-plan them. One
    catalogue query per check; ANALYZE only runs when the table is twice the size the statistics know.
    """
    if connection.vendor != "postgresql":
        return
    table = Flag._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpages, pg_relation_size(oid) / current_setting('block_size')::int FROM pg_class "
            "WHERE oid = %s::regclass",
            [table],
        )
        known_pages, pages = cursor.fetchone()
        if pages > 2 * known_pages + STATISTICS_SLACK_PAGES:
            cursor.execute(f"ANALYZE {table}, {FlagEvent._meta.db_table}")


def compliance_run_finish(*, run_id: int) -> bool:
    """Mark the run finished if every check has finished; True for exactly one caller (a conditional update)."""
    unfinished = RuleCheck.objects.filter(run=OuterRef("pk")).exclude(status__in=FINISHED_CHECKS)
    with _derived_data_transaction():
        finished = (
            ComplianceRun.objects.filter(pk=run_id, finished_at__isnull=True)
            .filter(~Exists(unfinished))
            .update(finished_at=timezone.now())
        )
    return bool(finished)


def compliance_scan(
    *,
    today: datetime.date,
    trigger: str = Trigger.COMMAND,
    compact: Compact | None = None,
    rule_keys: list[str] | None = None,
    send_digest: bool = True,
) -> ComplianceRun:
    """The whole scan in this process, check after check, then the digest: for the command and for cron."""
    run, check_ids = compliance_run_start(today=today, trigger=trigger, compact=compact, rule_keys=rule_keys)
    finished = not check_ids
    for check_id in check_ids:
        outcome = rule_check_run(check_id=check_id)
        finished = finished or bool(outcome and outcome.run_finished)
    if finished and send_digest:
        flag_digest_send(run_id=run.pk)
    run.refresh_from_db()
    return run


def _apply_rule(check: RuleCheck) -> dict[str, int]:
    """Steps 1 to 4 of the module docstring for one compact and rule; returns the check's counts."""
    rule = compliance.rule(check.rule)
    compact, run, today = check.compact, check.run, check.run.as_of
    commitment = (
        compact.commitments.filter(rule_key=rule.commitment_rule).order_by("position").first()
        if rule.commitment_rule
        else None
    )
    rows = rule.breaches(compact, today)
    now = timezone.now()
    changed = {"status_changed_at": now, "status_changed_by": None, "changed_in_run": run.pk}

    new = insert_select(
        Flag,
        source=rows,
        columns={field: column for column, field in compliance.FLAG_FIELD_OF_COLUMN.items()},
        constants={
            "compact": compact.pk,
            "rule": rule.key.value,
            "clause": commitment.code if commitment else rule.clause,
            "commitment": commitment.pk if commitment else None,
            "record_type": rule.record_type.value,
            "first_detected": today,
            "status_reason": FOUND,
            **changed,
        },
    )

    flags = Flag.objects.filter(compact=compact, rule=rule.key)

    def in_breach(status: str | None = None):
        matching = rows.filter(flag_record=OuterRef("record_id"), flag_due=OuterRef("due_date"))
        return Exists(matching.filter(flag_status=status) if status else matching)

    opened = (
        flags.filter(status__in=[FlagStatus.AT_RISK, FlagStatus.RESOLVED])
        .filter(in_breach(FlagStatus.OPEN))
        .update(
            status=FlagStatus.OPEN,
            status_reason=Case(
                When(status=FlagStatus.AT_RISK, then=Value(DEADLINE_PASSED)), default=Value(BROKEN_AGAIN)
            ),
            **changed,
        )
    )
    at_risk_again = (
        flags.filter(status__in=[FlagStatus.OPEN, FlagStatus.RESOLVED])
        .filter(in_breach(FlagStatus.AT_RISK))
        .update(status=FlagStatus.AT_RISK, status_reason=Value(DUE_SOON), **changed)
    )
    resolved = (
        flags.filter(status__in=LIVE_STATUSES)
        .filter(~in_breach())
        .update(status=FlagStatus.RESOLVED, status_reason=Value(PUT_RIGHT), **changed)
    )
    insert_select(
        FlagEvent,
        source=flags.filter(changed_in_run=run, status_changed_at=now).values(
            event_flag=F("pk"), event_status=F("status"), event_reason=F("status_reason")
        ),
        columns={"flag": "event_flag", "status": "event_status", "reason": "event_reason"},
        constants={"by": None, "run": run.pk, "at": now},
    )
    return {
        "new": new,
        "changed": opened + at_risk_again,
        "resolved": resolved,
        "live": flags.filter(status__in=LIVE_STATUSES).count(),
    }
