"""The case e-mail outbox: sent after the step commits, each e-mail once, kept and retried when sending fails."""

import logging
import smtplib

import pytest
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from compact_portal.celery import BEAT_SCHEDULE
from disputes import services
from disputes.models import CaseEmail
from disputes.services import emails
from disputes.tasks import send_case_emails
from tests.disputes.factories import ACKNOWLEDGED_ON

pytestmark = pytest.mark.django_db


class RefusingBackend(BaseEmailBackend):
    """A mail server that is away."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RefusesOneAddressBackend(BaseEmailBackend):
    """A mail server that refuses one recipient and delivers the rest to the test outbox."""

    refused = ""

    def send_messages(self, email_messages):
        from django.core import mail

        for message in email_messages:
            if self.refused in message.to:
                raise smtplib.SMTPRecipientsRefused({self.refused: (550, b"No such mailbox")})
            mail.outbox.append(message)
        return len(email_messages)


@pytest.fixture
def concern(raise_concern, champion, respondent_champion):
    """Raised with the trust's champion appointed, so its e-mails go to three readers."""
    return raise_concern()


def _recipients(mailoutbox):
    return sorted(address for message in mailoutbox for address in message.to)


def test_the_task_sends_each_waiting_email_once(concern, mailoutbox):
    waiting = sorted(CaseEmail.objects.values_list("to", flat=True))
    assert len(waiting) == 3  # the raiser, the trust's champion and the compact's neutral champion

    first = send_case_emails()
    second = send_case_emails()

    assert (first, second) == (3, 0)
    assert _recipients(mailoutbox) == waiting
    assert all(len(message.to) == 1 for message in mailoutbox)  # readers never see each other's addresses
    message = next(m for m in mailoutbox if m.to == [concern.raised_by.email])
    stored = CaseEmail.objects.get(to=concern.raised_by.email)
    assert (message.subject, message.body) == (stored.subject, stored.body)
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert not CaseEmail.objects.filter(sent_at=None).exists()
    assert set(CaseEmail.objects.values_list("attempts", flat=True)) == {0}


def test_a_failing_mail_server_leaves_the_emails_waiting_with_the_error(concern, settings, mailoutbox, caplog):
    settings.EMAIL_BACKEND = "tests.disputes.test_tasks.RefusingBackend"

    with caplog.at_level(logging.WARNING, logger="disputes.services.emails"):
        assert send_case_emails() == 0
    assert send_case_emails() == 0

    assert mailoutbox == []
    for email in CaseEmail.objects.all():
        assert email.sent_at is None
        assert email.attempts == 2
        assert email.last_error == "Connection unexpectedly closed"
    assert "not sent" in caplog.text

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_case_emails() == 3
    assert send_case_emails() == 0
    assert len(mailoutbox) == 3
    assert not CaseEmail.objects.filter(sent_at=None).exists()


def test_one_refused_address_does_not_hold_up_the_others(concern, settings, mailoutbox, vcs_member):
    settings.EMAIL_BACKEND = "tests.disputes.test_tasks.RefusesOneAddressBackend"
    RefusesOneAddressBackend.refused = vcs_member.email

    assert send_case_emails() == 2

    assert vcs_member.email not in _recipients(mailoutbox)
    refused = CaseEmail.objects.get(to=vcs_member.email)
    assert (refused.sent_at, refused.attempts) == (None, 1)
    assert "No such mailbox" in refused.last_error
    assert CaseEmail.objects.filter(sent_at=None).count() == 1


def test_overlapping_runs_send_each_email_once(concern, monkeypatch, mailoutbox):
    real_send_mail = emails.send_mail
    nested = []

    def send_mail_while_another_run_starts(*args, **kwargs):
        if not nested:  # a second worker starts while the first is sending its first e-mail
            nested.append(None)
            nested[0] = services.case_emails_send()
        return real_send_mail(*args, **kwargs)

    monkeypatch.setattr(emails, "send_mail", send_mail_while_another_run_starts)

    first = services.case_emails_send()

    assert (first, nested[0]) == (1, 2)  # the second run took the two the first had not yet claimed
    assert len(mailoutbox) == 3
    assert len(set(_recipients(mailoutbox))) == 3


def test_a_run_sends_at_most_its_limit_oldest_first(concern, mailoutbox):
    oldest = list(CaseEmail.objects.order_by("created_at", "pk").values_list("to", flat=True))

    assert services.case_emails_send(limit=2) == 2

    assert [message.to[0] for message in mailoutbox] == oldest[:2]
    assert services.case_emails_send(limit=2) == 1


def test_a_step_sends_its_emails_once_it_commits(concern, champion, django_capture_on_commit_callbacks, mailoutbox):
    send_case_emails()  # the raising's e-mails
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.concern_acknowledge(concern=concern, actor=champion, today=ACKNOWLEDGED_ON)

    assert len(mailoutbox) == 3
    assert {message.subject for message in mailoutbox} == {f"{concern.reference}: the concern is acknowledged"}
    assert not CaseEmail.objects.filter(sent_at=None).exists()


def test_with_the_broker_away_the_step_is_kept_and_the_schedule_sends_later(
    concern, champion, django_capture_on_commit_callbacks, mailoutbox, monkeypatch, caplog
):
    def broker_away():
        raise ConnectionRefusedError("redis is away")

    monkeypatch.setattr(send_case_emails, "delay", broker_away)

    with (
        caplog.at_level(logging.WARNING, logger="compact_portal.celery"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.concern_acknowledge(concern=concern, actor=champion, today=ACKNOWLEDGED_ON)

    concern.refresh_from_db()
    assert concern.stage == "acknowledged"
    assert mailoutbox == []
    assert CaseEmail.objects.filter(sent_at=None).count() == 6
    assert "Could not queue case e-mails; the scheduled run will do it" in caplog.text

    send_case_emails()  # the scheduled run

    assert len(mailoutbox) == 6


def test_the_schedule_retries_every_five_minutes():
    entry = BEAT_SCHEDULE["case-emails"]

    assert entry["task"] == "disputes.send_case_emails"
    assert entry["schedule"].minute == set(range(0, 60, 5))


def test_the_task_is_registered_under_its_scheduled_name():
    assert send_case_emails.name == "disputes.send_case_emails"
