"""Figures the funding data already holds, on each of the three seed compacts (Q2 2026 against Q1 2026):

- full cost recovery (overheads and volunteer costs both funded) and payment in advance as shares of the awards
  told, by number and by value: no verdict (``Figure.judged`` is False), so never among the promises kept or broken,
  and citing each compact's own clause, or the portal's default where its document makes no such undertaking;
- the awards and money to organisations serving each protected characteristic and to small groups (at most two
  paid staff), this period against the last;
- the money by mechanism and by funder, this period against the last;

and their tables in the dashboard and the report. Every answer below was counted by hand from ``awards``.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments import figures as registry
from commitments.models import Champion, Commitment, Community, MeasurableRule, Side
from commitments.reporting.pdf import REPORT_TABLES, report_sections, report_tables
from commitments.reporting.tables import Link, funding_practice_tables
from commitments.selectors.dashboard import compact_figures, figure_records
from commitments.services import compacts_load
from compact_portal.accounts.roles import Role
from compact_portal.charts import NOTHING
from compact_portal.figures import Share
from compact_portal.periods import Period
from funding import services
from funding.models import Mechanism
from funding.selectors.figures import awards_by_mechanism_and_funder, equality_funding
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import OrganisationFactory, PublicBodyFactory
from tests.funding.factories import FundingRelationshipFactory
from tests.worlds import shared_world

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 11, 20)
Q1_2026, Q2_2026 = Period.quarter(2026, 1), Period.quarter(2026, 2)
FCR = {"overheads_included": True, "volunteer_costs_included": True}

# Where each compact's document makes the undertaking (read in each compact's own document;
# tests/commitments/test_compact_clauses holds the same answers for every rule).
CLAUSES = {
    "portsmouth": {"full_cost_recovery": "8.1", "payment_in_advance": "11.1"},  # 8.1-8.2 overheads, volunteers
    "leicestershire": {"full_cost_recovery": "Principle 10", "payment_in_advance": "Portal default"},
    "nottinghamshire": {"full_cost_recovery": "KP2.6", "payment_in_advance": "Portal default"},
}
SLUGS = list(CLAUSES)


def award(compact, funder, recipient, told: datetime.date, *, kind: str = "awarded", **fields):
    """A funding relationship and its decision told on ``told`` (a late award is justified, a decline explained)."""
    relationship = FundingRelationshipFactory(compact=compact, funder=funder, recipient=recipient, **fields)
    reasons = {"awarded": {"justification": "Budget set late."}, "declined": {"feedback": "Outside our priorities."}}
    services.decision_record(
        relationship=relationship, actor=None, kind=kind, told_date=told, today=told, **reasons[kind]
    )
    return relationship


def serving(*names: str) -> list[Community]:
    return list(Community.objects.filter(name__in=names))


@pytest.fixture(scope="module")
def shared_awards(django_db_setup, django_db_blocker, tmp_path_factory):
    """The seed compacts and ``awards`` below, made once for the module (tests/worlds.py): its tests read them,
    and what a test adds goes with its own transaction."""
    with shared_world(django_db_blocker, tmp_path_factory):
        yield make_awards({compact.slug: compact for compact in compacts_load()})


@pytest.fixture
def awards(shared_awards, db):
    return shared_awards


@pytest.fixture
def compacts(shared_awards, db):
    """tests/conftest.py's three seed compacts, by slug: here, those of the module's ``awards``."""
    return {slug: made["compact"] for slug, made in shared_awards.items()}


def make_awards(compacts):
    """On each compact, the same funding (its own organisations, so nothing is counted twice):

    Recipients: a women's refuge serving Sex and Pregnancy and maternity, with two paid staff (a small group); a
    deaf club serving Disability, with three (not small); a food bank serving people on low incomes (no protected
    characteristic), its staff not recorded.

    Q2 2026 (the period): the council's grant of £10,000 to the refuge, with full cost recovery and payment in
    advance (April); its contract of £30,000 to the deaf club, overheads only, so not full cost recovery (May); the
    health board's grant of £5,000 to the food bank, with full cost recovery and payment in advance (June); the
    council's decline of the deaf club (June, not an award).

    Q1 2026 (the one before): the council's grant of £8,000 to the refuge, neither (February); the health board's
    service level agreement of £12,000 with the deaf club, with full cost recovery (March).
    """
    made = {}
    for slug, compact in compacts.items():
        council = PublicBodyFactory(name=f"{compact.area} Council")
        health = PublicBodyFactory(name=f"{compact.area} Health Board")
        refuge = OrganisationFactory(name=f"{compact.area} Women's Refuge", paid_staff=2)
        refuge.communities.set(serving("Sex", "Pregnancy and maternity"))
        deaf = OrganisationFactory(name=f"{compact.area} Deaf Club", paid_staff=3)
        deaf.communities.set(serving("Disability", "Older people"))
        food = OrganisationFactory(name=f"{compact.area} Food Bank")
        food.communities.set(serving("People on low incomes"))
        award(compact, council, refuge, D(2026, 4, 10), amount=Decimal("10000"), payment_in_advance=True, **FCR)
        award(
            compact,
            council,
            deaf,
            D(2026, 5, 5),
            amount=Decimal("30000"),
            mechanism=Mechanism.CONTRACT,
            overheads_included=True,
        )
        award(compact, health, food, D(2026, 6, 1), amount=Decimal("5000"), payment_in_advance=True, **FCR)
        award(compact, council, deaf, D(2026, 6, 2), kind="declined", amount=Decimal("9000"))
        award(compact, council, refuge, D(2026, 2, 2), amount=Decimal("8000"))
        award(
            compact,
            health,
            deaf,
            D(2026, 3, 3),
            amount=Decimal("12000"),
            mechanism=Mechanism.SERVICE_LEVEL_AGREEMENT,
            **FCR,
        )
        made[slug] = {"compact": compact, "council": council, "health": health, "refuge": refuge, "deaf": deaf}
    return made


def figures_of(world, **scope):
    return compact_figures(compact=world["compact"], period=Q2_2026, today=TODAY, **scope)


def practice_of(figures) -> dict[tuple[str, bool], tuple]:
    return {(f.key, f.by_value): (f.clause, f.current, f.previous, f.change) for f in figures.practice}


# --- Full cost recovery and payment in advance: shares, not verdicts -------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_full_cost_recovery_and_payment_in_advance_are_shares_of_the_awards(awards, slug):
    clauses = CLAUSES[slug]
    figures = figures_of(awards[slug])

    assert practice_of(figures) == {
        # Q2: the refuge's and the food bank's awards of the three; £15,000 of £45,000. Q1: the deaf club's of two.
        ("full_cost_recovery", False): (clauses["full_cost_recovery"], Share(2, 3), Share(1, 2), 67 - 50),
        ("full_cost_recovery", True): (clauses["full_cost_recovery"], Share(15000, 45000), Share(12000, 20000), -27),
        ("payment_in_advance", False): (clauses["payment_in_advance"], Share(2, 3), Share(0, 2), 67),
        ("payment_in_advance", True): (clauses["payment_in_advance"], Share(15000, 45000), Share(0, 20000), 33),
    }


@pytest.mark.parametrize("slug", SLUGS)
def test_a_share_that_is_no_verdict_is_never_among_the_promises_kept_or_broken(awards, slug):
    figures = figures_of(awards[slug])

    assert {f.key for f in figures.shares}.isdisjoint({"full_cost_recovery", "payment_in_advance"})
    assert not registry.figure("full_cost_recovery").is_promise
    assert not registry.figure("payment_in_advance").judged
    assert registry.figure("told_in_time").judged
    # Its records are the awards counted, with no verdict, whatever verdict is asked for.
    records = figure_records(key="full_cost_recovery", compact=awards[slug]["compact"], period=Q2_2026)
    assert sorted(record.relationship.amount for record in records) == [5000, 10000, 30000]
    assert {record.verdict for record in records} == {None}
    asked = figure_records(key="full_cost_recovery", compact=awards[slug]["compact"], period=Q2_2026, verdict="kept")
    assert asked.count() == 3


@pytest.mark.parametrize("slug", SLUGS)
def test_the_tables_say_n_percent_of_awards_with_the_compacts_clause(awards, slug):
    clauses = CLAUSES[slug]
    tables = {table.slug: table for table in funding_practice_tables(figures_of(awards[slug]), links=False)}

    assert tables["funding-practice"].columns == ["Figure", "Clause", "Q2 2026", "Q1 2026", "Change"]
    assert tables["funding-practice"].rows == [
        [
            "Awards with full cost recovery (overheads and volunteer costs)",
            clauses["full_cost_recovery"],
            "67% of awards (2 of 3)",
            "50% of awards (1 of 2)",
            "+17 points",
        ],
        [
            "Full cost recovery, by value",
            clauses["full_cost_recovery"],
            "33% of the money (£15,000.00 of £45,000.00)",
            "60% of the money (£12,000.00 of £20,000.00)",
            "-27 points",
        ],
        [
            "Awards with payment in advance agreed",
            clauses["payment_in_advance"],
            "67% of awards (2 of 3)",
            "0% of awards (0 of 2)",
            "+67 points",
        ],
        [
            "Payment in advance, by value",
            clauses["payment_in_advance"],
            "33% of the money (£15,000.00 of £45,000.00)",
            "0% of the money (£0.00 of £20,000.00)",
            "+33 points",
        ],
    ]
    text = " ".join(str(cell) for table in tables.values() for row in table.rows for cell in row)
    assert "kept" not in text.lower()
    assert "broken" not in text.lower()


def test_the_compacts_carry_the_undertakings_where_their_documents_make_them(compacts):
    portsmouth = compacts["portsmouth"]

    assert list(
        portsmouth.commitments.filter(rule_key=MeasurableRule.FULL_COST_RECOVERY).values_list("code", flat=True)
    ) == ["8.1", "8.2"]
    for slug in ("leicestershire", "nottinghamshire"):  # neither promises payment in advance
        assert not Commitment.objects.filter(compact=compacts[slug], rule_key=MeasurableRule.PAYMENT_IN_ADVANCE)


# --- Who the money reaches ---------------------------------------------------------------------------------------


def reach(equality) -> dict[str, tuple]:
    return {
        each.label: (each.awards, each.amount, each.previous_awards, each.previous_amount)
        for each in [*equality.characteristics, equality.small_groups, equality.every_award]
        if each.awards or each.previous_awards
    }


@pytest.mark.parametrize("slug", SLUGS)
def test_the_money_to_each_protected_characteristic_and_to_small_groups(awards, slug):
    equality = figures_of(awards[slug]).panels["equality_funding"]

    # The refuge counts under both of its characteristics; the deaf club's "Older people" is no protected one.
    assert reach(equality) == {
        "Disability": (1, Decimal("30000"), 1, Decimal("12000")),
        "Pregnancy and maternity": (1, Decimal("10000"), 1, Decimal("8000")),
        "Sex": (1, Decimal("10000"), 1, Decimal("8000")),
        "Small groups (at most 2 paid staff)": (1, Decimal("10000"), 1, Decimal("8000")),
        "All awards": (3, Decimal("45000"), 2, Decimal("20000")),
    }
    # Every protected characteristic is listed, those nobody was funded to serve with none.
    assert [each.label for each in equality.characteristics] == sorted(
        Community.objects.filter(protected_characteristic=True).values_list("name", flat=True)
    )
    assert len(equality.characteristics) == 9
    assert not equality.none


@pytest.mark.parametrize("slug", SLUGS)
def test_the_equality_table(awards, slug):
    tables = {table.slug: table for table in funding_practice_tables(figures_of(awards[slug]), links=False)}
    table = tables["equality-funding"]

    assert table.columns == [
        "Organisations",
        "Awards, Q2 2026",
        "Amount, Q2 2026",
        "Awards, Q1 2026",
        "Amount, Q1 2026",
        "Change in amount",
    ]
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows["Serving disability"] == [1, "£30,000.00", 1, "£12,000.00", "+£18,000.00"]
    assert rows["Serving sex"] == [1, "£10,000.00", 1, "£8,000.00", "+£2,000.00"]
    assert rows["Serving race"] == [0, "£0.00", 0, "£0.00", "no change"]
    assert rows["Small groups (at most 2 paid staff)"] == [1, "£10,000.00", 1, "£8,000.00", "+£2,000.00"]
    assert table.rows[-1] == ["All awards", 3, "£45,000.00", 2, "£20,000.00", "+£25,000.00"]
    assert len(table.rows) == 9 + 2


@pytest.mark.parametrize(
    ("paid_staff", "small"),
    [(0, True), (1, True), (2, True), (3, False), (12, False), (None, False)],
    ids=["none-paid", "one", "exactly-two", "three", "twelve", "not-recorded"],
)
def test_a_small_group_has_at_most_two_paid_staff(compact, council, paid_staff, small):
    group = OrganisationFactory(name="Milton Allotment Society", paid_staff=paid_staff)
    award(compact, council, group, D(2026, 5, 1), amount=Decimal("2000"))

    equality = equality_funding(compact=compact, period=Q2_2026, previous=Q1_2026)

    assert group.is_small_group is small
    assert (equality.small_groups.awards, equality.small_groups.amount) == (
        (1, Decimal("2000")) if small else (0, Decimal(0))
    )
    assert (equality.every_award.awards, equality.every_award.amount) == (1, Decimal("2000"))


@pytest.mark.parametrize(
    "characteristics",
    [("Race",), ("Race", "Religion or belief"), ("Age", "Disability", "Sex")],
    ids=["one", "two", "three"],
)
def test_an_organisation_serving_several_protected_characteristics_counts_under_each(compact, council, characteristics):
    group = OrganisationFactory(name="Fratton Faith Forum")
    group.communities.set(serving(*characteristics, "Carers"))
    award(compact, council, group, D(2026, 5, 1), amount=Decimal("4000"))
    award(compact, council, group, D(2026, 1, 5), amount=Decimal("1000"))

    equality = equality_funding(compact=compact, period=Q2_2026, previous=Q1_2026)

    expected = (1, Decimal("4000"), 1, Decimal("1000"))
    assert reach(equality) == dict.fromkeys(characteristics, expected) | {"All awards": expected}


def test_a_funders_and_a_recipients_part(awards):
    """A health check counts the awards an organisation gave, or those it received."""
    world = awards["portsmouth"]
    council = figures_of(world, organisation=world["council"])
    refuge = figures_of(world, organisation=world["refuge"])

    # The council's Q2 awards: the refuge's (full cost recovery, in advance) and the deaf club's (neither).
    assert practice_of(council)[("full_cost_recovery", False)][1:3] == (Share(1, 2), Share(0, 1))
    assert practice_of(council)[("payment_in_advance", True)][1:3] == (Share(10000, 40000), Share(0, 8000))
    assert practice_of(refuge)[("full_cost_recovery", False)][1:3] == (Share(1, 1), Share(0, 1))
    assert reach(refuge.panels["equality_funding"]) == {
        name: (1, Decimal("10000"), 1, Decimal("8000"))
        for name in ("Pregnancy and maternity", "Sex", "Small groups (at most 2 paid staff)", "All awards")
    }
    assert reach(council.panels["equality_funding"])["All awards"] == (2, Decimal("40000"), 1, Decimal("8000"))


# --- The money by mechanism and by funder, against the period before ---------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_the_money_by_mechanism_and_funder_against_the_period_before(awards, slug):
    world = awards[slug]
    figures = figures_of(world)

    assert [
        (t.label, t.awards, t.amount, t.previous_awards, t.previous_amount, t.change) for t in figures.by_mechanism
    ] == [
        ("Contract", 1, Decimal("30000"), 0, Decimal(0), Decimal("30000")),
        ("Grant", 2, Decimal("15000"), 1, Decimal("8000"), Decimal("7000")),
        ("Service level agreement", 0, Decimal(0), 1, Decimal("12000"), Decimal("-12000")),  # only before: last
    ]
    assert [(t.key, t.awards, t.amount, t.previous_awards, t.previous_amount) for t in figures.by_funder] == [
        (world["council"].slug, 2, Decimal("40000"), 1, Decimal("8000")),
        (world["health"].slug, 1, Decimal("5000"), 1, Decimal("12000")),
    ]
    tables = {table.slug: table for table in funding_practice_tables(figures, links=False)}
    assert tables["funding-by-mechanism-trend"].rows == [
        ["Contract", 1, "£30,000.00", 0, "£0.00", "+£30,000.00"],
        ["Grant", 2, "£15,000.00", 1, "£8,000.00", "+£7,000.00"],
        ["Service level agreement", 0, "£0.00", 1, "£12,000.00", "−£12,000.00"],
    ]
    assert tables["funding-by-funder-trend"].rows == [
        [world["council"].name, 2, "£40,000.00", 1, "£8,000.00", "+£32,000.00"],
        [world["health"].name, 1, "£5,000.00", 1, "£12,000.00", "−£7,000.00"],
    ]


def test_without_the_period_before_the_totals_are_the_periods_alone(awards):
    world = awards["portsmouth"]

    by_mechanism, _ = awards_by_mechanism_and_funder(compact=world["compact"], period=Q2_2026)

    assert [(t.label, t.awards, t.previous_awards) for t in by_mechanism] == [("Contract", 1, 0), ("Grant", 2, 0)]


# --- No awards ---------------------------------------------------------------------------------------------------


def test_no_awards_says_none(compact):
    figures = compact_figures(compact=compact, period=Q2_2026, today=TODAY)
    tables = funding_practice_tables(figures, links=False)

    assert {(f.current, f.previous) for f in figures.practice} == {(Share(0, 0), Share(0, 0))}
    assert [f.change for f in figures.practice] == [None] * 4
    assert figures.panels["equality_funding"].none
    assert all(table.empty for table in tables)
    assert {table.empty_text for table in tables} == {NOTHING}  # the pages' one wording for an empty table


def test_awards_only_in_the_period_before_are_shown_against_none_now(compact, council, charity):
    award(compact, council, charity, D(2026, 3, 1), amount=Decimal("7000"), **FCR)
    figures = compact_figures(compact=compact, period=Q2_2026, today=TODAY)
    tables = {table.slug: table for table in funding_practice_tables(figures)}

    def shown(row):  # what the page shows: a link's text
        return [str(cell) for cell in row]

    practice = tables["funding-practice"].rows[0]
    assert shown(practice[2:]) == ["no awards in the period", "100% of awards (1 of 1)", "–"]
    assert isinstance(practice[3], Link)
    assert practice[3].url.endswith("/records/full_cost_recovery/?start=2026-01-01&end=2026-03-31")
    assert shown(tables["equality-funding"].rows[-1]) == ["All awards", "0", "£0.00", "1", "£7,000.00", "−£7,000.00"]
    assert shown(tables["funding-by-funder-trend"].rows[0]) == [
        council.name,
        "0",
        "£0.00",
        "1",
        "£7,000.00",
        "−£7,000.00",
    ]


def test_declines_and_other_compacts_count_for_nothing(awards, compact, council, charity):
    award(compact, council, charity, D(2026, 5, 1), kind="declined")

    equality = equality_funding(compact=compact, period=Q2_2026, previous=Q1_2026)

    assert equality.none
    assert reach(equality) == {}


# --- Pages, report and CSV ---------------------------------------------------------------------------------------

NEW_TABLES = ["funding-practice", "equality-funding", "funding-by-mechanism-trend", "funding-by-funder-trend"]


def test_the_report_has_the_tables_in_order(awards):
    tables = report_tables(compact=awards["portsmouth"]["compact"], period=Q2_2026, today=TODAY)

    assert [table.slug for table in tables] == [slug for slug, _ in REPORT_TABLES]
    assert [slug for slug in (t.slug for t in tables) if slug in NEW_TABLES] == NEW_TABLES
    funding = next(section for section in report_sections(tables) if section.title == "Funding")
    assert [t.slug for t in funding.tables if t.slug in NEW_TABLES] == NEW_TABLES


@pytest.fixture
def champion_client(client, awards):
    compact = awards["portsmouth"]["compact"]
    member = MembershipFactory(organisation=awards["portsmouth"]["council"], role=Role.CHAMPION)
    Champion.objects.create(compact=compact, organisation=awards["portsmouth"]["council"], user=member.user)
    client.force_login(member.user)
    return client


def test_the_dashboard_shows_the_tables_and_links_each_share_to_its_awards(champion_client, awards):
    compact = awards["portsmouth"]["compact"]
    page = champion_client.get(
        reverse("commitments:dashboard", args=[compact.slug]), {"start": "2026-04-01", "end": "2026-06-30"}
    ).content.decode()

    assert "Full cost recovery and payment in advance" in page
    assert "67% of awards (2 of 3)" in page
    assert "Funding to organisations serving protected characteristics, and to small groups" in page
    assert "Serving pregnancy and maternity" in page
    drill = reverse("commitments:figure_records", args=[compact.slug, "full_cost_recovery"])
    assert f'href="{drill}?start=2026-04-01&amp;end=2026-06-30"' in page

    records = champion_client.get(drill, {"start": "2026-04-01", "end": "2026-06-30"})
    assert records.status_code == 200
    assert records.context["kept_or_broken"] is False
    assert len(records.context["page_obj"]) == 3
    assert "clause 8.1" in records.content.decode()


def test_each_new_table_is_a_csv(champion_client, awards):
    from commitments.models import ComplianceReport

    compact = awards["portsmouth"]["compact"]
    report = ComplianceReport.objects.create(compact=compact, period_start=Q2_2026.start, period_end=Q2_2026.end)
    for slug in NEW_TABLES:
        response = champion_client.get(reverse("commitments:report_table_csv", args=[report.pk, slug]))
        assert response.status_code == 200, slug
    equality = champion_client.get(reverse("commitments:report_table_csv", args=[report.pk, "equality-funding"]))
    rows = list(csv.reader(io.StringIO(equality.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Organisations"
    # A change's sign is kept from being read as a formula (compact_portal/csv_export.py).
    assert ["Serving disability", "1", "£30,000.00", "1", "£12,000.00", "'+£18,000.00"] in rows


# --- Queries -----------------------------------------------------------------------------------------------------


def more_awards(world, n: int) -> None:
    """``n`` more awards in each period, to organisations serving two protected characteristics, one a small group."""
    compact, council = world["compact"], world["council"]
    for i in range(n):
        group = OrganisationFactory(name=f"Group {compact.slug} {n} {i}", paid_staff=i % 4)
        group.communities.set(serving("Age", "Race"))
        for told in (D(2026, 2, 1), D(2026, 5, 1)):
            award(compact, council, group, told, amount=Decimal("1000"), mechanism=Mechanism.LOAN, **FCR)


SELECTORS = {
    "equality_funding": lambda compact: equality_funding(compact=compact, period=Q2_2026, previous=Q1_2026),
    "awards_by_mechanism_and_funder": lambda compact: awards_by_mechanism_and_funder(
        compact=compact, period=Q2_2026, previous=Q1_2026
    ),
}


@pytest.mark.parametrize("selector", list(SELECTORS))
def test_each_takes_one_query_however_many_awards(awards, selector, django_assert_num_queries):
    world = awards["portsmouth"]
    for n in (1, 4):
        with django_assert_num_queries(1):
            SELECTORS[selector](world["compact"])
        more_awards(world, n)
    with django_assert_num_queries(1):
        found = SELECTORS[selector](world["compact"])
    if selector == "equality_funding":
        assert found.every_award.awards == 3 + 5
        assert found.characteristics[0].label == "Age"
        assert found.characteristics[0].awards == 5


@pytest.mark.parametrize("organisation", [None, "council", "refuge"])
def test_the_figures_take_the_same_queries_however_many_awards(awards, organisation):
    world = awards["portsmouth"]
    scope = {"organisation": world[organisation]} if organisation else {}

    def queries():
        with CaptureQueriesContext(connection) as captured:
            figures = figures_of(world, **scope)
        return len(captured), figures

    few, _ = queries()
    more_awards(world, 6)
    many, figures = queries()

    assert many == few
    if organisation != "refuge":
        assert figures.share("full_cost_recovery").current.total == 3 + 6 - (organisation == "council")


def test_a_public_body_is_never_a_small_group():
    parish = PublicBodyFactory(name="Tiny Parish Council", paid_staff=1)

    assert parish.side == Side.PUBLIC
    assert not parish.is_small_group
