"""What consultations put on the "Waiting for you" list (compact_portal/worklist.py).

For an officer, for the public bodies they are an officer of: draft consultations to publish, due the day before
they open (3.2: announced before they open), and closed consultations whose feedback is not published, due on
the stored feedback date (3.5, 4.2). A consultation has no "closed" state to set: it closes on its date.

For a VCS member, for their organisations: the consultations open today, under a compact the organisation has
signed, that it has not submitted a response to, due on the closing date.

Each source takes a fixed few queries whatever the number of records.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import Exists, OuterRef
from django.urls import reverse

from commitments.models import MeasurableRule, Signature, SignatureStatus
from commitments.selectors import Promise
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from compact_portal.formatting import long_date

from .models import Consultation, Feedback, PublicationStatus, Response, ResponseStatus

_ONE_DAY = datetime.timedelta(days=1)


@worklist.source(Role.OFFICER)
def consultations_to_publish(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """The body's drafts, each due the day before it opens: a forthcoming consultation is announced before it
    opens (3.2), and only a published one is on the register."""
    bodies = person.organisations_as(Role.OFFICER)
    if not bodies:
        return
    drafts = (
        Consultation.objects.filter(body__in=bodies, status=PublicationStatus.DRAFT)
        .select_related("compact")
        .order_by("open_date", "pk")
    )
    promise = Promise(MeasurableRule.CONSULTATION_ANNOUNCED)
    for consultation in drafts:
        compact = consultation.compact
        yield worklist.Waiting(
            role=Role.OFFICER,
            kind="consultation_to_publish",
            key=str(consultation.pk),
            what=f"Draft consultation {consultation.reference}: {consultation.title}, opening "
            f"{long_date(consultation.open_date)}",
            action="Publish the consultation",
            url=reverse("consultations:detail", args=[consultation.pk]),
            **promise.cited(compact),
            due=consultation.open_date - _ONE_DAY,
        )


@worklist.source(Role.OFFICER)
def feedback_to_publish(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """The body's published consultations closed before today with no feedback published (what the compliance
    check counts, ``checks.feedback_overdue``), due on their stored feedback date (3.5, 4.2)."""
    bodies = person.organisations_as(Role.OFFICER)
    if not bodies:
        return
    published_by_today = Feedback.objects.filter(consultation=OuterRef("pk"), published_on__lte=person.today)
    closed = (
        Consultation.objects.filter(body__in=bodies, status=PublicationStatus.PUBLISHED, close_date__lt=person.today)
        .filter(~Exists(published_by_today))
        .select_related("compact")
        .order_by("feedback_due", "pk")
    )
    promise = Promise(MeasurableRule.CONSULTATION_FEEDBACK)
    for consultation in closed:
        compact = consultation.compact
        yield worklist.Waiting(
            role=Role.OFFICER,
            kind="feedback_to_publish",
            key=str(consultation.pk),
            what=f"Feedback on consultation {consultation.reference}: {consultation.title}, closed "
            f"{long_date(consultation.close_date)}",
            action="Publish the feedback",
            url=reverse("consultations:feedback", args=[consultation.pk]),
            **promise.cited(compact),
            due=consultation.feedback_due,
        )


@worklist.source(Role.VCS_MEMBER)
def consultations_to_answer(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """For each of the person's organisations, the published consultations open today under a compact it has
    signed (and not withdrawn from) with no response of its submitted; a draft response is not yet an answer.
    Three queries: the organisations' signatures, the consultations, the responses already submitted."""
    organisations = person.organisations_as(Role.VCS_MEMBER)
    if not organisations:
        return
    signed = list(
        Signature.objects.filter(organisation__in=organisations, status=SignatureStatus.APPROVED)
        .order_by("organisation__name")
        .values_list("compact_id", "organisation_id", "organisation__name", "organisation__slug")
    )
    if not signed:
        return
    consultations = list(
        Consultation.objects.filter(
            compact__in={compact_id for compact_id, *_ in signed},
            status=PublicationStatus.PUBLISHED,
            open_date__lte=person.today,
            close_date__gte=person.today,
        )
        .select_related("compact", "body")
        .order_by("close_date", "pk")
    )
    answered = set(
        Response.objects.filter(
            consultation__in=[consultation.pk for consultation in consultations],
            organisation__in=organisations,
            status=ResponseStatus.SUBMITTED,
        ).values_list("consultation_id", "organisation_id")
    )
    several = len(organisations) > 1
    for consultation in consultations:
        compact = consultation.compact
        for compact_id, organisation_id, name, slug in signed:
            if compact_id != consultation.compact_id or (consultation.pk, organisation_id) in answered:
                continue
            what = f"{consultation.title}, a consultation by {consultation.body}"
            yield worklist.Waiting(
                role=Role.VCS_MEMBER,
                kind="consultation_to_answer",
                key=f"{consultation.pk}-{organisation_id}",
                what=f"{what} (for {name})" if several else what,
                action="Respond",
                url=reverse("consultations:respond", args=[consultation.pk]) + f"?for={slug}",
                why=f"{consultation.body} asks for your views before it decides, and takes responses until the "
                "consultation closes",
                compact=compact.name,
                due=consultation.close_date,
                nation=compact.nation,
            )
