"""The demo (``commitments/demo.py`` and each app's ``demo.py``): a true story, dated when things happened, with
every promise the compliance check reads broken at least once and something waiting for each demo person.

The demo is built once for the module (``shared_world``), as ``seed_demo`` builds it: as of the day the tests run,
since its pages read the day it is. The tests only read it, or add to it inside their own transaction.
"""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from commitments import demo, rulebook
from commitments.demo import DEMO_PASSWORD, DEMO_PEOPLE
from commitments.models import (
    Compact,
    CompactStatus,
    Flag,
    FlagEvent,
    FlagStatus,
    Organisation,
    PlanAction,
    RuleKey,
    Signature,
    SignatureStatus,
    Trigger,
)
from commitments.services.compliance import compliance_scan
from compact_portal import worklist
from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role
from consultations.models import Consultation, Feedback, Response
from disputes import selectors as dispute_selectors
from disputes.models import CaseEvent, Concern, Stage
from funding import rules as funding_rules
from funding.models import (
    FundingRelationship,
    ImprovementTimetable,
    Invoice,
    MonitoringPlan,
    MonitoringReturn,
    MonitoringTemplate,
    Notice,
    Payment,
    ReturnMessage,
    ReturnStatus,
    SignificantChange,
)
from tests.worlds import shared_world

TODAY = timezone.localdate()
days = datetime.timedelta


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker, tmp_path_factory):
    with shared_world(django_db_blocker, tmp_path_factory):
        demo.seed_demo(today=TODAY)
        yield


@pytest.fixture
def world(shared, db):
    return shared


def counts() -> tuple[int, ...]:
    return (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Signature.objects.count(),
        FundingRelationship.objects.count(),
        Invoice.objects.count(),
        Payment.objects.count(),
        Notice.objects.count(),
        Consultation.objects.count(),
        Feedback.objects.count(),
        Response.objects.count(),
        Concern.objects.count(),
        CaseEvent.objects.count(),
        Flag.objects.count(),
        MonitoringTemplate.objects.count(),
        MonitoringPlan.objects.count(),
        MonitoringReturn.objects.count(),
        ReturnMessage.objects.count(),
        SignificantChange.objects.count(),
        ImprovementTimetable.objects.count(),
    )


def user(email: str) -> User:
    return User.objects.get(email=email)


def test_seed_demo_again_changes_nothing_and_lists_the_people_who_can_sign_in(world, client, capsys):
    first = counts()
    hashes = dict(User.objects.values_list("email", "password"))
    call_command("seed_demo")  # on the real day, not the demo's: still nothing to add
    printed = capsys.readouterr().out

    assert counts() == first
    assert dict(User.objects.values_list("email", "password")) == hashes
    # 8 organisations (one applying), 6 people; funding, invoices, payments, notices; consultations, feedback,
    # responses; concerns; a monitoring template for each compact, three plans, a significant change and an
    # improvement timetable
    assert first[:2] == (8, 6)
    assert first[4:12] == (10, 4, 2, 4, 7, 1, 1, 4)
    assert first[14:16] == (Compact.objects.count(), 3)
    assert first[18:] == (1, 1)
    assert DEMO_PASSWORD in printed
    for role in Role:
        holders = User.objects.filter(memberships__role=role).distinct()
        assert holders.exists(), role
        for holder in holders:
            assert holder.email in printed
            assert client.login(username=holder.email, password=DEMO_PASSWORD)


def test_the_demo_charity_sees_its_funding_and_can_respond_to_the_reduction(world, client):
    client.force_login(user("charity@demo.example.org"))
    notice = Notice.objects.get(relationship__reference="PCC-GR-101")

    overview = client.get(reverse("funding:recipient_overview", args=["southsea-community-food-bank"])).content.decode()
    notice_page = client.get(notice.get_absolute_url()).content.decode()

    assert "PCC-GR-101" in overview
    assert "ICB-C-55" in overview  # from the NHS body as well as the council
    assert notice.response_open(TODAY)
    assert "Send the response" in notice_page


# --- The story's compact and people ---------------------------------------------------------------------------


