"""The dashboard's figures (commitments/selectors/dashboard.py): every headline figure of one compact for Q2 2026,
with Q1 2026 before it and a trend by month, checked against a small data set counted by hand; and the records
behind each figure, which must be the ones it counted, each with its verdict (kept, explained or broken).

A promise not kept but explained (an award told late with a justification, a shorter term or consultation with
its explanation, a champion's waiver) counts as *explained*, not broken: ``Share(met, total, explained)``."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.figures import PROMISER, RECIPIENT
from commitments.models import Champion, FlagStatus, MeasurableRule, RecordType, RuleKey, Side, SignatureStatus
from commitments.selectors.dashboard import MONTH, compact_figures, figure_records
from compact_portal.accounts.roles import Role
from compact_portal.figures import Share, Verdict
from compact_portal.periods import Period
from consultations import services as consultation_services
from consultations.models import Represents
from disputes import services as disputes_services
from funding import services as funding_services
from funding.models import Mechanism
from funding.services import monitoring
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import (
    CommitmentFactory,
    CompactFactory,
    FlagFactory,
    OrganisationFactory,
    PublicBodyFactory,
    SignatureFactory,
)
from tests.consultations.factories import ConsultationFactory, publish_feedback
from tests.disputes.factories import ConcernFactory
from tests.funding.factories import (
    AwardedFundingFactory,
    FundingRelationshipFactory,
    InvoiceFactory,
    NoticeFactory,
    pay_in_full,
)
from tests.worlds import shared_world

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 11, 22)
Q1_2026, Q2_2026 = Period.quarter(2026, 1), Period.quarter(2026, 2)
APRIL, MAY, JUNE = Q2_2026.months()


def paid_invoice(relationship, received: datetime.date, paid: datetime.date | None):
    invoice = InvoiceFactory(relationship=relationship, received_date=received)
    return pay_in_full(invoice, paid) if paid else invoice


def decided(*, kind: str = "awarded", told: datetime.date, **fields):
    """A funding relationship and the decision on it, told on ``told``."""
    relationship = FundingRelationshipFactory(**fields)
    reasons = {"awarded": {"justification": "Budget set late."}, "declined": {"feedback": "Outside our priorities."}}
    funding_services.decision_record(
        relationship=relationship, actor=None, kind=kind, told_date=told, today=told, **reasons[kind]
    )
    relationship.refresh_from_db()
    return relationship


def monitored(relationship, *, agreed: datetime.date, returns_per_year: int, reason: str = ""):
    """``relationship``'s monitoring plan, agreed on ``agreed``; set up as of ``TODAY``, so it schedules no return
    due by then (the returns counted here are recorded as they happened, with ``made``)."""
    return monitoring.monitoring_plan_set(
        relationship=relationship,
        actor=None,
        today=TODAY,
        questions="How many people did the service reach?",
        purpose="To report to the council's cabinet.",
        returns_per_year=returns_per_year,
        service_user_views=True,
        agreed_on=agreed,
        disproportion_reason=reason,
    )


def made(plan, start: datetime.date, end: datetime.date, sent: datetime.date | None = None):
    """The plan's return for ``start`` to ``end`` (due a month after it ends), sent on ``sent`` if given."""
    return monitoring.return_record(
        plan=plan, actor=None, today=TODAY, period_start=start, period_end=end, submitted_date=sent
    )


def raised(world, raiser: str, respondent: str, received: datetime.date):
    return ConcernFactory(
        actor=world[f"{raiser}_member"],
        raiser=world[raiser],
        compact=world["compact"],
        respondent=world[respondent],
        happened_on=received - datetime.timedelta(days=10),
        today=received,
    )


