"""The consultation pages: the register, each public page, responding, managing, and who may see what.

Dates are built from ``timezone.localdate()``, which the views use; the clock is never mocked.
"""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape

from compact_portal.accounts.roles import Role
from compact_portal.uploads import validate_upload
from consultations import services
from consultations.models import Consultation, ConsultationDocument, DateChange, PublicationStatus, Response
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory
from tests.consultations.conftest import PDF, elf_upload, pdf_upload
from tests.consultations.factories import ConsultationFactory, closed_consultation, open_consultation, policy_area

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _url(name, *args):
    return reverse(f"consultations:{name}", args=args)


# The factory's compact carries no catalogue: each promise is the portal's default (test_citations.py has compacts
# that state them).
DEFAULT = escape("the portal's default (this compact states no such rule)")


def _page(response) -> str:
    return response.content.decode()


def _respond_form(**overrides):
    data = {
        "text": "We support option B.",
        "represents": "members",
        "how_gathered": "A survey.",
        "may_publish": "on",
        "action": "draft",
    }
    return {key: value for key, value in (data | overrides).items() if value is not None}


def _response(consultation, organisation, *, today, text, submit=True, may_publish=True, attachments=()):
    """A response saved through the service on a day the consultation was open."""
    for upload in attachments:
        upload.sniffed = validate_upload(upload)
    return services.response_save(
        consultation=consultation,
        organisation=organisation,
        actor=None,
        today=today,
        text=text,
        represents="own",
        how_gathered='=HYPERLINK("http://evil.example")',
        may_publish=may_publish,
        submit=submit,
        attachments=list(attachments),
    )


@pytest.fixture
def other_officer(db):
    """An officer of another public body."""
    return MembershipFactory(organisation=PublicBodyFactory(name="Havant Borough Council"), role=Role.OFFICER).user


@pytest.fixture
def confidential(open_one, charity, today):
    """The VCS member's organisation submitted a confidential response, with an attachment."""
    return _response(
        open_one,
        charity,
        today=today,
        text="Confidential: our funding is at risk.",
        may_publish=False,
        attachments=[pdf_upload("private.pdf")],
    )


# --- The register ------------------------------------------------------------------------------------------------


@pytest.fixture
def register_rows(compact, council, today):
    havant_compact = CompactFactory(name="Havant Compact")
    havant = PublicBodyFactory(name="Havant Borough Council")
    open_consultation(today=today, compact=compact, body=council, title="Library services review")
    ConsultationFactory(
        compact=havant_compact,
        body=havant,
        title="Bus lanes on the A27",
        summary="Space for buses and cycling.",
        policy_area=policy_area("transport"),
        announced_date=today,
        open_date=today + 10 * DAY,
        close_date=today + 100 * DAY,
        publish=True,
    )
    closed_consultation(today=today, compact=compact, body=council, title="Parks strategy")
    ConsultationFactory(compact=compact, body=council, title="Secret draft")


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        pytest.param({}, {"Library services review", "Bus lanes on the A27", "Parks strategy"}, id="all-published"),
        pytest.param({"body": "portsmouth-city-council"}, {"Library services review", "Parks strategy"}, id="body"),
        pytest.param({"policy_area": "transport"}, {"Bus lanes on the A27"}, id="policy-area"),
        pytest.param({"status": "open"}, {"Library services review"}, id="open"),
        pytest.param({"status": "forthcoming"}, {"Bus lanes on the A27"}, id="forthcoming"),
        pytest.param({"status": "closed"}, {"Parks strategy"}, id="closed"),
        pytest.param({"compact": "havant-compact"}, {"Bus lanes on the A27"}, id="compact"),
        pytest.param({"q": "CYCLING"}, {"Bus lanes on the A27"}, id="words-in-the-summary"),
        pytest.param({"q": "library"}, {"Library services review"}, id="words-in-the-title"),
    ],
)
def test_the_register_filters(client, register_rows, params, shown):
    page = _page(client.get(_url("register"), params))

    titles = {"Library services review", "Bus lanes on the A27", "Parks strategy", "Secret draft"}
    assert {title for title in titles if title in page} == shown
    assert f"{len(shown)} consultation" in page


def test_the_register_shows_each_consultations_status(client, register_rows):
    page = _page(client.get(_url("register"), {"sort": "title"}))

    rows = page.split("<tbody>")[1].split("</tr>")
    assert "Bus lanes on the A27" in rows[0]
    assert "Forthcoming" in rows[0]
    assert "Library services review" in rows[1]
    assert "Open" in rows[1]
    assert "Parks strategy" in rows[2]
    assert "Closed" in rows[2]


