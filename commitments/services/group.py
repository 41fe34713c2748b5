"""Every write to a compact's implementation group (Nottinghamshire KP3.2–3.3): its members, from both sides and
chaired by a Compact champion of the compact, and its meetings with their notes, decisions and the actions each
reviewed.

Only the compact's champions and administrators write (``selectors.group.may_run_group``, which the pages ask
too). Nothing here keeps or breaks a promise of the compact, so no compliance rule is checked again: an action's
lateness follows its own status and due date, not the meetings that reviewed it.
"""

import datetime
import uuid
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from compact_portal.accounts.models import User
from compact_portal.formatting import long_date
from compact_portal.one_time import once
from compact_portal.services import validated_save

from ..models import Champion, Compact, GroupMember, Meeting, Organisation, PlanAction
from ..selectors.group import may_run_group

NOT_RUNNING = "Only the compact's champions and administrators change its implementation group."
CHAIR_NOT_CHAMPION = "The chair must be a Compact champion of this compact: choose a champion, or appoint one first."
CHAIR_WITHOUT_ACCOUNT = "The chair must be a Compact champion with an account: choose the person."
ONE_CHAIR = "The group already has a chair; the chair steps down first."
# A meeting may be recorded ahead of its day (its pack is its papers), but not years ahead.
MEETINGS_AHEAD_DAYS = 366


def _refuse_unless_running(actor: User, compact: Compact) -> None:
    if not may_run_group(user=actor, compact=compact):
        raise PermissionDenied(NOT_RUNNING)


def _chair_refusal(compact: Compact, user_id: int | None) -> str | None:
    """Why the person with ``user_id`` (None: someone without an account) may not chair ``compact``'s group, or
    None: the chair is a Compact champion of the compact (KP3.2)."""
    if user_id is None:
        return CHAIR_WITHOUT_ACCOUNT
    if not Champion.objects.filter(compact=compact, user_id=user_id).exists():
        return CHAIR_NOT_CHAMPION
    return None


# --- Members -------------------------------------------------------------------------------------------------


@transaction.atomic
def group_member_add(
    *,
    compact: Compact,
    actor: User,
    name: str = "",
    side: str = "",
    user: User | None = None,
    organisation: Organisation | None = None,
    chair: bool = False,
    joined_on: datetime.date,
    today: datetime.date,
    submission_key: uuid.UUID | None = None,
) -> GroupMember:
    """Add a member to the group: a person with an account (``user``) or a name as the group's papers give it,
    for an organisation or a side; the chair (``chair``) must be a Compact champion of the compact, and there is
    one chair at a time. The side is the organisation's, when one is named. Once per ``submission_key``."""
    _refuse_unless_running(actor, compact)

    def create() -> GroupMember:
        errors = {}
        member_name = name.strip() or (user.get_full_name() if user else "")
        member_side = organisation.side if organisation is not None else side
        if organisation is not None and side and side != organisation.side:
            errors["side"] = f"{organisation.name} is on the {organisation.get_side_display().lower()} side."
        if not member_name:
            errors["name"] = "Give the member's name, or choose the person."
        if joined_on > today:
            errors["joined_on"] = "A member joins on or before today."
        if user is not None and compact.group_members.filter(user=user, left_on__isnull=True).exists():
            errors["user"] = f"{user.get_full_name()} is already a member of the group."
        if chair:
            refusal = _chair_refusal(compact, user.pk if user else None)
            if refusal:
                errors["chair"] = refusal
            elif compact.group_members.filter(chair=True, left_on__isnull=True).exists():
                errors["chair"] = ONE_CHAIR
        if errors:
            raise ValidationError(errors)
        member = GroupMember(
            compact=compact,
            user=user,
            name=member_name,
            organisation=organisation,
            side=member_side,
            chair=chair,
            chair_since=joined_on if chair else None,
            joined_on=joined_on,
        )
        validated_save(member, actor)
        return member

    return once(key=submission_key, actor=actor, model=GroupMember, create=create)[0]


@transaction.atomic
def group_member_leave(
    *, member: GroupMember, actor: User, left_on: datetime.date, today: datetime.date
) -> GroupMember:
    """Record that a member left the group on ``left_on``; a chair who leaves leaves the chair empty."""
    member = GroupMember.objects.select_for_update().select_related("compact").get(pk=member.pk)
    _refuse_unless_running(actor, member.compact)
    if member.left_on is not None:
        raise ValidationError({"left_on": f"{member.name} left the group on {long_date(member.left_on)}."})
    if left_on > today:
        raise ValidationError({"left_on": "A member leaves on or before today."})
    if left_on < member.joined_on:
        raise ValidationError(
            {"left_on": f"{member.name} joined on {long_date(member.joined_on)}: they cannot leave before that."}
        )
    member.left_on = left_on
    validated_save(member, actor)
    return member


