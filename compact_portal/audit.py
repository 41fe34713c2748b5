"""Audit plumbing: who (or what) made a change that django-simple-history records.

In a web request simple_history's middleware credits the signed-in person. Imports, management commands
and Celery jobs say who they are with ``audit_context``; a receiver of simple_history's
``pre_create_historical_record`` signal copies the context onto each historical record it is about to
save: the person into ``history_user`` (only when none was recorded) and the path into
``history_change_reason`` (only when no reason was given), for example

- ``Funding import (invoices): invoices.csv`` (an officer's import in the browser, with the officer),
- ``Command: import_funding; Funding import (invoices): invoices.csv`` (the same file from the server),
- ``Scheduled job: consultations.send_alerts`` (a Celery task, when no request or command is around it).

No business rule lives here; the page that reads the history is ``compact_portal/selectors/audit.py``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand

if TYPE_CHECKING:
    from compact_portal.accounts.models import User

REASON_MAX_LENGTH = 100  # simple_history's history_change_reason is a CharField(max_length=100)
COMMAND_PREFIX = "Command: "
JOB_PREFIX = "Scheduled job: "


@dataclass(frozen=True)
class AuditContext:
    user: User | None
    via: str


_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("compact_portal_audit", default=None)


def current_audit_context() -> AuditContext | None:
    return _current.get()


@contextmanager
def audit_context(*, user: User | None = None, via: str = "") -> Iterator[AuditContext]:
    """Credit every history record saved inside the block to ``user`` (when no one else is credited) and
    give it the reason ``via``. Nested blocks keep the outer person unless they name one, and add their
    ``via`` to the outer one ("Command: import_funding; Funding import (invoices): invoices.csv")."""
    outer = _current.get()
    if outer is not None:
        user = user or outer.user
        via = outer.via if not via or via == outer.via else "; ".join(part for part in (outer.via, via) if part)
    context = AuditContext(user=user, via=via)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def import_via(what: str, file_name: str | None) -> str:
    """The reason recorded for an import: what was imported and from which file (its name, not its path)."""
    name = PurePath(file_name).name if file_name else ""
    return f"{what}: {name}" if name else what


def _shorten(text: str) -> str:
    return text if len(text) <= REASON_MAX_LENGTH else text[: REASON_MAX_LENGTH - 1] + "…"


def fill_historical_record(sender, history_instance, **kwargs: Any) -> None:
    """Receiver of ``pre_create_historical_record``: fill who and how from the audit context, if any."""
    context = _current.get()
    if context is None:
        return
    if context.user is not None and getattr(history_instance, "history_user_id", None) is None:
        history_instance.history_user = context.user
    if context.via and not history_instance.history_change_reason:
        history_instance.history_change_reason = _shorten(context.via)


# --- Management commands -------------------------------------------------------------------------------


def command_name(command: BaseCommand) -> str:
    return type(command).__module__.rsplit(".", 1)[-1]


class AuditedCommand(BaseCommand):
    """A management command whose writes are recorded as made by ``Command: <its name>``."""

    def execute(self, *args: Any, **options: Any):
        with audit_context(via=f"{COMMAND_PREFIX}{command_name(self)}"):
            return super().execute(*args, **options)


# --- Celery tasks --------------------------------------------------------------------------------------

_job_tokens: dict[str, contextvars.Token] = {}


def _web_request_active() -> bool:
    from simple_history.models import HistoricalRecords

    return getattr(HistoricalRecords.context, "request", None) is not None


def job_started(*, task_id: str | None, task_name: str) -> None:
    """Before a Celery task runs: credit its writes to ``Scheduled job: <task name>``, unless it runs inside
    a web request or an audit context already (an eager task, a command), which then keeps the credit."""
    if not task_id or _current.get() is not None or _web_request_active():
        return
    _job_tokens[task_id] = _current.set(AuditContext(user=None, via=f"{JOB_PREFIX}{task_name}"))


def job_finished(*, task_id: str | None) -> None:
    token = _job_tokens.pop(task_id, None) if task_id else None
    if token is None:
        return
    with contextlib.suppress(ValueError):  # finished in another context than it started in: nothing to undo there
        _current.reset(token)