def test_the_portsmouth_compact_is_adopted_signed_by_the_demo_organisations_and_due_for_review_within_3_months(
    world,
):
    compact = Compact.objects.get(slug="portsmouth")
    assert compact.status == CompactStatus.ADOPTED
    assert compact.adopted_date == demo.adopted_on(TODAY) < TODAY
    assert TODAY < compact.next_review_date <= TODAY + days(92)
    signed = Signature.objects.filter(compact=compact, status=SignatureStatus.APPROVED)
    assert signed.count() == len(demo.DEMO_ORGANISATIONS)
    assert set(signed.values_list("signed_date", flat=True)) == {compact.adopted_date}
    # and one organisation waiting for its application to be decided
    assert Signature.objects.get(compact=compact, status=SignatureStatus.APPLIED).organisation.name == (
        "Landport Community Larder"
    )


def test_the_vcs_sides_champion_steers_the_concern_the_councils_champion_is_conflicted_on(world):
    case = Concern.objects.get(respondent__slug="portsmouth-city-council")
    council_champion = dispute_selectors.case_access(user=user("champion@demo.example.org"), concern=case)
    vcs_champion = dispute_selectors.case_access(user=user("vcs-champion@demo.example.org"), concern=case)

    assert council_champion.respondent_side
    assert "champion" not in council_champion.parties
    assert "champion" in vcs_champion.parties
    assert case.champion.email == "vcs-champion@demo.example.org"
    assert Membership.objects.get(user__email="vcs-champion@demo.example.org").organisation.side == "vcs"


def test_an_appeal_lodged_in_time_is_before_the_demo_panel_member(world, client):
    case = Concern.objects.get(respondent__slug="portsmouth-city-council")
    panel_member = user("panel@demo.example.org")

    assert case.stage == Stage.APPEAL
    assert case.informal_started_on < case.formal_started_on < case.formal_decided_on < case.appealed_on <= TODAY
    assert case.formal_outcome
    assert case.appealed_on <= case.appeal_lodge_by
    assert list(case.panel.all()) == [panel_member]
    assert case.step_due_by >= TODAY  # the panel's decision is not yet late
    client.force_login(panel_member)
    assert case.reference in client.get(reverse("disputes:panel")).content.decode()


# --- Dated when it happened -----------------------------------------------------------------------------------


def test_case_timelines_are_dated_on_the_days_of_the_story(world):
    case = Concern.objects.get(respondent__slug="portsmouth-city-council")
    event_days = [event.at.date() for event in case.events.order_by("at", "pk")]
    assert event_days == [
        TODAY - days(75),  # raised
        TODAY - days(73),  # acknowledged
        TODAY - days(70),  # informal stage
        TODAY - days(45),  # formal stage
        TODAY - days(30),  # the council's response
        TODAY - days(20),  # the formal outcome
        TODAY - days(8),  # appealed
        TODAY - days(7),  # the panel member assigned
    ]
    assert case.history.earliest().history_date.date() == case.received_on
    assert case.emails.exists()
    assert all(email.sent_at == email.created_at and email.created_at.date() < TODAY for email in case.emails.all())


def test_funding_records_and_their_history_are_dated_when_they_happened(world):
    paid_late = Invoice.objects.get(invoice_number="SCFB-052")
    payment = paid_late.payments.get()
    notice = Notice.objects.get(relationship__reference="PCC-GR-109")

    assert paid_late.created_at.date() == paid_late.received_date < payment.paid_date == TODAY - days(5)
    assert paid_late.paid_date > paid_late.pay_by  # paid late
    assert payment.created_at.date() == payment.paid_date
    assert notice.created_at.date() == notice.notice_date
    assert [h.history_date.date() for h in notice.history.order_by("history_date")] == [
        notice.notice_date,
        notice.final_decision_date,
    ]
    relationship = FundingRelationship.objects.get(reference="PCC-GR-101")
    assert relationship.created_at.date() == relationship.decisions.get().told_date < relationship.start_date


