"""A small, believable demo: a council, an NHS body, charities and community groups, one person per role.

Idempotent: records are found by their natural keys (organisation slug, e-mail address, membership,
signature, champion appointment) and created only when missing, so running it again changes
nothing. Later issues add their own demo records here, through their services; funding is dated around
the day it is seeded, so the demo always has an open response window and an overdue invoice.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from commitments.models import Community, Compact, Flag, Organisation, OrganisationType, Side, Trigger
from commitments.services import champion_appoint, compacts_load, organisation_create, signature_record_signed
from commitments.services.compliance import compliance_scan
from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from compact_portal.accounts.services import membership_grant, user_create
from consultations import services as consultations
from consultations.models import Consultation, PolicyArea
from disputes import services as disputes
from disputes.models import CaseEmail, Concern
from funding import services as funding
from funding.models import DecisionKind, FundingRelationship, Mechanism, NoticeKind

DEMO_PASSWORD = "compact-demo-2026"
DEMO_COMPACT = "portsmouth"
DEMO_SIGNED_ON = datetime.date(2026, 4, 1)

T = OrganisationType
DEMO_ORGANISATIONS: list[dict] = [
    {
        "slug": "portsmouth-city-council",
        "name": "Portsmouth City Council",
        "side": Side.PUBLIC,
        "organisation_type": T.LOCAL_AUTHORITY,
        "org_id": "GB-LAE-POR",
        "postcode": "PO1 2AL",
        "email": "compact@portsmouth-council.example.org",
    },
    {
        "slug": "nhs-solent-integrated-care-board",
        "name": "NHS Solent Integrated Care Board",
        "side": Side.PUBLIC,
        "organisation_type": T.NHS_BODY,
        "org_id": "GB-NHS-QRL",
        "postcode": "PO3 5PB",
        "email": "partnerships@solent-icb.example.org",
    },
    {
        "slug": "solent-voluntary-action",
        "name": "Solent Voluntary Action",
        "side": Side.VCS,
        "organisation_type": T.INFRASTRUCTURE_BODY,
        "charity_number": "1123456",
        "postcode": "PO1 2DT",
        "email": "hello@solent-va.example.org",
        "paid_staff": 12,
        "communities": ["volunteers"],
    },
    {
        "slug": "southsea-community-food-bank",
        "name": "Southsea Community Food Bank",
        "side": Side.VCS,
        "organisation_type": T.REGISTERED_CHARITY,
        "charity_number": "1170001",
        "postcode": "PO4 0AA",
        "email": "info@southsea-foodbank.example.org",
        "paid_staff": 2,
        "communities": ["people-on-low-incomes", "families"],
    },
    {
        "slug": "fratton-youth-network",
        "name": "Fratton Youth Network",
        "side": Side.VCS,
        "organisation_type": T.CHARITABLE_INCORPORATED_ORGANISATION,
        "charity_number": "1180002",
        "postcode": "PO1 5LA",
        "email": "team@fratton-youth.example.org",
        "paid_staff": 5,
        "communities": ["children-and-young-people", "age"],
    },
    {
        "slug": "somers-town-residents-association",
        "name": "Somers Town Residents' Association",
        "side": Side.VCS,
        "organisation_type": T.UNINCORPORATED_COMMUNITY_GROUP,
        "postcode": "PO5 4QL",
        "email": "somerstownra@example.org",
        "paid_staff": 0,
        "communities": ["older-people", "race"],
    },
    {
        "slug": "harbourside-carers-trust",
        "name": "Harbourside Carers Trust",
        "side": Side.VCS,
        "organisation_type": T.COMPANY_LIMITED_BY_GUARANTEE,
        "charity_number": "1150003",
        "company_number": "07123456",
        "postcode": "PO2 8QD",
        "email": "support@harbourside-carers.example.org",
        "paid_staff": 9,
        "communities": ["carers", "disability"],
    },
]


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    roles: tuple[tuple[str, str], ...]  # (organisation slug, role)


DEMO_PEOPLE: list[DemoPerson] = [
    DemoPerson("officer@demo.example.org", "Priya Shah", (("portsmouth-city-council", Role.OFFICER),)),
    DemoPerson("charity@demo.example.org", "Tom Barker", (("southsea-community-food-bank", Role.VCS_MEMBER),)),
    DemoPerson(
        "champion@demo.example.org",
        "Grace Okafor",
        (("portsmouth-city-council", Role.CHAMPION), ("solent-voluntary-action", Role.CHAMPION)),
    ),
    DemoPerson("panel@demo.example.org", "David Lewis", (("solent-voluntary-action", Role.PANEL_MEMBER),)),
    DemoPerson("admin@demo.example.org", "Alex Morgan", (("portsmouth-city-council", Role.ADMINISTRATOR),)),
]


@transaction.atomic
def seed_demo(*, today: datetime.date) -> list[DemoPerson]:
    """Create whatever part of the demo is missing; returns the demo people for the sign-in list."""
    if not Compact.objects.filter(slug=DEMO_COMPACT).exists():
        compacts_load()
    compact = Compact.objects.get(slug=DEMO_COMPACT)
    communities = {c.slug: c for c in Community.objects.all()}

    organisations = {
        org.slug: org for org in Organisation.objects.filter(slug__in=[o["slug"] for o in DEMO_ORGANISATIONS])
    }
    for spec in DEMO_ORGANISATIONS:
        if spec["slug"] not in organisations:
            fields = dict(spec)
            fields["communities"] = [communities[slug] for slug in fields.pop("communities", [])]
            organisations[spec["slug"]] = organisation_create(**fields)
        signature_record_signed(compact=compact, organisation=organisations[spec["slug"]], signed_date=DEMO_SIGNED_ON)

    for person in DEMO_PEOPLE:
        user = User.objects.filter(email__iexact=person.email).first()
        if user is None:
            user = user_create(email=person.email, full_name=person.full_name, password=DEMO_PASSWORD)
        for slug, role in person.roles:
            if role == Role.CHAMPION:
                champion_appoint(
                    compact=compact, organisation=organisations[slug], user=user, appointed_on=DEMO_SIGNED_ON
                )
            else:
                membership_grant(user=user, organisation=organisations[slug], role=role)
    _seed_funding(compact=compact, organisations=organisations, today=today)
    _seed_consultations(compact=compact, organisations=organisations, today=today)
    _seed_disputes(compact=compact, organisations=organisations, today=today)
    if not Flag.objects.filter(compact=compact).exists():
        # The first compliance check, so the demo opens with its broken promises flagged (no digest e-mails).
        compliance_scan(today=today, trigger=Trigger.MANUAL, send_digest=False)
    return DEMO_PEOPLE


def _months_ago(today: datetime.date, months: int) -> datetime.date:
    return (today.replace(day=1) - relativedelta(months=months)).replace(day=1)


def _seed_funding(*, compact: Compact, organisations: dict[str, Organisation], today: datetime.date) -> None:
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


def _seed_consultations(*, compact: Compact, organisations: dict[str, Organisation], today: datetime.date) -> None:
    """Consultations forthcoming, open (one shorter than 12 weeks, explained), closed with feedback, and
    closed with feedback overdue, dated around ``today``."""
    council = organisations["portsmouth-city-council"]
    if Consultation.objects.filter(body=council, title="The future of our community centres").exists():
        return
    officer = User.objects.get(email__iexact="officer@demo.example.org")
    days = datetime.timedelta
    common = {
        "compact": compact,
        "body": council,
        "formal": True,
        "methods": "An online and paper questionnaire, two drop-in sessions and a meeting with the VCS forum, "
        "so that groups without internet access can take part.",
        "formats_and_languages": "Easy read, large print and Polish versions on request; a BSL-interpreted session.",
        "foi_statement": "Responses may be released under the Freedom of Information Act 2000 unless you ask "
        "for yours to be kept confidential and an exemption applies.",
        "contact_name": "Priya Shah",
        "contact_email": "consultations@demo.example.org",
    }
    plans = [
        {
            "title": "The future of our community centres",
            "summary": "The council owns eleven community centres. We want to hear how they are used and how "
            "they could be run with community organisations.",
            "policy_area": PolicyArea.objects.get(slug="voluntary-and-community-sector"),
            "announced_date": today - days(40),
            "open_date": today - days(20),
            "close_date": today - days(20) + days(83),
            "open_to_change": "Which centres are run by community organisations, and how leases work.",
            "not_open_to_change": "The total budget for centres, which the council set in February.",
        },
        {
            "title": "Winter pressures small grants",
            "summary": "How a one-off fund for warm spaces this winter should be shared out.",
            "policy_area": PolicyArea.objects.get(slug="council-budget-and-funding"),
            "announced_date": today - days(10),
            "open_date": today - days(5),
            "close_date": today - days(5) + days(55),
            "shorter_explanation": "The government announced the fund in November and it must be spent by "
            "31 March, so eight weeks is the longest we can allow.",
        },
        {
            "title": "Youth service recommissioning",
            "summary": "What young people and youth organisations want from the next youth service contract.",
            "policy_area": PolicyArea.objects.get(slug="children-and-young-people"),
            "announced_date": today - days(3),
            "open_date": today + days(14),
            "close_date": today + days(14) + days(83),
        },
        {
            "title": "Library opening hours",
            "summary": "Changes to the opening hours of branch libraries.",
            "policy_area": PolicyArea.objects.get(slug="culture-leisure-and-sport"),
            "announced_date": today - days(130),
            "open_date": today - days(110),
            "close_date": today - days(110) + days(83),
        },
        {
            "title": "Parking charges at district centres",
            "summary": "Proposed changes to parking charges near local shops.",
            "policy_area": PolicyArea.objects.get(slug="transport"),
            "announced_date": None,
            "open_date": today - days(200),
            "close_date": today - days(200) + days(83),
        },
    ]
    created = {}
    for plan in plans:
        consultation = consultations.consultation_create(actor=officer, **common, **plan)
        created[plan["title"]] = consultations.consultation_publish(consultation=consultation, actor=officer)
    consultations.feedback_publish(
        consultation=created["Library opening hours"],
        actor=officer,
        today=today,
        summary_of_responses="312 people and 9 organisations responded; most wanted late opening kept on one day.",
        what_changed="Every branch keeps one late evening a week; Saturday hours are unchanged.",
        what_did_not_change="Two branches still close on Mondays: the budget reduction is fixed for this year.",
    )


def _seed_disputes(*, compact: Compact, organisations: dict[str, Organisation], today: datetime.date) -> None:
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
