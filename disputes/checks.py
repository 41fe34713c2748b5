"""Disputes' compliance rule: a case step that overruns the compact's limit (docs/domain.md, disputes).

One set-based query over the stored ``step`` and ``step_due_by`` (indexed with the stage). The body
concerned answers for the informal and formal stages; acknowledging a concern and deciding an appeal
fall to the compact's champions and panel, so those flags name no organisation. Flags carry the case
reference only, never the raiser, so a withheld identity stays withheld.
"""

import datetime
from collections.abc import Iterable

from django.db.models import BigIntegerField, Case, F, Q, QuerySet, Value, When
from django.urls import reverse

from commitments.models import MeasurableRule, RecordType, RuleKey
from commitments.rulebook import Rule, breach_rows, register, register_links, within_days_by_nation

from . import rules
from .models import OPEN_STAGES, Concern, Step
from .selectors import concerns_visible_to

BODY_STEPS = (Step.INFORMAL, Step.FORMAL_RESPONSE)


def steps_overdue(today: datetime.date) -> QuerySet:
    """Open cases past their step's last day (open) or within three working days of it (at risk)."""
    cases = (
        Concern.objects.filter(stage__in=OPEN_STAGES, received_on__lte=today)
        .filter(within_days_by_nation("step_due_by", rules.step_at_risk_until, today))
        .exclude(step=Step.NONE)
    )
    responsible = Case(
        When(step__in=BODY_STEPS, then=F("respondent_id")), default=Value(None), output_field=BigIntegerField()
    )
    return breach_rows(
        cases,
        compact="compact_id",
        organisation=responsible,
        due="step_due_by",
        label="reference",
        open_when=Q(step_due_by__lt=today),
    )


def case_links(items: Iterable[tuple[int, str]]) -> dict[int, str]:
    return {pk: reverse("disputes:case_detail", args=[reference]) for pk, reference in items}


def cases_opening_for(user, pks: Iterable[int]) -> set[int]:
    """Of the cases ``pks``, those whose page opens for ``user``: the case page finds its case among
    ``concerns_visible_to`` (selectors.case_detail), and so does this. Administrators see every flag, but a
    case only as a party, champion or panel member does."""
    return set(concerns_visible_to(user=user).filter(pk__in=list(pks)).values_list("pk", flat=True))


register_links(RecordType.CONCERN, case_links, opens_for=cases_opening_for)
register(
    Rule(
        key=RuleKey.DISPUTE_STEP_OVERDUE,
        clause="Leicestershire 10",
        commitment_rule=MeasurableRule.DISPUTES_PROCESS,
        record_type=RecordType.CONCERN,
        breaches=steps_overdue,
        explanation="Each step of the disputes process (Leicestershire §10) is taken within the compact's "
        "limit in working days.",
    )
)
