"""The monitoring services (funding/services/monitoring.py): templates, plans and their schedule, the return's
exchange by role, significant changes, improvement timetables; refusals in plain words; the flags following each
write without a scheduled run; a plan's band and its returns' due dates following the funding and the compact.

The default award runs from 1 April 2027 to 31 March 2030 for £30,000 (the shipped bands allow two returns a year).
"""

import datetime
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from commitments.models import Champion, Flag, FlagStatus, RecordType, RuleKey, Side
from commitments.services import compact_settings_update
from commitments.services.compact_settings import compact_deadlines_recompute
from funding import services
from funding.models import (
    ChangeKind,
    FundingStatus,
    MessageKind,
    MonitoringPlan,
    MonitoringTemplate,
    ReturnStatus,
    SignificantChange,
)
from funding.services import monitoring
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CompactFactory, PublicBodyFactory
from tests.funding.factories import (
    PURPOSE,
    QUESTIONS,
    AwardedFundingFactory,
    FundingRelationshipFactory,
    ImprovementTimetableFactory,
    MonitoringPlanFactory,
    MonitoringTemplateFactory,
    NoticeFactory,
    sign_up,
)

pytestmark = pytest.mark.django_db

ANSWERS = ["Ninety-two families a week.", "Fewer of them skip meals at the end of the month."]
AGREED = date(2027, 3, 1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def text_file(name="figures.txt", body=b"Families helped each week: 92\n"):
    return SimpleUploadedFile(name, body, content_type="text/plain")


@pytest.fixture
def plan(funding):
    """A twice-yearly plan for the council's award to the charity, agreed on 1 March 2027."""
    return MonitoringPlanFactory(relationship=funding, returns_per_year=2, agreed_on=AGREED, today=AGREED)


@pytest.fixture
def first_return(plan):
    """1 April to 30 September 2027, due Monday 1 November 2027."""
    return plan.returns.order_by("due_date").first()


# --- Templates (12.5) ---------------------------------------------------------------------------------------------


def test_an_officer_of_a_body_that_signed_the_compact_keeps_its_templates(compact, officer):
    template = monitoring.monitoring_template_create(
        compact=compact,
        actor=officer,
        name="  Small grants  ",
        questions=QUESTIONS,
        purpose=PURPOSE,
        service_user_views=True,
    )
    monitoring.monitoring_template_update(template=template, actor=officer, service_user_views=False)

    template.refresh_from_db()
    assert (template.name, template.question_list, template.service_user_views) == (
        "Small grants",
        ["How many people did the project reach?", "What difference has it made to them?"],
        False,
    )
    assert [(h.history_type, h.history_user) for h in template.history.order_by("history_id")] == [
        ("+", officer),
        ("~", officer),
    ]


def test_a_champion_keeps_the_templates_of_the_compact_they_champion(compact, championed, champion):
    template = monitoring.monitoring_template_create(
        compact=compact, actor=champion, name="Contracts", questions=QUESTIONS, purpose=PURPOSE, service_user_views=True
    )

    assert template.compact == compact


def test_others_cannot_keep_a_compacts_templates(compact, vcs_member):
    other_compact = CompactFactory(name="Havant Compact")
    officer_elsewhere = MembershipFactory(organisation=PublicBodyFactory(), role="officer").user
    sign_up(compact=other_compact, funder=officer_elsewhere.memberships.get().organisation)
    template = MonitoringTemplateFactory(compact=compact)

    for actor in (vcs_member, officer_elsewhere):
        with pytest.raises(PermissionDenied, match="signed this compact"):
            monitoring.monitoring_template_create(
                compact=compact, actor=actor, name="Mine", questions=QUESTIONS, purpose=PURPOSE, service_user_views=True
            )
        with pytest.raises(PermissionDenied):
            monitoring.monitoring_template_update(template=template, actor=actor, name="Changed")
    assert MonitoringTemplate.objects.count() == 1


def test_a_template_needs_a_question_and_is_made_once_per_form(compact, officer):
    key = uuid4()
    with pytest.raises(ValidationError, match="at least one question"):
        monitoring.monitoring_template_create(
            compact=compact, actor=officer, name="Empty", questions=" \n ", purpose=PURPOSE, service_user_views=True
        )

    made = [
        monitoring.monitoring_template_create(
            compact=compact,
            actor=officer,
            name="Standard",
            questions=QUESTIONS,
            purpose=PURPOSE,
            service_user_views=True,
            submission_key=key,
        )
        for _ in range(2)
    ]

    assert made[0].pk == made[1].pk
    assert made[1].already_recorded
    assert MonitoringTemplate.objects.count() == 1


# --- The plan and its schedule (12.1-12.4) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "bands", "allowed", "proposed"),
    [
        pytest.param("9999.99", {}, 1, 1, id="small"),
        pytest.param("30000", {}, 2, 2, id="medium"),
        pytest.param("100000", {}, 4, 4, id="large"),
        pytest.param("100000", {"monitoring_large_returns": 6}, 6, 4, id="six-allowed-four-proposed"),
        pytest.param("100000", {"monitoring_large_returns": 12}, 12, 12, id="monthly-allowed"),
        pytest.param("5000", {"monitoring_small_returns": 3}, 3, 2, id="three-allowed-two-proposed"),
    ],
)
def test_the_proposal_asks_as_often_as_the_band_allows_over_the_funding_term(
    council, charity, amount, bands, allowed, proposed
):
    compact = CompactFactory(**bands)
    funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, amount=Decimal(amount))

    proposal = monitoring.monitoring_plan_proposal(relationship=funding)

    assert (proposal["returns_allowed_per_year"], proposal["returns_per_year"]) == (allowed, proposed)
    assert len(proposal["periods"]) == 3 * proposed
    assert proposal["periods"][0][0] == date(2027, 4, 1)
    assert proposal["periods"][-1][1] == date(2030, 3, 31)
    assert [end for _start, end, _due in proposal["schedule"]] == [end for _start, end in proposal["periods"]]