@transaction.atomic
def group_chair_change(
    *, compact: Compact, actor: User, member: GroupMember | None, today: datetime.date
) -> GroupMember | None:
    """Hand the chair of ``compact``'s group to ``member`` from ``today``, or leave it empty (``member`` None): the
    chair steps down and stays a member. ``member`` must be a current member with an account who is a Compact
    champion of the compact (KP3.2). Returns the new chair, or None."""
    _refuse_unless_running(actor, compact)
    current = GroupMember.objects.select_for_update().filter(compact=compact, chair=True, left_on__isnull=True).first()
    if member is not None:
        member = GroupMember.objects.select_for_update().get(pk=member.pk)
        if member.compact_id != compact.pk or member.left_on is not None:
            raise ValidationError({"chair": f"{member.name} is not a member of the group now."})
        if refusal := _chair_refusal(compact, member.user_id):
            raise ValidationError({"chair": refusal})
    if current is not None and current != member:
        current.chair, current.chair_since = False, None
        validated_save(current, actor)
    if member is not None and not member.chair:
        member.chair, member.chair_since = True, today
        validated_save(member, actor)
    return member


# --- Meetings ------------------------------------------------------------------------------------------------


def _meeting_errors(
    *, compact: Compact, held_on: datetime.date, notes: str, decisions: str, actions: list[PlanAction], today
) -> dict:
    errors = {}
    if (held_on - today).days > MEETINGS_AHEAD_DAYS:
        errors["held_on"] = "A meeting is recorded at most a year ahead."
    if held_on > today and (notes or decisions or actions):
        errors["held_on"] = (
            "A meeting still to come has no notes, decisions or actions reviewed yet: record them once it is held."
        )
    others = [action for action in actions if action.objective.compact_id != compact.pk]
    if others:
        errors["actions_reviewed"] = "A meeting reviews only its own compact's actions."
    return errors


def _actions(actions: Iterable[PlanAction]) -> list[PlanAction]:
    ids = {action.pk for action in actions}
    return list(PlanAction.objects.filter(pk__in=ids).select_related("objective"))


@transaction.atomic
def meeting_record(
    *,
    compact: Compact,
    actor: User,
    held_on: datetime.date,
    notes: str = "",
    decisions: str = "",
    actions_reviewed: Iterable[PlanAction] = (),
    today: datetime.date,
    submission_key: uuid.UUID | None = None,
) -> Meeting:
    """Record a meeting of the group: its day, notes, decisions and the compact's actions it reviewed. A meeting
    still to come is recorded with its day alone (its pack can then be prepared); once per ``submission_key``."""
    _refuse_unless_running(actor, compact)

    def create() -> Meeting:
        notes_, decisions_, actions = notes.strip(), decisions.strip(), _actions(actions_reviewed)
        errors = _meeting_errors(
            compact=compact, held_on=held_on, notes=notes_, decisions=decisions_, actions=actions, today=today
        )
        if errors:
            raise ValidationError(errors)
        meeting = Meeting(compact=compact, held_on=held_on, notes=notes_, decisions=decisions_, recorded_by=actor)
        validated_save(meeting, actor)
        meeting.actions_reviewed.set(actions)
        return meeting

    return once(key=submission_key, actor=actor, model=Meeting, create=create)[0]


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    actor: User,
    held_on: datetime.date,
    notes: str,
    decisions: str,
    actions_reviewed: Iterable[PlanAction],
    today: datetime.date,
) -> Meeting:
    """Change a meeting's day, notes, decisions and the actions it reviewed (after it is held, say)."""
    meeting = Meeting.objects.select_for_update().select_related("compact").get(pk=meeting.pk)
    _refuse_unless_running(actor, meeting.compact)
    notes_, decisions_, actions = notes.strip(), decisions.strip(), _actions(actions_reviewed)
    errors = _meeting_errors(
        compact=meeting.compact, held_on=held_on, notes=notes_, decisions=decisions_, actions=actions, today=today
    )
    if errors:
        raise ValidationError(errors)
    meeting.held_on, meeting.notes, meeting.decisions = held_on, notes_, decisions_
    validated_save(meeting, actor)
    meeting.actions_reviewed.set(actions)
    return meeting
