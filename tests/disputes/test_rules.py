"""The disputes rules at their edges: the state machine by party, and every deadline in working days with real
UK bank holidays (as the ``holidays`` library and GOV.UK publish them)."""

import itertools
from datetime import date, timedelta

import pytest

from disputes import rules
from disputes.models import Party, Stage

ENG = "england_wales"
SCT = "scotland"
NIR = "northern_ireland"

STAGES = ("received", "acknowledged", "informal", "formal", "appeal", "closed", "withdrawn")
PARTIES = ("raiser", "respondent", "champion", "panel")

# Written out from the disputes procedure rather than copied from the code: forward one step at a time,
# withdrawal by the raiser from every open stage, nothing out of a finished case.
ALLOWED = {
    ("received", "acknowledged"): {"champion"},
    ("acknowledged", "informal"): {"champion"},
    ("informal", "formal"): {"raiser"},
    ("informal", "closed"): {"champion"},
    ("formal", "appeal"): {"raiser", "respondent"},
    ("formal", "closed"): {"champion"},
    ("appeal", "closed"): {"panel"},
    ("received", "withdrawn"): {"raiser"},
    ("acknowledged", "withdrawn"): {"raiser"},
    ("informal", "withdrawn"): {"raiser"},
    ("formal", "withdrawn"): {"raiser"},
    ("appeal", "withdrawn"): {"raiser"},
}


# --- the state machine ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "party"),
    [
        pytest.param(a, b, party, id=f"{a}-{b}-{party}")
        for a, b in itertools.product(STAGES, STAGES)
        if a != b
        for party in PARTIES
    ],
)
def test_each_move_is_allowed_only_to_the_parties_the_process_names(from_stage, to_stage, party):
    expected = party in ALLOWED.get((from_stage, to_stage), set())

    assert rules.may_move(from_stage=from_stage, to_stage=to_stage, parties={party}) is expected


def test_the_transitions_table_is_exactly_the_process():
    assert {move: set(parties) for move, parties in rules.TRANSITIONS.items()} == ALLOWED


@pytest.mark.parametrize("stage", STAGES)
def test_no_stage_moves_to_itself(stage):
    assert not rules.may_move(from_stage=stage, to_stage=stage, parties=set(PARTIES))


@pytest.mark.parametrize(
    ("from_stage", "to_stage"),
    [
        pytest.param("received", "informal", id="received-skips-acknowledgement"),
        pytest.param("received", "formal", id="received-straight-to-formal"),
        pytest.param("acknowledged", "formal", id="acknowledged-skips-informal"),
        pytest.param("informal", "appeal", id="informal-skips-formal"),
        pytest.param("acknowledged", "closed", id="acknowledged-closed-without-dialogue"),
        pytest.param("received", "closed", id="received-closed"),
        pytest.param("formal", "informal", id="back-to-informal"),
        pytest.param("appeal", "formal", id="back-to-formal"),
        pytest.param("closed", "appeal", id="reopened-closed"),
        pytest.param("withdrawn", "received", id="reopened-withdrawn"),
    ],
)
def test_escalation_goes_forward_one_step_at_a_time_whoever_asks(from_stage, to_stage):
    assert not rules.may_move(from_stage=from_stage, to_stage=to_stage, parties=set(PARTIES))


@pytest.mark.parametrize("finished", ["closed", "withdrawn"])
def test_nothing_leaves_a_finished_case(finished):
    assert not any(rules.may_move(from_stage=finished, to_stage=stage, parties=set(PARTIES)) for stage in STAGES)


def test_someone_with_several_parts_may_move_in_any_of_them():
    assert rules.may_move(from_stage="formal", to_stage="closed", parties={"raiser", "champion"})
    assert not rules.may_move(from_stage="formal", to_stage="closed", parties=set())


