"""Compact concerns and the Informal, Formal and Appeal stages that resolve them (docs/domain.md, "Compact concerns
and disputes").

A concern ("case") is raised by a VCS organisation, or by a public body, about a public body that has
signed the compact. Its ``stage`` moves only through ``disputes/services.py``; ``step`` and
``step_due_by`` store what the case is waiting for and by when, computed in working days from the
compact's settings, so the compliance scan can find every overrun with one indexed query.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from compact_portal.models import Recorded, actor_field
from compact_portal.uploads import get_private_storage, private_upload_to


class Stage(models.TextChoices):
    RECEIVED = "received", "Received"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INFORMAL = "informal", "Informal stage"
    FORMAL = "formal", "Formal stage"
    APPEAL = "appeal", "Appeal"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STAGES = (Stage.RECEIVED, Stage.ACKNOWLEDGED, Stage.INFORMAL, Stage.FORMAL, Stage.APPEAL)
FINISHED_STAGES = (Stage.CLOSED, Stage.WITHDRAWN)


class Step(models.TextChoices):
    """What an open case is waiting for; its deadline is ``Concern.step_due_by``."""

    NONE = "", "Nothing owed"
    ACKNOWLEDGE = "acknowledge", "A champion acknowledges the concern"
    INFORMAL = "informal", "Informal dialogue ends in agreement or escalation"
    FORMAL_RESPONSE = "formal_response", "The body's written formal response"
    APPEAL_DECISION = "appeal_decision", "The panel's decision on the appeal"


class Outcome(models.TextChoices):
    RESOLVED_BY_AGREEMENT = "resolved_by_agreement", "Resolved by agreement"
    UPHELD = "upheld", "Upheld"
    PARTLY_UPHELD = "partly_upheld", "Partly upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"
    WITHDRAWN = "withdrawn", "Withdrawn"


FINDINGS = (Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD)  # what a formal outcome or appeal finds


class Party(models.TextChoices):
    """The part a person plays in one case (computed per case from memberships and appointments)."""

    RAISER = "raiser", "The organisation that raised the concern"
    RESPONDENT = "respondent", "The body the concern is about"
    CHAMPION = "champion", "Compact champion"
    PANEL = "panel", "Dispute panel"


class ConcernSequence(models.Model):
    """The last reference number given in a year: CC-2026-0007 is the seventh concern of 2026."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Concern(models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    compact = models.ForeignKey("commitments.Compact", on_delete=models.PROTECT, related_name="concerns")
    raiser = models.ForeignKey(
        "commitments.Organisation",
        on_delete=models.PROTECT,
        related_name="concerns_raised",
        verbose_name="raised by",
    )
    raised_by = actor_field(blank=False, related_name="concerns_raised")
    respondent = models.ForeignKey(
        "commitments.Organisation",
        on_delete=models.PROTECT,
        related_name="concerns_about",
        verbose_name="signatory concerned",
    )
    commitments = models.ManyToManyField(
        "commitments.Commitment", related_name="concerns", verbose_name="commitments believed broken"
    )
    what_happened = models.TextField("what happened")
    happened_on = models.DateField("when it happened (or began)")
    outcome_sought = models.TextField("the outcome you are seeking")
    withhold_identity = models.BooleanField(
        "withhold our identity from the body concerned",
        default=False,
        help_text="The body will not see your organisation's name or your name, nor your documents.",
    )
    consent = models.BooleanField(
        "consent to the process",
        default=False,
        help_text="You agree that the compact's champions and, on appeal, its dispute panel handle this concern.",
    )

    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.RECEIVED, db_index=True)
    step = models.CharField(max_length=20, choices=Step.choices, blank=True, default=Step.ACKNOWLEDGE)
    step_due_by = models.DateField(null=True, blank=True, db_index=True)

    received_on = models.DateField()
    acknowledged_on = models.DateField(null=True, blank=True)
    informal_started_on = models.DateField(null=True, blank=True)
    formal_started_on = models.DateField(null=True, blank=True)
    formal_response_due = models.DateField(null=True, blank=True)
    formal_extension_days = models.PositiveSmallIntegerField(null=True, blank=True)
    formal_extension_reason = models.TextField(blank=True)
    formal_response = models.TextField(blank=True)
    formal_responded_on = models.DateField(null=True, blank=True)
    formal_outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    formal_outcome_reasons = models.TextField(blank=True)
    formal_decided_on = models.DateField(null=True, blank=True)
    appeal_lodge_by = models.DateField(null=True, blank=True)
    appealed_on = models.DateField(null=True, blank=True)
    appealed_by = models.CharField(max_length=20, choices=Party.choices, blank=True)
    appeal_grounds = models.TextField(blank=True)
    appeal_decided_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)

    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True, db_index=True)
    outcome_reasons = models.TextField(blank=True)
    commitments_found_broken = models.ManyToManyField(
        "commitments.Commitment", blank=True, related_name="concerns_found_broken"
    )
    lessons_learned = models.TextField(blank=True)

    champion = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="concerns_championed",
        help_text="The champion who acknowledged the concern and steers it.",
    )
    panel = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="PanelAssignment",
        through_fields=("concern", "member"),
        related_name="panel_cases",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-received_on", "-reference"]
        constraints = [
            models.CheckConstraint(condition=Q(consent=True), name="concern_consent_given"),
            models.CheckConstraint(condition=~Q(raiser=models.F("respondent")), name="concern_not_about_itself"),
            models.CheckConstraint(
                condition=Q(stage__in=["closed", "withdrawn"], outcome__gt="")
                | (~Q(stage__in=["closed", "withdrawn"]) & Q(outcome="")),
                name="concern_outcome_only_when_finished",
            ),
        ]
        indexes = [models.Index(fields=["stage", "step_due_by"], name="concern_open_deadline")]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("disputes:case_detail", args=[self.reference])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class PanelAssignment(Recorded):
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="panel_assignments")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_by = actor_field(blank=False)
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assigned_at"]
        constraints = [models.UniqueConstraint(fields=["concern", "member"], name="panel_member_once_per_case")]

    def __str__(self) -> str:
        return f"{self.member} on {self.concern}"


