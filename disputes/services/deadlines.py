"""A compact's rule settings changed: the deadlines of its open cases are counted again (Leicestershire §10).

Registered with ``commitments.deadlines`` by ``DisputesConfig.ready()``. For a case not closed or withdrawn:

- the step it waits for gets a new last day (``step_due_by``), counted by ``disputes/rules.py`` from the day
  the step began, in the compact's new working-day limit and nation: acknowledgement from receipt, the
  informal stage from acknowledgement, the body's formal response from escalation (with any extension
  already granted, whose length stays as granted), the panel's decision from the appeal;
- an appeal window still running (formal outcome given, no appeal yet, its last day not passed) gets its
  new last day.

Steps already taken keep their dates (a formal response given, an appeal window that has passed), and so do
closed and withdrawn cases.
"""

import datetime

from commitments.deadlines import save_with_history
from commitments.models import Compact
from compact_portal.accounts.models import User

from .. import rules
from ..models import OPEN_STAGES, Concern, Stage, Step

STORED = ("step_due_by", "formal_response_due", "appeal_lodge_by")


def step_due_by(concern: Concern, compact: Compact) -> datetime.date | None:
    """The last day of the step ``concern`` waits for, counted from the day it began (stored on the case) in
    ``compact``'s working-day limit and nation; None for no step. The stage services store it as each step
    begins, and a settings change counts it again."""
    nation = compact.nation
    match concern.step:
        case Step.ACKNOWLEDGE:
            return rules.acknowledge_due_by(concern.received_on, nation=nation, days=compact.dispute_acknowledge_days)
        case Step.INFORMAL if concern.acknowledged_on:
            return rules.informal_due_by(concern.acknowledged_on, nation=nation, days=compact.dispute_informal_days)
        case Step.FORMAL_RESPONSE if concern.formal_started_on:
            return rules.formal_response_due_by(
                concern.formal_started_on,
                nation=nation,
                days=compact.dispute_formal_days,
                extension_days=concern.formal_extension_days or 0,
            )
        case Step.APPEAL_DECISION if concern.appealed_on:
            return rules.appeal_decision_due_by(
                concern.appealed_on, nation=nation, days=compact.dispute_appeal_decision_days
            )
    return None


def _store_open_deadlines(concern: Concern, compact: Compact, today: datetime.date) -> None:
    due_by = step_due_by(concern, compact)
    if due_by is not None:
        concern.step_due_by = due_by
        if concern.step == Step.FORMAL_RESPONSE:
            concern.formal_response_due = due_by
    appeal_window_open = (
        concern.stage == Stage.FORMAL
        and concern.formal_decided_on is not None
        and rules.may_appeal(lodge_by=concern.appeal_lodge_by, today=today)
    )
    if appeal_window_open:
        concern.appeal_lodge_by = rules.appeal_lodge_by(
            concern.formal_decided_on, nation=compact.nation, days=compact.dispute_appeal_lodge_days
        )


def deadlines_recompute(*, compact: Compact, actor: User | None, today: datetime.date, reason: str) -> int:
    """Store the deadlines of ``compact``'s open cases under its current settings; returns how many cases were
    saved (each with a history record crediting ``actor``)."""
    moved = []
    for concern in Concern.objects.filter(compact=compact, stage__in=OPEN_STAGES):
        before = [getattr(concern, name) for name in STORED]
        _store_open_deadlines(concern, compact, today)
        if [getattr(concern, name) for name in STORED] != before:
            moved.append(concern)
    return save_with_history(moved, STORED, actor=actor, reason=reason)