def test_the_register_is_paged_and_keeps_its_filters(client, compact, council, today):
    for number in range(25):
        open_consultation(today=today, compact=compact, body=council, title=f"Consultation {number:02}")

    first = _page(client.get(_url("register"), {"q": "Consultation"}))
    second = _page(client.get(_url("register"), {"q": "Consultation", "page": 2}))

    assert "Consultation 19" in first
    assert "Consultation 20" not in first
    assert "Consultation 20" in second
    assert "Consultation 19" not in second
    assert "Page 1 of 2" in first
    assert 'href="?q=Consultation&amp;page=2"' in first
    assert "25 consultations" in second


def test_a_short_consultation_is_flagged_on_the_register(client, compact, council, today):
    ConsultationFactory(
        compact=compact,
        body=council,
        title="Quick one",
        open_date=today,
        close_date=today + 27 * DAY,
        shorter_explanation="A government deadline.",
        publish=True,
    )
    open_consultation(today=today, compact=compact, body=council, title="Twelve weeks or more")

    page = _page(client.get(_url("register")))

    assert page.count("shorter than 12 weeks") == 1
    assert page.index("Quick one") < page.index("shorter than 12 weeks") < page.index("Twelve weeks or more")


def test_the_register_has_a_query_budget_that_does_not_grow(client_for, today, django_assert_max_num_queries):
    # Each consultation has its own body and compact, and the areas vary: no per-row queries allowed.
    areas = ["transport", "health-and-wellbeing", "housing-and-homelessness"]
    client = client_for("vcs_member")
    open_consultation(today=today, title="Row 0")
    with CaptureQueriesContext(connection) as one_row:
        client.get(_url("register"))

    for number in range(1, 25):
        open_consultation(today=today, title=f"Row {number}", policy_area=policy_area(areas[number % 3]))
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        response = client.get(_url("register"))

    assert (
        len(one_row.captured_queries) <= 10
    )  # two of them the compacts and the bodies whose calendars and feeds it links
    assert _page(response).count("<tr>") == 21  # a header and a page of 20 rows


# --- A consultation's public page --------------------------------------------------------------------------------


def test_an_open_consultations_page_shows_its_dates_and_countdown(client, open_one, today):
    page = _page(client.get(open_one.get_absolute_url()))

    assert f"Open from <strong>{date_format(open_one.open_date)}</strong>" in page
    assert f"to <strong>{date_format(open_one.close_date)}</strong> (91 days, at least the 12 weeks of" in page
    assert "61 days left</strong> to respond." in page  # today and the close day both count


def test_on_the_last_day_the_page_says_so(client, compact, council, today):
    consultation = ConsultationFactory(
        compact=compact, body=council, open_date=today - 83 * DAY, close_date=today, publish=True
    )

    assert "1 day left</strong> to respond: today is the last day" in _page(client.get(consultation.get_absolute_url()))


def test_a_public_visitor_is_asked_to_sign_in_to_respond(client, open_one):
    page = _page(client.get(open_one.get_absolute_url()))

    assert "Sign in to respond" in page
    assert f'href="{reverse("login")}?next={_url("respond", open_one.pk)}"' in page
    assert _url("edit", open_one.pk) not in page  # and no management links


def test_a_forthcoming_consultation_cannot_be_responded_to_yet(client, compact, council, today):
    consultation = ConsultationFactory(
        compact=compact,
        body=council,
        announced_date=today - DAY,
        open_date=today + 14 * DAY,
        close_date=today + 100 * DAY,
        publish=True,
    )

    page = _page(client.get(consultation.get_absolute_url()))

    assert "Opens in 2\xa0weeks" in page
    assert "Sign in to respond" not in page
    assert "days left" not in page


@pytest.mark.parametrize(
    ("announced", "breach"),
    [
        pytest.param(None, f"Not announced before it opened, as {DEFAULT} asks.", id="never-announced"),
        pytest.param(0, f", not before it opened as {DEFAULT} asks", id="announced-on-the-open-day"),
        pytest.param(5, f", not before it opened as {DEFAULT} asks", id="announced-after-it-opened"),
        pytest.param(-1, None, id="announced-the-day-before"),
    ],
)
def test_a_late_or_missing_announcement_shows_as_a_breach_of_3_2(client, compact, council, today, announced, breach):
    opens = today - 10 * DAY
    consultation = ConsultationFactory(
        compact=compact,
        body=council,
        announced_date=None if announced is None else opens + announced * DAY,
        open_date=opens,
        close_date=opens + 83 * DAY,
        publish=True,
    )

    page = _page(client.get(consultation.get_absolute_url()))

    if breach:
        assert breach in page
    else:
        assert f"Announced {date_format(opens - DAY)}." in page
        assert "before it opened" not in page


