"""A compact's rule settings changed: the consultations that have not closed are counted again.

Registered with ``commitments.deadlines`` by ``ConsultationsConfig.ready()``. A consultation closing today
or later (a draft, a forthcoming or an open one) stores the compact's new minimum length (3.7) and its
feedback due date (3.5, 4.2) from the same helper the consultation services use. A closed consultation keeps
the minimum it ran under and the feedback date its respondents were promised when it closed.
"""

import datetime

from commitments.deadlines import save_with_history
from commitments.models import Compact
from compact_portal.accounts.models import User

from ..models import Consultation
from . import _store_computed

COMPUTED = ("length_days", "minimum_days", "feedback_due")


def deadlines_recompute(*, compact: Compact, actor: User | None, today: datetime.date, reason: str) -> int:
    """Store the computed dates of ``compact``'s consultations not yet closed on ``today`` under its current
    settings; returns how many were saved (each with a history record crediting ``actor``)."""
    moved = []
    for consultation in Consultation.objects.filter(compact=compact, close_date__gte=today):
        consultation.compact = compact
        before = [getattr(consultation, name) for name in COMPUTED]
        _store_computed(consultation)
        if [getattr(consultation, name) for name in COMPUTED] != before:
            moved.append(consultation)
    return save_with_history(moved, COMPUTED, actor=actor, reason=reason)
