"""Every write to consultations, their documents, responses and feedback goes through here.

Each function validates with ``full_clean()``, stores what ``consultations/rules.py`` computes from
the compact's settings, and saves inside one transaction. django-simple-history records who
changed consultations, responses and feedback (the signed-in person, or the ``actor`` passed here).
"""

import datetime
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from commitments.models import Organisation, RecordType
from commitments.services.live import recheck_on_commit
from compact_portal.accounts.models import User
from compact_portal.one_time import once
from compact_portal.services import check_fields, validated_save
from compact_portal.uploads import stored_file_fields

from .. import rules
from ..models import (
    CONSULTATION_DETAIL_FIELDS,
    Consultation,
    ConsultationDocument,
    DateChange,
    Feedback,
    PublicationStatus,
    Response,
    ResponseAttachment,
    ResponseStatus,
)
from .alerts import alert_preference_save as alert_preference_save  # re-exported: callers use services.*
from .alerts import closing_reminders_send as closing_reminders_send
from .alerts import opening_alerts_send as opening_alerts_send

CONSULTATION_FIELDS = frozenset(CONSULTATION_DETAIL_FIELDS)
DATE_FIELDS = frozenset({"open_date", "close_date"})


def _store_computed(consultation: Consultation) -> None:
    compact = consultation.compact
    consultation.length_days = rules.consultation_length_days(
        opens=consultation.open_date, closes=consultation.close_date
    )
    consultation.minimum_days = rules.minimum_length_days(min_weeks=compact.consultation_min_weeks)
    consultation.feedback_due = rules.feedback_due_by(closes=consultation.close_date, weeks=compact.feedback_due_weeks)


def _save(consultation: Consultation, actor: User | None) -> None:
    """Save the consultation; the rules that read it (3.2, 3.5, 3.7) check it again once it commits."""
    validated_save(consultation, actor)
    recheck_on_commit(
        record_type=RecordType.CONSULTATION, ids=[consultation.pk], what=f"Consultation {consultation.reference} saved"
    )


def _check_dates(consultation: Consultation) -> None:
    if consultation.open_date and consultation.close_date and consultation.close_date < consultation.open_date:
        raise ValidationError({"close_date": "The close date must not be before the open date."})


@transaction.atomic
def consultation_create(*, actor: User | None, submission_key: uuid.UUID | None = None, **fields: Any) -> Consultation:
    """Create a draft consultation with its length and feedback due date stored; once per ``submission_key``
    (the form's one-time key, ``compact_portal.one_time``)."""
    check_fields(fields, CONSULTATION_FIELDS)

    def create() -> Consultation:
        consultation = Consultation(created_by=actor, **fields)
        _check_dates(consultation)
        _store_computed(consultation)
        _save(consultation, actor)
        return consultation

    return once(key=submission_key, actor=actor, model=Consultation, create=create)[0]


@transaction.atomic
def consultation_update(*, consultation: Consultation, actor: User | None, **changes: Any) -> Consultation:
    """Change a consultation. Once published, its dates change only by extending or reopening it."""
    check_fields(changes, CONSULTATION_FIELDS)
    consultation = Consultation.objects.select_for_update().select_related("compact").get(pk=consultation.pk)
    if consultation.is_published:
        moved = [name for name in DATE_FIELDS if name in changes and changes[name] != getattr(consultation, name)]
        if moved:
            raise ValidationError(
                dict.fromkeys(moved, "The consultation is published: extend or reopen it to change its dates.")
            )
    for name, value in changes.items():
        setattr(consultation, name, value)
    _check_dates(consultation)
    _store_computed(consultation)
    _save(consultation, actor)
    return consultation


@transaction.atomic
def consultation_publish(*, consultation: Consultation, actor: User | None) -> Consultation:
    """Publish a draft on the public register.

    A formal consultation shorter than the compact's minimum with no explanation (3.7) is published all the
    same: it is what the body is doing. The compliance jobs flag it until the explanation is added.
    """
    consultation = Consultation.objects.select_for_update().select_related("compact").get(pk=consultation.pk)
    if consultation.is_published:
        return consultation
    consultation.status = PublicationStatus.PUBLISHED
    consultation.published_at = timezone.now()
    _save(consultation, actor)
    return consultation


@transaction.atomic
def consultation_extend(
    *, consultation: Consultation, actor: User | None, new_close: datetime.date, reason: str, today: datetime.date
) -> DateChange:
    """Extend an open consultation, or reopen a closed one, to ``new_close``; the change is recorded and the
    stored dates (length, feedback due) follow. The closing reminder is sent again for the new date."""
    consultation = Consultation.objects.select_for_update().select_related("compact").get(pk=consultation.pk)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the consultation is extended or reopened."})
    if not rules.closes_after_extension_valid(current_close=consultation.close_date, new_close=new_close, today=today):
        raise ValidationError(
            {"new_close": f"Choose a date after {date_format(consultation.close_date)} and not in the past."}
        )
    kind = DateChange.Kind.REOPENED if today > consultation.close_date else DateChange.Kind.EXTENDED
    change = DateChange(
        consultation=consultation,
        kind=kind,
        previous_close=consultation.close_date,
        new_close=new_close,
        reason=reason.strip(),
        changed_by=actor,
    )
    change.full_clean()
    change.save()
    consultation.close_date = new_close
    consultation.reminder_sent_on = None
    _store_computed(consultation)
    _save(consultation, actor)
    return change


