"""Proposals that change funding: the services (steps stored and stored again, refusals), the pages by role, the
organisations a change touches and the 19.5 equality duty, the one-page statement, the worklist and calendar, and
the plan_deadlines command."""

import datetime
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from commitments.models import Community
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from compact_portal.calendar import deadlines_calendar
from funding import services as funding_services
from funding.models import Proposal, ProposalStatus
from funding.services import proposals as services
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CompactFactory, PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, sign_up

D = datetime.date
TODAY = D(2027, 10, 1)
END_STEPS = [
    "consultation_opens_by",
    "consultation_closes_by",
    "impact_assessment_by",
    "notice_by",
    "feedback_by",
    "response_window_closes_by",
    "final_decision_by",
]


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def plan(officer, council, compact, **fields):
    values = {"title": "End the community grants programme", "kind": "end", "effective_date": D(2028, 3, 31)}
    values.update(fields)
    return services.proposal_create(actor=officer, funder=council, compact=compact, today=TODAY, **values)


def keys(proposal) -> list[str]:
    return list(proposal.steps.order_by("position").values_list("key", flat=True))


# --- Services ----------------------------------------------------------------------------------------------------


def test_a_proposal_stores_the_planners_steps_in_date_order(officer, council, compact):
    proposal = plan(officer, council, compact)
    assert proposal.status == ProposalStatus.DRAFT
    assert keys(proposal) == END_STEPS
    steps = {step.key: step for step in proposal.steps.all()}
    assert steps["notice_by"].latest_by == D(2027, 12, 31)
    assert steps["consultation_opens_by"].latest_by == D(2027, 10, 8)
    assert steps["notice_by"].clause.startswith("the portal's default")  # the factory compact carries no clauses
    assert proposal.history.first().history_user == officer


def test_new_funding_plans_the_day_to_tell_applicants_and_the_minimum_term(officer, council, compact):
    proposal = plan(officer, council, compact, kind="new", effective_date=D(2028, 4, 1))
    steps = {step.key: step.latest_by for step in proposal.steps.all()}
    assert steps == {"tell_applicants_by": D(2028, 1, 1), "minimum_term_ends": D(2031, 3, 31)}


def test_changing_the_day_plans_again_and_a_step_done_stays_done(officer, council, compact):
    proposal = plan(officer, council, compact)
    impact = proposal.steps.get(key="impact_assessment_by")
    services.step_done(step=impact, actor=officer, today=TODAY, done_on=D(2027, 9, 20))
    before = set(proposal.steps.values_list("pk", flat=True))

    services.proposal_update(proposal=proposal, actor=officer, today=TODAY, title="Same plan, new words")
    assert set(proposal.steps.values_list("pk", flat=True)) == before  # nothing the steps count from changed

    services.proposal_update(proposal=proposal, actor=officer, today=TODAY, effective_date=D(2028, 2, 29))
    steps = {step.key: step for step in proposal.steps.all()}
    assert steps["notice_by"].latest_by == D(2027, 11, 30)
    assert steps["impact_assessment_by"].done_on == D(2027, 9, 20)


def test_a_fixed_end_is_planned_again_without_notice_where_the_compact_excepts_it(officer, council):
    compact = CompactFactory(name="Excepting Compact", notice_excepts_fixed_end=True)
    sign_up(compact=compact, funder=council)
    proposal = plan(officer, council, compact)
    assert "notice_by" in keys(proposal)
    services.proposal_update(proposal=proposal, actor=officer, today=TODAY, fixed_end=True)
    assert "notice_by" not in keys(proposal)


def test_a_change_of_the_compacts_settings_plans_open_proposals_again(officer, council, compact):
    from commitments.services.compact_settings import compact_settings_update

    proposal = plan(officer, council, compact)
    withdrawn = plan(officer, council, compact, title="Withdrawn plan")
    services.proposal_withdraw(proposal=withdrawn, actor=officer)
    compact_settings_update(compact=compact, actor=None, today=TODAY, notice_months=6)
    assert proposal.steps.get(key="notice_by").latest_by == D(2027, 9, 30)
    assert withdrawn.steps.get(key="notice_by").latest_by == D(2027, 12, 31)  # a withdrawn plan keeps its days


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"effective_date": D(2027, 9, 30)}, "effective_date", id="a-day-passed"),
        pytest.param({"title": "   "}, "title", id="no-title"),
        pytest.param({"kind": "abolish"}, "kind", id="unknown-kind"),
    ],
)
def test_bad_details_are_refused_on_their_field(officer, council, compact, fields, field):
    with pytest.raises(ValidationError) as refused:
        plan(officer, council, compact, **fields)
    assert field in refused.value.message_dict
    assert not Proposal.objects.exists()


