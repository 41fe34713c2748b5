"""A concern no champion can take: every champion of its compact has a conflict of interest.

The decision is ``rules.nobody_to_steer`` (through ``selectors.cases_nobody_can_steer``); the case page tells a
conflicted champion why they cannot act, and the case waits on the administrators' and the compact's panel
members' "Waiting for you" lists until someone without a conflict is appointed a champion of the compact.
"""

import pytest
from django.urls import reverse

from commitments.models import Champion
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from disputes import rules, selectors
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CompactFactory, OrganisationFactory, SignatureFactory
from tests.disputes.factories import ACKNOWLEDGE_BY, RAISED_ON

pytestmark = pytest.mark.django_db

TODAY = RAISED_ON
STUCK = (
    "You sit in Portsmouth City Council, a party to this concern, so you cannot steer it. Every champion of this "
    "compact has a conflict; the administrators and the panel have been told it needs someone else."
)
NOTHING = "There is nothing for you to do on this case now."


def tie(member_of=(), appointed_in=(), raised_it=False) -> rules.Ties:
    return rules.Ties(member_of=frozenset(member_of), appointed_in=frozenset(appointed_in), raised_it=raised_it)


# The case: raised by organisation 1 about body 2.
@pytest.mark.parametrize(
    ("champions", "nobody"),
    [
        ([], True),  # a compact with no champion
        ([tie(member_of={2})], True),  # in the body concerned
        ([tie(member_of={1})], True),  # in the raising organisation
        ([tie(appointed_in={2})], True),  # appointed at the body
        ([tie(raised_it=True)], True),  # raised it themselves
        ([tie(member_of={3})], False),  # in neither
        ([tie(member_of={3}, appointed_in={3})], False),
        ([tie(member_of={2}), tie(member_of={1})], True),
        ([tie(member_of={2}), tie(member_of={3})], False),  # one is enough
    ],
)
def test_nobody_can_steer_only_when_every_champion_has_a_conflict(champions, nobody):
    assert rules.nobody_to_steer(champions, raiser_id=1, respondent_id=2) is nobody


@pytest.mark.parametrize(
    ("ties", "sits_in"),
    [(tie(member_of={1, 2}), 2), (tie(member_of={1}), 1), (tie(raised_it=True), 1), (tie(member_of={3}), None)],
)
def test_the_party_named_is_the_body_first(ties, sits_in):
    assert rules.party_sat_in(ties, raiser_id=1, respondent_id=2) == sits_in


@pytest.fixture
def stuck(raise_concern, council, champion):
    """Raised by the food bank about the council, whose champion is the compact's only one."""
    return raise_concern(respondent=council)


def items(user, role, *, today=TODAY):
    return worklist.waiting_for(user, today).get(role, [])


