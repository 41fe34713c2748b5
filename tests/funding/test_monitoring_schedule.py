"""Open-ended funding keeps being asked for its monitoring returns (17.3): ``monitoring_schedules_extend`` carries
each schedule on to a year after today, run by the daily scan before it checks (``check_compliance`` and the
nightly task), so a return falling due after the funding's first year is asked for and flagged when late.

The open-ended award starts on 1 April 2027, £100,000 (the shipped bands allow four returns a year), with a
quarterly plan set on 1 March 2027: the first year's four quarters. Eighteen months on (1 October 2028) the
quarter April to June 2028 was due on 31 July 2028 and nobody was asked for it.
"""

import datetime
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commitments import rulebook
from commitments.models import Flag, FlagStatus, RecordType, RuleKey
from commitments.tasks import scan_compliance
from funding import services
from funding.models import MonitoringReturn
from funding.services import monitoring
from tests.accounts.factories import UserFactory
from tests.funding.factories import AwardedFundingFactory, MonitoringPlanFactory, NoticeFactory

pytestmark = pytest.mark.django_db

PLAN_SET = date(2027, 3, 1)
EIGHTEEN_MONTHS_ON = date(2028, 10, 1)
FIRST_YEAR = [date(2027, 4, 1), date(2027, 7, 1), date(2027, 10, 1), date(2028, 1, 1)]
# Every quarter starting before 1 October 2029, a year after eighteen months on.
TO_THE_HORIZON = [
    date(2028, 4, 1),
    date(2028, 7, 1),
    date(2028, 10, 1),
    date(2029, 1, 1),
    date(2029, 4, 1),
    date(2029, 7, 1),
]
LATE_QUARTER = date(2028, 4, 1)  # April to June 2028, due Monday 31 July 2028


def open_ended(compact, council, charity, reference="GR-2027-101", **fields):
    funding = AwardedFundingFactory(
        compact=compact,
        funder=council,
        recipient=charity,
        reference=reference,
        amount=Decimal("100000"),
        end_date=None,
        **fields,
    )
    MonitoringPlanFactory(relationship=funding, returns_per_year=4, today=PLAN_SET)
    return funding


@pytest.fixture
def funding(compact, council, charity):
    return open_ended(compact, council, charity)


def starts(funding):
    return [item.period_start for item in MonitoringReturn.objects.filter(plan__relationship=funding)]


def at(day, monkeypatch):
    """Today is ``day`` for everything that asks the clock (the live re-check, the command, the task)."""
    real = timezone.localdate
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda value=None, timezone=None: day if value is None else real(value)
    )


def test_setting_the_plan_schedules_the_first_year_as_before(funding):
    assert starts(funding) == FIRST_YEAR


def test_eighteen_months_on_the_returns_up_to_a_year_ahead_are_made_with_their_due_dates_and_history(funding):
    made = monitoring.monitoring_schedules_extend(today=EIGHTEEN_MONTHS_ON)

    assert made == 6
    assert starts(funding) == FIRST_YEAR + TO_THE_HORIZON
    late = MonitoringReturn.objects.get(plan__relationship=funding, period_start=LATE_QUARTER)
    assert (late.period_end, late.due_date, late.status) == (date(2028, 6, 30), date(2028, 7, 31), "due")
    last = MonitoringReturn.objects.get(plan__relationship=funding, period_start=date(2029, 7, 1))
    assert (last.period_end, last.due_date) == (date(2029, 9, 30), date(2029, 10, 30))
    assert late.history.count() == 1
    assert late.history.get().history_type == "+"


def test_running_it_again_or_on_an_earlier_day_adds_nothing(funding):
    monitoring.monitoring_schedules_extend(today=EIGHTEEN_MONTHS_ON)
    before = list(MonitoringReturn.objects.values_list("pk", "period_start", "period_end", "due_date"))

    assert monitoring.monitoring_schedules_extend(today=EIGHTEEN_MONTHS_ON) == 0
    assert monitoring.monitoring_schedules_extend(today=date(2028, 5, 1)) == 0
    assert list(MonitoringReturn.objects.values_list("pk", "period_start", "period_end", "due_date")) == before


