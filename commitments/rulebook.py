"""The compliance rulebook: every rule the scan checks, declared by the app that owns its records.

Four things are called "rule" here, each in its own place:

- an app's ``rules.py``: pure date arithmetic (a pay-by date, a consultation's length), no database;
- an app's ``checks.py``: its rule queries, one set-based query a rule, registered here
  (funding, consultations, disputes, and ``commitments/checks.py`` for the compact's own review);
- this module, the rulebook: the registry of those rules and the shape of the rows they return;
- the engine, ``commitments/services/compliance.py``: runs the rules and turns their rows into flags.

Django imports every app's ``checks.py`` when the apps are ready
(``CommitmentsConfig.ready``), so the engine in ``commitments/services/compliance.py`` never imports
another app and each app keeps its queries beside its models.

A rule is a function from a day to a queryset: one set-based query, across every compact, that returns only
the records breaking the rule (status ``open``) or about to (``at_risk``), as the six columns
``breach_rows`` names. Each record already carries what its compact's settings made of it (the deadlines
the services store), so one statement serves all compacts; the engine narrows it to the compacts in use, or
to the records a change touched, and turns the rows into flags with ``INSERT ... SELECT``, so no Python loop
ever runs over the records.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from .models import Compact, FlagStatus, MeasurableRule, Nation, RecordType, RuleKey

# The columns every rule's query returns, in this order, and the flag field each one fills.
FLAG_FIELD_OF_COLUMN = {
    "flag_compact": "compact",
    "flag_record": "record_id",
    "flag_organisation": "organisation",
    "flag_due": "due_date",
    "flag_label": "record_label",
    "flag_status": "status",
}
BREACH_COLUMNS = tuple(FLAG_FIELD_OF_COLUMN)

BreachQuery = Callable[[datetime.date], QuerySet]
RecordLinks = Callable[[Iterable[tuple[int, str]]], dict[int, str]]
# opens_for(user, record ids) -> the ids whose page opens for that person, by the page's own check.
RecordsOpening = Callable[[object, Iterable[int]], set[int]]


@dataclass(frozen=True)
class Rule:
    """One checkable promise.

    ``breaches(today)`` returns the breaching rows of every compact; ``record_type`` is the kind of record its
    flags are about, so a change to such records asks this rule to look at them again.
    ``clause`` is where the rule comes from in the seed documents (Portsmouth's clause, or where noted
    Leicestershire's), for the reader of the code: a flag cites the commitment of its own compact that carries
    ``commitment_rule``, or, where the compact's document holds no such promise, the portal's default
    (``citation``). ``payments`` marks the rules the hourly check repeats.
    """

    key: RuleKey
    clause: str
    commitment_rule: MeasurableRule | None
    record_type: RecordType
    breaches: BreachQuery
    explanation: str
    payments: bool = False

    @property
    def label(self) -> str:
        return self.key.label


_RULES: dict[str, Rule] = {}
_LINKS: dict[str, RecordLinks] = {}
_OPENS_FOR: dict[str, RecordsOpening] = {}


# What the portal applies where a compact's document holds no such promise, in the compact's own settings.
PORTAL_DEFAULTS: dict[str, Callable[[Compact], str]] = {
    MeasurableRule.CONSULTATION_LENGTH: lambda c: f"formal consultations last {c.consultation_min_weeks} weeks",
    MeasurableRule.CONSULTATION_ANNOUNCED: lambda c: "consultations are announced before they open",
    MeasurableRule.CONSULTATION_FEEDBACK: lambda c: f"feedback within {c.feedback_due_weeks} weeks of the close",
    MeasurableRule.NOTICE_PERIOD: lambda c: f"{c.notice_months} months' notice before funding ends or is reduced",
    MeasurableRule.IMPACT_ASSESSMENT: lambda c: "the impact is assessed before notice of an ending",
    MeasurableRule.RESPONSE_BEFORE_DECISION: lambda c: "the organisation may respond before the final decision",
    MeasurableRule.PROMPT_PAYMENT: lambda c: f"invoices paid within {c.payment_working_days} working days",
    MeasurableRule.DECISION_LEAD_TIME: lambda c: f"decisions told {c.decision_lead_months} months before the start",
    MeasurableRule.FUNDING_TERM: lambda c: f"funding for {c.min_funding_years} years, or the shorter term explained",
    MeasurableRule.DECLINE_FEEDBACK: lambda c: "feedback on a declined application",
    MeasurableRule.MONITORING_AGREED: lambda c: "monitoring agreed before the agreement is signed",
    MeasurableRule.MONITORING_PROPORTIONATE: lambda c: (
        f"monitoring returns a year by the funding's value, at most {c.monitoring_small_returns} under "
        f"£{c.monitoring_small_below:,}, {c.monitoring_medium_returns} under £{c.monitoring_medium_below:,} and "
        f"{c.monitoring_large_returns} from there, or the reason for more recorded"
    ),
    MeasurableRule.MONITORING_RETURNS: lambda c: "monitoring returns made by their due dates",
    MeasurableRule.IMPROVEMENT_TIMETABLE: lambda c: (
        "an improvement timetable agreed before funding ends or is reduced for performance"
    ),
    MeasurableRule.REALLOCATION_ASSESSED: lambda c: "reallocation assessed when an equality grant is withdrawn",
    MeasurableRule.COMPACT_REVIEW: lambda c: "the compact reviewed every year",
    MeasurableRule.ACTION_PLAN: lambda c: "the action plan's actions done by their due dates, or dropped with a reason",
    MeasurableRule.DISPUTES_PROCESS: lambda c: (
        f"a concern acknowledged within {c.dispute_acknowledge_days} working days, the informal stage within "
        f"{c.dispute_informal_days}, the formal response within {c.dispute_formal_days} and an appeal decided "
        f"within {c.dispute_appeal_decision_days}"
    ),
    # Shares of the awards, not promises every award must keep: what the portal counts them against.
    MeasurableRule.FULL_COST_RECOVERY: lambda c: "awards meet the full cost, overheads and volunteer costs included",
    MeasurableRule.PAYMENT_IN_ADVANCE: lambda c: "payment in advance where it is needed and good value",
}


# What a table says in a clause column where the compact's document holds no such promise.
PORTAL_DEFAULT = "Portal default"


def citation(flag) -> str:
    """What a flag cites, in words: its compact's clause ("clause 11.2"), or the portal's default where the
    compact's document holds no such promise ("portal default: invoices paid within 10 working days; this
    compact states no such rule"). Reads ``flag.compact``."""
    if flag.clause:
        return f"clause {flag.clause}"
    default = PORTAL_DEFAULTS.get(_RULES[flag.rule].commitment_rule) if flag.rule in _RULES else None
    terms = f": {default(flag.compact)}" if default else ""
    return f"{PORTAL_DEFAULT.lower()}{terms}; this compact states no such rule"


def register(rule: Rule) -> Rule:
    if rule.key in _RULES:
        raise ValueError(f"the compliance rule {rule.key!r} is registered twice")
    _RULES[rule.key] = rule
    return rule


def register_links(record_type: RecordType, links: RecordLinks, *, opens_for: RecordsOpening | None = None) -> None:
    """``links`` maps (record id, label) pairs to page addresses, in a fixed number of queries. ``opens_for``, for
    a type whose page opens for fewer people than see its flags, gives the ids whose page opens for a person,
    by the same check the page makes, in a fixed number of queries."""
    _LINKS[record_type] = links
    if opens_for is not None:
        _OPENS_FOR[record_type] = opens_for


# What the passing of days changes in the records themselves, done before the daily scan checks them: name ->
# step(today) -> how many records it changed. Apps register theirs from their ``checks.py``, as for rules, so the
# scan runs them without importing the app.
DailyStep = Callable[[datetime.date], int]
_DAILY_STEPS: dict[str, DailyStep] = {}


def register_daily_step(name: str, step: DailyStep) -> DailyStep:
    """Have the daily compliance scan (the nightly task and ``manage.py check_compliance``) run ``step(today)``
    before its checks. ``step`` must be safe to run again and alongside itself (for the same ``today``, a second run
    changes nothing), saves in its own transaction, and returns how many records it changed."""
    if name in _DAILY_STEPS:
        raise ValueError(f"the daily step {name!r} is registered twice")
    _DAILY_STEPS[name] = step
    return step


def daily_steps() -> list[tuple[str, DailyStep]]:
    """Every registered daily step, in the order registered."""
    return list(_DAILY_STEPS.items())


def all_rules() -> list[Rule]:
    """Every registered rule, in the order of ``RuleKey``."""
    return [_RULES[key] for key in RuleKey.values if key in _RULES]


def rule(key: str) -> Rule:
    try:
        return _RULES[key]
    except KeyError:
        raise ValueError(f"unknown compliance rule {key!r}; expected one of {', '.join(_RULES)}") from None


def payment_rules() -> list[Rule]:
    return [r for r in all_rules() if r.payments]


def records_opening_for(record_type: str, user, record_ids: Iterable[int]) -> set[int]:
    """Of ``record_ids`` of ``record_type``, those whose page opens for ``user`` (all of them for a type that
    registered no ``opens_for``: its page opens for whoever sees its flags)."""
    opens_for = _OPENS_FOR.get(record_type)
    return set(record_ids) if opens_for is None else opens_for(user, record_ids)


def record_links(pairs: Iterable[tuple[str, int, str]], *, user=None) -> dict[tuple[str, int], str]:
    """Page addresses for (record type, id, label) triples: one call per record type present. With ``user``, only
    for the records whose page opens for that person (``records_opening_for``), so nobody is offered a link
    that refuses them."""
    by_type: dict[str, list[tuple[int, str]]] = {}
    for record_type, record_id, label in pairs:
        by_type.setdefault(record_type, []).append((record_id, label))
    links: dict[tuple[str, int], str] = {}
    for record_type, items in by_type.items():
        resolve = _LINKS.get(record_type)
        if resolve is None:
            continue
        if user is not None:
            opening = records_opening_for(record_type, user, [record_id for record_id, _ in items])
            items = [(record_id, label) for record_id, label in items if record_id in opening]
        for record_id, url in resolve(items).items():
            links[(record_type, record_id)] = url
    return links


def breach_rows(
    queryset: QuerySet,
    *,
    compact,
    organisation,
    due,
    label,
    open_when: Q | None = None,
    record="pk",
) -> QuerySet:
    """``queryset`` as the rows a rule returns; each argument is a field name or an expression.

    ``open_when`` separates records already in breach from those at risk; without it every row is open.
    """
    status = (
        Value(FlagStatus.OPEN.value)
        if open_when is None
        else Case(When(open_when, then=Value(FlagStatus.OPEN.value)), default=Value(FlagStatus.AT_RISK.value))
    )
    return queryset.values(
        flag_compact=_expression(compact),
        flag_record=_expression(record),
        flag_organisation=_expression(organisation),
        flag_due=_expression(due),
        flag_label=_expression(label),
        flag_status=status,
    ).order_by()


def within_days_by_nation(
    field: str, last_day: Callable[..., datetime.date], today: datetime.date, *, nation: str = "compact__nation"
) -> Q:
    """``field`` on or before ``last_day(today, nation=...)`` counted for each record's own nation.

    Working days differ between the UK nations (their bank holidays), so "due within two working days" is one
    date per nation: three dates, not one per compact.
    """
    condition = Q(pk__in=[])
    for value in Nation.values:
        condition |= Q(**{nation: value, f"{field}__lte": last_day(today, nation=value)})
    return condition


def _expression(value):
    if value is None:  # typed, so PostgreSQL can insert it into a bigint column from a subquery
        return Cast(Value(None), output_field=models.BigIntegerField())
    return models.F(value) if isinstance(value, str) else value
