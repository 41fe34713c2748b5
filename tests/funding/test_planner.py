"""The deadline planner: the inverse rules at their edges, and every planned day fed forward through the existing
rules, which it just meets and which a day later (for the minimum term, a day earlier) breaks."""

import datetime

import pytest

from commitments import planner
from commitments.models import MeasurableRule
from consultations import rules as consultation_rules
from funding import rules
from tests.commitments.factories import CommitmentFactory, CompactFactory

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)


# --- The inverse rules at their edges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effective", "months", "latest"),
    [
        (D(2028, 3, 31), 3, D(2027, 12, 31)),  # the issue's example
        (D(2028, 2, 29), 3, D(2027, 11, 30)),  # leap year: 30 November + 3 months clamps to 29 February
        (D(2027, 2, 28), 3, D(2026, 11, 30)),  # not a leap year: 30 November + 3 clamps to 28 February
        (D(2028, 5, 31), 3, D(2028, 2, 29)),  # back into a leap February
        (D(2027, 5, 31), 3, D(2027, 2, 28)),
        (D(2027, 4, 30), 1, D(2027, 3, 31)),  # 31 March + 1 month clamps to 30 April
        (D(2027, 4, 1), 3, D(2027, 1, 1)),
        (D(2027, 3, 1), 1, D(2027, 2, 1)),
        (D(2028, 8, 31), 6, D(2028, 2, 29)),
        (D(2029, 3, 31), 24, D(2027, 3, 31)),
    ],
)
def test_latest_notice_date_is_earliest_effective_date_turned_round(effective, months, latest):
    assert rules.latest_notice_date(effective, months=months) == latest
    assert rules.earliest_effective_date(latest, months=months) <= effective
    assert rules.notice_period_met(notice_given=latest, effective=effective, months=months)
    assert not rules.notice_period_met(notice_given=latest + ONE_DAY, effective=effective, months=months)


def test_latest_notice_date_agrees_with_the_forward_rule_every_day_of_a_leap_year():
    day = D(2027, 12, 1)
    while day <= D(2029, 3, 31):
        for months in (1, 3, 6):
            latest = rules.latest_notice_date(day, months=months)
            assert rules.notice_period_met(notice_given=latest, effective=day, months=months)
            assert not rules.notice_period_met(notice_given=latest + ONE_DAY, effective=day, months=months)
        day += ONE_DAY


@pytest.mark.parametrize(
    ("closes", "weeks", "opens"),
    [
        (D(2027, 11, 30), 12, D(2027, 9, 8)),
        (D(2026, 3, 29), 12, D(2026, 1, 5)),  # the consultation rules' own example, 84 days
        (D(2028, 3, 1), 1, D(2028, 2, 24)),  # across 29 February
        (D(2027, 3, 1), 1, D(2027, 2, 23)),
        (D(2028, 12, 31), 52, D(2028, 1, 3)),
    ],
)
def test_latest_opening_day_counts_both_days(closes, weeks, opens):
    assert consultation_rules.latest_opening_day(closes, weeks=weeks) == opens
    assert consultation_rules.earliest_close_date(opens=opens, min_weeks=weeks) == closes
    assert consultation_rules.meets_minimum_length(opens=opens, closes=closes, min_weeks=weeks)
    assert not consultation_rules.meets_minimum_length(opens=opens + ONE_DAY, closes=closes, min_weeks=weeks)


def test_the_response_window_closes_the_day_before_the_final_decision_the_day_before_the_change():
    final = rules.latest_final_decision(D(2028, 3, 1))
    assert final == D(2028, 2, 29)
    closes = rules.latest_response_close(final)
    assert closes == D(2028, 2, 28)
    assert rules.response_window_before_decision(response_due_by=closes, final_decision=final)
    assert not rules.response_window_before_decision(response_due_by=closes + ONE_DAY, final_decision=final)


@pytest.mark.parametrize(
    ("ending", "strategic", "grant", "serves", "needed"),
    [
        (True, True, True, True, True),
        (False, True, True, True, False),
        (True, False, True, True, False),
        (True, True, False, True, False),
        (True, True, True, False, False),
    ],
)
def test_the_equality_duty_needs_all_four(ending, strategic, grant, serves, needed):
    assert (
        rules.reallocation_needed(
            ending=ending, strategic=strategic, grant=grant, serves_protected_characteristic=serves
        )
        is needed
    )


