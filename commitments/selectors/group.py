"""Reads about a compact's implementation group (Nottinghamshire KP3.2–3.3): who may see and run it, its members
and its meetings, and the period a meeting's pack covers.

Who may do what, decided here once for the pages and the services:

- **everyone signed in** sees the group: its members and its meetings, with their notes, decisions and the actions
  each reviewed (the action plan is open to everyone signed in too). The public does not: a meeting's notes are
  the group's working papers, not a published record, so the pages ask visitors to sign in;
- **the compact's champions and administrators** run it: they add and remove members and record the meetings;
- **the meeting pack** (the open flags since the last meeting, the late actions, the open concerns and the
  period's headline figures) goes to those who meet: the group's current members with an account, the compact's
  champions and administrators. It names organisations with open flags and carries the dashboard's figures,
  which the portal otherwise shows only to champions and administrators, so it is not for everyone signed in.
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role
from compact_portal.periods import Period

from ..models import Champion, Compact, GroupMember, Meeting, Organisation, PlanAction, Signature, SignatureStatus

# With no meeting before it, a pack looks back this far from its meeting's date.
FIRST_PACK_LOOKS_BACK = relativedelta(months=3)


def group_compact(*, user: User, slug: str) -> Compact:
    """The compact whose group ``user`` may see (everyone signed in), annotated with ``runs_group``: whether they
    may run it. Raises ``Compact.DoesNotExist`` for no such compact or a visitor. One query."""
    if not user.is_authenticated:
        raise Compact.DoesNotExist
    compact = Compact.objects.annotate(
        championed=Exists(Champion.objects.filter(user_id=user.pk, compact=OuterRef("pk")))
    ).get(slug=slug)
    compact.runs_group = compact.championed or user.has_role(Role.ADMINISTRATOR)
    return compact


def may_run_group(*, user: User, compact: Compact) -> bool:
    """Whether ``user`` adds members and records meetings: the compact's champions and administrators. Asks the
    database each time (the services' check); a page reads ``group_compact``'s ``runs_group`` instead."""
    if not user.is_authenticated:
        return False
    return user.has_role(Role.ADMINISTRATOR) or Champion.objects.filter(user_id=user.pk, compact=compact).exists()


def may_have_pack(*, user: User, compact: Compact) -> bool:
    """Whether ``user`` may download the group's meeting packs: those who run the group, and its current
    members with an account."""
    runs = getattr(compact, "runs_group", None)
    return (runs if runs is not None else may_run_group(user=user, compact=compact)) or (
        user.is_authenticated and current_members(compact=compact).filter(user_id=user.pk).exists()
    )


def current_members(*, compact: Compact) -> QuerySet[GroupMember]:
    """The members who have not left, chair first, then by side and name."""
    return compact.group_members.filter(left_on__isnull=True).select_related("organisation", "user")


def former_members(*, compact: Compact) -> QuerySet[GroupMember]:
    return (
        compact.group_members.filter(left_on__isnull=False).select_related("organisation").order_by("-left_on", "name")
    )


def group_candidates(*, compact: Compact) -> tuple[QuerySet[User], QuerySet[Organisation]]:
    """Who may be added to the group: the people of the organisations that have signed the compact and its
    champions; and those organisations."""
    signed = Signature.objects.filter(
        compact=compact, status=SignatureStatus.APPROVED, organisation=OuterRef("organisation_id")
    )
    people = User.objects.filter(
        Exists(Membership.objects.filter(Exists(signed), user=OuterRef("pk")))
        | Q(Exists(Champion.objects.filter(compact=compact, user=OuterRef("pk")))),
        is_active=True,
    ).order_by("full_name", "email")
    organisations = Organisation.objects.filter(
        Exists(Signature.objects.filter(compact=compact, status=SignatureStatus.APPROVED, organisation=OuterRef("pk")))
    ).order_by("name")
    return people, organisations


def meetings_of(*, compact: Compact) -> QuerySet[Meeting]:
    """The group's meetings, newest first, each with how many actions it reviewed: one query a page."""
    return compact.meetings.annotate(reviewed=Count("actions_reviewed")).order_by("-held_on", "-pk")


def meeting_of(*, compact: Compact, pk: int) -> Meeting:
    """One meeting of the compact with the actions it reviewed (and their objectives and leads); raises
    ``Meeting.DoesNotExist`` for a meeting of another compact."""
    return (
        Meeting.objects.select_related("compact", "recorded_by")
        .prefetch_related(
            Prefetch(
                "actions_reviewed",
                queryset=PlanAction.objects.select_related(
                    "objective__compact", "lead_organisation", "lead_person"
                ).order_by("objective__position", "objective__number", "position", "pk"),
            )
        )
        .get(compact=compact, pk=pk)
    )


def plan_actions_of(*, compact: Compact) -> QuerySet[PlanAction]:
    """The compact's actions, a meeting may review: by objective, in the plan's order."""
    return (
        PlanAction.objects.filter(objective__compact=compact)
        .select_related("objective")
        .order_by("objective__position", "objective__number", "position", "pk")
    )


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The group's meeting before ``meeting``: the latest held before its day (or earlier the same day)."""
    earlier = meeting.compact.meetings.filter(held_on__lt=meeting.held_on) | meeting.compact.meetings.filter(
        held_on=meeting.held_on, pk__lt=meeting.pk
    )
    return earlier.order_by("-held_on", "-pk").first()


def pack_period(meeting: Meeting, *, today: datetime.date) -> Period:
    """What a meeting's pack covers: from the day of the group's previous meeting (three months before this one
    for the first) to the meeting's day, or today for a meeting still to come."""
    end = min(meeting.held_on, today)
    before = previous_meeting(meeting)
    start = before.held_on if before else meeting.held_on - FIRST_PACK_LOOKS_BACK
    return Period(min(start, end), end)
