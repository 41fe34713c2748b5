"""Reads of a compact's action plan and its reviews, and who may do what with them (decided here once: the pages
ask these functions what to offer, the services ask them what to refuse).

- Everyone signed in sees a compact's action plan and its reviews; the public sees them on the compact's page
  unless the compact keeps its plan private (``Compact.action_plan_public``).
- The compact's champions and administrators edit the whole plan and record reviews.
- An action's lead (the lead person, or an officer, VCS member or champion of the lead organisation) updates their
  own action's status and adds progress notes to it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet, Value

from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role

from .. import rules
from ..models import (
    OPEN_ACTION_STATUSES,
    ActionStatus,
    Champion,
    Compact,
    Objective,
    Organisation,
    PlanAction,
    ProgressNote,
    Review,
    Signature,
    SignatureStatus,
)

# The roles in the lead organisation that make a person one of an action's leads.
LEAD_ROLES = (Role.OFFICER, Role.VCS_MEMBER, Role.CHAMPION)
LATE = "late"  # the plan's status filter: open actions past their due date
MINE = "mine"  # the plan's lead filter: the actions the person leads


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def may_see_plan(*, user, compact: Compact) -> bool:
    """Everyone signed in; the public while the compact shows its plan (``action_plan_public``)."""
    return _signed_in(user) or compact.action_plan_public


def may_edit_plan(*, user, compact: Compact) -> bool:
    """A champion appointed to the compact, or an administrator: the whole plan, and its reviews."""
    if not _signed_in(user):
        return False
    return user.has_role(Role.ADMINISTRATOR) or Champion.objects.filter(user=user, compact=compact).exists()


def led_by(user) -> Q:
    """The actions ``user`` leads: as the lead person, or as an officer, VCS member or champion of the lead
    organisation (a condition on ``PlanAction``; a subquery, no query of its own)."""
    if not _signed_in(user):
        return Q(pk__in=[])
    member = Membership.objects.filter(user_id=user.pk, role__in=LEAD_ROLES, organisation=OuterRef("lead_organisation"))
    return Q(lead_person_id=user.pk) | Q(Exists(member))


def _led(user):
    """``led_by(user)`` as a column: whether ``user`` leads each action (False for a visitor)."""
    if not _signed_in(user):
        return Value(False, output_field=BooleanField())
    return ExpressionWrapper(led_by(user), output_field=BooleanField())


def may_update_action(*, user, action: PlanAction) -> bool:
    """Whether ``user`` may change the action's status and add progress notes: the plan's editors and the
    action's leads."""
    if not _signed_in(user):
        return False
    if may_edit_plan(user=user, compact=action.objective.compact):
        return True
    return PlanAction.objects.filter(led_by(user), pk=action.pk).exists()


@dataclass(frozen=True)
class PlanAccess:
    """What a person may do with one compact's plan: see it, edit all of it; ``leads`` holds the ids of the
    actions they lead (filled by ``plan_of``)."""

    see: bool
    edit: bool

    def may_update(self, action: PlanAction) -> bool:
        return self.edit or bool(getattr(action, "led", False))


def plan_access(*, user, compact: Compact) -> PlanAccess:
    return PlanAccess(see=may_see_plan(user=user, compact=compact), edit=may_edit_plan(user=user, compact=compact))


# --- The plan --------------------------------------------------------------------------------------------------


def actions_of(compact: Compact) -> QuerySet[PlanAction]:
    return PlanAction.objects.filter(objective__compact=compact)


def _late(today: datetime.date) -> Q:
    return Q(status__in=OPEN_ACTION_STATUSES, due_date__lt=today)


def plan_of(*, compact: Compact, user, today: datetime.date, status: str = "", lead: str = "") -> list[Objective]:
    """The compact's objectives, each with ``shown_actions``: its actions narrowed by ``status`` (an
    ``ActionStatus``, or ``LATE``) and ``lead`` (an organisation's slug, or ``MINE``), in the plan's order. Each
    action carries ``late``, ``due_soon`` and ``led`` (``user`` leads it). Three queries whatever the plan's size:
    the objectives, the actions with their leads, their commitments."""
    actions = actions_of(compact)
    if status == LATE:
        actions = actions.filter(_late(today))
    elif status in ActionStatus.values:
        actions = actions.filter(status=status)
    if lead == MINE:
        actions = actions.filter(led_by(user))
    elif lead:
        actions = actions.filter(lead_organisation__slug=lead)
    actions = (
        actions.annotate(led=_led(user))
        .select_related("lead_organisation", "lead_person")
        .prefetch_related("commitments")
        .order_by("position", "pk")
    )
    by_objective: dict[int, list[PlanAction]] = {}
    for action in actions:
        action.late = rules.action_late(due=action.due_date, open_=action.status in OPEN_ACTION_STATUSES, today=today)
        action.due_soon = rules.action_due_soon(
            due=action.due_date, open_=action.status in OPEN_ACTION_STATUSES, today=today
        )
        by_objective.setdefault(action.objective_id, []).append(action)
    objectives = list(Objective.objects.filter(compact=compact).order_by("position", "number", "pk"))
    for objective in objectives:
        objective.shown_actions = by_objective.get(objective.pk, [])
    return objectives


