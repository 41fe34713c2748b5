"""Monitoring and reporting on funding (Portsmouth 12 and 17), and what comes before ending it for performance (12.7).

- A compact keeps **standard monitoring templates** (12.5); an officer sets up each relationship's
  **monitoring plan** from one: what is asked, why and how it will be used (12.2), how often, and whether service
  users' views are part of it (12.4). The plan is agreed with the organisation before the agreement is signed
  (12.1, 17.1: ``FundingRelationship.monitoring_agreed_date``) and asks no more often than the compact's band for
  the funding's value allows (12.3), unless the reason is recorded.
- The plan's **returns**, each due on a stored day (``funding.rules.return_due_date``), are made by the
  organisation (17.3: draft, submit, reply) and reviewed by the funder (accepted, or questions), with the exchange
  kept as **messages** and any files as **documents**.
- An organisation gives its funders early notice of a **significant change** (17.4).
- Before funding ends or is reduced for performance, an **improvement timetable** of actions is agreed (12.7).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from commitments.models import Compact, Organisation, Side
from compact_portal.formatting import long_date
from compact_portal.models import Recorded, actor_field
from compact_portal.uploads import get_private_storage, private_upload_to

from .relationships import FundingRelationship


class ReturnsPerYear(models.IntegerChoices):
    """How often a plan asks for a return."""

    ONE = 1, "Once a year"
    TWO = 2, "Twice a year"
    FOUR = 4, "Every quarter"
    TWELVE = 12, "Every month"


def question_lines(text: str) -> list[str]:
    """A plan's or template's questions: one per non-blank line, in order."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class MonitoringTemplate(Recorded):
    """A compact's standard monitoring arrangements (12.5), which officers start each plan from."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="monitoring_templates")
    name = models.CharField(max_length=200)
    questions = models.TextField(help_text="One question per line: what each return asks.")
    purpose = models.TextField(
        "why it is asked and how it will be used", help_text="Told to the organisation with the questions (12.2)."
    )
    service_user_views = models.BooleanField(
        "includes service users' views", default=True, help_text="Returns ask how service users see the work (12.4)."
    )
    created_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["compact", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["compact", "name"],
                name="monitoring_template_unique_name_per_compact",
                violation_error_message="This compact already has a monitoring template of that name.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def question_list(self) -> list[str]:
        return question_lines(self.questions)


class MonitoringPlan(Recorded):
    """How one funding relationship is monitored: agreed with the organisation before the agreement is signed
    (12.1, 17.1), its returns' due dates stored on them."""

    relationship = models.OneToOneField(FundingRelationship, on_delete=models.CASCADE, related_name="monitoring_plan")
    template = models.ForeignKey(
        MonitoringTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="plans"
    )
    questions = models.TextField(help_text="One question per line: what each return asks (12.2).")
    purpose = models.TextField(
        "why it is asked and how it will be used", help_text="Told to the organisation with the questions (12.2)."
    )
    returns_per_year = models.PositiveSmallIntegerField("returns a year", choices=ReturnsPerYear.choices)
    service_user_views = models.BooleanField("includes service users' views", default=False)  # 12.4
    disproportion_reason = models.TextField(
        "why more often than the compact's band",
        blank=True,
        help_text="Where the plan asks for returns more often than the compact's band for funding of this value "
        "allows, why that is proportionate here (12.3).",
    )

    # Stored (by the services, from the compact's bands and the funding's amount; recomputed when either changes).
    returns_allowed_per_year = models.PositiveSmallIntegerField(
        "most returns a year the band allows", help_text="The compact's band for the funding's value (12.3)."
    )

    created_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["relationship"]
        indexes = [
            models.Index(
                F("relationship"),
                condition=Q(returns_per_year__gt=F("returns_allowed_per_year"), disproportion_reason=""),
                name="monitoring_plan_over_band",
            )
        ]

    def __str__(self) -> str:
        return f"Monitoring plan for {self.relationship.reference}"

    def get_absolute_url(self) -> str:
        return reverse("funding:relationship_detail", args=[self.relationship_id]) + "#monitoring"

    @property
    def question_list(self) -> list[str]:
        return question_lines(self.questions)

    def clean(self):
        super().clean()
        # Whitespace alone is no reason: stored blank, so the rule sees the plan as unexplained.
        self.disproportion_reason = self.disproportion_reason.strip()
        if not self.question_list:
            raise ValidationError({"questions": "Give at least one question the returns will answer."})