def test_a_compact_the_funder_has_not_signed_is_refused(officer, council):
    unsigned = CompactFactory(name="Unsigned Compact")
    with pytest.raises(ValidationError) as refused:
        plan(officer, council, unsigned)
    assert "compact" in refused.value.message_dict


def test_another_funders_funding_is_refused(officer, council, compact, charity):
    other = AwardedFundingFactory(compact=compact, funder=PublicBodyFactory(), recipient=charity)
    with pytest.raises(ValidationError) as refused:
        plan(officer, council, compact, relationships=[other])
    assert "relationships" in refused.value.message_dict


@pytest.mark.parametrize("who", ["vcs_member", "champion", "administrator", "outsider"])
def test_only_the_funders_officers_plan(request, council, compact, who):
    with pytest.raises(PermissionDenied):
        plan(request.getfixturevalue(who), council, compact)


def test_going_ahead_withdrawing_and_steps_done(officer, council, compact, vcs_member):
    proposal = plan(officer, council, compact)
    with pytest.raises(PermissionDenied):
        services.proposal_go_ahead(proposal=proposal, actor=vcs_member)
    assert services.proposal_go_ahead(proposal=proposal, actor=officer).status == ProposalStatus.GOING_AHEAD
    step = proposal.steps.get(key="notice_by")
    with pytest.raises(ValidationError):
        services.step_done(step=step, actor=officer, today=TODAY, done_on=TODAY + datetime.timedelta(days=1))
    services.step_done(step=step, actor=officer, today=TODAY, done_on=TODAY)
    step.refresh_from_db()
    assert step.done_on == TODAY
    services.proposal_withdraw(proposal=proposal, actor=officer)
    with pytest.raises(ValidationError):
        services.proposal_update(proposal=proposal, actor=officer, today=TODAY, title="Again")
    with pytest.raises(ValidationError):
        services.step_done(step=step, actor=officer, today=TODAY, done_on=None)


def test_the_minimum_term_is_not_a_step_to_mark_done(officer, council, compact):
    proposal = plan(officer, council, compact, kind="new")
    with pytest.raises(ValidationError):
        services.step_done(step=proposal.steps.get(key="minimum_term_ends"), actor=officer, today=TODAY, done_on=TODAY)


def test_one_time_key_makes_one_proposal(officer, council, compact):
    import uuid

    key = uuid.uuid4()
    first = plan(officer, council, compact, submission_key=key)
    second = plan(officer, council, compact, submission_key=key)
    assert first.pk == second.pk
    assert Proposal.objects.count() == 1


# --- The organisations touched ----------------------------------------------------------------------------------


def test_by_default_the_funding_running_on_the_day_is_touched_and_the_equality_duty_shown(
    officer, council, compact, funding, charity, client
):
    from funding.selectors.proposals import touched

    charity.communities.add(Community.objects.get(slug="disability"))
    funding_services.relationship_update(relationship=funding, actor=officer, strategic=True)
    ended_before = AwardedFundingFactory(
        compact=compact, funder=council, recipient=charity, reference="OLD-1",
        start_date=D(2027, 4, 1), end_date=D(2028, 3, 1), expected_start=D(2027, 4, 1),
    )  # fmt: skip
    proposal = plan(officer, council, compact)
    rows, chosen = touched(proposal)
    assert not chosen
    assert [row.relationship for row in rows] == [funding]
    assert rows[0].equality_duty
    assert [community.name for community in rows[0].communities] == ["Disability"]

    reduce = plan(officer, council, compact, kind="reduce", relationships=[ended_before])
    rows, chosen = touched(reduce)
    assert chosen
    assert [row.relationship for row in rows] == [ended_before]
    assert not rows[0].equality_duty  # 19.5 asks only when the grant ends

    client.force_login(officer)
    page = client.get(proposal.get_absolute_url()).content.decode()
    assert "Assess how the money will be reallocated" in page
    assert "Disability" in page


