"""The demo's funding (``commitments/demo.py`` explains the demo): the council's and the NHS body's awards to the
demo charities, their invoices and payments, a notice and a declined application.

Registered as the demo's ``funding`` part; it adds nothing if the council's first award is already there.
"""

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from commitments import demo
from commitments.models import Compact, Organisation
from compact_portal.accounts.models import User

from . import services as funding
from .models import DecisionKind, FundingRelationship, Mechanism, NoticeKind


def _months_ago(today: datetime.date, months: int) -> datetime.date:
    return (today.replace(day=1) - relativedelta(months=months)).replace(day=1)


def seed_funding(*, compact: Compact, organisations: dict[str, Organisation], today: datetime.date) -> None:
    """Funding that shows each rule kept and broken, dated around ``today`` so windows are open."""
    council = organisations["portsmouth-city-council"]
    if FundingRelationship.objects.filter(funder=council, reference="PCC-GR-101").exists():
        return
    officer = User.objects.get(email__iexact="officer@demo.example.org")
    nhs = organisations["nhs-solent-integrated-care-board"]
    food_bank = organisations["southsea-community-food-bank"]
    days = datetime.timedelta

    start = _months_ago(today, 10)
    food = funding.relationship_create(
        actor=officer,
        compact=compact,
        funder=council,
        recipient=food_bank,
        reference="PCC-GR-101",
        title="Emergency food parcels",
        purpose="Food parcels and advice for families in crisis across Southsea.",
        mechanism=Mechanism.GRANT,
        amount=Decimal("45000.00"),
        expected_start=start,
        start_date=start,
        end_date=start + relativedelta(years=3) - days(1),
        strategic=True,
        overheads_included=True,
        volunteer_costs_included=True,
        monitoring_agreed_date=start - days(30),
        agreement_signed_date=start - days(21),
    )
    funding.decision_record(
        relationship=food,
        actor=officer,
        kind=DecisionKind.AWARDED,
        told_date=start - relativedelta(months=2),
        today=today,
        rationale="Meets the council's food poverty priority.",
        justification="The council's budget was only set in late February.",
    )
    for number, received_ago, paid_after in (("SCFB-041", 120, 9), ("SCFB-052", 60, 19), ("SCFB-063", 25, None)):
        invoice = funding.invoice_record(
            relationship=food,
            actor=officer,
            invoice_number=number,
            amount=Decimal("3750.00"),
            received_date=today - days(received_ago),
            today=today,
        )
        if paid_after is not None:
            funding.payment_record(
                invoice=invoice,
                actor=officer,
                paid_date=invoice.received_date + days(paid_after),
                amount=invoice.amount,
                today=today,
            )
    funding.invoice_record(
        relationship=food,
        actor=officer,
        invoice_number="SCFB-070",
        amount=Decimal("3750.00"),
        received_date=today,
        today=today,
    )
    funding.notice_record(
        relationship=food,
        actor=officer,
        kind=NoticeKind.REDUCE,
        notice_date=today - days(10),
        today=today,
        effective_date=today + relativedelta(months=2),
        rationale="The council's grants budget is cut by a fifth next year.",
        impact_assessment="About 300 families a month use the parcels; fewer volunteer shifts would be needed.",
        impact_assessed_date=today - days(20),
        response_due_by=today + days(14),
    )

    youth = funding.relationship_create(
        actor=officer,
        compact=compact,
        funder=council,
        recipient=organisations["fratton-youth-network"],
        reference="PCC-SLA-007",
        title="Youth work in Fratton",
        mechanism=Mechanism.SERVICE_LEVEL_AGREEMENT,
        amount=Decimal("18000.00"),
        expected_start=_months_ago(today, 6),
        start_date=_months_ago(today, 6),
        end_date=_months_ago(today, 6) + relativedelta(years=1) - days(1),
        term_explanation="A one-year pilot before the youth service is recommissioned.",
    )
    funding.decision_record(
        relationship=youth,
        actor=officer,
        kind=DecisionKind.AWARDED,
        told_date=_months_ago(today, 10),
        today=today,
        rationale="Pilot of detached youth work.",
    )
    declined = funding.relationship_create(
        actor=officer,
        compact=compact,
        funder=council,
        recipient=organisations["somers-town-residents-association"],
        reference="PCC-GR-115",
        title="Community garden",
        mechanism=Mechanism.GRANT,
        amount=Decimal("4000.00"),
        expected_start=today + relativedelta(months=4),
    )
    funding.decision_record(
        relationship=declined,
        actor=officer,
        kind=DecisionKind.DECLINED,
        told_date=today - days(7),
        today=today,
        rationale="The fund was oversubscribed.",
        feedback="A strong idea; the budget plan needed quotes. Please apply again in the spring round.",
    )

    nhs_start = _months_ago(today, 3)
    discharge = funding.relationship_create(
        actor=None,
        compact=compact,
        funder=nhs,
        recipient=food_bank,
        reference="ICB-C-55",
        title="Hospital discharge food packs",
        mechanism=Mechanism.CONTRACT,
        amount=Decimal("12000.00"),
        expected_start=nhs_start,
        start_date=nhs_start,
        end_date=nhs_start + relativedelta(years=3) - days(1),
    )
    funding.decision_record(
        relationship=discharge,
        actor=None,
        kind=DecisionKind.AWARDED,
        told_date=nhs_start - relativedelta(months=4),
        today=today,
        rationale="Reduces delayed discharges.",
    )


demo.register("funding", seed_funding)
