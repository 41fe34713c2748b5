"""Case e-mails: written to an outbox with the step they report, sent after commit, retried until sent.

Who is told at each step: the person who raised the concern, the champions appointed in the
body concerned, and the case's champion; a new concern also goes to the compact's champions who could
acknowledge it. The body's champions never see the raiser's identity when it is withheld.

Which of these e-mails the disputes process requires, and so sends whatever a reader chooses, is decided here
once (``is_required``); a reader who has turned off optional case e-mails (``User.case_emails``, on their account
page) gets only those.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from commitments.models import Champion
from compact_portal.accounts.emails import AlwaysSent, register_always_sent
from compact_portal.celery import queue_or_log

from ..models import CaseEmail, Concern

logger = logging.getLogger(__name__)


class Notice(models.TextChoices):
    """What a case e-mail reports: one for each kind of step."""

    RECEIVED = "received", "the concern is received"
    ACKNOWLEDGED = "acknowledged", "a champion acknowledges it"
    INFORMAL = "informal", "the informal stage begins"
    FORMAL = "formal", "it goes to the formal stage"
    EXTENDED = "extended", "the formal response's deadline is extended"
    RESPONDED = "responded", "the body gives its formal response"
    FORMAL_OUTCOME = "formal_outcome", "the formal outcome is recorded"
    APPEALED = "appealed", "the formal outcome is appealed"
    PANEL_ASSIGNED = "panel_assigned", "a panel member is assigned"
    FINISHED = "finished", "the case is decided, closed or withdrawn"


class Reader(models.TextChoices):
    """Why a person is told about a case."""

    RAISER = "raiser", "the person who raised the concern"
    BODY = "body", "a champion of the body the concern is about"
    CASE_CHAMPION = "case_champion", "the case's champion"
    COMPACT_CHAMPION = "compact_champion", "another champion of the compact"


# The parties (the raiser, and the body concerned through its champions) and the champion facilitating the case
# must hear of every step that moves the case on: each starts, moves or ends a deadline or decides the case, and a
# party who did not hear of it could lose a right (to respond, to escalate, to appeal) by not knowing.
PARTIES = frozenset({Reader.RAISER, Reader.BODY, Reader.CASE_CHAMPION})
# Only news: it moves no deadline and decides nothing.
COURTESY_NOTICES = frozenset({Notice.PANEL_ASSIGNED})


def is_required(notice: str, reader: str) -> bool:
    """Whether the disputes process requires ``reader`` to get the e-mail about ``notice`` (sent whatever they
    chose), or it is an optional copy (sent only to those who keep optional case e-mails on).

    Required: every step that moves the case on, to the parties and the case's champion; and a new concern to
    every champion who could acknowledge it, since the acknowledgement's deadline runs from its receipt.
    Optional: a panel member's appointment (news only), and a later step's copy to a champion not on the case.
    """
    if notice == Notice.RECEIVED:
        return True
    return reader in PARTIES and notice not in COURTESY_NOTICES


register_always_sent(
    AlwaysSent(
        what=(
            "E-mails about a Compact concern you raised, that is about your organisation, or that you champion, "
            "at each step that moves it on: received, acknowledged, the informal and formal stages, an extension, "
            "the body's response, the formal outcome, an appeal, and the decision, closing or withdrawal"
        ),
        why=(
            "each step starts, moves or ends a deadline or decides the case, and the disputes process requires "
            "the parties and the case's champion to be told"
        ),
    ),
    AlwaysSent(
        what="A new Compact concern in a compact you champion, until a champion acknowledges it",
        why="a champion must acknowledge it by a deadline that runs from the day it was received",
    ),
)


def _recipients(concern: Concern, *, notice: str, new_case: bool) -> dict[str, bool]:
    """E-mail address -> whether that reader may see the raiser's identity (False wins for a shared address).

    A reader who has turned optional case e-mails off is left out unless the process requires their copy."""
    readers: dict[str, bool] = {}

    def add(user, reader: str, sees_raiser: bool) -> None:
        if not user.email or not (user.case_emails or is_required(notice, reader)):
            return
        email = user.email.lower()
        readers[email] = readers.get(email, True) and sees_raiser

    if concern.raised_by and concern.raised_by.is_active:
        add(concern.raised_by, Reader.RAISER, True)
    appointments = Champion.objects.filter(compact_id=concern.compact_id, user__is_active=True).select_related("user")
    body_side = {a.user_id for a in appointments if a.organisation_id == concern.respondent_id}
    for appointment in appointments:
        if appointment.organisation_id == concern.respondent_id:
            add(appointment.user, Reader.BODY, not concern.withhold_identity)
        elif (
            (new_case or concern.champion_id is None)  # until a champion takes the case on, all are told
            and appointment.organisation_id != concern.raiser_id
            and appointment.user_id not in body_side
        ):
            add(appointment.user, Reader.COMPACT_CHAMPION, True)
    if concern.champion and concern.champion.is_active:
        add(
            concern.champion,
            Reader.CASE_CHAMPION,
            concern.champion_id not in body_side or not concern.withhold_identity,
        )
    return readers


def case_notify(*, concern: Concern, notice: str, headline: str, detail: str = "", new_case: bool = False) -> int:
    """Queue one e-mail per reader about a step (``notice``) in ``concern``; sent once the caller's transaction
    commits.

    Returns how many were queued. Each reader's copy names the raiser only if that reader may know it; optional
    copies go only to readers who keep optional case e-mails on (``is_required``).
    """
    link = settings.PORTAL_BASE_URL + concern.get_absolute_url()
    choices = settings.PORTAL_BASE_URL + reverse("account")
    emails = [
        CaseEmail(
            concern=concern,
            to=address,
            subject=f"{concern.reference}: {headline}",
            body=render_to_string(
                "disputes/email/step.txt",
                {
                    "concern": concern,
                    "headline": headline,
                    "detail": detail,
                    "link": link,
                    "sees_raiser": sees,
                    "choices": choices,
                },
            ),
        )
        for address, sees in sorted(_recipients(concern, notice=notice, new_case=new_case).items())
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
