"""The compliance check: every rule turned into flags in bulk, for every compact, or for the records a change
touched.

A check is a ``ComplianceRun`` of one ``RuleCheck`` per rule, each one statement across the run's compacts
(every compact in use, or one). The scheduled scan's workers share the checks (the tasks in
``commitments/tasks.py`` fan them out), or ``compliance_scan`` runs them one after another. A change to a
record asks for a live run (``compliance_recheck``, queued by ``services/live.py`` after the change commits)
whose checks look only at the records it touched, or at the compacts whose settings changed.
Each check, in one transaction:

1. inserts a flag for every breaching record the rule's query returns (``INSERT ... SELECT``; the unique
   constraint on compact, rule, record and due date makes a second insert of the same flag a no-op);
2. moves existing flags to what the query now says: at risk → open when the deadline passes, resolved
   → open or at risk when the record breaks again (a waived flag stays waived: a champion decided);
3. resolves the open and at-risk flags whose records the query no longer returns (put right);
4. writes a ``FlagEvent`` for every flag it changed, naming the change that caused it in a live run (on
   PostgreSQL in the same statement as the change, from the rows it wrote; elsewhere read back afterwards).

So a check is idempotent, a check killed halfway leaves nothing half-written, two checks of the same records
(a live one and the nightly one) agree, and the last check of a scheduled run to finish (a conditional update
picks exactly one) triggers the digest e-mails; flags a live run raised go out with the next digest.
"""

import datetime
import logging
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from compact_portal.bulk_sql import (
    insert_select,
    insert_select_sql,
    supports_write_with_history,
    update_sql,
    write_with_history,
)

