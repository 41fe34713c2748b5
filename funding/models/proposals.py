"""Proposals that change funding, and the deadline planner's steps for each (the Compact impact assessment of
Nottinghamshire KP3.1).

An officer says what their body intends (end, reduce or change funding on a day, or start new funding) and the
planner (``commitments.planner``, whose steps each app registers) works back from that day, with the compact's
settings and bank holidays, to the latest day for each step the compact requires. The steps are stored with the
proposal (``ProposalStep.latest_by``, counted again when the proposal changes), so the officer's worklist and
calendar can list them once the proposal goes ahead.
"""

from django.db import models
from django.urls import reverse

from commitments.models import Compact, Organisation
from compact_portal.models import Recorded, actor_field

from .relationships import FundingRelationship


class ProposalKind(models.TextChoices):
    END = "end", "End funding"
    REDUCE = "reduce", "Reduce funding"
    CHANGE = "change", "Change funding"
    NEW = "new", "Start new funding"


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", "Being planned"
    GOING_AHEAD = "going_ahead", "Going ahead"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Proposal(Recorded):
    """What a public body intends for funding, from a day, under a compact."""

    compact = models.ForeignKey(Compact, on_delete=models.PROTECT, related_name="proposals")
    funder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="proposals")
    title = models.CharField(max_length=200, help_text='e.g. "End the community grants programme".')
    kind = models.CharField(max_length=10, choices=ProposalKind.choices)
    effective_date = models.DateField("takes effect on")
    fixed_end = models.BooleanField(
        "end date defined from the start",
        default=False,
        help_text="Where the compact excepts funding whose end was fixed when it began from the notice period.",
    )
    relationships = models.ManyToManyField(FundingRelationship, blank=True, related_name="proposals")
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT)
    created_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["effective_date", "pk"]
        indexes = [models.Index(fields=["funder", "status"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("funding:proposal_detail", args=[self.pk])


class ProposalStep(models.Model):
    """One step the compact requires before the proposal takes effect, with the latest day for it (stored)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(max_length=40, help_text="The planner's name for the step, e.g. notice_by.")
    label = models.CharField(max_length=200)
    latest_by = models.DateField("at the latest on", db_index=True)
    clause = models.CharField(max_length=300, blank=True, help_text="The compact's clause, or the portal default.")
    done_on = models.DateField("done on", null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["proposal", "position", "latest_by"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "key"], name="proposal_step_unique_key"),
        ]

    def __str__(self) -> str:
        return self.label
