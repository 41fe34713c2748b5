"""The monitoring pages: a relationship's plan (12.1–12.5), its returns made and reviewed in the browser (17.3), the
compact's templates, significant changes told to funders (17.4) and improvement timetables (12.7), by role."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from commitments.models import Champion
from compact_portal.accounts.roles import Role
from compact_portal.forms import SAVE_ANYWAY
from compact_portal.one_time import ALREADY_RECORDED
from funding.models import (
    ImprovementTimetable,
    MessageKind,
    MonitoringPlan,
    MonitoringReturn,
    MonitoringTemplate,
    Notice,
    ReturnStatus,
    SignificantChange,
)
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import PublicBodyFactory
from tests.disputes.factories import PDF
from tests.funding.factories import (
    QUESTIONS,
    AwardedFundingFactory,
    ImprovementTimetableFactory,
    MonitoringPlanFactory,
    MonitoringTemplateFactory,
)

pytestmark = pytest.mark.django_db

FIRST, SECOND = QUESTIONS.splitlines()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def today():
    return timezone.localdate()  # what the views give the services


@pytest.fixture
def plan(funding):
    """Twice a year from the award's start (1 April 2027), so the first return covers April to September 2027."""
    return MonitoringPlanFactory(relationship=funding, returns_per_year=2)


@pytest.fixture
def first_return(plan):
    return plan.returns.order_by("due_date").first()


@pytest.fixture
def template(compact):
    return MonitoringTemplateFactory(compact=compact, name="Small grants monitoring")


@pytest.fixture
def other_officer(compact):
    body = PublicBodyFactory(name="Havant Borough Council")
    return MembershipFactory(organisation=body, role=Role.OFFICER, user__full_name="Otto Other").user


@pytest.fixture
def person(request):
    return request.getfixturevalue(request.param) if request.param != "anonymous" else None


def _get(client, who, url):
    if who is not None:
        client.force_login(who)
    return client.get(url)


def _is_sign_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- Who opens what -------------------------------------------------------------------------------------------------

RETURN_PAGE = {
    "officer": 200,
    "vcs_member": 200,
    "administrator": 200,
    "champion": 404,  # a champion sees the funding, not the organisation's returns
    "outsider": 404,  # another charity's member
    "other_officer": 404,  # another body's officer
    "anonymous": "sign in",
}


@pytest.mark.parametrize(("person", "expected"), RETURN_PAGE.items(), indirect=["person"])
def test_who_opens_a_return(client, championed, first_return, person, expected):
    response = _get(client, person, first_return.get_absolute_url())

    assert _is_sign_in(response) if expected == "sign in" else response.status_code == expected


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("officer", 200),
        ("vcs_member", 200),
        ("administrator", 200),
        ("outsider", 200),  # opens, with none of the food bank's returns on it
        ("champion", 403),
        ("anonymous", "sign in"),
    ],
    indirect=["person"],
)
def test_who_opens_the_returns_list(client, first_return, person, expected):
    response = _get(client, person, reverse("funding:return_list"))

    assert _is_sign_in(response) if expected == "sign in" else response.status_code == expected
    if expected == 200:
        shown = first_return.get_absolute_url() in response.content.decode()
        assert shown is (person.full_name != "Oscar Outsider")


OFFICER_PAGE = {
    "officer": 200,
    "vcs_member": 403,  # may read the funding, not change it
    "champion": 403,
    "administrator": 403,
    "other_officer": 404,  # another body's funding does not exist for them
    "outsider": 403,
    "anonymous": "sign in",
}


@pytest.mark.parametrize("url_name", ["funding:monitoring_plan", "funding:timetable_create"])
@pytest.mark.parametrize(("person", "expected"), OFFICER_PAGE.items(), indirect=["person"])
def test_only_the_funders_officers_set_up_monitoring_and_timetables(client, funding, url_name, person, expected):
    response = _get(client, person, reverse(url_name, args=[funding.pk]))

    assert _is_sign_in(response) if expected == "sign in" else response.status_code == expected


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("vcs_member", 200),
        ("outsider", 404),  # another organisation's page
        ("officer", 403),
        ("administrator", 403),
        ("anonymous", "sign in"),
    ],
    indirect=["person"],
)
def test_only_the_organisations_members_tell_of_a_significant_change(client, funding, charity, person, expected):
    response = _get(client, person, reverse("funding:significant_change_create", args=[charity.slug]))

    assert _is_sign_in(response) if expected == "sign in" else response.status_code == expected


