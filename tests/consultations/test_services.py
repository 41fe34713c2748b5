"""The consultation services with fixed dates: what they store, what they refuse, and what they record."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from compact_portal.uploads import validate_upload
from consultations import services
from consultations.gaps import consultation_gaps
from consultations.models import (
    DateChange,
    Feedback,
    PublicationStatus,
    Response,
    ResponseAttachment,
    ResponseStatus,
)
from tests.commitments.factories import CompactFactory, OrganisationFactory
from tests.consultations.conftest import pdf_upload
from tests.consultations.factories import ConsultationFactory, policy_area

pytestmark = pytest.mark.django_db

MON_5_JAN = datetime.date(2026, 1, 5)
SUN_29_MAR = datetime.date(2026, 3, 29)  # exactly 12 weeks after 5 January, both days counted
DURING = datetime.date(2026, 2, 1)
AFTER_CLOSE = datetime.date(2026, 3, 30)


def _sniffed(upload):
    upload.sniffed = validate_upload(upload)
    return upload


def _save(consultation, organisation, *, today=DURING, text="We support option B.", submit=False, **overrides):
    arguments = {
        "consultation": consultation,
        "organisation": organisation,
        "actor": None,
        "today": today,
        "text": text,
        "represents": "members",
        "how_gathered": "A members' meeting.",
        "may_publish": True,
        "submit": submit,
    }
    return services.response_save(**(arguments | overrides))


@pytest.fixture
def published(compact, council):
    return ConsultationFactory(compact=compact, body=council, publish=True, contact_email="consult@example.org")


# --- Creating, storing the computed dates ------------------------------------------------------------------------


def test_a_new_consultation_is_a_draft_with_its_length_minimum_and_feedback_date_stored(officer, compact, council):
    consultation = services.consultation_create(
        actor=officer,
        compact=compact,
        body=council,
        title="Library services review",
        summary="How should the libraries change?",
        policy_area=policy_area(),
        open_date=MON_5_JAN,
        close_date=SUN_29_MAR,
    )

    consultation.refresh_from_db()
    assert consultation.status == PublicationStatus.DRAFT
    assert consultation.published_at is None
    assert (consultation.length_days, consultation.minimum_days) == (84, 84)
    assert consultation.feedback_due == datetime.date(2026, 6, 21)  # close + 12 weeks
    assert consultation.created_by == officer
    assert consultation.history.get().history_user == officer


def test_the_stored_dates_follow_the_compacts_settings():
    compact = CompactFactory(name="Havant Compact", consultation_min_weeks=8, feedback_due_weeks=6)

    consultation = ConsultationFactory(compact=compact, open_date=MON_5_JAN, close_date=datetime.date(2026, 3, 1))

    assert consultation.minimum_days == 56
    assert consultation.length_days == 56
    assert consultation.feedback_due == datetime.date(2026, 4, 12)
    assert not consultation.shorter_than_minimum


def test_a_close_date_before_the_open_date_is_refused():
    with pytest.raises(ValidationError) as error:
        ConsultationFactory(open_date=MON_5_JAN, close_date=datetime.date(2026, 1, 4))

    assert "close_date" in error.value.message_dict


def test_only_a_public_body_runs_a_consultation(charity):
    with pytest.raises(ValidationError) as error:
        ConsultationFactory(body=charity)

    assert "public body" in error.value.message_dict["body"][0]


def test_unknown_fields_are_a_programming_error(compact, council):
    with pytest.raises(TypeError, match="status"):
        ConsultationFactory(compact=compact, body=council, status="published")


# --- Publishing: 3.7's minimum, or an explanation; without one, published all the same and a gap -----------------


@pytest.mark.parametrize(
    ("close_date", "explanation", "gap"),
    [
        pytest.param(SUN_29_MAR, "", False, id="84-days-exactly-twelve-weeks"),
        pytest.param(datetime.date(2026, 3, 28), "", True, id="83-days-unexplained"),
        pytest.param(datetime.date(2026, 3, 28), "   \n ", True, id="83-days-whitespace-is-no-explanation"),
        pytest.param(datetime.date(2026, 3, 28), "Budget vote.", False, id="83-days-explained"),
    ],
)
def test_a_short_formal_consultation_is_published_and_a_gap_until_explained(close_date, explanation, gap):
    consultation = ConsultationFactory(close_date=close_date, shorter_explanation=explanation)

    services.consultation_publish(consultation=consultation, actor=None)

    consultation.refresh_from_db()
    assert consultation.status == PublicationStatus.PUBLISHED
    assert consultation.shorter_explanation == explanation.strip()
    gaps = consultation_gaps(consultation)
    assert [g.rule for g in gaps] == (["consultation_length"] if gap else [])
    if gap:
        assert gaps[0].message.startswith(
            "This formal consultation lasts 83 days, less than the compact's 12 weeks (84 days; it would have to "
            "close on or after 29 March 2026)."
        )


@pytest.mark.parametrize(
    ("fields", "shorter"),
    [
        pytest.param({"close_date": SUN_29_MAR}, False, id="exactly-twelve-weeks"),
        pytest.param(
            {"close_date": datetime.date(2026, 2, 1), "shorter_explanation": "The government's deadline is March."},
            True,
            id="short-with-explanation",
        ),
        pytest.param({"close_date": datetime.date(2026, 1, 19), "formal": False}, False, id="informal-and-short"),
    ],
)
def test_these_consultations_may_be_published(fields, shorter):
    consultation = ConsultationFactory(**fields)

    published = services.consultation_publish(consultation=consultation, actor=None)

    published.refresh_from_db()
    assert published.status == PublicationStatus.PUBLISHED
    assert published.published_at is not None
    assert published.shorter_than_minimum is shorter


def test_the_minimum_is_the_compacts_not_always_twelve_weeks():
    compact = CompactFactory(name="Six Week Compact", consultation_min_weeks=6)
    six_weeks = ConsultationFactory(compact=compact, close_date=datetime.date(2026, 2, 15))
    a_day_short = ConsultationFactory(compact=compact, close_date=datetime.date(2026, 2, 14))

    services.consultation_publish(consultation=six_weeks, actor=None)
    services.consultation_publish(consultation=a_day_short, actor=None)

    six_weeks.refresh_from_db()
    a_day_short.refresh_from_db()
    assert (six_weeks.status, a_day_short.status) == (PublicationStatus.PUBLISHED, PublicationStatus.PUBLISHED)
    assert [len(consultation_gaps(c)) for c in (six_weeks, a_day_short)] == [0, 1]


def test_publishing_twice_changes_nothing(published):
    first = published.published_at

    again = services.consultation_publish(consultation=published, actor=None)

    assert again.published_at == first


def test_a_draft_may_change_its_dates_and_they_are_recomputed():
    consultation = ConsultationFactory()

    services.consultation_update(consultation=consultation, actor=None, close_date=datetime.date(2026, 4, 5))

    consultation.refresh_from_db()
    assert consultation.length_days == 91
    assert consultation.feedback_due == datetime.date(2026, 6, 28)


def test_a_published_consultations_dates_change_only_by_extending(published):
    with pytest.raises(ValidationError) as error:
        services.consultation_update(consultation=published, actor=None, close_date=datetime.date(2026, 4, 5))

    assert "extend or reopen" in error.value.message_dict["close_date"][0]
    services.consultation_update(
        consultation=published, actor=None, title="Libraries: a new plan", close_date=SUN_29_MAR
    )
    published.refresh_from_db()
    assert (published.title, published.close_date) == ("Libraries: a new plan", SUN_29_MAR)


def test_a_published_short_consultation_gets_its_explanation_later(compact):
    consultation = ConsultationFactory(compact=compact, close_date=datetime.date(2026, 2, 1), publish=True)
    assert len(consultation_gaps(consultation)) == 1

    services.consultation_update(consultation=consultation, actor=None, shorter_explanation=" Statutory deadline. ")

    consultation.refresh_from_db()
    assert consultation.shorter_explanation == "Statutory deadline."
    assert consultation_gaps(consultation) == []


# --- Extending and reopening -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "kind"),
    [
        pytest.param(DURING, DateChange.Kind.EXTENDED, id="open-is-extended"),
        pytest.param(SUN_29_MAR, DateChange.Kind.EXTENDED, id="on-the-close-day-is-extended"),
        pytest.param(AFTER_CLOSE, DateChange.Kind.REOPENED, id="closed-is-reopened"),
    ],
)
def test_extending_or_reopening_is_recorded_and_the_dates_recomputed(published, officer, today, kind):
    published.reminder_sent_on = datetime.date(2026, 3, 22)
    published.save(update_fields=["reminder_sent_on"])

    change = services.consultation_extend(
        consultation=published, actor=officer, new_close=datetime.date(2026, 4, 12), reason=" More time. ", today=today
    )

    assert (change.kind, change.previous_close, change.new_close) == (kind, SUN_29_MAR, datetime.date(2026, 4, 12))
    assert (change.reason, change.changed_by) == ("More time.", officer)
    published.refresh_from_db()
    assert published.close_date == datetime.date(2026, 4, 12)
    assert published.length_days == 98
    assert published.feedback_due == datetime.date(2026, 7, 5)
    assert published.reminder_sent_on is None  # so the closing reminder goes again


@pytest.mark.parametrize(
    ("new_close", "reason", "field"),
    [
        pytest.param(SUN_29_MAR, "More time.", "new_close", id="same-date"),
        pytest.param(datetime.date(2026, 3, 1), "More time.", "new_close", id="earlier"),
        pytest.param(datetime.date(2026, 4, 1), "More time.", "new_close", id="in-the-past-when-reopening"),
        pytest.param(datetime.date(2026, 5, 1), "  ", "reason", id="no-reason"),
    ],
)
def test_an_extension_needs_a_later_future_date_and_a_reason(published, new_close, reason, field):
    with pytest.raises(ValidationError) as error:
        services.consultation_extend(
            consultation=published, actor=None, new_close=new_close, reason=reason, today=datetime.date(2026, 4, 2)
        )

    assert field in error.value.message_dict
    published.refresh_from_db()
    assert published.close_date == SUN_29_MAR
    assert not published.date_changes.exists()


# --- Documents ---------------------------------------------------------------------------------------------------


def test_a_document_is_an_upload_checked_by_its_content_or_a_link(published, officer):
    uploaded = services.document_add(
        consultation=published, actor=officer, title="Consultation paper", upload=_sniffed(pdf_upload("paper.PDF"))
    )
    linked = services.document_add(consultation=published, actor=officer, title="Easy read", link="https://x.org/er")

    assert (uploaded.content_type, uploaded.original_name) == ("application/pdf", "paper.PDF")
    assert uploaded.file.name.startswith("consultations/consultationdocument/")
    assert uploaded.file.name.endswith(".pdf")
    assert uploaded.file.read() == pdf_upload().read()
    assert linked.link == "https://x.org/er"
    assert not linked.file


@pytest.mark.parametrize(
    ("upload", "link"), [pytest.param(None, "", id="neither"), pytest.param("pdf", "https://x.org/p", id="both")]
)
def test_a_document_is_a_file_or_a_link_not_both_or_neither(published, upload, link):
    with pytest.raises(ValidationError):
        services.document_add(
            consultation=published,
            actor=None,
            title="Paper",
            upload=_sniffed(pdf_upload()) if upload else None,
            link=link,
        )

    assert not published.documents.exists()


# --- Responses: drafting, editing until close, the cut-off ---------------------------------------------------------


def test_a_response_is_saved_as_a_draft_and_edited_into_the_same_response(published, charity, vcs_member):
    _save(published, charity, actor=vcs_member, text="  First thoughts.  ")
    _save(published, charity, actor=vcs_member, text="Second thoughts.", may_publish=False)

    response = Response.objects.get()
    assert response.status == ResponseStatus.DRAFT
    assert response.submitted_at is None
    assert (response.text, response.may_publish) == ("Second thoughts.", False)
    assert response.history.count() == 2
    assert response.history.first().history_user == vcs_member


def test_a_submitted_response_can_still_be_changed_on_the_close_day(published, charity):
    _save(published, charity, submit=True)

    _save(published, charity, today=SUN_29_MAR, text="Final version.", submit=True)

    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.text == "Final version."


def test_submitting_needs_some_text(published, charity):
    with pytest.raises(ValidationError) as error:
        _save(published, charity, text="   ", submit=True)

    assert "text" in error.value.message_dict
    assert not Response.objects.exists()


def test_a_late_response_is_refused_with_a_clear_message(published, charity):
    with pytest.raises(ValidationError) as error:
        _save(published, charity, today=AFTER_CLOSE, submit=True)

    assert error.value.messages == [
        "This consultation closed on 29 March 2026, so responses are no longer accepted. "
        "Contact consult@example.org if you need to send something late."
    ]
    assert not Response.objects.exists()


def test_after_close_a_draft_can_no_longer_be_changed(published, charity):
    _save(published, charity, text="Draft.")

    with pytest.raises(ValidationError):
        _save(published, charity, today=AFTER_CLOSE, text="Changed after close.", submit=True)

    response = Response.objects.get()
    assert (response.text, response.status) == ("Draft.", ResponseStatus.DRAFT)


@pytest.mark.parametrize(
    ("publish", "today"),
    [pytest.param(True, datetime.date(2026, 1, 4), id="before-it-opens"), pytest.param(False, DURING, id="a-draft")],
)
def test_no_response_before_it_opens_or_to_a_draft(council, charity, publish, today):
    consultation = ConsultationFactory(body=council, publish=publish)

    with pytest.raises(ValidationError, match="opens on 5 January 2026"):
        _save(consultation, charity, today=today)


def test_responses_come_from_vcs_organisations(published):
    other_body = ConsultationFactory().body

    with pytest.raises(ValidationError):
        _save(published, other_body)


def test_attachments_are_stored_with_their_sniffed_type(published, charity):
    response = _save(published, charity, attachments=[_sniffed(pdf_upload("our evidence"))])

    attachment = response.attachments.get()
    assert (attachment.content_type, attachment.original_name) == ("application/pdf", "our evidence.pdf")
    assert attachment.size == len(pdf_upload().read())
    assert attachment.file.name.startswith("consultations/responseattachment/")
    assert "evidence" not in attachment.file.name  # stored under a generated name


def test_at_most_five_attachments_and_nothing_is_saved_beyond(published, charity):
    _save(published, charity, attachments=[_sniffed(pdf_upload(f"{n}.pdf")) for n in range(4)])

    with pytest.raises(ValidationError) as error:
        _save(published, charity, text="Changed.", attachments=[_sniffed(pdf_upload(f"x{n}.pdf")) for n in range(2)])

    assert "at most 5" in error.value.message_dict["attachments"][0]
    response = Response.objects.get()
    assert response.attachments.count() == 4
    assert response.text == "We support option B."  # the whole save was rolled back


def test_an_attachment_is_removed_with_its_file_while_open_only(published, charity, media_root):
    response = _save(published, charity, attachments=[_sniffed(pdf_upload()), _sniffed(pdf_upload())])
    first, second = response.attachments.all()
    path = media_root / first.file.name
    assert path.exists()

    services.attachment_remove(attachment=first, today=DURING)
    with pytest.raises(ValidationError, match="closed on"):
        services.attachment_remove(attachment=second, today=AFTER_CLOSE)

    assert not path.exists()
    assert list(response.attachments.all()) == [second]


# --- Feedback, and publishing responses with it ------------------------------------------------------------------


def _feedback(consultation, *, today=AFTER_CLOSE, ids=(), **overrides):
    arguments = {
        "consultation": consultation,
        "actor": None,
        "today": today,
        "summary_of_responses": "Most wanted longer opening hours.",
        "what_changed": "Saturday opening.",
        "what_did_not_change": "Sunday opening: no budget.",
        "publish_response_ids": ids,
    }
    return services.feedback_publish(**(arguments | overrides))


@pytest.fixture
def responses(published, charity, other_charity):
    """Submitted: one publishable, one confidential; and a publishable draft."""
    open_response = _save(published, charity, submit=True)
    confidential = _save(published, other_charity, submit=True, may_publish=False)
    draft = _save(published, OrganisationFactory(name="Drafting Trust"))
    return open_response, confidential, draft


def test_feedback_waits_until_the_consultation_has_closed(published):
    with pytest.raises(ValidationError, match="after the consultation closes on 29 March 2026"):
        _feedback(published, today=SUN_29_MAR)

    assert not Feedback.objects.exists()


def test_feedback_publishes_the_chosen_responses(published, responses, officer):
    open_response, confidential, draft = responses

    feedback = _feedback(published, ids=[open_response.pk], actor=officer)

    assert (feedback.published_on, feedback.published_by) == (AFTER_CLOSE, officer)
    assert set(Response.objects.filter(published=True)) == {open_response}


@pytest.mark.parametrize("which", [1, 2], ids=["confidential", "draft"])
def test_confidential_and_draft_responses_are_never_published(published, responses, which):
    with pytest.raises(ValidationError, match="allowed it"):
        _feedback(published, ids=[responses[0].pk, responses[which].pk])

    assert not Response.objects.filter(published=True).exists()
    assert not Feedback.objects.exists()  # rolled back with the refusal


def test_the_database_refuses_a_published_confidential_response(responses):
    confidential = responses[1]

    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.filter(pk=confidential.pk).update(published=True)


def test_correcting_feedback_keeps_its_date_and_can_unpublish_a_response(published, responses):
    open_response = responses[0]
    _feedback(published, ids=[open_response.pk])

    corrected = _feedback(published, today=datetime.date(2026, 5, 1), what_changed="Saturday and evening opening.")

    assert Feedback.objects.get() == corrected
    assert corrected.published_on == AFTER_CLOSE
    assert corrected.what_changed == "Saturday and evening opening."
    open_response.refresh_from_db()
    assert not open_response.published


def test_withdrawing_permission_unpublishes_a_response(published, charity):
    response = _save(published, charity, submit=True)
    Response.objects.filter(pk=response.pk).update(published=True)

    _save(published, charity, submit=True, may_publish=False)

    response.refresh_from_db()
    assert (response.may_publish, response.published) == (False, False)


def test_feedback_needs_a_published_consultation(today):
    draft = ConsultationFactory(
        open_date=today - datetime.timedelta(days=90), close_date=today - datetime.timedelta(days=1)
    )

    with pytest.raises(ValidationError, match="Publish the consultation"):
        services.feedback_publish(
            consultation=draft,
            actor=None,
            today=today,
            summary_of_responses="s",
            what_changed="c",
            what_did_not_change="n",
        )


# --- History (the audit trail) ------------------------------------------------------------------------------------


def test_documents_and_attachments_are_kept_in_history_with_who_added_them(published, officer, charity, vcs_member):
    document = services.document_add(consultation=published, actor=officer, title="Easy read", link="https://x.org/e")
    response = _save(published, charity, actor=vcs_member, attachments=[_sniffed(pdf_upload("evidence.pdf"))])
    attachment = response.attachments.get()
    attachment_id = attachment.pk
    services.attachment_remove(attachment=attachment, today=DURING)

    assert [(r.history_type, r.history_user) for r in document.history.all()] == [("+", officer)]
    added_and_removed = ResponseAttachment.history.filter(id=attachment_id).order_by("history_date", "history_id")
    assert [(r.history_type, r.original_name) for r in added_and_removed] == [
        ("+", "evidence.pdf"),
        ("-", "evidence.pdf"),
    ]
    assert added_and_removed[0].history_user == vcs_member


def test_publishing_a_response_with_the_feedback_is_kept_in_its_history(published, responses, officer):
    open_response = responses[0]

    _feedback(published, ids=[open_response.pk], actor=officer)
    _feedback(published, actor=officer)  # corrected: the response is no longer published

    history = open_response.history.order_by("history_date", "history_id")
    assert [(r.published, r.history_user) for r in history][-2:] == [(True, officer), (False, officer)]
