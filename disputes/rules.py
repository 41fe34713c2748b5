"""The disputes process as pure rules: which step may follow which, by whom, and each step's deadline.

DOMAIN.md, Disputes (Leicestershire §10; Nottinghamshire's champions "unblock" matters). The seeds set no
time limits, so each limit is a compact setting in working days (defaults from the Local Government and
Social Care Ombudsman's Complaint Handling Code):

- acknowledge a new concern: 5 working days from receipt;
- informal stage: 20 working days from acknowledgement to agreement or escalation (the champion's
  acknowledgement opens the informal process, so the clock does not wait for the first meeting);
- formal stage: the body's written response 20 working days from escalation, with one extension of up to
  10 more with reasons;
- lodge an appeal: 20 working days from the formal outcome;
- appeal: the panel decides 20 working days from the appeal.

A deadline is the n-th working day after the day the step began (that day never counts), in the
compact's nation. No database, no clock: callers pass dates and settings in.
"""

from __future__ import annotations

from datetime import date

from compact_portal.working_days import add_working_days, working_days_after

RAISER, RESPONDENT, CHAMPION, PANEL = "raiser", "respondent", "champion", "panel"
RECEIVED, ACKNOWLEDGED, INFORMAL, FORMAL, APPEAL, CLOSED, WITHDRAWN = (
    "received",
    "acknowledged",
    "informal",
    "formal",
    "appeal",
    "closed",
    "withdrawn",
)
OPEN = (RECEIVED, ACKNOWLEDGED, INFORMAL, FORMAL, APPEAL)

# Every stage change the process allows, and the parties who may make it. Forward one step at a time:
# a champion acknowledges and opens the informal stage; the raiser escalates when dialogue fails; either
# party appeals the formal outcome; the panel decides an appeal; a champion closes an informal case that
# ended in agreement, or a formal one whose appeal window has passed; the raiser may withdraw at any
# open stage.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (RECEIVED, ACKNOWLEDGED): frozenset({CHAMPION}),
    (ACKNOWLEDGED, INFORMAL): frozenset({CHAMPION}),
    (INFORMAL, FORMAL): frozenset({RAISER}),
    (INFORMAL, CLOSED): frozenset({CHAMPION}),
    (FORMAL, APPEAL): frozenset({RAISER, RESPONDENT}),
    (FORMAL, CLOSED): frozenset({CHAMPION}),
    (APPEAL, CLOSED): frozenset({PANEL}),
    **{(stage, WITHDRAWN): frozenset({RAISER}) for stage in OPEN},
}


def may_move(*, from_stage: str, to_stage: str, parties: frozenset[str] | set[str]) -> bool:
    """True when someone playing any of ``parties`` in a case may move it from ``from_stage`` to ``to_stage``."""
    return not TRANSITIONS.get((from_stage, to_stage), frozenset()).isdisjoint(parties)


def acknowledge_due_by(received: date, *, nation: str, days: int = 5) -> date:
    """The last day for a champion to acknowledge a concern received on ``received``."""
    return add_working_days(received, days, nation=nation)


def informal_due_by(acknowledged: date, *, nation: str, days: int = 20) -> date:
    """The last day for the informal stage to end in agreement or escalation."""
    return add_working_days(acknowledged, days, nation=nation)


def formal_response_due_by(escalated: date, *, nation: str, days: int = 20, extension_days: int = 0) -> date:
    """The last day for the body's written formal response, including any extension granted."""
    return add_working_days(escalated, days + extension_days, nation=nation)


def extension_refusal(*, requested_days: int, most_days: int, already_extended: bool, reason: str) -> str | None:
    """Why an extension of the formal stage may not be granted, or None when it may.

    One extension only, of 1 to ``most_days`` working days, and only with reasons.
    """
    if already_extended:
        return "The formal stage has already been extended once; it cannot be extended again."
    if most_days < 1:
        return "This compact does not allow the formal stage to be extended."
    if not 1 <= requested_days <= most_days:
        return f"An extension can be from 1 to {most_days} working days."
    if not reason.strip():
        return "Give the reasons for the extension; they are shown to both parties."
    return None


def appeal_lodge_by(formal_outcome: date, *, nation: str, days: int = 20) -> date:
    """The last day either party may appeal the formal outcome given on ``formal_outcome``."""
    return add_working_days(formal_outcome, days, nation=nation)


def appeal_decision_due_by(appealed: date, *, nation: str, days: int = 20) -> date:
    """The last day for the panel's decision on an appeal lodged on ``appealed``."""
    return add_working_days(appealed, days, nation=nation)


def may_appeal(*, lodge_by: date | None, today: date) -> bool:
    """An appeal may be lodged once there is a formal outcome, up to and including its lodge-by day."""
    return lodge_by is not None and today <= lodge_by


def may_close_formal(*, lodge_by: date | None, today: date) -> bool:
    """A formal case closes on its formal outcome only after the appeal window has passed unused."""
    return lodge_by is not None and today > lodge_by


def step_overdue(*, due_by: date | None, today: date) -> bool:
    """True once the day after a step's last day has come and the step is still waited for."""
    return due_by is not None and today > due_by


def working_days_left(*, due_by: date, today: date, nation: str) -> int:
    """Working days from tomorrow up to and including ``due_by``; 0 on the last day or after it."""
    return working_days_after(today, due_by, nation=nation)


def working_days_overdue(*, due_by: date, today: date, nation: str) -> int:
    """Working days after ``due_by`` up to and including ``today``; 0 when not yet overdue."""
    return working_days_after(due_by, today, nation=nation)


def conflicted(*, member_organisation_ids: set[int], party_organisation_ids: set[int]) -> bool:
    """A panel member with a membership in either organisation in the case has a conflict of interest."""
    return not member_organisation_ids.isdisjoint(party_organisation_ids)


STEP_AT_RISK_WORKING_DAYS = 3  # issue 7: warn when a case's step falls due within three working days


def step_at_risk_until(today: date, *, nation: str) -> date:
    """The last step deadline that counts as "at risk" on ``today``: the third working day after it."""
    return add_working_days(today, STEP_AT_RISK_WORKING_DAYS, nation=nation)
