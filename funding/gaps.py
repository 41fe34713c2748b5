"""The explanations a funding record may lack (Portsmouth 9.1, 9.2, 9.3, 12.3, 12.7), in words for officers.

A short term, a late award or a decline is recorded as it happened; the compact asks for an explanation of
it, and the compliance jobs flag the record until one is added. Whether one is missing is decided by
``funding/rules.py`` (the ``*_missing`` verdicts); this module words it: as warnings on the forms, before
saving, naming the compact's own settings and clauses (``commitments.selectors.cite``: "commitment 9.2" in
Portsmouth, the portal's default where a compact states no such rule), and as the gaps listed on a
relationship's page, after.
"""

import datetime

from django.urls import reverse
from django.utils.formats import date_format

from commitments.models import Compact, MeasurableRule
from commitments.selectors import cite
from compact_portal.gaps import Gap, plural

from . import rules
from .models import Decision, DecisionKind, FundingRelationship, FundingStatus, NoticeKind
from .services.monitoring import returns_allowed


def _late_award(*, told: datetime.date, due_by: datetime.date, months: int) -> str:
    return (
        f"The organisation was told on {date_format(told)}, less than {plural(months, 'month')} before the start "
        f"(in time would have been by {date_format(due_by)})."
    )


def _short_term(*, end: datetime.date, minimum_end: datetime.date, years: int) -> str:
    return (
        f"This funding lasts less than {plural(years, 'year')}: it ends on {date_format(end)}, and "
        f"{plural(years, 'year')} from its start would run to {date_format(minimum_end)}."
    )


# --- Before saving: the forms' warnings ------------------------------------------------------------------------


def decline_warning(*, compact: Compact) -> str:
    """The warning on a decline about to be recorded with no feedback, citing ``compact``'s own clause."""
    return (
        f"Without feedback this decision will be flagged as not keeping "
        f"{cite(compact=compact, rule=MeasurableRule.DECLINE_FEEDBACK)}, which asks for constructive feedback to "
        "the organisation on why it was declined."
    )


def decision_warnings(
    *,
    compact: Compact,
    kind: str | None,
    told: datetime.date | None,
    due_by: datetime.date | None,
    months: int,
    justification: str | None,
    feedback: str | None,
) -> dict[str, str]:
    """{field: warning} for a decision about to be recorded: a late award with no justification (9.2), a decline
    with no feedback (9.3). ``due_by`` is the relationship's decision date (``rules.decision_due_by``); the
    warnings cite ``compact``'s own clauses."""
    warnings = {}
    if (
        kind == DecisionKind.AWARDED
        and told
        and due_by
        and rules.award_justification_missing(told=told, due_by=due_by, justification=justification)
    ):
        warnings["justification"] = (
            f"{_late_award(told=told, due_by=due_by, months=months)} Without a justification this decision will be "
            f"flagged as not keeping {cite(compact=compact, rule=MeasurableRule.DECISION_LEAD_TIME)}."
        )
    if kind == DecisionKind.DECLINED and rules.decline_feedback_missing(feedback=feedback):
        warnings["feedback"] = decline_warning(compact=compact)
    return warnings


def awards_made_late_warnings(
    *, relationship: FundingRelationship, compact: Compact | None, expected_start: datetime.date | None
) -> dict[str, str]:
    """{"expected_start": warning} when ``expected_start`` (a changed one) makes an award already recorded late,
    with no justification (9.2): the decision date moves with the start, and the award is judged against it."""
    if relationship.pk is None or compact is None or expected_start is None:
        return {}
    months = compact.decision_lead_months
    due_by = rules.decision_due_by(expected_start, months=months)  # as the services will store it
    late = [
        decision
        for decision in relationship.decisions.filter(kind=DecisionKind.AWARDED)
        if rules.award_justification_missing(
            told=decision.told_date, due_by=due_by, justification=decision.justification
        )
    ]
    if not late:
        return {}
    told = late[0].told_date
    return {
        "expected_start": (
            f"{_late_award(told=told, due_by=due_by, months=months)} With this start the award will be flagged as "
            f"not keeping {cite(compact=compact, rule=MeasurableRule.DECISION_LEAD_TIME)} until a justification is "
            "added on the decision's page."
        )
    }


def term_warnings(
    *, compact: Compact | None, start: datetime.date | None, end: datetime.date | None, explanation: str | None
) -> dict[str, str]:
    """{field: warning} for funding about to be saved with a term shorter than the compact's minimum and no
    explanation (9.1)."""
    if compact is None or start is None or end is None or end < start:
        return {}
    years = compact.min_funding_years
    minimum_end = rules.minimum_term_end(start, years=years)  # as the services store it
    if not rules.term_explanation_missing(end=end, minimum_end=minimum_end, explanation=explanation):
        return {}
    short = _short_term(end=end, minimum_end=minimum_end, years=years)
    return {
        "term_explanation": f"{short} Without an explanation of why the shorter term is the better choice, this "
        f"funding will be flagged as not keeping {cite(compact=compact, rule=MeasurableRule.FUNDING_TERM)} once it "
        "has started."
    }


# --- After saving: the gaps on a relationship's page -----------------------------------------------------------