# --- Pages ------------------------------------------------------------------------------------------------------


def test_the_officer_lists_plans_and_opens_a_proposal(officer, council, compact, client):
    client.force_login(officer)
    assert client.get(reverse("funding:proposal_list")).status_code == 200
    form = client.get(reverse("funding:proposal_create"))
    assert form.status_code == 200
    response = client.post(
        reverse("funding:proposal_create"),
        {
            "funder": council.pk,
            "title": "End the community grants programme",
            "kind": "end",
            "compact": compact.pk,
            "effective_date": "2027-12-31",
            "submission_key": form.context["form"].initial["submission_key"],
        },
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == proposal.get_absolute_url()
    page = client.get(proposal.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "Give written notice, with the rationale" in text
    assert "Late" in text  # notice was due by 30 September 2027, before today
    listed = client.get(reverse("funding:proposal_list")).content.decode()
    assert "End the community grants programme" in listed
    assert "late" in listed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"effective_date": "2027-02-30"}, "Enter a valid date", id="impossible-date"),
        pytest.param({"effective_date": "2020-01-01"}, "still to come", id="a-day-passed"),
        pytest.param({"title": ""}, "Say what the body intends", id="no-title"),
        pytest.param({"kind": "abolish"}, "Select a valid choice", id="unknown-kind"),
    ],
)
def test_bad_input_shows_the_form_again_with_what_was_typed(officer, council, compact, client, data, message):
    client.force_login(officer)
    posted = {
        "funder": council.pk,
        "title": "A plan",
        "kind": "end",
        "compact": compact.pk,
        "effective_date": "2028-03-31",
    }
    posted.update(data)
    response = client.post(reverse("funding:proposal_create"), posted)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("who", ["vcs_member", "champion", "administrator", "outsider"])
