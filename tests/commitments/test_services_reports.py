"""Compliance reports (commitments/services/reports.py): a champion's request is recorded and handed to the report
job once saved; the job draws the PDF once, however often it is delivered, or records why it could not."""

import datetime

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from commitments.models import ComplianceReport, ReportStatus
from commitments.reporting import pdf
from commitments.reporting.pdf import RenderedReport
from commitments.services.reports import report_render, report_request
from commitments.tasks import render_compliance_report
from compact_portal.periods import Period
from tests.commitments.factories import CompactFactory

pytestmark = pytest.mark.django_db

D = datetime.date
Q2_2026 = Period.quarter(2026, 2)
TODAY = D(2026, 7, 10)
MEETING = "the Local Strategic Partnership board, 14 July 2026"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Rendered reports land in the test's own directory, never in the repository."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact", status="adopted", adopted_date=D(2025, 4, 1))


@pytest.fixture
def queued(compact, champion):
    return ComplianceReport.objects.create(
        compact=compact, period_start=Q2_2026.start, period_end=Q2_2026.end, meeting=MEETING, requested_by=champion
    )


@pytest.fixture
def delays(monkeypatch):
    """The report task's deliveries, recorded instead of sent."""
    sent = []
    monkeypatch.setattr(render_compliance_report, "delay", lambda *args: sent.append(args))
    return sent


@pytest.fixture
def drawn(monkeypatch):
    """A stand-in for WeasyPrint: records what it was asked to draw and returns a small PDF."""
    calls = []

    def render_report(**kwargs):
        calls.append(kwargs)
        return RenderedReport(b"%PDF-1.7 a stand-in report", 7)

    monkeypatch.setattr(pdf, "render_report", render_report)
    return calls


def test_a_request_records_who_asked_when_for_which_period_and_meeting(
    compact, champion, delays, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks() as callbacks:
        report = report_request(compact=compact, period=Q2_2026, meeting=f"  {MEETING}  ", requested_by=champion)

    report = ComplianceReport.objects.get(pk=report.pk)
    assert (report.compact, report.period_start, report.period_end) == (compact, D(2026, 4, 1), D(2026, 6, 30))
    assert report.period == Q2_2026
    assert report.meeting == MEETING
    assert report.requested_by == champion
    assert before <= report.requested_at <= timezone.now()
    assert report.status == ReportStatus.QUEUED
    assert (report.started_at, report.finished_at, report.page_count, report.pdf.name) == (None, None, None, "")
    assert len(callbacks) == 1
    assert delays == []  # nothing is sent before the request is saved


def test_the_report_job_is_queued_once_the_request_is_saved(
    compact, champion, delays, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(compact=compact, period=Q2_2026, meeting="", requested_by=champion)

    assert delays == [(report.pk, timezone.localdate().isoformat())]


def test_rendering_makes_a_queued_report_ready_with_its_pdf_and_page_count(queued):
    assert report_render(report_id=queued.pk, today=TODAY) is True

    report = ComplianceReport.objects.get(pk=queued.pk)
    assert report.status == ReportStatus.READY
    assert report.started_at is not None
    assert report.finished_at >= report.started_at
    assert report.failure_reason == ""
    with report.pdf.open("rb") as stored:
        content = stored.read()
    assert content.startswith(b"%PDF")
    assert report.page_count >= 1
    assert report.pdf.name.endswith(".pdf")
    assert "southsea" not in report.pdf.name  # stored under a random name; the download name is given on the way out

    # A second delivery of the task draws nothing and leaves the file as it was.
    assert report_render(report_id=queued.pk, today=TODAY) is False
    again = ComplianceReport.objects.get(pk=queued.pk)
    assert (again.status, again.pdf.name, again.page_count, again.finished_at) == (
        ReportStatus.READY,
        report.pdf.name,
        report.page_count,
        report.finished_at,
    )
    with again.pdf.open("rb") as stored:
        assert stored.read() == content


def test_the_job_draws_the_report_for_its_compact_period_and_meeting(queued, drawn):
    assert report_render(report_id=queued.pk, today=TODAY) is True

    assert drawn == [
        {
            "compact": queued.compact,
            "period": Q2_2026,
            "today": TODAY,
            "meeting": MEETING,
            "requested_by": "Cara Champion",
        }
    ]
    assert ComplianceReport.objects.get(pk=queued.pk).page_count == 7


@pytest.mark.parametrize("status", [ReportStatus.RENDERING, ReportStatus.READY, ReportStatus.FAILED])
def test_only_a_queued_report_is_drawn(queued, drawn, status):
    ComplianceReport.objects.filter(pk=queued.pk).update(status=status)

    assert report_render(report_id=queued.pk, today=TODAY) is False

    assert drawn == []
    assert ComplianceReport.objects.get(pk=queued.pk).status == status


def test_a_report_nobody_asked_for_is_drawn_without_a_name(compact, drawn):
    report = ComplianceReport.objects.create(compact=compact, period_start=Q2_2026.start, period_end=Q2_2026.end)

    assert report_render(report_id=report.pk, today=TODAY) is True

    assert drawn[0]["requested_by"] == ""


def test_a_report_that_cannot_be_drawn_fails_with_the_reason(queued, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("Pango is missing")

    monkeypatch.setattr(pdf, "render_report", broken)

    assert report_render(report_id=queued.pk, today=TODAY) is False

    report = ComplianceReport.objects.get(pk=queued.pk)
    assert report.status == ReportStatus.FAILED
    assert report.finished_at is not None
    assert "RuntimeError: Pango is missing" in report.failure_reason
    assert "Ask for it again" in report.failure_reason
    assert report.pdf.name == ""
    assert report_render(report_id=queued.pk, today=TODAY) is False  # a failed report is asked for again, not redrawn


def test_the_task_renders_the_report_for_the_day_given(queued, drawn):
    assert render_compliance_report.run(queued.pk, "2026-07-10") is True

    assert drawn[0]["today"] == TODAY


def test_a_report_ending_before_it_starts_is_refused(compact, champion):
    report = ComplianceReport(
        compact=compact, period_start=D(2026, 6, 30), period_end=D(2026, 4, 1), requested_by=champion
    )

    with pytest.raises(ValidationError) as refused:
        report.full_clean()

    assert list(refused.value.message_dict) == [NON_FIELD_ERRORS]
    assert refused.value.message_dict[NON_FIELD_ERRORS] == [
        "The period ends before it starts; choose an end date on or after the start."
    ]


def test_the_database_refuses_a_report_ending_before_it_starts(compact):
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplianceReport.objects.create(compact=compact, period_start=D(2026, 6, 30), period_end=D(2026, 4, 1))


def test_a_one_day_report_is_allowed(compact, champion):
    report = ComplianceReport(
        compact=compact, period_start=D(2026, 6, 30), period_end=D(2026, 6, 30), requested_by=champion
    )

    report.full_clean()