def test_a_shorter_consultation_shows_its_explanation_publicly(client, compact, council, today):
    consultation = ConsultationFactory(
        compact=compact,
        body=council,
        open_date=today,
        close_date=today + 27 * DAY,
        shorter_explanation="The government set a deadline of 1 June.",
        publish=True,
    )

    page = _page(client.get(consultation.get_absolute_url()))

    assert f"Shorter than the 12 weeks of {DEFAULT}." in page
    assert "The government set a deadline of 1 June." in page


@pytest.mark.parametrize(
    ("closed_days_ago", "shown", "not_shown"),
    [
        pytest.param(None, "Feedback on what changed will be published by", "Feedback due", id="still-open"),
        pytest.param(1, "Feedback due</strong> by", "overdue", id="closed-yesterday"),
        pytest.param(84, "Feedback due</strong> by", "overdue", id="due-day"),
        pytest.param(85, "Feedback overdue:", "Feedback due<", id="a-day-overdue"),
    ],
)
def test_the_page_says_when_feedback_is_due_or_overdue(
    client, compact, council, today, closed_days_ago, shown, not_shown
):
    if closed_days_ago is None:
        consultation = open_consultation(today=today, compact=compact, body=council)
    else:
        closes = today - closed_days_ago * DAY
        consultation = ConsultationFactory(
            compact=compact, body=council, open_date=closes - 83 * DAY, close_date=closes, publish=True
        )

    page = _page(client.get(consultation.get_absolute_url()))

    assert shown in page
    assert not_shown not in page
    assert date_format(consultation.feedback_due) in page
    assert consultation.feedback_due == consultation.close_date + datetime.timedelta(weeks=12)


@pytest.fixture
def with_feedback(closed_one, charity, other_charity, today):
    """Closed with three submitted responses; the body published feedback with the publishable one."""
    during = today - 10 * DAY
    shown = _response(
        closed_one,
        charity,
        today=during,
        text="Open the libraries on Saturdays.",
        attachments=[pdf_upload("evidence.pdf")],
    )
    _response(closed_one, other_charity, today=during, text="Confidential: our funding is at risk.", may_publish=False)
    _response(closed_one, OrganisationFactory(name="Quiet Trust"), today=during, text="Not chosen for publication.")
    services.feedback_publish(
        consultation=closed_one,
        actor=None,
        today=today,
        summary_of_responses="People asked for longer hours.",
        what_changed="Saturday opening from June.",
        what_did_not_change="Sunday opening: no budget.",
        publish_response_ids=[shown.pk],
    )
    return shown


@pytest.mark.parametrize("person", ["anonymous", "vcs_member", "outsider"])
def test_published_feedback_shows_with_the_chosen_responses_and_never_confidential_ones(
    client, request, closed_one, with_feedback, person
):
    if person != "anonymous":
        client.force_login(request.getfixturevalue(person))

    page = _page(client.get(closed_one.get_absolute_url()))

    assert "Saturday opening from June." in page
    assert "Sunday opening: no budget." in page
    assert "Open the libraries on Saturdays." in page
    assert _url("attachment_download", with_feedback.attachments.get().pk) in page
    assert "Confidential: our funding is at risk." not in page  # the outsider's organisation's, even to it
    assert "Not chosen for publication." not in page
    assert "Feedback due" not in page


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("anonymous", 404),
        ("vcs_member", 404),
        ("outsider", 404),
        ("panel_member", 404),
        ("champion", 404),  # the champion role without being the compact's champion
        ("other_officer", 404),
        ("officer", 200),
        ("compact_champion", 200),
        ("administrator", 200),
    ],
)
def test_a_draft_is_seen_only_by_its_body_champions_and_administrators(client, request, draft, person, status):
    if person == "compact_champion":
        request.getfixturevalue("championed")
        person = "champion"
    if person != "anonymous":
        client.force_login(request.getfixturevalue(person))

    response = client.get(draft.get_absolute_url())

    assert response.status_code == status
    if status == 200:
        assert "This is a draft" in _page(response)


def test_a_consultation_page_has_a_query_budget(
    client_for, closed_one, with_feedback, today, django_assert_max_num_queries
):
    client = client_for("officer")
    with CaptureQueriesContext(connection) as one_response:
        client.get(closed_one.get_absolute_url())

    for number in range(10):
        response = _response(
            closed_one,
            OrganisationFactory(),
            today=today - 20 * DAY,
            text=f"Response {number}",
            attachments=[pdf_upload()],
        )
        Response.objects.filter(pk=response.pk).update(published=True)
        services.document_add(consultation=closed_one, actor=None, title=f"Link {number}", link="https://x.org/d")
    with django_assert_max_num_queries(len(one_response.captured_queries)):
        response = client.get(closed_one.get_absolute_url())

    assert len(one_response.captured_queries) <= 14  # one of them reads the compact's clauses, to cite its own
    page = _page(response)
    assert page.count('aria-label="Response from') == 11
    assert page.count("https://x.org/d") == 10


