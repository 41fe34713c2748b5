"""Atom feeds of the public consultation register, per compact and per public body (Django's syndication
framework): a consultation published, a consultation closing soon, and feedback published. Only what the public
register shows: drafts are never in a feed."""

import datetime
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from commitments.models import Compact, Organisation, Side
from compact_portal.formatting import long_date

from .models import Consultation, PublicationStatus

CLOSING_SOON_DAYS = 14  # a consultation is "closing soon" in its last fortnight
FEED_LENGTH = 50  # the latest entries


@dataclass(frozen=True)
class Entry:
    consultation: Consultation
    kind: str  # new, closing, feedback
    on: datetime.datetime


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


def entries(consultations, *, today: datetime.date) -> list[Entry]:
    """The feed's entries from published consultations, newest first: each one's publication, its last fortnight
    while it is still open, and its feedback."""
    found = []
    for consultation in consultations:
        published = consultation.published_at or _at(consultation.open_date)
        found.append(Entry(consultation, "new", published))
        closing_from = consultation.close_date - datetime.timedelta(days=CLOSING_SOON_DAYS)
        if consultation.open_date <= today <= consultation.close_date and closing_from <= today:
            found.append(Entry(consultation, "closing", max(_at(closing_from), published)))
        feedback = getattr(consultation, "feedback", None)
        if feedback is not None:
            found.append(Entry(consultation, "feedback", _at(feedback.published_on)))
    found.sort(key=lambda entry: (entry.on, entry.consultation.pk, entry.kind), reverse=True)
    return found[:FEED_LENGTH]


class ConsultationFeed(Feed):
    feed_type = Atom1Feed

    def published(self, **filters):
        return (
            Consultation.objects.filter(status=PublicationStatus.PUBLISHED, **filters)
            .select_related("body", "compact", "feedback")
            .order_by("-pk")
        )

    def item_title(self, entry: Entry) -> str:
        title = entry.consultation.title
        return {
            "new": f"New consultation: {title}",
            "closing": f"Closing soon: {title}",
            "feedback": f"Feedback published: {title}",
        }[entry.kind]

    def item_description(self, entry: Entry) -> str:
        consultation = entry.consultation
        if entry.kind == "feedback":
            return f"{consultation.body.name} has published what people said and what changed because of it."
        if entry.kind == "closing":
            return f"Responses are taken until the end of {long_date(consultation.close_date)}."
        return (
            f"{consultation.body.name} consults from {long_date(consultation.open_date)} to "
            f"{long_date(consultation.close_date)}. {consultation.summary}"
        )

    def item_link(self, entry: Entry) -> str:
        return entry.consultation.get_absolute_url()

    def item_guid(self, entry: Entry) -> str:
        return f"{self.item_link(entry)}#{entry.kind}"  # one entry per event, so each needs an id of its own

    item_guid_is_permalink = False

    def item_pubdate(self, entry: Entry) -> datetime.datetime:
        return entry.on

    def item_updateddate(self, entry: Entry) -> datetime.datetime:
        return entry.on

    def item_author_name(self, entry: Entry) -> str:
        return entry.consultation.body.name


class CompactConsultationFeed(ConsultationFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Compact, slug=slug)

    def title(self, compact: Compact) -> str:
        return f"{compact.name}: consultations"

    def subtitle(self, compact: Compact) -> str:
        return f"New consultations, consultations closing soon and feedback published under the {compact.name}."

    def link(self, compact: Compact) -> str:
        return reverse("consultations:register") + f"?compact={compact.slug}"

    def items(self, compact: Compact) -> list[Entry]:
        return entries(self.published(compact=compact), today=timezone.localdate())


class BodyConsultationFeed(ConsultationFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Organisation, slug=slug, side=Side.PUBLIC)

    def title(self, body: Organisation) -> str:
        return f"{body.name}: consultations"

    def subtitle(self, body: Organisation) -> str:
        return f"New consultations, consultations closing soon and feedback published by {body.name}."

    def link(self, body: Organisation) -> str:
        return reverse("consultations:register") + f"?body={body.slug}"

    def items(self, body: Organisation) -> list[Entry]:
        return entries(self.published(body=body), today=timezone.localdate())


compact_feed = CompactConsultationFeed()
body_feed = BodyConsultationFeed()
