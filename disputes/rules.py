"""The disputes process as pure rules: which step may follow which, by whom, and each step's deadline.

The seed compacts' disputes procedure (Leicestershire §10; Nottinghamshire's champions "unblock" matters) sets no
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

Which steps a person may take on a case now is decided here, once: ``available_steps`` for the case page
(what it offers) and ``step_refusal`` for the services (what they refuse, and in which words). Both read a
``CaseFacts`` (the case's stage, dates and its compact's extension limit, on a given day) and the person's
parts in the case (``selectors.case_access``: conflicts of interest are already taken out of those parts).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

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


def extension_closed(*, most_days: int, already_extended: bool) -> str | None:
    """Why the formal stage cannot be extended whatever is asked for, or None when it may be: it is extended
    once only, and not at all under a compact whose limit is 0."""
    if already_extended:
        return "The formal stage has already been extended once; it cannot be extended again."
    if most_days < 1:
        return "This compact does not allow the formal stage to be extended."
    return None


def extension_refusal(*, requested_days: int, most_days: int, already_extended: bool, reason: str) -> str | None:
    """Why an extension of the formal stage may not be granted, or None when it may.

    One extension only, of 1 to ``most_days`` working days, and only with reasons.
    """
    closed = extension_closed(most_days=most_days, already_extended=already_extended)
    if closed:
        return closed
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


# --- Conflicts of interest, and a case no champion can steer ----------------------------------------------------


@dataclass(frozen=True)
class Ties:
    """A person's ties to the organisations of one case: where they hold any role (``member_of``), where they are
    appointed a champion of the case's compact (``appointed_in``), and whether they raised the concern themselves."""

    member_of: frozenset[int] = frozenset()
    appointed_in: frozenset[int] = frozenset()
    raised_it: bool = False


def sides(ties: Ties, *, raiser_id: int, respondent_id: int) -> tuple[bool, bool]:
    """Whether the person is on the raising side and on the body's side of the case. Whoever raised the concern,
    or holds any role in the raising organisation, is on its side; any role in the body concerned, or a champion's
    appointment there, puts them on the body's side (so a withheld identity stays hidden from them)."""
    raiser_side = ties.raised_it or raiser_id in ties.member_of
    respondent_side = respondent_id in ties.member_of or respondent_id in ties.appointed_in
    return raiser_side, respondent_side


def sees_raiser(ties: Ties, *, raiser_id: int, respondent_id: int, withheld: bool) -> bool:
    """Whether the person may see who raised the concern: everyone but the body's side, when the raiser asked for
    their identity to be withheld (unless they are on the raising side too)."""
    raiser_side, respondent_side = sides(ties, raiser_id=raiser_id, respondent_id=respondent_id)
    return raiser_side or not respondent_side or not withheld


def has_conflict(ties: Ties, *, raiser_id: int, respondent_id: int) -> bool:
    """A champion or panel member on either side of a case has a conflict of interest: they may follow it as a
    party would, but not steer or decide it (the compact's disputes procedure, Leicestershire §10)."""
    return any(sides(ties, raiser_id=raiser_id, respondent_id=respondent_id))


def party_sat_in(ties: Ties, *, raiser_id: int, respondent_id: int) -> int | None:
    """The organisation of the case that gives the person their conflict: the body concerned first (so a withheld
    raiser is never named to the body's side), else the raising organisation; None when there is no conflict."""
    raiser_side, respondent_side = sides(ties, raiser_id=raiser_id, respondent_id=respondent_id)
    if respondent_side:
        return respondent_id
    return raiser_id if raiser_side else None


def nobody_to_steer(champions: Iterable[Ties], *, raiser_id: int, respondent_id: int) -> bool:
    """True when no champion of the compact may steer the case: every one has a conflict of interest (or the
    compact has none). Such a case needs someone from outside: a champion of another compact, the dispute panel
    or an independent facilitator, appointed a champion of this compact (Leicestershire §10's subgroup oversees
    disputes; Nottinghamshire KP3.4's disputes system draws on people from across the partnership)."""
    return all(has_conflict(ties, raiser_id=raiser_id, respondent_id=respondent_id) for ties in champions)


NO_FREE_CHAMPION = "No champion without a conflict"


def cannot_steer(*, sits_in: str, nobody_else: bool) -> str:
    """What the case page tells a champion with a conflict of interest, instead of "nothing to do"."""
    said = f"You sit in {sits_in}, a party to this concern, so you cannot steer it."
    if nobody_else:
        return (
            f"{said} Every champion of this compact has a conflict; the administrators and the panel have been "
            "told it needs someone else."
        )
    return f"{said} A champion of this compact without a conflict steers it."


def needs_someone_else(*, compact: str) -> str:
    """Why a case no champion can steer waits for an administrator or the panel (their "Waiting for you" lists)."""
    return (
        f"{NO_FREE_CHAMPION}: every champion of {compact} sits in an organisation that is a party to it. A champion "
        "of another compact, a panel member or an independent facilitator without a conflict can take it on once "
        "appointed a champion of this compact."
    )