def test_nothing_of_the_story_is_stamped_with_the_day_it_was_built(world):
    built = TODAY
    story = [
        *CaseEvent.objects.values_list("at", flat=True),
        *Invoice.objects.values_list("created_at", flat=True),
        *Notice.objects.values_list("created_at", flat=True),
        *Consultation.objects.values_list("created_at", flat=True),
        *FundingRelationship.history.values_list("history_date", flat=True),
        # and what a later step changed in a record (an UPDATE), not only what it added
        *FundingRelationship.objects.values_list("updated_at", flat=True),
        *Consultation.objects.values_list("updated_at", flat=True),
        *Concern.objects.values_list("updated_at", flat=True),
        *MonitoringTemplate.objects.values_list("created_at", flat=True),
        *MonitoringPlan.objects.values_list("created_at", flat=True),
        *MonitoringReturn.objects.values_list("created_at", flat=True),
        *MonitoringReturn.objects.values_list("updated_at", flat=True),
        *MonitoringReturn.objects.exclude(reviewed_at=None).values_list("reviewed_at", flat=True),
        *ReturnMessage.objects.values_list("at", flat=True),
        *SignificantChange.objects.values_list("created_at", flat=True),
        *ImprovementTimetable.objects.values_list("created_at", flat=True),
        *FlagEvent.objects.filter(flag__compact__slug="portsmouth", status=FlagStatus.OPEN).values_list(
            "at", flat=True
        ),
    ]
    assert len(story) > 50
    assert [moment for moment in story if timezone.localdate(moment) == built] == []


def test_flags_are_dated_the_night_after_the_promise_was_broken(world):
    flags = Flag.objects.filter(compact__slug="portsmouth")
    for flag in flags.filter(status=FlagStatus.OPEN):
        assert flag.first_detected == min(TODAY, flag.due_date + days(1))
        assert {event.at.date() for event in flag.events.all()} == {flag.first_detected}
    assert flags.filter(status=FlagStatus.OPEN).exclude(first_detected=TODAY).exists()


# --- Every promise broken once; something waiting for each person ------------------------------------------------


def test_every_rule_the_compliance_check_reads_has_an_open_flag_in_the_demo(world):
    compliance_scan(today=TODAY, trigger=Trigger.MANUAL, send_digest=False)
    open_rules = set(Flag.objects.filter(status=FlagStatus.OPEN).values_list("rule", flat=True))
    checked = {rule.key for rule in rulebook.all_rules()}
    assert checked, "the rulebook holds no rule"
    assert checked - open_rules == set()
    # Monitoring's three, each against the organisation that made the promise: the council's monthly returns on
    # £8,000, the food bank's return not yet made, the NHS body's ending for performance with no timetable.
    against = {
        rule: set(Flag.objects.filter(status=FlagStatus.OPEN, rule=rule).values_list("organisation__slug", flat=True))
        for rule in (
            RuleKey.MONITORING_DISPROPORTIONATE,
            RuleKey.MONITORING_RETURN_OVERDUE,
            RuleKey.IMPROVEMENT_TIMETABLE_MISSING,
        )
    }
    assert against == {
        RuleKey.MONITORING_DISPROPORTIONATE: {"portsmouth-city-council"},
        RuleKey.MONITORING_RETURN_OVERDUE: {"southsea-community-food-bank"},
        RuleKey.IMPROVEMENT_TIMETABLE_MISSING: {"nhs-solent-integrated-care-board"},
    }


