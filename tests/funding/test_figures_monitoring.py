"""The monitoring figures (funding/figures.py, their measures in funding/selectors/figures.py): monitoring plans
proportionate to the funding's value (12.3, the funder's promise), monitoring returns made on time (17.3, the
organisation's promise to its funder) and improvement timetables agreed before ending funding for performance
(12.7, the funder's), each kept, explained or broken at its edges, placed in a period by the right day and counted
for the organisation that made the promise."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from commitments.figures import PROMISER, RECIPIENT, figure
from commitments.models import FlagStatus, RecordType, RuleKey
from commitments.selectors.dashboard import figure_records
from compact_portal.figures import Share, Verdict, shares_by_window
from compact_portal.periods import Period
from tests.commitments.factories import CompactFactory, FlagFactory
from tests.funding.factories import (
    AwardedFundingFactory,
    ImprovementTimetableFactory,
    MonitoringPlanFactory,
    MonitoringReturnFactory,
    NoticeFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
KEPT, EXPLAINED, BROKEN = Verdict.KEPT.value, Verdict.EXPLAINED.value, Verdict.BROKEN.value
Q1_2027, Q2_2027, Q3_2027, Q4_2027 = (Period.quarter(2027, n) for n in (1, 2, 3, 4))


def shares(key: str, *, compact, windows, organisation=None, role: str = "") -> list[Share]:
    """The registered figure ``key`` of ``compact`` (``organisation``'s part in ``role``, if given) in each window."""
    counted = figure(key)
    records = counted.of(compact=compact, organisation=organisation, role=role)
    return shares_by_window(records, [counted.measure], windows)[key]


def verdicts(key: str, *, compact, period: Period) -> list[str]:
    """The verdict of each record the drill-down lists for ``period``, in the listing's order."""
    return [record.verdict for record in figure_records(key=key, compact=compact, period=period).order_by("pk")]


def waive(compact, organisation, rule: str, record_type: str, record_id: int) -> None:
    FlagFactory(
        compact=compact,
        organisation=organisation,
        rule=rule,
        record_type=record_type,
        record_id=record_id,
        status=FlagStatus.WAIVED,
        status_reason="Explained to the champions' group.",
    )


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact")


@pytest.fixture
def today(monkeypatch):
    """Hold the portal's date at ``day`` (returns due later are not counted yet)."""

    def hold(day: datetime.date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)

    return hold


# --- Monitoring proportionate (12.3) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "returns_per_year", "verdict"),
    [
        pytest.param("9999.99", 1, KEPT, id="under-10000-once"),
        pytest.param("9999.99", 2, BROKEN, id="under-10000-twice"),
        pytest.param("10000", 2, KEPT, id="10000-twice"),
        pytest.param("10000", 4, BROKEN, id="10000-quarterly"),
        pytest.param("99999.99", 2, KEPT, id="under-100000-twice"),
        pytest.param("99999.99", 4, BROKEN, id="under-100000-quarterly"),
        pytest.param("100000", 4, KEPT, id="100000-quarterly"),
        pytest.param("100000", 12, BROKEN, id="100000-monthly"),
    ],
)
def test_a_plan_is_proportionate_up_to_its_compacts_band(compact, amount, returns_per_year, verdict):
    """The shipped bands: under £10,000 one return a year, under £100,000 two, above that four."""
    funding = AwardedFundingFactory(compact=compact, amount=Decimal(amount))
    MonitoringPlanFactory(relationship=funding, returns_per_year=returns_per_year, agreed_on=D(2027, 2, 1))

    assert verdicts("monitoring_proportionate", compact=compact, period=Q1_2027) == [verdict]
    met = 1 if verdict == KEPT else 0
    assert shares("monitoring_proportionate", compact=compact, windows=[Q1_2027]) == [Share(met, 1)]


def test_a_plan_asking_more_is_explained_by_its_reason_or_a_waiver(compact):
    over = {"returns_per_year": 4, "agreed_on": D(2027, 2, 1)}  # £30,000: the band allows two
    MonitoringPlanFactory(relationship=AwardedFundingFactory(compact=compact), **over)
    MonitoringPlanFactory(
        relationship=AwardedFundingFactory(compact=compact), disproportion_reason="A new service's first year.", **over
    )
    waived = MonitoringPlanFactory(relationship=AwardedFundingFactory(compact=compact), **over)
    funder, relationship_id = waived.relationship.funder, waived.relationship_id
    # A waiver of another rule on its relationship, or of this rule on another kind of record with the same id,
    # explains nothing; its relationship's waived flag of this rule does.
    waive(compact, funder, RuleKey.MONITORING_NOT_AGREED, RecordType.FUNDING_RELATIONSHIP, relationship_id)
    waive(compact, funder, RuleKey.MONITORING_DISPROPORTIONATE, RecordType.NOTICE, relationship_id)

    assert verdicts("monitoring_proportionate", compact=compact, period=Q1_2027) == [BROKEN, EXPLAINED, BROKEN]
    waive(compact, funder, RuleKey.MONITORING_DISPROPORTIONATE, RecordType.FUNDING_RELATIONSHIP, relationship_id)
    assert verdicts("monitoring_proportionate", compact=compact, period=Q1_2027) == [BROKEN, EXPLAINED, EXPLAINED]
    assert shares("monitoring_proportionate", compact=compact, windows=[Q1_2027]) == [Share(0, 3, 2)]