class ReturnStatus(models.TextChoices):
    DUE = "due", "Not started"
    DRAFT = "draft", "Draft saved"
    SUBMITTED = "submitted", "Sent, awaiting the funder's review"
    QUESTIONS = "questions", "The funder has questions"
    ACCEPTED = "accepted", "Accepted"


class MonitoringReturn(Recorded):
    """One return the organisation makes under its plan (17.3), for a period, due on a stored day."""

    plan = models.ForeignKey(MonitoringPlan, on_delete=models.CASCADE, related_name="returns")
    period_start = models.DateField("covers from")
    period_end = models.DateField("covers to")
    due_date = models.DateField("due on", help_text="A weekend or bank holiday moves to the next working day.")
    status = models.CharField(max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.DUE)
    answers = models.JSONField(
        default=list, blank=True, help_text='[{"question": ..., "answer": ...}], the plan\'s questions when answered.'
    )
    submitted_date = models.DateField("first sent on", null=True, blank=True)  # what decides 17.3
    submitted_by = actor_field()
    reviewed_by = actor_field()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "period_start"],
                name="monitoring_return_unique_period_per_plan",
                violation_error_message="The plan already has a return for the period starting that day.",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="monitoring_return_period_ends_after_start",
                violation_error_message="The period must not end before it starts.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_date"], condition=Q(submitted_date__isnull=True), name="monitoring_return_outstanding"
            ),
            models.Index(fields=["plan", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"Monitoring return due {long_date(self.due_date)}"

    def get_absolute_url(self) -> str:
        return reverse("funding:return_detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The period must not end before it starts."})


class MessageKind(models.TextChoices):
    SUBMITTED = "submitted", "Return sent"
    QUESTIONS = "questions", "Questions from the funder"
    REPLY = "reply", "Reply"
    ACCEPTED = "accepted", "Return accepted"


class ReturnMessage(models.Model):
    """One step of the exchange about a return, in order: never changed once written."""

    monitoring_return = models.ForeignKey(MonitoringReturn, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    side = models.CharField(max_length=10, choices=Side.choices)
    text = models.TextField(blank=True)
    actor = actor_field()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.get_kind_display()


class ReturnDocument(Recorded):
    """A file sent with a return, through the portal's safe uploads."""

    monitoring_return = models.ForeignKey(MonitoringReturn, on_delete=models.CASCADE, related_name="documents")
    uploaded_by = actor_field()
    file = models.FileField(upload_to=private_upload_to, storage=get_private_storage)
    content_type = models.CharField(max_length=100)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class ChangeKind(models.TextChoices):
    MANAGEMENT = "management", "Management"
    FINANCES = "finances", "Finances"
    OTHER_RISK = "other_risk", "Other risks"


class SignificantChange(Recorded):
    """Early notice an organisation gives its funders of a significant change (17.4): on the story of each
    relationship it names."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="significant_changes")
    kind = models.CharField("what changed", max_length=20, choices=ChangeKind.choices)
    description = models.TextField("what has changed, and what it may mean for the funded work")
    told_on = models.DateField("told on")
    relationships = models.ManyToManyField(FundingRelationship, related_name="significant_changes")
    told_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-told_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} change told on {long_date(self.told_on)}"


class ImprovementTimetable(Recorded):
    """Actions agreed with the organisation to put a project's problems right, before any decision to end or reduce
    its funding for performance (12.7)."""

    relationship = models.ForeignKey(
        FundingRelationship, on_delete=models.CASCADE, related_name="improvement_timetables"
    )
    problems = models.TextField("the problems discussed")
    agreed_on = models.DateField("agreed with the organisation on")
    review_on = models.DateField("progress reviewed on")
    created_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-agreed_on", "-pk"]
        indexes = [models.Index(fields=["relationship", "agreed_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_on__gte=F("agreed_on")),
                name="improvement_timetable_review_after_agreement",
                violation_error_message="The review cannot come before the timetable is agreed.",
            )
        ]

    def __str__(self) -> str:
        return f"Improvement timetable agreed on {long_date(self.agreed_on)}"

    def clean(self):
        super().clean()
        if self.agreed_on and self.review_on and self.review_on < self.agreed_on:
            raise ValidationError({"review_on": "The review cannot come before the timetable is agreed."})


class ImprovementAction(models.Model):
    """One action of an improvement timetable, with the day it is due and, once done, the day it was done."""

    timetable = models.ForeignKey(ImprovementTimetable, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=300)
    due_on = models.DateField("due by")
    done_on = models.DateField("done on", null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.action
