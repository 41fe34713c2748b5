"""The demo's Compact concerns (``commitments/demo.py`` explains the demo): three from the food bank about the
NHS body, at different steps, and one about the council that is now before the dispute panel on appeal.

Each step is taken through the services on the story's day (their ``today``) inside ``demo.happening_on`` of that
day, so the case's timeline, its history and its e-mails are dated when they happened.

Registered as the demo's ``disputes`` part; it adds nothing if the demo compact already has a concern.
"""

import datetime

from django.db.models import F

from commitments import demo
from commitments.demo import happening_on
from commitments.models import Compact, Organisation
from compact_portal.accounts.models import User

from . import services as disputes
from .models import CaseEmail, Concern, Outcome

days = datetime.timedelta


def seed_disputes(*, compact: Compact, organisations: dict[str, Organisation], today: datetime.date) -> None:
    """Four concerns from the food bank: about the NHS body, one resolved informally, one whose formal response is
    overdue and a new one (identity withheld) waiting to be acknowledged; about the council, one whose formal
    outcome the food bank has appealed, steered by the VCS side's champion (the council's has a conflict of
    interest) and with the demo's panel member on the panel."""
    if Concern.objects.filter(compact=compact).exists():
        return
    raiser = organisations["southsea-community-food-bank"]
    nhs = organisations["nhs-solent-integrated-care-board"]
    council = organisations["portsmouth-city-council"]
    member = User.objects.get(email__iexact="charity@demo.example.org")
    champion = User.objects.get(email__iexact="champion@demo.example.org")
    vcs_champion = User.objects.get(email__iexact="vcs-champion@demo.example.org")
    officer = User.objects.get(email__iexact="officer@demo.example.org")
    panel_member = User.objects.get(email__iexact="panel@demo.example.org")
    clauses = {c.code: c for c in compact.commitments.filter(code__in=["9.2", "11.2", "13.3", "3.7"])}

    def on(day: datetime.date, step, **fields):
        """Take ``step`` on the story's ``day``."""
        with happening_on(day):
            return step(today=day, **fields)

    def raise_on(day, cited, *, respondent=nhs, **fields):
        return on(
            day,
            disputes.concern_raise,
            actor=member,
            raiser=raiser,
            compact=compact,
            respondent=respondent,
            commitments=[clauses[code] for code in cited if code in clauses],
            happened_on=day - days(14),
            consent=True,
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
    on(today - days(117), disputes.concern_acknowledge, concern=settled, actor=champion)
    on(today - days(110), disputes.informal_start, concern=settled, actor=champion, note="Meeting arranged.")
    on(
        today - days(100),
        disputes.meeting_record,
        concern=settled,
        actor=champion,
        kind="mediation",
        held_on=today - days(100),
        attendees="Tom Barker (food bank), the ICB's head of finance, Grace Okafor (champion)",
        notes="The ICB explained a change of payment system and agreed a named contact.",
    )
    on(
        today - days(95),
        disputes.concern_close,
        concern=settled,
        actor=champion,
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
    on(today - days(78), disputes.concern_acknowledge, concern=formal, actor=champion)
    on(today - days(75), disputes.informal_start, concern=formal, actor=champion)
    on(
        today - days(45),
        disputes.formal_escalate,
        concern=formal,
        actor=member,
        reasons="Two meetings have not produced a commitment to earlier decisions.",
    )

    # About the council: Grace Okafor is the council's champion, so Sam Ellis, the VCS side's, steers it.
    appeal = raise_on(
        today - days(75),
        ["11.2"],
        respondent=council,
        what_happened="The council paid our food parcel invoices late twice this year, the last one five weeks "
        "after we sent it, while we paid our suppliers on time.",
        outcome_sought="Invoices paid within 10 working days, and interest on the late ones.",
        withhold_identity=False,
    )
    on(today - days(73), disputes.concern_acknowledge, concern=appeal, actor=vcs_champion)
    on(
        today - days(70),
        disputes.informal_start,
        concern=appeal,
        actor=vcs_champion,
        note="A call with the council's grants team and finance.",
    )
    on(
        today - days(45),
        disputes.formal_escalate,
        concern=appeal,
        actor=member,
        reasons="The council would not commit to paying within 10 working days while its new system beds in.",
    )
    on(
        today - days(30),
        disputes.formal_respond,
        concern=appeal,
        actor=officer,
        response="Two invoices were paid late during the move to our new finance system. Grants invoices now go "
        "to a named officer; we cannot pay interest on grant instalments.",
    )
    on(
        today - days(20),
        disputes.formal_outcome_record,
        concern=appeal,
        actor=vcs_champion,
        outcome=Outcome.PARTLY_UPHELD,
        reasons="The invoices were paid late (clause 11.2), and the council has put it right for the future. "
        "Interest is not something the compact promises.",
        commitments_found_broken=[clauses["11.2"]],
    )
    on(
        today - days(8),
        disputes.appeal_lodge,
        concern=appeal,
        actor=member,
        grounds="The outcome does not deal with the cost to us of the late payments: we borrowed to pay suppliers.",
    )
    with happening_on(today - days(7)):
        disputes.panel_assign(concern=appeal, actor=vcs_champion, member=panel_member)

    raise_on(
        today - days(2),
        ["13.3"],
        what_happened="Our contract was ended with four weeks' notice.",
        outcome_sought="Three months' notice, or funding for the rest of the notice period.",
        withhold_identity=True,
    )
    # The demo e-mails no one: its notifications are marked sent when they were written, before the outbox is read.
    CaseEmail.objects.filter(concern__compact=compact, sent_at=None).update(sent_at=F("created_at"))


demo.register("disputes", seed_disputes)
