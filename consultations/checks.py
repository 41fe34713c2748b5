"""Consultations' compliance rules (Portsmouth 3.2, 3.5 and 4.2, 3.7).

Each function returns one set-based query, across every compact, over what the consultation services store
(length and minimum in days, feedback due date), as the rows ``commitments.rulebook.breach_rows`` names.
Only published consultations count: a draft has promised nothing yet.
"""

import datetime
from collections.abc import Iterable

from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, LPad
from django.urls import reverse

from commitments.models import MeasurableRule, RecordType, RuleKey
from commitments.rulebook import Rule, breach_rows, register, register_links

from . import rules
from .models import Consultation, Feedback, PublicationStatus

# The SQL twin of ``rules.consultation_reference``: CONS-00042 (LPAD would cut a longer id short, so only
# ids shorter than the padding are padded).
_ID = Cast("pk", CharField())
REFERENCE = Concat(
    Value(rules.REFERENCE_PREFIX),
    Case(
        When(pk__lt=10**rules.REFERENCE_DIGITS, then=LPad(_ID, rules.REFERENCE_DIGITS, Value("0"))),
        default=_ID,
    ),
    output_field=CharField(),
)


def _published() -> QuerySet[Consultation]:
    return Consultation.objects.filter(status=PublicationStatus.PUBLISHED)


def _rows(consultations: QuerySet[Consultation], due: str, open_when: Q | None = None) -> QuerySet:
    return breach_rows(
        consultations, compact="compact_id", organisation="body_id", due=due, label=REFERENCE, open_when=open_when
    )


def too_short(today: datetime.date) -> QuerySet:
    """3.7: a formal consultation, open by ``today``, shorter than the minimum and with no explanation."""
    short = _published().filter(
        formal=True, open_date__lte=today, length_days__lt=F("minimum_days"), shorter_explanation=""
    )
    return _rows(short, "open_date")


def not_announced(today: datetime.date) -> QuerySet:
    """3.2: open by ``today`` with no announcement strictly before the open date."""
    unannounced = (
        _published()
        .filter(open_date__lte=today)
        .filter(Q(announced_date__isnull=True) | Q(announced_date__gte=F("open_date")))
    )
    return _rows(unannounced, "open_date")


def feedback_overdue(today: datetime.date) -> QuerySet:
    """3.5, 4.2: closed with no feedback published by ``today``: open once past due, at risk within two weeks."""
    published_by_today = Feedback.objects.filter(consultation=OuterRef("pk"), published_on__lte=today)
    waiting = (
        _published()
        .filter(close_date__lt=today, feedback_due__lte=rules.feedback_at_risk_until(today))
        .filter(~Exists(published_by_today))
    )
    return _rows(waiting, "feedback_due", open_when=Q(feedback_due__lt=today))


def consultation_links(items: Iterable[tuple[int, str]]) -> dict[int, str]:
    return {pk: reverse("consultations:detail", args=[pk]) for pk, _label in items}


register_links(RecordType.CONSULTATION, consultation_links)

for key, clause, commitment_rule, breaches, explanation in (
    (RuleKey.CONSULTATION_NOT_ANNOUNCED, "3.2", MeasurableRule.CONSULTATION_ANNOUNCED, not_announced,
     "Forthcoming consultations are announced before they open."),
    (RuleKey.CONSULTATION_FEEDBACK_OVERDUE, "3.5", MeasurableRule.CONSULTATION_FEEDBACK, feedback_overdue,
     "Respondents are told how they influenced the decision, within the compact's number of weeks after close."),
    (RuleKey.CONSULTATION_TOO_SHORT, "3.7", MeasurableRule.CONSULTATION_LENGTH, too_short,
     "A formal consultation runs the compact's minimum number of weeks, or a shorter one is explained."),
):  # fmt: skip
    register(Rule(key, clause, commitment_rule, RecordType.CONSULTATION, breaches, explanation))