@pytest.mark.parametrize(
    ("person", "list_status", "edit_status"),
    [
        ("officer", 200, 200),  # the council has signed the compact
        ("champion", 200, 200),  # the compact's champion (see ``championed``)
        ("administrator", 200, 200),
        ("other_officer", 200, 404),  # Havant has signed no compact: keeps no templates
        ("vcs_member", 403, 403),
        ("anonymous", "sign in", "sign in"),
    ],
    indirect=["person"],
)
def test_who_keeps_a_compacts_templates(client, championed, template, person, list_status, edit_status):
    listing = _get(client, person, reverse("funding:template_list"))
    edit = client.get(reverse("funding:template_edit", args=[template.pk]))

    for response, expected in ((listing, list_status), (edit, edit_status)):
        assert _is_sign_in(response) if expected == "sign in" else response.status_code == expected
    if list_status == 200:
        assert (template.name in listing.content.decode()) is (edit_status == 200)


def test_a_champion_of_another_compact_keeps_none_of_its_templates(client, template, champion, council):
    from tests.commitments.factories import CompactFactory

    Champion.objects.create(compact=CompactFactory(name="Other Compact"), organisation=council, user=champion)
    client.force_login(champion)

    assert client.get(reverse("funding:template_edit", args=[template.pk])).status_code == 404


# --- The relationship page -------------------------------------------------------------------------------------------


def test_the_officer_is_offered_to_set_up_monitoring(client_for, funding):
    page = client_for("officer").get(funding.get_absolute_url()).content.decode()

    assert 'id="monitoring"' in page
    assert "No monitoring plan yet." in page
    assert reverse("funding:monitoring_plan", args=[funding.pk]) in page
    assert "Set up monitoring" in page
    assert reverse("funding:timetable_create", args=[funding.pk]) in page


def test_the_plan_and_its_schedule_show_on_the_relationship_page(client_for, plan, first_return):
    for person in ("officer", "vcs_member"):
        page = client_for(person).get(plan.relationship.get_absolute_url()).content.decode()

        assert FIRST in page
        assert escape(plan.purpose) in page
        assert "Twice a year; for £30,000.00 the compact's band allows at most 2 returns a year." in page
        assert first_return.get_absolute_url() in page
        assert ("Change the plan" in page) is (person == "officer")


def test_a_champion_sees_the_plan_but_no_link_to_returns_they_cannot_open(client, championed, champion, first_return):
    client.force_login(champion)
    page = client.get(first_return.plan.relationship.get_absolute_url()).content.decode()

    assert FIRST in page
    assert first_return.get_absolute_url() not in page


def test_the_story_tells_the_monitoring(client, first_return, vcs_member, officer, today):
    from funding.services import monitoring

    funding = first_return.plan.relationship
    monitoring.return_submit(
        monitoring_return=first_return, actor=vcs_member, today=today, answers=["240 families.", "Less hunger."]
    )
    ImprovementTimetableFactory(relationship=funding, agreed_on=today, review_on=today + datetime.timedelta(days=9))
    client.force_login(officer)

    page = client.get(funding.get_absolute_url()).content.decode()

    assert "Monitoring plan set up, not yet agreed: twice a year" in page
    assert "Within the band of at most 2 returns a year for the funding&#x27;s value" in page
    assert "Monitoring return sent, for 1 April 2027 to 30 September 2027" in page
    assert "Sent by its due date, 1 November 2027" in page
    assert "Monitoring return due, for 1 October 2027 to 31 March 2028" in page
    assert "Improvement timetable agreed: 1 action, progress reviewed on" in page


def test_the_story_says_when_notice_for_performance_came_without_a_timetable(client_for, funding, today):
    from tests.funding.factories import NoticeFactory

    NoticeFactory(relationship=funding, notice_date=today, effective_date=today + datetime.timedelta(days=200),
                  for_performance=True)  # fmt: skip

    page = client_for("officer").get(funding.get_absolute_url()).content.decode()

    assert "End of funding notice given for performance reasons" in page
    assert "With no improvement timetable agreed beforehand, which the portal&#x27;s default" in page


# --- Setting up the plan ---------------------------------------------------------------------------------------------


