"""Case e-mails (thin: the service does the work)."""

from celery import shared_task

from . import services


@shared_task(name="disputes.send_case_emails", ignore_result=True)
def send_case_emails() -> int:
    """Send the case e-mails waiting in the outbox; safe to run twice or side by side.

    No one waits for its result, so queuing it (after a case step commits) never touches the result store:
    one Redis call fewer that could hold up the web request while Redis is away."""
    return services.case_emails_send()
