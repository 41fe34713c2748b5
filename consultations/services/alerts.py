"""Consultation e-mails: opening alerts and closing reminders, each sent once, and people's choices."""

import datetime

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils.formats import date_format

from compact_portal.accounts.models import User

from ..models import AlertPreference, Consultation, PolicyArea, PublicationStatus, Response, ResponseStatus


def _alert(consultation: Consultation, recipients: list[str], subject: str, opening: str) -> int:
    link = settings.PORTAL_BASE_URL + consultation.get_absolute_url()
    body = (
        f"{opening}\n\n{consultation.title}\n{consultation.body} · {consultation.policy_area}\n"
        f"Open from {date_format(consultation.open_date)} to {date_format(consultation.close_date)}.\n\n"
        f"Read it and respond: {link}\n\n"
        "You get this e-mail because you asked for consultation alerts; change them on the portal's "
        "Consultations page (E-mail alerts)."
    )
    messages = [(subject, body, None, [address]) for address in recipients]
    return send_mass_mail(messages, fail_silently=False)


def opening_alerts_send(*, today: datetime.date) -> int:
    """E-mail subscribers of each consultation's policy area once, when it opens; returns e-mails sent.

    Safe to re-run or overlap: each consultation is claimed with a conditional update before sending.
    """
    sent = 0
    due = Consultation.objects.filter(
        status=PublicationStatus.PUBLISHED, open_date__lte=today, close_date__gte=today, opening_alert_sent_on=None
    ).select_related("body", "policy_area")
    for consultation in due:
        if not Consultation.objects.filter(pk=consultation.pk, opening_alert_sent_on=None).update(
            opening_alert_sent_on=today
        ):
            continue  # another run claimed it
        recipients = list(
            AlertPreference.objects.filter(
                opening_alerts=True, policy_areas=consultation.policy_area, user__is_active=True
            )
            .values_list("user__email", flat=True)
            .distinct()
        )
        sent += _alert(
            consultation, recipients, f"Consultation open: {consultation.title}", "A consultation has opened."
        )
    return sent


def closing_reminders_send(*, today: datetime.date, days_before: int = 7) -> int:
    """Remind subscribers a week before a consultation closes, once; those whose organisation has already
    submitted a response are not reminded. Returns e-mails sent; safe to re-run or overlap."""
    sent = 0
    due = Consultation.objects.filter(
        status=PublicationStatus.PUBLISHED,
        open_date__lte=today,
        close_date__gte=today,
        close_date__lte=today + datetime.timedelta(days=days_before),
        reminder_sent_on=None,
    ).select_related("body", "policy_area")
    for consultation in due:
        if not Consultation.objects.filter(pk=consultation.pk, reminder_sent_on=None).update(reminder_sent_on=today):
            continue
        already_responded = Response.objects.filter(consultation=consultation, status=ResponseStatus.SUBMITTED).values(
            "organisation"
        )
        recipients = list(
            AlertPreference.objects.filter(
                closing_reminders=True, policy_areas=consultation.policy_area, user__is_active=True
            )
            .exclude(user__memberships__organisation__in=already_responded)
            .values_list("user__email", flat=True)
            .distinct()
        )
        sent += _alert(
            consultation,
            recipients,
            f"Closes {date_format(consultation.close_date)}: {consultation.title}",
            "A consultation in one of your policy areas closes soon.",
        )
    return sent


@transaction.atomic
def alert_preference_save(
    *, user: User, policy_areas: list[PolicyArea], opening_alerts: bool, closing_reminders: bool
) -> AlertPreference:
    preference, _ = AlertPreference.objects.get_or_create(user=user)
    preference.opening_alerts = opening_alerts
    preference.closing_reminders = closing_reminders
    preference.full_clean()
    preference.save()
    preference.policy_areas.set(policy_areas)
    return preference
