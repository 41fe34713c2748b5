"""Each compact's public calendar of consultation closing dates (iCalendar, built with compact_portal/calendar.py):
one whole-day event for each of the compact's published consultations, on the day it closes, linking to its
public page. Drafts are never in it: only what the public register shows."""

import datetime

import icalendar
from django.http import Http404
from django.utils import timezone

from commitments.models import Compact
from compact_portal import calendar
from compact_portal.formatting import long_date

from . import selectors
from .models import Consultation


def closing_dates_calendar(*, compact: Compact, today: datetime.date) -> icalendar.Calendar:
    """The compact's published consultations, each an event on its closing date (2 queries)."""
    consultations = list(
        selectors.consultations_of(compact=compact).select_related("body").order_by("close_date", "title", "pk")
    )
    feed = calendar.new_calendar(
        name=f"{compact.name}: consultations closing",
        description=f"The closing dates of the consultations published under the {compact.name}.",
        uid=f"consultations-{compact.slug}",
        today=today,
        dates=[consultation.close_date for consultation in consultations],
    )
    for consultation in consultations:
        feed.add_component(closing_event(consultation))
    return feed


def closing_event(consultation: Consultation) -> icalendar.Event:
    url = calendar.full_url(consultation.get_absolute_url())
    return calendar.all_day_event(
        uid=f"consultation-{consultation.pk}-closes",
        on=consultation.close_date,
        summary=f"Consultation closes: {consultation.title}",
        description=(
            f"{consultation.body.name} consultation {consultation.reference}: responses are taken until the end of "
            f"{long_date(consultation.close_date)}.\nRead it and respond: {url}"
        ),
        url=url,
    )


def closing_dates(request, slug):
    """The compact's consultation closing dates as a public iCalendar feed, for anyone's calendar program."""
    compact = Compact.objects.filter(slug=slug).first()
    if compact is None:
        raise Http404("No such compact")
    feed = closing_dates_calendar(compact=compact, today=timezone.localdate())
    return calendar.calendar_response(feed, filename=f"{compact.slug}-consultations.ics", private=False)
