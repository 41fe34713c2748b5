"""Calendar feeds (iCalendar, RFC 5545, written by the ``icalendar`` library) that people subscribe to from Outlook,
Google Calendar or Apple Calendar: each person's deadlines, and each compact's consultation closing dates
(``consultations/calendar.py``).

Every event is a whole day, on the date itself, in the portal's time zone (Europe/London). An event's UID is made
from what it is about and the portal's domain, never from the time of the request, so a calendar program that
fetches the feed again updates its events instead of adding copies.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.http import HttpResponse

from compact_portal import worklist

if TYPE_CHECKING:
    from compact_portal.accounts.models import User

CONTENT_TYPE = "text/calendar; charset=utf-8"
TIME_ZONE = "Europe/London"
PRODID = "-//Compact Portal//Calendar feeds//EN"
# Where the domain of the portal's address cannot be read (a misconfigured PORTAL_BASE_URL), the UIDs still hold one.
FALLBACK_DOMAIN = "compact-portal.invalid"
# How often a calendar program should look again (most choose their own: Google every few hours, Outlook daily).
REFRESH = datetime.timedelta(hours=4)


def uid_domain() -> str:
    """The domain that ends every event's UID: the host of ``PORTAL_BASE_URL``, whatever host a request used."""
    return urlsplit(settings.PORTAL_BASE_URL).hostname or FALLBACK_DOMAIN


def full_url(path: str) -> str:
    """A page's whole address, as e-mails give it: ``PORTAL_BASE_URL`` and the path."""
    return settings.PORTAL_BASE_URL + path


def new_calendar(
    *, name: str, description: str, uid: str, today: datetime.date, dates: Iterable[datetime.date]
) -> icalendar.Calendar:
    """An empty calendar named ``name`` (X-WR-CALNAME too), in Europe/London, with that zone's VTIMEZONE covering
    ``dates`` and at least ``today``'s year and the next."""
    calendar = icalendar.Calendar.new(
        name=name,
        description=description,
        prodid=PRODID,
        uid=f"{uid}@{uid_domain()}",
        refresh_interval=REFRESH,
    )
    calendar.add("X-WR-TIMEZONE", TIME_ZONE)
    calendar.add("X-PUBLISHED-TTL", REFRESH)
    years = {today.year, *(day.year for day in dates)}
    calendar.add_component(
        icalendar.Timezone.from_tzid(
            TIME_ZONE, first_date=datetime.date(min(years), 1, 1), last_date=datetime.date(max(years) + 2, 1, 1)
        )
    )
    return calendar


def all_day_event(*, uid: str, on: datetime.date, summary: str, description: str, url: str) -> icalendar.Event:
    """One whole-day event on ``on`` (DTEND the next day, as RFC 5545 asks), shown as free time: a deadline does
    not make the person busy."""
    return icalendar.Event.new(
        uid=f"{uid}@{uid_domain()}",
        start=on,
        end=on + datetime.timedelta(days=1),
        summary=summary,
        description=description,
        url=url,
        transparency="TRANSPARENT",
    )


def calendar_response(calendar: icalendar.Calendar, *, filename: str, private: bool) -> HttpResponse:
    """The calendar as a ``text/calendar`` download. A private feed (a person's own) is kept out of shared caches."""
    response = HttpResponse(calendar.to_ical(), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private" if private else "public, max-age=900"
    if private:
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def deadline_description(item: worklist.Waiting) -> str:
    """The event's text: why (the commitment and its clause), who cannot act if that is the point, and the one
    action with the page's whole address."""
    lines = []
    if item.why:
        lines.append(f"{item.why} ({item.clause})." if item.clause else f"{item.why}.")
    if item.compact:
        lines.append(f"Compact: {item.compact}.")
    if item.blocked:
        lines.append(item.blocked)
    lines.append(f"{item.action}: {full_url(item.url)}")
    return "\n".join(lines)


def dated_waiting(user: User, today: datetime.date) -> list[worklist.Waiting]:
    """What is waiting for ``user`` that has a date: the home page's list (``worklist.waiting_for``), each thing
    once, without the undated ones."""
    return [item for item in worklist.all_waiting(worklist.waiting_for(user, today), today) if item.due is not None]


def deadlines_calendar(user: User, today: datetime.date) -> icalendar.Calendar:
    """The person's calendar of deadlines: one whole-day event for each dated thing waiting for them, and nothing
    else (only what their own worklist holds)."""
    items = dated_waiting(user, today)
    calendar = new_calendar(
        name="Compact Portal: your deadlines",
        description=f"What is waiting for {user.full_name or user.email} in the Compact Portal, by date.",
        uid=f"deadlines-{user.pk}",
        today=today,
        dates=[item.due for item in items],
    )
    for item in items:
        calendar.add_component(
            all_day_event(
                uid=item.uid,
                on=item.due,
                summary=item.what,
                description=deadline_description(item),
                url=full_url(item.url),
            )
        )
    return calendar