def test_a_plan_counts_on_the_day_monitoring_was_agreed_or_else_the_day_it_was_made(compact):
    MonitoringPlanFactory(
        relationship=AwardedFundingFactory(compact=compact), agreed_on=D(2027, 3, 31), today=D(2027, 4, 1)
    )
    MonitoringPlanFactory(
        relationship=AwardedFundingFactory(compact=compact), agreed_on=D(2027, 4, 1), today=D(2027, 4, 1)
    )
    MonitoringPlanFactory(relationship=AwardedFundingFactory(compact=compact))  # not agreed yet: made today
    made = Period.quarter_of(timezone.localdate())

    assert shares("monitoring_proportionate", compact=compact, windows=[Q1_2027, Q2_2027, made]) == [
        Share(1, 1),
        Share(1, 1),
        Share(1, 1),
    ]


def test_a_plan_is_the_funders_promise_to_the_recipient(compact):
    plan = MonitoringPlanFactory(
        relationship=AwardedFundingFactory(compact=compact), returns_per_year=4, agreed_on=D(2027, 2, 1)
    )
    funder, recipient = plan.relationship.funder, plan.relationship.recipient

    def of(organisation, role):
        return shares(
            "monitoring_proportionate", compact=compact, windows=[Q1_2027], organisation=organisation, role=role
        )

    assert of(funder, PROMISER) == of(recipient, RECIPIENT) == [Share(0, 1)]
    assert of(funder, RECIPIENT) == of(recipient, PROMISER) == [Share(0, 0)]
    assert shares("monitoring_proportionate", compact=CompactFactory(), windows=[Q1_2027]) == [Share(0, 0)]


# --- Monitoring returns made on time (17.3) ----------------------------------------------------------------------


@pytest.fixture
def plan(compact):
    """Twice a year on an award of £30,000 from 1 April 2027: its first return covers April to September and is
    due on Monday 1 November 2027 (31 October is a Sunday)."""
    return MonitoringPlanFactory(relationship=AwardedFundingFactory(compact=compact), returns_per_year=2)


@pytest.mark.parametrize(
    ("sent", "verdict"),
    [
        pytest.param(D(2027, 10, 29), KEPT, id="the-friday-before"),
        pytest.param(D(2027, 11, 1), KEPT, id="on-the-due-day"),
        pytest.param(D(2027, 11, 2), BROKEN, id="a-day-late"),
        pytest.param(None, BROKEN, id="not-made"),
    ],
)
def test_a_return_is_made_on_time_on_or_before_its_due_date(compact, plan, today, sent, verdict):
    today(D(2027, 12, 1))
    item = MonitoringReturnFactory(plan=plan, submitted_date=sent)
    assert item.due_date == D(2027, 11, 1)

    assert verdicts("returns_on_time", compact=compact, period=Q4_2027) == [verdict]


def test_a_late_return_is_explained_only_by_a_waiver_of_its_own_flag(compact, plan, today):
    today(D(2027, 12, 1))
    item = MonitoringReturnFactory(plan=plan, submitted_date=D(2027, 11, 2))
    recipient = plan.relationship.recipient
    waive(compact, recipient, RuleKey.MONITORING_RETURN_OVERDUE, RecordType.NOTICE, item.pk)
    waive(compact, recipient, RuleKey.INVOICE_OVERDUE, RecordType.MONITORING_RETURN, item.pk)
    assert verdicts("returns_on_time", compact=compact, period=Q4_2027) == [BROKEN]

    waive(compact, recipient, RuleKey.MONITORING_RETURN_OVERDUE, RecordType.MONITORING_RETURN, item.pk)

    assert verdicts("returns_on_time", compact=compact, period=Q4_2027) == [EXPLAINED]
    assert shares("returns_on_time", compact=compact, windows=[Q4_2027]) == [Share(0, 1, 1)]


@pytest.mark.parametrize(
    ("day", "sent", "counted"),
    [
        pytest.param(D(2027, 10, 31), D(2027, 10, 29), False, id="made-but-not-due-yet"),
        pytest.param(D(2027, 10, 31), None, False, id="not-made-not-due-yet"),
        pytest.param(D(2027, 11, 1), None, False, id="due-today-not-made-yet"),
        pytest.param(D(2027, 11, 1), D(2027, 11, 1), True, id="due-today-made"),
        pytest.param(D(2027, 11, 2), None, True, id="due-yesterday-not-made"),
    ],
)
def test_a_return_is_counted_once_it_is_due(compact, plan, today, day, sent, counted):
    """A return due later than today is not counted yet; one due today, once it is made (until the day ends, it
    may still be made in time)."""
    today(day)
    MonitoringReturnFactory(plan=plan, submitted_date=sent, today=day)

    assert shares("returns_on_time", compact=compact, windows=[Q4_2027])[0].total == int(counted)
    assert figure_records(key="returns_on_time", compact=compact, period=Q4_2027).count() == int(counted)