# --- Documents ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "person", "status"),
    [
        ("open_one", "anonymous", 200),
        ("draft", "anonymous", 404),
        ("draft", "outsider", 404),
        ("draft", "officer", 200),
    ],
)
def test_a_document_downloads_for_whoever_may_see_the_consultation(client, request, fixture, person, status):
    upload = pdf_upload("consultation paper.pdf")
    upload.sniffed = validate_upload(upload)
    document = services.document_add(
        consultation=request.getfixturevalue(fixture), actor=None, title="Paper", upload=upload
    )
    if person != "anonymous":
        client.force_login(request.getfixturevalue(person))

    response = client.get(_url("document_download", document.pk))

    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="consultation paper.pdf"'


# --- Responding --------------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_to_respond(client, open_one):
    response = client.get(_url("respond", open_one.pk))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={_url('respond', open_one.pk)}"


@pytest.mark.parametrize("person", ["officer", "champion", "panel_member", "person_without_roles"])
def test_only_vcs_members_respond(client_for, open_one, person):
    assert client_for(person).get(_url("respond", open_one.pk)).status_code == 403


def test_a_draft_consultation_cannot_be_responded_to(client_for, draft):
    assert client_for("vcs_member").get(_url("respond", draft.pk)).status_code == 404


def test_a_response_is_drafted_then_edited_then_submitted(client_for, open_one, charity):
    client = client_for("vcs_member")

    saved = client.post(_url("respond", open_one.pk), _respond_form(text="First thoughts."), follow=True)
    assert "Your draft is saved" in _page(saved)
    draft = Response.objects.get()
    assert (draft.organisation, draft.status, draft.text) == (charity, "draft", "First thoughts.")

    submitted = client.post(
        _url("respond", open_one.pk), _respond_form(text="Final.", may_publish=None, action="submit"), follow=True
    )

    assert f"You can change it until {date_format(open_one.close_date)}" in _page(submitted)
    response = Response.objects.get()
    assert (response.pk, response.status, response.text) == (draft.pk, "submitted", "Final.")
    assert response.represents == "members"
    assert response.may_publish is False  # unticked: confidential


def test_submitting_an_empty_response_is_refused_on_the_form(client_for, open_one):
    response = client_for("vcs_member").post(_url("respond", open_one.pk), _respond_form(text="", action="submit"))

    assert response.status_code == 200
    assert "Write your response before you submit it." in _page(response)
    assert not Response.objects.exists()


def test_a_member_sees_and_edits_only_its_own_organisations_response(
    client_for, open_one, charity, other_charity, today
):
    theirs = _response(open_one, other_charity, today=today, text="Fratton's own view.", submit=False)
    client = client_for("vcs_member")

    page = _page(client.get(_url("respond", open_one.pk), {"for": other_charity.slug}))
    client.post(_url("respond", open_one.pk), _respond_form(text="Southsea's view.", **{"for": other_charity.slug}))

    assert "Fratton&#x27;s own view." not in page
    assert f"Respond for {charity.name}" in page
    theirs.refresh_from_db()
    assert theirs.text == "Fratton's own view."
    assert Response.objects.get(organisation=charity).text == "Southsea's view."


def test_after_close_the_response_is_read_only_and_late_ones_are_refused(client_for, closed_one, charity, today):
    _response(closed_one, charity, today=today - 5 * DAY, text="Sent in time.", submit=False)
    client = client_for("vcs_member")

    page = _page(client.get(_url("respond", closed_one.pk)))
    assert "Responses are no longer accepted" in page
    assert "Sent in time." in page
    assert "Save as draft" not in page
    assert 'name="action"' not in page

    late = client.post(_url("respond", closed_one.pk), _respond_form(text="Too late.", action="submit"), follow=True)

    assert (
        f"This consultation closed on {date_format(closed_one.close_date)}, so responses are no longer accepted."
        in _page(late)
    )
    response = Response.objects.get()
    assert (response.text, response.status) == ("Sent in time.", "draft")


def test_a_response_to_a_forthcoming_consultation_is_refused(client_for, compact, council, today):
    consultation = ConsultationFactory(
        compact=compact, body=council, open_date=today + DAY, close_date=today + 90 * DAY, publish=True
    )

    refused = client_for("vcs_member").post(_url("respond", consultation.pk), _respond_form(), follow=True)

    assert "This consultation is not open yet." in _page(refused)
    assert not Response.objects.exists()


