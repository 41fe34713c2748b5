"""Scheduled consultation e-mails (thin: a date in, the services do the work)."""

import datetime

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="consultations.send_alerts")
def send_alerts(today_iso: str | None = None) -> dict[str, int]:
    """Send the day's opening alerts and closing reminders; safe to run twice."""
    today = datetime.date.fromisoformat(today_iso) if today_iso else timezone.localdate()
    return {
        "opening_alerts": services.opening_alerts_send(today=today),
        "closing_reminders": services.closing_reminders_send(today=today),
    }