def test_the_monitoring_story(world):
    """A standard template on each compact (12.5); plans within their band and one monthly plan on £8,000 with no
    reason (12.3); the food bank's returns: accepted, with the council's questions, not yet made after its due
    date, due within the reminder window with a draft saved, and one waiting for the council's review (17.3); its
    significant change told to its funders (17.4); a reduction for performance after an improvement timetable and
    an ending for performance with none (12.7)."""
    assert set(MonitoringTemplate.objects.values_list("compact__slug", flat=True)) == set(
        Compact.objects.values_list("slug", flat=True)
    )
    over = [plan for plan in MonitoringPlan.objects.all() if plan.returns_per_year > plan.returns_allowed_per_year]
    assert [(plan.relationship.reference, plan.disproportion_reason) for plan in over] == [("PCC-GR-112", "")]
    assert all(plan.relationship.monitoring_agreed_date < TODAY for plan in MonitoringPlan.objects.all())

    food_bank = MonitoringReturn.objects.filter(plan__relationship__recipient__slug="southsea-community-food-bank")
    statuses = {item.status for item in food_bank.filter(due_date__lte=TODAY)}
    assert statuses == {ReturnStatus.SUBMITTED, ReturnStatus.ACCEPTED, ReturnStatus.QUESTIONS, ReturnStatus.DUE}
    assert all(item.submitted_date <= item.due_date for item in food_bank.exclude(submitted_date=None))
    assert food_bank.filter(submitted_date=None, due_date__lt=TODAY).count() == 1  # not yet made
    reminder = funding_rules.return_at_risk_until(TODAY, nation=Compact.objects.get(slug="portsmouth").nation)
    due_soon = food_bank.get(submitted_date=None, due_date__gte=TODAY, due_date__lte=reminder)
    assert due_soon.status == ReturnStatus.DRAFT

    change = SignificantChange.objects.get()
    assert change.organisation.slug == "southsea-community-food-bank"
    assert change.told_by.email == "charity@demo.example.org"
    assert change.relationships.count() == 3

    performance = Notice.objects.filter(for_performance=True).order_by("relationship__reference")
    timetables = {
        notice.relationship.reference: notice.relationship.improvement_timetables.filter(
            agreed_on__lte=notice.notice_date
        ).exists()
        for notice in performance
    }
    assert timetables == {"ICB-C-61": False, "PCC-SLA-007": True}


def test_the_demo_leaves_what_each_role_is_waiting_for(world):
    # The officer: an invoice overdue and one due within days, a decision due soon.
    unpaid = Invoice.objects.filter(relationship__funder__slug="portsmouth-city-council", paid_date=None)
    assert unpaid.filter(pay_by__lt=TODAY).exists()
    assert unpaid.filter(pay_by__gte=TODAY, pay_by__lte=TODAY + days(4)).exists()
    assert FundingRelationship.objects.filter(
        status="pending", decision_due_by__gte=TODAY, decision_due_by__lte=TODAY + days(14)
    ).exists()
    # The food bank: a notice it can answer, an open consultation it has not answered; the officer: feedback due.
    assert any(notice.response_open(TODAY) for notice in Notice.objects.filter(relationship__recipient__slug=(
        "southsea-community-food-bank"
    )))  # fmt: skip
    open_now = Consultation.objects.filter(open_date__lte=TODAY, close_date__gte=TODAY)
    assert open_now.exclude(responses__organisation__slug="southsea-community-food-bank").exists()
    assert open_now.filter(responses__organisation__slug="southsea-community-food-bank").exists()
    assert Consultation.objects.filter(
        close_date__lt=TODAY, feedback_due__gte=TODAY, feedback_due__lte=TODAY + days(14), feedback=None
    ).exists()
    # The champions: a concern to acknowledge.
    assert Concern.objects.filter(stage=Stage.RECEIVED, step_due_by__gte=TODAY).exists()
    # The food bank: monitoring returns with the council's questions, overdue and due within days; the officer: a
    # return to review.
    ours = MonitoringReturn.objects.filter(plan__relationship__recipient__slug="southsea-community-food-bank")
    assert ours.filter(status=ReturnStatus.QUESTIONS).exists()
    assert ours.filter(submitted_date=None, due_date__lt=TODAY).exists()
    assert ours.filter(submitted_date=None, due_date__gte=TODAY, due_date__lte=TODAY + days(16)).exists()
    assert ours.filter(status=ReturnStatus.SUBMITTED, plan__relationship__funder__slug="portsmouth-city-council")
    kinds = {item.kind for item in worklist.waiting_for(user("charity@demo.example.org"), TODAY)[Role.VCS_MEMBER]}
    assert {"monitoring_return_due", "monitoring_return_questions"} <= kinds
    kinds = {item.kind for item in worklist.waiting_for(user("officer@demo.example.org"), TODAY)[Role.OFFICER]}
    assert "monitoring_return_to_review" in kinds