def test_the_proposal_starts_from_the_template(funding):
    template = MonitoringTemplateFactory(compact=funding.compact, service_user_views=True)

    proposal = monitoring.monitoring_plan_proposal(relationship=funding, template=template)

    assert (proposal["questions"], proposal["purpose"], proposal["service_user_views"]) == (QUESTIONS, PURPOSE, True)
    assert proposal["schedule"][0] == (date(2027, 4, 1), date(2027, 9, 30), date(2027, 11, 1))


def test_setting_a_plan_stores_its_band_the_agreed_day_and_schedules_its_returns(funding, officer):
    template = MonitoringTemplateFactory(compact=funding.compact)

    plan = monitoring.monitoring_plan_set(
        relationship=funding,
        actor=officer,
        today=AGREED,
        questions=QUESTIONS,
        purpose=PURPOSE,
        returns_per_year=2,
        service_user_views=True,
        agreed_on=AGREED,
        template=template,
    )

    funding.refresh_from_db()
    assert (plan.returns_allowed_per_year, plan.template, funding.monitoring_agreed_date) == (2, template, AGREED)
    assert [(r.period_start, r.period_end, r.due_date, r.status) for r in plan.returns.all()][:3] == [
        (date(2027, 4, 1), date(2027, 9, 30), date(2027, 11, 1), ReturnStatus.DUE),
        (date(2027, 10, 1), date(2028, 3, 31), date(2028, 5, 2), ReturnStatus.DUE),  # Sunday, then a bank holiday
        (date(2028, 4, 1), date(2028, 9, 30), date(2028, 10, 30), ReturnStatus.DUE),
    ]
    assert plan.returns.count() == 6
    assert plan.history.get().history_user == officer
    assert funding.history.latest().history_user == officer


def test_a_plan_made_mid_term_asks_for_nothing_already_due(funding):
    plan = MonitoringPlanFactory(relationship=funding, returns_per_year=2, today=date(2027, 11, 1))

    assert [r.period_start for r in plan.returns.all()] == [
        date(2027, 10, 1),
        date(2028, 4, 1),
        date(2028, 10, 1),
        date(2029, 4, 1),
        date(2029, 10, 1),
    ]  # the first half-year was due on 1 November, the day the plan was made


