"""The daily e-mail job: an alert when a consultation opens in a chosen area, a reminder a week before it closes."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from consultations import services
from consultations.tasks import send_alerts
from tests.consultations.factories import ConsultationFactory, open_consultation, policy_area

pytestmark = pytest.mark.django_db

OPENS = "2026-01-05"
DURING = datetime.date(2026, 2, 1)
CLOSES = datetime.date(2026, 3, 29)
A_WEEK_BEFORE = "2026-03-22"


def subscribe(user, *slugs, opening=True, closing=True):
    return services.alert_preference_save(
        user=user,
        policy_areas=[policy_area(slug) for slug in slugs or ["health-and-wellbeing"]],
        opening_alerts=opening,
        closing_reminders=closing,
    )


@pytest.fixture
def consultation(council):
    """Health and wellbeing, open 5 January to 29 March 2026."""
    return ConsultationFactory(body=council, title="Mental health services", publish=True)


def _recipients(mailoutbox):
    return sorted(address for message in mailoutbox for address in message.to)


def test_an_opening_alert_goes_once_to_each_subscriber_of_the_area(
    consultation, vcs_member, outsider, panel_member, person_without_roles, mailoutbox
):
    subscribe(vcs_member)
    subscribe(outsider, "transport", "health-and-wellbeing")
    subscribe(panel_member, "transport")
    subscribe(person_without_roles, opening=False)

    first = send_alerts(OPENS)
    second = send_alerts(OPENS)

    assert first == {"opening_alerts": 2, "closing_reminders": 0}
    assert second == {"opening_alerts": 0, "closing_reminders": 0}
    assert _recipients(mailoutbox) == sorted([vcs_member.email, outsider.email])
    assert all(len(message.to) == 1 for message in mailoutbox)  # subscribers never see each other's addresses
    message = mailoutbox[0]
    assert message.subject == "Consultation open: Mental health services"
    assert f"{settings.PORTAL_BASE_URL}/consultations/{consultation.pk}/" in message.body
    assert "5 January 2026 to 29 March 2026" in message.body


@pytest.mark.parametrize(
    ("publish", "today"),
    [
        pytest.param(True, "2026-01-04", id="the-day-before-it-opens"),
        pytest.param(False, OPENS, id="still-a-draft"),
        pytest.param(True, "2026-03-30", id="already-closed"),
    ],
)
def test_no_opening_alert_for_a_consultation_that_is_not_open(council, vcs_member, publish, today, mailoutbox):
    ConsultationFactory(body=council, publish=publish)
    subscribe(vcs_member)

    send_alerts(today)

    assert mailoutbox == []


def test_an_alert_missed_on_the_opening_day_goes_the_next_run(consultation, vcs_member, mailoutbox):
    subscribe(vcs_member, closing=False)

    send_alerts("2026-01-07")

    assert _recipients(mailoutbox) == [vcs_member.email]


@pytest.mark.parametrize(
    ("today", "reminded"),
    [
        pytest.param("2026-03-21", False, id="eight-days-before"),
        pytest.param(A_WEEK_BEFORE, True, id="a-week-before"),
        pytest.param("2026-03-29", True, id="on-the-close-day-if-missed"),
        pytest.param("2026-03-30", False, id="after-close"),
    ],
)
def test_the_closing_reminder_goes_a_week_before_close(consultation, vcs_member, today, reminded, mailoutbox):
    subscribe(vcs_member, opening=False)

    result = send_alerts(today)

    assert result["closing_reminders"] == int(reminded)
    assert len(mailoutbox) == int(reminded)
    if reminded:
        assert mailoutbox[0].subject == "Closes 29 March 2026: Mental health services"


def test_the_reminder_is_sent_once(consultation, vcs_member, mailoutbox):
    subscribe(vcs_member, opening=False)

    send_alerts(A_WEEK_BEFORE)
    send_alerts(A_WEEK_BEFORE)
    send_alerts("2026-03-23")

    assert len(mailoutbox) == 1


def test_only_people_who_asked_for_reminders_get_them(consultation, vcs_member, outsider, mailoutbox):
    subscribe(vcs_member, opening=False)
    subscribe(outsider, closing=False)

    send_alerts(A_WEEK_BEFORE)

    reminders = [message for message in mailoutbox if message.subject.startswith("Closes")]
    assert _recipients(reminders) == [vcs_member.email]


def test_an_organisation_that_already_submitted_is_not_reminded(
    consultation, charity, other_charity, vcs_member, outsider, mailoutbox
):
    subscribe(vcs_member, opening=False)
    subscribe(outsider, opening=False)
    common = {"actor": None, "today": DURING, "represents": "own", "how_gathered": "", "may_publish": True}
    services.response_save(consultation=consultation, organisation=charity, text="Done.", submit=True, **common)
    services.response_save(consultation=consultation, organisation=other_charity, text="Half.", submit=False, **common)

    send_alerts(A_WEEK_BEFORE)

    assert _recipients(mailoutbox) == [outsider.email]  # a draft is not a response yet


@pytest.mark.parametrize(
    ("changed_on", "new_close", "quiet_day", "reminder_day"),
    [
        pytest.param("2026-03-23", "2026-04-26", "2026-03-24", "2026-04-19", id="extended"),
        pytest.param("2026-04-01", "2026-04-12", "2026-04-02", "2026-04-05", id="reopened"),
    ],
)
def test_an_extended_or_reopened_consultation_gets_a_new_reminder(
    consultation, vcs_member, changed_on, new_close, quiet_day, reminder_day, mailoutbox
):
    subscribe(vcs_member, opening=False)
    send_alerts(A_WEEK_BEFORE)

    services.consultation_extend(
        consultation=consultation,
        actor=None,
        new_close=datetime.date.fromisoformat(new_close),
        reason="More time asked for.",
        today=datetime.date.fromisoformat(changed_on),
    )
    send_alerts(quiet_day)
    assert len(mailoutbox) == 1

    send_alerts(reminder_day)
    send_alerts(reminder_day)

    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject.startswith(f"Closes {datetime.date.fromisoformat(new_close):%-d %B %Y}:")


def test_without_a_date_the_job_uses_today(compact, council, vcs_member, mailoutbox):
    consultation = open_consultation(today=timezone.localdate(), compact=compact, body=council)
    subscribe(vcs_member)

    send_alerts()

    assert [message.subject for message in mailoutbox] == [f"Consultation open: {consultation.title}"]


def test_people_whose_accounts_are_closed_get_no_alerts(consultation, vcs_member, outsider, mailoutbox):
    subscribe(vcs_member)
    subscribe(outsider)
    outsider.is_active = False
    outsider.save()

    send_alerts(OPENS)
    send_alerts(A_WEEK_BEFORE)

    assert _recipients(mailoutbox) == [vcs_member.email, vcs_member.email]