STEP_AT_RISK_WORKING_DAYS = 3  # a case's step is "at risk" when it falls due within three working days


def step_at_risk_until(today: date, *, nation: str) -> date:
    """The last step deadline that counts as "at risk" on ``today``: the third working day after it."""
    return add_working_days(today, STEP_AT_RISK_WORKING_DAYS, nation=nation)


# --- The steps a person may take on a case ------------------------------------------------------------------------


class CaseStep(StrEnum):
    """Every step a person can take on a case, in the order the case page offers them; the values are the
    page's step keys (and the last part of each step's address)."""

    ACKNOWLEDGE = "acknowledge"
    START_INFORMAL = "start-informal"
    ESCALATE = "escalate"
    EXTEND = "extend"
    RESPOND = "respond"
    FORMAL_OUTCOME = "formal-outcome"
    APPEAL = "appeal"
    ASSIGN_PANEL = "assign-panel"
    DECIDE_APPEAL = "decide-appeal"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    MEETING = "meeting"
    NOTE = "note"
    DOCUMENTS = "documents"


@dataclass(frozen=True)
class CaseFacts:
    """What decides the steps open on a case on ``today``, read from the case and its compact."""

    stage: str
    today: date
    formal_response_due: date | None = None
    responded: bool = False  # the body has given its formal response
    decided: bool = False  # the formal outcome has been given
    extended: bool = False  # the formal stage has been extended (it may be, once)
    most_extension_days: int = 0  # the compact's limit on that extension, in working days
    appeal_lodge_by: date | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a step may not be taken, in words for the person who tried. ``by_part`` is True when their part in
    the case does not allow it (a permission refusal), False when the case's state does not (yet, or any more)."""

    message: str
    by_part: bool


# The parts as the refusals name them (the lower-case labels of ``models.Party``), in the order they are named.
PARTY_NAMES = {
    RAISER: "the organisation that raised the concern",
    RESPONDENT: "the body the concern is about",
    CHAMPION: "compact champion",
    PANEL: "dispute panel",
}
# When someone plays several parts, they take a step in the first of these that the step allows.
SIDE_ORDER = (CHAMPION, PANEL, RAISER, RESPONDENT)
ANYONE_IN_THE_CASE = frozenset(SIDE_ORDER)
STAGES = (*OPEN, CLOSED, WITHDRAWN)


@dataclass(frozen=True)
class _StepRule:
    parties: frozenset[str]  # the parts that may take the step
    stages: frozenset[str]  # the stages at which the step exists at all
    not_at_stage: Callable[[str], str]  # the refusal at any other stage (given the case's stage)
    not_by_them: str  # the refusal for someone playing none of ``parties``
    # True: someone of no part the step allows is refused before the stage is looked at.
    part_first: bool = False
    # The refusal at one of ``stages`` when the case is not ready for the step (or no longer), else None.
    not_ready: Callable[[CaseFacts], str | None] = lambda case: None


def _moving(to_stage: str, doing: str, *, from_stages=OPEN, not_ready=lambda case: None) -> _StepRule:
    """A stage change: allowed from those of ``from_stages`` that TRANSITIONS moves on to ``to_stage``, by the
    parties TRANSITIONS names for those moves (the same from each of them)."""
    stages = frozenset(stage for stage in from_stages if (stage, to_stage) in TRANSITIONS)
    (parties,) = {TRANSITIONS[(stage, to_stage)] for stage in stages}
    who = " or ".join(PARTY_NAMES[party] for party in PARTY_NAMES if party in parties)
    return _StepRule(
        parties=parties,
        stages=stages,
        not_at_stage=lambda stage: f"This case is at the {stage} stage, so you cannot {doing} now.",
        not_by_them=f"Only {who} can {doing}.",
        not_ready=not_ready,
    )


def _at_formal(parties: frozenset[str], doing: str, not_ready) -> _StepRule:
    """A step within the formal stage, which does not change the stage."""
    return _StepRule(
        parties=parties,
        stages=frozenset({FORMAL}),
        not_at_stage=lambda stage: f"This case is not at the formal stage, so you cannot {doing}.",
        not_by_them=f"You cannot {doing} on this case.",
        not_ready=not_ready,
    )


def _extension_not_ready(case: CaseFacts) -> str | None:
    if case.decided:
        return "The formal outcome has been given; the formal stage can no longer be extended."
    if case.responded:
        return "The body has already responded; there is nothing to extend."
    if step_overdue(due_by=case.formal_response_due, today=case.today):
        return "The response deadline has passed, so it can no longer be extended."
    return extension_closed(most_days=case.most_extension_days, already_extended=case.extended)


def _response_not_ready(case: CaseFacts) -> str | None:
    if case.responded:
        return "The body has already given its formal response."
    if case.decided:
        return "The formal outcome has been given; the body can no longer respond at this stage."
    return None


def _outcome_not_ready(case: CaseFacts) -> str | None:
    if case.decided:
        return "The formal outcome has already been given."
    if not case.responded and not step_overdue(due_by=case.formal_response_due, today=case.today):
        return f"Wait for the body's response, due by {case.formal_response_due:%-d %B %Y}, before giving the outcome."
    return None