def _plan_data(**changes):
    return {
        "questions": QUESTIONS,
        "purpose": "To report to the cabinet.",
        "returns_per_year": "2",
        "service_user_views": "on",
        "agreed_on": "",
        "disproportion_reason": "",
    } | changes


def test_a_template_chosen_from_the_list_fills_in_the_plan(client_for, funding, template):
    client = client_for("officer")

    page = client.get(reverse("funding:monitoring_plan", args=[funding.pk])).content.decode()
    assert f'href="?template={template.pk}"' in page

    page = client.get(reverse("funding:monitoring_plan", args=[funding.pk]), {"template": template.pk}).content.decode()
    assert escape(FIRST) in page
    assert escape(template.purpose) in page
    assert f'name="template" value="{template.pk}"' in page
    # £30,000 is a medium grant: the band allows two a year, proposed, with the schedule over the three years.
    assert re.search(r'<input[^>]*value="2"[^>]*checked', page)
    assert "6 returns for the chosen frequency" in page


@pytest.mark.parametrize("junk", ["abc", "-1", "99999999999999999999", ""])
def test_a_template_that_is_not_one_is_ignored(client_for, funding, junk):
    response = client_for("officer").get(reverse("funding:monitoring_plan", args=[funding.pk]), {"template": junk})

    assert response.status_code == 200


def test_saving_the_plan_schedules_the_returns(client_for, funding, template, today):
    response = client_for("officer").post(
        reverse("funding:monitoring_plan", args=[funding.pk]),
        _plan_data(template=template.pk, agreed_on=today.isoformat()),
    )

    assert response.status_code == 302
    assert response["Location"] == funding.get_absolute_url() + "#monitoring"
    plan = MonitoringPlan.objects.get(relationship=funding)
    assert (plan.template, plan.returns_per_year, plan.returns_allowed_per_year) == (template, 2, 2)
    assert plan.returns.count() == 6
    funding.refresh_from_db()
    assert funding.monitoring_agreed_date == today


def test_a_plan_asking_more_than_its_band_is_warned_of_then_saved_and_flagged_until_the_reason(client_for, funding):
    client = client_for("officer")
    url = reverse("funding:monitoring_plan", args=[funding.pk])

    page = client.post(url, _plan_data(returns_per_year="4")).content.decode()
    assert (
        "The plan asks for 4 returns a year; for funding of this value the compact&#x27;s band allows at most 2" in page
    )
    assert "To report to the cabinet." in page  # nothing typed is lost
    assert not MonitoringPlan.objects.exists()

    response = client.post(url, _plan_data(returns_per_year="4", **{SAVE_ANYWAY: "on"}))
    assert response.status_code == 302
    assert MonitoringPlan.objects.get().returns_per_year == 4
    page = client.get(funding.get_absolute_url()).content.decode()
    assert "No reason it is proportionate here is recorded" in page
    assert "Add the reason" in page

    client.post(url, _plan_data(returns_per_year="4", disproportion_reason="A pilot: the first year needs it."))
    page = client.get(funding.get_absolute_url()).content.decode()
    assert "No reason it is proportionate here is recorded" not in page
    assert "A pilot: the first year needs it." in page