@pytest.fixture(scope="module")
def shared_world_of_the_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world below, built once for the module (tests/worlds.py): its tests read it, and the few that add
    records (the query counts) lose them with their own transaction."""
    with shared_world(django_db_blocker, tmp_path_factory):
        yield build_world()


@pytest.fixture
def world(shared_world_of_the_module, db):
    return shared_world_of_the_module


def build_world():
    """The Southsea Compact (10 working days to pay, 3 months' notice and lead time, 3-year terms, 12-week
    consultations with feedback 12 weeks after closing), between the city council and the fire service (public)
    and the food bank and the youth club (VCS). Q1 2026 is the previous period, Q2 2026 the current one.

    Signatures: the city since 2025, the food bank since January, the youth club from February until it withdrew on
    15 June, the fire service since 1 May.

    Invoices, paid after (working days): Q1, the city's: 3 (Jan, on time), 14 (Feb, late), 14 (Mar, late).
    Q2: the city's 3 (Apr, on time) and 13 (May, late, across the spring bank holiday); the fire service's
    10 (Apr, on its last day) and 15 (Jun, late). One is still unpaid, one was paid in July.

    Decisions: Q1: the city's grant of £20,000 for three years (Feb, in time), the fire service's decline
    (Mar, late). Q2: the fire service's one-year contract of £10,000 (Apr, late), the city's three-year grant of
    £30,000 (May, in time), its decline (Jun, in time) and its service level agreement of £5,000 with no start
    yet (Jun, in time).

    Notices: the city's in March (three months), the fire service's in April (a day short), the city's in June;
    all three for performance (12.7): the city agreed an improvement timetable for its grant on 1 May, after the
    March notice (its flag waived: explained) and before the June one (kept); the fire service agreed none (broken).

    Monitoring plans (12.3; bands: under £10,000 one return a year, under £100,000 two): the city's £12,000 grant,
    agreed in February, asks four a year with the reason recorded (explained); the fire service's £8,000 contract,
    agreed in April, asks two with none (broken); the city's £20,000 grant, agreed in May, asks one (kept).

    Monitoring returns (17.3, the recipients' promise): the food bank's for January to March, due 30 April, sent
    on 28 April (kept); the youth club's for the same quarter, sent on 6 May (late, its flag waived: explained),
    and its return for April, due 1 June (30 May is a Saturday), not made (broken).

    Consultations: the city's of autumn 2025 (feedback due 22 March, published late), the city's of January
    (12 weeks; feedback due 21 June, published 1 May), the fire service's of January (8 weeks, explained;
    feedback due 24 May, none), the city's of April (12 weeks), the fire service's informal one of May and the
    city's six-week one of June; a draft counts for nothing.

    Cases: the food bank's about the city in January; in Q2, its case about the fire service (acknowledged), the
    youth club's about the fire service (received) and its case about the city (withdrawn); one more in July.

    Open flags: the city's paid-late invoice and overdue feedback, the fire service's paid-late invoice and short
    notice. Another compact's records count for nothing anywhere.
    """
    compact = CompactFactory(name="Southsea Compact", status="adopted", adopted_date=D(2025, 4, 1))
    city, fire = PublicBodyFactory(name="Southsea City Council"), PublicBodyFactory(name="Southsea Fire Service")
    food, youth = OrganisationFactory(name="Southsea Food Bank"), OrganisationFactory(name="Fratton Youth Club")
    w = {"compact": compact, "city": city, "fire": fire, "food": food, "youth": youth}

    SignatureFactory(compact=compact, organisation=city, signed_date=D(2025, 6, 1))
    SignatureFactory(compact=compact, organisation=food, signed_date=D(2026, 1, 10))
    SignatureFactory(
        compact=compact,
        organisation=youth,
        status=SignatureStatus.WITHDRAWN,
        signed_date=D(2026, 2, 1),
        withdrawn_date=D(2026, 6, 15),
    )
    SignatureFactory(compact=compact, organisation=fire, signed_date=D(2026, 5, 1))
    SignatureFactory(compact=compact, status=SignatureStatus.APPLIED, signed_date=None)

    # Funding awarded in 2025, invoiced and given notice on in 2026.
    running = {"expected_start": D(2026, 1, 1), "start_date": D(2026, 1, 1), "end_date": D(2028, 12, 31)}
    city_grant = decided(
        compact=compact, funder=city, recipient=food, amount=Decimal("12000"), told=D(2025, 9, 1), **running
    )
    fire_contract = decided(
        compact=compact,
        funder=fire,
        recipient=youth,
        mechanism=Mechanism.CONTRACT,
        amount=Decimal("8000"),
        told=D(2025, 9, 1),
        **running,
    )
    for relationship, received, paid in (
        (city_grant, D(2026, 1, 5), D(2026, 1, 8)),
        (city_grant, D(2026, 2, 2), D(2026, 2, 20)),
        (city_grant, D(2026, 3, 2), D(2026, 3, 20)),
        (city_grant, D(2026, 4, 14), D(2026, 4, 17)),
        (fire_contract, D(2026, 4, 14), D(2026, 4, 28)),
        (city_grant, D(2026, 5, 11), D(2026, 5, 29)),
        (fire_contract, D(2026, 6, 1), D(2026, 6, 22)),
        (city_grant, D(2026, 6, 15), None),
        (fire_contract, D(2026, 6, 24), D(2026, 7, 2)),
    ):
        paid_invoice(relationship, received, paid)

    # Decisions told in Q1 and Q2.
    june_grant = decided(
        compact=compact,
        funder=city,
        recipient=food,
        amount=Decimal("20000"),
        expected_start=D(2026, 6, 1),
        start_date=D(2026, 6, 1),
        end_date=D(2029, 5, 31),
        told=D(2026, 2, 10),
    )
    decided(
        compact=compact, funder=fire, recipient=youth, expected_start=D(2026, 4, 1), kind="declined", told=D(2026, 3, 2)
    )
    decided(
        compact=compact,
        funder=fire,
        recipient=youth,
        mechanism=Mechanism.CONTRACT,
        amount=Decimal("10000"),
        expected_start=D(2026, 7, 1),
        start_date=D(2026, 7, 1),
        end_date=D(2027, 6, 30),
        term_explanation="A one-year pilot.",
        told=D(2026, 4, 20),
    )
    decided(
        compact=compact,
        funder=city,
        recipient=food,
        amount=Decimal("30000"),
        expected_start=D(2026, 10, 1),
        start_date=D(2026, 10, 1),
        end_date=D(2029, 9, 30),
        told=D(2026, 5, 5),
    )
    decided(
        compact=compact,
        funder=city,
        recipient=youth,
        expected_start=D(2026, 12, 1),
        kind="declined",
        told=D(2026, 6, 10),
    )
    decided(
        compact=compact,
        funder=city,
        recipient=food,
        mechanism=Mechanism.SERVICE_LEVEL_AGREEMENT,
        amount=Decimal("5000"),
        expected_start=D(2027, 1, 1),
        start_date=None,
        end_date=None,
        told=D(2026, 6, 15),
    )

    march_notice = NoticeFactory(
        relationship=city_grant,
        kind="reduce",
        notice_date=D(2026, 3, 2),
        effective_date=D(2026, 6, 2),
        for_performance=True,
    )
    NoticeFactory(
        relationship=fire_contract, notice_date=D(2026, 4, 1), effective_date=D(2026, 6, 30), for_performance=True
    )
    monitoring.improvement_timetable_agree(
        relationship=city_grant,
        actor=None,
        today=D(2026, 5, 1),
        problems="Too few sessions ran in the winter.",
        agreed_on=D(2026, 5, 1),
        review_on=D(2026, 5, 29),
        actions=[("Recruit a volunteer coordinator", D(2026, 5, 22))],
    )
    NoticeFactory(
        relationship=city_grant, notice_date=D(2026, 6, 1), effective_date=D(2026, 9, 1), for_performance=True
    )

    city_plan = monitored(city_grant, agreed=D(2026, 2, 2), returns_per_year=4, reason="A new service's first year.")
    fire_plan = monitored(fire_contract, agreed=D(2026, 4, 10), returns_per_year=2)
    monitored(june_grant, agreed=D(2026, 5, 12), returns_per_year=1)
    made(city_plan, D(2026, 1, 1), D(2026, 3, 31), sent=D(2026, 4, 28))
    youth_late = made(fire_plan, D(2026, 1, 1), D(2026, 3, 31), sent=D(2026, 5, 6))
    assert youth_late.due_date == D(2026, 4, 30)
    assert made(fire_plan, D(2026, 4, 1), D(2026, 4, 30)).due_date == D(2026, 6, 1)

    autumn = ConsultationFactory(
        compact=compact,
        body=city,
        publish=True,
        announced_date=D(2025, 9, 1),
        open_date=D(2025, 10, 6),
        close_date=D(2025, 12, 28),
    )
    publish_feedback(autumn, today=D(2026, 3, 30))
    january = ConsultationFactory(compact=compact, body=city, publish=True)  # 5 January to 29 March
    publish_feedback(january, today=D(2026, 5, 1))
    ConsultationFactory(
        compact=compact, body=fire, publish=True, close_date=D(2026, 3, 1), shorter_explanation="Budget deadline."
    )
    for body, opens, closes, more in (
        (city, D(2026, 4, 6), D(2026, 6, 28), {}),
        (fire, D(2026, 5, 4), D(2026, 6, 14), {"formal": False}),
        (city, D(2026, 6, 1), D(2026, 7, 12), {"shorter_explanation": "Statutory deadline."}),
    ):
        ConsultationFactory(
            compact=compact,
            body=body,
            publish=True,
            announced_date=opens - datetime.timedelta(days=30),
            open_date=opens,
            close_date=closes,
            **more,
        )
    ConsultationFactory(compact=compact, body=city, open_date=D(2026, 5, 4), close_date=D(2026, 5, 10))  # a draft

    CommitmentFactory(compact=compact, code="13.3", side="public")
    CommitmentFactory(compact=compact, code="6.4", side="public", rule_key=MeasurableRule.PROMPT_PAYMENT)
    w["food_member"] = MembershipFactory(organisation=food, role=Role.VCS_MEMBER).user
    w["youth_member"] = MembershipFactory(organisation=youth, role=Role.VCS_MEMBER).user
    champion = MembershipFactory(organisation=city, role=Role.CHAMPION).user
    Champion.objects.create(compact=compact, organisation=city, user=champion)
    raised(w, "food", "city", D(2026, 1, 20))
    acknowledged = raised(w, "food", "fire", D(2026, 4, 15))
    disputes_services.concern_acknowledge(concern=acknowledged, actor=champion, today=D(2026, 4, 17))
    raised(w, "youth", "fire", D(2026, 5, 11))
    withdrawn = raised(w, "youth", "city", D(2026, 6, 1))
    disputes_services.concern_withdraw(concern=withdrawn, actor=w["youth_member"], today=D(2026, 6, 5))
    raised(w, "food", "city", D(2026, 7, 1))

    FlagFactory(compact=compact, organisation=city, rule=RuleKey.INVOICE_PAID_LATE, clause="11.2")
    FlagFactory(compact=compact, organisation=city, rule=RuleKey.CONSULTATION_FEEDBACK_OVERDUE, clause="3.5")
    FlagFactory(compact=compact, organisation=fire, rule=RuleKey.INVOICE_PAID_LATE, clause="11.2")
    FlagFactory(compact=compact, organisation=fire, rule=RuleKey.NOTICE_TOO_SHORT, clause="13.3")
    FlagFactory(compact=compact, organisation=city, status=FlagStatus.AT_RISK)
    FlagFactory(
        compact=compact, organisation=fire, rule=RuleKey.DECISION_TOO_LATE, clause="9.2", status=FlagStatus.WAIVED
    )
    for organisation, rule, record_type, record in (
        (youth, RuleKey.MONITORING_RETURN_OVERDUE, RecordType.MONITORING_RETURN, youth_late),
        (city, RuleKey.IMPROVEMENT_TIMETABLE_MISSING, RecordType.NOTICE, march_notice),
    ):
        FlagFactory(
            compact=compact,
            organisation=organisation,
            rule=rule,
            record_type=record_type,
            record_id=record.pk,
            status=FlagStatus.WAIVED,
        )

    elsewhere(city)
    return w


def elsewhere(funder) -> None:
    """Another compact's Q2 records, signed, paid, decided, consulted on and flagged: never counted here."""
    other = CompactFactory(name="Other Compact")
    SignatureFactory(compact=other, organisation=funder, signed_date=D(2026, 1, 5))
    award = AwardedFundingFactory(compact=other, funder=funder)
    paid_invoice(award, D(2026, 4, 14), D(2026, 4, 17))
    decided(compact=other, funder=funder, expected_start=D(2026, 12, 1), told=D(2026, 5, 5))
    NoticeFactory(relationship=award, notice_date=D(2026, 5, 1), effective_date=D(2026, 6, 1), for_performance=True)
    plan = monitored(award, agreed=D(2026, 4, 7), returns_per_year=12)
    made(plan, D(2026, 3, 1), D(2026, 3, 31))
    ConsultationFactory(compact=other, body=funder, publish=True, open_date=D(2026, 4, 6), close_date=D(2026, 6, 28))
    FlagFactory(compact=other, organisation=funder)


