"""The disputes rule of the compliance scan: a case step that overruns the compact's limit in working days
(Leicestershire §10), run on fixed days over cases taken along by the services."""

import datetime

import pytest

from commitments import rulebook
from commitments.models import Champion, CheckStatus, Flag, FlagStatus, MeasurableRule, RecordType
from commitments.services.compliance import compliance_scan
from compact_portal.accounts.roles import Role
from disputes import services
from disputes.models import Concern, Outcome, Stage, Step
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CommitmentFactory, CompactFactory
from tests.disputes.factories import (
    ACKNOWLEDGE_BY,
    ACKNOWLEDGED_ON,
    APPEAL_DECISION_DUE,
    FORMAL_RESPONSE_DUE,
    INFORMAL_DUE,
    RAISED_ON,
)

pytestmark = pytest.mark.django_db

RULE = "dispute_step_overdue"
ONE_DAY = datetime.timedelta(days=1)
LONG_AFTER = datetime.date(2027, 6, 1)  # after every deadline of the usual path


def scan(compact, today):
    """Scan ``compact`` for overdue case steps as of ``today`` and return the flags.

    The check must have run to the end: a rule that failed would otherwise look like one that found nothing."""
    run = compliance_scan(today=today, compact=compact, rule_keys=[RULE], send_digest=False)
    assert list(run.checks.values_list("rule", "status")) == [(RULE, CheckStatus.DONE)]
    return list(Flag.objects.filter(compact=compact, rule=RULE).order_by("pk"))


# --- Which step, whose, due when ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "step", "due", "responsible"),
    [
        ("received", Step.ACKNOWLEDGE, ACKNOWLEDGE_BY, None),  # the compact's champions acknowledge
        ("acknowledged", Step.INFORMAL, INFORMAL_DUE, "trust"),
        ("informal", Step.INFORMAL, INFORMAL_DUE, "trust"),
        ("formal", Step.FORMAL_RESPONSE, FORMAL_RESPONSE_DUE, "trust"),  # the body's written response
        ("appeal", Step.APPEAL_DECISION, APPEAL_DECISION_DUE, None),  # the panel decides
    ],
)
def test_an_open_case_past_its_steps_last_day_is_flagged_against_whoever_owes_the_step(
    request, compact, charity, case_at, state, step, due, responsible
):
    concern = case_at(state)
    assert (concern.step, concern.step_due_by) == (step, due)

    [flag] = scan(compact, due + ONE_DAY)

    assert (flag.rule, flag.clause, flag.status) == (RULE, "", FlagStatus.OPEN)  # no disputes procedure of its own
    assert flag.organisation == (request.getfixturevalue(responsible) if responsible else None)
    assert flag.organisation != charity  # the flag never names the organisation that raised the concern
    assert (flag.record_type, flag.record_id) == (RecordType.CONCERN, concern.pk)
    assert flag.record_label == concern.reference
    assert flag.due_date == due
    assert flag.first_detected == due + ONE_DAY


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (datetime.date(2026, 11, 3), None),  # Tue: four working days before Monday 9 November
        (datetime.date(2026, 11, 4), FlagStatus.AT_RISK),  # Wed: three working days before
        (ACKNOWLEDGE_BY, FlagStatus.AT_RISK),  # the last day
        (ACKNOWLEDGE_BY + ONE_DAY, FlagStatus.OPEN),
    ],
)
def test_a_step_due_within_three_working_days_is_at_risk_and_open_once_its_last_day_has_passed(
    compact, concern, today, status
):
    assert (concern.received_on, concern.step_due_by) == (RAISED_ON, ACKNOWLEDGE_BY)

    flags = scan(compact, today)

    assert [(flag.status, flag.due_date) for flag in flags] == ([(status, ACKNOWLEDGE_BY)] if status else [])


