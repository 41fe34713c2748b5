"""Flags follow every write: after a transaction that changed what a compliance rule reads commits, the rules
for the records it touched are checked again, once per transaction however many records it touched.

A service calls ``recheck_on_commit`` inside its transaction, naming the kind of record (the one a flag is
about: a payment changes its invoice, a decision its funding relationship) and the ids it changed, or whole
compacts (a change of a compact's rule settings). The requests of one transaction are collected into one
batch, registered with ``transaction.on_commit``: a rolled-back transaction queues nothing, and an import of a
thousand rows queues one re-check, not a thousand. The re-check runs as a Celery task (in the web process in
the default set-up, on the worker in production), as of the day it runs.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from compact_portal.audit import current_audit_context
from compact_portal.celery import queue_or_log

WHAT_MAX_LENGTH = 200  # ComplianceRun.cause


class _Batch:
    """The records one transaction asked to re-check; queued as one task when the transaction commits."""

    def __init__(self) -> None:
        self.records: dict[str, set[int]] = {}
        self.compact_ids: set[int] = set()
        self.what: list[str] = []
        self.name_who = True
        self.cause_text = ""
        # Sealed: takes no more records. Tests seal the batches of their set-up, whose transaction never commits,
        # so that what they capture afterwards is a batch of its own.
        self.sealed = False

    def add(
        self, *, record_type: str, ids: Iterable[int], compact_ids: Iterable[int], what: str, name_who: bool
    ) -> None:
        self.name_who = self.name_who and name_who
        if ids:
            self.records.setdefault(str(record_type), set()).update(int(pk) for pk in ids)
        self.compact_ids.update(int(pk) for pk in compact_ids)
        if what and what not in self.what:
            self.what.append(what)
        self.cause_text = self.cause()  # now, while the import's or command's audit context is still open

    def cause(self) -> str:
        """What changed, as the flags' history will name it: an import or command names itself; otherwise the
        services' descriptions, with the person who made the change."""
        context = current_audit_context()
        if context is not None and context.via:
            text = context.via
        else:
            text = self.what[0] if self.what else "A change"
            if len(self.what) > 1:
                text += f" and {len(self.what) - 1} other change{'s' if len(self.what) > 2 else ''}"
        user = context.user if context is not None and context.user is not None else _request_user()
        if user is not None and self.name_who:
            text += f" by {user.email}"
        return text if len(text) <= WHAT_MAX_LENGTH else text[: WHAT_MAX_LENGTH - 1] + "…"

    def __call__(self) -> None:
        from ..tasks import recheck_records

        queue_or_log(
            recheck_records,
            what=f"the compliance re-check after: {self.cause_text}",
            records={kind: sorted(ids) for kind, ids in self.records.items()},
            compact_ids=sorted(self.compact_ids),
            cause=self.cause_text,
        )


def _request_user():
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _pending_batch() -> _Batch | None:
    """The batch already registered with the current transaction, if any (gone with it if it rolled back)."""
    for _savepoints, callback, *_rest in connection.run_on_commit:
        if isinstance(callback, _Batch) and not callback.sealed:
            return callback
    return None


def recheck_on_commit(
    *,
    record_type: str = "",
    ids: Iterable[int] = (),
    compact_ids: Iterable[int] = (),
    what: str = "",
    name_who: bool = True,
) -> None:
    """Ask for the compliance rules about ``record_type`` records ``ids`` (and every rule, for every record of
    ``compact_ids``) to be checked again once the current transaction commits; at once outside one.

    ``what`` describes the change in a few words ("Payment recorded on invoice INV-0042"); the flags' history
    names it, with the person who made the change unless ``name_who`` is False (a case's steps: a raiser may
    have withheld their identity). Calls within one transaction add to one re-check.
    """
    ids = list(ids)
    compact_ids = list(compact_ids)
    if not ids and not compact_ids:
        return
    batch = _pending_batch() if connection.in_atomic_block else None
    new = batch is None
    if new:
        batch = _Batch()
    batch.add(record_type=record_type, ids=ids, compact_ids=compact_ids, what=what, name_who=name_who)
    if new:
        transaction.on_commit(batch)  # outside a transaction this runs it at once