def test_a_day_later_adds_only_the_quarter_that_came_within_the_year(funding):
    monitoring.monitoring_schedules_extend(today=EIGHTEEN_MONTHS_ON)

    assert monitoring.monitoring_schedules_extend(today=EIGHTEEN_MONTHS_ON + datetime.timedelta(days=1)) == 1
    assert starts(funding)[-1] == date(2029, 10, 1)


def test_the_history_credits_the_actor(funding):
    officer = UserFactory()

    monitoring.monitoring_schedules_extend(today=EIGHTEEN_MONTHS_ON, actor=officer)

    late = MonitoringReturn.objects.get(plan__relationship=funding, period_start=LATE_QUARTER)
    assert late.history.get().history_user == officer


def test_funding_that_ended_or_was_never_running_gets_none(compact, council, charity):
    ended = open_ended(compact, council, charity, reference="GR-2027-102")
    services.decision_record(
        relationship=ended, actor=None, kind="ended", told_date=date(2028, 3, 1), today=date(2028, 3, 1)
    )
    with_an_end = AwardedFundingFactory(
        compact=compact, funder=council, recipient=charity, reference="GR-2027-103", amount=Decimal("100000")
    )
    MonitoringPlanFactory(relationship=with_an_end, returns_per_year=4, today=PLAN_SET)
    before = {funding.pk: starts(funding) for funding in (ended, with_an_end)}

    assert monitoring.monitoring_schedules_extend(today=EIGHTEEN_MONTHS_ON) == 0
    assert {funding.pk: starts(funding) for funding in (ended, with_an_end)} == before
    assert len(before[with_an_end.pk]) == 12  # funding with an end date: its whole term, as before


def test_no_period_starting_on_or_after_a_notice_of_ending_takes_effect(funding):
    NoticeFactory(relationship=funding, notice_date=date(2028, 5, 1), effective_date=date(2028, 9, 30))

    assert monitoring.monitoring_schedules_extend(today=EIGHTEEN_MONTHS_ON) == 2
    assert starts(funding) == FIRST_YEAR + [date(2028, 4, 1), date(2028, 7, 1)]


def test_setting_the_plan_again_later_keeps_the_schedule_and_asks_a_year_ahead(funding):
    monitoring.monitoring_schedules_extend(today=EIGHTEEN_MONTHS_ON)
    kept = {item.period_start: item.pk for item in MonitoringReturn.objects.filter(plan__relationship=funding)}

    monitoring.monitoring_plan_set(
        relationship=funding,
        actor=None,
        today=date(2028, 12, 1),
        questions=funding.monitoring_plan.questions,
        purpose=funding.monitoring_plan.purpose,
        returns_per_year=4,
        service_user_views=False,
    )

    now = {item.period_start: item.pk for item in MonitoringReturn.objects.filter(plan__relationship=funding)}
    assert {start: now[start] for start in kept} == kept  # nothing removed, nothing moved
    assert sorted(set(now) - set(kept)) == [date(2029, 10, 1)]  # starts before 1 December 2029


def test_a_plan_with_no_returns_gets_those_due_after_it_was_set(funding):
    plan = funding.monitoring_plan
    plan.returns.all().delete()
    type(plan).objects.filter(pk=plan.pk).update(created_at=timezone.make_aware(datetime.datetime(2028, 8, 15, 12)))

    assert monitoring.monitoring_schedules_extend(today=EIGHTEEN_MONTHS_ON) == 5
    assert starts(funding) == TO_THE_HORIZON[1:]  # April to June 2028 was due on 31 July, before the plan