def test_changing_the_plan_keeps_returns_sent_and_drafts_whose_period_remains(funding, plan, first_return, vcs_member):
    monitoring.return_submit(
        monitoring_return=first_return, actor=vcs_member, today=date(2027, 10, 20), answers=ANSWERS
    )
    second = plan.returns.get(period_start=date(2027, 10, 1))
    third = plan.returns.get(period_start=date(2028, 4, 1))
    monitoring.return_save_draft(monitoring_return=third, actor=vcs_member, today=date(2027, 10, 20), answers=ANSWERS)

    monitoring.monitoring_plan_set(
        relationship=funding,
        actor=None,
        today=date(2027, 10, 21),
        questions=QUESTIONS,
        purpose=PURPOSE,
        returns_per_year=4,
        service_user_views=False,
        agreed_on=AGREED,
        disproportion_reason="Quarterly while the new kitchen opens.",
    )

    returns = {r.period_start: r for r in plan.returns.all()}
    assert (returns[date(2027, 4, 1)].pk, returns[date(2027, 4, 1)].period_end) == (first_return.pk, date(2027, 9, 30))
    assert date(2027, 7, 1) not in returns  # a quarter inside the half-year already sent
    assert (returns[date(2027, 10, 1)].pk, returns[date(2027, 10, 1)].period_end) == (second.pk, date(2027, 12, 31))
    assert returns[date(2027, 10, 1)].due_date == date(2028, 1, 31)
    draft = returns[date(2028, 4, 1)]  # keeps its place and answers, a quarter now
    assert (draft.pk, draft.period_end, draft.status, draft.answers[0]["answer"]) == (
        third.pk,
        date(2028, 6, 30),
        ReturnStatus.DRAFT,
        ANSWERS[0],
    )
    assert sorted(returns)[1:] == [
        date(2027, 10, 1),
        date(2028, 1, 1),
        date(2028, 4, 1),
        date(2028, 7, 1),
        date(2028, 10, 1),
        date(2029, 1, 1),
        date(2029, 4, 1),
        date(2029, 7, 1),
        date(2029, 10, 1),
        date(2030, 1, 1),
    ]


def test_only_the_funders_officers_set_its_plan_and_not_for_a_day_ahead(funding, vcs_member, outsider, officer):
    for actor in (vcs_member, outsider):
        with pytest.raises(PermissionDenied, match="funder's officers"):
            monitoring.monitoring_plan_set(
                relationship=funding,
                actor=actor,
                today=AGREED,
                questions=QUESTIONS,
                purpose=PURPOSE,
                returns_per_year=1,
                service_user_views=False,
            )
    with pytest.raises(ValidationError, match=r"cannot be agreed after today \(1 March 2027\)"):
        monitoring.monitoring_plan_set(
            relationship=funding,
            actor=officer,
            today=AGREED,
            questions=QUESTIONS,
            purpose=PURPOSE,
            returns_per_year=1,
            service_user_views=False,
            agreed_on=date(2027, 3, 2),
        )
    with pytest.raises(ValidationError, match="templates of this funding's compact"):
        monitoring.monitoring_plan_set(
            relationship=funding,
            actor=officer,
            today=AGREED,
            questions=QUESTIONS,
            purpose=PURPOSE,
            returns_per_year=1,
            service_user_views=False,
            template=MonitoringTemplateFactory(),
        )
    with pytest.raises(ValidationError) as refused:
        monitoring.monitoring_plan_set(
            relationship=funding,
            actor=officer,
            today=AGREED,
            questions="",
            purpose=PURPOSE,
            returns_per_year=3,
            service_user_views=False,
        )
    assert set(refused.value.message_dict) == {"questions", "returns_per_year"}
    assert not MonitoringPlan.objects.exists()


# --- The return's exchange (17.3) -----------------------------------------------------------------------------------