def figures_of(world, **scope):
    return compact_figures(compact=world["compact"], period=Q2_2026, today=TODAY, **scope)


def shares_of(figures, which: str = "shares") -> list[tuple]:
    return [(f.key, f.by_value, f.current, f.previous, f.trend, f.change) for f in getattr(figures, which)]


def treated(figures, key: str):
    """The count (not by value) of the promise ``key`` made to the health check's organisation."""
    return next(f for f in figures.treated if f.key == key and not f.by_value)


NOTHING = Share(0, 0)


# --- The compact's figures ----------------------------------------------------------------------------------------


def test_the_compacts_period_steps_and_signatories(world):
    figures = figures_of(world)

    assert (figures.period, figures.previous, figures.step, figures.today) == (Q2_2026, Q1_2026, MONTH, TODAY)
    assert figures.steps == [APRIL, MAY, JUNE]
    assert figures.step_labels == ["Apr 2026", "May 2026", "Jun 2026"]
    assert figures.signatories == {Side.PUBLIC: (2, 1), Side.VCS: (1, 2)}


def test_the_compacts_shares_now_before_and_month_by_month(world):
    """Explained, not broken: the fire service's April contract, told late with a justification (9.2) and for a
    one-year pilot with its term explained (9.1); the fire service's eight-week January consultation and the
    city's six-week June one, both explained (3.7). The fire service's March decline was told late with no
    justification: broken. A share by value has nothing explained (an explanation is of a record)."""
    figures = figures_of(world)

    assert shares_of(figures) == [
        ("paid_on_time", False, Share(2, 4), Share(1, 3), [Share(2, 2), Share(0, 1), Share(0, 1)], 50 - 33),
        ("told_in_time", False, Share(3, 4, 1), Share(1, 2), [Share(0, 1, 1), Share(1, 1), Share(2, 2)], 75 - 50),
        ("notice_long_enough", False, Share(1, 2), Share(1, 1), [Share(0, 1), Share(0, 0), Share(1, 1)], 50 - 100),
        ("multi_year", False, Share(1, 2, 1), Share(1, 1), [Share(0, 1, 1), Share(1, 1), Share(0, 0)], 50 - 100),
        (
            "multi_year",
            True,
            Share(30000, 40000),
            Share(20000, 20000),
            [Share(0, 10000), Share(30000, 30000), Share(0, 0)],
            75 - 100,
        ),
        (
            "monitoring_proportionate",
            False,
            Share(1, 2),
            Share(0, 1, 1),
            [Share(0, 1), Share(1, 1), Share(0, 0)],
            50 - 0,
        ),
        ("returns_on_time", False, Share(1, 3, 1), Share(0, 0), [Share(1, 2, 1), Share(0, 0), Share(0, 1)], None),
        ("improvement_timetable", False, Share(1, 2), Share(0, 1, 1), [Share(0, 1), Share(0, 0), Share(1, 1)], 50 - 0),
        ("long_enough", False, Share(1, 2, 1), Share(1, 2, 1), [Share(1, 1), Share(0, 0), Share(0, 1, 1)], 0),
        ("feedback_on_time", False, Share(1, 2), Share(0, 1), [Share(0, 0), Share(0, 1), Share(1, 1)], 50 - 0),
    ]
    assert figures.treated == []  # the compact's dashboard: every promise is under ``shares``
    assert [(f.current.broken, f.current.broken_percent) for f in figures.shares if not f.by_value] == [
        (2, 50),
        (0, 0),
        (1, 50),
        (0, 0),
        (1, 50),
        (1, 34),
        (1, 50),
        (0, 0),
        (1, 50),
    ]
    assert figures.share("multi_year").by_value is False  # the count comes first
    assert [(f.label, f.clause) for f in figures.shares][:2] == [
        ("Invoices paid within the agreed working days", "6.4"),  # the compact's own commitment carrying 11.2's rule
        ("Funding decisions told in time before the start", "Portal default"),  # a promise the compact does not make
    ]