def test_the_overdue_return_is_flagged_by_the_daily_scan_which_schedules_it_first(funding, monkeypatch):
    at(EIGHTEEN_MONTHS_ON, monkeypatch)
    out = StringIO()

    call_command("check_compliance", "--as-of", EIGHTEEN_MONTHS_ON.isoformat(), stdout=out)

    assert "Daily step monitoring_schedules_extend: 6 records changed" in out.getvalue().splitlines()
    late = MonitoringReturn.objects.get(plan__relationship=funding, period_start=LATE_QUARTER)
    flag = Flag.objects.get(record_type=RecordType.MONITORING_RETURN, record_id=late.pk)
    assert (flag.rule, flag.status, flag.due_date) == (
        RuleKey.MONITORING_RETURN_OVERDUE,
        FlagStatus.OPEN,
        late.due_date,
    )
    assert not Flag.objects.filter(
        record_type=RecordType.MONITORING_RETURN,
        record_id__in=MonitoringReturn.objects.filter(period_start__gte=date(2028, 10, 1)).values("pk"),
    ).exists()  # not due yet, nor within ten working days


@pytest.mark.parametrize(
    "leave_out", [["--no-daily-steps"], ["--rule", "monitoring_return_overdue"]], ids=["no-daily-steps", "rule"]
)
def test_the_command_leaves_the_daily_steps_out_when_told_or_checking_chosen_rules(funding, monkeypatch, leave_out):
    at(EIGHTEEN_MONTHS_ON, monkeypatch)

    call_command("check_compliance", "--as-of", EIGHTEEN_MONTHS_ON.isoformat(), *leave_out, stdout=StringIO())

    assert starts(funding) == FIRST_YEAR


@pytest.mark.usefixtures("tasks_run_in_process")
def test_the_nightly_task_schedules_before_it_scans_and_the_hourly_one_does_not(funding, monkeypatch):
    at(EIGHTEEN_MONTHS_ON, monkeypatch)

    scan_compliance.delay(as_of_iso=EIGHTEEN_MONTHS_ON.isoformat(), payments_only=True, trigger="payments").get()
    assert starts(funding) == FIRST_YEAR
    scan_compliance.delay(as_of_iso=EIGHTEEN_MONTHS_ON.isoformat()).get()

    late = MonitoringReturn.objects.get(plan__relationship=funding, period_start=LATE_QUARTER)
    assert Flag.objects.get(record_type=RecordType.MONITORING_RETURN, record_id=late.pk).status == FlagStatus.OPEN


def test_the_returns_made_are_checked_again_once_they_commit(
    funding, monkeypatch, django_capture_on_commit_callbacks, tasks_run_in_process
):
    at(EIGHTEEN_MONTHS_ON, monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        monitoring.monitoring_schedules_extend(today=EIGHTEEN_MONTHS_ON)

    late = MonitoringReturn.objects.get(plan__relationship=funding, period_start=LATE_QUARTER)
    flag = Flag.objects.get(record_type=RecordType.MONITORING_RETURN, record_id=late.pk)
    assert (flag.rule, flag.status) == (RuleKey.MONITORING_RETURN_OVERDUE, FlagStatus.OPEN)


def test_a_failing_daily_step_does_not_stop_the_scan(funding, monkeypatch):
    def broken(today):
        raise RuntimeError("broken")

    monkeypatch.setitem(rulebook._DAILY_STEPS, "monitoring_schedules_extend", broken)
    out = StringIO()

    call_command("check_compliance", "--as-of", EIGHTEEN_MONTHS_ON.isoformat(), stdout=out)

    assert "Daily step monitoring_schedules_extend: FAILED (see the log); checking anyway" in out.getvalue()
    assert "Compliance check finished." in out.getvalue()


def queries_to_extend(today):
    with CaptureQueriesContext(connection) as queries:
        monitoring.monitoring_schedules_extend(today=today)
    return len(queries)


def test_its_queries_do_not_grow_with_the_plans_checked_or_extended(compact, council, charity):
    open_ended(compact, council, charity, reference="GR-2027-201")
    one = queries_to_extend(EIGHTEEN_MONTHS_ON)
    checked_one = queries_to_extend(EIGHTEEN_MONTHS_ON)
    for number in range(202, 207):
        open_ended(compact, council, charity, reference=f"GR-2027-{number}")
    six = queries_to_extend(EIGHTEEN_MONTHS_ON)
    checked_six = queries_to_extend(EIGHTEEN_MONTHS_ON)

    assert MonitoringReturn.objects.count() == 6 * (4 + 6)
    assert six == one
    assert checked_six == checked_one == 1  # nothing to add: one query finds that
