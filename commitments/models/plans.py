"""A compact's action plan, its reviews and its implementation group.

- **The action plan** (Portsmouth's Partnership Improvement Action Plan, Appendix A; Leicestershire §8, §11):
  objectives, each with actions that have a lead (an organisation, a person or a group), a due date or a
  timescale, a status and dated progress notes, and may name the commitments they serve. An action not done or
  dropped by its due date is flagged against its lead (``action_overdue``).
- **Reviews** of the action plan and of the compact itself: who took part from each side, what was found, what
  changes; a review sets the compact's next review date (the existing ``compact_review_overdue`` rule reads it).
- **The implementation group** (Nottinghamshire KP3.2–3.3): members from both sides, chaired by a Compact champion,
  and its meetings with their notes, decisions and the actions each reviewed.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from compact_portal.formatting import long_date
from compact_portal.models import Recorded, actor_field

from .compacts import Commitment, Compact, Organisation, Side


class Objective(Recorded):
    """One objective of a compact's action plan."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="objectives")
    number = models.CharField(max_length=20, help_text='How the plan numbers it, e.g. "1" or "A".')
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["compact", "position", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["compact", "number"],
                name="objective_unique_number_per_compact",
                violation_error_message="The action plan already has an objective with this number.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


OPEN_ACTION_STATUSES = (ActionStatus.NOT_STARTED, ActionStatus.ON_TRACK, ActionStatus.AT_RISK)


class PlanAction(Recorded):
    """One action under an objective: what, who leads it, by when, and where it stands."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="actions")
    what = models.TextField("what is to be done")
    lead_organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="plan_actions_led"
    )
    lead_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="plan_actions_led"
    )
    lead_group = models.CharField(
        "lead group", max_length=200, blank=True, help_text='A group that leads it, e.g. "the champions\' group".'
    )
    due_date = models.DateField("due by", null=True, blank=True, db_index=True)
    timescale = models.CharField(
        max_length=100, blank=True, help_text='Where there is no single date, e.g. "every six months" or "ongoing".'
    )
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED)
    dropped_reason = models.TextField("why it was dropped", blank=True)
    done_on = models.DateField("done on", null=True, blank=True)
    commitments = models.ManyToManyField(Commitment, blank=True, related_name="plan_actions")
    position = models.PositiveSmallIntegerField(default=0)
    created_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["objective", "position", "pk"]
        indexes = [
            models.Index(
                fields=["due_date"],
                condition=Q(status__in=["not_started", "on_track", "at_risk"]),
                name="plan_action_open_due",
            )
        ]

    def __str__(self) -> str:
        return self.what[:80]

    def get_absolute_url(self) -> str:
        return reverse("commitments:plan_action", args=[self.objective.compact.slug, self.pk])

    @property
    def lead(self) -> str:
        """Who leads it, in words: the person, the organisation and the group that are named."""
        parts = [
            self.lead_person.get_full_name() if self.lead_person_id else "",
            str(self.lead_organisation) if self.lead_organisation_id else "",
            self.lead_group,
        ]
        return ", ".join(part for part in parts if part) or "No lead named"

    def clean(self):
        super().clean()
        self.dropped_reason = self.dropped_reason.strip()
        errors = {}
        if self.status == ActionStatus.DROPPED and not self.dropped_reason:
            errors["dropped_reason"] = "Say why the action is dropped."
        if self.status == ActionStatus.DONE and self.done_on is None:
            errors["done_on"] = "Give the day it was done."
        if not self.lead_organisation_id and not self.lead_person_id and not self.lead_group.strip():
            errors["lead_group"] = "Name who leads it: an organisation, a person or a group."
        if errors:
            raise ValidationError(errors)


class ProgressNote(models.Model):
    """A dated note of progress on an action; kept as written."""

    action = models.ForeignKey(PlanAction, on_delete=models.CASCADE, related_name="progress_notes")
    noted_on = models.DateField("on")
    text = models.TextField()
    author = actor_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["noted_on", "pk"]

    def __str__(self) -> str:
        return f"Progress on {long_date(self.noted_on)}"


class ReviewKind(models.TextChoices):
    ACTION_PLAN = "action_plan", "Review of the action plan"
    COMPACT = "compact", "Review of the compact"


class Review(Recorded):
    """A review of a compact or of its action plan (Leicestershire §8, §11; Portsmouth's six-month review): who
    took part from each side, what was found, what changes, and the next review date it sets."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(max_length=20, choices=ReviewKind.choices)
    held_on = models.DateField("held on")
    public_participants = models.TextField("who took part for the public bodies")
    vcs_participants = models.TextField("who took part for the voluntary and community sector")
    findings = models.TextField("what was found")
    changes = models.TextField("what changes", blank=True)
    next_review_on = models.DateField("next review by")
    recorded_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_review_on__gt=models.F("held_on")),
                name="review_next_after_held",
                violation_error_message="The next review must come after this one.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} held on {long_date(self.held_on)}"

    def clean(self):
        super().clean()
        if self.held_on and self.next_review_on and self.next_review_on <= self.held_on:
            raise ValidationError({"next_review_on": "The next review must come after this one."})


class GroupMember(Recorded):
    """A member of a compact's implementation group, from either side; one member chairs it."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="group_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="group_memberships"
    )
    name = models.CharField(max_length=200, help_text="As the group's papers name them.")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="group_members"
    )
    side = models.CharField(max_length=10, choices=Side.choices)
    chair = models.BooleanField(default=False, help_text="A Compact champion chairs the group.")
    chair_since = models.DateField("chair since", null=True, blank=True)
    joined_on = models.DateField(default=timezone.localdate)
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["compact", "-chair", "side", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["compact"],
                condition=Q(chair=True, left_on__isnull=True),
                name="group_one_chair_per_compact",
                violation_error_message="The group already has a chair; the chair steps down first.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Meeting(Recorded):
    """A meeting of a compact's implementation group, with its notes, decisions and the actions it reviewed."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField("held on")
    notes = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    actions_reviewed = models.ManyToManyField(PlanAction, blank=True, related_name="meetings")
    recorded_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["compact", "held_on"])]

    def __str__(self) -> str:
        return f"Implementation group meeting of {long_date(self.held_on)}"

    def get_absolute_url(self) -> str:
        return reverse("commitments:meeting_detail", args=[self.compact.slug, self.pk])