@pytest.mark.parametrize(
    ("nation", "raised_on", "due", "last_quiet_day", "first_day_at_risk"),
    [
        # Christmas 2026: Friday 25 and Monday 28 December (Boxing Day's substitute) are not working days.
        ("england_wales", "2026-12-18", "2026-12-29", "2026-12-21", "2026-12-22"),
        # New Year's Day 2027 is a Friday.
        ("england_wales", "2026-12-29", "2027-01-06", "2026-12-30", "2026-12-31"),
        # Scotland also keeps 2 January, a Saturday in 2027, on Monday 4 January.
        ("scotland", "2026-12-29", "2027-01-07", "2026-12-30", "2026-12-31"),
        # Easter 2027: Good Friday 26 March everywhere, Easter Monday 29 March in England and Wales only.
        ("england_wales", "2027-03-23", "2027-04-01", "2027-03-24", "2027-03-25"),
        ("scotland", "2027-03-23", "2027-03-31", "2027-03-24", "2027-03-25"),
    ],
)
def test_the_three_working_days_at_risk_skip_the_bank_holidays_of_the_compacts_nation(
    compact, raise_concern, nation, raised_on, due, last_quiet_day, first_day_at_risk
):
    compact.nation = nation
    compact.save()
    concern = raise_concern(today=datetime.date.fromisoformat(raised_on))
    due = datetime.date.fromisoformat(due)
    assert concern.step_due_by == due  # five working days to acknowledge, in the compact's nation

    quiet = scan(compact, datetime.date.fromisoformat(last_quiet_day))
    [at_risk] = scan(compact, datetime.date.fromisoformat(first_day_at_risk))
    [overdue] = scan(compact, due + ONE_DAY)

    assert quiet == []
    assert (at_risk.status, at_risk.due_date) == (FlagStatus.AT_RISK, due)
    assert (overdue.pk, overdue.status) == (at_risk.pk, FlagStatus.OPEN)


# --- Cases owing nothing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["responded", "decided", "closed", "withdrawn"])
def test_a_case_waiting_on_no_one_is_never_flagged(compact, case_at, state):
    """After the body's response, while the parties may appeal the formal outcome, and once the case is over."""
    concern = case_at(state)
    assert (concern.step, concern.step_due_by) == (Step.NONE, None)

    assert scan(compact, LONG_AFTER) == []


@pytest.mark.parametrize("stage", [Stage.CLOSED, Stage.WITHDRAWN])
def test_a_finished_case_is_never_flagged_even_with_a_step_left_behind(compact, concern, stage):
    # The services clear the step when a case finishes; it is left behind here in the database, so that only
    # the case's stage keeps it out of the scan.
    Concern.objects.filter(pk=concern.pk).update(stage=stage, outcome=Outcome.WITHDRAWN, closed_on=ACKNOWLEDGE_BY)

    assert scan(compact, LONG_AFTER) == []