def test_a_response_can_carry_a_real_pdf(client_for, open_one, media_root):
    client = client_for("vcs_member")

    client.post(_url("respond", open_one.pk), _respond_form(attachments=[pdf_upload("our evidence.pdf")]))

    attachment = Response.objects.get().attachments.get()
    assert attachment.original_name == "our evidence.pdf"
    assert (media_root / attachment.file.name).read_bytes() == PDF
    page = _page(client.get(_url("respond", open_one.pk)))
    assert _url("attachment_download", attachment.pk) in page


def test_a_renamed_executable_is_refused_as_a_response_attachment(client_for, open_one, media_root):
    response = client_for("vcs_member").post(
        _url("respond", open_one.pk), _respond_form(attachments=[pdf_upload("good.pdf"), elf_upload("minutes.pdf")])
    )

    assert response.status_code == 200
    assert "“minutes.pdf” is not a PDF, Word, OpenDocument, plain-text or image file" in _page(response)
    assert not Response.objects.exists()
    assert not any(path.is_file() for path in media_root.rglob("*"))


def test_only_the_responding_organisation_removes_an_attachment(client, open_one, vcs_member, outsider, charity, today):
    response = _response(open_one, charity, today=today, text="Ours.", attachments=[pdf_upload()])
    attachment = response.attachments.get()

    client.force_login(outsider)
    assert client.post(_url("attachment_remove", attachment.pk)).status_code == 404
    client.force_login(vcs_member)
    removed = client.post(_url("attachment_remove", attachment.pk))

    assert removed["Location"] == _url("respond", open_one.pk)
    assert not response.attachments.exists()


def test_your_responses_lists_only_your_organisations(client_for, open_one, closed_one, charity, other_charity, today):
    _response(open_one, charity, today=today, text="Ours.", submit=False)
    _response(closed_one, other_charity, today=today - 5 * DAY, text="Theirs.")

    page = _page(client_for("vcs_member").get(_url("my_responses")))

    assert "Library services review" in page
    assert "<td>Draft</td>" in page
    assert "Parks strategy" not in page
    assert "1 response" in page
    assert client_for("officer").get(_url("my_responses")).status_code == 403


# --- Confidential attachments ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("vcs_member", 200),  # its own organisation's response
        ("officer", 200),
        ("compact_champion", 200),
        ("outsider", 404),
        ("administrator", 404),  # confidential means the body and champions only (3.8, 4.5)
        ("panel_member", 404),
        ("champion", 404),  # not the compact's champion
        ("other_officer", 404),
        ("person_without_roles", 404),
    ],
)
def test_a_confidential_attachment_is_for_the_body_and_its_own_organisation(
    client, request, confidential, person, status
):
    if person == "compact_champion":
        request.getfixturevalue("championed")
        person = "champion"
    client.force_login(request.getfixturevalue(person))

    response = client.get(_url("attachment_download", confidential.attachments.get().pk))

    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["Cache-Control"] == "private"


def test_the_public_gets_404_for_a_confidential_attachment(client, confidential):
    assert client.get(_url("attachment_download", confidential.attachments.get().pk)).status_code == 404


def test_the_public_downloads_a_published_responses_attachment(client, with_feedback):
    assert client.get(_url("attachment_download", with_feedback.attachments.get().pk)).status_code == 200


def test_the_body_does_not_see_a_draft_responses_attachment(client_for, open_one, charity, today):
    draft = _response(open_one, charity, today=today, text="Unfinished.", submit=False, attachments=[pdf_upload()])

    assert client_for("officer").get(_url("attachment_download", draft.attachments.get().pk)).status_code == 404


# --- Managing: who may ---------------------------------------------------------------------------------------------

MANAGE_PAGES = ["edit", "extend", "document_add", "responses", "responses_csv", "feedback"]


@pytest.mark.parametrize("name", MANAGE_PAGES)
def test_another_bodys_officer_gets_404_on_the_manage_pages(client, open_one, other_officer, name):
    client.force_login(other_officer)

    assert client.get(_url(name, open_one.pk)).status_code == 404


def test_another_bodys_officer_cannot_publish(client, draft, other_officer):
    client.force_login(other_officer)

    assert client.post(_url("publish", draft.pk)).status_code == 404
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.DRAFT


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("anonymous", 302),
        ("vcs_member", 403),
        ("champion", 403),
        ("panel_member", 403),
        ("administrator", 403),
        ("person_without_roles", 403),
    ],
)
def test_only_officers_reach_the_body_pages(client, request, draft, championed, person, status):
    # The compact's champion reads the responses but does not run the consultation.
    if person != "anonymous":
        client.force_login(request.getfixturevalue(person))

    for name in ["edit", "extend", "document_add", "feedback"]:
        assert client.get(_url(name, draft.pk)).status_code == status, name
    assert client.get(_url("manage")).status_code == status
    assert client.get(_url("create")).status_code == status
    assert client.post(_url("publish", draft.pk)).status_code == status
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.DRAFT