def plan_action_of(*, compact: Compact, pk: int, user=None, today: datetime.date) -> PlanAction:
    """One action of ``compact``'s plan with its objective, leads, commitments and progress notes (oldest first);
    raises ``PlanAction.DoesNotExist`` for an action of another compact."""
    action = (
        actions_of(compact)
        .annotate(led=_led(user))
        .select_related("objective__compact", "lead_organisation", "lead_person")
        .prefetch_related(
            "commitments", Prefetch("progress_notes", queryset=ProgressNote.objects.select_related("author"))
        )
        .get(pk=pk)
    )
    open_ = action.status in OPEN_ACTION_STATUSES
    action.late = rules.action_late(due=action.due_date, open_=open_, today=today)
    action.due_soon = rules.action_due_soon(due=action.due_date, open_=open_, today=today)
    return action


def late_actions(*, compact: Compact, today: datetime.date, organisation: Organisation | None = None) -> QuerySet:
    """The compact's actions neither done nor dropped whose due date has passed (led by ``organisation``, if
    given), the latest first: what the dashboard, the report and the implementation group's pack list as late."""
    late = actions_of(compact).filter(_late(today))
    if organisation is not None:
        late = late.filter(lead_organisation=organisation)
    return late.select_related("objective", "lead_organisation", "lead_person").order_by("due_date", "pk")


@dataclass(frozen=True)
class PlanSummary:
    """Where a plan's actions stand today, each counted once: late (open and past its due date) before its
    status; the others by their status."""

    done: int = 0
    on_track: int = 0
    not_started: int = 0
    at_risk: int = 0
    late: int = 0
    dropped: int = 0

    @property
    def total(self) -> int:
        return self.done + self.on_track + self.not_started + self.at_risk + self.late + self.dropped

    @property
    def text(self) -> str:
        """ "Action plan: 3 done, 4 on track, 2 late"."""
        return f"Action plan: {self.done} done, {self.on_track} on track, {self.late} late"


def plan_summary(*, compact: Compact, today: datetime.date, organisation: Organisation | None = None) -> PlanSummary:
    """How many of the compact's actions (led by ``organisation``, if given) are done, on track, not started, at
    risk, late and dropped today; one query."""
    actions = actions_of(compact)
    if organisation is not None:
        actions = actions.filter(lead_organisation=organisation)
    late = _late(today)
    counts = actions.aggregate(
        done=Count("pk", filter=Q(status=ActionStatus.DONE)),
        dropped=Count("pk", filter=Q(status=ActionStatus.DROPPED)),
        late=Count("pk", filter=late),
        on_track=Count("pk", filter=Q(status=ActionStatus.ON_TRACK) & ~late),
        not_started=Count("pk", filter=Q(status=ActionStatus.NOT_STARTED) & ~late),
        at_risk=Count("pk", filter=Q(status=ActionStatus.AT_RISK) & ~late),
    )
    return PlanSummary(**counts)


# --- Reviews ---------------------------------------------------------------------------------------------------


def reviews_of(*, compact: Compact) -> QuerySet[Review]:
    """The compact's reviews, the latest first, with who recorded each."""
    return Review.objects.filter(compact=compact).select_related("recorded_by").order_by("-held_on", "-pk")


# --- Choices for the forms -------------------------------------------------------------------------------------


def lead_organisations(*, compact: Compact) -> QuerySet[Organisation]:
    """The organisations that may lead an action: those that have signed the compact, and those its champions are
    appointed in."""
    signed = Signature.objects.filter(compact=compact, organisation=OuterRef("pk"), status=SignatureStatus.APPROVED)
    championed = Champion.objects.filter(compact=compact, organisation=OuterRef("pk"))
    return Organisation.objects.filter(Exists(signed) | Exists(championed)).order_by("name")


def lead_people(*, compact: Compact) -> QuerySet[User]:
    """The people who may lead an action: members of an organisation that may lead one, and the compact's
    champions."""
    member = Membership.objects.filter(user=OuterRef("pk"), organisation__in=lead_organisations(compact=compact))
    champion = Champion.objects.filter(user=OuterRef("pk"), compact=compact)
    return User.objects.filter(Exists(member) | Exists(champion), is_active=True).order_by("full_name", "email")