# --- deadlines in working days -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "nation", "due"),
    [
        pytest.param(date(2026, 11, 2), ENG, date(2026, 11, 9), id="monday-plain-week"),
        pytest.param(date(2026, 11, 6), ENG, date(2026, 11, 13), id="friday"),
        pytest.param(date(2026, 11, 7), ENG, date(2026, 11, 13), id="saturday-same-as-friday"),
        pytest.param(date(2026, 11, 8), ENG, date(2026, 11, 13), id="sunday-same-as-friday"),
        # Thu 24 Dec 2026: 25 Dec (Fri), 28 Dec (Boxing Day substitute) and 1 Jan are not working days.
        pytest.param(date(2026, 12, 24), ENG, date(2027, 1, 5), id="christmas-2026-eng"),
        # Scotland: 2 Jan 2027 is a Saturday, so its holiday is Monday 4 Jan as well.
        pytest.param(date(2026, 12, 24), SCT, date(2027, 1, 6), id="christmas-2026-sct"),
        # Wed 24 Dec 2025: Friday 2 Jan 2026 is a working day in England, a bank holiday in Scotland.
        pytest.param(date(2025, 12, 24), ENG, date(2026, 1, 5), id="christmas-2025-eng"),
        pytest.param(date(2025, 12, 24), SCT, date(2026, 1, 6), id="christmas-2025-sct-2-january"),
        pytest.param(date(2027, 3, 24), ENG, date(2027, 4, 2), id="easter-2027-eng"),
        pytest.param(date(2027, 3, 24), SCT, date(2027, 4, 1), id="easter-2027-sct-no-easter-monday"),
        pytest.param(date(2027, 3, 15), NIR, date(2027, 3, 23), id="st-patricks-2027-nir"),
    ],
)
def test_acknowledge_due_by_counts_working_days_of_the_compacts_nation(received, nation, due):
    assert rules.acknowledge_due_by(received, nation=nation) == due


def test_a_deadline_is_never_the_day_the_step_began():
    assert rules.acknowledge_due_by(date(2026, 11, 2), nation=ENG, days=1) == date(2026, 11, 3)


@pytest.mark.parametrize(
    ("function", "start", "kwargs", "due"),
    [
        pytest.param(rules.informal_due_by, date(2026, 11, 4), {}, date(2026, 12, 2), id="informal-20"),
        pytest.param(rules.informal_due_by, date(2026, 12, 10), {}, date(2027, 1, 12), id="informal-over-christmas"),
        pytest.param(rules.informal_due_by, date(2026, 11, 4), {"days": 10}, date(2026, 11, 18), id="informal-10"),
        pytest.param(rules.formal_response_due_by, date(2026, 11, 23), {}, date(2026, 12, 21), id="formal-20"),
        pytest.param(
            rules.formal_response_due_by,
            date(2026, 11, 23),
            {"extension_days": 1},
            date(2026, 12, 22),
            id="formal-extended-1",
        ),
        pytest.param(
            rules.formal_response_due_by,
            date(2026, 11, 23),
            {"extension_days": 10},
            date(2027, 1, 7),
            id="formal-extended-10-over-christmas",
        ),
        pytest.param(
            rules.formal_response_due_by,
            date(2026, 11, 23),
            {"days": 15, "extension_days": 5},
            date(2026, 12, 21),
            id="formal-15-plus-5",
        ),
        pytest.param(rules.appeal_lodge_by, date(2026, 12, 16), {}, date(2027, 1, 18), id="lodge-over-christmas"),
        pytest.param(rules.appeal_lodge_by, date(2026, 12, 16), {"days": 5}, date(2026, 12, 23), id="lodge-5"),
        pytest.param(rules.appeal_decision_due_by, date(2027, 1, 11), {}, date(2027, 2, 8), id="decision-20"),
        pytest.param(rules.appeal_decision_due_by, date(2027, 3, 25), {}, date(2027, 4, 26), id="decision-over-easter"),
    ],
)
def test_each_step_deadline_in_working_days(function, start, kwargs, due):
    assert function(start, nation=ENG, **kwargs) == due


def test_the_same_step_ends_later_in_scotland_after_new_year():
    # 2 Jan 2026 (Friday) is a bank holiday in Scotland only.
    assert rules.appeal_lodge_by(date(2025, 12, 17), nation=ENG) == date(2026, 1, 19)
    assert rules.appeal_lodge_by(date(2025, 12, 17), nation=SCT) == date(2026, 1, 20)


@pytest.mark.parametrize("days", [0, -1])
def test_a_limit_under_one_working_day_is_a_programming_error(days):
    with pytest.raises(ValueError, match="at least 1"):
        rules.acknowledge_due_by(date(2026, 11, 2), nation=ENG, days=days)


def test_an_unknown_nation_is_refused():
    with pytest.raises(ValueError, match="unknown nation"):
        rules.informal_due_by(date(2026, 11, 2), nation="wales")