def test_the_manage_list_shows_only_the_officers_bodys_consultations(client_for, open_one, draft, today):
    open_consultation(today=today, title="Another body's consultation")

    page = _page(client_for("officer").get(_url("manage")))

    assert "Library services review" in page
    assert "Draft waste strategy" in page
    assert "Another body&#x27;s consultation" not in page
    assert "2 consultations, drafts included" in page


# --- Managing: create, edit, publish, extend, documents ---------------------------------------------------------------


def _consultation_form(compact, council, today, **overrides):
    data = {
        "compact": compact.pk,
        "body": council.pk,
        "title": "Youth services review",
        "summary": "Which youth services matter most?",
        "policy_area": policy_area("children-and-young-people").pk,
        "formal": "on",
        "announced_date": (today + 7 * DAY).isoformat(),
        "open_date": (today + 14 * DAY).isoformat(),
        "close_date": (today + 97 * DAY).isoformat(),
        "shorter_explanation": "",
        "contact_email": "youth@example.org",
    }
    return data | overrides


def test_an_officer_creates_a_draft(client_for, compact, council, officer, today):
    response = client_for("officer").post(_url("create"), _consultation_form(compact, council, today), follow=True)

    consultation = Consultation.objects.get()
    assert response.redirect_chain[-1][0] == consultation.get_absolute_url()
    assert "saved as a draft" in _page(response)
    assert (consultation.status, consultation.body, consultation.created_by) == ("draft", council, officer)
    assert consultation.feedback_due == today + 97 * DAY + datetime.timedelta(weeks=12)
    assert client_for("vcs_member").get(consultation.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("case", ["another-body", "closes-before-open"])
def test_a_refused_consultation_is_shown_on_the_form(client_for, compact, council, today, case):
    if case == "another-body":
        data = _consultation_form(compact, PublicBodyFactory(name="Havant Borough Council"), today)
        error = "Select a valid choice"
    else:
        data = _consultation_form(compact, council, today, close_date=(today + 13 * DAY).isoformat())
        error = "The close date must not be before the open date."

    response = client_for("officer").post(_url("create"), data)

    assert response.status_code == 200
    assert error in _page(response)
    assert not Consultation.objects.exists()


def test_an_officer_edits_a_draft(client_for, draft, compact, council, today):
    data = _consultation_form(compact, council, today, title="Waste and recycling strategy")

    client_for("officer").post(_url("edit", draft.pk), data)

    draft.refresh_from_db()
    assert draft.title == "Waste and recycling strategy"
    assert draft.close_date == today + 97 * DAY


@pytest.mark.parametrize(
    ("days", "warned"), [pytest.param(84, False, id="84-days-exactly-12-weeks"), pytest.param(83, True, id="83-days")]
)
def test_the_form_warns_of_a_short_unexplained_formal_consultation_then_saves_it_knowingly(
    client_for, compact, council, today, days, warned
):
    client = client_for("officer")
    opens = today + 14 * DAY
    data = _consultation_form(compact, council, today, close_date=(opens + (days - 1) * DAY).isoformat())

    response = client.post(_url("create"), data)

    if not warned:
        assert response.status_code == 302
        assert Consultation.objects.get().length_days == 84
        return
    page = _page(response)
    assert "This formal consultation lasts 83 days, less than the compact&#x27;s 12 weeks (84 days;" in page
    assert f"it will be flagged as not keeping {DEFAULT} once it is published and open" in page
    assert 'value="Youth services review"' in page
    assert "error-summary" not in page
    assert not Consultation.objects.exists()

    response = client.post(_url("create"), data | {"save_anyway": "on"})

    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert (consultation.length_days, consultation.shorter_explanation) == (83, "")


def test_a_short_unexplained_consultation_is_published_shown_as_a_gap_and_explained_later(
    client_for, compact, council, today
):
    consultation = ConsultationFactory(compact=compact, body=council, open_date=today, close_date=today + 27 * DAY)
    client = client_for("officer")
    edit_link = f'href="{_url("edit", consultation.pk)}#id_shorter_explanation"'
    assert edit_link in _page(client.get(consultation.get_absolute_url()))

    client.post(_url("publish", consultation.pk))

    consultation.refresh_from_db()
    assert consultation.status == PublicationStatus.PUBLISHED
    officers_page = _page(client.get(consultation.get_absolute_url()))
    assert "This formal consultation lasts 28 days" in officers_page
    assert edit_link in officers_page
    public_page = _page(client_for("outsider").get(consultation.get_absolute_url()))
    assert "The body has not recorded why it is shorter." in public_page
    assert edit_link not in public_page

    client = client_for("officer")  # the same test client, signed in as the officer again
    client.post(
        _url("edit", consultation.pk),
        _consultation_form(
            compact,
            council,
            today,
            announced_date="",
            open_date=today.isoformat(),
            close_date=(today + 27 * DAY).isoformat(),
            shorter_explanation="A government deadline.",
        ),
    )

    assert edit_link not in _page(client.get(consultation.get_absolute_url()))
    assert "A government deadline." in _page(client_for("outsider").get(consultation.get_absolute_url()))


def test_a_published_consultations_dates_cannot_be_edited(client_for, open_one, compact, council, today):
    data = _consultation_form(
        compact,
        council,
        today,
        announced_date=open_one.announced_date.isoformat(),
        open_date=open_one.open_date.isoformat(),
        close_date=(open_one.close_date + 7 * DAY).isoformat(),
    )

    response = client_for("officer").post(_url("edit", open_one.pk), data)

    assert "extend or reopen it to change its dates" in _page(response)
    open_one.refresh_from_db()
    assert open_one.close_date == today + 60 * DAY


@pytest.mark.parametrize(
    ("fixture", "kind", "message"),
    [("open_one", DateChange.Kind.EXTENDED, "extended"), ("closed_one", DateChange.Kind.REOPENED, "reopened")],
)
def test_the_body_extends_or_reopens(client_for, request, today, fixture, kind, message):
    consultation = request.getfixturevalue(fixture)
    new_close = today + 70 * DAY

    response = client_for("officer").post(
        _url("extend", consultation.pk),
        {"new_close": new_close.isoformat(), "reason": "Asked for more time."},
        follow=True,
    )

    page = _page(response)
    assert f"The consultation is {message}." in page
    previous = date_format(consultation.close_date)
    assert f"{kind.label} on {date_format(today)} from {previous} to {date_format(new_close)}: Asked for" in page
    assert "71 days left" in page
    change = consultation.date_changes.get()
    assert (change.kind, change.new_close) == (kind, new_close)
    consultation.refresh_from_db()
    assert consultation.close_date == new_close
    assert consultation.feedback_due == new_close + datetime.timedelta(weeks=12)


def test_an_extension_into_the_past_is_refused_on_the_form(client_for, closed_one, today):
    response = client_for("officer").post(
        _url("extend", closed_one.pk), {"new_close": (today - DAY).isoformat(), "reason": "Oops."}
    )

    assert response.status_code == 200
    assert "not in the past" in _page(response)
    assert not closed_one.date_changes.exists()


def test_the_change_page_of_a_closed_consultation_says_reopen(client_for, closed_one):
    page = _page(client_for("officer").get(_url("extend", closed_one.pk)))

    assert "Reopen the consultation" in page


def test_the_body_adds_a_pdf_and_a_link(client_for, client, open_one, media_root):
    officer_client = client_for("officer")

    uploaded = officer_client.post(
        _url("document_add", open_one.pk), {"title": "Consultation paper", "file": pdf_upload("paper.pdf"), "link": ""}
    )
    officer_client.post(
        _url("document_add", open_one.pk), {"title": "Easy read version", "link": "https://example.org/easy-read"}
    )

    assert uploaded["Location"] == open_one.get_absolute_url()
    paper, easy_read = open_one.documents.all()
    assert (paper.content_type, paper.original_name) == ("application/pdf", "paper.pdf")
    assert (media_root / paper.file.name).read_bytes() == PDF
    client.logout()
    page = _page(client.get(open_one.get_absolute_url()))
    assert f'<a href="{_url("document_download", paper.pk)}">Consultation paper</a>' in page
    assert '<a href="https://example.org/easy-read">Easy read version</a>' in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param(
            {"title": "Minutes", "file": "elf"},
            "“minutes.pdf” is not a PDF, Word, OpenDocument, plain-text or image file",
            id="renamed-executable",
        ),
        pytest.param({"title": "Minutes"}, "Upload a file or give a link (one of the two).", id="neither"),
        pytest.param(
            {"title": "Minutes", "file": "pdf", "link": "https://example.org/m"},
            "Upload a file or give a link (one of the two).",
            id="both",
        ),
    ],
)
def test_a_bad_document_is_refused(client_for, open_one, media_root, data, error):
    files = {"elf": elf_upload, "pdf": pdf_upload}
    if "file" in data:
        data = data | {"file": files[data["file"]]()}

    response = client_for("officer").post(_url("document_add", open_one.pk), data)

    assert response.status_code == 200
    assert error in _page(response)
    assert not ConsultationDocument.objects.exists()
    assert not any(path.is_file() for path in media_root.rglob("*"))