def test_a_return_goes_draft_sent_questions_reply_accepted_with_its_history(first_return, vcs_member, officer):
    monitoring.return_save_draft(
        monitoring_return=first_return, actor=vcs_member, today=date(2027, 10, 1), answers=[ANSWERS[0], ""]
    )
    first_return.refresh_from_db()
    assert (first_return.status, first_return.answers[1]) == (
        ReturnStatus.DRAFT,
        {"question": "What difference has it made to them?", "answer": ""},
    )

    monitoring.return_submit(
        monitoring_return=first_return,
        actor=vcs_member,
        today=date(2027, 10, 20),
        answers=ANSWERS,
        files=[text_file()],
    )
    monitoring.return_ask_questions(
        monitoring_return=first_return,
        actor=officer,
        today=date(2027, 10, 22),
        questions="How many of the families were new this half-year?",
    )
    monitoring.return_reply(
        monitoring_return=first_return,
        actor=vcs_member,
        today=date(2027, 11, 4),
        reply="Thirty-one were new.",
        answers=[ANSWERS[0] + " Thirty-one were new.", ANSWERS[1]],
        files=[text_file("new-families.txt")],
    )
    monitoring.return_accept(monitoring_return=first_return, actor=officer, today=date(2027, 11, 5), note="Thank you.")

    first_return.refresh_from_db()
    assert first_return.status == ReturnStatus.ACCEPTED
    assert (first_return.submitted_date, first_return.submitted_by) == (date(2027, 10, 20), vcs_member)
    assert first_return.reviewed_by == officer
    assert first_return.answers[0]["answer"].endswith("Thirty-one were new.")
    assert [(m.kind, m.side, m.actor, m.text) for m in first_return.messages.all()] == [
        (MessageKind.SUBMITTED, Side.VCS, vcs_member, ""),
        (MessageKind.QUESTIONS, Side.PUBLIC, officer, "How many of the families were new this half-year?"),
        (MessageKind.REPLY, Side.VCS, vcs_member, "Thirty-one were new."),
        (MessageKind.ACCEPTED, Side.PUBLIC, officer, "Thank you."),
    ]
    assert [(d.original_name, d.content_type, d.uploaded_by) for d in first_return.documents.all()] == [
        ("figures.txt", "text/plain; charset=utf-8", vcs_member),
        ("new-families.txt", "text/plain; charset=utf-8", vcs_member),
    ]
    assert [h.status for h in first_return.history.order_by("history_id")] == [
        ReturnStatus.DUE,
        ReturnStatus.DRAFT,
        ReturnStatus.SUBMITTED,
        ReturnStatus.QUESTIONS,
        ReturnStatus.SUBMITTED,
        ReturnStatus.ACCEPTED,
    ]
    assert [h.history_user for h in first_return.history.order_by("history_id")][1:] == [
        vcs_member,
        vcs_member,
        officer,
        vcs_member,
        officer,
    ]


def test_only_the_recipients_members_make_a_return_and_only_the_funders_officers_review_it(
    first_return, officer, vcs_member, outsider, champion, administrator
):
    for actor in (officer, outsider, champion, administrator):
        with pytest.raises(PermissionDenied, match="members of the organisation receiving the funding"):
            monitoring.return_submit(
                monitoring_return=first_return, actor=actor, today=date(2027, 10, 20), answers=ANSWERS
            )
    monitoring.return_submit(
        monitoring_return=first_return, actor=vcs_member, today=date(2027, 10, 20), answers=ANSWERS
    )
    for actor in (vcs_member, outsider, champion, administrator):
        with pytest.raises(PermissionDenied, match="funder's officers review"):
            monitoring.return_accept(monitoring_return=first_return, actor=actor, today=date(2027, 10, 21))
    first_return.refresh_from_db()
    assert first_return.status == ReturnStatus.SUBMITTED


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        pytest.param([ANSWERS[0], "  "], r"question 2 not answered yet\); you can save a draft", id="one-blank"),
        pytest.param(["", ""], r"questions 1, 2 not answered yet", id="both-blank"),
        pytest.param(ANSWERS[:1], r"each of the plan's 2 questions", id="one-missing"),
    ],
)
def test_a_return_is_sent_only_with_every_question_answered(first_return, vcs_member, answers, message):
    with pytest.raises(ValidationError, match=message):
        monitoring.return_submit(
            monitoring_return=first_return, actor=vcs_member, today=date(2027, 10, 20), answers=answers
        )

    first_return.refresh_from_db()
    assert (first_return.status, first_return.submitted_date) == (ReturnStatus.DUE, None)
    assert not first_return.messages.exists()


