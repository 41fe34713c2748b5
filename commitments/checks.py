"""The compact's own rule queries, registered in the rulebook (``commitments/rulebook.py``) like every app's
``checks.py``: a compact whose yearly review has passed, and an action of its action plan not done by its date."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat, Left
from django.urls import reverse

from . import rules
from .models import OPEN_ACTION_STATUSES, Compact, CompactStatus, MeasurableRule, PlanAction, RecordType, RuleKey
from .rulebook import Rule, breach_rows, register, register_links


def review_overdue(today: datetime.date) -> QuerySet:
    """An adopted compact whose next review date has passed (Leicestershire §8)."""
    overdue = Compact.objects.filter(
        status=CompactStatus.ADOPTED, next_review_date__isnull=False, next_review_date__lt=today
    )
    return breach_rows(overdue, compact="pk", organisation=None, due="next_review_date", label="slug")


def compact_links(items: Iterable[tuple[int, str]]) -> dict[int, str]:
    return {pk: reverse("commitments:compact_detail", args=[slug]) for pk, slug in items}


def actions_overdue(today: datetime.date) -> QuerySet:
    """An action of a compact's action plan neither done nor dropped whose due date has passed (open), or that is
    due within ``rules.ACTION_DUE_SOON_DAYS`` days (at risk); against its lead organisation, or none where the
    action has none (the compact's champions answer for it). An action with a timescale and no date is never
    flagged."""
    actions = PlanAction.objects.filter(
        status__in=OPEN_ACTION_STATUSES, due_date__isnull=False, due_date__lte=rules.action_at_risk_until(today)
    )
    return breach_rows(
        actions,
        compact="objective__compact_id",
        organisation="lead_organisation_id",
        due="due_date",
        label=Concat(Value("Action under objective "), "objective__number", Value(": "), Left("what", 50)),
        open_when=Q(due_date__lt=today),
    )


def plan_action_links(items: Iterable[tuple[int, str]]) -> dict[int, str]:
    """The page of each action, under its compact's action plan (one query)."""
    ids = [pk for pk, _label in items]
    slugs = dict(PlanAction.objects.filter(pk__in=ids).values_list("pk", "objective__compact__slug"))
    return {pk: reverse("commitments:plan_action", args=[slugs[pk], pk]) for pk in ids if pk in slugs}


register(
    Rule(
        key=RuleKey.COMPACT_REVIEW_OVERDUE,
        clause="8",
        commitment_rule=MeasurableRule.COMPACT_REVIEW,
        record_type=RecordType.COMPACT,
        breaches=review_overdue,
        explanation="The compact and its action plan are reviewed every year: the next review date has passed.",
    )
)
register(
    Rule(
        key=RuleKey.ACTION_OVERDUE,
        clause="Portsmouth Appendix A; Leicestershire 11",
        commitment_rule=MeasurableRule.ACTION_PLAN,
        record_type=RecordType.PLAN_ACTION,
        breaches=actions_overdue,
        explanation="Each action of the compact's action plan is done by its due date, or dropped with the reason: "
        "an action still open after its due date is late.",
    )
)
register_links(RecordType.COMPACT, compact_links)
register_links(RecordType.PLAN_ACTION, plan_action_links)
