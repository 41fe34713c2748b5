"""The dashboard's figures (commitments/selectors/dashboard.py): every headline figure of one compact for Q2 2026,
with Q1 2026 before it and a trend by month, checked against a small data set counted by hand; and the records
behind each figure, which must be the ones it counted."""

import datetime
from decimal import Decimal

import pytest

from commitments.models import Champion, FlagStatus, MeasurableRule, RuleKey, Side, SignatureStatus
from commitments.selectors.dashboard import MONTH, compact_figures, figure_records
from compact_portal.accounts.roles import Role
from compact_portal.figures import Share
from compact_portal.periods import Period
from disputes import services as disputes_services
from funding import services as funding_services
from funding.models import Mechanism
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
    funding_services.decision_record(relationship=relationship, actor=None, kind=kind, told_date=told, **reasons[kind])
    relationship.refresh_from_db()
    return relationship


def raised(world, raiser: str, respondent: str, received: datetime.date):
    return ConcernFactory(
        actor=world[f"{raiser}_member"],
        raiser=world[raiser],
        compact=world["compact"],
        respondent=world[respondent],
        happened_on=received - datetime.timedelta(days=10),
        today=received,
    )


@pytest.fixture
def world(db):
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

    Notices: the city's in March (three months), the fire service's in April (a day short), the city's in June.

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
    decided(
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

    NoticeFactory(relationship=city_grant, kind="reduce", notice_date=D(2026, 3, 2), effective_date=D(2026, 6, 2))
    NoticeFactory(relationship=fire_contract, notice_date=D(2026, 4, 1), effective_date=D(2026, 6, 30))
    NoticeFactory(relationship=city_grant, notice_date=D(2026, 6, 1), effective_date=D(2026, 9, 1))

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

    elsewhere(city)
    return w


def elsewhere(funder) -> None:
    """Another compact's Q2 records, signed, paid, decided, consulted on and flagged: never counted here."""
    other = CompactFactory(name="Other Compact")
    SignatureFactory(compact=other, organisation=funder, signed_date=D(2026, 1, 5))
    award = AwardedFundingFactory(compact=other, funder=funder)
    paid_invoice(award, D(2026, 4, 14), D(2026, 4, 17))
    decided(compact=other, funder=funder, expected_start=D(2026, 12, 1), told=D(2026, 5, 5))
    NoticeFactory(relationship=award, notice_date=D(2026, 5, 1), effective_date=D(2026, 6, 1))
    ConsultationFactory(compact=other, body=funder, publish=True, open_date=D(2026, 4, 6), close_date=D(2026, 6, 28))
    FlagFactory(compact=other, organisation=funder)


def figures_of(world, **scope):
    return compact_figures(compact=world["compact"], period=Q2_2026, today=TODAY, **scope)


def shares_of(figures) -> list[tuple]:
    return [(f.key, f.by_value, f.current, f.previous, f.trend, f.change) for f in figures.shares]


# --- The compact's figures ----------------------------------------------------------------------------------------


def test_the_compacts_period_steps_and_signatories(world):
    figures = figures_of(world)

    assert (figures.period, figures.previous, figures.step, figures.today) == (Q2_2026, Q1_2026, MONTH, TODAY)
    assert figures.steps == [APRIL, MAY, JUNE]
    assert figures.step_labels == ["Apr 2026", "May 2026", "Jun 2026"]
    assert figures.signatories == {Side.PUBLIC: (2, 1), Side.VCS: (1, 2)}


def test_the_compacts_shares_now_before_and_month_by_month(world):
    figures = figures_of(world)

    assert shares_of(figures) == [
        ("paid_on_time", False, Share(2, 4), Share(1, 3), [Share(2, 2), Share(0, 1), Share(0, 1)], 50 - 33),
        ("told_in_time", False, Share(3, 4), Share(1, 2), [Share(0, 1), Share(1, 1), Share(2, 2)], 75 - 50),
        ("notice_long_enough", False, Share(1, 2), Share(1, 1), [Share(0, 1), Share(0, 0), Share(1, 1)], 50 - 100),
        ("multi_year", False, Share(1, 2), Share(1, 1), [Share(0, 1), Share(1, 1), Share(0, 0)], 50 - 100),
        (
            "multi_year",
            True,
            Share(30000, 40000),
            Share(20000, 20000),
            [Share(0, 10000), Share(30000, 30000), Share(0, 0)],
            75 - 100,
        ),
        ("long_enough", False, Share(1, 2), Share(1, 2), [Share(1, 1), Share(0, 0), Share(0, 1)], 0),
        ("feedback_on_time", False, Share(1, 2), Share(0, 1), [Share(0, 0), Share(0, 1), Share(1, 1)], 50 - 0),
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
    figures = figures_of(world, organisation=world["fire"])

    assert figures.organisation == world["fire"]
    assert figures.signatories == {}
    assert shares_of(figures) == [
        ("paid_on_time", False, Share(1, 2), Share(0, 0), [Share(1, 1), Share(0, 0), Share(0, 1)], None),
        ("told_in_time", False, Share(0, 1), Share(0, 1), [Share(0, 1), Share(0, 0), Share(0, 0)], 0),
        ("notice_long_enough", False, Share(0, 1), Share(0, 0), [Share(0, 1), Share(0, 0), Share(0, 0)], None),
        ("multi_year", False, Share(0, 1), Share(0, 0), [Share(0, 1), Share(0, 0), Share(0, 0)], None),
        ("multi_year", True, Share(0, 10000), Share(0, 0), [Share(0, 10000), Share(0, 0), Share(0, 0)], None),
        ("long_enough", False, Share(0, 0), Share(0, 1), [Share(0, 0), Share(0, 0), Share(0, 0)], None),
        ("feedback_on_time", False, Share(0, 1), Share(0, 0), [Share(0, 0), Share(0, 1), Share(0, 0)], None),
    ]
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
    figures = figures_of(world, organisation=world["youth"])

    assert figures.share("paid_on_time").current == Share(1, 2)  # the fire service's invoices
    assert figures.share("told_in_time").current == Share(1, 2)  # the fire service's contract, the city's decline
    assert (figures.share("long_enough").current, figures.share("long_enough").previous) == (Share(0, 0), Share(0, 0))
    assert [(s.stage, s.count) for s in figures.stages if s.count] == [("received", 1), ("withdrawn", 1)]
    assert figures.flags_by_rule == []


# --- Queries ------------------------------------------------------------------------------------------------------


def more_of_everything(world, n: int) -> None:
    """``n`` more of each kind of record in Q2, for the city and the fire service."""
    compact, city, fire, food = world["compact"], world["city"], world["fire"], world["food"]
    for i in range(n):
        for funder in (city, fire):
            award = decided(
                compact=compact, funder=funder, recipient=food, expected_start=D(2027, 1, 1), told=D(2026, 5, 5)
            )
            paid_invoice(award, D(2026, 5, 11), D(2026, 5, 12 + i))
            NoticeFactory(relationship=award, notice_date=D(2026, 6, 1), effective_date=D(2026, 9, 1))
            ConsultationFactory(
                compact=compact, body=funder, publish=True, open_date=D(2026, 4, 6), close_date=D(2026, 6, 28)
            )
            FlagFactory(compact=compact, organisation=funder)
            raised(world, "food", "fire" if funder == fire else "city", D(2026, 6, 2))
        SignatureFactory(compact=compact, signed_date=D(2026, 4, 1))


@pytest.mark.parametrize(
    ("organisation", "queries"),
    [pytest.param(None, 11, id="the-compact"), pytest.param("fire", 10, id="one-organisation")],
)
def test_the_figures_take_the_same_queries_however_much_data(world, organisation, queries, django_assert_num_queries):
    scope = {"organisation": world[organisation]} if organisation else {}
    for n in (1, 3):
        with django_assert_num_queries(queries):
            figures_of(world, **scope)
        more_of_everything(world, n)
    with django_assert_num_queries(queries):
        figures = figures_of(world, **scope)

    # Q2's decisions, and the 1 + 3 rounds of more: two a round for the compact, one for the fire service.
    assert figures.share("told_in_time").current.total == {None: 4 + 8, "fire": 1 + 4}[organisation]


def test_a_longer_period_draws_the_same_queries(world, django_assert_num_queries):
    with django_assert_num_queries(11):
        figures = compact_figures(compact=world["compact"], period=Period.year(2026), today=TODAY)

    assert len(figures.steps) == 12
    assert figures.share("told_in_time").previous == Share(2, 2)  # the two awards told in September 2025
    assert figures.share("told_in_time").current == Share(4, 6)


# --- The records behind each figure -------------------------------------------------------------------------------


def counted(figures, key: str) -> tuple[Share, Share, list[Share], bool]:
    """What the figure named ``key`` counted: now, before, month by month, and whether it is a promise (whose
    records kept or broke it) rather than a plain count."""
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


def expected(share: Share, met: bool | None, promise: bool) -> int:
    if met is None or not promise:  # a count has nothing kept or broken: ``met`` lists them all
        return share.total
    return share.met if met else share.total - share.met


DRILL_DOWN_KEYS = [
    "paid_on_time",
    "told_in_time",
    "multi_year",
    "awards",
    "notice_long_enough",
    "long_enough",
    "feedback_on_time",
    "cases",
    "signatories",
]


@pytest.mark.parametrize("met", [None, True, False], ids=["all", "met", "not-met"])
@pytest.mark.parametrize("key", DRILL_DOWN_KEYS)
def test_the_records_behind_a_figure_are_those_it_counted(world, key, met):
    figures = figures_of(world)
    now, before, trend, promise = counted(figures, key)

    def records(period):
        return figure_records(key=key, compact=world["compact"], period=period, met=met).count()

    assert now.total > 0
    assert records(Q2_2026) == expected(now, met, promise)
    if before is not None:
        assert records(Q1_2026) == expected(before, met, promise)
    if trend is not None:
        assert [records(step) for step in figures.steps] == [expected(share, met, promise) for share in trend]


@pytest.mark.parametrize("met", [None, True, False], ids=["all", "met", "not-met"])
@pytest.mark.parametrize("key", [key for key in DRILL_DOWN_KEYS if key != "signatories"])
def test_the_records_behind_an_organisations_figure_are_its_own(world, key, met):
    fire = world["fire"]
    figures = figures_of(world, organisation=fire)
    now, before, _, promise = counted(figures, key)

    def records(period):
        return figure_records(key=key, compact=world["compact"], period=period, met=met, organisation=fire)

    assert records(Q2_2026).count() == expected(now, met, promise)
    if before is not None:
        assert records(Q1_2026).count() == expected(before, met, promise)


def test_the_records_behind_met_and_not_met_split_the_figures_records(world):
    for key in ("paid_on_time", "told_in_time", "multi_year", "notice_long_enough", "long_enough", "feedback_on_time"):
        every = set(figure_records(key=key, compact=world["compact"], period=Q2_2026))
        kept = set(figure_records(key=key, compact=world["compact"], period=Q2_2026, met=True))
        broken = set(figure_records(key=key, compact=world["compact"], period=Q2_2026, met=False))

        assert kept | broken == every
        assert not kept & broken


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