def test_each_step_is_refused_in_a_state_that_does_not_allow_it(first_return, vcs_member, officer):
    def ask():
        monitoring.return_ask_questions(
            monitoring_return=first_return, actor=officer, today=date(2027, 10, 21), questions="Which families?"
        )

    def reply():
        monitoring.return_reply(monitoring_return=first_return, actor=vcs_member, today=date(2027, 10, 21), reply="-")

    def send():
        monitoring.return_submit(
            monitoring_return=first_return, actor=vcs_member, today=date(2027, 10, 21), answers=ANSWERS
        )

    def accept():
        monitoring.return_accept(monitoring_return=first_return, actor=officer, today=date(2027, 10, 21))

    with pytest.raises(ValidationError, match="has not been sent yet"):
        ask()
    with pytest.raises(ValidationError, match="has not been sent yet"):
        reply()
    send()
    with pytest.raises(ValidationError, match="was sent on 21 October 2027 and is waiting for the funder's review"):
        send()
    ask()
    with pytest.raises(ValidationError, match="a few questions about this return: reply to them"):
        monitoring.return_save_draft(
            monitoring_return=first_return, actor=vcs_member, today=date(2027, 10, 22), answers=ANSWERS
        )
    with pytest.raises(ValidationError, match="Write your reply"):
        monitoring.return_reply(monitoring_return=first_return, actor=vcs_member, today=date(2027, 10, 22), reply=" ")
    accept()  # questions settled another way
    with pytest.raises(ValidationError, match="accepted; nothing more is needed"):
        send()
    with pytest.raises(ValidationError, match="accepted; nothing more is needed"):
        monitoring.return_document_add(monitoring_return=first_return, actor=vcs_member, files=[text_file()])


def test_files_are_checked_by_content_and_limited_per_return(first_return, vcs_member):
    with pytest.raises(ValidationError, match="not a PDF, Word, OpenDocument"):
        monitoring.return_document_add(
            monitoring_return=first_return, actor=vcs_member, files=[text_file("report.pdf", b"MZ\x90\x00binary")]
        )
    with pytest.raises(ValidationError, match="Choose at least one file"):
        monitoring.return_document_add(monitoring_return=first_return, actor=vcs_member, files=[])
    monitoring.return_document_add(
        monitoring_return=first_return, actor=vcs_member, files=[text_file(f"{n}.txt") for n in range(5)]
    )
    with pytest.raises(ValidationError, match="at most 5 files; it has 5 already"):
        monitoring.return_document_add(monitoring_return=first_return, actor=vcs_member, files=[text_file()])

    assert first_return.documents.count() == 5


def test_a_return_recorded_from_an_import_takes_its_due_date_and_the_day_it_was_sent(plan, first_return):
    recorded = monitoring.return_record(
        plan=plan,
        actor=None,
        today=date(2027, 11, 3),
        period_start=date(2027, 4, 1),
        period_end=date(2027, 9, 30),
        submitted_date=date(2027, 11, 2),
    )
    extra = monitoring.return_record(
        plan=plan, actor=None, today=date(2027, 11, 3), period_start=date(2026, 10, 1), period_end=date(2027, 3, 31)
    )

    assert recorded.pk == first_return.pk
    assert (recorded.due_date, recorded.submitted_date, recorded.status) == (
        date(2027, 11, 1),
        date(2027, 11, 2),
        ReturnStatus.SUBMITTED,
    )
    assert [m.kind for m in recorded.messages.all()] == [MessageKind.SUBMITTED]
    assert (extra.due_date, extra.submitted_date, extra.status) == (date(2027, 4, 30), None, ReturnStatus.DUE)
    with pytest.raises(ValidationError, match="cannot be sent after today"):
        monitoring.return_record(
            plan=plan,
            actor=None,
            today=date(2027, 11, 3),
            period_start=date(2027, 10, 1),
            period_end=date(2028, 3, 31),
            submitted_date=date(2027, 11, 4),
        )


# --- The band and the due dates follow the funding and the compact ---------------------------------------------


def test_the_band_follows_the_funding_amount(funding, plan):
    services.relationship_update(relationship=funding, actor=None, amount=Decimal("9999.99"))
    plan.refresh_from_db()
    assert plan.returns_allowed_per_year == 1

    services.decision_record(
        relationship=funding,
        actor=None,
        kind="varied",
        told_date=date(2027, 5, 1),
        today=date(2027, 5, 1),
        new_amount=Decimal("150000"),
    )
    plan.refresh_from_db()
    assert plan.returns_allowed_per_year == 4


