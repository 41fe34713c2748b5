"""What monitoring puts on "Waiting for you" (funding/waiting.py): for the recipient's members, returns due within
ten working days or past their date (17.3) and the funder's questions to answer; for the funder's officers,
returns to review and monitoring to agree before the agreement is signed (12.1)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compact_portal import worklist
from compact_portal.accounts.roles import Role
from funding import services
from funding.services import monitoring
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, FundingRelationshipFactory, MonitoringPlanFactory, sign_up

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2027, 10, 20)  # a Wednesday; the first return is due on Monday 1 November 2027
ANSWERS = ["We reached 240 families.", "Fewer children went hungry."]
NO_RULE = "portal default; this compact states no such rule"


@pytest.fixture
def plan(funding):
    """Twice a year over the award (1 April 2027 to 31 March 2030): six returns, the first for April to September
    2027, due on 1 November 2027 (30 October is a Saturday)."""
    return MonitoringPlanFactory(relationship=funding, returns_per_year=2, today=D(2027, 3, 1))


@pytest.fixture
def first_return(plan):
    return plan.returns.order_by("due_date").first()


def waiting(user, today=TODAY, role=Role.VCS_MEMBER, kind=None) -> list[worklist.Waiting]:
    items = worklist.waiting_for(user, today).get(role, [])
    return [item for item in items if kind is None or item.kind == kind]


def send(monitoring_return, person, today=TODAY):
    monitoring.return_submit(monitoring_return=monitoring_return, actor=person, today=today, answers=ANSWERS)


# --- The organisation's returns -----------------------------------------------------------------------------------


def test_the_member_is_reminded_of_the_return_due_with_its_promise(first_return, vcs_member, client):
    (item,) = waiting(vcs_member)

    assert item.kind == "monitoring_return_due"
    assert item.what == (
        "Monitoring return to Portsmouth City Council on GR-2027-001, for 1 April 2027 to 30 September 2027"
    )
    assert item.action == "Make the return"
    assert item.url == first_return.get_absolute_url()
    assert (item.why, item.clause, item.due) == ("Monitoring returns made by their due dates", NO_RULE, D(2027, 11, 1))
    assert not item.is_late(TODAY)
    client.force_login(vcs_member)
    assert client.get(item.url).status_code == 200


@pytest.mark.parametrize(
    ("today", "listed"),
    [
        (D(2027, 10, 15), False),  # Friday: eleven working days before 1 November
        (D(2027, 10, 18), True),  # ten working days before: the reminder
        (D(2027, 11, 1), True),  # the due date
        (D(2027, 11, 2), True),  # past it: still to make, with no blame in the words
    ],
)
def test_a_return_is_listed_from_ten_working_days_before_its_due_date(first_return, vcs_member, today, listed):
    keys = {item.key for item in waiting(vcs_member, today, kind="monitoring_return_due")}

    assert (str(first_return.pk) in keys) is listed


def test_a_draft_asks_to_be_finished_and_a_return_sent_leaves_the_list(first_return, vcs_member):
    monitoring.return_save_draft(
        monitoring_return=first_return, actor=vcs_member, today=TODAY, answers=ANSWERS[:1] + [""]
    )
    (item,) = waiting(vcs_member)
    assert item.action == "Finish and send the return"

    send(first_return, vcs_member)

    assert waiting(vcs_member) == []


def test_questions_wait_for_the_member_then_the_reply_for_the_officer(first_return, vcs_member, officer, client):
    send(first_return, vcs_member)
    (review,) = waiting(officer, role=Role.OFFICER, kind="monitoring_return_to_review")
    assert review.what == (
        "Monitoring return from Southsea Community Food Bank on GR-2027-001, for 1 April 2027 to 30 September 2027"
    )
    assert (review.action, review.url, review.due) == ("Review the return", first_return.get_absolute_url(), None)
    client.force_login(officer)
    assert client.get(review.url).status_code == 200

    monitoring.return_ask_questions(monitoring_return=first_return, actor=officer, today=TODAY, questions="How many?")
    assert waiting(officer, role=Role.OFFICER, kind="monitoring_return_to_review") == []
    (questions,) = waiting(vcs_member)
    assert questions.kind == "monitoring_return_questions"
    assert questions.what.startswith("The funder has questions on your return: Monitoring return to Portsmouth")
    assert questions.action == "Reply to the questions"

    monitoring.return_reply(monitoring_return=first_return, actor=vcs_member, today=TODAY, reply="240, all new.")
    assert waiting(vcs_member) == []
    assert len(waiting(officer, role=Role.OFFICER, kind="monitoring_return_to_review")) == 1

    monitoring.return_accept(monitoring_return=first_return, actor=officer, today=TODAY)
    assert waiting(officer, role=Role.OFFICER, kind="monitoring_return_to_review") == []


def test_a_member_of_several_organisations_is_told_whose_return(first_return, vcs_member, other_charity):
    MembershipFactory(user=vcs_member, organisation=other_charity, role=Role.VCS_MEMBER)

    (item,) = waiting(vcs_member)

    assert item.what.endswith("(for Southsea Community Food Bank)")


def test_the_return_of_undecided_funding_waits_for_no_member(compact, council, charity, vcs_member):
    MonitoringPlanFactory(
        relationship=FundingRelationshipFactory(compact=compact, funder=council, recipient=charity, reference="P-1"),
        today=D(2027, 3, 1),
        returns_per_year=2,
    )

    assert waiting(vcs_member) == []


def test_nothing_waits_for_another_bodys_officer_or_another_charitys_member(first_return, vcs_member, outsider):
    other_officer = MembershipFactory(organisation=PublicBodyFactory(), role=Role.OFFICER).user
    send(first_return, vcs_member)

    assert waiting(other_officer, role=Role.OFFICER) == []
    assert waiting(outsider) == []


# --- Monitoring to agree before signing (12.1) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "listed"),
    [
        (D(2027, 3, 1), False),  # the start (1 April) is more than twenty working days away (Easter between)
        (D(2027, 3, 2), True),  # twenty working days before
        (D(2027, 4, 1), True),  # the day it starts
        (D(2027, 4, 2), False),  # it has started: the 12.1 check judges the signing once it is recorded
    ],
)
def test_monitoring_to_agree_is_listed_in_the_four_weeks_before_the_start(funding, officer, today, listed):
    items = waiting(officer, today, Role.OFFICER, kind="monitoring_to_agree")

    assert bool(items) is listed
    if listed:
        (item,) = items
        assert item.what == (
            "Agree monitoring before signing: GR-2027-001 (Community food project) for Southsea Community Food "
            "Bank, £30,000.00"
        )
        assert (item.action, item.due) == ("Set up monitoring", D(2027, 4, 1))
        assert item.url == f"/funding/{funding.pk}/monitoring/"
        assert (item.why, item.clause) == ("Monitoring agreed before the agreement is signed", NO_RULE)


def test_a_plan_not_yet_agreed_asks_for_the_day_it_was(funding, officer, client):
    MonitoringPlanFactory(relationship=funding, today=D(2027, 3, 1))

    (item,) = waiting(officer, D(2027, 3, 10), Role.OFFICER, kind="monitoring_to_agree")

    assert item.action == "Record when the plan was agreed"
    client.force_login(officer)
    assert client.get(item.url).status_code == 200


@pytest.mark.parametrize("done", ["agreed", "signed"])
def test_agreed_or_signed_funding_leaves_the_list(funding, officer, done):
    if done == "agreed":
        MonitoringPlanFactory(relationship=funding, today=D(2027, 3, 1), agreed_on=D(2027, 3, 1))
    else:
        services.relationship_update(relationship=funding, actor=officer, agreement_signed_date=D(2027, 3, 1))

    assert waiting(officer, D(2027, 3, 10), Role.OFFICER, kind="monitoring_to_agree") == []


def test_undecided_funding_has_no_monitoring_to_agree_yet(compact, council, charity, officer):
    FundingRelationshipFactory(compact=compact, funder=council, recipient=charity, reference="P-1")

    assert waiting(officer, D(2027, 3, 10), Role.OFFICER, kind="monitoring_to_agree") == []


# --- The queries do not grow with the records ---------------------------------------------------------------------


def test_the_queries_do_not_grow_with_the_records(compact, council, charity, funding, officer, vcs_member):
    day = D(2027, 10, 20)

    def count(user) -> int:
        with CaptureQueriesContext(connection) as queries:
            worklist.waiting_for(user, day)
        return len(queries)

    def add(number: int) -> None:
        relationship = AwardedFundingFactory(
            compact=compact, funder=council, recipient=charity, reference=f"MORE-{number}",
            start_date=D(2027, 4, 1), expected_start=D(2027, 4, 1),
        )  # fmt: skip
        plan = MonitoringPlanFactory(relationship=relationship, returns_per_year=2, today=D(2027, 3, 1))
        send(plan.returns.order_by("due_date").first(), vcs_member, day)  # to review
        MonitoringPlanFactory(  # its first return due on 1 November: to make
            relationship=AwardedFundingFactory(
                compact=compact, funder=council, recipient=charity, reference=f"DUE-{number}"
            ),
            returns_per_year=2,
            today=D(2027, 3, 1),
        )
        AwardedFundingFactory(  # monitoring to agree: starts within four weeks of the day
            compact=compact, funder=council, recipient=charity, reference=f"AGREE-{number}",
            expected_start=D(2027, 11, 1), start_date=D(2027, 11, 1), end_date=D(2030, 10, 31),
        )  # fmt: skip

    sign_up(compact=compact, funder=council)
    add(0)
    count(officer), count(vcs_member)  # what is kept on the user after the first call (its roles) is read
    before = (count(officer), count(vcs_member))
    for number in range(1, 5):
        add(number)

    assert len(waiting(officer, day, Role.OFFICER, kind="monitoring_return_to_review")) == 5
    assert len(waiting(officer, day, Role.OFFICER, kind="monitoring_to_agree")) == 5
    assert len(waiting(vcs_member, day, kind="monitoring_return_due")) == 5
    assert (count(officer), count(vcs_member)) == before
