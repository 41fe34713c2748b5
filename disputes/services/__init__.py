"""Every write to concerns: raising one (and keeping a draft), documents, notes and meetings.

The stage changes are in ``stages.py`` and the e-mails in ``emails.py``; all are re-exported here so
callers use ``services.*``. Each function works in one transaction, refuses a step the actor may not take
on the case now (``rules.step_refusal``, through ``stages.acting_side``) and records what happened on the
case's timeline.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from commitments.models import Commitment, Compact, Organisation, RecordType
from commitments.services.live import recheck_on_commit
from compact_portal.accounts.models import User
from compact_portal.one_time import once
from compact_portal.services import validated_save
from compact_portal.uploads import MAX_FILES_PER_ITEM, stored_file_fields

from .. import rules, selectors
from ..models import (
    CaseDocument,
    CaseEvent,
    Concern,
    ConcernDraft,
    ConcernSequence,
    EventKind,
    MeetingKind,
    Party,
    Stage,
    Step,
)
from ..rules import CaseStep
from .deadlines import step_due_by
from .emails import Notice, case_notify
from .emails import case_emails_send as case_emails_send  # re-exported
from .stages import acting_side, refuse, side_or_refusal
from .stages import appeal_decide as appeal_decide
from .stages import appeal_lodge as appeal_lodge
from .stages import concern_acknowledge as concern_acknowledge
from .stages import concern_close as concern_close
from .stages import concern_withdraw as concern_withdraw
from .stages import formal_escalate as formal_escalate
from .stages import formal_extend as formal_extend
from .stages import formal_outcome_record as formal_outcome_record
from .stages import formal_respond as formal_respond
from .stages import informal_start as informal_start
from .stages import locked_case as locked_case
from .stages import panel_assign as panel_assign


def _lock_reference_counter(year: int) -> ConcernSequence:
    # A counter row per year, locked until the transaction ends: concurrent submissions wait for each other.
    ConcernSequence.objects.get_or_create(year=year)
    return ConcernSequence.objects.select_for_update().get(year=year)


def _next_reference(year: int) -> str:
    # Locked while it is incremented: concurrent submissions get distinct numbers.
    sequence = _lock_reference_counter(year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"CC-{year}-{sequence.last_number:04d}"


def _add_documents(
    *, concern: Concern | None, draft: ConcernDraft | None, actor: User | None, side: str, files
) -> list:
    documents = []
    for upload in files:
        document = CaseDocument(
            concern=concern,
            draft=draft,
            uploaded_by=actor,
            side=side,
            **stored_file_fields(upload),
        )
        validated_save(document, actor)
        documents.append(document)
    return documents


def _check_document_count(existing: int, adding: int, field: str = "documents") -> None:
    if existing + adding > MAX_FILES_PER_ITEM:
        raise ValidationError(
            {field: f"A concern can have at most {MAX_FILES_PER_ITEM} evidence documents; it has {existing} already."}
        )


@transaction.atomic
def concern_raise(
    *,
    actor: User,
    raiser: Organisation,
    compact: Compact,
    respondent: Organisation,
    commitments: list[Commitment],
    what_happened: str,
    happened_on: datetime.date,
    outcome_sought: str,
    withhold_identity: bool,
    consent: bool,
    today: datetime.date,
    files=(),
    submission_key: uuid.UUID | None = None,
) -> Concern:
    """Raise a concern: give it a reference, store its acknowledgement deadline, keep the documents
    (with any kept on the person's draft, which is then discarded), and e-mail the acknowledgement.

    Raised once per ``submission_key`` (the form's one-time key, ``compact_portal.one_time``): the same form
    posted again, even at the same moment (a double click), returns the concern it raised, changing nothing and
    sending nothing; someone else sending the key is refused.
    """
    if not selectors.raising_organisations(user=actor).filter(pk=raiser.pk).exists():
        raise PermissionDenied("You can raise a concern only for an organisation you act for.")

    def create() -> Concern:
        return _concern_raise(
            actor=actor,
            raiser=raiser,
            compact=compact,
            respondent=respondent,
            commitments=commitments,
            what_happened=what_happened,
            happened_on=happened_on,
            outcome_sought=outcome_sought,
            withhold_identity=withhold_identity,
            consent=consent,
            today=today,
            files=files,
        )

    return once(key=submission_key, actor=actor, model=Concern, create=create)[0]


def _concern_raise(
    *,
    actor: User,
    raiser: Organisation,
    compact: Compact,
    respondent: Organisation,
    commitments: list[Commitment],
    what_happened: str,
    happened_on: datetime.date,
    outcome_sought: str,
    withhold_identity: bool,
    consent: bool,
    today: datetime.date,
    files,
) -> Concern:
    errors: dict[str, str] = {}
    if not selectors.respondents_for(compact=compact).filter(pk=respondent.pk).exists():
        errors["respondent"] = "Choose a public body that has signed this compact."
    elif respondent.pk == raiser.pk:
        errors["respondent"] = "An organisation cannot raise a concern about itself."
    allowed = set(selectors.commitments_for_concern(compact=compact).values_list("pk", flat=True))
    if not commitments:
        errors["commitments"] = "Choose at least one commitment you believe was broken."
    elif any(commitment.pk not in allowed for commitment in commitments):
        errors["commitments"] = "Choose commitments from this compact's catalogue."
    if happened_on and happened_on > today:
        errors["happened_on"] = "The date it happened cannot be in the future."
    if not consent:
        errors["consent"] = (
            "Tick to agree to the process; without it the compact's champions cannot handle the concern."
        )
    if errors:
        raise ValidationError(errors)
    draft = ConcernDraft.objects.filter(user=actor, compact=compact).first()
    kept = list(draft.documents.all()) if draft else []
    _check_document_count(len(kept), len(files))
    concern = Concern(
        reference=_next_reference(today.year),
        compact=compact,
        raiser=raiser,
        raised_by=actor,
        respondent=respondent,
        what_happened=what_happened.strip(),
        happened_on=happened_on,
        outcome_sought=outcome_sought.strip(),
        withhold_identity=withhold_identity,
        consent=consent,
        stage=Stage.RECEIVED,
        received_on=today,
        step=Step.ACKNOWLEDGE,
    )
    concern.step_due_by = step_due_by(concern, compact)
    validated_save(concern, actor)
    recheck_on_commit(
        record_type=RecordType.CONCERN, ids=[concern.pk], what=f"Concern {concern.reference} raised", name_who=False
    )
    concern.commitments.set(commitments)
    event = CaseEvent.objects.create(
        concern=concern, kind=EventKind.RAISED, actor=actor, side=Party.RAISER, to_stage=Stage.RECEIVED
    )
    for document in kept:  # moved from the draft to the case, each saved so that its history shows the move
        document.concern, document.draft = concern, None
        validated_save(document, actor)
    added = _add_documents(concern=concern, draft=None, actor=actor, side=Party.RAISER, files=files)
    for document in [*kept, *added]:  # the files kept on the draft are on the timeline too
        CaseEvent.objects.create(
            concern=concern, kind=EventKind.DOCUMENT, actor=actor, side=Party.RAISER, document=document, at=event.at
        )
    if draft:
        draft.delete()
    case_notify(
        concern=concern,
        notice=Notice.RECEIVED,
        headline="a Compact concern has been received",
        detail=(
            f"A champion will acknowledge it by {concern.step_due_by:%-d %B %Y}. "
            "No signatory should fear sanctions for raising a concern (Leicestershire principle 13)."
        ),
        new_case=True,
    )
    return concern


@transaction.atomic
def draft_save(*, actor: User, compact: Compact, data: dict[str, Any], files=()) -> ConcernDraft:
    """Keep what ``actor`` typed (and the files that passed their checks) so a failed submission loses nothing.

    ``data`` is the form's raw values (lists for multiple choices); files are uploads with ``.sniffed``.
    """
    draft, _ = ConcernDraft.objects.select_for_update().get_or_create(user=actor, compact=compact)
    draft.data = {key: value for key, value in data.items() if key != "csrfmiddlewaretoken"}
    draft.save()
    room = MAX_FILES_PER_ITEM - draft.documents.count()
    _add_documents(concern=None, draft=draft, actor=actor, side=Party.RAISER, files=list(files)[: max(room, 0)])
    return draft


@transaction.atomic
def draft_discard(*, actor: User, compact: Compact | None = None) -> None:
    """Throw away the person's draft concern under ``compact`` (all their drafts when None) and its files."""
    drafts = ConcernDraft.objects.filter(user=actor)
    if compact is not None:
        drafts = drafts.filter(compact=compact)
    for document in CaseDocument.objects.filter(draft__in=drafts):
        document.file.delete(save=False)
    drafts.delete()


@transaction.atomic
def draft_document_remove(*, actor: User, document_id: int) -> str:
    """Remove one file kept on the person's own draft; returns its name. Other people's files are not found."""
    document = CaseDocument.objects.get(pk=document_id, draft__user=actor)
    name = document.original_name
    document.file.delete(save=False)
    document.delete()
    return name


@transaction.atomic
def note_add(*, concern: Concern, actor: User, text: str, submission_key: uuid.UUID | None = None) -> CaseEvent:
    """Add a note to the case's timeline (either party, the champion or the panel); once per ``submission_key``
    (the form's one-time key)."""
    concern = locked_case(concern)
    side = acting_side(concern, actor, CaseStep.NOTE)

    def create() -> CaseEvent:
        if not text.strip():
            raise ValidationError({"text": "Write the note."})
        return CaseEvent.objects.create(concern=concern, kind=EventKind.NOTE, actor=actor, side=side, text=text.strip())

    return once(key=submission_key, actor=actor, model=CaseEvent, create=create)[0]


@transaction.atomic
def meeting_record(
    *,
    concern: Concern,
    actor: User,
    kind: str,
    held_on: datetime.date,
    attendees: str,
    notes: str,
    today: datetime.date,
    submission_key: uuid.UUID | None = None,
) -> CaseEvent:
    """Record a mediation, conciliation or other meeting on an open case (the champion or the panel); once per
    ``submission_key`` (the form's one-time key)."""
    concern = locked_case(concern)
    side, refusal = side_or_refusal(concern, actor, CaseStep.MEETING, today=today)
    if refusal is not None and refusal.by_part:
        refuse(refusal)

    def create() -> CaseEvent:
        return _meeting_record(
            concern=concern,
            actor=actor,
            side=side,
            refusal=refusal,
            kind=kind,
            held_on=held_on,
            attendees=attendees,
            notes=notes,
            today=today,
        )

    return once(key=submission_key, actor=actor, model=CaseEvent, create=create)[0]


def _meeting_record(
    *,
    concern: Concern,
    actor: User,
    side: str | None,
    refusal: rules.Refusal | None,
    kind: str,
    held_on: datetime.date,
    attendees: str,
    notes: str,
    today: datetime.date,
) -> CaseEvent:
    errors = {}
    if refusal is not None:  # a finished case: said together with anything wrong in the form
        errors["__all__"] = refusal.message
    if kind not in MeetingKind.values:
        errors["meeting_kind"] = "Choose the kind of meeting."
    if held_on > today:
        errors["meeting_date"] = "Record a meeting once it has taken place."
    if not attendees.strip():
        errors["attendees"] = "List who attended."
    if errors:
        raise ValidationError(errors)
    return CaseEvent.objects.create(
        concern=concern,
        kind=EventKind.MEETING,
        actor=actor,
        side=side,
        meeting_kind=kind,
        meeting_date=held_on,
        attendees=attendees.strip(),
        text=notes.strip(),
    )


@transaction.atomic
def document_add(*, concern: Concern, actor: User, files, description: str = "") -> list[CaseDocument]:
    """Add documents to an open case, up to the per-case limit of the side adding them."""
    concern = locked_case(concern)
    side = acting_side(concern, actor, CaseStep.DOCUMENTS)
    if not files:
        raise ValidationError({"documents": "Choose at least one file."})
    _check_document_count(concern.documents.filter(side=side).count(), len(files))
    documents = _add_documents(concern=concern, draft=None, actor=actor, side=side, files=files)
    for document in documents:
        CaseEvent.objects.create(
            concern=concern, kind=EventKind.DOCUMENT, actor=actor, side=side, document=document, text=description
        )
    return documents