def test_the_compacts_working_days_to_pay(world):
    days = figures_of(world).days_to_pay

    # Q2: 3, 10, 13, 15 working days; Q1: 3, 14, 14. April: 3, 10; May: 13; June: 15.
    assert (days.median, days.p90, days.previous_median, days.previous_p90) == (10, 15, 14, 14)
    assert days.trend == [3, 13, 15]


def test_the_compacts_open_flags_by_rule_and_clause(world):
    figures = figures_of(world)

    assert [(f.key, f.count) for f in figures.flags_by_rule] == [
        (RuleKey.INVOICE_PAID_LATE, 2),
        (RuleKey.CONSULTATION_FEEDBACK_OVERDUE, 1),
        (RuleKey.NOTICE_TOO_SHORT, 1),
    ]
    assert [(f.key, f.count) for f in figures.flags_by_clause] == [("11.2", 2), ("13.3", 1), ("3.5", 1)]
    assert figures.open_flags == 4


def test_the_compacts_cases_by_stage_and_received(world):
    figures = figures_of(world)

    assert [(s.stage, s.count, s.oldest_days) for s in figures.stages if s.count] == [
        ("received", 1, (TODAY - D(2026, 5, 11)).days),
        ("acknowledged", 1, (TODAY - D(2026, 4, 15)).days),
        ("withdrawn", 1, None),
    ]
    assert [s.oldest_days for s in figures.stages if s.count][:2] == [195, 221]
    cases = figures.cases_received
    assert (cases.key, cases.current, cases.previous, cases.trend) == (
        "cases",
        Share(3, 3),
        Share(1, 1),
        [Share(1, 1)] * 3,
    )


