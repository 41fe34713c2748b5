"""What consultations put on "Waiting for you" (consultations/waiting.py): drafts to publish and feedback to
publish for the consulting body's officers; open consultations to answer for the members of organisations that
signed the compact."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import MeasurableRule, SignatureStatus
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from compact_portal.formatting import long_date
from consultations import services
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CommitmentFactory, CompactFactory, PublicBodyFactory, SignatureFactory
from tests.consultations.factories import (
    ConsultationFactory,
    closed_consultation,
    open_consultation,
    publish_feedback,
)

DAY = datetime.timedelta(days=1)
NO_RULE = "portal default; this compact states no such rule"


def respond(consultation, organisation, today, *, submit=True):
    return services.response_save(
        consultation=consultation, organisation=organisation, actor=None, today=today, text="Keep the library.",
        represents="own", how_gathered="", may_publish=True, submit=submit,
    )  # fmt: skip


@pytest.fixture
def world(compact, council, charity, today):
    """The council's consultations under a compact whose clause 3.5 is the feedback promise (and which states
    none about announcing), the charity having signed it, on ``today``."""
    CommitmentFactory(compact=compact, code="3.5", rule_key=MeasurableRule.CONSULTATION_FEEDBACK)
    SignatureFactory(compact=compact, organisation=charity)
    found = {
        "draft": ConsultationFactory(
            compact=compact, body=council, title="Draft waste strategy",
            announced_date=today, open_date=today + 20 * DAY, close_date=today + 110 * DAY,
        ),
        "just_closed": closed_consultation(today=today, compact=compact, body=council, title="Parks strategy"),
        "feedback_late": ConsultationFactory(
            compact=compact, body=council, title="Bus lanes", announced_date=today - 200 * DAY,
            open_date=today - 184 * DAY, close_date=today - 100 * DAY, publish=True,
        ),
        "open": open_consultation(today=today, compact=compact, body=council, title="Library services review"),
        "answered": open_consultation(today=today, compact=compact, body=council, title="Youth services"),
        "drafted": open_consultation(today=today, compact=compact, body=council, title="Allotments"),
    }  # fmt: skip
    closed_with_feedback = closed_consultation(today=today - 10 * DAY, compact=compact, body=council, title="Done")
    publish_feedback(closed_with_feedback, today=today - DAY)
    respond(found["answered"], charity, today)
    respond(found["drafted"], charity, today, submit=False)
    # Open, but under a compact the charity has not signed.
    open_consultation(today=today, compact=CompactFactory(name="Havant Compact"), body=council, title="Elsewhere")
    return found


def waiting(user, today, role) -> list[worklist.Waiting]:
    return worklist.waiting_for(user, today).get(role, [])


def test_the_officer_sees_feedback_and_drafts_late_first_then_nearest(world, officer, today):
    items = waiting(officer, today, Role.OFFICER)

    late, draft, feedback = items
    assert [item.kind for item in items] == ["feedback_to_publish", "consultation_to_publish", "feedback_to_publish"]
    bus_lanes = world["feedback_late"]
    assert (
        late.what == f"Feedback on consultation {bus_lanes.reference}: Bus lanes, closed {long_date(today - 100 * DAY)}"
    )
    assert late.action == "Publish the feedback"
    assert late.url == f"/consultations/manage/{bus_lanes.pk}/feedback/"
    assert (late.why, late.clause) == ("Feedback within 12 weeks of the close", "clause 3.5")
    assert late.due == today - 100 * DAY + 12 * 7 * DAY
    assert late.is_late(today)
    assert late.compact == "Portsmouth Compact"
    waste = world["draft"]
    assert (
        draft.what
        == f"Draft consultation {waste.reference}: Draft waste strategy, opening {long_date(today + 20 * DAY)}"
    )
    assert draft.action == "Publish the consultation"
    assert draft.url == f"/consultations/{waste.pk}/"
    assert (draft.why, draft.clause) == ("Consultations are announced before they open", NO_RULE)
    assert draft.due == today + 19 * DAY
    assert feedback.key == str(world["just_closed"].pk)
    assert feedback.due == world["just_closed"].feedback_due


def test_every_link_opens_for_the_officer(world, officer, client, today):
    client.force_login(officer)
    for item in waiting(officer, today, Role.OFFICER):
        assert client.get(item.url).status_code == 200, item.url


def test_published_drafts_and_published_feedback_leave_the_list(world, officer, today):
    services.consultation_publish(consultation=world["draft"], actor=officer)
    publish_feedback(world["feedback_late"], today=today)

    assert [item.key for item in waiting(officer, today, Role.OFFICER)] == [str(world["just_closed"].pk)]


@pytest.mark.parametrize(
    ("closes", "listed"),
    [(0, False), (-1, True)],  # feedback waits from the day after the close
)
def test_feedback_waits_once_the_consultation_has_closed(world, officer, today, closes, listed):
    consultation = ConsultationFactory(
        compact=world["open"].compact, body=world["open"].body, announced_date=today - 100 * DAY,
        open_date=today - 90 * DAY, close_date=today + closes * DAY, publish=True,
    )  # fmt: skip
    keys = {item.key for item in waiting(officer, today, Role.OFFICER) if item.kind == "feedback_to_publish"}
    assert (str(consultation.pk) in keys) is listed


def test_the_member_sees_open_consultations_of_signed_compacts_not_yet_answered(world, vcs_member, client, today):
    items = {item.what: item for item in waiting(vcs_member, today, Role.VCS_MEMBER)}

    assert items.keys() == {
        "Allotments, a consultation by Portsmouth City Council",  # a draft response is not an answer
        "Library services review, a consultation by Portsmouth City Council",
    }
    library = items["Library services review, a consultation by Portsmouth City Council"]
    assert library.kind == "consultation_to_answer"
    assert library.action == "Respond"
    assert library.url == f"/consultations/{world['open'].pk}/respond/?for=southsea-community-food-bank"
    assert library.due == today + 60 * DAY
    assert library.why
    client.force_login(vcs_member)
    for item in items.values():
        assert client.get(item.url).status_code == 200, item.url


@pytest.mark.parametrize(
    ("opens", "closes", "listed"),
    [
        (1, 30, False),  # forthcoming
        (0, 30, True),  # opens today
        (-30, 0, True),  # closes today
        (-30, -1, False),  # closed yesterday
    ],
)
def test_a_consultation_is_the_members_to_answer_while_it_is_open(
    compact, council, charity, vcs_member, today, opens, closes, listed
):
    SignatureFactory(compact=compact, organisation=charity)
    ConsultationFactory(
        compact=compact, body=council, announced_date=today - 60 * DAY, open_date=today + opens * DAY,
        close_date=today + closes * DAY, formal=False, publish=True,
    )  # fmt: skip
    assert bool(waiting(vcs_member, today, Role.VCS_MEMBER)) is listed


def test_a_withdrawn_signature_or_an_application_brings_no_consultations(compact, council, charity, vcs_member, today):
    SignatureFactory(compact=compact, organisation=charity, status=SignatureStatus.WITHDRAWN)
    other = CompactFactory(name="Gosport Compact")
    SignatureFactory(compact=other, organisation=charity, status=SignatureStatus.APPLIED, signed_date=None)
    open_consultation(today=today, compact=compact, body=council)
    open_consultation(today=today, compact=other, body=council)

    kinds = {item.kind for item in waiting(vcs_member, today, Role.VCS_MEMBER)}
    assert kinds == {"application_made"}  # the application itself waits for a champion; no consultation does


def test_a_member_of_two_organisations_is_told_which_each_item_is_for(world, vcs_member, other_charity, today):
    MembershipFactory(user=vcs_member, organisation=other_charity, role=Role.VCS_MEMBER)
    SignatureFactory(compact=world["open"].compact, organisation=other_charity)

    whats = [item.what for item in waiting(vcs_member, today, Role.VCS_MEMBER)]
    assert "Youth services, a consultation by Portsmouth City Council (for Fratton Youth Network)" in whats
    assert len(whats) == 2 + 3  # the charity's two, and the network's three (it has answered none)


def test_nothing_of_the_council_waits_for_another_bodys_officer_or_another_charitys_member(world, outsider, today):
    other_officer = MembershipFactory(organisation=PublicBodyFactory(name="Havant Borough Council"), role=Role.OFFICER)

    assert waiting(other_officer.user, today, Role.OFFICER) == []
    assert waiting(outsider, today, Role.VCS_MEMBER) == []  # its organisation signed no compact


def test_the_queries_do_not_grow_with_the_records(world, compact, council, officer, vcs_member, today):
    def count(user) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert worklist.waiting_for(user, today)
        return len(queries)

    count(officer), count(vcs_member)  # what is kept on the user after the first call (its roles) is read
    before = (count(officer), count(vcs_member))
    for n in range(3):
        ConsultationFactory(compact=compact, body=council, announced_date=today, open_date=today + (30 + n) * DAY,
                            close_date=today + 120 * DAY)  # fmt: skip
        closed_consultation(today=today - n * DAY, compact=compact, body=council)
        open_consultation(today=today, compact=compact, body=council)

    assert len(waiting(officer, today, Role.OFFICER)) == 3 + 6
    assert len(waiting(vcs_member, today, Role.VCS_MEMBER)) == 2 + 3
    assert (count(officer), count(vcs_member)) == before