def test_the_returns_not_yet_sent_follow_the_fundings_end_brought_forward(funding, plan, first_return, vcs_member):
    monitoring.return_submit(
        monitoring_return=first_return, actor=vcs_member, today=date(2027, 10, 20), answers=["240 families.", "Yes."]
    )

    services.relationship_update(
        relationship=funding, actor=None, today=date(2027, 10, 20), end_date=date(2027, 12, 31)
    )

    periods = [(r.period_start, r.period_end, r.due_date, r.submitted_date) for r in plan.returns.order_by("due_date")]
    assert periods == [
        (date(2027, 4, 1), date(2027, 9, 30), date(2027, 11, 1), date(2027, 10, 20)),  # sent: kept as it was
        (date(2027, 10, 1), date(2027, 12, 31), date(2028, 1, 31), None),  # cut at the new end, due a month later
    ]


def test_a_later_start_moves_the_schedule_of_returns_not_yet_sent(funding, plan):
    services.relationship_update(relationship=funding, actor=None, today=AGREED, start_date=date(2027, 7, 1))

    first = plan.returns.order_by("due_date").first()
    assert (first.period_start, first.period_end, first.due_date) == (
        date(2027, 7, 1),
        date(2027, 12, 31),
        date(2028, 1, 31),
    )
    assert not plan.returns.filter(period_start=date(2027, 4, 1)).exists()


def test_the_band_follows_the_compacts_settings_for_funding_still_running(compact, council, charity, funding, plan):
    ended = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-ENDED")
    ended_plan = MonitoringPlanFactory(relationship=ended, returns_per_year=2, today=AGREED)
    ended.status = FundingStatus.ENDED
    ended.save()

    compact_settings_update(compact=compact, actor=None, today=AGREED, monitoring_medium_returns=4)

    plan.refresh_from_db()
    ended_plan.refresh_from_db()
    assert (plan.returns_allowed_per_year, ended_plan.returns_allowed_per_year) == (4, 2)
    assert plan.history.latest().history_change_reason.startswith("Rule settings of")


def test_the_due_dates_of_returns_not_yet_sent_follow_the_compacts_nation(funding, plan, first_return, vcs_member):
    """Period to 31 October 2027 is due Tuesday 30 November in England, Wednesday 1 December in Scotland."""
    monitoring.return_submit(
        monitoring_return=first_return, actor=vcs_member, today=date(2027, 10, 20), answers=ANSWERS
    )
    monitoring.return_record(
        plan=plan, actor=None, today=AGREED, period_start=date(2027, 10, 1), period_end=date(2027, 10, 31)
    )

    compact_settings_update(compact=funding.compact, actor=None, today=AGREED, nation="scotland")

    dues = dict(plan.returns.values_list("period_start", "due_date"))
    assert dues[date(2027, 4, 1)] == date(2027, 11, 1)  # sent: keeps the date it was judged by
    assert dues[date(2027, 10, 1)] == date(2027, 12, 1)  # St Andrew's Day
    funding.compact.refresh_from_db()
    assert compact_deadlines_recompute(compact=funding.compact, actor=None, reason="Bank holidays changed") == 0


# --- Flags follow every write, without a scheduled run ---------------------------------------------------------

TODAY = timezone.localdate()


