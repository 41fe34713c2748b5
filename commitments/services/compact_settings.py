"""Changing a compact's rule settings, and the stored deadlines that follow them."""

import datetime
from collections.abc import Collection
from typing import Any

from django.db import transaction
from django.utils import timezone

from compact_portal.accounts.models import User
from compact_portal.services import check_fields, validated_save

from .. import deadlines
from ..models import Compact, RecordType
from .live import recheck_on_commit

# The settings the measurable rules read (each compact's own values, the seeds' by default); the nation
# decides whose bank holidays count as working days.
RULE_SETTINGS = (
    "consultation_min_weeks",
    "feedback_due_weeks",
    "notice_months",
    "notice_excepts_fixed_end",
    "decision_lead_months",
    "min_funding_years",
    "payment_working_days",
    "monitoring_small_below",
    "monitoring_small_returns",
    "monitoring_medium_below",
    "monitoring_medium_returns",
    "monitoring_large_returns",
)
DISPUTE_LIMITS = (
    "dispute_acknowledge_days",
    "dispute_informal_days",
    "dispute_formal_days",
    "dispute_formal_extension_days",
    "dispute_appeal_lodge_days",
    "dispute_appeal_decision_days",
)
RULE_SETTING_FIELDS = ("nation", *RULE_SETTINGS, *DISPUTE_LIMITS)
# What the annual review (Leicestershire §8) reads of a compact.
REVIEW_FIELDS = frozenset({"status", "adopted_date", "next_review_date"})


@transaction.atomic
def compact_save(*, compact: Compact, actor: User | None, changed: Collection[str]) -> Compact:
    """Save ``compact`` as edited as a whole (the admin's form), ``changed`` naming the fields given new values.

    A new compact, or one whose rule settings did not change, is validated and saved as given; a changed status,
    adoption or review date has its flags checked again once this commits. For an existing compact, the changed
    rule settings go through ``compact_settings_update`` (the deadlines of its open records follow, its flags are
    checked again) after its other changes are saved. Either way ``compact`` ends holding what is stored.
    """
    settings_changed = [name for name in RULE_SETTING_FIELDS if name in changed]
    if compact.pk is None or not settings_changed:
        validated_save(compact, actor)
        if REVIEW_FIELDS & set(changed):
            recheck_on_commit(record_type=RecordType.COMPACT, ids=[compact.pk], what=f"{compact.name} changed")
        return compact
    new_settings = {name: getattr(compact, name) for name in settings_changed}
    stored = Compact.objects.get(pk=compact.pk)
    for name in settings_changed:
        setattr(compact, name, getattr(stored, name))
    if set(changed) - set(settings_changed):
        validated_save(compact, actor)
    updated = compact_settings_update(compact=compact, actor=actor, **new_settings)
    for name in settings_changed:
        setattr(compact, name, getattr(updated, name))
    return compact


@transaction.atomic
def compact_settings_update(
    *, compact: Compact, actor: User | None, today: datetime.date | None = None, **changes: Any
) -> Compact:
    """Change ``compact``'s rule settings; the stored deadlines of its open records follow.

    The compact is validated and saved with its history (crediting ``actor``). Then every app counts again
    the deadlines it stores for the compact's records that are still open on ``today`` (default: today),
    through the functions registered in ``commitments/deadlines.py``:

    - funding: unpaid invoices (pay-by date, Portsmouth 11.2); relationships awaiting a decision (the date
      to tell the decision by, 9.2, and the earliest end for the minimum term, 9.1); notices not yet in
      effect (earliest effective date and whether notice is owed, 13.3, Leicestershire principle 11);
      monitoring plans of funding still running (the returns a year its band allows, 12.3) and returns not yet
      sent (their due dates, 17.3);
    - consultations that have not closed (minimum length, 3.7; feedback due date, 3.5);
    - concerns not closed or withdrawn (the current step's deadline and the appeal window, Leicestershire §10).

    Closed records keep the deadlines they were judged by, what was promised at the time: paid invoices,
    decided funding (its 9.1 and 9.2 dates were fixed when it was decided), notices already in effect, closed
    consultations and finished cases.

    Once the transaction commits the compact's flags are checked again, so a flag the new settings resolve
    (or raise) changes at once, not at the next scheduled run. Settings equal to the stored ones change
    nothing and queue nothing. Only rule settings are accepted here (TypeError otherwise).
    """
    check_fields(changes, RULE_SETTING_FIELDS)
    locked = Compact.objects.select_for_update().get(pk=compact.pk)
    changed = {name: value for name, value in changes.items() if getattr(locked, name) != value}
    if not changed:
        return locked
    for name, value in changed.items():
        setattr(locked, name, value)
    validated_save(locked, actor)

    today = today or timezone.localdate()
    reason = f"Rule settings of {locked.name} changed"
    for recompute in deadlines.registered():
        recompute(compact=locked, actor=actor, today=today, reason=reason)
    recheck_on_commit(compact_ids=[locked.pk], what=reason)
    return locked


@transaction.atomic
def compact_deadlines_recompute(
    *, compact: Compact, actor: User | None, reason: str, today: datetime.date | None = None
) -> int:
    """Count the stored deadlines of ``compact``'s open records again, under its settings and the working days
    of now; returns how many records were saved (only those whose dates moved, each with a history record).

    For when what the deadlines are counted with changed without a settings change: GOV.UK's bank holidays
    (``manage.py recompute_deadlines``, docs/operations.md, "Bank holidays"). The same registered functions as
    ``compact_settings_update``, so open and closed records are told apart the same way, and closed ones keep
    their deadlines. When anything moved, the compact's flags are checked again once the transaction commits.
    """
    today = today or timezone.localdate()
    saved = sum(
        recompute(compact=compact, actor=actor, today=today, reason=reason) for recompute in deadlines.registered()
    )
    if saved:
        recheck_on_commit(compact_ids=[compact.pk], what=reason)
    return saved
