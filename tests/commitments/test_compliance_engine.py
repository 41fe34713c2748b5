"""The compliance scan turns broken promises into flags, keeps them up to date and records every run.

Driven by the easiest rule to set up: invoice INV-0042 (``unpaid_invoice``) is payable by Tuesday 20 April 2027.
It is at risk from Friday 16 April (two working days before) and overdue from Wednesday 21 April.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from commitments import rulebook
from commitments.models import (
    CheckStatus,
    Compact,
    CompactStatus,
    ComplianceRun,
    Flag,
    FlagEvent,
    FlagStatus,
    MeasurableRule,
    RecordType,
    RuleCheck,
    RuleKey,
    Trigger,
)
from commitments.services import compliance as engine
from commitments.services.compliance import (
    BROKEN_AGAIN,
    DEADLINE_PASSED,
    DUE_SOON,
    FOUND,
    PUT_RIGHT,
    compliance_run_finish,
    compliance_run_start,
    compliance_scan,
    rule_check_run,
)
from commitments.services.flags import flag_waive
from funding import services as funding_services
from tests.commitments.factories import ChampionFactory, CommitmentFactory, CompactFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory, pay_in_full, sign_up

pytestmark = pytest.mark.django_db

PAY_BY = datetime.date(2027, 4, 20)
DAY_BEFORE_AT_RISK = datetime.date(2027, 4, 15)
AT_RISK = datetime.date(2027, 4, 16)
OVERDUE = datetime.date(2027, 4, 21)
PAID = datetime.date(2027, 4, 22)
AFTER_PAYMENT = datetime.date(2027, 4, 23)
NEXT_MONDAY = datetime.date(2027, 4, 26)


def overdue_flag(invoice) -> Flag:
    return Flag.objects.get(rule=RuleKey.INVOICE_OVERDUE, record_type=RecordType.INVOICE, record_id=invoice.pk)


def paid_late_flags(invoice) -> QuerySet[Flag]:
    return Flag.objects.filter(rule=RuleKey.INVOICE_PAID_LATE, record_type=RecordType.INVOICE, record_id=invoice.pk)


def check_of(run: ComplianceRun, rule: str, compact: Compact | None = None) -> RuleCheck:
    checks = RuleCheck.objects.filter(run=run, rule=rule)
    return checks.get(compact=compact) if compact else checks.get()


def events_of(flag: Flag) -> list[tuple[str, str]]:
    return list(flag.events.order_by("at", "pk").values_list("status", "reason"))


def overdue_invoice(compact: Compact, funder=None) -> object:
    """Another invoice payable by 20 April 2027, on a funding relationship of its own in ``compact``."""
    funding = AwardedFundingFactory(compact=compact, **({"funder": funder} if funder else {}))
    return InvoiceFactory(relationship=funding, received_date=datetime.date(2027, 4, 6))


@pytest.fixture
def invoice_rule_breaks_halfway(monkeypatch):
    """The invoice_overdue check, broken after its flags are inserted, as if the database went away halfway
    through the check: on PostgreSQL once the flags (and their history) are written, elsewhere as their history
    is read back. Returns the flag counts seen then."""
    seen: list[int] = []
    real_insert_select, real_write_with_history = engine.insert_select, engine.write_with_history

    def break_once_flagged():
        inserted = Flag.objects.filter(rule=RuleKey.INVOICE_OVERDUE).count()
        if inserted:
            seen.append(inserted)
            raise RuntimeError("the connection dropped halfway through the check")

    def insert_select(model, **kwargs):
        if model is FlagEvent:
            break_once_flagged()
        return real_insert_select(model, **kwargs)

    def write_with_history(statement, **kwargs):
        written = real_write_with_history(statement, **kwargs)
        break_once_flagged()
        return written

    monkeypatch.setattr(engine, "insert_select", insert_select)
    monkeypatch.setattr(engine, "write_with_history", write_with_history)
    return seen


# --- Raising flags ---------------------------------------------------------------------------------------


def test_an_invoice_unpaid_after_its_pay_by_date_is_flagged_against_the_funder(scan_compact, unpaid_invoice, council):
    run = compliance_scan(today=OVERDUE)

    flag = overdue_flag(unpaid_invoice)
    assert flag.compact == scan_compact
    assert flag.organisation == council
    assert flag.record_label == "INV-0042"
    assert flag.due_date == PAY_BY
    assert flag.first_detected == OVERDUE
    assert flag.status == FlagStatus.OPEN
    assert flag.status_reason == FOUND
    assert flag.clause == ""  # the compact has no commitment carrying the rule: the portal's default applies
    assert rulebook.citation(flag) == (
        "portal default: invoices paid within 10 working days; this compact states no such rule"
    )
    assert flag.commitment is None
    assert flag.status_changed_by is None
    assert flag.changed_in_run == run
    assert not paid_late_flags(unpaid_invoice).exists()


def test_a_flag_cites_the_compacts_own_commitment_when_one_carries_the_rule(scan_compact, unpaid_invoice):
    commitment = CommitmentFactory(compact=scan_compact, code="6.4", rule_key=MeasurableRule.PROMPT_PAYMENT)

    compliance_scan(today=OVERDUE)

    flag = overdue_flag(unpaid_invoice)
    assert flag.clause == "6.4"
    assert flag.commitment == commitment


def test_nothing_is_flagged_before_the_invoice_is_at_risk(unpaid_invoice):
    run = compliance_scan(today=DAY_BEFORE_AT_RISK)

    assert not Flag.objects.exists()
    assert check_of(run, RuleKey.INVOICE_OVERDUE).live == 0


# --- Idempotency -----------------------------------------------------------------------------------------


def test_scanning_twice_raises_no_duplicate_flag_and_the_second_run_finds_nothing_new(unpaid_invoice):
    first = compliance_scan(today=OVERDUE)
    second = compliance_scan(today=OVERDUE)

    assert Flag.objects.count() == 1
    assert check_of(first, RuleKey.INVOICE_OVERDUE).new == 1
    assert sum(second.checks.values_list("new", flat=True)) == 0
    overdue = check_of(second, RuleKey.INVOICE_OVERDUE)
    assert (overdue.new, overdue.changed, overdue.resolved, overdue.live) == (0, 0, 0, 1)
    assert overdue_flag(unpaid_invoice).changed_in_run == first  # the second run changed nothing


def test_the_database_refuses_a_second_flag_for_the_same_compact_rule_record_and_due_date(unpaid_invoice):
    compliance_scan(today=OVERDUE)
    flag = overdue_flag(unpaid_invoice)
    duplicate = {
        field.name: getattr(flag, field.name) for field in Flag._meta.concrete_fields if field.name not in {"id"}
    }

    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(**duplicate)

    assert Flag.objects.count() == 1


def test_funding_moved_to_another_compact_is_flagged_there_and_resolved_under_the_old_one(scan_compact, unpaid_invoice):
    compliance_scan(today=OVERDUE)
    other = CompactFactory(name="Eastney Compact", status="adopted")
    CommitmentFactory(compact=other, code="5.3", rule_key=MeasurableRule.PROMPT_PAYMENT)
    sign_up(compact=other, funder=unpaid_invoice.relationship.funder)

    funding_services.relationship_update(relationship=unpaid_invoice.relationship, actor=None, compact=other)
    compliance_scan(today=OVERDUE)

    flags = Flag.objects.filter(rule=RuleKey.INVOICE_OVERDUE, record_id=unpaid_invoice.pk)
    assert sorted(flags.values_list("compact__name", "clause", "due_date", "status")) == [
        ("Eastney Compact", "5.3", PAY_BY, FlagStatus.OPEN),
        ("Southsea Compact", "", PAY_BY, FlagStatus.RESOLVED),
    ]


# --- Keeping flags up to date ------------------------------------------------------------------------------


def test_an_at_risk_flag_opens_when_the_deadline_passes_unpaid(unpaid_invoice):
    compliance_scan(today=AT_RISK)
    at_risk = overdue_flag(unpaid_invoice)
    assert at_risk.status == FlagStatus.AT_RISK

    later = compliance_scan(today=OVERDUE)

    flag = overdue_flag(unpaid_invoice)
    assert flag.pk == at_risk.pk
    assert flag.status == FlagStatus.OPEN
    assert flag.status_reason == DEADLINE_PASSED
    assert flag.first_detected == AT_RISK
    assert flag.changed_in_run == later
    assert events_of(flag) == [(FlagStatus.AT_RISK, FOUND), (FlagStatus.OPEN, DEADLINE_PASSED)]


def test_paying_the_invoice_resolves_the_overdue_flag_and_flags_the_late_payment(unpaid_invoice, council):
    compliance_scan(today=OVERDUE)
    pay_in_full(unpaid_invoice, PAID)

    run = compliance_scan(today=AFTER_PAYMENT)

    flag = overdue_flag(unpaid_invoice)
    assert flag.status == FlagStatus.RESOLVED
    assert flag.status_reason == PUT_RIGHT
    assert "put right" in flag.status_reason
    assert flag.status_changed_by is None
    assert flag.changed_in_run == run
    last = flag.events.order_by("-at", "-pk").first()
    assert (last.status, last.reason, last.run, last.by) == (FlagStatus.RESOLVED, PUT_RIGHT, run, None)
    overdue = check_of(run, RuleKey.INVOICE_OVERDUE)
    assert (overdue.new, overdue.resolved, overdue.live) == (0, 1, 0)

    late = paid_late_flags(unpaid_invoice).get()
    assert (late.status, late.due_date, late.organisation, late.first_detected) == (
        FlagStatus.OPEN,
        PAY_BY,
        council,
        AFTER_PAYMENT,
    )
    assert check_of(run, RuleKey.INVOICE_PAID_LATE).new == 1


def test_a_resolved_flag_opens_again_when_the_record_breaks_again(unpaid_invoice):
    compliance_scan(today=OVERDUE)
    pay_in_full(unpaid_invoice, PAID)
    compliance_scan(today=AFTER_PAYMENT)
    resolved = overdue_flag(unpaid_invoice)
    assert resolved.status == FlagStatus.RESOLVED
    # The invoice was for more than first recorded: £500 is owed again, past its pay-by date.
    funding_services.invoice_update(
        invoice=unpaid_invoice,
        actor=None,
        invoice_number="INV-0042",
        amount=Decimal("3000.00"),
        received_date=unpaid_invoice.received_date,
        today=unpaid_invoice.received_date,
    )

    run = compliance_scan(today=NEXT_MONDAY)

    flag = overdue_flag(unpaid_invoice)
    assert flag.pk == resolved.pk
    assert flag.status == FlagStatus.OPEN
    assert flag.status_reason == BROKEN_AGAIN
    assert flag.first_detected == OVERDUE
    assert check_of(run, RuleKey.INVOICE_OVERDUE).changed == 1
    assert [status for status, _reason in events_of(flag)] == [
        FlagStatus.OPEN,
        FlagStatus.RESOLVED,
        FlagStatus.OPEN,
    ]
    assert paid_late_flags(unpaid_invoice).get().status == FlagStatus.RESOLVED  # no longer paid in full


def test_a_resolved_flag_is_at_risk_again_when_the_record_breaks_again_before_its_deadline(unpaid_invoice):
    compliance_scan(today=AT_RISK)
    pay_in_full(unpaid_invoice, AT_RISK)
    compliance_scan(today=AT_RISK)
    assert overdue_flag(unpaid_invoice).status == FlagStatus.RESOLVED
    funding_services.invoice_update(
        invoice=unpaid_invoice,
        actor=None,
        invoice_number="INV-0042",
        amount=Decimal("3000.00"),
        received_date=unpaid_invoice.received_date,
        today=unpaid_invoice.received_date,
    )

    run = compliance_scan(today=AT_RISK)

    flag = overdue_flag(unpaid_invoice)
    assert (flag.status, flag.status_reason) == (FlagStatus.AT_RISK, DUE_SOON)
    assert check_of(run, RuleKey.INVOICE_OVERDUE).changed == 1


def test_a_waived_flag_stays_waived_through_later_scans(scan_compact, unpaid_invoice, council, champion):
    compliance_scan(today=OVERDUE)
    ChampionFactory(compact=scan_compact, organisation=council, user=champion)
    reason = "The invoice is disputed; the charity agreed to wait for the corrected one."
    flag_waive(flag=overdue_flag(unpaid_invoice), actor=champion, reason=reason)

    still_unpaid = compliance_scan(today=PAID)
    pay_in_full(unpaid_invoice, PAID)
    after_payment = compliance_scan(today=AFTER_PAYMENT)

    flag = overdue_flag(unpaid_invoice)
    assert flag.status == FlagStatus.WAIVED
    assert flag.status_reason == reason
    assert flag.status_changed_by == champion
    assert events_of(flag) == [(FlagStatus.OPEN, FOUND), (FlagStatus.WAIVED, reason)]
    for run in (still_unpaid, after_payment):
        check = check_of(run, RuleKey.INVOICE_OVERDUE)
        assert (check.new, check.changed, check.resolved, check.live) == (0, 0, 0, 0)


# --- Flag events ----------------------------------------------------------------------------------------


def test_each_change_writes_one_flag_event_by_the_scan_and_an_unchanged_rescan_writes_none(unpaid_invoice):
    raised = compliance_scan(today=AT_RISK)
    assert FlagEvent.objects.count() == 1

    compliance_scan(today=AT_RISK)
    assert FlagEvent.objects.count() == 1

    opened = compliance_scan(today=OVERDUE)
    compliance_scan(today=OVERDUE)
    assert FlagEvent.objects.count() == 2

    pay_in_full(unpaid_invoice, PAID)
    settled = compliance_scan(today=AFTER_PAYMENT)
    compliance_scan(today=AFTER_PAYMENT)

    late = paid_late_flags(unpaid_invoice).get()
    overdue = overdue_flag(unpaid_invoice)
    events = list(FlagEvent.objects.order_by("pk").values_list("flag", "status", "run", "by"))
    assert len(events) == 4
    assert events[:2] == [
        (overdue.pk, FlagStatus.AT_RISK, raised.pk, None),
        (overdue.pk, FlagStatus.OPEN, opened.pk, None),
    ]
    assert sorted(events[2:]) == sorted(
        [(overdue.pk, FlagStatus.RESOLVED, settled.pk, None), (late.pk, FlagStatus.OPEN, settled.pk, None)]
    )
    stamped = FlagEvent.objects.filter(run=settled).values_list("flag", "at")
    assert dict(stamped) == {overdue.pk: overdue.status_changed_at, late.pk: late.status_changed_at}


# --- A rule that fails ----------------------------------------------------------------------------------


def test_a_rule_that_fails_is_recorded_and_the_other_checks_of_the_run_still_run(
    scan_compact, unpaid_invoice, invoice_rule_breaks_halfway
):
    paid_late = overdue_invoice(scan_compact)
    pay_in_full(paid_late, PAID)
    run, check_ids = compliance_run_start(today=AFTER_PAYMENT, trigger=Trigger.MANUAL)

    outcomes = [rule_check_run(check_id=check_id) for check_id in check_ids]

    failed = check_of(run, RuleKey.INVOICE_OVERDUE)
    assert failed.status == CheckStatus.FAILED
    assert failed.error == "RuntimeError: the connection dropped halfway through the check"
    assert failed.finished_at is not None
    assert (failed.new, failed.live) == (0, 0)
    # The flag was inserted before the rule broke, and went with the check's transaction.
    assert invoice_rule_breaks_halfway == [1]
    assert not Flag.objects.filter(rule=RuleKey.INVOICE_OVERDUE).exists()
    assert not FlagEvent.objects.filter(flag__rule=RuleKey.INVOICE_OVERDUE).exists()

    others = run.checks.exclude(pk=failed.pk)
    assert others.count() == len(rulebook.all_rules()) - 1
    assert set(others.values_list("status", "error")) == {(CheckStatus.DONE, "")}
    late = check_of(run, RuleKey.INVOICE_PAID_LATE)
    assert (late.status, late.new, late.live) == (CheckStatus.DONE, 1, 1)
    assert paid_late_flags(paid_late).get().status == FlagStatus.OPEN
    run.refresh_from_db()
    assert run.finished_at is not None
    assert [outcome.run_finished for outcome in outcomes].count(True) == 1


def test_every_rule_checks_cleanly_and_an_overdue_compact_review_is_flagged(scan_compact, unpaid_invoice):
    Compact.objects.filter(pk=scan_compact.pk).update(next_review_date=datetime.date(2027, 4, 1))

    run = compliance_scan(today=OVERDUE)

    assert list(run.checks.exclude(status=CheckStatus.DONE, error="").values_list("rule", "error")) == []
    review = Flag.objects.get(rule=RuleKey.COMPACT_REVIEW_OVERDUE)
    assert (review.record_type, review.record_label, review.organisation) == (
        RecordType.COMPACT,
        "southsea-compact",
        None,
    )
    assert (review.due_date, review.status) == (datetime.date(2027, 4, 1), FlagStatus.OPEN)


# --- Run records ----------------------------------------------------------------------------------------


def test_a_run_records_its_day_times_checks_and_what_each_check_found(scan_compact, unpaid_invoice):
    run = compliance_scan(today=OVERDUE)

    assert (run.as_of, run.trigger, run.compact, run.rules) == (OVERDUE, Trigger.COMMAND, None, [])
    assert run.started_at <= run.finished_at
    assert run.checks_total == len(rulebook.all_rules())
    assert run.checks.count() == run.checks_total
    assert set(run.checks.values_list("rule", flat=True)) == {str(rule.key) for rule in rulebook.all_rules()}
    for check in run.checks.all():
        assert (check.status, check.error) == (CheckStatus.DONE, "")
        assert run.started_at <= check.started_at <= check.finished_at <= run.finished_at
    overdue = check_of(run, RuleKey.INVOICE_OVERDUE)
    assert (overdue.new, overdue.changed, overdue.resolved, overdue.live) == (1, 0, 0, 1)
    untouched = run.checks.exclude(pk=overdue.pk)
    assert set(untouched.values_list("new", "changed", "resolved", "live")) == {(0, 0, 0, 0)}


def test_a_check_claimed_once_is_not_run_again(unpaid_invoice):
    run, _check_ids = compliance_run_start(today=OVERDUE, trigger=Trigger.MANUAL)
    check = check_of(run, RuleKey.INVOICE_OVERDUE)

    first = rule_check_run(check_id=check.pk)
    second = rule_check_run(check_id=check.pk)

    assert first is not None
    assert first.run_id == run.pk
    assert second is None
    check.refresh_from_db()
    assert (check.status, check.new) == (CheckStatus.DONE, 1)
    assert Flag.objects.count() == 1
    assert FlagEvent.objects.count() == 1


def test_exactly_one_caller_finishes_a_run_and_only_once_every_check_has_finished(unpaid_invoice):
    run, check_ids = compliance_run_start(today=OVERDUE, trigger=Trigger.MANUAL)
    *first_ones, last = check_ids

    assert [rule_check_run(check_id=check_id).run_finished for check_id in first_ones] == [False] * len(first_ones)
    assert compliance_run_finish(run_id=run.pk) is False  # one check still queued
    run.refresh_from_db()
    assert run.finished_at is None

    assert rule_check_run(check_id=last).run_finished is True
    run.refresh_from_db()
    finished_at = run.finished_at
    assert finished_at is not None
    assert compliance_run_finish(run_id=run.pk) is False
    run.refresh_from_db()
    assert run.finished_at == finished_at


def test_a_run_with_nothing_to_check_is_finished_at_once(db):
    CompactFactory(name="Gone Compact", status=CompactStatus.WITHDRAWN)

    run, check_ids = compliance_run_start(today=OVERDUE, trigger=Trigger.MANUAL)

    assert check_ids == []
    assert run.checks_total == 0
    assert run.finished_at is not None


# --- What is scanned ------------------------------------------------------------------------------------


def test_every_compact_in_use_is_scanned_but_not_a_withdrawn_one(scan_compact, unpaid_invoice):
    in_use = {
        status: CompactFactory(name=f"{status.label} Compact", status=status)
        for status in (CompactStatus.DRAFT, CompactStatus.CONSULTATION)
    }
    withdrawn = CompactFactory(name="Withdrawn Compact")
    invoices = {compact.pk: overdue_invoice(compact) for compact in [*in_use.values(), withdrawn]}
    Compact.objects.filter(pk=withdrawn.pk).update(status=CompactStatus.WITHDRAWN)

    run = compliance_scan(today=OVERDUE)

    scanned = {scan_compact.pk, *(compact.pk for compact in in_use.values())}
    assert set(run.checks.values_list("compact", flat=True)) == {None}  # each check reads every compact at once
    assert run.checks_total == len(rulebook.all_rules())
    assert set(Flag.objects.values_list("compact", flat=True)) == scanned
    assert not Flag.objects.filter(record_id=invoices[withdrawn.pk].pk).exists()


def test_a_scan_of_one_compact_leaves_the_others_alone(scan_compact, unpaid_invoice):
    elsewhere = CompactFactory(name="Fareham Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))
    other_invoice = overdue_invoice(elsewhere)

    run = compliance_scan(today=OVERDUE, compact=elsewhere)

    assert run.compact == elsewhere
    assert set(run.checks.values_list("compact", flat=True)) == {elsewhere.pk}
    assert list(Flag.objects.values_list("record_id", flat=True)) == [other_invoice.pk]


def test_an_unknown_rule_is_refused_before_anything_is_recorded(unpaid_invoice):
    with pytest.raises(ValueError, match="unknown compliance rule 'invoice_lost'"):
        compliance_scan(today=OVERDUE, rule_keys=["invoice_lost"])

    assert not ComplianceRun.objects.exists()
    assert not Flag.objects.exists()


def test_a_scan_of_some_rules_checks_only_those_and_records_which(scan_compact, unpaid_invoice):
    run = compliance_scan(today=OVERDUE, rule_keys=[RuleKey.INVOICE_OVERDUE.value])

    assert run.rules == ["invoice_overdue"]
    assert list(run.checks.values_list("rule", flat=True)) == ["invoice_overdue"]
    assert run.checks_total == 1
    assert overdue_flag(unpaid_invoice).status == FlagStatus.OPEN


# --- Back-dating ----------------------------------------------------------------------------------------


def test_a_back_dated_check_sees_the_records_as_they_stood_that_day(unpaid_invoice):
    pay_in_full(unpaid_invoice, PAID)  # paid on 22 April, a day late

    call_command("check_compliance", "--as-of", OVERDUE.isoformat())

    run = ComplianceRun.objects.get()
    assert (run.as_of, run.trigger) == (OVERDUE, Trigger.COMMAND)
    flag = overdue_flag(unpaid_invoice)
    assert (flag.status, flag.first_detected) == (FlagStatus.OPEN, OVERDUE)  # not yet paid on 21 April
    assert not paid_late_flags(unpaid_invoice).exists()

    call_command("check_compliance", "--as-of", AFTER_PAYMENT.isoformat())

    assert overdue_flag(unpaid_invoice).status == FlagStatus.RESOLVED
    assert paid_late_flags(unpaid_invoice).get().first_detected == AFTER_PAYMENT
