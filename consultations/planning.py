"""The deadline planner's steps that the consultation rules set (``commitments/planner.py`` explains the registry):
a formal consultation of the compact's minimum length (3.7) that closes the day before notice is given, so the
decision can take its responses into account, and its feedback due date (3.5, 4.2). Each day is worked back with
``consultations/rules.py``; found when Django starts. They follow the notice step (``notice_by``) whichever app
registers it."""

from commitments import planner
from commitments.models import MeasurableRule
from compact_portal.formatting import long_date

from . import rules

CHANGES = ("end", "reduce", "change")


planner.register_step(
    "consultation_closes_by",
    label="Close the formal consultation",
    rule=MeasurableRule.CONSULTATION_LENGTH,
    kinds=CHANGES,
    needs=("notice_by",),
    latest_by=lambda planning: rules.latest_close_before(planning.planned["notice_by"]),
    explanation=lambda planning, day: (
        f"The consultation closes the day before notice is given ({long_date(planning.planned['notice_by'])} at "
        "the latest), so the decision can take its responses into account."
    ),
)


planner.register_step(
    "consultation_opens_by",
    label="Open the formal consultation",
    rule=MeasurableRule.CONSULTATION_LENGTH,
    kinds=CHANGES,
    needs=("consultation_closes_by",),
    latest_by=lambda planning: rules.latest_opening_day(
        planning.planned["consultation_closes_by"], weeks=planning.compact.consultation_min_weeks
    ),
    explanation=lambda planning, day: (
        f"A formal consultation lasts at least {planning.compact.consultation_min_weeks} weeks, the opening and "
        f"closing days both counted: opening on {long_date(day)} and closing on "
        f"{long_date(planning.planned['consultation_closes_by'])} is "
        f"{rules.minimum_length_days(min_weeks=planning.compact.consultation_min_weeks)} days; a day later is short."
    ),
)


planner.register_step(
    "feedback_by",
    label="Publish feedback on how the responses influenced the decision",
    rule=MeasurableRule.CONSULTATION_FEEDBACK,
    kinds=CHANGES,
    needs=("consultation_closes_by",),
    latest_by=lambda planning: rules.feedback_due_by(
        closes=planning.planned["consultation_closes_by"], weeks=planning.compact.feedback_due_weeks
    ),
    explanation=lambda planning, day: (
        f"Respondents are told how their responses influenced the decision within "
        f"{planning.compact.feedback_due_weeks} weeks of the close."
    ),
)
