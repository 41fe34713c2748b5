"""The deadline planner's steps that funding's rules set (``commitments/planner.py`` explains the registry): written
notice (13.3, Leicestershire principle 11), the impact assessment before it (13.1), the organisations' window to
respond before the final decision (13.4), and for new funding the day to tell applicants by (9.2) and the end of
the minimum term (9.1). Each day is worked back with ``funding/rules.py``; found when Django starts. Steps on the
same day are listed in the order registered here, so the impact assessment comes before the notice it informs."""

from commitments import planner
from commitments.models import MeasurableRule
from compact_portal.formatting import long_date

from . import rules

CHANGES = ("end", "reduce", "change")
NEW = ("new",)


def _months(count: int) -> str:
    return f"{count} month{'s' if count != 1 else ''}"


def _notice_by(planning: planner.Planning):
    return rules.latest_notice_date(planning.effective, months=planning.compact.notice_months)


def _notice_owed(planning: planner.Planning) -> bool:
    return rules.notice_owed(
        end_date_defined_at_start=planning.fixed_end, fixed_end_excepted=planning.compact.notice_excepts_fixed_end
    )


def _notice_explained(planning: planner.Planning, day) -> str:
    months = _months(planning.compact.notice_months)
    return (
        f"Notice given on {long_date(day)} plus the compact's {months} (month ends clamped) takes the change to "
        f"{long_date(rules.earliest_effective_date(day, months=planning.compact.notice_months))}, on or before "
        f"{long_date(planning.effective)}; a day later would be too short. Give the rationale in writing with it."
    )


def _impact_explained(planning: planner.Planning, day) -> str:
    text = "The impact on beneficiaries, service users and volunteers is assessed on or before the day notice is given"
    if not _notice_owed(planning):
        return (
            f"{text}; no notice is owed (the end was fixed from the start and the compact excepts such funding), so "
            f"it is counted from the day notice would otherwise be due, {long_date(day)}."
        )
    return f"{text}, {long_date(day)} at the latest."


planner.register_step(
    "impact_assessment_by",
    label="Assess the impact on beneficiaries, service users and volunteers",
    rule=MeasurableRule.IMPACT_ASSESSMENT,
    kinds=CHANGES,
    needs=("notice_by",),
    latest_by=lambda planning: planning.planned["notice_by"],
    explanation=_impact_explained,
)


planner.register_step(
    "notice_by",
    label="Give written notice, with the rationale",
    rule=MeasurableRule.NOTICE_PERIOD,
    kinds=CHANGES,
    latest_by=_notice_by,
    owed=_notice_owed,
    explanation=_notice_explained,
)


planner.register_step(
    "final_decision_by",
    label="Take the final decision, having considered the organisations' responses",
    rule=MeasurableRule.RESPONSE_BEFORE_DECISION,
    kinds=CHANGES,
    latest_by=lambda planning: rules.latest_final_decision(planning.effective),
    explanation=lambda planning, day: (
        f"The final decision comes before the change takes effect on {long_date(planning.effective)}, and after "
        "the organisations' window to respond has closed."
    ),
)


planner.register_step(
    "response_window_closes_by",
    label="Close the organisations' window to respond to the notice",
    rule=MeasurableRule.RESPONSE_BEFORE_DECISION,
    kinds=CHANGES,
    needs=("final_decision_by",),
    latest_by=lambda planning: rules.latest_response_close(planning.planned["final_decision_by"]),
    explanation=lambda planning, day: (
        f"The organisations affected may respond until then: the window closes before the final decision "
        f"({long_date(planning.planned['final_decision_by'])} at the latest), so their responses can be considered."
    ),
)


planner.register_step(
    "tell_applicants_by",
    label="Tell applicants the funding decision",
    rule=MeasurableRule.DECISION_LEAD_TIME,
    kinds=NEW,
    latest_by=lambda planning: rules.decision_due_by(planning.effective, months=planning.compact.decision_lead_months),
    explanation=lambda planning, day: (
        f"Applicants are told at least {_months(planning.compact.decision_lead_months)} before the funding starts "
        f"on {long_date(planning.effective)} (month ends clamped); told later, the decision needs a justification."
    ),
)


def _years(count: int) -> str:
    return f"{count} year{'s' if count != 1 else ''}"


planner.register_step(
    "minimum_term_ends",
    label="The funding runs at least until",
    rule=MeasurableRule.FUNDING_TERM,
    kinds=NEW,
    to_do=False,
    latest_by=lambda planning: rules.minimum_term_end(planning.effective, years=planning.compact.min_funding_years),
    explanation=lambda planning, day: (
        f"The compact's minimum term is {_years(planning.compact.min_funding_years)}, the first and last days both "
        f"counted: from {long_date(planning.effective)} the funding ends on {long_date(day)} or later, or the "
        "shorter term is explained."
    ),
)