# --- The body's view of the responses, the CSV, and feedback ---------------------------------------------------------


@pytest.fixture
def submitted(open_one, charity, other_charity, today):
    """The charity's publishable response (with a formula-like text) and the outsider's confidential one; a draft."""
    _response(open_one, charity, today=today, text="=1+2 we support the plan", attachments=[pdf_upload("@sum.pdf")])
    _response(open_one, other_charity, today=today, text="Confidential: our funding is at risk.", may_publish=False)
    _response(open_one, OrganisationFactory(name="Drafting Trust"), today=today, text="Half-written.", submit=False)


@pytest.mark.parametrize("person", ["officer", "champion"])
def test_the_body_and_champions_see_every_submitted_response(client_for, open_one, submitted, championed, person):
    page = _page(client_for(person).get(_url("responses", open_one.pk)))

    assert "2 submitted responses" in page
    assert "=1+2 we support the plan" in page
    assert "Confidential: our funding is at risk." in page
    assert "Confidential</span>" in page
    assert "Half-written." not in page


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("champion", 404),  # holds the role, but is not the compact's champion
        ("other_officer", 404),
        ("administrator", 403),
        ("outsider", 403),
    ],
)
def test_no_one_else_sees_the_responses(client_for, open_one, submitted, person, status):
    client = client_for(person)

    assert client.get(_url("responses", open_one.pk)).status_code == status
    assert client.get(_url("responses_csv", open_one.pk)).status_code == status


