"""The demo's funding (``commitments/demo.py`` explains the demo): the council's and the NHS body's awards to the
demo charities, their invoices and payments, notices, applications waiting for a decision and declined ones.

Each step is recorded through the services on the story's day (their ``today``) inside ``demo.happening_on`` of
that day, so its history is dated when it happened. Between them the records keep every funding promise once
and break each one at least once (9.1–9.3, 11.2, 12.1, 13.1, 13.3, 13.4, 19.5), and leave the council's officer
invoices to pay (one overdue, one due within two working days), decisions to tell and a final decision to take,
and the food bank a reduction notice it can still answer.

Registered as the demo's ``funding`` part; it adds nothing if the council's first award is already there.
"""

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from commitments import demo
from commitments.demo import happening_on
from commitments.models import Compact, Organisation
from compact_portal.accounts.models import User

from . import rules
from . import services as funding
from .models import DecisionKind, FundingRelationship, Mechanism, NoticeKind

days = datetime.timedelta


def _months_ago(today: datetime.date, months: int) -> datetime.date:
    return (today.replace(day=1) - relativedelta(months=months)).replace(day=1)


def _working_days_ago(today: datetime.date, count: int, *, nation: str) -> datetime.date:
    """The working day ``count`` working days before ``today``."""
    day = today
    while count:
        day -= days(1)
        if rules.is_working_day(day, nation=nation):
            count -= 1
    return day


def _received_to_fall_due_soon(compact: Compact, today: datetime.date) -> datetime.date:
    """The latest day an invoice could have been received and be due to be paid within the compliance check's
    "at risk" window on ``today`` (two working days, 11.2): so it is on the officer's list, not yet late."""
    last_pay_by = rules.payment_at_risk_until(today, nation=compact.nation)
    received = today
    while (
        rules.payment_due_by(received, nation=compact.nation, working_days=compact.payment_working_days) > last_pay_by
    ):
        received -= days(1)
    return received


def _award(*, officer, told: datetime.date, rationale: str, justification: str = "", **fields) -> FundingRelationship:
    """A relationship recorded and its award told on ``told``."""
    with happening_on(told):
        relationship = funding.relationship_create(actor=officer, **fields)
        funding.decision_record(
            relationship=relationship,
            actor=officer,
            kind=DecisionKind.AWARDED,
            told_date=told,
            today=told,
            rationale=rationale,
            justification=justification,
        )
    return relationship