def test_the_compacts_awards_by_mechanism_and_funder(world):
    figures = figures_of(world)

    assert [(t.key, t.awards, t.amount) for t in figures.by_mechanism] == [
        (Mechanism.GRANT, 1, Decimal("30000")),
        (Mechanism.CONTRACT, 1, Decimal("10000")),
        (Mechanism.SERVICE_LEVEL_AGREEMENT, 1, Decimal("5000")),
    ]
    assert [(t.key, t.awards, t.amount) for t in figures.by_funder] == [
        (world["city"].slug, 2, Decimal("35000")),
        (world["fire"].slug, 1, Decimal("10000")),
    ]


# --- One organisation's part --------------------------------------------------------------------------------------


def test_the_fire_services_figures_are_only_its_part(world):
    """The fire service's own promises, as funder and as the body consulting, are its ``shares``; it receives
    no funding and answered no consultation, so the one promise made to it (``treated``) is the youth club's:
    its monitoring returns."""
    figures = figures_of(world, organisation=world["fire"])

    assert figures.organisation == world["fire"]
    assert figures.signatories == {}
    assert shares_of(figures) == [
        ("paid_on_time", False, Share(1, 2), Share(0, 0), [Share(1, 1), Share(0, 0), Share(0, 1)], None),
        ("told_in_time", False, Share(0, 1, 1), Share(0, 1), [Share(0, 1, 1), Share(0, 0), Share(0, 0)], 0),
        ("notice_long_enough", False, Share(0, 1), Share(0, 0), [Share(0, 1), Share(0, 0), Share(0, 0)], None),
        ("multi_year", False, Share(0, 1, 1), Share(0, 0), [Share(0, 1, 1), Share(0, 0), Share(0, 0)], None),
        ("multi_year", True, Share(0, 10000), Share(0, 0), [Share(0, 10000), Share(0, 0), Share(0, 0)], None),
        ("monitoring_proportionate", False, Share(0, 1), NOTHING, [Share(0, 1), NOTHING, NOTHING], None),
        ("returns_on_time", False, NOTHING, NOTHING, [NOTHING, NOTHING, NOTHING], None),
        ("improvement_timetable", False, Share(0, 1), NOTHING, [Share(0, 1), NOTHING, NOTHING], None),
        ("long_enough", False, Share(0, 0), Share(0, 1, 1), [Share(0, 0), Share(0, 0), Share(0, 0)], None),
        ("feedback_on_time", False, Share(0, 1), Share(0, 0), [Share(0, 0), Share(0, 1), Share(0, 0)], None),
    ]
    assert [f.key for f in figures.treated] == [f.key for f in figures.shares]
    assert treated(figures, "returns_on_time").current == Share(0, 2, 1)  # the youth club's, late and not made
    assert {(f.current, f.previous) for f in figures.treated if f.key != "returns_on_time"} == {(NOTHING, NOTHING)}
    days = figures.days_to_pay
    assert (days.median, days.p90, days.previous_median, days.previous_p90, days.trend) == (
        10,
        15,
        None,
        None,
        [10, None, 15],
    )
    assert [(f.key, f.count) for f in figures.flags_by_rule] == [
        (RuleKey.INVOICE_PAID_LATE, 1),
        (RuleKey.NOTICE_TOO_SHORT, 1),
    ]
    assert [(f.key, f.count) for f in figures.flags_by_clause] == [("11.2", 1), ("13.3", 1)]
    assert [(s.stage, s.count, s.oldest_days) for s in figures.stages if s.count] == [
        ("received", 1, 195),
        ("acknowledged", 1, 221),
    ]
    assert (figures.cases_received.current, figures.cases_received.previous) == (Share(2, 2), Share(0, 0))
    assert figures.cases_received.trend == [Share(1, 1), Share(1, 1), Share(0, 0)]
    assert [(t.key, t.awards, t.amount) for t in figures.by_mechanism] == [(Mechanism.CONTRACT, 1, Decimal("10000"))]
    assert [(t.key, t.awards, t.amount) for t in figures.by_funder] == [(world["fire"].slug, 1, Decimal("10000"))]


