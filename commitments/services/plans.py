"""Every write to a compact's action plan and its reviews: objectives, actions, progress notes, reviews.

Who may write what is decided in ``commitments.selectors.plans`` (the pages ask the same): the compact's champions
and administrators keep the whole plan and record reviews; an action's lead changes its status and adds progress
notes. ``actor`` None is the portal itself (the demo, a command), which may do all of it.

An action's status, due date or lead changed is checked again at once by the ``action_overdue`` rule (once the
transaction commits); a review sets the compact's next review date through ``compact_save``, whose re-check
follows the yearly review rule.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from compact_portal.accounts.models import User
from compact_portal.formatting import long_date
from compact_portal.one_time import once
from compact_portal.services import check_fields, validated_save

from ..models import (
    ActionStatus,
    Commitment,
    Compact,
    Objective,
    Organisation,
    PlanAction,
    ProgressNote,
    RecordType,
    Review,
)
from ..selectors.plans import may_edit_plan, may_update_action
from .compact_settings import compact_save
from .live import recheck_on_commit

# What an action's lead may change; the plan's editors change the rest too.
STATUS_FIELDS = ("status", "done_on", "dropped_reason")
ACTION_FIELDS = (
    "objective",
    "what",
    "lead_organisation",
    "lead_person",
    "lead_group",
    "due_date",
    "timescale",
    *STATUS_FIELDS,
    "commitments",
    "position",
)
OBJECTIVE_FIELDS = ("number", "title", "description", "position")

REFUSED_EDIT = "Only the compact's champions and administrators change its action plan."
REFUSED_REVIEW = "Only the compact's champions and administrators record its reviews."
REFUSED_LEAD = "Only the action's lead, the compact's champions and administrators update this action."


def _text(value: str | None) -> str:
    return (value or "").strip()


def _refuse_unless_editor(actor: User | None, compact: Compact, message: str = REFUSED_EDIT) -> None:
    if actor is not None and not may_edit_plan(user=actor, compact=compact):
        raise PermissionDenied(message)


def _recheck(action: PlanAction, what: str) -> None:
    recheck_on_commit(record_type=RecordType.PLAN_ACTION, ids=[action.pk], what=what)


# --- Objectives ------------------------------------------------------------------------------------------------


@transaction.atomic
def objective_create(
    *,
    compact: Compact,
    actor: User | None,
    number: str,
    title: str,
    description: str = "",
    submission_key: uuid.UUID | None = None,
) -> Objective:
    """Add an objective to the end of ``compact``'s action plan; once per ``submission_key``."""
    _refuse_unless_editor(actor, compact)

    def create() -> Objective:
        last = Objective.objects.filter(compact=compact).aggregate(last=Max("position"))["last"]
        objective = Objective(
            compact=compact,
            number=_text(number),
            title=_text(title),
            description=_text(description),
            position=0 if last is None else last + 1,
            created_by=actor,
        )
        validated_save(objective, actor)
        return objective

    return once(key=submission_key, actor=actor, model=Objective, create=create)[0]


@transaction.atomic
def objective_update(*, objective: Objective, actor: User | None, **fields) -> Objective:
    """Change an objective's number, title, description or place."""
    check_fields(fields, OBJECTIVE_FIELDS)
    objective = Objective.objects.select_for_update().select_related("compact").get(pk=objective.pk)
    _refuse_unless_editor(actor, objective.compact)
    for name, value in fields.items():
        setattr(objective, name, _text(value) if isinstance(value, str) else value)
    validated_save(objective, actor)
    return objective


# --- Actions ---------------------------------------------------------------------------------------------------


def check_action(
    *,
    compact: Compact,
    today: datetime.date,
    status: str,
    done_on: datetime.date | None,
    due_date: datetime.date | None = None,
    timescale: str = "",
    commitments: Iterable[Commitment] = (),
    dated: bool = True,
) -> None:
    """What the services refuse in an action beyond its model's checks (the forms ask the same): done after today,
    no due date nor timescale, a commitment of another compact."""
    errors = {}
    if status == ActionStatus.DONE and done_on is not None and done_on > today:
        errors["done_on"] = f"An action cannot be done after today ({long_date(today)})."
    if dated and due_date is None and not _text(timescale):
        errors["due_date"] = "Give the day it is due by, or a timescale where there is no single date."
    if any(commitment.compact_id != compact.pk for commitment in commitments):
        errors["commitments"] = "Choose commitments of this compact."
    if errors:
        raise ValidationError(errors)


def _tidy_status(action: PlanAction) -> None:
    """Keep only what the status needs: the day done for a done action, the reason for a dropped one."""
    if action.status != ActionStatus.DONE:
        action.done_on = None
    if action.status != ActionStatus.DROPPED:
        action.dropped_reason = ""


@transaction.atomic
def plan_action_create(
    *,
    objective: Objective,
    actor: User | None,
    today: datetime.date,
    what: str,
    lead_organisation: Organisation | None = None,
    lead_person: User | None = None,
    lead_group: str = "",
    due_date: datetime.date | None = None,
    timescale: str = "",
    status: str = ActionStatus.NOT_STARTED,
    done_on: datetime.date | None = None,
    dropped_reason: str = "",
    commitments: Iterable[Commitment] = (),
    submission_key: uuid.UUID | None = None,
) -> PlanAction:
    """Add an action under ``objective``: what, its lead (an organisation, a person or a group), its due date or
    timescale, its status, and the commitments it serves. Once per ``submission_key``; checked at once against
    ``action_overdue`` once this commits."""
    objective = Objective.objects.select_related("compact").get(pk=objective.pk)
    compact = objective.compact
    _refuse_unless_editor(actor, compact)
    commitments = list(commitments)
    check_action(
        compact=compact,
        today=today,
        status=status,
        done_on=done_on,
        due_date=due_date,
        timescale=timescale,
        commitments=commitments,
    )

    def create() -> PlanAction:
        last = PlanAction.objects.filter(objective=objective).aggregate(last=Max("position"))["last"]
        action = PlanAction(
            objective=objective,
            what=_text(what),
            lead_organisation=lead_organisation,
            lead_person=lead_person,
            lead_group=_text(lead_group),
            due_date=due_date,
            timescale=_text(timescale),
            status=status,
            done_on=done_on,
            dropped_reason=_text(dropped_reason),
            position=0 if last is None else last + 1,
            created_by=actor,
        )
        _tidy_status(action)
        validated_save(action, actor)
        action.commitments.set(commitments)
        _recheck(action, f"Action added to the action plan of {compact.name}")
        return action

    return once(key=submission_key, actor=actor, model=PlanAction, create=create)[0]


