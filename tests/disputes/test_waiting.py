"""What the disputes process puts on each person's "Waiting for you" list (disputes/waiting.py), on the disputes
world of tests/disputes/conftest.py: concerns raised by the food bank about the trust, a neutral champion at the
council, a champion at the trust (conflicted), and the panel through the youth network.

Cases are built through the services on the fixed dates of tests/disputes/factories.py; each list is asked for
as of a day given here. A case no champion can steer has its own module, test_unassignable.py.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import Champion, MeasurableRule
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from disputes import services, waiting
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import (
    CommitmentFactory,
    CompactFactory,
    OrganisationFactory,
    SectionFactory,
    SignatureFactory,
)
from tests.disputes.factories import (
    ACKNOWLEDGE_BY,
    APPEAL_DECISION_DUE,
    APPEALED_ON,
    DECIDED_ON,
    ESCALATED_ON,
    FORMAL_RESPONSE_DUE,
    INFORMAL_DUE,
    INFORMAL_ON,
    LODGE_BY,
    RAISED_ON,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
TRUST = "Portsmouth Hospitals NHS Trust"
FOOD_BANK = "Southsea Community Food Bank"


def items(user, role, today):
    return worklist.waiting_for(user, today).get(role, [])


def kinds(user, role, today):
    return [(item.kind, item.key) for item in items(user, role, today)]


def opens_for(client, user, found):
    client.force_login(user)
    assert found
    for item in found:
        assert client.get(item.url).status_code == 200, item.url


# --- Officers ---------------------------------------------------------------------------------------------------


def test_the_body_is_asked_for_its_formal_response(client, case_at, respondent_officer):
    concern = case_at("formal")
    (item,) = items(respondent_officer, Role.OFFICER, ESCALATED_ON + DAY)
    assert (item.kind, item.key, item.action) == ("concern_to_answer", concern.reference, "Respond to the concern")
    assert item.due == FORMAL_RESPONSE_DUE
    assert (
        item.what
        == f"Concern {concern.reference} about {TRUST}, raised by {FOOD_BANK}: the body's written formal response"
    )
    assert item.why.startswith("The body gives its written formal response within 20 working days of escalation")
    assert item.clause == "portal default; this compact states no such rule"
    assert item.compact == "Portsmouth Compact"
    opens_for(client, respondent_officer, [item])


def test_the_compacts_own_clause_is_cited_where_it_carries_the_disputes_procedure(case_at, respondent_officer, compact):
    section = SectionFactory(compact=compact, number="10", title="Resolving differences", position=9)
    CommitmentFactory(compact=compact, section=section, code="10", rule_key=MeasurableRule.DISPUTES_PROCESS, position=9)
    case_at("formal")
    (item,) = items(respondent_officer, Role.OFFICER, ESCALATED_ON + DAY)
    assert item.clause == "clause 10"


def test_a_withheld_raiser_is_not_named_to_the_body(case_at, respondent_officer):
    case_at("formal", withhold_identity=True)
    (item,) = items(respondent_officer, Role.OFFICER, ESCALATED_ON + DAY)
    assert FOOD_BANK not in item.what


@pytest.mark.parametrize(
    ("state", "today", "expected"),
    [
        ("informal", INFORMAL_ON + DAY, []),  # nothing of the body's yet
        ("formal", FORMAL_RESPONSE_DUE + DAY, ["concern_to_answer"]),  # late, still owed
        ("responded", DECIDED_ON - DAY, []),  # answered
        ("decided", DECIDED_ON + DAY, ["concern_appeal_window"]),  # the body may appeal
        ("decided", LODGE_BY + DAY, []),  # the window has closed
    ],
)
def test_the_bodys_items_at_each_state(case_at, respondent_officer, state, today, expected):
    case_at(state)
    assert [kind for kind, _key in kinds(respondent_officer, Role.OFFICER, today)] == expected


def test_an_officer_of_another_body_sees_nothing(case_at, officer):
    case_at("formal")
    assert items(officer, Role.OFFICER, ESCALATED_ON + DAY) == []


# --- VCS members --------------------------------------------------------------------------------------------------


def test_the_raiser_follows_each_open_concern_with_the_next_step_and_who_holds_it(client, case_at, vcs_member):
    formal = case_at("formal")
    received = case_at("received")
    found = items(vcs_member, Role.VCS_MEMBER, ESCALATED_ON + DAY)
    assert [(item.key, item.due) for item in found] == [
        (received.reference, ACKNOWLEDGE_BY),  # late: first
        (formal.reference, FORMAL_RESPONSE_DUE),
    ]
    assert found[1].what == (
        f"Concern {formal.reference} about {TRUST}: waiting for {TRUST}'s formal response, due 21 December 2026"
    )
    assert found[0].what.endswith("waiting for a champion to acknowledge it, due 9 November 2026")
    assert {item.action for item in found} == {"Follow the case"}
    opens_for(client, vcs_member, found)


@pytest.mark.parametrize(
    ("state", "today", "kind", "action", "due"),
    [
        (
            "informal",
            INFORMAL_ON + DAY,
            "concern_to_follow",
            "Follow the case, or take it to the formal stage",
            INFORMAL_DUE,
        ),
        ("decided", DECIDED_ON + DAY, "concern_appeal_window", "Decide whether to appeal", LODGE_BY),
        ("decided", LODGE_BY + DAY, "concern_to_follow", "Follow the case", None),
        ("appeal", APPEALED_ON + DAY, "concern_to_follow", "Follow the case", APPEAL_DECISION_DUE),
    ],
)
def test_a_step_of_the_raisers_says_so_with_the_windows_end(case_at, vcs_member, state, today, kind, action, due):
    concern = case_at(state)
    (item,) = items(vcs_member, Role.VCS_MEMBER, today)
    assert (item.kind, item.key, item.action, item.due) == (kind, concern.reference, action, due)


def test_finished_concerns_and_other_organisations_concerns_are_not_followed(case_at, vcs_member, outsider):
    case_at("closed")
    case_at("withdrawn")
    assert items(vcs_member, Role.VCS_MEMBER, APPEALED_ON) == []
    case_at("formal")
    assert items(outsider, Role.VCS_MEMBER, ESCALATED_ON + DAY) == []


# --- Champions ----------------------------------------------------------------------------------------------------


def test_a_champion_acknowledges_new_concerns_of_their_compact(client, concern, champion):
    (item,) = items(champion, Role.CHAMPION, RAISED_ON)
    assert (item.kind, item.key, item.action, item.due) == (
        "concern_to_acknowledge",
        concern.reference,
        "Acknowledge the concern",
        ACKNOWLEDGE_BY,
    )
    assert item.why == "A champion acknowledges a concern within 5 working days"
    opens_for(client, champion, [item])


@pytest.mark.parametrize(
    ("state", "today", "kind"),
    [
        ("acknowledged", INFORMAL_ON - DAY, "informal_to_start"),
        ("informal", INFORMAL_ON + DAY, None),  # the parties' dialogue
        ("formal", ESCALATED_ON + DAY, None),  # the body's response
        ("formal", FORMAL_RESPONSE_DUE + DAY, "formal_outcome_to_give"),  # its time is up
        ("responded", DECIDED_ON - DAY, "formal_outcome_to_give"),
        ("decided", DECIDED_ON + DAY, None),  # the appeal window
        ("decided", LODGE_BY + DAY, "case_to_close"),
        ("appeal", APPEALED_ON + DAY, None),  # the panel, already assigned
    ],
)
def test_a_champions_steps_at_each_state(case_at, champion, state, today, kind):
    concern = case_at(state)
    assert kinds(champion, Role.CHAMPION, today) == ([(kind, concern.reference)] if kind else [])


def test_a_conflicted_champion_is_not_asked(concern, champion, respondent_champion):
    assert items(respondent_champion, Role.CHAMPION, RAISED_ON) == []
    assert len(items(champion, Role.CHAMPION, RAISED_ON)) == 1


def test_a_case_another_champion_steers_is_theirs(case_at, champion, compact, other_charity):
    second = MembershipFactory(organisation=other_charity, role=Role.CHAMPION).user
    Champion.objects.create(compact=compact, organisation=other_charity, user=second)
    concern = case_at("acknowledged")  # acknowledged by ``champion``
    assert kinds(champion, Role.CHAMPION, INFORMAL_ON - DAY) == [("informal_to_start", concern.reference)]
    assert items(second, Role.CHAMPION, INFORMAL_ON - DAY) == []


def test_a_champion_of_another_compact_sees_nothing(concern, other_charity):
    other = CompactFactory(name="Other Compact", status="adopted")
    SignatureFactory(compact=other, organisation=other_charity)
    elsewhere = MembershipFactory(organisation=other_charity, role=Role.CHAMPION).user
    Champion.objects.create(compact=other, organisation=other_charity, user=elsewhere)
    assert items(elsewhere, Role.CHAMPION, RAISED_ON) == []


# --- Panel members ------------------------------------------------------------------------------------------------


@pytest.fixture
def awaiting_panel(case_at, respondent_officer):
    """An appeal lodged by the body, no panel assigned."""
    concern = case_at("decided")
    return services.appeal_lodge(concern=concern, actor=respondent_officer, today=APPEALED_ON, grounds="Missed.")


def test_the_assigned_panel_member_hears_the_appeal(client, case_at, panel_member, second_panel_member):
    concern = case_at("appeal")  # assigned to panel_member
    (item,) = items(panel_member, Role.PANEL_MEMBER, APPEALED_ON + DAY)
    assert (item.kind, item.key, item.action, item.due, item.blocked) == (
        "appeal_to_hear",
        concern.reference,
        "Hear the appeal",
        APPEAL_DECISION_DUE,
        "",
    )
    assert item.why == "The dispute panel decides an appeal within 20 working days"
    opens_for(client, panel_member, [item])
    assert items(second_panel_member, Role.PANEL_MEMBER, APPEALED_ON + DAY) == []  # a panel is assigned


def test_an_appeal_awaiting_a_panel_is_on_every_panel_members_list(
    client, awaiting_panel, panel_member, second_panel_member, champion
):
    for member in (panel_member, second_panel_member):
        (item,) = items(member, Role.PANEL_MEMBER, APPEALED_ON + DAY)
        assert item.key == awaiting_panel.reference
        assert item.blocked == "No panel member is assigned yet: a champion of the compact assigns the panel."
        opens_for(client, member, [item])
    assert kinds(champion, Role.CHAMPION, APPEALED_ON + DAY) == [("panel_to_assign", awaiting_panel.reference)]


def test_a_panel_members_conflict_is_shown(client, awaiting_panel, trust):
    member = MembershipFactory(organisation=trust, role=Role.PANEL_MEMBER, user__full_name="Tom Trustpanel").user
    (item,) = items(member, Role.PANEL_MEMBER, APPEALED_ON + DAY)
    assert item.blocked == f"You sit in {TRUST}, a party to this concern, so you cannot sit on its panel."
    opens_for(client, member, [item])


def test_a_panel_member_of_another_compact_sees_no_appeal(awaiting_panel):
    lone = OrganisationFactory(name="Lone Trust")
    SignatureFactory(compact=CompactFactory(name="Other Compact", status="adopted"), organisation=lone)
    stranger = MembershipFactory(organisation=lone, role=Role.PANEL_MEMBER).user
    assert items(stranger, Role.PANEL_MEMBER, APPEALED_ON + DAY) == []


# --- The number of queries ----------------------------------------------------------------------------------------


SOURCES = [
    (waiting.concerns_to_answer, "respondent_officer", Role.OFFICER, "formal", ESCALATED_ON + DAY),
    (waiting.concerns_to_follow, "vcs_member", Role.VCS_MEMBER, "formal", ESCALATED_ON + DAY),
    (waiting.concerns_to_steer, "champion", Role.CHAMPION, "received", RAISED_ON),
    (waiting.appeals_to_hear, "panel_member", Role.PANEL_MEMBER, "appeal", APPEALED_ON + DAY),
    (waiting.concerns_without_champion, "administrator", Role.ADMINISTRATOR, "received", RAISED_ON),
]


def _queries(source, user, today) -> tuple[int, int]:
    person = worklist.person_for(user, today)
    with CaptureQueriesContext(connection) as captured:
        found = list(source(person))
    return len(captured), len(found)


@pytest.mark.parametrize(("source", "who", "role", "state", "today"), SOURCES, ids=lambda v: getattr(v, "__name__", ""))
def test_each_source_reads_the_same_few_queries_however_many_cases(
    request, case_at, raise_concern, council, source, who, role, state, today
):
    user = request.getfixturevalue(who)
    if source is waiting.concerns_without_champion:  # cases no champion can steer: about the champion's council
        make = lambda: raise_concern(respondent=council)  # noqa: E731
    else:
        make = lambda: case_at(state)  # noqa: E731
    make()
    one, found_one = _queries(source, user, today)
    make()
    make()
    three, found_three = _queries(source, user, today)
    assert (found_one, found_three) == (1, 3)
    assert one == three <= 6
