"""The demo's funding (``commitments/demo.py`` explains the demo): the council's and the NHS body's awards to the
demo charities, their invoices and payments, notices, applications waiting for a decision and declined ones, and
their monitoring: a standard template per compact, plans, returns, a significant change the food bank told its
funders, and endings for performance with and without an improvement timetable agreed first.

Each step is recorded through the services on the story's day (their ``today``) inside ``demo.happening_on`` of
that day, so its history is dated when it happened. Between them the records keep every funding promise once
and break each one at least once (9.1–9.3, 11.2, 12.1, 12.3, 12.7, 13.1, 13.3, 13.4, 17.3, 19.5), and leave the
council's officer invoices to pay (one overdue, one due within two working days), decisions to tell, a final
decision to take and a monitoring return to review, and the food bank a reduction notice it can still answer, a
return with the council's questions, one not yet made after its due date and one due within days.

Registered as the demo's ``funding`` part; it adds nothing if the council's first award is already there.
"""

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from commitments import demo
from commitments.demo import happening_on
from commitments.models import Compact, Organisation
from compact_portal.accounts.models import User
from compact_portal.working_days import add_working_days

from . import rules
from . import services as funding
from .models import ChangeKind, DecisionKind, FundingRelationship, Mechanism, MonitoringTemplate, NoticeKind
from .services import monitoring

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
    discharge = _award(
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
    liaison = _award(
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

    _seed_monitoring(
        compact=compact,
        organisations=organisations,
        today=today,
        officer=officer,
        food=food,
        youth=FundingRelationship.objects.get(funder=council, reference="PCC-SLA-007"),
        discharge=discharge,
        liaison=liaison,
    )


# --- Monitoring (12.1–12.5, 17.1–17.4) and improvement timetables (12.7) ---------------------------------------

TEMPLATE_QUESTIONS = "\n".join(
    (
        "What did the funded work do in this period, and for how many people?",
        "What difference has it made to them?",
        "What have the people using the service told you about it?",
        "What has not gone to plan, and what are you doing about it?",
    )
)
TEMPLATE_PURPOSE = (
    "Reported to the funder's cabinet or board once a year and used to plan the next round of funding; figures "
    "are published only as totals."
)
ANSWERS = [
    "Parcels for 212 households, 61 of them new to us; advice sessions twice a week.",
    "Families tell us they could keep the heating on and still eat.",
    "Our survey of 40 visitors: 37 said the service was respectful and quick.",
    "The Tuesday session moved to the church hall while the kitchen was repaired.",
]


def _return_due_soon_start(compact: Compact, today: datetime.date) -> datetime.date:
    """The first day of monthly funding whose fourth return falls due within the reminder window on ``today``
    (17.3: from ten working days before the due date) and whose third is past due: the day is counted back from
    five months ago until the schedule (``rules.return_periods``, ``rules.return_due_date``) fits."""
    nation = compact.nation
    soonest, latest = add_working_days(today, 2, nation=nation), rules.return_at_risk_until(today, nation=nation)
    start = today - relativedelta(months=5) + days(20)
    for _ in range(62):
        periods = rules.return_periods(start, start + relativedelta(years=1) - days(1), returns_per_year=12)
        due = [rules.return_due_date(end, nation=nation) for _, end in periods[:4]]
        if due[2] < today - days(7) and soonest <= due[3] <= latest:
            return start
        start -= days(1)
    raise RuntimeError(f"no monthly schedule has a return due soon on {today}")  # never: every month has one


def _plan(*, relationship, actor, template, agreed: datetime.date, returns_per_year: int, reason: str = ""):
    """``relationship``'s monitoring plan from the compact's template, agreed with the organisation on ``agreed``:
    its returns are scheduled that day."""
    with happening_on(agreed):
        return monitoring.monitoring_plan_set(
            relationship=relationship,
            actor=actor,
            today=agreed,
            template=template,
            questions=template.questions,
            purpose=template.purpose,
            returns_per_year=returns_per_year,
            service_user_views=template.service_user_views,
            agreed_on=agreed,
            disproportion_reason=reason,
        )


def _sent(item, *, member, on: datetime.date):
    with happening_on(on):
        return monitoring.return_submit(monitoring_return=item, actor=member, today=on, answers=ANSWERS)


def _seed_monitoring(
    *,
    compact: Compact,
    organisations: dict[str, Organisation],
    today: datetime.date,
    officer: User,
    food: FundingRelationship,
    youth: FundingRelationship,
    discharge: FundingRelationship,
    liaison: FundingRelationship,
) -> None:
    """Monitoring that keeps and breaks 12.3, 17.3 and 12.7, and tells of a significant change (17.4)."""
    member = User.objects.get(email__iexact="charity@demo.example.org")
    council, food_bank = organisations["portsmouth-city-council"], organisations["southsea-community-food-bank"]

    # A standard template for each compact (12.5): Portsmouth's made by the council's officer.
    with happening_on(demo.adopted_on(today) + days(14)):
        for each in Compact.objects.order_by("pk"):
            if not MonitoringTemplate.objects.filter(compact=each).exists():
                monitoring.monitoring_template_create(
                    compact=each,
                    actor=officer if each == compact else None,
                    name="Standard monitoring",
                    questions=TEMPLATE_QUESTIONS,
                    purpose=TEMPLATE_PURPOSE,
                    service_user_views=True,
                )
    template = MonitoringTemplate.objects.get(compact=compact, name="Standard monitoring")

    # The food bank's grant: twice a year, within its band (12.3 kept), agreed before signing (12.1); its first
    # return sent in time and waiting for the officer's review.
    plan = _plan(
        relationship=food, actor=officer, template=template, agreed=food.monitoring_agreed_date, returns_per_year=2
    )
    first = plan.returns.order_by("due_date").first()
    _sent(first, member=member, on=first.due_date - days(2))
    # The NHS body's contract: twice a year, nothing due yet.
    _plan(
        relationship=discharge,
        actor=None,
        template=template,
        agreed=discharge.start_date - days(20),
        returns_per_year=2,
    )

    # Winter warm spaces: £8,000 (a band of one return a year) with monthly returns and no reason recorded (12.3
    # broken). The food bank sent the first in time and it was accepted; the council had a few questions on the
    # second; the third is not yet made after its due date; the fourth is due within days, a draft saved (17.3).
    start = _return_due_soon_start(compact, today)
    winter = _award(
        officer=officer,
        told=rules.decision_due_by(start, months=compact.decision_lead_months) - days(3),
        rationale="Warm spaces through the winter are a priority of the cost-of-living plan.",
        compact=compact,
        funder=council,
        recipient=food_bank,
        reference="PCC-GR-112",
        title="Winter warm spaces",
        purpose="A warm room, hot drinks and advice at the food bank through the winter.",
        mechanism=Mechanism.GRANT,
        amount=Decimal("8000.00"),
        expected_start=start,
        start_date=start,
        end_date=start + relativedelta(years=1) - days(1),
        term_explanation="Warm spaces are funded one winter at a time, with the energy prices.",
        agreement_signed_date=start - days(10),
    )
    monthly = _plan(relationship=winter, actor=officer, template=template, agreed=start - days(14), returns_per_year=12)
    accepted, asked, _missed, due_soon = monthly.returns.order_by("due_date")[:4]
    _sent(accepted, member=member, on=accepted.due_date - days(3))
    with happening_on(accepted.due_date + days(4)):
        monitoring.return_accept(
            monitoring_return=accepted, actor=officer, today=accepted.due_date + days(4), note="Clear and complete."
        )
    _sent(asked, member=member, on=asked.due_date - days(1))
    with happening_on(asked.due_date + days(5)):
        monitoring.return_ask_questions(
            monitoring_return=asked,
            actor=officer,
            today=asked.due_date + days(5),
            questions="How many of the visitors came for the warm room alone, without a food parcel?",
        )
    with happening_on(today - days(2)):
        monitoring.return_save_draft(
            monitoring_return=due_soon, actor=member, today=today - days(2), answers=[*ANSWERS[:2], "", ""]
        )

    # The food bank tells its funders that its largest donor is stopping (17.4).
    with happening_on(today - days(25)):
        monitoring.significant_change_tell(
            organisation=food_bank,
            actor=member,
            today=today - days(25),
            kind=ChangeKind.FINANCES,
            description="Our largest donor, a supermarket chain, ends its weekly food donations next month. We are "
            "asking other shops and may have to give smaller parcels until we find one.",
            relationships=[food, discharge, winter],
        )

    # 12.7: the youth network's sessions fell short; the council agreed an improvement timetable with it, then gave
    # notice of a reduction for performance (kept, with the impact assessed, full notice and time to respond).
    with happening_on(today - days(40)):
        timetable = monitoring.improvement_timetable_agree(
            relationship=youth,
            actor=officer,
            today=today - days(40),
            problems="Nine of the last twenty Friday evening sessions in Fratton Park were cancelled for want of "
            "staff.",
            agreed_on=today - days(40),
            review_on=today + days(20),
            actions=[
                ("Recruit and train two more sessional youth workers", today - days(10)),
                ("Agree a cover rota with the council's youth service", today + days(10)),
            ],
        )
    with happening_on(today - days(12)):
        monitoring.improvement_action_done(
            action=timetable.actions.order_by("due_on").first(),
            actor=officer,
            today=today - days(12),
            done_on=today - days(12),
        )
    notice_on = today - days(8)
    with happening_on(notice_on):
        funding.notice_record(
            relationship=youth,
            actor=officer,
            kind=NoticeKind.REDUCE,
            for_performance=True,
            notice_date=notice_on,
            today=notice_on,
            effective_date=rules.earliest_effective_date(notice_on, months=compact.notice_months) + days(7),
            rationale="Friday sessions are still being cancelled: the grant is reduced to the sessions delivered.",
            impact_assessment="About 30 young people come on Fridays; the other evenings continue.",
            impact_assessed_date=today - days(14),
            response_due_by=today + days(20),
        )
    # The NHS body ends the hospital liaison for performance with no improvement timetable agreed (12.7 broken).
    notice_on = today - days(6)
    with happening_on(notice_on):
        funding.notice_record(
            relationship=liaison,
            actor=None,
            kind=NoticeKind.END,
            for_performance=True,
            notice_date=notice_on,
            today=notice_on,
            effective_date=rules.earliest_effective_date(notice_on, months=compact.notice_months) + days(7),
            rationale="Too few carers were reached on the wards.",
            impact_assessment="About 15 carers a month met the liaison worker; the ward staff will signpost instead.",
            impact_assessed_date=today - days(9),
            response_due_by=today + days(14),
        )


demo.register("funding", seed_funding)