@pytest.fixture
def same_day(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


@pytest.fixture
def committed(django_capture_on_commit_callbacks, tasks_run_in_process, same_day):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def flags_on(record_type, pk):
    return dict(Flag.objects.filter(record_type=record_type, record_id=pk).values_list("rule", "status"))


def test_a_plan_above_its_band_is_flagged_at_once_and_resolved_once_its_reason_is_recorded(funding, committed):
    def set_plan(reason=""):
        monitoring.monitoring_plan_set(
            relationship=funding,
            actor=None,
            today=TODAY,
            questions=QUESTIONS,
            purpose=PURPOSE,
            returns_per_year=4,
            service_user_views=False,
            agreed_on=TODAY,
            disproportion_reason=reason,
        )

    with committed():
        set_plan()
    raised = flags_on(RecordType.FUNDING_RELATIONSHIP, funding.pk)
    with committed():
        set_plan("Quarterly while the new kitchen opens.")

    assert raised == {RuleKey.MONITORING_DISPROPORTIONATE: FlagStatus.OPEN}
    assert flags_on(RecordType.FUNDING_RELATIONSHIP, funding.pk) == {
        RuleKey.MONITORING_DISPROPORTIONATE: FlagStatus.RESOLVED
    }


def test_a_compacts_bands_changing_resolve_a_plans_flag_at_once(funding, committed):
    with committed():
        MonitoringPlanFactory(relationship=funding, returns_per_year=4, agreed_on=TODAY, today=TODAY)
    assert flags_on(RecordType.FUNDING_RELATIONSHIP, funding.pk) == {
        RuleKey.MONITORING_DISPROPORTIONATE: FlagStatus.OPEN
    }

    with committed():
        compact_settings_update(compact=funding.compact, actor=None, monitoring_medium_returns=4)

    assert flags_on(RecordType.FUNDING_RELATIONSHIP, funding.pk) == {
        RuleKey.MONITORING_DISPROPORTIONATE: FlagStatus.RESOLVED
    }


def test_a_return_recorded_overdue_is_flagged_at_once_and_resolved_once_sent(funding, vcs_member, committed):
    plan = MonitoringPlanFactory(relationship=funding, returns_per_year=2, today=TODAY)
    with committed():
        overdue = monitoring.return_record(
            plan=plan,
            actor=None,
            today=TODAY,
            period_start=TODAY - datetime.timedelta(days=150),
            period_end=TODAY - datetime.timedelta(days=70),
        )
    raised = flags_on(RecordType.MONITORING_RETURN, overdue.pk)

    with committed():
        monitoring.return_submit(monitoring_return=overdue, actor=vcs_member, today=TODAY, answers=ANSWERS)

    assert raised == {RuleKey.MONITORING_RETURN_OVERDUE: FlagStatus.OPEN}
    assert flags_on(RecordType.MONITORING_RETURN, overdue.pk) == {
        RuleKey.MONITORING_RETURN_OVERDUE: FlagStatus.RESOLVED
    }
    flag = Flag.objects.get(record_type=RecordType.MONITORING_RETURN, record_id=overdue.pk)
    assert flag.organisation == funding.recipient


def test_notice_for_performance_is_flagged_at_once_and_resolved_by_a_timetable_agreed_before_it(funding, committed):
    with committed():
        notice = NoticeFactory(
            relationship=funding,
            notice_date=TODAY,
            effective_date=TODAY + datetime.timedelta(days=120),
            for_performance=True,
        )
    raised = flags_on(RecordType.NOTICE, notice.pk)

    with committed():
        ImprovementTimetableFactory(relationship=funding, agreed_on=TODAY - datetime.timedelta(days=60), today=TODAY)

    assert raised[RuleKey.IMPROVEMENT_TIMETABLE_MISSING] == FlagStatus.OPEN
    assert flags_on(RecordType.NOTICE, notice.pk)[RuleKey.IMPROVEMENT_TIMETABLE_MISSING] == FlagStatus.RESOLVED


# --- Significant changes (17.4) ---------------------------------------------------------------------------------


def test_a_member_tells_the_organisations_funders_of_a_significant_change_once_per_form(
    funding, charity, vcs_member, council
):
    other_funder = PublicBodyFactory(name="Hampshire County Council")
    sign_up(compact=funding.compact, funder=other_funder)
    second = AwardedFundingFactory(
        compact=funding.compact, funder=other_funder, recipient=charity, reference="HCC-2027-004"
    )
    key = uuid4()

    told = [
        monitoring.significant_change_tell(
            organisation=charity,
            actor=vcs_member,
            today=date(2027, 6, 1),
            kind=ChangeKind.FINANCES,
            description="  A large donor has withdrawn; we are cutting one evening session.  ",
            relationships=[funding, second],
            submission_key=key,
        )
        for _ in range(2)
    ]

    change = told[0]
    assert told[1].pk == change.pk
    assert told[1].already_recorded
    assert (change.told_on, change.told_by, change.description) == (
        date(2027, 6, 1),
        vcs_member,
        "A large donor has withdrawn; we are cutting one evening session.",
    )
    assert set(change.relationships.all()) == {funding, second}
    assert SignificantChange.objects.count() == 1


def test_a_significant_change_names_only_the_organisations_own_funding_and_only_its_members_tell_it(
    funding, charity, other_charity, vcs_member, outsider, officer, compact, council
):
    elsewhere = AwardedFundingFactory(compact=compact, funder=council, recipient=other_charity, reference="GR-X")
    pending = FundingRelationshipFactory(compact=compact, funder=council, recipient=charity, reference="GR-DRAFT")

    def tell(actor, relationships):
        monitoring.significant_change_tell(
            organisation=charity,
            actor=actor,
            today=date(2027, 6, 1),
            kind=ChangeKind.MANAGEMENT,
            description="Our chair has resigned.",
            relationships=relationships,
        )

    with pytest.raises(ValidationError, match="Choose the funding"):
        tell(vcs_member, [])
    with pytest.raises(ValidationError, match="only funding Southsea Community Food Bank receives"):
        tell(vcs_member, [funding, elsewhere])
    for actor in (outsider, officer):
        with pytest.raises(PermissionDenied, match="organisation's members"):
            tell(actor, [funding])
    with pytest.raises(PermissionDenied):
        tell(vcs_member, [pending])  # the funder's draft, which the organisation does not see
    assert not SignificantChange.objects.exists()


# --- Improvement timetables (12.7) --------------------------------------------------------------------------------


def test_an_officer_agrees_an_improvement_timetable_and_marks_its_actions_done(funding, officer):
    timetable = monitoring.improvement_timetable_agree(
        relationship=funding,
        actor=officer,
        today=date(2027, 6, 1),
        problems="Sessions were cancelled for lack of volunteers.",
        agreed_on=date(2027, 6, 1),
        review_on=date(2027, 9, 1),
        actions=[
            ("Recruit four more volunteers", date(2027, 7, 31)),
            ("  ", None),
            ("Restart Friday sessions", date(2027, 8, 6)),
        ],
        submission_key=uuid4(),
    )
    first = timetable.actions.first()
    monitoring.improvement_action_done(action=first, actor=officer, today=date(2027, 7, 20), done_on=date(2027, 7, 20))
    with pytest.raises(ValidationError, match="after today"):
        monitoring.improvement_action_done(
            action=first, actor=officer, today=date(2027, 7, 20), done_on=date(2027, 7, 21)
        )

    assert [(a.action, a.due_on, a.done_on) for a in timetable.actions.all()] == [
        ("Recruit four more volunteers", date(2027, 7, 31), date(2027, 7, 20)),
        ("Restart Friday sessions", date(2027, 8, 6), None),
    ]
    assert timetable.history.get().history_user == officer


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"actions": []}, "at least one improvement action", id="no-actions"),
        pytest.param({"actions": [("Recruit", None)]}, "the day each action is due", id="an-action-without-a-day"),
        pytest.param({"actions": [("Recruit", date(2027, 5, 31))]}, "due before the timetable", id="due-before"),
        pytest.param({"agreed_on": date(2027, 6, 2)}, r"cannot be agreed after today \(1 June 2027\)", id="ahead"),
        pytest.param({"review_on": date(2027, 5, 31)}, "review cannot come before", id="review-before-agreement"),
    ],
)
def test_an_improvement_timetable_is_refused_in_plain_words(funding, officer, changes, message):
    fields = {
        "problems": "Sessions were cancelled.",
        "agreed_on": date(2027, 6, 1),
        "review_on": date(2027, 9, 1),
        "actions": [("Recruit four more volunteers", date(2027, 7, 31))],
    }
    with pytest.raises(ValidationError, match=message):
        monitoring.improvement_timetable_agree(
            relationship=funding, actor=officer, today=date(2027, 6, 1), **(fields | changes)
        )


def test_only_the_funders_officers_agree_a_timetable_or_mark_its_actions(funding, vcs_member, champion):
    timetable = ImprovementTimetableFactory(relationship=funding)
    Champion.objects.create(compact=funding.compact, organisation=funding.funder, user=champion)
    for actor in (vcs_member, champion):
        with pytest.raises(PermissionDenied, match="funder's officers"):
            ImprovementTimetableFactory(relationship=funding, actor=actor)
        with pytest.raises(PermissionDenied):
            monitoring.improvement_action_done(
                action=timetable.actions.get(), actor=actor, today=date(2027, 7, 1), done_on=date(2027, 7, 1)
            )