# --- the formal extension ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "most", "already", "reason", "refused_with"),
    [
        pytest.param(1, 10, False, "Key officer on leave.", None, id="one-day"),
        pytest.param(10, 10, False, "Key officer on leave.", None, id="the-most-allowed"),
        pytest.param(11, 10, False, "Key officer on leave.", "from 1 to 10 working days", id="one-over-the-most"),
        pytest.param(0, 10, False, "Key officer on leave.", "from 1 to 10 working days", id="zero-days"),
        pytest.param(-3, 10, False, "Key officer on leave.", "from 1 to 10 working days", id="negative"),
        pytest.param(5, 5, False, "Audit.", None, id="a-compact-allowing-5"),
        pytest.param(6, 5, False, "Audit.", "from 1 to 5 working days", id="over-a-compact-allowing-5"),
        pytest.param(1, 0, False, "Audit.", "does not allow", id="a-compact-allowing-none"),
        pytest.param(5, 10, True, "Again.", "already been extended", id="a-second-extension"),
        pytest.param(5, 10, False, "", "Give the reasons", id="no-reasons"),
        pytest.param(5, 10, False, "  \n ", "Give the reasons", id="blank-reasons"),
    ],
)
def test_extension_refusal(requested, most, already, reason, refused_with):
    refusal = rules.extension_refusal(requested_days=requested, most_days=most, already_extended=already, reason=reason)

    if refused_with is None:
        assert refusal is None
    else:
        assert refused_with in refusal


# --- appeal window, closing, overdue -------------------------------------------------------------------------------

LODGE_BY = date(2027, 1, 18)


@pytest.mark.parametrize(
    ("lodge_by", "today", "may_appeal", "may_close"),
    [
        pytest.param(None, date(2027, 1, 1), False, False, id="no-formal-outcome-yet"),
        pytest.param(LODGE_BY, date(2026, 12, 16), True, False, id="the-day-of-the-outcome"),
        pytest.param(LODGE_BY, date(2027, 1, 17), True, False, id="the-day-before-the-last"),
        pytest.param(LODGE_BY, LODGE_BY, True, False, id="the-last-day"),
        pytest.param(LODGE_BY, date(2027, 1, 19), False, True, id="the-day-after"),
        pytest.param(LODGE_BY, date(2027, 6, 1), False, True, id="months-after"),
    ],
)
def test_an_appeal_is_lodged_within_the_window_and_a_formal_case_closes_after_it(
    lodge_by, today, may_appeal, may_close
):
    assert rules.may_appeal(lodge_by=lodge_by, today=today) is may_appeal
    assert rules.may_close_formal(lodge_by=lodge_by, today=today) is may_close


@pytest.mark.parametrize(
    ("due_by", "today", "overdue"),
    [
        pytest.param(None, date(2030, 1, 1), False, id="nothing-owed"),
        pytest.param(date(2026, 11, 9), date(2026, 11, 8), False, id="the-day-before"),
        pytest.param(date(2026, 11, 9), date(2026, 11, 9), False, id="the-last-day"),
        pytest.param(date(2026, 11, 9), date(2026, 11, 10), True, id="the-day-after"),
    ],
)
def test_step_overdue(due_by, today, overdue):
    assert rules.step_overdue(due_by=due_by, today=today) is overdue


@pytest.mark.parametrize(
    ("today", "nation", "left", "overdue"),
    [
        pytest.param(date(2026, 12, 24), ENG, 5, 0, id="christmas-eve-eng"),
        pytest.param(date(2026, 12, 24), SCT, 4, 0, id="christmas-eve-sct-4-january-off"),
        pytest.param(date(2026, 12, 31), ENG, 2, 0, id="hogmanay"),
        pytest.param(date(2027, 1, 4), ENG, 1, 0, id="the-day-before"),
        pytest.param(date(2027, 1, 5), ENG, 0, 0, id="the-last-day"),
        pytest.param(date(2027, 1, 6), ENG, 0, 1, id="the-day-after"),
        pytest.param(date(2027, 1, 9), ENG, 0, 3, id="the-saturday-after"),
        pytest.param(date(2027, 1, 11), ENG, 0, 4, id="the-monday-after"),
    ],
)
def test_working_days_left_and_overdue(today, nation, left, overdue):
    due_by = date(2027, 1, 5)

    assert rules.working_days_left(due_by=due_by, today=today, nation=nation) == left
    assert rules.working_days_overdue(due_by=due_by, today=today, nation=nation) == overdue