def test_a_recipients_figures_are_those_of_its_funding_and_its_cases(world):
    """The youth club made one of these promises, its monitoring returns to the fire service (17.3): its health
    check scores it on that alone (its other ``shares`` are empty) and shows under ``treated`` how the fire service
    and the city kept theirs to it. Before the figure registry the funding it receives was counted as its own
    figures (``shares``); that changed on purpose."""
    figures = figures_of(world, organisation=world["youth"])

    own = next(f for f in figures.shares if f.key == "returns_on_time")
    assert (own.current, own.previous) == (Share(0, 2, 1), NOTHING)  # one late (waived), one not made
    assert {(f.current, f.previous) for f in figures.shares if f.key != "returns_on_time"} == {(NOTHING, NOTHING)}
    assert treated(figures, "paid_on_time").current == Share(1, 2)  # the fire service's invoices
    # The fire service's contract (late, justified: explained) and the city's decline (in time).
    assert treated(figures, "told_in_time").current == Share(1, 2, 1)
    assert treated(figures, "notice_long_enough").current == Share(0, 1)  # the fire service's, a day short
    assert treated(figures, "monitoring_proportionate").current == Share(0, 1)  # twice a year on £8,000
    assert treated(figures, "improvement_timetable").current == Share(0, 1)  # the fire service's, with none
    assert treated(figures, "returns_on_time").current == NOTHING  # nobody makes returns to the youth club
    # The youth club answered no consultation.
    assert (treated(figures, "long_enough").current, treated(figures, "long_enough").previous) == (NOTHING, NOTHING)
    assert [(s.stage, s.count) for s in figures.stages if s.count] == [("received", 1), ("withdrawn", 1)]
    assert figures.flags_by_rule == []


# --- Queries ------------------------------------------------------------------------------------------------------


def more_of_everything(world, n: int, recipient: str = "food") -> None:
    """``n`` more of each kind of record in Q2, for the city and the fire service, their funding going to
    ``recipient``, which answers their consultations too."""
    compact, city, fire, to = world["compact"], world["city"], world["fire"], world[recipient]
    for i in range(n):
        for funder in (city, fire):
            award = decided(
                compact=compact, funder=funder, recipient=to, expected_start=D(2027, 1, 1), told=D(2026, 5, 5)
            )
            paid_invoice(award, D(2026, 5, 11), D(2026, 5, 12 + i))
            NoticeFactory(
                relationship=award, notice_date=D(2026, 6, 1), effective_date=D(2026, 9, 1), for_performance=True
            )
            plan = monitored(award, agreed=D(2026, 5, 6), returns_per_year=4)
            made(plan, D(2026, 4, 1), D(2026, 4, 30), sent=D(2026, 5, 29))
            consultation = ConsultationFactory(
                compact=compact, body=funder, publish=True, open_date=D(2026, 4, 6), close_date=D(2026, 6, 28)
            )
            consultation_services.response_save(
                consultation=consultation,
                organisation=to,
                actor=None,
                today=D(2026, 4, 7),
                text="Keep the service.",
                represents=Represents.OWN,
                how_gathered="",
                may_publish=False,
                submit=True,
            )
            FlagFactory(compact=compact, organisation=funder)
            raised(world, recipient, "fire" if funder == fire else "city", D(2026, 6, 2))
        SignatureFactory(compact=compact, signed_date=D(2026, 4, 1))


def counted_records(figures, organisation: str | None) -> int:
    """Every record the figures counted in Q2: the promises made (and, for a recipient, those made to it),
    the concerns and the awards."""
    made = figures.shares if organisation != "youth" else figures.treated
    return (
        sum(f.current.total for f in made if not f.by_value)
        + figures.cases_received.current.total
        + sum(t.awards for t in figures.by_mechanism)
    )


# The most queries the figures may take: one per kind of record counted (invoices, decisions, notices, monitoring
# plans, monitoring returns, consultations), one or two per panel and a few more (commitments/selectors/dashboard.py):
# 13 for the compact and 12 for one organisation when written, with room for one more panel.
BUDGET = {None: 15, "fire": 14, "youth": 14}  # the action plan's panel among them