def test_a_proposal_does_not_exist_for_anyone_but_the_funders_officers(officer, council, compact, client, request, who):
    proposal = plan(officer, council, compact)
    step = proposal.steps.first()
    client.force_login(request.getfixturevalue(who))
    for url in (
        proposal.get_absolute_url(),
        reverse("funding:proposal_edit", args=[proposal.pk]),
        reverse("funding:proposal_pdf", args=[proposal.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("funding:proposal_status", args=[proposal.pk]), {"action": "withdraw"}).status_code == 404
    )
    assert client.post(reverse("funding:proposal_step_done", args=[step.pk])).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DRAFT


def test_another_bodys_officer_is_told_it_does_not_exist(officer, council, compact, client):
    proposal = plan(officer, council, compact)
    other = MembershipFactory(organisation=PublicBodyFactory(), role=Role.OFFICER).user
    client.force_login(other)
    assert client.get(proposal.get_absolute_url()).status_code == 404


def test_go_ahead_edit_and_mark_done_from_the_page(officer, council, compact, client):
    proposal = plan(officer, council, compact)
    client.force_login(officer)
    client.post(reverse("funding:proposal_status", args=[proposal.pk]), {"action": "go_ahead"})
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.GOING_AHEAD
    step = proposal.steps.get(key="consultation_opens_by")
    client.post(reverse("funding:proposal_step_done", args=[step.pk]), {"done_on": "2027-09-30"})
    step.refresh_from_db()
    assert step.done_on == D(2027, 9, 30)
    edit = client.get(reverse("funding:proposal_edit", args=[proposal.pk]))
    assert edit.status_code == 200
    response = client.post(
        reverse("funding:proposal_edit", args=[proposal.pk]),
        {"title": "End it later", "kind": "end", "compact": compact.pk, "effective_date": "2028-06-30"},
    )
    assert response.status_code == 302
    assert proposal.steps.get(key="notice_by").latest_by == D(2028, 3, 31)  # 31 March + 3 months clamps to 30 June


def test_the_statement_is_one_page_naming_the_steps(officer, council, compact, funding, client):
    proposal = plan(officer, council, compact)
    client.force_login(officer)
    response = client.get(reverse("funding:proposal_pdf", args=[proposal.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    for label in ("Give written notice, with the rationale", "Open the formal consultation", "31 December 2027"):
        assert label in text
    assert funding.recipient.name in text


# --- Worklist and calendar --------------------------------------------------------------------------------------


def test_the_steps_wait_for_the_officers_once_the_proposal_goes_ahead(officer, council, compact, vcs_member):
    proposal = plan(officer, council, compact)

    def items(user):
        return [
            item for item in worklist.waiting_for(user, TODAY).get(Role.OFFICER, []) if item.kind == "proposal_step"
        ]

    assert items(officer) == []  # a draft waits for no one
    services.proposal_go_ahead(proposal=proposal, actor=officer)
    listed = items(officer)
    assert [item.due for item in listed] == sorted(step.latest_by for step in proposal.steps.all())
    assert all(item.url == proposal.get_absolute_url() + "#steps" for item in listed)
    assert items(vcs_member) == []
    services.step_done(step=proposal.steps.get(key="notice_by"), actor=officer, today=TODAY, done_on=TODAY)
    assert len(items(officer)) == len(END_STEPS) - 1

    calendar = deadlines_calendar(officer, TODAY)
    summaries = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
    assert "Open the formal consultation: End the community grants programme" in summaries

    services.proposal_withdraw(proposal=proposal, actor=officer)
    assert items(officer) == []


def test_new_funding_lists_the_day_to_tell_not_the_minimum_term(officer, council, compact):
    services.proposal_go_ahead(proposal=plan(officer, council, compact, kind="new"), actor=officer)
    kinds = [
        item.what for item in worklist.waiting_for(officer, TODAY).get(Role.OFFICER, []) if item.kind == "proposal_step"
    ]
    assert kinds == ["Tell applicants the funding decision: End the community grants programme"]


def test_the_worklists_queries_do_not_grow_with_the_proposals(officer, council, compact):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            worklist.waiting_for(officer, TODAY)
        return len(queries)

    services.proposal_go_ahead(proposal=plan(officer, council, compact), actor=officer)
    count()
    before = count()
    for n in range(3):
        services.proposal_go_ahead(proposal=plan(officer, council, compact, title=f"Plan {n}"), actor=officer)
    assert count() == before


# --- The command ------------------------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("plan_deadlines", *args, stdout=out)
    return out.getvalue()


def test_the_command_plans_in_words(compacts):
    text = run("--compact", "portsmouth", "--kind", "end", "--effective", "2028-03-31")
    assert "31 December 2027" in text
    assert "Give written notice, with the rationale [notice_by]" in text
    assert "Commitment 13.3" in text


def test_the_command_plans_in_json(compacts):
    data = json.loads(run("--compact", "portsmouth", "--kind", "end", "--effective", "2028-02-29", "--format", "json"))
    assert data["notice_by"] == "2027-11-30"
    assert data["impact_assessment_by"] == "2027-11-30"
    assert data["consultation_closes_by"] == "2027-11-29"
    assert data["consultation_opens_by"] == "2027-09-07"
    assert {"feedback_by", "response_window_closes_by", "final_decision_by"} <= set(data)
    assert [step["key"] for step in data["steps"]][0] == "consultation_opens_by"


def test_the_command_applies_a_fixed_end_where_the_compact_excepts_it(compacts):
    args = ["--kind", "end", "--effective", "2028-03-31", "--format", "json", "--fixed-end"]
    assert json.loads(run("--compact", "leicestershire", *args))["notice_by"] is None
    assert json.loads(run("--compact", "portsmouth", *args))["notice_by"] == "2027-12-31"
    new = json.loads(run("--compact", "portsmouth", "--kind", "new", "--effective", "2028-04-01", "--format", "json"))
    assert new["tell_applicants_by"] == "2028-01-01"
    assert new["notice_by"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--compact", "atlantis", "--kind", "end", "--effective", "2028-03-31"], "No compact 'atlantis'"),
        (["--compact", "portsmouth", "--kind", "end", "--effective", "2028-02-30"], "is not a date"),
        (["--compact", "portsmouth", "--kind", "end", "--effective", "next spring"], "is not a date"),
    ],
)
def test_the_command_explains_bad_arguments(compacts, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_the_command_refuses_an_unknown_kind(compacts):
    with pytest.raises(CommandError, match="invalid choice"):
        run("--compact", "portsmouth", "--kind", "abolish", "--effective", "2028-03-31")