def test_the_responses_csv_neutralises_formulas_and_includes_confidential_ones(client_for, open_one, submitted):
    response = client_for("officer").get(_url("responses_csv", open_one.pk))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="responses-consultation-{open_one.pk}.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_organisation = {row["organisation"]: row for row in rows}
    assert set(by_organisation) == {"Southsea Community Food Bank", "Fratton Youth Network"}
    ours = by_organisation["Southsea Community Food Bank"]
    assert ours["response"] == "'=1+2 we support the plan"
    assert ours["how_gathered"] == '\'=HYPERLINK("http://evil.example")'
    assert ours["attachments"] == "'@sum.pdf"
    assert ours["may_publish"] == "yes"
    confidential = by_organisation["Fratton Youth Network"]
    assert confidential["response"] == "Confidential: our funding is at risk."
    assert confidential["may_publish"] == "no (confidential)"


def test_feedback_offers_only_publishable_responses_and_publishes_the_chosen(
    client_for, client, closed_one, charity, other_charity, today
):
    during = today - 10 * DAY
    shown = _response(closed_one, charity, today=during, text="Open on Saturdays.")
    confidential = _response(closed_one, other_charity, today=during, text="Confidential: at risk.", may_publish=False)
    officer_client = client_for("officer")

    form = _page(officer_client.get(_url("feedback", closed_one.pk)))
    assert re.findall(r'name="publish_responses" value="(\d+)"', form) == [str(shown.pk)]

    forged = officer_client.post(
        _url("feedback", closed_one.pk),
        {
            "summary_of_responses": "S",
            "what_changed": "C",
            "what_did_not_change": "N",
            "publish_responses": [confidential.pk],
        },
    )
    assert forged.status_code == 200
    assert not Response.objects.filter(published=True).exists()

    officer_client.post(
        _url("feedback", closed_one.pk),
        {
            "summary_of_responses": "People asked for longer hours.",
            "what_changed": "Saturday opening.",
            "what_did_not_change": "Sunday: no budget.",
            "publish_responses": [shown.pk],
        },
    )
    client.logout()
    page = _page(client.get(closed_one.get_absolute_url()))
    assert "Saturday opening." in page
    assert "Open on Saturdays." in page
    assert "Confidential: at risk." not in page


def test_feedback_is_refused_before_close(client_for, open_one):
    response = client_for("officer").post(
        _url("feedback", open_one.pk), {"summary_of_responses": "S", "what_changed": "C", "what_did_not_change": "N"}
    )

    assert response.status_code == 200
    assert "Feedback is published after the consultation closes" in _page(response)
    assert not hasattr(Consultation.objects.get(pk=open_one.pk), "feedback")


# --- E-mail alert choices ----------------------------------------------------------------------------------------


def test_a_vcs_member_chooses_alerts(client_for, vcs_member):
    areas = [policy_area("transport"), policy_area("health-and-wellbeing")]

    client_for("vcs_member").post(_url("alerts"), {"policy_areas": [area.pk for area in areas], "opening_alerts": "on"})

    preference = vcs_member.consultation_alerts
    assert set(preference.policy_areas.all()) == set(areas)
    assert (preference.opening_alerts, preference.closing_reminders) == (True, False)


def test_alerts_are_for_members_of_signatories(client_for):
    assert client_for("person_without_roles").get(_url("alerts")).status_code == 403