@transaction.atomic
def plan_action_update(*, action: PlanAction, actor: User | None, today: datetime.date, **fields) -> PlanAction:
    """Change an action. Its lead may change its status (done with the day it was done, not after ``today``;
    dropped with the reason); the compact's champions and administrators may change everything. Checked again
    against ``action_overdue`` once this commits."""
    check_fields(fields, ACTION_FIELDS)
    action = PlanAction.objects.select_for_update(of=("self",)).select_related("objective__compact").get(pk=action.pk)
    compact = action.objective.compact
    if actor is not None:
        if not may_update_action(user=actor, action=action):
            raise PermissionDenied(REFUSED_LEAD)
        if set(fields) - set(STATUS_FIELDS):
            _refuse_unless_editor(actor, compact)
    commitments = fields.pop("commitments", None)
    if "objective" in fields and fields["objective"].compact_id != compact.pk:
        raise ValidationError({"objective": "Choose an objective of this compact's plan."})
    for name, value in fields.items():
        setattr(action, name, _text(value) if isinstance(value, str) and name != "status" else value)
    check_action(
        compact=compact,
        today=today,
        status=action.status,
        done_on=action.done_on,
        due_date=action.due_date,
        timescale=action.timescale,
        commitments=commitments or (),
    )
    _tidy_status(action)
    validated_save(action, actor)
    if commitments is not None:
        action.commitments.set(commitments)
    _recheck(action, f"Action of the action plan of {compact.name} updated")
    return action


# --- Progress notes --------------------------------------------------------------------------------------------


@transaction.atomic
def progress_note_add(
    *,
    action: PlanAction,
    actor: User | None,
    today: datetime.date,
    text: str,
    noted_on: datetime.date | None = None,
    submission_key: uuid.UUID | None = None,
) -> ProgressNote:
    """A dated note of progress on ``action`` (``noted_on``: today unless given, never after today), by its lead
    or the plan's editors; once per ``submission_key``."""
    action = PlanAction.objects.select_related("objective__compact").get(pk=action.pk)
    if actor is not None and not may_update_action(user=actor, action=action):
        raise PermissionDenied(REFUSED_LEAD)
    noted_on = noted_on or today
    errors = {}
    if not _text(text):
        errors["text"] = "Write what has happened."
    if noted_on > today:
        errors["noted_on"] = f"A note cannot be dated after today ({long_date(today)})."
    if errors:
        raise ValidationError(errors)

    def create() -> ProgressNote:
        note = ProgressNote(action=action, noted_on=noted_on, text=_text(text), author=actor)
        note.full_clean()
        note.save()
        return note

    return once(key=submission_key, actor=actor, model=ProgressNote, create=create)[0]


# --- Reviews ---------------------------------------------------------------------------------------------------


def check_review(*, today: datetime.date, held_on: datetime.date | None, next_review_on: datetime.date | None) -> None:
    """What ``review_record`` refuses in the dates typed (the form asks the same)."""
    errors = {}
    if held_on is not None and held_on > today:
        errors["held_on"] = f"A review cannot be recorded before it is held: {long_date(today)} at the latest."
    if held_on is not None and next_review_on is not None and next_review_on <= held_on:
        errors["next_review_on"] = "The next review must come after this one."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def review_record(
    *,
    compact: Compact,
    actor: User | None,
    today: datetime.date,
    kind: str,
    held_on: datetime.date,
    public_participants: str,
    vcs_participants: str,
    findings: str,
    next_review_on: datetime.date,
    changes: str = "",
    submission_key: uuid.UUID | None = None,
) -> Review:
    """Record a review of the compact or of its action plan: when it was held, who took part from each side, what
    was found, what changes, and the next review date. The latest review (by the day it was held) sets the
    compact's next review date, through ``compact_save``, so the yearly review's flag follows at once. Once per
    ``submission_key``; by the compact's champions and administrators."""
    _refuse_unless_editor(actor, compact, REFUSED_REVIEW)
    check_review(today=today, held_on=held_on, next_review_on=next_review_on)

    def create() -> Review:
        locked = Compact.objects.select_for_update().get(pk=compact.pk)
        review = Review(
            compact=locked,
            kind=kind,
            held_on=held_on,
            public_participants=_text(public_participants),
            vcs_participants=_text(vcs_participants),
            findings=_text(findings),
            changes=_text(changes),
            next_review_on=next_review_on,
            recorded_by=actor,
        )
        validated_save(review, actor)
        later = Review.objects.filter(compact=locked, held_on__gt=held_on).exists()
        if not later and locked.next_review_date != next_review_on:
            locked.next_review_date = next_review_on
            compact_save(compact=locked, actor=actor, changed={"next_review_date"})
            compact.next_review_date = next_review_on
        return review

    return once(key=submission_key, actor=actor, model=Review, create=create)[0]