def test_portsmouths_implementation_group_meets_with_both_sides_chaired_by_the_demo_champion(world):
    compact = Compact.objects.get(slug="portsmouth")
    members = compact.group_members.filter(left_on=None)
    assert {member.side for member in members} == {"public", "vcs"}
    assert members.get(chair=True).user.email == "champion@demo.example.org"
    held, to_come = compact.meetings.filter(held_on__lt=TODAY).get(), compact.meetings.get(held_on__gt=TODAY)
    first_two = PlanAction.objects.filter(objective__compact=compact).order_by(
        "objective__position", "objective__number", "position", "pk"
    )[:2]
    assert set(held.actions_reviewed.all()) == set(first_two)
    assert held.decisions
    assert held.notes
    assert not to_come.notes
    kinds = {item.kind for item in worklist.waiting_for(user("champion@demo.example.org"), TODAY)[Role.CHAMPION]}
    assert "group_meeting_pack" in kinds


@pytest.mark.parametrize("person", [p for p in DEMO_PEOPLE if p.roles[0][1] != Role.ADMINISTRATOR], ids=str)
def test_each_demo_person_has_something_waiting_for_them(world, person):
    waiting = worklist.waiting_for(user(person.email), TODAY)
    assert {role for role in waiting if waiting[role]} >= {role for _, role in person.roles}


# --- Each app's part, in the declared order -------------------------------------------------------------------


def test_each_app_registers_its_part_and_the_parts_run_in_the_declared_order():
    from consultations.demo import seed_consultations
    from disputes.demo import seed_disputes
    from funding.demo import seed_funding

    assert demo.parts() == [
        ("funding", seed_funding),
        ("consultations", seed_consultations),
        ("disputes", seed_disputes),
    ]


@pytest.mark.django_db
def test_seed_demo_runs_the_parts_in_order_after_the_people_and_organisations(monkeypatch):
    calls = []

    def part(name):
        def seed(*, compact, organisations, today):
            calls.append((name, compact.slug, len(organisations), User.objects.count(), today))

        return seed

    monkeypatch.setattr(demo, "_parts", {name: part(name) for name in reversed(demo.PARTS)})
    demo.seed_demo(today=TODAY)

    assert calls == [(name, "portsmouth", 7, len(DEMO_PEOPLE), TODAY) for name in demo.PARTS]


def test_a_part_is_registered_once_under_a_name_the_order_declares(monkeypatch):
    monkeypatch.setattr(demo, "_parts", {})

    def seed(**kwargs):
        pass

    assert demo.register("funding", seed) is seed
    assert demo.register("funding", seed) is seed  # again: nothing changes
    with pytest.raises(ValueError, match="registered twice"):
        demo.register("funding", lambda **kwargs: None)
    with pytest.raises(ValueError, match="no place in PARTS"):
        demo.register("grants", seed)
    with pytest.raises(LookupError, match="consultations, disputes"):
        demo.parts()  # a demo without an app's records is never seeded


def test_the_action_plan_story(world):
    """Portsmouth's action plan in the portal's words: three objectives with their actions led by organisations and
    groups, one done, one dropped with its reason, two late and flagged against their leads, progress notes, and the
    six-month review, which keeps the compact's next review date."""
    from commitments.models import ActionStatus, Objective, PlanAction, ProgressNote, Review

    compact = Compact.objects.get(slug="portsmouth")
    actions = PlanAction.objects.filter(objective__compact=compact)
    assert Objective.objects.filter(compact=compact).count() == 3
    assert actions.count() == 7
    assert actions.filter(status=ActionStatus.DONE, done_on__lt=TODAY).count() == 1
    assert actions.get(status=ActionStatus.DROPPED).dropped_reason.startswith("Overtaken")
    assert not actions.filter(lead_person__isnull=False).exists()  # roles and organisations, not named people
    assert ProgressNote.objects.filter(action__in=actions).count() >= 4
    review = Review.objects.get(compact=compact)
    assert review.next_review_on == compact.next_review_date
    late = Flag.objects.filter(compact=compact, rule=RuleKey.ACTION_OVERDUE, status=FlagStatus.OPEN)
    assert set(late.values_list("organisation__slug", flat=True)) == {
        "nhs-solent-integrated-care-board",
        "portsmouth-city-council",
    }
    stamped = [*actions.values_list("created_at", flat=True), review.created_at]
    assert [moment for moment in stamped if timezone.localdate(moment) == TODAY] == []
    # the food bank's member leads the partnership event, due within days
    kinds = [
        item.kind for items in worklist.waiting_for(user("charity@demo.example.org"), TODAY).values() for item in items
    ]
    assert "action_due" in kinds