@transaction.atomic
def document_add(
    *, consultation: Consultation, actor: User | None, title: str, upload=None, link: str = ""
) -> ConsultationDocument:
    """Attach a document: an upload already checked by its content (``upload.sniffed``), or a link."""
    document = ConsultationDocument(consultation=consultation, title=title, link=link, uploaded_by=actor)
    if upload is not None:
        document.file = upload
        document.content_type = upload.sniffed.content_type
        document.original_name = upload.sniffed.download_name
    validated_save(document, actor)
    return document


# --- Responses ----------------------------------------------------------------------------------


def check_responses_open(*, consultation: Consultation, today: datetime.date) -> None:
    """Raise a ValidationError saying why, unless the consultation takes responses on ``today``."""
    phase = rules.phase(opens=consultation.open_date, closes=consultation.close_date, today=today)
    if not consultation.is_published or phase == "forthcoming":
        raise ValidationError(
            f"This consultation is not open yet. It opens on {date_format(consultation.open_date)}; "
            "you can respond from then."
        )
    if phase == "closed":
        contact = f" Contact {consultation.contact_email}" if consultation.contact_email else " Contact the body"
        raise ValidationError(
            f"This consultation closed on {date_format(consultation.close_date)}, so responses are no longer "
            f"accepted.{contact} if you need to send something late."
        )


@transaction.atomic
def response_save(
    *,
    consultation: Consultation,
    organisation: Organisation,
    actor: User | None,
    today: datetime.date,
    text: str,
    represents: str,
    how_gathered: str,
    may_publish: bool,
    submit: bool,
    attachments: list | tuple = (),
) -> Response:
    """Save the organisation's response as a draft, or submit it; both only while the consultation is open.

    A submitted response can still be changed until the close date. New ``attachments`` (uploads
    checked by content, each with ``.sniffed``) are added, up to the per-item limit.
    """
    from compact_portal.uploads import MAX_FILES_PER_ITEM

    check_responses_open(consultation=consultation, today=today)
    response = Response.objects.select_for_update().filter(consultation=consultation, organisation=organisation).first()
    if response is None:
        response = Response(consultation=consultation, organisation=organisation, created_by=actor)
    response.text = text.strip()
    response.represents = represents
    response.how_gathered = how_gathered.strip()
    response.may_publish = may_publish
    if not may_publish:
        response.published = False
    if submit:
        if not response.text:
            raise ValidationError({"text": "Write your response before you submit it."})
        response.status = ResponseStatus.SUBMITTED
        response.submitted_at = timezone.now()
    validated_save(response, actor)
    if response.attachments.count() + len(attachments) > MAX_FILES_PER_ITEM:
        raise ValidationError({"attachments": f"A response can have at most {MAX_FILES_PER_ITEM} attachments."})
    for upload in attachments:
        attachment = ResponseAttachment(response=response, **stored_file_fields(upload))
        validated_save(attachment, actor)
    return response


@transaction.atomic
def attachment_remove(*, attachment: ResponseAttachment, today: datetime.date) -> None:
    """Remove an attachment from a response while the consultation is open; the file goes too."""
    check_responses_open(consultation=attachment.response.consultation, today=today)
    attachment.file.delete(save=False)
    attachment.delete()


# --- Feedback -----------------------------------------------------------------------------------


@transaction.atomic
def feedback_publish(
    *,
    consultation: Consultation,
    actor: User | None,
    today: datetime.date,
    summary_of_responses: str,
    what_changed: str,
    what_did_not_change: str,
    publish_response_ids: list[int] | tuple[int, ...] = (),
) -> Feedback:
    """Publish (or correct) the "you said, we did" feedback after close, with the chosen responses.

    Only submitted responses whose organisations allowed publication can be published; the rest
    stay with the body.
    """
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not consultation.is_published:
        raise ValidationError("Publish the consultation before its feedback.")
    if today <= consultation.close_date:
        raise ValidationError(
            f"Feedback is published after the consultation closes on {date_format(consultation.close_date)}."
        )
    feedback = Feedback.objects.filter(consultation=consultation).first() or Feedback(
        consultation=consultation, published_on=today
    )
    feedback.summary_of_responses = summary_of_responses
    feedback.what_changed = what_changed
    feedback.what_did_not_change = what_did_not_change
    feedback.published_by = actor
    validated_save(feedback, actor)
    recheck_on_commit(
        record_type=RecordType.CONSULTATION,
        ids=[consultation.pk],
        what=f"Feedback published on consultation {consultation.reference}",
    )
    submitted = consultation.responses.filter(status=ResponseStatus.SUBMITTED)
    chosen = set(publish_response_ids)
    refused = chosen - set(submitted.filter(may_publish=True).values_list("pk", flat=True))
    if refused:
        raise ValidationError("Only submitted responses whose organisations allowed it can be published.")
    for response in submitted.select_related("organisation"):  # each saved, so its history shows who published it
        if response.published != (response.pk in chosen):
            response.published = response.pk in chosen
            validated_save(response, actor)
    return feedback
