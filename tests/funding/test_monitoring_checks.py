"""The monitoring rules of the compliance scan (funding/checks.py), run by the engine as of a given day: a plan
asking more often than its band (12.3), a return not yet made by its due date (17.3) and notice for performance
without an improvement timetable agreed first (12.7).

For each rule a record just inside its limit raises no flag and one just outside raises one against the right
organisation (the funder for 12.3 and 12.7, the organisation making the return for 17.3), citing the compact's own
clause where its catalogue has one; an explained record raises none, a record put right resolves its flag, and a
return goes at risk (the reminder) before it is open.

The default award runs from 1 April 2027 to 31 March 2030 (£30,000: the shipped bands allow two returns a year).
A twice-yearly plan's first return covers 1 April to 30 September 2027: due a month later, Saturday 30 October,
so Monday 1 November 2027; its reminder starts ten working days before, on Monday 18 October.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from commitments.models import CheckStatus, Flag, FlagStatus, RecordType, RuleKey
from commitments.services.compliance import compliance_scan
from commitments.services.flags import flag_waive
from funding import services
from funding.services import monitoring
from tests.commitments.factories import CommitmentFactory, CompactFactory
from tests.funding.factories import (
    AwardedFundingFactory,
    ImprovementTimetableFactory,
    MonitoringPlanFactory,
    NoticeFactory,
)

pytestmark = pytest.mark.django_db

DEFAULT = ""  # the test compacts have no catalogue: their flags cite the portal's default (a blank clause)
OPEN, AT_RISK, RESOLVED, WAIVED = FlagStatus.OPEN, FlagStatus.AT_RISK, FlagStatus.RESOLVED, FlagStatus.WAIVED
DISPROPORTIONATE = RuleKey.MONITORING_DISPROPORTIONATE
OVERDUE = RuleKey.MONITORING_RETURN_OVERDUE
NO_TIMETABLE = RuleKey.IMPROVEMENT_TIMETABLE_MISSING
ENGLAND, SCOTLAND = "england_wales", "scotland"
AGREED = date(2027, 3, 1)
FIRST_DUE = date(2027, 11, 1)


def scan(compact, today, *rules):
    """Scan ``compact`` for ``rules`` as of ``today``, every check finished; return their flags."""
    run = compliance_scan(today=today, compact=compact, rule_keys=list(rules), send_digest=False)
    assert list(run.checks.values_list("status", flat=True)) == [CheckStatus.DONE] * len(rules)
    return list(Flag.objects.filter(compact=compact, rule__in=rules).order_by("rule", "due_date", "record_id"))


def seen(flags):
    """What a champion sees of each flag: rule, clause, organisation, record, label, due date and status."""
    return [
        (f.rule, f.clause, f.organisation_id, f.record_type, f.record_id, f.record_label, f.due_date, f.status)
        for f in flags
    ]


def award(compact, council, charity, **fields):
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-001", **fields)


def plan_flag(funding, due, clause=DEFAULT, status=OPEN):
    record = (RecordType.FUNDING_RELATIONSHIP, funding.pk, funding.reference)
    return (DISPROPORTIONATE, clause, funding.funder_id, *record, due, status)


def return_flag(item, status, clause=DEFAULT):
    relationship = item.plan.relationship
    record = (RecordType.MONITORING_RETURN, item.pk, relationship.reference)
    return (OVERDUE, clause, relationship.recipient_id, *record, item.due_date, status)


def notice_flag(notice, clause=DEFAULT):
    relationship = notice.relationship
    record = (RecordType.NOTICE, notice.pk, relationship.reference)
    return (NO_TIMETABLE, clause, relationship.funder_id, *record, notice.notice_date, OPEN)


# --- 12.3 monitoring in proportion to the funding -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "returns_per_year", "flagged"),
    [
        pytest.param("9999.99", 1, False, id="small-once-a-year"),
        pytest.param("9999.99", 2, True, id="small-twice-a-year"),
        pytest.param("10000", 2, False, id="medium-twice-a-year"),
        pytest.param("10000", 4, True, id="medium-quarterly"),
        pytest.param("99999.99", 4, True, id="a-penny-under-large-quarterly"),
        pytest.param("100000", 4, False, id="large-quarterly"),
        pytest.param("100000", 12, True, id="large-monthly"),
    ],
)
def test_a_plan_asking_more_often_than_its_band_is_flagged_against_the_funder(
    compact, council, charity, amount, returns_per_year, flagged
):
    funding = award(compact, council, charity, amount=Decimal(amount))
    MonitoringPlanFactory(relationship=funding, returns_per_year=returns_per_year, agreed_on=AGREED, today=AGREED)

    flags = scan(compact, AGREED, DISPROPORTIONATE)

    assert seen(flags) == ([plan_flag(funding, AGREED)] if flagged else [])


def test_a_plan_above_its_band_with_its_reason_recorded_is_not_flagged(compact, council, charity):
    funding = award(compact, council, charity, amount=Decimal("5000"))
    MonitoringPlanFactory(
        relationship=funding,
        returns_per_year=4,
        disproportion_reason="A new service: the board asked for quarterly figures in its first year.",
        agreed_on=AGREED,
        today=AGREED,
    )

    assert scan(compact, AGREED, DISPROPORTIONATE) == []


def test_a_plan_not_yet_agreed_is_due_the_day_it_was_set_up_and_not_seen_by_a_scan_before_it(compact, council, charity):
    today = timezone.localdate()
    funding = award(compact, council, charity, amount=Decimal("5000"))
    MonitoringPlanFactory(relationship=funding, returns_per_year=2, today=today)

    before = scan(compact, date(2020, 1, 1), DISPROPORTIONATE)
    on_the_day = scan(compact, today, DISPROPORTIONATE)

    assert before == []
    assert seen(on_the_day) == [plan_flag(funding, today)]


def test_a_plan_agreed_after_the_day_of_the_scan_is_not_seen_yet(compact, council, charity):
    funding = award(compact, council, charity, amount=Decimal("5000"))
    MonitoringPlanFactory(relationship=funding, returns_per_year=2, agreed_on=AGREED, today=AGREED)

    assert scan(compact, date(2027, 2, 28), DISPROPORTIONATE) == []
    assert seen(scan(compact, AGREED, DISPROPORTIONATE)) == [plan_flag(funding, AGREED)]


def test_the_reason_recorded_later_resolves_the_flag_and_a_waived_flag_stays_waived(
    compact, council, charity, championed, champion
):
    explained = award(compact, council, charity, amount=Decimal("5000"))
    waived = AwardedFundingFactory(
        compact=compact, funder=council, recipient=charity, reference="GR-2027-002", amount=Decimal("5000")
    )
    for funding in (explained, waived):
        MonitoringPlanFactory(relationship=funding, returns_per_year=2, agreed_on=AGREED, today=AGREED)
    first = scan(compact, AGREED, DISPROPORTIONATE)
    assert [flag.status for flag in first] == [OPEN, OPEN]
    flag_waive(
        flag=next(flag for flag in first if flag.record_id == waived.pk),
        actor=champion,
        reason="Agreed at the compact group: twice-yearly figures for the pilot.",
    )

    plan = explained.monitoring_plan
    monitoring.monitoring_plan_set(
        relationship=explained,
        actor=None,
        today=date(2027, 3, 2),
        questions=plan.questions,
        purpose=plan.purpose,
        returns_per_year=2,
        service_user_views=False,
        agreed_on=AGREED,
        disproportion_reason="Figures for the council's half-year review, agreed with the organisation.",
    )
    after = scan(compact, date(2027, 3, 2), DISPROPORTIONATE)

    assert {flag.record_id: flag.status for flag in after} == {explained.pk: RESOLVED, waived.pk: WAIVED}


def test_a_plan_brought_within_its_band_by_a_larger_award_resolves_the_flag(compact, council, charity):
    funding = award(compact, council, charity, amount=Decimal("9999.99"))
    MonitoringPlanFactory(relationship=funding, returns_per_year=2, agreed_on=AGREED, today=AGREED)
    [flag] = scan(compact, AGREED, DISPROPORTIONATE)

    services.relationship_update(relationship=funding, actor=None, amount=Decimal("10000"))
    [after] = scan(compact, date(2027, 3, 2), DISPROPORTIONATE)

    assert (flag.status, after.pk, after.status) == (OPEN, flag.pk, RESOLVED)


def test_the_flag_cites_the_compacts_own_clause_for_proportionate_monitoring(council, charity):
    compact = CompactFactory(status="adopted", adopted_date=date(2026, 4, 1))
    commitment = CommitmentFactory(compact=compact, code="12.3", rule_key="monitoring_proportionate")
    funding = award(compact, council, charity, amount=Decimal("5000"))
    MonitoringPlanFactory(relationship=funding, returns_per_year=4, agreed_on=AGREED, today=AGREED)

    [flag] = scan(compact, AGREED, DISPROPORTIONATE)

    assert seen([flag]) == [plan_flag(funding, AGREED, clause="12.3")]
    assert flag.commitment == commitment


# --- 17.3 returns made by their due dates ------------------------------------------------------------------------


@pytest.fixture
def first_return(compact, council, charity):
    """The first return of a twice-yearly plan: 1 April to 30 September 2027, due Monday 1 November."""
    plan = MonitoringPlanFactory(relationship=award(compact, council, charity), returns_per_year=2, today=AGREED)
    item = plan.returns.order_by("due_date").first()
    assert (item.period_start, item.period_end, item.due_date) == (date(2027, 4, 1), date(2027, 9, 30), FIRST_DUE)
    return item


@pytest.mark.parametrize(
    ("today", "status"),
    [
        pytest.param(date(2027, 10, 15), None, id="friday-eleven-working-days-before"),
        pytest.param(date(2027, 10, 17), None, id="sunday-before-the-reminder"),
        pytest.param(date(2027, 10, 18), AT_RISK, id="ten-working-days-before-the-reminder"),
        pytest.param(date(2027, 10, 30), AT_RISK, id="saturday-the-month-after-the-period"),
        pytest.param(FIRST_DUE, AT_RISK, id="due-today"),
        pytest.param(date(2027, 11, 2), OPEN, id="a-day-after-the-due-date"),
    ],
)
def test_a_return_not_yet_made_is_at_risk_from_ten_working_days_before_its_due_date_then_open(
    first_return, today, status
):
    flags = scan(first_return.plan.relationship.compact, today, OVERDUE)

    assert seen(flags) == ([return_flag(first_return, status)] if status else [])


def test_a_return_goes_at_risk_then_open_and_is_resolved_once_sent_even_late(first_return, vcs_member):
    compact = first_return.plan.relationship.compact
    reminder = scan(compact, date(2027, 10, 18), OVERDUE)
    overdue = scan(compact, date(2027, 11, 2), OVERDUE)

    monitoring.return_submit(
        monitoring_return=first_return,
        actor=vcs_member,
        today=date(2027, 11, 3),
        answers=["Ninety-two families a week.", "Fewer of them skip meals at the end of the month."],
    )
    sent = scan(compact, date(2027, 11, 3), OVERDUE)

    assert seen(reminder) == [return_flag(first_return, AT_RISK)]
    assert seen(overdue) == [return_flag(first_return, OPEN)]
    assert seen(sent) == [return_flag(first_return, RESOLVED)]
    assert reminder[0].pk == overdue[0].pk == sent[0].pk
    assert reminder[0].organisation == first_return.plan.relationship.recipient  # the organisation, not the funder


def test_a_return_sent_on_time_raises_no_flag_and_a_later_sending_is_not_seen_early(first_return, vcs_member):
    compact = first_return.plan.relationship.compact
    monitoring.return_submit(
        monitoring_return=first_return,
        actor=vcs_member,
        today=date(2027, 11, 5),
        answers=["Ninety-two families a week.", "Fewer of them skip meals."],
    )

    assert seen(scan(compact, date(2027, 11, 3), OVERDUE)) == [return_flag(first_return, OPEN)]
    assert seen(scan(compact, date(2027, 11, 5), OVERDUE)) == [return_flag(first_return, RESOLVED)]


def test_a_return_sent_by_its_due_date_is_never_flagged(first_return, vcs_member):
    monitoring.return_submit(
        monitoring_return=first_return,
        actor=vcs_member,
        today=date(2027, 10, 20),
        answers=["Ninety-two families a week.", "Fewer of them skip meals."],
    )

    assert scan(first_return.plan.relationship.compact, date(2027, 11, 2), OVERDUE) == []


def test_a_waived_return_flag_stays_waived(first_return, championed, champion):
    compact = first_return.plan.relationship.compact
    [flag] = scan(compact, date(2027, 11, 2), OVERDUE)
    flag_waive(flag=flag, actor=champion, reason="The funder agreed to take the figures at the annual meeting.")

    [after] = scan(compact, date(2027, 11, 3), OVERDUE)

    assert (after.pk, after.status) == (flag.pk, WAIVED)


@pytest.mark.parametrize(
    ("nation", "due", "status"),
    [
        pytest.param(ENGLAND, date(2027, 3, 30), AT_RISK, id="england-easter-monday-moves-it-to-tuesday"),
        pytest.param(SCOTLAND, date(2027, 3, 29), OPEN, id="scotland-works-easter-monday"),
    ],
)
def test_a_returns_due_date_and_reminder_follow_the_compacts_nation(council, charity, nation, due, status):
    """Funding from 1 September 2026 to 28 February 2027, one return: due a month after, Sunday 28 March 2027."""
    compact = CompactFactory(nation=nation)
    funding = award(
        compact,
        council,
        charity,
        expected_start=date(2026, 9, 1),
        start_date=date(2026, 9, 1),
        end_date=date(2027, 2, 28),
    )
    plan = MonitoringPlanFactory(relationship=funding, returns_per_year=1, today=date(2026, 9, 1))
    [item] = plan.returns.all()
    assert item.due_date == due

    flags = scan(compact, date(2027, 3, 30), OVERDUE)

    assert seen(flags) == [return_flag(item, status)]


def test_the_flag_cites_the_compacts_own_clause_for_returns(council, charity, first_return):
    compact = first_return.plan.relationship.compact
    commitment = CommitmentFactory(compact=compact, code="17.3", rule_key="monitoring_returns", side="vcs")

    [flag] = scan(compact, date(2027, 11, 2), OVERDUE)

    assert seen([flag]) == [return_flag(first_return, OPEN, clause="17.3")]
    assert flag.commitment == commitment


# --- 12.7 an improvement timetable before notice for performance --------------------------------------------------

NOTICE_GIVEN = date(2027, 9, 1)


@pytest.mark.parametrize(
    ("agreed", "flagged"),
    [
        pytest.param(date(2027, 8, 31), False, id="agreed-the-day-before-the-notice"),
        pytest.param(NOTICE_GIVEN, False, id="agreed-the-day-of-the-notice"),
        pytest.param(date(2027, 9, 2), True, id="agreed-the-day-after-the-notice"),
        pytest.param(None, True, id="never-agreed"),
    ],
)
def test_notice_for_performance_without_an_earlier_timetable_is_flagged_against_the_funder(funding, agreed, flagged):
    if agreed:
        ImprovementTimetableFactory(relationship=funding, agreed_on=agreed, review_on=date(2027, 10, 1))
    notice = NoticeFactory(
        relationship=funding, notice_date=NOTICE_GIVEN, effective_date=date(2027, 12, 1), for_performance=True
    )

    flags = scan(funding.compact, date(2027, 9, 30), NO_TIMETABLE)

    assert seen(flags) == ([notice_flag(notice)] if flagged else [])


@pytest.mark.parametrize(
    ("kind", "for_performance", "flagged"),
    [
        pytest.param("end", True, True, id="ended-for-performance"),
        pytest.param("reduce", True, True, id="reduced-for-performance"),
        pytest.param("change", True, False, id="a-change-is-no-ending"),
        pytest.param("end", False, False, id="ended-for-another-reason"),
    ],
)
def test_only_ending_or_reducing_for_performance_needs_a_timetable(funding, kind, for_performance, flagged):
    notice = NoticeFactory(
        relationship=funding,
        kind=kind,
        notice_date=NOTICE_GIVEN,
        effective_date=date(2027, 12, 1),
        for_performance=for_performance,
    )

    flags = scan(funding.compact, NOTICE_GIVEN, NO_TIMETABLE)

    assert seen(flags) == ([notice_flag(notice)] if flagged else [])


def test_a_timetable_for_other_funding_does_not_count_and_a_notice_not_yet_given_is_not_seen(funding):
    other = AwardedFundingFactory(
        compact=funding.compact, funder=funding.funder, recipient=funding.recipient, reference="GR-2027-009"
    )
    ImprovementTimetableFactory(relationship=other, agreed_on=date(2027, 8, 1))
    notice = NoticeFactory(
        relationship=funding, notice_date=NOTICE_GIVEN, effective_date=date(2027, 12, 1), for_performance=True
    )

    assert scan(funding.compact, date(2027, 8, 31), NO_TIMETABLE) == []
    assert seen(scan(funding.compact, NOTICE_GIVEN, NO_TIMETABLE)) == [notice_flag(notice)]


def test_a_timetable_agreed_before_the_notice_and_recorded_later_resolves_the_flag(funding):
    notice = NoticeFactory(
        relationship=funding, notice_date=NOTICE_GIVEN, effective_date=date(2027, 12, 1), for_performance=True
    )
    [flag] = scan(funding.compact, NOTICE_GIVEN, NO_TIMETABLE)

    monitoring.improvement_timetable_agree(
        relationship=funding,
        actor=None,
        today=date(2027, 9, 3),
        problems="Sessions cancelled for lack of volunteers.",
        agreed_on=date(2027, 7, 1),
        review_on=date(2027, 8, 2),
        actions=[("Recruit four more volunteers", date(2027, 8, 1))],
    )
    [after] = scan(funding.compact, date(2027, 9, 3), NO_TIMETABLE)

    assert (flag.status, after.pk, after.status) == (OPEN, flag.pk, RESOLVED)
    assert after.record_id == notice.pk


def test_the_flag_cites_the_compacts_own_clause_for_the_timetable(council, charity):
    compact = CompactFactory(status="adopted", adopted_date=date(2026, 4, 1))
    commitment = CommitmentFactory(compact=compact, code="12.7", rule_key="improvement_timetable")
    notice = NoticeFactory(
        relationship=award(compact, council, charity),
        notice_date=NOTICE_GIVEN,
        effective_date=date(2027, 12, 1),
        for_performance=True,
    )

    [flag] = scan(compact, NOTICE_GIVEN, NO_TIMETABLE)

    assert seen([flag]) == [notice_flag(notice, clause="12.7")]
    assert flag.commitment == commitment