from .. import rulebook, selectors
from ..models import (
    FINISHED_CHECKS,
    LIVE_STATUSES,
    BreachRow,
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

STATISTICS_SLACK_PAGES = 8  # growth below this many pages is not worth an ANALYZE (_refresh_flag_statistics)

FOUND = "Found by the compliance scan."
DEADLINE_PASSED = "The deadline passed with the record still not put right."
BROKEN_AGAIN = "Found again by the compliance scan after it had been resolved."
DUE_SOON = "Due soon: not yet broken."
PUT_RIGHT = "Resolved by the compliance scan: the record was put right."
# The same, in a live run, followed by the change that caused it.
FOUND_AFTER = "Found after a change"
DEADLINE_PASSED_AFTER = "The deadline has passed with the record still not put right; checked again after a change"
BROKEN_AGAIN_AFTER = "Broken again after a change"
DUE_SOON_AFTER = "Due soon, not yet broken; checked again after a change"
PUT_RIGHT_AFTER = "Resolved: the record was put right"


def compacts_to_check(*, compact: Compact | None = None):
    """Every compact in use: any status but withdrawn, as for raising concerns (a portal hosting a draft
    compact is already keeping it). Only an adopted compact's review can be overdue."""
    compacts = Compact.objects.exclude(status=CompactStatus.WITHDRAWN)
    return compacts.filter(pk=compact.pk) if compact else compacts


@transaction.atomic
def compliance_run_start(
    *, today: datetime.date, trigger: str, compact: Compact | None = None, rule_keys: list[str] | None = None
) -> tuple[ComplianceRun, list[int]]:
    """Record a run as of ``today`` and queue one check per rule, across every compact in use (or ``compact``, if
    it is in use); return the check ids.

    Raises ``ValueError`` for an unknown rule key. A run with nothing to check is finished at once.
    """
    rules = [rulebook.rule(key) for key in rule_keys] if rule_keys else rulebook.all_rules()
    run = ComplianceRun.objects.create(
        trigger=Trigger(trigger), as_of=today, compact=compact, rules=[str(r.key) for r in rules] if rule_keys else []
    )
    in_use = compacts_to_check(compact=compact).exists()
    checks = RuleCheck.objects.bulk_create(RuleCheck(run=run, compact=compact, rule=r.key) for r in rules if in_use)
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


@dataclass(frozen=True)
class Scope:
    """What a check looks at, within the compacts in use: every record of ``compact_ids`` (None: of every
    compact), or, in a live run, also (or only) the records ``record_ids`` of the rule's kind."""

    compact_ids: tuple[int, ...] | None = None
    record_ids: tuple[int, ...] = ()

    @classmethod
    def of_check(cls, check: RuleCheck) -> "Scope":
        return cls(compact_ids=(check.compact_id,) if check.compact_id else None)


def rule_check_run(*, check_id: int, scope: Scope | None = None) -> CheckOutcome | None:
    """Run one queued check, once: None if another worker has claimed it already.

    ``scope`` narrows a live run's check to the records a change touched; a scheduled check reads its compact
    (or every compact) from the check itself. The flags and the check's counts are written in one transaction.
    A rule that raises is recorded as failed with its error, nothing of it is kept, and the run carries on
    with the others.
    """
    with _derived_data_transaction():
        claimed = RuleCheck.objects.filter(pk=check_id, status=CheckStatus.QUEUED).update(
            status=CheckStatus.RUNNING, started_at=timezone.now()
        )
    if not claimed:
        return None
    check = RuleCheck.objects.select_related("run").get(pk=check_id)
    try:
        with _derived_data_transaction():
            counts = _apply_rule(check, scope or Scope.of_check(check))
            RuleCheck.objects.filter(pk=check_id).update(status=CheckStatus.DONE, finished_at=timezone.now(), **counts)
    except Exception as error:  # noqa: BLE001 - one broken rule must not stop the others; the error is recorded
        logger.exception("Compliance rule %s failed in run %s", check.rule, check.run_id)
        RuleCheck.objects.filter(pk=check_id).update(
            status=CheckStatus.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"
        )
    return CheckOutcome(run_id=check.run_id, run_finished=compliance_run_finish(run_id=check.run_id))


def compliance_run_finish(*, run_id: int) -> bool:
    """Mark the run finished if every check has finished; True for exactly one caller (a conditional update)."""
    unfinished = RuleCheck.objects.filter(run=OuterRef("pk")).exclude(status__in=FINISHED_CHECKS)
    with _derived_data_transaction():
        finished = (
            ComplianceRun.objects.filter(pk=run_id, finished_at__isnull=True)
            .filter(~Exists(unfinished))
            .update(finished_at=timezone.now())
        )
    if finished:
        _refresh_flag_statistics()
    return bool(finished)


def _refresh_flag_statistics() -> None:
    """After a run, let PostgreSQL's planner see how big the flag table has grown, once it has doubled.

    A first scan fills the table in a minute, well before autovacuum samples it; the live re-checks that follow
    would then be planned for the empty table it was and read all of it for each change. One catalogue query
    per run; ANALYZE only when the table is more than twice the size the statistics know.
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
            cursor.execute(f"ANALYZE {table}")


def daily_steps_run(*, today: datetime.date) -> dict[str, int | None]:
    """Run every registered daily step (``rulebook.register_daily_step``) as of ``today``, before a daily scan checks
    the records they change; returns what each changed, by name (None: it failed). A failed step is logged and
    the others run: the scan still checks what is there."""
    done: dict[str, int | None] = {}
    for name, step in rulebook.daily_steps():
        try:
            done[name] = step(today)
        except Exception:  # noqa: BLE001 - one broken step must not stop the daily scan; logged for the operator
            logger.exception("The daily step %s failed as of %s", name, today)
            done[name] = None
    return done


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


def compliance_recheck(
    *, today: datetime.date, records: dict[str, list[int]], compact_ids: list[int] = (), cause: str = ""
) -> ComplianceRun | None:
    """Check again, as of ``today``, the rules about the records a change touched: ``records`` maps a kind of
    record to ids; every rule looks at every record of ``compact_ids`` (their settings changed).

    Records a live run in this process, one check per rule concerned, each reading only those records (a
    handful of index lookups, not a scan of the compact). Its flags' events name ``cause``; they are announced
    in the next scheduled run's digest. Returns the run, or None when no rule reads those records.
    """
    compact_ids = tuple(sorted(set(compact_ids)))
    rules = [r for r in rulebook.all_rules() if compact_ids or records.get(r.record_type)]
    if not rules:
        return None
    with transaction.atomic():
        run = ComplianceRun.objects.create(
            trigger=Trigger.LIVE,
            as_of=today,
            rules=[str(r.key) for r in rules],
            cause=cause[: ComplianceRun._meta.get_field("cause").max_length],
            checks_total=len(rules),
        )
        checks = RuleCheck.objects.bulk_create(RuleCheck(run=run, compact=None, rule=r.key) for r in rules)
    for rule_, check in zip(rules, checks, strict=True):
        scope = Scope(compact_ids=compact_ids, record_ids=tuple(sorted(records.get(rule_.record_type, ()))))
        rule_check_run(check_id=check.pk, scope=scope)
    run.refresh_from_db()
    return run


def _scoped(rows: QuerySet, flags: QuerySet[Flag], scope: Scope) -> tuple[QuerySet, QuerySet[Flag]]:
    """The rule's rows and the rule's flags, both narrowed to the compacts in use and to ``scope``."""
    in_use = compacts_to_check().values("pk")
    rows, flags = rows.filter(flag_compact__in=in_use), flags.filter(compact__in=in_use)
    if scope.compact_ids is None and not scope.record_ids:
        return rows, flags
    in_rows, in_flags = Q(pk__in=[]), Q(pk__in=[])
    if scope.compact_ids:
        in_rows |= Q(flag_compact__in=scope.compact_ids)
        in_flags |= Q(compact__in=scope.compact_ids)
    if scope.record_ids:
        # Every compact's flags on these records: funding moved to another compact is resolved in the old one.
        in_rows |= Q(flag_record__in=scope.record_ids)
        in_flags |= Q(record_id__in=scope.record_ids)
    return rows.filter(in_rows), flags.filter(in_flags)


def _commitment_columns(rule: rulebook.Rule) -> dict[str, object]:
    """The clause and commitment each compact's flags of ``rule`` cite: the compact's own commitment carrying the
    rule (its first, by position), or none, where its document holds no such promise and the portal's default
    applies (a blank clause; ``rulebook.citation`` words it). One query, whatever the compacts."""
    none = Cast(Value(None), output_field=models.BigIntegerField())
    if rule.commitment_rule is None:
        return {"flag_clause": Value(""), "flag_commitment": none}
    carrying = selectors.commitments_carrying_rules(rule_key=rule.commitment_rule)
    cited = {compact_id: clause for (compact_id, _rule), clause in carrying.items()}
    if not cited:
        return {"flag_clause": Value(""), "flag_commitment": none}
    return {
        "flag_clause": Case(
            *(When(flag_compact=compact_id, then=Value(code)) for compact_id, (code, _pk) in cited.items()),
            default=Value(""),
            output_field=models.CharField(),
        ),
        "flag_commitment": Case(
            *(When(flag_compact=compact_id, then=Value(pk)) for compact_id, (_code, pk) in cited.items()),
            default=none,
            output_field=models.BigIntegerField(),
        ),
    }


def flags_cite_catalogue(*, compact: Compact) -> int:
    """Make every flag of ``compact`` cite what its catalogue now says: the commitment carrying its rule, or the
    portal's default (blank). For ``load_compacts``, after the catalogue is loaded; a flag already citing the
    right commitment is not written. Returns how many flags changed."""
    carrying = selectors.commitments_carrying_rules(compact=compact)
    # What the flags cite now, rule by rule (one query; none for a compact just loaded): only a rule whose flags
    # cite something else is written.
    cited: dict[str, set[tuple[str, int | None]]] = {}
    for rule_key, clause, commitment_id in (
        Flag.objects.filter(compact=compact).values_list("rule", "clause", "commitment_id").distinct()
    ):
        cited.setdefault(rule_key, set()).add((clause, commitment_id))
    changed = 0
    for rule in rulebook.all_rules():
        code, pk = carrying.get((compact.pk, rule.commitment_rule), ("", None))
        if cited.get(rule.key, set()) - {(code, pk)}:
            changed += (
                Flag.objects.filter(compact=compact, rule=rule.key)
                .exclude(clause=code, commitment=pk)
                .update(clause=code, commitment=pk)
            )
    return changed


def _reasons(run: ComplianceRun) -> dict[str, str]:
    """What each kind of change of a flag says in its history; a live run's name the change it followed."""
    if run.trigger != Trigger.LIVE:
        return {
            "found": FOUND,
            "deadline": DEADLINE_PASSED,
            "again": BROKEN_AGAIN,
            "soon": DUE_SOON,
            "put_right": PUT_RIGHT,
        }
    after = f": {run.cause}." if run.cause else "."
    return {
        "found": FOUND_AFTER + after,
        "deadline": DEADLINE_PASSED_AFTER + after,
        "again": BROKEN_AGAIN_AFTER + after,
        "soon": DUE_SOON_AFTER + after,
        "put_right": PUT_RIGHT_AFTER + after,
    }


def _apply_rule(check: RuleCheck, scope: Scope) -> dict[str, int]:
    """Steps 1 to 4 of the module docstring for one rule within ``scope``; returns the check's counts."""
    rule = rulebook.rule(check.rule)
    run = check.run
    today = run.as_of
    reasons = _reasons(run)
    rows, flags = _scoped(rule.breaches(today), Flag.objects.filter(rule=rule.key), scope)
    rows = rows.annotate(**_commitment_columns(rule))
    # With no flag of the rule here before (a first scan), every flag is the one just raised, in the status its
    # row gives: steps 2 and 3 would find nothing to move or resolve, so they are not run, and the rule's
    # statement is read once, by the insert. Otherwise its rows are held for the steps that read them again,
    # unless they are a few records' rows, cheaper to read again than to hold.
    had_flags = flags.exists()
    held = had_flags and not (scope.record_ids and not scope.compact_ids)
    if held:
        rows = _held(rows)
    now = timezone.now()
    changed = {"status_changed_at": now, "status_changed_by": None, "changed_in_run": run.pk}

    columns = {field: column for column, field in rulebook.FLAG_FIELD_OF_COLUMN.items()} | {
        "clause": "flag_clause",
        "commitment": "flag_commitment",
    }
    already_flagged = flags.filter(
        compact=OuterRef("flag_compact"), record_id=OuterRef("flag_record"), due_date=OuterRef("flag_due")
    )
    history = {"columns": {"flag": "id", "status": "status", "reason": "status_reason"}}
    history["constants"] = {"by": None, "run": run.pk, "at": now}
    in_one_statement = supports_write_with_history()

    def write(statement: tuple[str, list]) -> int:
        """Run one insert or update of flags; on PostgreSQL with the history of each flag it wrote."""
        if in_one_statement:
            return write_with_history(statement, written=Flag, history=FlagEvent, **history)
        with connection.cursor() as cursor:
            cursor.execute(*statement)
            return cursor.rowcount

    new = write(
        insert_select_sql(
            Flag,
            # Rows flagged already are passed over by a join, not by the unique constraint one row at a time; the
            # constraint still stops a flag inserted at the same moment by an overlapping check.
            source=rows.filter(~Exists(already_flagged)).values(*columns.values()),
            columns=columns,
            constants={
                "rule": rule.key.value,
                "record_type": rule.record_type.value,
                "first_detected": today,
                "status_reason": reasons["found"],
                **changed,
            },
        )
    )

    def in_breach(status: str | None = None):
        matching = rows.filter(
            flag_compact=OuterRef("compact_id"), flag_record=OuterRef("record_id"), flag_due=OuterRef("due_date")
        )
        return Exists(matching.filter(flag_status=status) if status else matching)

    opened = at_risk_again = resolved = 0
    if had_flags:
        opened = write(
            update_sql(
                flags.filter(status__in=[FlagStatus.AT_RISK, FlagStatus.RESOLVED]).filter(in_breach(FlagStatus.OPEN)),
                status=FlagStatus.OPEN,
                status_reason=Case(
                    When(status=FlagStatus.AT_RISK, then=Value(reasons["deadline"])), default=Value(reasons["again"])
                ),
                **changed,
            )
        )
        at_risk_again = write(
            update_sql(
                flags.filter(status__in=[FlagStatus.OPEN, FlagStatus.RESOLVED]).filter(in_breach(FlagStatus.AT_RISK)),
                status=FlagStatus.AT_RISK,
                status_reason=Value(reasons["soon"]),
                **changed,
            )
        )
        resolved = write(
            update_sql(
                flags.filter(status__in=LIVE_STATUSES).filter(~in_breach()),
                status=FlagStatus.RESOLVED,
                status_reason=Value(reasons["put_right"]),
                **changed,
            )
        )
    if not in_one_statement:  # the history of what this check wrote, read back by the run and moment it wrote
        insert_select(
            FlagEvent,
            source=Flag.objects.filter(changed_in_run=run, status_changed_at=now, rule=rule.key).values(
                event_flag=F("pk"), event_status=F("status"), event_reason=F("status_reason")
            ),
            columns={"flag": "event_flag", "status": "event_status", "reason": "event_reason"},
            constants={"by": None, "run": run.pk, "at": now},
        )
    if held:
        _drop_held()
    return {
        "new": new,
        "changed": opened + at_risk_again,
        "resolved": resolved,
        "live": new if not had_flags else flags.filter(status__in=LIVE_STATUSES).count(),
    }


def _held_table() -> str:
    schema = "pg_temp." if connection.vendor == "postgresql" else "temp."
    return schema + connection.ops.quote_name(BreachRow._meta.db_table)


def _held(rows: QuerySet) -> QuerySet[BreachRow]:
    """``rows`` written to a temporary table, read from there for the rest of the check: the rule's statement
    runs once, however many times the check compares the flags with it. Dropped by ``_drop_held`` at the end of
    the check, or with its transaction if the check fails (the table is created inside it)."""
    sql, params = rows.query.sql_with_params()
    table = connection.ops.quote_name(BreachRow._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_held_table()}")
        cursor.execute(f"CREATE TEMPORARY TABLE {table} AS {sql}", params)
        # Flags are matched to the rows by compact, record and due date. Indexed, a plan that visits the rows once
        # per flag (the planner's choice when the flag table's statistics lag behind a large insert) stays cheap.
        index = "compliance_breach_rows_key" if connection.vendor == "postgresql" else "temp.compliance_breach_rows_key"
        cursor.execute(f"CREATE INDEX {index} ON {table} (flag_compact, flag_record, flag_due)")
    return BreachRow.objects.all()


def _drop_held() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_held_table()}")
