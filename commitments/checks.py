"""The compact's own rule query: a compact whose yearly review has passed, registered in the rulebook
(``commitments/rulebook.py``) like every app's ``checks.py``."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import QuerySet
from django.urls import reverse

from .models import Compact, CompactStatus, MeasurableRule, RecordType, RuleKey
from .rulebook import Rule, breach_rows, register, register_links


def review_overdue(today: datetime.date) -> QuerySet:
    """An adopted compact whose next review date has passed (Leicestershire §8)."""
    overdue = Compact.objects.filter(
        status=CompactStatus.ADOPTED, next_review_date__isnull=False, next_review_date__lt=today
    )
    return breach_rows(overdue, compact="pk", organisation=None, due="next_review_date", label="slug")


def compact_links(items: Iterable[tuple[int, str]]) -> dict[int, str]:
    return {pk: reverse("commitments:compact_detail", args=[slug]) for pk, slug in items}


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
register_links(RecordType.COMPACT, compact_links)