def test_the_case_page_tells_a_conflicted_champion_why_and_that_nobody_else_can(client, stuck, champion):
    client.force_login(champion)
    page = client.get(stuck.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert STUCK in text
    assert NOTHING not in text


def test_with_a_champion_free_of_conflict_the_page_says_another_steers_it(client, stuck, champion, respondent_champion):
    assert selectors.cases_nobody_can_steer([stuck]) == set()
    client.force_login(champion)
    text = client.get(stuck.get_absolute_url()).content.decode()
    assert (
        "You sit in Portsmouth City Council, a party to this concern, so you cannot steer it. A champion of this "
        "compact without a conflict steers it."
    ) in text
    assert "Every champion" not in text
    assert NOTHING not in text


def test_a_champion_without_a_conflict_is_offered_the_step_not_told_off(client, concern, champion):
    client.force_login(champion)
    text = client.get(concern.get_absolute_url()).content.decode()
    assert "a party to this concern" not in text
    assert "Acknowledge the concern" in text


def test_an_inactive_champion_without_a_conflict_does_not_count(stuck, respondent_champion):
    respondent_champion.is_active = False
    respondent_champion.save()
    assert selectors.cases_nobody_can_steer([stuck]) == {stuck.pk}


def test_the_administrators_list_it_with_the_reason_and_the_acknowledgement_date(client, stuck, administrator):
    (item,) = [i for i in items(administrator, Role.ADMINISTRATOR) if i.kind == "concern_without_champion"]
    assert item.key == stuck.reference
    assert item.what == f"Concern {stuck.reference} about Portsmouth City Council: no champion without a conflict"
    assert item.blocked.startswith("No champion without a conflict: every champion of Portsmouth Compact")
    assert item.due == ACKNOWLEDGE_BY
    assert item.action == "Appoint a champion without a conflict"
    assert "Southsea" not in item.what + item.blocked  # the raiser is not the administrator's to know
    client.force_login(administrator)
    assert client.get(item.url).status_code == 200


def test_the_compacts_panel_members_list_it(client, stuck, panel_member):
    (item,) = [i for i in items(panel_member, Role.PANEL_MEMBER) if i.kind == "concern_without_champion"]
    assert item.key == stuck.reference
    assert item.blocked == rules.needs_someone_else(compact="Portsmouth Compact")
    assert item.due == ACKNOWLEDGE_BY
    client.force_login(panel_member)
    assert client.get(item.url).status_code == 200


def test_a_panel_member_of_another_compact_does_not_see_it(stuck):
    elsewhere = OrganisationFactory(name="Elsewhere Trust")
    SignatureFactory(compact=CompactFactory(name="Other Compact", status="adopted"), organisation=elsewhere)
    member = MembershipFactory(organisation=elsewhere, role=Role.PANEL_MEMBER).user
    assert items(member, Role.PANEL_MEMBER) == []


def test_once_a_champion_without_a_conflict_is_appointed_it_leaves_both_lists(
    stuck, administrator, panel_member, compact, other_charity
):
    facilitator = MembershipFactory(organisation=other_charity, role=Role.CHAMPION, user__full_name="Fay Facil").user
    Champion.objects.create(compact=compact, organisation=other_charity, user=facilitator)
    assert not [i for i in items(administrator, Role.ADMINISTRATOR) if i.kind == "concern_without_champion"]
    assert not [i for i in items(panel_member, Role.PANEL_MEMBER) if i.kind == "concern_without_champion"]
    (item,) = items(facilitator, Role.CHAMPION)
    assert (item.kind, item.key, item.action) == ("concern_to_acknowledge", stuck.reference, "Acknowledge the concern")


def test_the_raiser_is_told_it_waits_for_someone_without_a_conflict(stuck, vcs_member):
    (item,) = items(vcs_member, Role.VCS_MEMBER)
    assert "every champion of the compact has a conflict" in item.what
    assert item.action == "Follow the case"


def test_the_conflicted_champion_is_told_it_waits_for_someone_else_and_can_read_why(client, stuck, champion):
    (item,) = items(champion, Role.CHAMPION)
    assert (item.kind, item.key, item.action) == ("concern_without_champion", stuck.reference, "See the case")
    assert item.blocked == rules.needs_someone_else(compact="Portsmouth Compact")
    assert item.due == ACKNOWLEDGE_BY
    client.force_login(champion)
    assert client.get(item.url).status_code == 200


def test_a_conflicted_champion_is_not_told_of_a_case_another_champion_can_steer(
    stuck, champion, compact, other_charity
):
    free = MembershipFactory(organisation=other_charity, role=Role.CHAMPION, user__full_name="Fay Free").user
    Champion.objects.create(compact=compact, organisation=other_charity, user=free)
    assert items(champion, Role.CHAMPION) == []


def test_the_home_page_shows_it_to_the_administrator(client, stuck, administrator):
    client.force_login(administrator)
    text = client.get(reverse("home")).content.decode()
    assert stuck.reference in text
    assert "Appoint a champion without a conflict" in text
    assert "No champion without a conflict" in text