@pytest.mark.parametrize(
    "organisation",
    [
        pytest.param(None, id="the-compact"),
        pytest.param("fire", id="a-funder"),
        pytest.param("youth", id="a-recipient"),
    ],
)
def test_the_figures_take_the_same_queries_however_much_data(world, organisation, django_assert_max_num_queries):
    """The same number of queries, within the budget, as the data grows by a round, three more, then doubles
    (the records the figures count at least twice as many as before)."""
    scope = {"organisation": world[organisation]} if organisation else {}
    recipient = organisation if organisation == "youth" else "food"

    def queries_and_figures():
        with CaptureQueriesContext(connection) as captured:
            figures = figures_of(world, **scope)
        return len(captured), figures

    small, figures = queries_and_figures()
    assert small <= BUDGET[organisation]
    for n in (1, 3):
        more_of_everything(world, n, recipient)
        with django_assert_max_num_queries(BUDGET[organisation]):
            assert queries_and_figures()[0] == small
    # Q2's decisions, and the 1 + 3 rounds of more: two a round for the compact and the recipient, one for the fire
    # service.
    figures = queries_and_figures()[1]
    told = figures.share("told_in_time") if organisation != "youth" else treated(figures, "told_in_time")
    assert told.current.total == {None: 4 + 8, "fire": 1 + 4, "youth": 2 + 8}[organisation]

    before = counted_records(figures, organisation)
    more_of_everything(world, 8, recipient)
    queries, figures = queries_and_figures()

    assert counted_records(figures, organisation) >= 2 * before
    assert queries == small


def test_a_longer_period_draws_the_same_queries(world):
    with CaptureQueriesContext(connection) as quarter:
        figures_of(world)
    with CaptureQueriesContext(connection) as year:
        figures = compact_figures(compact=world["compact"], period=Period.year(2026), today=TODAY)

    assert len(year) == len(quarter) <= BUDGET[None]
    assert len(figures.steps) == 12
    assert figures.share("told_in_time").previous == Share(2, 2)  # the two awards told in September 2025
    # Q1's late decline (broken), Q2's late contract (justified: explained).
    assert figures.share("told_in_time").current == Share(4, 6, 1)


# --- The records behind each figure -------------------------------------------------------------------------------


def counted(figures, key: str) -> tuple[Share, Share, list[Share], bool]:
    """What the figure named ``key`` counted: now, before, month by month, and whether it is a promise (whose
    records kept, explained or broke it) rather than a plain count."""
    if key == "awards":
        awards = sum(t.awards for t in figures.by_mechanism)
        return Share(awards, awards), None, None, False
    if key == "cases":
        cases = figures.cases_received
        return cases.current, cases.previous, cases.trend, False
    if key == "signatories":
        now, before = (sum(counts[i] for counts in figures.signatories.values()) for i in (0, 1))
        return Share(now, now), Share(before, before), None, False
    figure = figures.share(key)
    return figure.current, figure.previous, figure.trend, True


def expected(share: Share, verdict: str, promise: bool) -> int:
    """How many of the records behind ``share`` have ``verdict`` (all of them for no verdict, or a count, which
    has nothing kept or broken)."""
    if not verdict or not promise:
        return share.total
    return {Verdict.KEPT: share.met, Verdict.EXPLAINED: share.explained, Verdict.BROKEN: share.broken}[verdict]


DRILL_DOWN_KEYS = [
    "paid_on_time",
    "told_in_time",
    "multi_year",
    "awards",
    "notice_long_enough",
    "monitoring_proportionate",
    "returns_on_time",
    "improvement_timetable",
    "long_enough",
    "feedback_on_time",
    "cases",
    "signatories",
]
PROMISE_KEYS = [
    "paid_on_time",
    "told_in_time",
    "multi_year",
    "notice_long_enough",
    "monitoring_proportionate",
    "returns_on_time",
    "improvement_timetable",
    "long_enough",
    "feedback_on_time",
]
VERDICTS = ["", *Verdict.values]


@pytest.mark.parametrize("verdict", VERDICTS, ids=["all", *Verdict.values])
@pytest.mark.parametrize("key", DRILL_DOWN_KEYS)
def test_the_records_behind_a_figure_are_those_it_counted(world, key, verdict):
    figures = figures_of(world)
    now, before, trend, promise = counted(figures, key)

    def records(period):
        return figure_records(key=key, compact=world["compact"], period=period, verdict=verdict)

    assert now.total > 0
    assert records(Q2_2026).count() == expected(now, verdict, promise)
    if before is not None:
        assert records(Q1_2026).count() == expected(before, verdict, promise)
    if trend is not None:
        assert [records(step).count() for step in figures.steps] == [
            expected(share, verdict, promise) for share in trend
        ]
    if promise and verdict:
        assert {record.verdict for record in records(Q2_2026)} <= {verdict}


# The one promise the recipients make, to their funders (17.3): the youth club's returns to the fire service.
RECIPIENTS_PROMISES = ["returns_on_time"]