class ConcernDraft(models.Model):
    """What a person typed into a compact's concern form when it last failed validation, so nothing is lost."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="concern_drafts")
    compact = models.ForeignKey("commitments.Compact", on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "compact"], name="concern_draft_one_per_compact")]

    def __str__(self) -> str:
        return f"Draft concern by {self.user}"


class CaseDocument(Recorded):
    """Evidence or a paper on a case; while the concern is being drafted it belongs to the draft."""

    concern = models.ForeignKey(Concern, null=True, blank=True, on_delete=models.CASCADE, related_name="documents")
    draft = models.ForeignKey(ConcernDraft, null=True, blank=True, on_delete=models.CASCADE, related_name="documents")
    uploaded_by = actor_field(blank=False)
    side = models.CharField(max_length=20, choices=Party.choices)
    file = models.FileField(upload_to=private_upload_to, storage=get_private_storage)
    content_type = models.CharField(max_length=100)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(concern__isnull=False, draft__isnull=True) | Q(concern__isnull=True, draft__isnull=False),
                name="case_document_on_case_or_draft",
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class EventKind(models.TextChoices):
    RAISED = "raised", "Concern raised"
    STAGE = "stage", "Stage changed"
    NOTE = "note", "Note"
    MEETING = "meeting", "Meeting"
    DOCUMENT = "document", "Document added"
    EXTENSION = "extension", "Formal stage extended"
    RESPONSE = "response", "Formal response"
    OUTCOME = "outcome", "Formal outcome"
    PANEL = "panel", "Panel member assigned"


class MeetingKind(models.TextChoices):
    MEDIATION = "mediation", "Mediation"
    CONCILIATION = "conciliation", "Conciliation"
    OTHER = "other", "Meeting"


class CaseEvent(models.Model):
    """One line of a case's timeline: who did what, when. Written only by the services, never changed."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = actor_field(blank=False)
    side = models.CharField(max_length=20, choices=Party.choices)
    at = models.DateTimeField(default=timezone.now)
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    text = models.TextField(blank=True)
    meeting_kind = models.CharField(max_length=20, choices=MeetingKind.choices, blank=True)
    meeting_date = models.DateField(null=True, blank=True)
    attendees = models.TextField(blank=True)
    document = models.ForeignKey(CaseDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["concern", "at"])]

    def __str__(self) -> str:
        return f"{self.concern}: {self.get_kind_display()}"


class CaseEmail(models.Model):
    """A notification written in the same transaction as the step it reports (an outbox).

    Sending happens after commit, by a task, and is retried by the schedule while the broker or the mail
    server is away, so a step is never lost for want of an e-mail and no e-mail is sent for a rolled-back step.
    """

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="emails")
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["sent_at"], name="case_email_unsent", condition=Q(sent_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