def test_returns_are_the_recipients_promise_to_its_funder(compact, plan, today):
    today(D(2027, 12, 1))
    MonitoringReturnFactory(plan=plan, submitted_date=D(2027, 11, 1))
    funder, recipient = plan.relationship.funder, plan.relationship.recipient

    def of(organisation, role):
        return shares("returns_on_time", compact=compact, windows=[Q4_2027], organisation=organisation, role=role)

    assert of(recipient, PROMISER) == of(funder, RECIPIENT) == [Share(1, 1)]
    assert of(recipient, RECIPIENT) == of(funder, PROMISER) == [Share(0, 0)]


def test_returns_count_in_the_window_of_their_due_date(compact, plan, today):
    """The first return (April to September) is due on 1 November 2027; the second (October to March) on Tuesday
    2 May 2028 (30 April is a Sunday, 1 May the early May bank holiday); by 1 June 2028 both count, each in its own
    quarter."""
    today(D(2028, 6, 1))
    MonitoringReturnFactory(plan=plan, submitted_date=D(2027, 11, 1))
    second = MonitoringReturnFactory(
        plan=plan, period_start=D(2027, 10, 1), period_end=D(2028, 3, 31), submitted_date=D(2028, 5, 3)
    )
    assert second.due_date == D(2028, 5, 2)

    assert shares("returns_on_time", compact=compact, windows=[Q4_2027, Period.quarter(2028, 2)]) == [
        Share(1, 1),
        Share(0, 1),
    ]


# --- Improvement timetable before ending for performance (12.7) ------------------------------------------------


@pytest.mark.parametrize(
    ("agreed", "verdict"),
    [
        pytest.param(D(2027, 8, 31), KEPT, id="agreed-the-day-before"),
        pytest.param(D(2027, 9, 1), KEPT, id="agreed-on-the-notice-day"),
        pytest.param(D(2027, 9, 2), BROKEN, id="agreed-the-day-after"),
        pytest.param(None, BROKEN, id="none-agreed"),
    ],
)
def test_an_ending_for_performance_keeps_the_promise_after_an_agreed_timetable(compact, agreed, verdict):
    funding = AwardedFundingFactory(compact=compact)
    if agreed is not None:
        ImprovementTimetableFactory(relationship=funding, agreed_on=agreed, review_on=D(2027, 10, 1))
    ImprovementTimetableFactory(relationship=AwardedFundingFactory(compact=compact), agreed_on=D(2027, 6, 1))
    NoticeFactory(relationship=funding, notice_date=D(2027, 9, 1), for_performance=True)

    assert verdicts("improvement_timetable", compact=compact, period=Q3_2027) == [verdict]


@pytest.mark.parametrize(
    ("kind", "for_performance", "counted"),
    [
        pytest.param("end", True, True, id="an-end-for-performance"),
        pytest.param("reduce", True, True, id="a-reduction-for-performance"),
        pytest.param("change", True, False, id="a-change"),
        pytest.param("end", False, False, id="an-end-for-other-reasons"),
    ],
)
def test_only_endings_and_reductions_for_performance_are_counted(compact, kind, for_performance, counted):
    funding = AwardedFundingFactory(compact=compact)
    NoticeFactory(relationship=funding, kind=kind, notice_date=D(2027, 9, 1), for_performance=for_performance)

    assert shares("improvement_timetable", compact=compact, windows=[Q3_2027]) == [Share(0, int(counted))]


def test_an_ending_without_a_timetable_is_explained_by_a_waiver(compact):
    notice = NoticeFactory(
        relationship=AwardedFundingFactory(compact=compact), notice_date=D(2027, 9, 1), for_performance=True
    )
    waive(compact, notice.relationship.funder, RuleKey.IMPROVEMENT_TIMETABLE_MISSING, RecordType.NOTICE, notice.pk)

    assert shares("improvement_timetable", compact=compact, windows=[Q3_2027]) == [Share(0, 1, 1)]


def test_the_notices_figures_are_counted_in_one_query(compact, django_assert_num_queries):
    for day in (D(2027, 7, 1), D(2027, 8, 2), D(2027, 9, 1)):
        NoticeFactory(relationship=AwardedFundingFactory(compact=compact), notice_date=day, for_performance=True)
    notice, timetable = figure("notice_long_enough"), figure("improvement_timetable")
    assert notice.records is timetable.records

    with django_assert_num_queries(1):
        counted = shares_by_window(notice.of(compact=compact), [notice.measure, timetable.measure], [Q3_2027])

    assert counted["notice_long_enough"][0].total == counted["improvement_timetable"][0].total == 3
