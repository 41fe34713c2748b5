"""Consultations run by public bodies, the VCS's responses, and the feedback on what changed.

The rules (Portsmouth 2.1, 3.2–3.8, 4.2–4.5; docs/domain.md) are computed in
``consultations/rules.py``. Their results are stored here when a service saves a consultation
(length, minimum, feedback due date), and indexed, so the compliance jobs scan them in one query.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from commitments.models import Compact, Organisation, Side
from compact_portal.formatting import long_date
from compact_portal.models import Recorded, actor_field
from compact_portal.uploads import get_private_storage, private_upload_to

from . import rules


class PolicyArea(Recorded):
    """A subject consultations are about; VCS members choose the ones they want to hear of."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


# The details the body records; forms and services share the list (and its order).
CONSULTATION_DETAIL_FIELDS = (
    "compact",
    "body",
    "title",
    "summary",
    "policy_area",
    "formal",
    "announced_date",
    "open_date",
    "close_date",
    "shorter_explanation",
    "methods",
    "open_to_change",
    "not_open_to_change",
    "formats_and_languages",
    "foi_statement",
    "document_link",
    "contact_name",
    "contact_email",
)


class Consultation(Recorded):
    """A consultation a public-body signatory runs under a compact."""

    compact = models.ForeignKey(Compact, on_delete=models.PROTECT, related_name="consultations")
    body = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="consultations")
    title = models.CharField(max_length=200)
    summary = models.TextField()
    policy_area = models.ForeignKey(PolicyArea, on_delete=models.PROTECT, related_name="consultations")
    formal = models.BooleanField(
        "formal written consultation",
        default=True,
        help_text="Formal consultations last at least the compact's minimum.",
    )
    announced_date = models.DateField("announced on", null=True, blank=True, help_text="Announce it before it opens.")
    open_date = models.DateField("opens on")
    close_date = models.DateField("closes on")
    methods = models.TextField("methods used and why", blank=True)
    open_to_change = models.TextField("what can change", blank=True)
    not_open_to_change = models.TextField("what cannot change, and why", blank=True)
    formats_and_languages = models.TextField(
        "formats and languages offered", blank=True, help_text="For example easy read, large print, Polish."
    )
    foi_statement = models.TextField(
        "Freedom of Information statement",
        blank=True,
        help_text="How responses may be released under the Freedom of Information Act.",
    )
    document_link = models.URLField("link to the consultation documents", blank=True)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    shorter_explanation = models.TextField(
        "why it is shorter than the minimum",
        blank=True,
        help_text="Shown publicly when a formal consultation is shorter than the compact asks.",
    )
    status = models.CharField(max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)

    # Stored by the services from the compact's settings (consultations/rules.py).
    length_days = models.PositiveIntegerField(default=0)
    minimum_days = models.PositiveIntegerField(default=0)
    feedback_due = models.DateField("feedback due by", db_index=True)

    # Alerts already sent, so the daily job sends each once (a conditional update claims them).
    opening_alert_sent_on = models.DateField(null=True, blank=True)
    reminder_sent_on = models.DateField(null=True, blank=True)

    created_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-open_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(close_date__gte=models.F("open_date")),
                name="consultation_closes_after_opening",
                violation_error_message="The close date must not be before the open date.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "open_date", "close_date"]),
            models.Index(fields=["compact", "status"]),
            models.Index(fields=["body", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("consultations:detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return rules.consultation_reference(self.pk)

    @property
    def is_published(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED

    @property
    def shorter_than_minimum(self) -> bool:
        return self.formal and self.length_days < self.minimum_days

    def clean(self):
        super().clean()
        errors = {}
        if self.body_id and self.body.side != Side.PUBLIC:
            errors["body"] = "Only a public body runs a consultation."
        if self.open_date and self.close_date and self.close_date < self.open_date:
            errors["close_date"] = "The close date must not be before the open date."
        # A short formal consultation without an explanation (3.7) is kept, and flagged until explained;
        # whitespace alone is no explanation, so it is stored blank for the rule to see.
        self.shorter_explanation = self.shorter_explanation.strip()
        if errors:
            raise ValidationError(errors)


class ConsultationDocument(Recorded):
    """A consultation document: an uploaded file (checked by its content) or a link."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=private_upload_to, storage=get_private_storage, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    link = models.URLField(blank=True)
    uploaded_by = actor_field()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        super().clean()
        if bool(self.file) == bool(self.link):
            raise ValidationError("Give either a file or a link for each document.")


class DateChange(models.Model):
    """The body extended or reopened a consultation: recorded, and its dates recomputed."""

    class Kind(models.TextChoices):
        EXTENDED = "extended", "Extended"
        REOPENED = "reopened", "Reopened"

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="date_changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    previous_close = models.DateField()
    new_close = models.DateField()
    reason = models.TextField()
    changed_by = actor_field()
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {long_date(self.new_close)}"


class Represents(models.TextChoices):
    """Whose views a response represents (4.3)."""

    OWN = "own", "The organisation's own views"
    MEMBERS = "members", "Its members' views"
    SERVICE_USERS = "service_users", "Its service users' views"
    NETWORK = "network", "A network of organisations"


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class Response(Recorded):
    """A VCS organisation's response to a consultation: one per organisation, drafted then submitted."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="responses")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="consultation_responses")
    text = models.TextField("your response", blank=True)
    represents = models.CharField(
        "whose views it represents", max_length=20, choices=Represents.choices, default=Represents.OWN
    )
    how_gathered = models.TextField(
        "how the views were gathered", blank=True, help_text="For example a members' meeting, a survey."
    )
    may_publish = models.BooleanField(
        "the body may publish this response",
        default=True,
        help_text="Untick to keep it confidential: only the consulting body and Compact champions will see it.",
    )
    status = models.CharField(max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published = models.BooleanField(default=False, help_text="The body published it with its feedback.")
    created_by = actor_field()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "organisation"],
                name="one_response_per_organisation",
                violation_error_message="Your organisation has already started a response to this consultation.",
            ),
            models.CheckConstraint(
                condition=Q(published=False) | Q(may_publish=True), name="confidential_responses_never_published"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} on {self.consultation}"

    def get_absolute_url(self) -> str:
        return reverse("consultations:respond", args=[self.consultation_id])

    def clean(self):
        super().clean()
        if self.organisation_id and self.organisation.side != Side.VCS:
            raise ValidationError("Responses here come from voluntary and community organisations.")


class ResponseAttachment(Recorded):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=private_upload_to, storage=get_private_storage)
    content_type = models.CharField(max_length=100)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class Feedback(Recorded):
    """The body's "you said, we did" outcome after close (3.5, 4.2)."""

    consultation = models.OneToOneField(Consultation, on_delete=models.CASCADE, related_name="feedback")
    summary_of_responses = models.TextField("what people told us")
    what_changed = models.TextField("what changed because of the responses")
    what_did_not_change = models.TextField("what did not change, and why")
    published_on = models.DateField()
    published_by = actor_field()

    def __str__(self) -> str:
        return f"Feedback on {self.consultation}"


class AlertPreference(models.Model):
    """A person's choice of e-mails: a consultation opening in their policy areas, and a reminder before close."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consultation_alerts")
    policy_areas = models.ManyToManyField(PolicyArea, blank=True, related_name="subscribers")
    opening_alerts = models.BooleanField("e-mail me when a consultation opens in these areas", default=True)
    closing_reminders = models.BooleanField("remind me one week before one of these closes", default=True)

    def __str__(self) -> str:
        return f"Alerts for {self.user}"