# --- The planner fed forward ----------------------------------------------------------------------------------------


def _meets(key: str, day: datetime.date, planned: dict, compact, effective: datetime.date) -> bool:
    """Whether doing step ``key`` on ``day`` keeps the existing rule it was planned from, the other steps on their
    planned days."""
    if key == "notice_by":
        return rules.notice_period_met(notice_given=day, effective=effective, months=compact.notice_months)
    if key == "impact_assessment_by":
        return rules.impact_assessed_before_notice(assessed=day, notice_given=planned["notice_by"])
    if key == "consultation_closes_by":
        return day < planned["notice_by"]
    if key == "consultation_opens_by":
        return consultation_rules.meets_minimum_length(
            opens=day, closes=planned["consultation_closes_by"], min_weeks=compact.consultation_min_weeks
        )
    if key == "feedback_by":
        due = consultation_rules.feedback_due_by(
            closes=planned["consultation_closes_by"], weeks=compact.feedback_due_weeks
        )
        standing = consultation_rules.feedback_standing(
            closes=planned["consultation_closes_by"], due_by=due, published=day, today=day
        )
        return standing == consultation_rules.PUBLISHED_ON_TIME
    if key == "response_window_closes_by":
        return rules.response_window_before_decision(response_due_by=day, final_decision=planned["final_decision_by"])
    if key == "final_decision_by":
        return day < effective
    if key == "tell_applicants_by":
        return rules.decision_told_in_time(told=day, expected_start=effective, months=compact.decision_lead_months)
    raise AssertionError(f"no forward rule for {key}")


EFFECTIVE_DAYS = [D(2028, 3, 31), D(2028, 2, 29), D(2027, 2, 28), D(2028, 5, 31), D(2027, 4, 1), D(2029, 1, 1)]
SETTINGS = [
    {},  # the shipped compacts' values
    {"notice_months": 1, "consultation_min_weeks": 6, "feedback_due_weeks": 4, "decision_lead_months": 1},
    {"notice_months": 6, "consultation_min_weeks": 13, "min_funding_years": 5, "decision_lead_months": 4},
]
CHANGE_KEYS = {
    "notice_by",
    "impact_assessment_by",
    "consultation_opens_by",
    "consultation_closes_by",
    "feedback_by",
    "response_window_closes_by",
    "final_decision_by",
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["end", "reduce", "change", "new"])
@pytest.mark.parametrize("effective", EFFECTIVE_DAYS)
@pytest.mark.parametrize("settings_index", range(len(SETTINGS)))
def test_each_planned_day_just_meets_the_rule_and_a_day_later_breaks_it(kind, effective, settings_index):
    compact = CompactFactory(name=f"Planned Compact {settings_index}", **SETTINGS[settings_index])
    steps = planner.plan(compact=compact, kind=kind, effective=effective)
    planned = {step.key: step.latest_by for step in steps}
    if kind == "new":
        assert set(planned) == {"tell_applicants_by", "minimum_term_ends"}
        end = planned["minimum_term_ends"]
        years = compact.min_funding_years
        assert rules.funding_term_met(start=effective, end=end, years=years)
        assert not rules.funding_term_met(start=effective, end=end - ONE_DAY, years=years)
    else:
        assert set(planned) == CHANGE_KEYS
    for key, day in planned.items():
        if key == "minimum_term_ends":
            continue
        assert _meets(key, day, planned, compact, effective), key
        assert not _meets(key, day + ONE_DAY, planned, compact, effective), key
    assert [step.latest_by for step in steps] == sorted(step.latest_by for step in steps)