def seed_funding(*, compact: Compact, organisations: dict[str, Organisation], today: datetime.date) -> None:
    """Funding that shows each rule kept and broken, dated around ``today`` so windows are open."""
    council = organisations["portsmouth-city-council"]
    if FundingRelationship.objects.filter(funder=council, reference="PCC-GR-101").exists():
        return
    officer = User.objects.get(email__iexact="officer@demo.example.org")
    nhs = organisations["nhs-solent-integrated-care-board"]
    food_bank = organisations["southsea-community-food-bank"]
    carers = organisations["harbourside-carers-trust"]
    nation = compact.nation

    # The food bank's grant, the first award under the new compact: told late (justified), three years, monitoring
    # agreed before signing (9.1, 9.2, 12.1 kept).
    start = _months_ago(today, 9)
    food = _award(
        officer=officer,
        told=demo.adopted_on(today) + days(7),
        rationale="Meets the council's food poverty priority.",
        justification="The council's budget was only set in late February.",
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
    # Its invoices (11.2): one paid promptly, one paid late, one overdue and one due within two working days.
    invoices = (
        ("SCFB-041", today - days(120), today - days(111)),
        ("SCFB-052", _working_days_ago(today, 25, nation=nation), today - days(5)),
        ("SCFB-063", _working_days_ago(today, 15, nation=nation), None),
        ("SCFB-070", _received_to_fall_due_soon(compact, today), None),
    )
    for number, received, paid in invoices:
        with happening_on(received):
            invoice = funding.invoice_record(
                relationship=food,
                actor=officer,
                invoice_number=number,
                amount=Decimal("3750.00"),
                received_date=received,
                today=received,
            )
        if paid is not None:
            with happening_on(paid):
                funding.payment_record(
                    invoice=invoice, actor=officer, paid_date=paid, amount=invoice.amount, today=paid
                )
    # A reduction with the impact assessed first but too little notice (13.1 kept, 13.3 broken); the food bank's
    # window to respond is still open and no final decision is taken yet (13.4).
    with happening_on(today - days(10)):
        funding.notice_record(
            relationship=food,
            actor=officer,
            kind=NoticeKind.REDUCE,
            notice_date=today - days(10),
            today=today - days(10),
            effective_date=today + relativedelta(months=2),
            rationale="The council's grants budget is cut by a fifth next year.",
            impact_assessment="About 300 families a month use the parcels; fewer volunteer shifts would be needed.",
            impact_assessed_date=today - days(20),
            response_due_by=today + days(14),
        )

    # A one-year pilot, its short term explained (9.1 kept).
    youth_start = _months_ago(today, 6)
    _award(
        officer=officer,
        told=_months_ago(today, 10),
        rationale="Pilot of detached youth work.",
        compact=compact,
        funder=council,
        recipient=organisations["fratton-youth-network"],
        reference="PCC-SLA-007",
        title="Youth work in Fratton",
        mechanism=Mechanism.SERVICE_LEVEL_AGREEMENT,
        amount=Decimal("18000.00"),
        expected_start=youth_start,
        start_date=youth_start,
        end_date=youth_start + relativedelta(years=1) - days(1),
        term_explanation="A one-year pilot before the youth service is recommissioned.",
    )

    # The carers' respite grant: awarded in time for three years, then ended badly: notice given with no impact
    # assessment (13.1), the final decision taken while the Trust could still respond (13.4), and no assessment
    # of where the money goes though the Trust serves disabled people (19.5).
    carers_start = _months_ago(today, 7)
    respite = _award(
        officer=officer,
        told=rules.decision_due_by(carers_start, months=compact.decision_lead_months) - days(1),
        rationale="Short breaks for unpaid carers are a priority of the carers' strategy.",
        compact=compact,
        funder=council,
        recipient=carers,
        reference="PCC-GR-109",
        title="Carers' respite breaks",
        purpose="Short breaks for unpaid carers of disabled adults.",
        mechanism=Mechanism.GRANT,
        amount=Decimal("30000.00"),
        expected_start=carers_start,
        start_date=carers_start,
        end_date=carers_start + relativedelta(years=3) - days(1),
        strategic=True,
        monitoring_agreed_date=carers_start - days(30),
        agreement_signed_date=carers_start - days(14),
    )
    with happening_on(today - days(12)):
        notice = funding.notice_record(
            relationship=respite,
            actor=officer,
            kind=NoticeKind.END,
            notice_date=today - days(12),
            today=today - days(12),
            effective_date=today + relativedelta(months=4),
            rationale="Respite is to be commissioned with adult social care from next year.",
            response_due_by=today + days(16),
        )
    with happening_on(today - days(5)):
        funding.notice_update(notice=notice, actor=officer, today=today - days(5), final_decision_date=today - days(5))

    # Applications waiting for the council's decision: one whose decision date has passed (9.2 broken) and one
    # due to be told within days.
    for reference, applied, recipient, title, amount, expected_start in (
        (
            "PCC-GR-118",
            today - days(100),
            "fratton-youth-network",
            "Easter holiday activities",
            "6500.00",
            today + relativedelta(months=2),
        ),
        (
            "PCC-GR-121",
            today - days(45),
            "solent-voluntary-action",
            "Volunteer centre core costs",
            "24000.00",
            today + relativedelta(months=compact.decision_lead_months) + days(7),
        ),
    ):
        with happening_on(applied):
            funding.relationship_create(
                actor=officer,
                compact=compact,
                funder=council,
                recipient=organisations[recipient],
                reference=reference,
                title=title,
                mechanism=Mechanism.GRANT,
                amount=Decimal(amount),
                expected_start=expected_start,
            )

    with happening_on(today - days(60)):
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
    with happening_on(today - days(7)):
        funding.decision_record(
            relationship=declined,
            actor=officer,
            kind=DecisionKind.DECLINED,
            told_date=today - days(7),
            today=today - days(7),
            rationale="The fund was oversubscribed.",
            feedback="A strong idea; the budget plan needed quotes. Please apply again in the spring round.",
        )

    # The NHS body's funding (it has no demo person: recorded by no one, as an import would be).
    nhs_start = _months_ago(today, 3)
    _award(
        officer=None,
        told=nhs_start - relativedelta(months=4),
        rationale="Reduces delayed discharges.",
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
    # One year with no reason given (9.1 broken), signed before monitoring was agreed (12.1 broken).
    liaison_start = _months_ago(today, 2)
    _award(
        officer=None,
        told=liaison_start - relativedelta(months=4),
        rationale="Carers' support on the wards.",
        compact=compact,
        funder=nhs,
        recipient=carers,
        reference="ICB-C-61",
        title="Carers' hospital liaison",
        mechanism=Mechanism.CONTRACT,
        amount=Decimal("9000.00"),
        expected_start=liaison_start,
        start_date=liaison_start,
        end_date=liaison_start + relativedelta(years=1) - days(1),
        agreement_signed_date=liaison_start - days(10),
    )
    # Declined with no feedback (9.3 broken).
    with happening_on(today - days(50)):
        drivers = funding.relationship_create(
            actor=None,
            compact=compact,
            funder=nhs,
            recipient=organisations["solent-voluntary-action"],
            reference="ICB-GR-12",
            title="Volunteer drivers",
            mechanism=Mechanism.GRANT,
            amount=Decimal("7500.00"),
            expected_start=today + relativedelta(months=3),
        )
    with happening_on(today - days(20)):
        funding.decision_record(
            relationship=drivers,
            actor=None,
            kind=DecisionKind.DECLINED,
            told_date=today - days(20),
            today=today - days(20),
            rationale="Outside the transport budget's priorities this year.",
        )


demo.register("funding", seed_funding)