def relationship_gaps(relationship: FundingRelationship) -> list[Gap]:
    """The explanations the relationship and its decisions still lack, each with where to add it; read from
    the relationship's prefetched decisions."""
    compact = relationship.compact
    end, minimum_end = relationship.end_date, relationship.minimum_end_date  # the stored dates the flag reads
    gaps = []
    if relationship.status != FundingStatus.DECLINED and rules.term_explanation_missing(
        end=end, minimum_end=minimum_end, explanation=relationship.term_explanation
    ):
        short = _short_term(end=end, minimum_end=minimum_end, years=compact.min_funding_years)
        citation = cite(compact=compact, rule=MeasurableRule.FUNDING_TERM)
        gaps.append(
            Gap(
                MeasurableRule.FUNDING_TERM,
                citation,
                f"{short} No explanation of the shorter term is recorded, which {citation} asks for.",
                "Add the explanation",
                reverse("funding:relationship_edit", args=[relationship.pk]) + "#id_term_explanation",
            )
        )
    for decision in relationship.decisions.all():
        gaps.extend(decision_gaps(decision, compact=compact))
    gaps.extend(monitoring_gaps(relationship))
    return gaps


def decision_gaps(decision: Decision, *, compact: Compact) -> list[Gap]:
    """The explanation a recorded decision still lacks (9.2 or 9.3), with where to add it, citing ``compact``'s
    own clause."""
    explain = reverse("funding:decision_explain", args=[decision.pk])
    if decision.kind == DecisionKind.AWARDED and rules.award_justification_missing(
        told=decision.told_date, due_by=decision.due_by, justification=decision.justification
    ):
        late = _late_award(told=decision.told_date, due_by=decision.due_by, months=compact.decision_lead_months)
        citation = cite(compact=compact, rule=MeasurableRule.DECISION_LEAD_TIME)
        message = f"Awarded: {late[0].lower()}{late[1:]} No justification is recorded, which {citation} asks for."
        return [Gap(MeasurableRule.DECISION_LEAD_TIME, citation, message, "Add the justification", explain)]
    if decision.kind == DecisionKind.DECLINED and rules.decline_feedback_missing(feedback=decision.feedback):
        citation = cite(compact=compact, rule=MeasurableRule.DECLINE_FEEDBACK)
        message = (
            f"Declined on {date_format(decision.told_date)}: no feedback to the organisation is recorded, which "
            f"{citation} asks for."
        )
        return [Gap(MeasurableRule.DECLINE_FEEDBACK, citation, message, "Add the feedback", explain)]
    return []


# --- Monitoring (12.3) and notices for performance (12.7) ------------------------------------------------------


def _over_band(*, returns_per_year: int, allowed: int) -> str:
    return (
        f"The plan asks for {plural(returns_per_year, 'return')} a year; for funding of this value the compact's band "
        f"allows at most {plural(allowed, 'return')}."
    )


def monitoring_plan_warnings(
    *, relationship: FundingRelationship, returns_per_year: int | None, reason: str | None
) -> dict[str, str]:
    """{"disproportion_reason": warning} for a plan about to be saved asking for returns more often than the
    compact's band for the funding's value allows, with no reason recorded (12.3)."""
    if not returns_per_year:
        return {}
    allowed = returns_allowed(relationship)
    if not rules.monitoring_reason_missing(returns_per_year=returns_per_year, allowed=allowed, reason=reason):
        return {}
    citation = cite(compact=relationship.compact, rule=MeasurableRule.MONITORING_PROPORTIONATE)
    return {
        "disproportion_reason": f"{_over_band(returns_per_year=returns_per_year, allowed=allowed)} Without the "
        f"reason it is proportionate here, the plan will be flagged as not keeping {citation}."
    }


def monitoring_gaps(relationship: FundingRelationship) -> list[Gap]:
    """The reason a saved plan asking more often than its band still lacks (12.3), with where to add it; read from
    the plan as stored (``returns_allowed_per_year``, the band the flag reads)."""
    plan = getattr(relationship, "monitoring_plan", None)
    if plan is None or not rules.monitoring_reason_missing(
        returns_per_year=plan.returns_per_year, allowed=plan.returns_allowed_per_year, reason=plan.disproportion_reason
    ):
        return []
    citation = cite(compact=relationship.compact, rule=MeasurableRule.MONITORING_PROPORTIONATE)
    over = _over_band(returns_per_year=plan.returns_per_year, allowed=plan.returns_allowed_per_year)
    return [
        Gap(
            MeasurableRule.MONITORING_PROPORTIONATE,
            citation,
            f"{over} No reason it is proportionate here is recorded, which {citation} asks for.",
            "Add the reason",
            reverse("funding:monitoring_plan", args=[relationship.pk]) + "#id_disproportion_reason",
        )
    ]


def improvement_timetable_warning(*, notice) -> str:
    """The warning on a notice ending or reducing funding for performance reasons when no improvement timetable was
    agreed with the organisation on or before the day notice was given (12.7); empty otherwise."""
    if not notice.for_performance or notice.kind not in (NoticeKind.END, NoticeKind.REDUCE):
        return ""
    agreed = (
        notice.relationship.improvement_timetables.filter(agreed_on__lte=notice.notice_date)
        .order_by("-agreed_on")
        .values_list("agreed_on", flat=True)
        .first()
    )
    if rules.improvement_timetable_in_time(agreed=agreed, notice_given=notice.notice_date):
        return ""
    compact = notice.relationship.compact
    return (
        f"No improvement timetable was agreed with the organisation on or before {date_format(notice.notice_date)}. "
        f"The notice is recorded as given, and it will be flagged as not keeping "
        f"{cite(compact=compact, rule=MeasurableRule.IMPROVEMENT_TIMETABLE)}, which asks for the problems to be "
        "discussed and a timetable of improvements agreed before funding ends or is reduced for performance."
    )
