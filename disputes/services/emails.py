"""Case e-mails: written to an outbox with the step they report, sent after commit, retried until sent.

Who is told at each step: the person who raised the concern, the champions appointed in the
body concerned, and the case's champion; a new concern also goes to the compact's champions who could
acknowledge it. The body's champions never see the raiser's identity when it is withheld.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from commitments.models import Champion
from compact_portal.celery import queue_or_log

from ..models import CaseEmail, Concern

logger = logging.getLogger(__name__)


def _recipients(concern: Concern, *, new_case: bool) -> dict[str, bool]:
    """E-mail address -> whether that reader may see the raiser's identity (False wins for a shared address)."""
    readers: dict[str, bool] = {}

    def add(email: str, sees_raiser: bool) -> None:
        if email:
            readers[email.lower()] = readers.get(email.lower(), True) and sees_raiser

    if concern.raised_by and concern.raised_by.is_active:
        add(concern.raised_by.email, True)
    appointments = Champion.objects.filter(compact_id=concern.compact_id, user__is_active=True).select_related("user")
    body_side = {a.user_id for a in appointments if a.organisation_id == concern.respondent_id}
    for appointment in appointments:
        if appointment.organisation_id == concern.respondent_id:
            add(appointment.user.email, not concern.withhold_identity)
        elif (
            (new_case or concern.champion_id is None)  # until a champion takes the case on, all are told
            and appointment.organisation_id != concern.raiser_id
            and appointment.user_id not in body_side
        ):
            add(appointment.user.email, True)
    if concern.champion and concern.champion.is_active:
        add(concern.champion.email, concern.champion_id not in body_side or not concern.withhold_identity)
    return readers


def case_notify(*, concern: Concern, headline: str, detail: str = "", new_case: bool = False) -> int:
    """Queue one e-mail per reader about a step in ``concern``; sent once the caller's transaction commits.

    Returns how many were queued. Each reader's copy names the raiser only if that reader may know it.
    """
    link = settings.PORTAL_BASE_URL + concern.get_absolute_url()
    emails = [
        CaseEmail(
            concern=concern,
            to=address,
            subject=f"{concern.reference}: {headline}",
            body=render_to_string(
                "disputes/email/step.txt",
                {"concern": concern, "headline": headline, "detail": detail, "link": link, "sees_raiser": sees},
            ),
        )
        for address, sees in sorted(_recipients(concern, new_case=new_case).items())
    ]
    CaseEmail.objects.bulk_create(emails)
    if emails:
        transaction.on_commit(_enqueue_sending)
    return len(emails)


def _enqueue_sending() -> None:
    from ..tasks import send_case_emails

    queue_or_log(send_case_emails, what="case e-mails")


def case_emails_send(*, limit: int = 200) -> int:
    """Send unsent case e-mails, oldest first; returns how many were sent. Safe to re-run or overlap.

    Each e-mail is claimed with a conditional update before it is sent, so two runs never send it twice;
    one that fails is released for the next run, with the error kept.
    """
    sent = 0
    for pk in CaseEmail.objects.filter(sent_at=None).order_by("created_at", "pk").values_list("pk", flat=True)[:limit]:
        if not CaseEmail.objects.filter(pk=pk, sent_at=None).update(sent_at=timezone.now()):
            continue  # another run has it
        email = CaseEmail.objects.get(pk=pk)
        try:
            send_mail(email.subject, email.body, None, [email.to], fail_silently=False)
        except Exception as error:  # the mail server refused or is away: release it for the next run
            logger.warning("Case e-mail %s not sent: %s", pk, error)
            CaseEmail.objects.filter(pk=pk).update(
                sent_at=None, attempts=F("attempts") + 1, last_error=str(error)[:500]
            )
        else:
            sent += 1
    return sent
