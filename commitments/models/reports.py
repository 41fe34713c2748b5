"""Compliance reports for Local Strategic Partnership meetings: asked for in the browser, rendered by a job."""

from django.db import models
from django.db.models import F, Q

from compact_portal.models import actor_field
from compact_portal.periods import Period
from compact_portal.uploads import get_private_storage, private_upload_to


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ComplianceReport(models.Model):
    """A PDF report on one compact for one period, who asked for it and how far it has got."""

    compact = models.ForeignKey("commitments.Compact", on_delete=models.CASCADE, related_name="reports")
    period_start = models.DateField("from")
    period_end = models.DateField("to")
    meeting = models.CharField("for the meeting of", max_length=200, blank=True)
    requested_by = actor_field(related_name="compliance_reports")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    pdf = models.FileField(storage=get_private_storage, upload_to=private_upload_to, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["compact", "-requested_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="report_period_ends_after_it_starts",
                violation_error_message="The period ends before it starts; choose an end date on or after the start.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compact} compliance report, {self.period.label}"

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)

    @property
    def download_name(self) -> str:
        return f"{self.compact.slug}-compliance-report-{self.period_start:%Y-%m-%d}-to-{self.period_end:%Y-%m-%d}.pdf"