@pytest.mark.django_db
def test_the_issues_example_end_on_31_march_2028(portsmouth):
    steps = {step.key: step for step in planner.plan(compact=portsmouth, kind="end", effective=D(2028, 3, 31))}
    assert steps["notice_by"].latest_by == D(2027, 12, 31)
    assert steps["impact_assessment_by"].latest_by == D(2027, 12, 31)
    assert steps["consultation_closes_by"].latest_by == D(2027, 12, 30)
    assert steps["consultation_opens_by"].latest_by == D(2027, 10, 8)  # 84 days, both counted
    assert steps["feedback_by"].latest_by == D(2028, 3, 23)
    assert steps["final_decision_by"].latest_by == D(2028, 3, 30)
    assert steps["response_window_closes_by"].latest_by == D(2028, 3, 29)
    assert steps["notice_by"].clause == "commitment 13.3"
    assert steps["impact_assessment_by"].clause == "commitment 13.1"
    assert "31 December 2027" in steps["notice_by"].explanation


@pytest.mark.django_db
def test_a_compact_without_the_promise_cites_the_portal_default():
    compact = CompactFactory(name="Quiet Compact")
    CommitmentFactory(compact=compact, code="4.1", rule_key=MeasurableRule.NOTICE_PERIOD)
    steps = {step.key: step for step in planner.plan(compact=compact, kind="end", effective=D(2028, 3, 31))}
    assert steps["notice_by"].clause == "commitment 4.1"
    assert steps["impact_assessment_by"].clause.startswith("the portal's default")


@pytest.mark.django_db
def test_a_fixed_end_owes_no_notice_where_the_compact_excepts_it(compacts):
    effective = D(2028, 3, 31)
    leicestershire = {
        step.key: step.latest_by
        for step in planner.plan(compact=compacts["leicestershire"], kind="end", effective=effective, fixed_end=True)
    }
    assert "notice_by" not in leicestershire
    # The other steps keep the days counted from when notice would be due.
    assert leicestershire["impact_assessment_by"] == D(2027, 12, 31)
    assert leicestershire["consultation_closes_by"] == D(2027, 12, 30)
    portsmouth = {
        step.key
        for step in planner.plan(compact=compacts["portsmouth"], kind="end", effective=effective, fixed_end=True)
    }
    assert "notice_by" in portsmouth  # Portsmouth makes no such exception
    not_fixed = {step.key for step in planner.plan(compact=compacts["leicestershire"], kind="end", effective=effective)}
    assert "notice_by" in not_fixed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("nation", "note"),
    [
        ("england_wales", None),  # 2 January 2029 is a working day in England and Wales
        ("northern_ireland", None),
        ("scotland", "Friday 29 December 2028"),  # 1 and 2 January are Scottish bank holidays
    ],
)
def test_a_latest_day_that_is_no_working_day_in_the_compacts_nation_says_so(nation, note):
    compact = CompactFactory(name=f"Compact of {nation}", nation=nation)
    steps = {step.key: step for step in planner.plan(compact=compact, kind="end", effective=D(2029, 4, 2))}
    notice = steps["notice_by"]
    assert notice.latest_by == D(2029, 1, 2)  # the rule counts calendar days, whatever the nation
    if note is None:
        assert "not a working day" not in notice.explanation
    else:
        assert "not a working day in Scotland" in notice.explanation
        assert note in notice.explanation
        assert planner.last_working_day(D(2029, 1, 2), nation=nation) == D(2028, 12, 29)


@pytest.mark.django_db
def test_a_weekend_latest_day_names_the_friday_before():
    compact = CompactFactory(name="Weekend Compact")
    steps = {step.key: step for step in planner.plan(compact=compact, kind="end", effective=D(2028, 4, 1))}
    assert steps["notice_by"].latest_by == D(2028, 1, 1)  # a Saturday, and New Year's Day
    assert "Friday 31 December 2027" in steps["notice_by"].explanation


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind of change"):
        planner.plan(compact=None, kind="abolish", effective=D(2028, 1, 1))
    with pytest.raises(ValueError, match="unknown kinds"):
        planner.register_step(
            "nonsense",
            label="x",
            rule="notice_period",
            kinds=["abolish"],
            latest_by=lambda p: None,
            explanation=lambda p, d: "",
        )


def test_a_key_registered_by_another_module_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        planner.register_step(
            "notice_by",
            label="x",
            rule="notice_period",
            kinds=["end"],
            latest_by=lambda p: None,
            explanation=lambda p, d: "",
        )


def test_the_minimum_term_is_a_day_to_know_not_a_step_to_take():
    assert not planner.step_to_do("minimum_term_ends")
    assert planner.step_to_do("notice_by")