def test_each_compacts_scan_flags_only_its_own_cases(compact, concern):
    other = CompactFactory(name="Havant Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))

    assert scan(other, LONG_AFTER) == []
    assert len(scan(compact, LONG_AFTER)) == 1


# --- Put right -----------------------------------------------------------------------------------------------------


def acknowledge(concern, cast, today):
    return services.concern_acknowledge(concern=concern, actor=cast.champion, today=today)


def respond(concern, cast, today):
    return services.formal_respond(concern=concern, actor=cast.respondent, today=today, response="Notice was sent.")


def decide_appeal(concern, cast, today):
    return services.appeal_decide(
        concern=concern,
        actor=cast.panel,
        today=today,
        outcome=Outcome.NOT_UPHELD,
        reasons="The notice was sent in time.",
    )


def withdraw(concern, cast, today):
    return services.concern_withdraw(concern=concern, actor=cast.raiser, today=today, reasons="Sorted out between us.")


@pytest.mark.parametrize(
    ("state", "due", "move_on"),
    [
        ("received", ACKNOWLEDGE_BY, acknowledge),
        ("informal", INFORMAL_DUE, withdraw),
        ("formal", FORMAL_RESPONSE_DUE, respond),
        ("appeal", APPEAL_DECISION_DUE, decide_appeal),
    ],
)
def test_an_overdue_steps_flag_is_resolved_on_the_next_scan_once_the_case_moves_on(
    compact, case_at, cast, state, due, move_on
):
    concern = case_at(state)
    [overdue] = scan(compact, due + ONE_DAY)
    assert overdue.status == FlagStatus.OPEN

    move_on(concern, cast, due + 2 * ONE_DAY)
    [resolved] = scan(compact, due + 2 * ONE_DAY)

    assert resolved.pk == overdue.pk
    assert resolved.status == FlagStatus.RESOLVED


def test_an_at_risk_step_taken_in_time_leaves_its_flag_resolved(compact, concern, cast):
    [at_risk] = scan(compact, ACKNOWLEDGE_BY)
    acknowledge(concern, cast, ACKNOWLEDGE_BY)

    [resolved] = scan(compact, ACKNOWLEDGE_BY)

    assert (at_risk.status, resolved.pk, resolved.status) == (FlagStatus.AT_RISK, at_risk.pk, FlagStatus.RESOLVED)


@pytest.mark.parametrize("withhold_identity", [False, True])
def test_a_flag_names_the_case_by_its_reference_and_never_the_raiser(
    compact, council, officer, other_charity, trust, raise_concern, withhold_identity
):
    """Here the council raises the concern about the trust: two public bodies, and the flag names only the one
    that owes the step, so a withheld identity stays withheld."""
    neutral = MembershipFactory(organisation=other_charity, role=Role.CHAMPION, user__full_name="Nia Neutral").user
    Champion.objects.create(compact=compact, organisation=other_charity, user=neutral)
    concern = raise_concern(actor=officer, raiser=council, withhold_identity=withhold_identity)
    services.concern_acknowledge(concern=concern, actor=neutral, today=ACKNOWLEDGED_ON)

    [flag] = scan(compact, INFORMAL_DUE + ONE_DAY)

    assert flag.organisation == trust
    assert flag.record_label == concern.reference
    assert council.name not in str(flag)
    assert not Flag.objects.filter(organisation=council).exists()


def test_the_flag_cites_the_compacts_own_disputes_procedure_where_it_has_one(compact, case_at):
    """Leicestershire §10 and Nottinghamshire KP3.4 carry the disputes rule; a compact without one cites the
    portal's default procedure, with its limits."""
    case_at("received")
    [default] = scan(compact, ACKNOWLEDGE_BY + ONE_DAY)
    assert rulebook.citation(default) == (
        "portal default: a concern acknowledged within 5 working days, the informal stage within 20, the formal "
        "response within 20 and an appeal decided within 20; this compact states no such rule"
    )
    procedure = CommitmentFactory(compact=compact, code="10", rule_key=MeasurableRule.DISPUTES_PROCESS)
    Flag.objects.all().delete()

    [flag] = scan(compact, ACKNOWLEDGE_BY + ONE_DAY)

    assert (flag.clause, flag.commitment, rulebook.citation(flag)) == ("10", procedure, "clause 10")


# --- Live: a step taken closes its overdue flag at once ----------------------------------------------------------


def test_a_step_taken_on_a_case_closes_its_overdue_flag_without_a_scheduled_run(
    compact, case_at, cast, django_capture_on_commit_callbacks
):
    concern = case_at("received")
    [overdue] = scan(compact, ACKNOWLEDGE_BY + ONE_DAY)
    assert (overdue.status, overdue.due_date) == (FlagStatus.OPEN, ACKNOWLEDGE_BY)

    with django_capture_on_commit_callbacks(execute=True):
        services.concern_acknowledge(concern=concern, actor=cast.champion, today=ACKNOWLEDGE_BY + ONE_DAY)

    overdue.refresh_from_db()
    assert overdue.status == FlagStatus.RESOLVED
    reason = overdue.events.latest("at").reason
    assert reason == f"Resolved: the record was put right: Case {concern.reference}: acknowledged."
    assert cast.champion.email not in reason  # a case's steps never name the person
