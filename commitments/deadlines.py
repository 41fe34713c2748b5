"""Stored deadlines that follow a compact's rule settings.

The funding, consultation and disputes services store each record's deadlines (pay-by dates, decision dates,
feedback due dates, step deadlines), counted from the compact's settings when the record is saved. When the
settings change (``commitments.services.compact_settings_update``), the records still open are counted again.
Each app knows its own records, so each registers one function here from its ``AppConfig.ready()``; this app
never imports them (the same arrangement as the compliance rules in ``commitments/rulebook.py``).

A registered function is called as ``recompute(compact=..., actor=..., today=..., reason=...)`` inside the
settings change's transaction, after the compact is saved with its new settings. It stores the deadlines of
the compact's records still open on ``today`` and leaves closed records alone, saves the records whose dates
moved (``save_with_history``) and returns how many it saved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from compact_portal.audit import REASON_MAX_LENGTH, current_audit_context

if TYPE_CHECKING:
    from compact_portal.accounts.models import User

# recompute(*, compact: Compact, actor: User | None, today: datetime.date, reason: str) -> int
Recompute = Callable[..., int]

_recomputes: list[Recompute] = []


def register(recompute: Recompute) -> Recompute:
    """Add an app's function that counts its open records' deadlines again (once, however often called)."""
    if recompute not in _recomputes:
        _recomputes.append(recompute)
    return recompute


def registered() -> tuple[Recompute, ...]:
    return tuple(_recomputes)


def save_with_history(
    records: Sequence[models.Model], fields: Sequence[str], *, actor: User | None, reason: str
) -> int:
    """Save ``fields`` of ``records`` (all of one model) in bulk, with one history record each.

    Credited to ``actor``, or else to the person of the current audit context (an import, a command) or the
    signed-in person; the reason is the audit context's (``Command: load_compacts``) or else ``reason``.
    The dates are worked out by the services' own helpers, not typed in, so they are not validated again:
    a record that a new setting makes fall short (funding shorter than a longer minimum term, say) is for
    the compliance rules to flag, not a reason to refuse the settings change.
    """
    if not records:
        return 0
    model = type(records[0])
    fields = list(fields)
    if any(field.name == "updated_at" and getattr(field, "auto_now", False) for field in model._meta.fields):
        now = timezone.now()
        for record in records:
            record.updated_at = now
        fields.append("updated_at")
    context = current_audit_context()
    user = actor or (context.user if context is not None else None)
    via = context.via if context is not None and context.via else reason
    if len(via) > REASON_MAX_LENGTH:
        via = via[: REASON_MAX_LENGTH - 1] + "…"
    bulk_update_with_history(records, model, fields, default_user=user, default_change_reason=via)
    return len(records)