@pytest.mark.parametrize("verdict", VERDICTS, ids=["all", *Verdict.values])
@pytest.mark.parametrize("key", [key for key in DRILL_DOWN_KEYS if key not in ["signatories", *RECIPIENTS_PROMISES]])
def test_the_records_behind_an_organisations_figure_are_its_own(world, key, verdict):
    """The fire service made all these promises itself: its records in the role of promiser are those of its
    ``shares``, and in any role the same (none of them was promised to it)."""
    fire = world["fire"]
    figures = figures_of(world, organisation=fire)
    now, before, _, promise = counted(figures, key)

    def records(period, role=""):
        return figure_records(
            key=key, compact=world["compact"], period=period, verdict=verdict, organisation=fire, role=role
        )

    assert records(Q2_2026).count() == expected(now, verdict, promise)
    if before is not None:
        assert records(Q1_2026).count() == expected(before, verdict, promise)
    if promise:
        assert records(Q2_2026, PROMISER).count() == expected(now, verdict, promise)
        assert not records(Q2_2026, RECIPIENT).exists()


@pytest.mark.parametrize("verdict", VERDICTS, ids=["all", *Verdict.values])
@pytest.mark.parametrize("key", RECIPIENTS_PROMISES)
def test_the_records_behind_a_promise_made_to_a_funder_are_its_recipients(world, key, verdict):
    """The youth club's returns are its own promise (``shares``) and one made to the fire service (``treated``):
    each finds them in its own role only."""
    youth, fire = world["youth"], world["fire"]
    made_by = next(f for f in figures_of(world, organisation=youth).shares if f.key == key).current
    made_to = treated(figures_of(world, organisation=fire), key).current

    def records(organisation, role):
        return figure_records(
            key=key, compact=world["compact"], period=Q2_2026, verdict=verdict, organisation=organisation, role=role
        )

    assert made_by == made_to == Share(0, 2, 1)
    assert records(youth, PROMISER).count() == records(fire, RECIPIENT).count() == expected(made_by, verdict, True)
    assert not records(youth, RECIPIENT).exists()
    assert not records(fire, PROMISER).exists()


@pytest.mark.parametrize("key", PROMISE_KEYS)
def test_the_records_behind_a_recipients_figure_are_those_promised_to_it(world, key):
    """The youth club's records as the one promised to are those its health check counts under ``treated``; it
    promised none of them but its own returns."""
    youth = world["youth"]
    figures = figures_of(world, organisation=youth)
    share = treated(figures, key).current

    for verdict in VERDICTS:
        records = figure_records(
            key=key, compact=world["compact"], period=Q2_2026, verdict=verdict, organisation=youth, role=RECIPIENT
        )
        assert records.count() == expected(share, verdict, True), verdict
    promised = figure_records(key=key, compact=world["compact"], period=Q2_2026, organisation=youth, role=PROMISER)
    assert promised.exists() is (key in RECIPIENTS_PROMISES)


def test_kept_explained_and_broken_split_the_figures_records(world):
    for key in PROMISE_KEYS:
        every = set(figure_records(key=key, compact=world["compact"], period=Q2_2026))
        kept, explained, broken = (
            set(figure_records(key=key, compact=world["compact"], period=Q2_2026, verdict=verdict))
            for verdict in Verdict.values
        )

        assert kept | explained | broken == every, key
        assert not kept & explained, key
        assert not kept & broken, key
        assert not explained & broken, key


def test_the_cases_behind_each_stage(world):
    figures = figures_of(world)

    for stage in figures.stages:
        records = figure_records(key="cases", compact=world["compact"], period=Q2_2026, stage=stage.stage)
        assert records.count() == stage.count
        assert all(case.stage == stage.stage for case in records)


def test_the_awards_behind_each_mechanism_and_funder(world):
    figures = figures_of(world)

    for totals, narrowing in ((figures.by_mechanism, "mechanism"), (figures.by_funder, "funder")):
        for total in totals:
            records = figure_records(
                key="awards", compact=world["compact"], period=Q2_2026, **{narrowing: total.key}
            ).select_related("relationship")
            assert records.count() == total.awards
            assert sum(award.relationship.amount for award in records) == total.amount
    assert not figure_records(key="awards", compact=world["compact"], period=Q2_2026, mechanism=Mechanism.LOAN).exists()


@pytest.mark.parametrize(("period", "at"), [(Q2_2026, 0), (Q1_2026, 1)], ids=["now", "before"])
def test_the_signatories_behind_each_side(world, period, at):
    figures = figures_of(world)

    for side, counts in figures.signatories.items():
        records = figure_records(key="signatories", compact=world["compact"], period=period, side=side)
        assert records.count() == counts[at]
        assert all(signature.organisation.side == side for signature in records)


def test_an_organisations_signature_is_the_record_behind_its_signatory_figure(world):
    fire = world["fire"]

    assert figure_records(key="signatories", compact=world["compact"], period=Q2_2026, organisation=fire).count() == 1
    assert not figure_records(key="signatories", compact=world["compact"], period=Q1_2026, organisation=fire).exists()


def test_a_figure_that_does_not_exist_has_no_records(world):
    with pytest.raises(KeyError):
        figure_records(key="no_such_figure", compact=world["compact"], period=Q2_2026)