# --- conflicts of interest -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member_of", "conflicted"),
    [
        pytest.param(set(), False, id="no-memberships"),
        pytest.param({9}, False, id="another-organisation"),
        pytest.param({1}, True, id="the-raiser"),
        pytest.param({2}, True, id="the-body-concerned"),
        pytest.param({2, 9}, True, id="the-body-and-another"),
    ],
)
def test_a_panel_member_from_either_organisation_is_conflicted(member_of, conflicted):
    assert rules.conflicted(member_organisation_ids=member_of, party_organisation_ids={1, 2}) is conflicted


# --- the steps a person may take, and the words of a refusal ---------------------------------------------------------

TODAY = date(2026, 12, 1)
DUE = date(2026, 12, 21)


def facts(stage: str, **kwargs) -> rules.CaseFacts:
    """A case at ``stage`` on TODAY: at the formal stage, its response due on DUE, under a compact allowing an
    extension of up to 10 working days (``kwargs`` change any of it)."""
    formal = {"formal_response_due": DUE} if stage in ("formal", "appeal", "closed") else {}
    return rules.CaseFacts(**({"stage": stage, "today": TODAY, "most_extension_days": 10} | formal | kwargs))


DECIDED = {"decided": True, "responded": True, "appeal_lodge_by": LODGE_BY}

