"""The demo's Compact concerns (``commitments/demo.py`` explains the demo): three from the food bank about the
NHS body, at different steps.

Registered as the demo's ``disputes`` part; it adds nothing if the demo compact already has a concern.
"""

import datetime

from django.utils import timezone

from commitments import demo
from commitments.models import Compact, Organisation
from compact_portal.accounts.models import User

from . import services as disputes
from .models import CaseEmail, Concern


def seed_disputes(*, compact: Compact, organisations: dict[str, Organisation], today: datetime.date) -> None:
    """Three concerns from the food bank about the NHS body: one resolved informally, one whose formal
    response is overdue, and a new one (identity withheld) waiting to be acknowledged."""
    if Concern.objects.filter(compact=compact).exists():
        return
    raiser = organisations["southsea-community-food-bank"]
    body = organisations["nhs-solent-integrated-care-board"]
    member = User.objects.get(email__iexact="charity@demo.example.org")
    champion = User.objects.get(email__iexact="champion@demo.example.org")
    clauses = {c.code: c for c in compact.commitments.filter(code__in=["9.2", "11.2", "13.3", "3.7"])}
    days = datetime.timedelta

    def raise_on(day, cited, **fields):
        return disputes.concern_raise(
            actor=member,
            raiser=raiser,
            compact=compact,
            respondent=body,
            commitments=[clauses[code] for code in cited if code in clauses],
            happened_on=day - days(14),
            consent=True,
            today=day,
            **fields,
        )

    settled = raise_on(
        today - days(120),
        ["11.2"],
        what_happened="Three invoices for the social prescribing service were paid between 25 and 40 working "
        "days after we sent them.",
        outcome_sought="Payment within 10 working days, and a named contact in the finance team.",
        withhold_identity=False,
    )
    disputes.concern_acknowledge(concern=settled, actor=champion, today=today - days(117))
    disputes.informal_start(concern=settled, actor=champion, today=today - days(110), note="Meeting arranged.")
    disputes.meeting_record(
        concern=settled,
        actor=champion,
        kind="mediation",
        held_on=today - days(100),
        attendees="Tom Barker (food bank), the ICB's head of finance, Grace Okafor (champion)",
        notes="The ICB explained a change of payment system and agreed a named contact.",
        today=today - days(100),
    )
    disputes.concern_close(
        concern=settled,
        actor=champion,
        today=today - days(95),
        reasons="Agreed at mediation: invoices go to a named contact and are paid within 10 working days.",
        lessons_learned="Tell VCS suppliers before changing payment systems.",
    )

    formal = raise_on(
        today - days(80),
        ["9.2"],
        what_happened="We were told on 28 March that our grant starting on 1 April would not continue.",
        outcome_sought="Decisions three months before the start date, as the compact says.",
        withhold_identity=False,
    )
    disputes.concern_acknowledge(concern=formal, actor=champion, today=today - days(78))
    disputes.informal_start(concern=formal, actor=champion, today=today - days(75))
    disputes.formal_escalate(
        concern=formal,
        actor=member,
        today=today - days(45),
        reasons="Two meetings have not produced a commitment to earlier decisions.",
    )

    raise_on(
        today - days(2),
        ["13.3"],
        what_happened="Our contract was ended with four weeks' notice.",
        outcome_sought="Three months' notice, or funding for the rest of the notice period.",
        withhold_identity=True,
    )
    # The demo e-mails no one: its notifications are marked sent before the outbox is read.
    CaseEmail.objects.filter(concern__compact=compact, sent_at=None).update(sent_at=timezone.now())


demo.register("disputes", seed_disputes)