def _appeal_not_ready(case: CaseFacts) -> str | None:
    if may_appeal(lodge_by=case.appeal_lodge_by, today=case.today):
        return None
    lodge_by = case.appeal_lodge_by
    return "An appeal can be lodged only after the formal outcome, up to " + (
        f"{lodge_by:%-d %B %Y}." if lodge_by else "the compact's limit."
    )


def _closing_not_ready(case: CaseFacts) -> str | None:
    # An informal case closes on agreement at any time; a formal one once its appeal window has passed unused.
    if case.stage != FORMAL or may_close_formal(lodge_by=case.appeal_lodge_by, today=case.today):
        return None
    if case.appeal_lodge_by is None:
        return "Give the formal outcome first; the case closes once the appeal window has passed."
    return f"Either party may still appeal until {case.appeal_lodge_by:%-d %B %Y}; close the case after that."


STEP_RULES: dict[CaseStep, _StepRule] = {
    CaseStep.ACKNOWLEDGE: _moving(ACKNOWLEDGED, "acknowledge the concern"),
    CaseStep.START_INFORMAL: _moving(INFORMAL, "start the informal stage"),
    CaseStep.ESCALATE: _moving(FORMAL, "take the concern to the formal stage"),
    CaseStep.EXTEND: _at_formal(frozenset({RESPONDENT, CHAMPION}), "extend the formal stage", _extension_not_ready),
    CaseStep.RESPOND: _at_formal(frozenset({RESPONDENT}), "give the body's formal response", _response_not_ready),
    CaseStep.FORMAL_OUTCOME: _at_formal(frozenset({CHAMPION}), "give the formal outcome", _outcome_not_ready),
    CaseStep.APPEAL: _moving(APPEAL, "appeal", not_ready=_appeal_not_ready),
    CaseStep.ASSIGN_PANEL: _StepRule(
        parties=frozenset({CHAMPION}),
        stages=frozenset({FORMAL, APPEAL}),
        not_at_stage=lambda stage: "A panel is assigned when a case reaches the formal or appeal stage.",
        not_by_them="Only the compact's champions can assign the panel.",
        part_first=True,
    ),
    CaseStep.DECIDE_APPEAL: _moving(CLOSED, "decide the appeal", from_stages=(APPEAL,)),
    CaseStep.CLOSE: _moving(CLOSED, "close the case", from_stages=(INFORMAL, FORMAL), not_ready=_closing_not_ready),
    CaseStep.WITHDRAW: _moving(WITHDRAWN, "withdraw the concern"),
    CaseStep.MEETING: _StepRule(
        parties=frozenset({CHAMPION, PANEL}),
        stages=frozenset(OPEN),
        not_at_stage=lambda stage: "The case is finished; meetings can no longer be recorded.",
        not_by_them="You cannot record meetings on this case.",
        part_first=True,
    ),
    # A note may be added to a finished case too: what happened after it, or why it was closed.
    CaseStep.NOTE: _StepRule(
        parties=ANYONE_IN_THE_CASE,
        stages=frozenset(STAGES),
        not_at_stage=lambda stage: "",
        not_by_them="You cannot add notes on this case.",
        part_first=True,
    ),
    CaseStep.DOCUMENTS: _StepRule(
        parties=ANYONE_IN_THE_CASE,
        stages=frozenset(OPEN),
        not_at_stage=lambda stage: "The case is finished; documents can no longer be added.",
        not_by_them="You cannot add documents on this case.",
        part_first=True,
    ),
}


def step_refusal(step: CaseStep | str, case: CaseFacts, parties: Collection[str]) -> Refusal | None:
    """Why someone playing ``parties`` in the case may not take ``step`` now, or None when they may.

    A step that does not exist at the case's stage is refused whoever asks, except that the steps which are
    only ever some parts' (assigning the panel, meetings, notes and documents) refuse everyone else first;
    then a part the step does not allow; then a case not ready for the step.
    """
    rule = STEP_RULES[CaseStep(step)]
    not_theirs = rule.parties.isdisjoint(parties)
    if rule.part_first and not_theirs:
        return Refusal(rule.not_by_them, by_part=True)
    if case.stage not in rule.stages:
        return Refusal(rule.not_at_stage(case.stage), by_part=False)
    if not_theirs:
        return Refusal(rule.not_by_them, by_part=True)
    why = rule.not_ready(case)
    return Refusal(why, by_part=False) if why else None


def available_steps(case: CaseFacts, parties: Collection[str]) -> frozenset[CaseStep]:
    """Every step someone playing ``parties`` in the case may take now: exactly those ``step_refusal`` allows."""
    return frozenset(step for step in CaseStep if step_refusal(step, case, parties) is None)


def acting_side(step: CaseStep | str, parties: Collection[str]) -> str:
    """The part someone playing ``parties`` takes ``step`` in (the first of SIDE_ORDER the step allows)."""
    allowed = STEP_RULES[CaseStep(step)].parties
    return next(side for side in SIDE_ORDER if side in allowed and side in parties)
