"""What funding puts on "Waiting for you" (funding/waiting.py): invoices to pay, decisions to tell and final
decisions to take for the funder's officers; notices to answer for the recipient's members."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import MeasurableRule
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from funding import services
from funding.waiting import due_soon_until
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CommitmentFactory, PublicBodyFactory
from tests.funding.factories import (
    AwardedFundingFactory,
    FundingRelationshipFactory,
    InvoiceFactory,
    NoticeFactory,
    pay_in_full,
    sign_up,
)

D = datetime.date
TODAY = D(2027, 5, 24)  # a Monday; 31 May 2027 is England's spring bank holiday
NO_RULE = "portal default; this compact states no such rule"


@pytest.fixture
def world(compact, funding, council, charity):
    """The council's award to the charity under a compact whose clause 11.2 is the prompt-payment promise (and
    which states no decision lead time or response window), with one thing of each kind waiting on TODAY and
    the things that are not."""
    CommitmentFactory(compact=compact, code="11.2", rule_key=MeasurableRule.PROMPT_PAYMENT)
    overdue = InvoiceFactory(relationship=funding, invoice_number="INV-OVERDUE", received_date=D(2027, 4, 6))
    at_risk = InvoiceFactory(relationship=funding, invoice_number="INV-AT-RISK", received_date=D(2027, 5, 12))
    not_yet = InvoiceFactory(relationship=funding, invoice_number="INV-NOT-YET", received_date=D(2027, 5, 20))
    pay_in_full(
        InvoiceFactory(relationship=funding, invoice_number="INV-PAID", received_date=D(2027, 4, 7)), D(2027, 4, 15)
    )
    undecided = FundingRelationshipFactory(
        compact=compact, funder=council, recipient=charity, reference="GR-2027-010",
        expected_start=D(2027, 9, 1), start_date=D(2027, 9, 1), end_date=D(2030, 8, 31),
    )  # fmt: skip
    FundingRelationshipFactory(  # its decision is due on 1 September: not yet
        compact=compact, funder=council, recipient=charity, reference="GR-2027-011",
        expected_start=D(2027, 12, 1), start_date=D(2027, 12, 1), end_date=D(2030, 11, 30),
    )  # fmt: skip
    notice = NoticeFactory(
        relationship=funding, notice_date=D(2027, 5, 10), effective_date=D(2027, 8, 10),
        response_due_by=D(2027, 5, 28), impact_assessment="Fewer food parcels.", impact_assessed_date=D(2027, 5, 5),
    )  # fmt: skip
    return {
        "overdue": overdue,
        "at_risk": at_risk,
        "not_yet": not_yet,
        "undecided": undecided,
        "notice": notice,
    }


def waiting(user, today=TODAY, role=Role.OFFICER) -> list[worklist.Waiting]:
    return worklist.waiting_for(user, today).get(role, [])


def test_the_officer_sees_what_waits_late_first_then_nearest(world, officer):
    items = waiting(officer)

    assert [(item.kind, item.due) for item in items] == [
        ("invoice_to_pay", D(2027, 4, 20)),
        ("invoice_to_pay", D(2027, 5, 26)),
        ("final_decision_to_take", D(2027, 5, 28)),
        ("decision_to_tell", D(2027, 6, 1)),
    ]
    overdue, at_risk, notice, decision = items
    assert overdue.what == "Invoice INV-OVERDUE from Southsea Community Food Bank, £2,500.00"
    assert overdue.action == "Record the payment"
    assert overdue.url == f"/funding/invoices/{world['overdue'].pk}/payments/new/"
    assert overdue.why == "Invoices paid within 10 working days"
    assert overdue.clause == "clause 11.2"
    assert overdue.compact == "Southsea Compact"
    assert overdue.is_late(TODAY)
    assert not at_risk.is_late(TODAY)
    assert at_risk.what == "Invoice INV-AT-RISK from Southsea Community Food Bank, £2,500.00"
    assert notice.what == "End of funding notice on GR-2027-001 for Southsea Community Food Bank (no response yet)"
    assert notice.action == "Review the response and record the final decision"
    assert notice.url == f"/funding/notices/{world['notice'].pk}/"
    assert (notice.why, notice.clause) == ("The organisation may respond before the final decision", NO_RULE)
    assert (
        decision.what == "Decision on GR-2027-010 (Community food project) for Southsea Community Food Bank, £30,000.00"
    )
    assert decision.action == "Record the decision"
    assert decision.url == f"/funding/{world['undecided'].pk}/decisions/new/"
    assert (decision.why, decision.clause) == ("Decisions told 3 months before the start", NO_RULE)


def test_every_link_opens_for_the_officer(world, officer, client):
    client.force_login(officer)
    for item in waiting(officer):
        assert client.get(item.url).status_code == 200, item.url


def test_the_member_sees_the_notice_to_answer_until_the_window_closes(world, vcs_member, client):
    (item,) = waiting(vcs_member, role=Role.VCS_MEMBER)

    assert item.kind == "notice_to_answer"
    assert item.what == "End of funding notice from Portsmouth City Council on GR-2027-001"
    assert item.action == "Respond to the notice"
    assert item.url == f"/funding/notices/{world['notice'].pk}/"
    assert (item.why, item.clause, item.due) == (
        "The organisation may respond before the final decision",
        NO_RULE,
        D(2027, 5, 28),
    )
    client.force_login(vcs_member)
    assert client.get(item.url).status_code == 200
    # Nor is the undecided funding, which a member does not see, on the member's list.
    assert worklist.waiting_for(vcs_member, TODAY).keys() == {Role.VCS_MEMBER}


@pytest.mark.parametrize(
    ("today", "listed"),
    [
        (D(2027, 5, 9), False),  # before notice is given
        (D(2027, 5, 10), True),  # the day notice is given
        (D(2027, 5, 28), True),  # the last day to respond
        (D(2027, 5, 29), False),  # the window has closed
    ],
)
def test_a_notice_is_the_members_to_answer_while_its_window_is_open(world, vcs_member, today, listed):
    assert bool(waiting(vcs_member, today, Role.VCS_MEMBER)) is listed


def test_an_answered_notice_leaves_the_members_list_and_stays_on_the_officers(world, vcs_member, officer):
    services.notice_respond(notice=world["notice"], actor=vcs_member, response="We object.", today=TODAY)

    assert waiting(vcs_member, role=Role.VCS_MEMBER) == []
    (notice,) = [item for item in waiting(officer) if item.kind == "final_decision_to_take"]
    assert notice.what.endswith("(the organisation has responded)")


@pytest.mark.parametrize(
    ("today", "listed"),
    [
        (D(2027, 5, 21), False),  # Friday: its pay-by date (26 May) is three working days away
        (D(2027, 5, 24), True),  # the warning window starts: two working days before
        (D(2027, 5, 25), True),
        (D(2027, 5, 26), True),  # the pay-by date
        (D(2027, 5, 27), True),  # late
    ],
)
def test_an_invoice_is_listed_from_two_working_days_before_its_pay_by_date(world, officer, today, listed):
    keys = {item.key for item in waiting(officer, today) if item.kind == "invoice_to_pay"}
    assert (str(world["at_risk"].pk) in keys) is listed


def test_a_paid_invoice_leaves_the_list(world, officer):
    pay_in_full(world["overdue"], TODAY)

    keys = {item.key for item in waiting(officer) if item.kind == "invoice_to_pay"}
    assert keys == {str(world["at_risk"].pk)}


def test_a_part_paid_invoice_stays_with_what_is_left_to_pay(world, officer):
    services.payment_record(
        invoice=world["overdue"], actor=None, paid_date=TODAY, today=TODAY, amount=world["overdue"].amount / 4
    )

    assert (
        waiting(officer)[0].what
        == "Invoice INV-OVERDUE from Southsea Community Food Bank, £2,500.00 (£1,875.00 still to pay)"
    )


@pytest.mark.parametrize(
    ("today", "listed"),
    [
        (D(2027, 5, 14), False),  # eleven working days before its date, 1 June (31 May a bank holiday)
        (D(2027, 5, 17), True),  # ten working days before
        (D(2027, 6, 1), True),
        (D(2027, 6, 2), True),  # late
    ],
)
def test_a_decision_is_listed_from_ten_working_days_before_its_date(world, officer, today, listed):
    assert due_soon_until(D(2027, 5, 17), nation="england_wales") == D(2027, 6, 1)
    kinds = {item.kind for item in waiting(officer, today)}
    assert ("decision_to_tell" in kinds) is listed


def test_a_decided_relationship_leaves_the_list(world, officer):
    services.decision_record(
        relationship=world["undecided"], actor=officer, kind="awarded", told_date=TODAY, today=TODAY, rationale="Yes."
    )

    assert "decision_to_tell" not in {item.kind for item in waiting(officer)}


@pytest.mark.parametrize(
    ("final_decision", "due"),
    [
        (None, D(2027, 5, 28)),  # none set: the response window's end
        (D(2027, 6, 4), D(2027, 6, 4)),  # the day set for it, ahead
        (TODAY, None),  # taken today: nothing waits
    ],
)
def test_a_notices_final_decision_is_due_on_its_day_or_when_the_window_closes(world, officer, final_decision, due):
    services.notice_update(notice=world["notice"], actor=officer, today=TODAY, final_decision_date=final_decision)

    dues = [item.due for item in waiting(officer) if item.kind == "final_decision_to_take"]
    assert dues == ([due] if due else [])


def test_a_change_notice_asks_for_no_final_decision(world, officer):
    services.notice_update(notice=world["notice"], actor=officer, today=TODAY, kind="change")

    assert "final_decision_to_take" not in {item.kind for item in waiting(officer)}


def test_nothing_of_the_council_waits_for_another_bodys_officer_or_another_charitys_member(
    world, compact, other_charity, outsider
):
    other_body = PublicBodyFactory(name="Havant Borough Council")
    sign_up(compact=compact, funder=other_body)
    theirs = AwardedFundingFactory(compact=compact, funder=other_body, recipient=other_charity, reference="HB-1")
    invoice = InvoiceFactory(relationship=theirs, invoice_number="HB-INV", received_date=D(2027, 4, 6))
    other_officer = MembershipFactory(organisation=other_body, role=Role.OFFICER).user

    assert [item.key for item in waiting(other_officer)] == [str(invoice.pk)]
    assert waiting(outsider, role=Role.VCS_MEMBER) == []


def test_the_queries_do_not_grow_with_the_records(world, compact, funding, council, charity, officer, vcs_member):
    def count(user) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert worklist.waiting_for(user, TODAY)
        return len(queries)

    count(officer), count(vcs_member)  # what is kept on the user after the first call (its roles) is read
    before = (count(officer), count(vcs_member))
    for n in range(4):
        InvoiceFactory(relationship=funding, invoice_number=f"MORE-{n}", received_date=D(2027, 4, 8))
        FundingRelationshipFactory(
            compact=compact, funder=council, recipient=charity, reference=f"MORE-{n}",
            expected_start=D(2027, 8, 25), start_date=D(2027, 8, 25), end_date=D(2030, 8, 24),
        )  # fmt: skip
        NoticeFactory(relationship=funding, notice_date=D(2027, 5, 11), effective_date=D(2027, 8, 11),
                      response_due_by=D(2027, 5, 27), impact_assessed_date=D(2027, 5, 5))  # fmt: skip

    assert len(waiting(officer)) == 4 + 12
    assert len(waiting(vcs_member, role=Role.VCS_MEMBER)) == 5
    assert (count(officer), count(vcs_member)) == before