# Each refusal with its words as the services said them before the rules decided (written out, not copied), and
# whether it is about the person's part (PermissionDenied) rather than the case's state (ValidationError).
REFUSALS = [
    ("acknowledge", facts("acknowledged"), {"champion"}, False,
     "This case is at the acknowledged stage, so you cannot acknowledge the concern now."),
    ("acknowledge", facts("received"), {"raiser"}, True, "Only compact champion can acknowledge the concern."),
    ("start-informal", facts("received"), {"champion"}, False,
     "This case is at the received stage, so you cannot start the informal stage now."),
    ("start-informal", facts("acknowledged"), {"respondent"}, True,
     "Only compact champion can start the informal stage."),
    ("escalate", facts("formal"), {"raiser"}, False,
     "This case is at the formal stage, so you cannot take the concern to the formal stage now."),
    ("escalate", facts("informal"), {"respondent", "champion"}, True,
     "Only the organisation that raised the concern can take the concern to the formal stage."),
    ("extend", facts("informal"), {"champion"}, False,
     "This case is not at the formal stage, so you cannot extend the formal stage."),
    ("extend", facts("formal"), {"raiser", "panel"}, True, "You cannot extend the formal stage on this case."),
    ("extend", facts("formal", decided=True), {"respondent"}, False,
     "The formal outcome has been given; the formal stage can no longer be extended."),
    ("extend", facts("formal", responded=True), {"champion"}, False,
     "The body has already responded; there is nothing to extend."),
    ("extend", facts("formal", today=DUE + timedelta(days=1)), {"champion"}, False,
     "The response deadline has passed, so it can no longer be extended."),
    ("extend", facts("formal", extended=True), {"respondent"}, False,
     "The formal stage has already been extended once; it cannot be extended again."),
    ("extend", facts("formal", most_extension_days=0), {"respondent"}, False,
     "This compact does not allow the formal stage to be extended."),
    ("respond", facts("appeal"), {"respondent"}, False,
     "This case is not at the formal stage, so you cannot give the body's formal response."),
    ("respond", facts("formal"), {"champion"}, True, "You cannot give the body's formal response on this case."),
    ("respond", facts("formal", responded=True), {"respondent"}, False,
     "The body has already given its formal response."),
    ("respond", facts("formal", decided=True), {"respondent"}, False,
     "The formal outcome has been given; the body can no longer respond at this stage."),
    ("formal-outcome", facts("informal"), {"champion"}, False,
     "This case is not at the formal stage, so you cannot give the formal outcome."),
    ("formal-outcome", facts("formal", responded=True), {"respondent"}, True,
     "You cannot give the formal outcome on this case."),
    ("formal-outcome", facts("formal", **DECIDED), {"champion"}, False, "The formal outcome has already been given."),
    ("formal-outcome", facts("formal"), {"champion"}, False,
     "Wait for the body's response, due by 21 December 2026, before giving the outcome."),
    ("appeal", facts("informal"), {"raiser"}, False, "This case is at the informal stage, so you cannot appeal now."),
    ("appeal", facts("formal", **DECIDED), {"champion", "panel"}, True,
     "Only the organisation that raised the concern or the body the concern is about can appeal."),
    ("appeal", facts("formal", responded=True), {"raiser"}, False,
     "An appeal can be lodged only after the formal outcome, up to the compact's limit."),
    ("appeal", facts("formal", **DECIDED, today=date(2027, 1, 19)), {"respondent"}, False,
     "An appeal can be lodged only after the formal outcome, up to 18 January 2027."),
    ("assign-panel", facts("informal"), {"champion"}, False,
     "A panel is assigned when a case reaches the formal or appeal stage."),
    ("assign-panel", facts("received"), {"raiser", "panel"}, True,
     "Only the compact's champions can assign the panel."),
    ("decide-appeal", facts("formal", **DECIDED), {"panel"}, False,
     "This case is at the formal stage, so you cannot decide the appeal now."),
    ("decide-appeal", facts("appeal"), {"champion", "raiser"}, True, "Only dispute panel can decide the appeal."),
    ("close", facts("appeal", today=date(2027, 2, 1)), {"champion"}, False,
     "This case is at the appeal stage, so you cannot close the case now."),
    ("close", facts("informal"), {"raiser"}, True, "Only compact champion can close the case."),
    ("close", facts("formal", responded=True), {"champion"}, False,
     "Give the formal outcome first; the case closes once the appeal window has passed."),
    ("close", facts("formal", **DECIDED), {"champion"}, False,
     "Either party may still appeal until 18 January 2027; close the case after that."),
    ("withdraw", facts("closed"), {"raiser"}, False,
     "This case is at the closed stage, so you cannot withdraw the concern now."),
    ("withdraw", facts("received"), {"respondent", "champion"}, True,
     "Only the organisation that raised the concern can withdraw the concern."),
    ("meeting", facts("closed"), {"champion"}, False, "The case is finished; meetings can no longer be recorded."),
    ("meeting", facts("received"), {"raiser", "respondent"}, True, "You cannot record meetings on this case."),
    ("meeting", facts("closed"), {"raiser"}, True, "You cannot record meetings on this case."),
    ("note", facts("withdrawn"), set(), True, "You cannot add notes on this case."),
    ("documents", facts("withdrawn"), {"raiser"}, False, "The case is finished; documents can no longer be added."),
    ("documents", facts("closed"), set(), True, "You cannot add documents on this case."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("step", "case", "parties", "by_part", "message"),
    [pytest.param(*refusal, id=f"{refusal[0]}-{n}") for n, refusal in enumerate(REFUSALS)],
)
def test_a_refused_step_says_why_in_the_services_words(step, case, parties, by_part, message):
    assert rules.step_refusal(step, case, parties) == rules.Refusal(message, by_part=by_part)
    assert step not in rules.available_steps(case, parties)


def test_every_refusal_message_is_tried():
    """Each step's refusals above cover its wrong stage (where it has one), its wrong part and each way its case
    can be not ready."""
    assert {refusal[0] for refusal in REFUSALS} == set(rules.CaseStep)


@pytest.mark.parametrize("stage", STAGES)
def test_someone_with_no_part_in_a_case_may_take_no_step(stage):
    assert rules.available_steps(facts(stage, **DECIDED), set()) == frozenset()


@pytest.mark.parametrize(
    ("step", "parties", "side"),
    [
        pytest.param("note", {"raiser", "champion"}, "champion", id="a-champion-who-raised-it-notes-as-champion"),
        pytest.param("meeting", {"panel", "champion"}, "champion", id="champion-before-panel"),
        pytest.param("documents", {"respondent", "panel"}, "panel", id="panel-before-the-body"),
        pytest.param("appeal", {"respondent", "raiser"}, "raiser", id="the-raiser-before-the-body"),
        pytest.param("extend", {"respondent", "champion"}, "champion", id="extending-as-champion"),
        pytest.param("extend", {"respondent", "raiser"}, "respondent", id="extending-as-the-body"),
    ],
)
def test_someone_with_several_parts_takes_a_step_in_the_first_it_allows(step, parties, side):
    assert rules.acting_side(step, parties) == side


def test_the_refusals_name_the_parts_as_the_models_label_them():
    assert {party: label.lower() for party, label in Party.choices} == rules.PARTY_NAMES
    # "This case is at the informal stage": each stage's label without " stage" is its value.
    assert {stage: label.lower().removesuffix(" stage") for stage, label in Stage.choices} == {
        stage: stage for stage in rules.STAGES
    }
