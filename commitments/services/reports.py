"""Compliance reports: a champion asks for one, and a job renders it (never inside a web request)."""

import datetime
import logging
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from compact_portal.accounts.models import User
from compact_portal.one_time import once
from compact_portal.periods import Period
from compact_portal.services import validated_save

from ..models import Compact, ComplianceReport, ReportStatus

logger = logging.getLogger(__name__)


@transaction.atomic
def report_request(
    *,
    compact: Compact,
    period: Period,
    meeting: str,
    requested_by: User,
    submission_key: uuid.UUID | None = None,
) -> ComplianceReport:
    """Record the request, queued, and hand it to the report job once the request is saved; once per
    ``submission_key`` (the form's one-time key): the same form sent twice queues one report."""

    def create() -> ComplianceReport:
        report = ComplianceReport(
            compact=compact,
            period_start=period.start,
            period_end=period.end,
            meeting=meeting.strip(),
            requested_by=requested_by,
        )
        validated_save(report, None)
        from ..tasks import render_compliance_report  # the task module imports this one

        transaction.on_commit(
            lambda: render_compliance_report.delay(report.pk, timezone.localdate().isoformat()), robust=True
        )
        return report

    return once(key=submission_key, actor=requested_by, model=ComplianceReport, create=create)[0]


def report_render(*, report_id: int, today: datetime.date) -> bool:
    """Render a queued report to PDF and store it, or record why it failed; True when this call rendered it.

    Safe to run twice: only the call that moves the report from queued to rendering draws it.
    """
    from ..reporting.pdf import render_report

    claimed = ComplianceReport.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.RENDERING, started_at=timezone.now()
    )
    if not claimed:
        return False
    report = ComplianceReport.objects.select_related("compact", "requested_by").get(pk=report_id)
    try:
        rendered = render_report(
            compact=report.compact,
            period=report.period,
            today=today,
            meeting=report.meeting,
            requested_by=report.requested_by.get_full_name() if report.requested_by else "",
        )
    except Exception as error:
        logger.exception("Compliance report %s failed", report_id)
        ComplianceReport.objects.filter(pk=report_id).update(
            status=ReportStatus.FAILED,
            finished_at=timezone.now(),
            failure_reason=f"The report could not be drawn ({type(error).__name__}: {error}). Ask for it again; "
            "if it fails again, tell the portal's administrators.",
        )
        return False
    with transaction.atomic():
        report.pdf.save(report.download_name, ContentFile(rendered.pdf), save=False)
        report.page_count = rendered.page_count
        report.status = ReportStatus.READY
        report.finished_at = timezone.now()
        report.save(update_fields=["pdf", "page_count", "status", "finished_at"])
    return True