def test_a_plan_with_no_questions_is_refused_with_the_rest_kept(client_for, funding):
    response = client_for("officer").post(
        reverse("funding:monitoring_plan", args=[funding.pk]), _plan_data(questions="  \n ")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Give at least one question the returns will answer." in page
    assert "To report to the cabinet." in page
    assert not MonitoringPlan.objects.exists()


def test_monitoring_cannot_be_agreed_after_today(client_for, funding, today):
    response = client_for("officer").post(
        reverse("funding:monitoring_plan", args=[funding.pk]),
        _plan_data(agreed_on=(today + datetime.timedelta(days=1)).isoformat()),
    )

    assert "Monitoring cannot be agreed after today" in response.content.decode()
    assert not MonitoringPlan.objects.exists()


# --- Returns: draft, send, questions, reply, accept -----------------------------------------------------------------


def _answers(first="We reached 240 families.", second="Fewer children went hungry.", **more):
    return {"answer_0": first, "answer_1": second} | more


def test_the_return_workflow_from_draft_to_accepted(client, first_return, officer, vcs_member, today):
    url = first_return.get_absolute_url()
    client.force_login(vcs_member)
    page = client.get(url).content.decode()
    assert "Save draft" in page
    assert "Send the return" in page
    assert escape(FIRST) in page

    response = client.post(url, _answers(second="", action="save"))
    assert response.status_code == 302
    first_return.refresh_from_db()
    assert first_return.status == ReturnStatus.DRAFT
    assert first_return.answers[0] == {"question": FIRST, "answer": "We reached 240 families."}
    assert "We reached 240 families." in client.get(url).content.decode()  # the draft comes back

    client.post(url, _answers(action="send"))
    first_return.refresh_from_db()
    assert (first_return.status, first_return.submitted_date) == (ReturnStatus.SUBMITTED, today)

    client.force_login(officer)
    page = client.get(url).content.decode()
    assert "Fewer children went hungry." in page
    assert "Accept" in page
    assert "Ask questions" in page
    client.post(url, {"text": "How many were new families?", "action": "questions"})
    first_return.refresh_from_db()
    assert first_return.status == ReturnStatus.QUESTIONS

    client.force_login(vcs_member)
    page = client.get(url).content.decode()
    assert "How many were new families?" in page
    assert "Send the reply" in page
    client.post(url, _answers(reply="90 of them were new to us.", action="reply"))
    first_return.refresh_from_db()
    assert first_return.status == ReturnStatus.SUBMITTED
    assert first_return.submitted_date == today  # the day it was first sent stays

    client.force_login(officer)
    client.post(url, {"text": "Thank you.", "action": "accept"})
    first_return.refresh_from_db()
    assert first_return.status == ReturnStatus.ACCEPTED
    assert list(first_return.messages.values_list("kind", flat=True)) == [
        MessageKind.SUBMITTED,
        MessageKind.QUESTIONS,
        MessageKind.REPLY,
        MessageKind.ACCEPTED,
    ]
    # Both sides see the whole exchange.
    for person in (officer, vcs_member):
        client.force_login(person)
        page = client.get(url).content.decode()
        for said in ("How many were new families?", "90 of them were new to us.", "Thank you."):
            assert said in page


def test_a_return_sent_with_a_question_unanswered_comes_back_with_what_was_typed(client_for, first_return):
    response = client_for("vcs_member").post(first_return.get_absolute_url(), _answers(second="  ", action="send"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Answer this question before sending, or save a draft for now." in page
    assert "We reached 240 families." in page
    first_return.refresh_from_db()
    assert first_return.status == ReturnStatus.DUE


def test_questions_need_words(client, first_return, officer, vcs_member):
    client.force_login(vcs_member)
    client.post(first_return.get_absolute_url(), _answers(action="send"))
    client.force_login(officer)

    response = client.post(first_return.get_absolute_url(), {"text": "", "action": "questions"})

    assert "Write the questions you would like the organisation to answer." in response.content.decode()
    first_return.refresh_from_db()
    assert first_return.status == ReturnStatus.SUBMITTED


@pytest.mark.parametrize(
    ("person", "action", "status"),
    [
        ("officer", "send", 403),  # the funder does not make the organisation's return
        ("vcs_member", "accept", 403),  # nor does the organisation accept it
        ("vcs_member", "questions", 403),
        ("vcs_member", "something-else", 403),
        ("administrator", "send", 403),  # administrators see, and do not act
        ("outsider", "send", 404),
    ],
)
def test_steps_not_open_to_the_person_are_refused(client_for, first_return, person, action, status):
    response = client_for(person).post(first_return.get_absolute_url(), _answers(action=action))

    assert response.status_code == status
    first_return.refresh_from_db()
    assert first_return.status == ReturnStatus.DUE


def test_a_step_sent_twice_changes_nothing_the_second_time(client, first_return, vcs_member):
    client.force_login(vcs_member)
    client.post(first_return.get_absolute_url(), _answers(action="send"))

    again = client.post(first_return.get_absolute_url(), _answers(action="send"), follow=True)
    reply = client.post(first_return.get_absolute_url(), _answers(action="reply", reply="Hello"), follow=True)

    for response in (again, reply):
        assert response.status_code == 200
        assert "Nothing was changed: this return is now “Sent, awaiting the funder&#x27;s review”." in (
            response.content.decode()
        )
    assert first_return.messages.count() == 1


def test_the_officer_may_accept_while_questions_wait_but_not_ask_again(client, first_return, vcs_member, officer):
    client.force_login(vcs_member)
    client.post(first_return.get_absolute_url(), _answers(action="send"))
    client.force_login(officer)
    client.post(first_return.get_absolute_url(), {"text": "How many were new?", "action": "questions"})

    page = client.get(first_return.get_absolute_url()).content.decode()
    assert "Your questions wait for the organisation's reply." in page
    assert 'value="questions"' not in page
    client.post(first_return.get_absolute_url(), {"text": "Settled by phone.", "action": "accept"})
    first_return.refresh_from_db()
    assert first_return.status == ReturnStatus.ACCEPTED


def test_files_go_with_the_return_and_only_its_people_download_them(client, first_return, vcs_member, outsider):
    client.force_login(vcs_member)
    upload = SimpleUploadedFile("figures.pdf", PDF, content_type="application/pdf")

    client.post(first_return.get_absolute_url(), _answers(action="send", files=[upload]))

    document = first_return.documents.get()
    url = reverse("funding:return_document", args=[first_return.pk, document.pk])
    assert url in client.get(first_return.get_absolute_url()).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_a_draft_and_its_files_stay_the_organisations_own_until_it_is_sent(
    client, first_return, vcs_member, officer, administrator
):
    url = first_return.get_absolute_url()
    client.force_login(vcs_member)
    upload = SimpleUploadedFile("figures.pdf", PDF, content_type="application/pdf")
    client.post(url, _answers(action="save", files=[upload]))
    document = first_return.documents.get()
    download = reverse("funding:return_document", args=[first_return.pk, document.pk])
    assert client.get(download).status_code == 200  # the organisation's own draft

    for person in (officer, administrator):
        client.force_login(person)
        page = client.get(url).content.decode()
        assert "The organisation has not sent this return yet" in page
        assert "We reached 240 families." not in page
        assert download not in page
        assert client.get(download).status_code == 404

    client.force_login(vcs_member)
    client.post(url, _answers(action="send"))
    client.force_login(officer)
    page = client.get(url).content.decode()
    assert "We reached 240 families." in page
    assert download in page
    assert client.get(download).status_code == 200


def test_a_file_that_is_not_safe_is_refused_with_the_answers_kept(client_for, first_return):
    upload = SimpleUploadedFile("figures.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")

    response = client_for("vcs_member").post(first_return.get_absolute_url(), _answers(action="send", files=[upload]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "We reached 240 families." in page
    first_return.refresh_from_db()
    assert first_return.status == ReturnStatus.DUE


# --- The list of returns ------------------------------------------------------------------------------------------


def test_the_list_shows_each_side_its_own_returns_filtered_and_sorted(client_for, plan, compact, charity):
    other = MonitoringPlanFactory(relationship=AwardedFundingFactory(compact=compact, reference="NOT-YOURS"))
    theirs = other.returns.first().get_absolute_url()
    returns = list(plan.returns.order_by("due_date"))

    for person in ("vcs_member", "officer"):
        page = client_for(person).get(reverse("funding:return_list")).content.decode()
        assert "6 monitoring returns" in page
        assert theirs not in page
        assert page.index(returns[0].get_absolute_url()) < page.index(returns[1].get_absolute_url())

    page = client_for("officer").get(reverse("funding:return_list"), {"sort": "-due"}).content.decode()
    assert page.index(returns[1].get_absolute_url()) < page.index(returns[0].get_absolute_url())
    page = client_for("officer").get(reverse("funding:return_list"), {"status": "accepted"}).content.decode()
    assert "0 monitoring returns" in page


def test_waiting_narrows_to_what_each_side_has_to_do(client, first_return, officer, vcs_member):
    url = reverse("funding:return_list")
    client.force_login(vcs_member)
    assert "6 monitoring returns" in client.get(url, {"waiting": "on"}).content.decode()
    client.post(first_return.get_absolute_url(), _answers(action="send"))

    client.force_login(officer)
    page = client.get(url, {"waiting": "on"}).content.decode()
    assert "1 monitoring return<" in page
    assert first_return.get_absolute_url() in page


@pytest.mark.parametrize("person", ["officer", "vcs_member"])
def test_the_returns_list_has_a_query_budget(
    client_for, compact, council, charity, person, django_assert_max_num_queries
):
    client = client_for(person)
    client.get(reverse("funding:return_list"))  # what is kept on the user after the first request

    def queries_for_the_list() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("funding:return_list")).status_code == 200
        return len(captured)

    MonitoringPlanFactory(
        relationship=AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="Q-0")
    )
    few = queries_for_the_list()
    for number in range(1, 9):
        MonitoringPlanFactory(
            relationship=AwardedFundingFactory(
                compact=compact, funder=council, recipient=charity, reference=f"Q-{number}", amount=Decimal("150000")
            ),
            returns_per_year=4,
        )
    with django_assert_max_num_queries(few):
        response = client.get(reverse("funding:return_list"))
    assert response.status_code == 200
    assert few <= 12


# --- Significant changes (17.4) --------------------------------------------------------------------------------------


def test_a_significant_change_goes_on_the_story_of_each_funding_ticked(client, funding, compact, council, charity,
                                                                       vcs_member, officer):  # fmt: skip
    other_funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-OTHER")
    client.force_login(vcs_member)
    url = reverse("funding:significant_change_create", args=[charity.slug])
    assert (
        "Tell your funders about a significant change"
        in client.get(reverse("funding:recipient_overview", args=[charity.slug])).content.decode()
    )
    form = client.get(url)
    key = form.context["form"].initial["submission_key"]
    data = {
        "kind": "finances",
        "description": "Our main donor has withdrawn.",
        "relationships": [funding.pk],
        "submission_key": key,
    }

    response = client.post(url, data)

    assert response.status_code == 302
    change = SignificantChange.objects.get()
    assert (change.kind, list(change.relationships.all()), change.told_by) == ("finances", [funding], vcs_member)
    client.force_login(officer)
    assert "Our main donor has withdrawn." in client.get(funding.get_absolute_url()).content.decode()
    assert "Our main donor has withdrawn." not in client.get(other_funding.get_absolute_url()).content.decode()

    # The same form sent again (the key kept) adds nothing.
    client.force_login(vcs_member)
    again = client.post(url, data, follow=True)
    assert SignificantChange.objects.count() == 1
    assert ALREADY_RECORDED in again.content.decode()


def test_a_significant_change_needs_a_funder_and_words(client_for, funding, charity):
    response = client_for("vcs_member").post(
        reverse("funding:significant_change_create", args=[charity.slug]), {"kind": "management", "description": ""}
    )

    page = response.content.decode()
    assert "Tick at least one funder to tell." in page
    assert "Describe what has changed." in page
    assert not SignificantChange.objects.exists()


def test_another_organisations_funding_cannot_be_ticked(client_for, funding, compact, charity):
    theirs = AwardedFundingFactory(compact=compact, reference="NOT-YOURS")

    response = client_for("vcs_member").post(
        reverse("funding:significant_change_create", args=[charity.slug]),
        {"kind": "management", "description": "A new chair.", "relationships": [theirs.pk]},
    )

    assert response.status_code == 200
    assert "NOT-YOURS" not in response.content.decode()
    assert not SignificantChange.objects.exists()


# --- Improvement timetables (12.7) and notices for performance ------------------------------------------------------


def _timetable_data(today, **changes):
    data = {
        "problems": "Sessions were cancelled for lack of volunteers.",
        "agreed_on": (today - datetime.timedelta(days=10)).isoformat(),
        "review_on": (today + datetime.timedelta(days=50)).isoformat(),
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "20",
        "actions-0-action": "Recruit four volunteers",
        "actions-0-due_on": (today + datetime.timedelta(days=30)).isoformat(),
        "actions-1-action": "",
        "actions-1-due_on": "",
        "actions-2-action": "",
        "actions-2-due_on": "",
    }
    return data | changes


def test_an_improvement_timetable_is_agreed_once_and_shown(client_for, funding, today):
    client = client_for("officer")
    url = reverse("funding:timetable_create", args=[funding.pk])
    key = client.get(url).context["form"].initial["submission_key"]
    data = _timetable_data(today, submission_key=key)

    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # sent twice: one timetable

    timetable = ImprovementTimetable.objects.get()
    assert [(a.action, a.done_on) for a in timetable.actions.all()] == [("Recruit four volunteers", None)]
    page = client.get(funding.get_absolute_url()).content.decode()
    assert "Improvement timetable agreed: 1 action" in page
    assert "Recruit four volunteers" in page

    action = timetable.actions.get()
    client.post(reverse("funding:improvement_action_done", args=[action.pk]))
    action.refresh_from_db()
    assert action.done_on == today


def test_a_timetable_without_actions_or_with_a_review_before_it_is_refused(client_for, funding, today):
    data = _timetable_data(
        today,
        **{"actions-0-action": "", "actions-0-due_on": ""},
        review_on=(today - datetime.timedelta(days=20)).isoformat(),
    )

    response = client_for("officer").post(reverse("funding:timetable_create", args=[funding.pk]), data)

    page = response.content.decode()
    assert "Add at least one action, with the day it is due by." in page
    assert "The review cannot come before the timetable is agreed." in page
    assert "Sessions were cancelled for lack of volunteers." in page
    assert not ImprovementTimetable.objects.exists()


def test_only_the_funders_officers_mark_an_action_done(client_for, funding):
    action = ImprovementTimetableFactory(relationship=funding).actions.get()
    url = reverse("funding:improvement_action_done", args=[action.pk])

    assert client_for("vcs_member").post(url).status_code == 403
    assert client_for("officer").get(url).status_code == 405
    action.refresh_from_db()
    assert action.done_on is None


def _notice_data(today, **changes):
    return {
        "kind": "end",
        "notice_date": today.isoformat(),
        "effective_date": (today + datetime.timedelta(days=200)).isoformat(),
        "rationale": "The project has not run its sessions.",
        "for_performance": "on",
    } | changes


def test_a_notice_for_performance_without_a_timetable_is_recorded_with_a_warning(client_for, funding, today):
    page = client_for("officer").get(reverse("funding:notice_create", args=[funding.pk])).content.decode()
    assert "For performance reasons" in page

    response = client_for("officer").post(
        reverse("funding:notice_create", args=[funding.pk]), _notice_data(today), follow=True
    )

    page = response.content.decode()
    assert Notice.objects.get().for_performance
    assert "No improvement timetable was agreed with the organisation on or before" in page


def test_a_notice_for_performance_after_a_timetable_has_no_warning(client_for, funding, today):
    ImprovementTimetableFactory(relationship=funding, agreed_on=today - datetime.timedelta(days=60),
                                review_on=today - datetime.timedelta(days=5))  # fmt: skip

    response = client_for("officer").post(
        reverse("funding:notice_create", args=[funding.pk]), _notice_data(today), follow=True
    )

    assert Notice.objects.get().for_performance
    assert "No improvement timetable was agreed" not in response.content.decode()


# --- Templates (12.5) --------------------------------------------------------------------------------------------


def test_an_officer_adds_a_template_once_and_edits_it(client_for, compact):
    client = client_for("officer")
    url = reverse("funding:template_create")
    key = client.get(url).context["form"].initial["submission_key"]
    data = {
        "compact": compact.pk,
        "name": "Large grants",
        "questions": QUESTIONS,
        "purpose": "For the annual report.",
        "service_user_views": "on",
        "submission_key": key,
    }

    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    template = MonitoringTemplate.objects.get()
    assert template.question_list == [FIRST, SECOND]

    response = client.post(
        reverse("funding:template_edit", args=[template.pk]),
        {"name": "Large grants", "questions": "", "purpose": "For the annual report."},
    )
    assert "Give at least one question, one per line." in response.content.decode()
    client.post(
        reverse("funding:template_edit", args=[template.pk]),
        {"name": "Large grants", "questions": FIRST, "purpose": "For the annual report."},
    )
    template.refresh_from_db()
    assert (template.question_list, template.service_user_views) == ([FIRST], False)


def test_the_navigation_leads_officers_and_members_to_their_returns(client_for):
    for person in ("officer", "vcs_member"):
        assert reverse("funding:return_list") in client_for(person).get(reverse("home")).content.decode()
    assert reverse("funding:return_list") not in client_for("champion").get(reverse("home")).content.decode()


def test_no_return_exists_for_a_plan_made_after_its_due_date(first_return):
    assert MonitoringReturn.objects.filter(plan=first_return.plan).count() == 6


def test_on_the_returns_list_the_navigation_marks_only_monitoring_returns_current(client_for):
    page = client_for("officer").get(reverse("funding:return_list")).content.decode()

    current = re.findall(r'<a class="nav-link active" href="([^"]+)" aria-current="page">', page)
    assert current == [reverse("funding:return_list")]
