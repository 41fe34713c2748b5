"""Case e-mails (thin: the service does the work)."""

from celery import shared_task

from . import services


@shared_task(name="disputes.send_case_emails")
def send_case_emails() -> int:
    """Send the case e-mails waiting in the outbox; safe to run twice or side by side."""
    return services.case_emails_send()
