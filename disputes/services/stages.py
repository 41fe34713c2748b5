"""The state machine: received → acknowledged → informal → formal → appeal → closed, or withdrawn.

Every stage change goes through ``_move``, which locks the case, refuses a change ``rules.TRANSITIONS``
does not allow from the current stage (ValidationError) or by the actor's part in the case
(PermissionDenied), stores the next step's deadline, writes the timeline and queues the e-mails.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from commitments.models import Commitment, RecordType
from commitments.services.live import recheck_on_commit
from compact_portal.accounts.models import User
from compact_portal.services import validated_save

from .. import rules, selectors
from ..models import FINDINGS, CaseEvent, Concern, EventKind, Outcome, PanelAssignment, Party, Stage, Step
from .deadlines import step_due_by
from .emails import case_notify

# When someone plays several parts, they act in the first that the step allows.
_SIDE_ORDER = (Party.CHAMPION, Party.PANEL, Party.RAISER, Party.RESPONDENT)


def locked_case(concern: Concern) -> Concern:
    """The case's row, locked for the rest of the transaction, with its compact."""
    return (
        Concern.objects.select_for_update(of=("self",))
        .select_related("compact", "raised_by", "champion")
        .get(pk=concern.pk)
    )


def acting_side(concern: Concern, actor: User, allowed, *, refusal: str) -> str:
    """The part ``actor`` acts in on ``concern`` for a step open to ``allowed`` parties; PermissionDenied
    with ``refusal`` when they play none of them."""
    parties = selectors.case_access(user=actor, concern=concern).parties
    side = next((side for side in _SIDE_ORDER if side in allowed and side in parties), None)
    if side is None:
        raise PermissionDenied(refusal)
    return side


def _move(
    concern: Concern, actor: User, to_stage: str, *, doing: str, from_stages: tuple[str, ...] = rules.OPEN
) -> tuple[Concern, str]:
    concern = locked_case(concern)
    if concern.stage not in from_stages or (concern.stage, to_stage) not in rules.TRANSITIONS:
        raise ValidationError(
            f"This case is at the {concern.get_stage_display().lower().removesuffix(' stage')} stage, "
            f"so you cannot {doing} now."
        )
    allowed = rules.TRANSITIONS[(concern.stage, to_stage)]
    who = " or ".join(Party(party).label.lower() for party in allowed)
    return concern, acting_side(concern, actor, allowed, refusal=f"Only {who} can {doing}.")


def _save_step(concern: Concern, actor: User) -> None:
    """Save a step taken on the case; its stage and step deadline are checked again once it commits."""
    validated_save(concern, actor)
    recheck_on_commit(
        record_type=RecordType.CONCERN,
        ids=[concern.pk],
        what=f"Case {concern.reference}: {concern.get_stage_display().lower()}",
        name_who=False,
    )


def _record(concern: Concern, actor: User, side: str, from_stage: str, text: str = "") -> CaseEvent:
    return CaseEvent.objects.create(
        concern=concern,
        kind=EventKind.STAGE,
        actor=actor,
        side=side,
        from_stage=from_stage,
        to_stage=concern.stage,
        text=text.strip(),
    )


@transaction.atomic
def concern_acknowledge(*, concern: Concern, actor: User, today: datetime.date, note: str = "") -> Concern:
    """A champion acknowledges the concern and takes it on; the informal stage's clock starts."""
    concern, side = _move(concern, actor, Stage.ACKNOWLEDGED, doing="acknowledge the concern")
    compact = concern.compact
    concern.stage = Stage.ACKNOWLEDGED
    concern.acknowledged_on = today
    concern.champion = actor
    concern.step = Step.INFORMAL
    concern.step_due_by = step_due_by(concern, compact)
    _save_step(concern, actor)
    _record(concern, actor, side, Stage.RECEIVED, note)
    case_notify(
        concern=concern,
        headline="the concern is acknowledged",
        detail=f"{actor.full_name} will facilitate the informal dialogue between the parties.",
    )
    return concern


@transaction.atomic
def informal_start(*, concern: Concern, actor: User, today: datetime.date, note: str = "") -> Concern:
    """The champion opens the informal stage: dialogue between the parties, facilitated by the champion."""
    concern, side = _move(concern, actor, Stage.INFORMAL, doing="start the informal stage")
    concern.stage = Stage.INFORMAL
    concern.informal_started_on = today
    _save_step(concern, actor)
    _record(concern, actor, side, Stage.ACKNOWLEDGED, note)
    case_notify(concern=concern, headline="the informal stage has begun", detail=note.strip())
    return concern


@transaction.atomic
def formal_escalate(*, concern: Concern, actor: User, today: datetime.date, reasons: str) -> Concern:
    """The raiser takes the concern to the formal stage when informal dialogue has failed."""
    concern, side = _move(concern, actor, Stage.FORMAL, doing="take the concern to the formal stage")
    if not reasons.strip():
        raise ValidationError({"reasons": "Say why the informal dialogue has not resolved the concern."})
    compact = concern.compact
    concern.stage = Stage.FORMAL
    concern.formal_started_on = today
    concern.step = Step.FORMAL_RESPONSE
    concern.formal_response_due = concern.step_due_by = step_due_by(concern, compact)
    _save_step(concern, actor)
    _record(concern, actor, side, Stage.INFORMAL, reasons)
    case_notify(
        concern=concern,
        headline="the concern has gone to the formal stage",
        detail=f"{concern.respondent} is asked for a written response by {concern.formal_response_due:%-d %B %Y}.",
    )
    return concern


def _formal_case(concern: Concern, actor: User, allowed: tuple[str, ...], doing: str) -> tuple[Concern, str]:
    concern = locked_case(concern)
    if concern.stage != Stage.FORMAL:
        raise ValidationError(f"This case is not at the formal stage, so you cannot {doing}.")
    return concern, acting_side(concern, actor, allowed, refusal=f"You cannot {doing} on this case.")


@transaction.atomic
def formal_extend(*, concern: Concern, actor: User, today: datetime.date, days: int, reasons: str) -> Concern:
    """Extend the body's formal response deadline once, by up to the compact's limit, with reasons."""
    concern, side = _formal_case(concern, actor, (Party.RESPONDENT, Party.CHAMPION), "extend the formal stage")
    if concern.formal_decided_on:
        raise ValidationError("The formal outcome has been given; the formal stage can no longer be extended.")
    if concern.formal_responded_on:
        raise ValidationError("The body has already responded; there is nothing to extend.")
    if rules.step_overdue(due_by=concern.formal_response_due, today=today):
        raise ValidationError("The response deadline has passed, so it can no longer be extended.")
    refusal = rules.extension_refusal(
        requested_days=days,
        most_days=concern.compact.dispute_formal_extension_days,
        already_extended=concern.formal_extension_days is not None,
        reason=reasons,
    )
    if refusal:
        field = "reasons" if refusal.startswith("Give the reasons") else "days" if "can be from" in refusal else None
        raise ValidationError({field: refusal} if field else refusal)
    compact = concern.compact
    concern.formal_extension_days = days
    concern.formal_extension_reason = reasons.strip()
    concern.formal_response_due = concern.step_due_by = step_due_by(concern, compact)
    _save_step(concern, actor)
    CaseEvent.objects.create(concern=concern, kind=EventKind.EXTENSION, actor=actor, side=side, text=reasons.strip())
    case_notify(
        concern=concern,
        headline=f"the formal response is extended by {days} working days",
        detail=f"New deadline: {concern.formal_response_due:%-d %B %Y}. Reasons: {reasons.strip()}",
    )
    return concern


@transaction.atomic
def formal_respond(*, concern: Concern, actor: User, today: datetime.date, response: str) -> Concern:
    """The body concerned gives its written formal response to the Dispute Resolution Subgroup."""
    concern, side = _formal_case(concern, actor, (Party.RESPONDENT,), "give the body's formal response")
    if concern.formal_responded_on:
        raise ValidationError("The body has already given its formal response.")
    if concern.formal_decided_on:
        raise ValidationError("The formal outcome has been given; the body can no longer respond at this stage.")
    if not response.strip():
        raise ValidationError({"response": "Write the body's response."})
    concern.formal_response = response.strip()
    concern.formal_responded_on = today
    concern.step = Step.NONE
    concern.step_due_by = None
    _save_step(concern, actor)
    CaseEvent.objects.create(concern=concern, kind=EventKind.RESPONSE, actor=actor, side=side, text=response.strip())
    case_notify(concern=concern, headline="the body has given its formal response")
    return concern


def _check_of_this_compact(commitments, concern: Concern) -> None:
    if any(commitment.compact_id != concern.compact_id for commitment in commitments):
        raise ValidationError({"commitments_found_broken": "Choose commitments of this compact."})


def _check_findings(outcome: str, commitments_found_broken, concern: Concern) -> None:
    if outcome not in FINDINGS:
        raise ValidationError({"outcome": "Choose upheld, partly upheld or not upheld."})
    _check_of_this_compact(commitments_found_broken, concern)
    if outcome == Outcome.NOT_UPHELD and commitments_found_broken:
        raise ValidationError({"commitments_found_broken": "A concern not upheld found no commitment broken."})
    if outcome != Outcome.NOT_UPHELD and not commitments_found_broken:
        raise ValidationError({"commitments_found_broken": "Choose the commitments found broken."})


@transaction.atomic
def formal_outcome_record(
    *,
    concern: Concern,
    actor: User,
    today: datetime.date,
    outcome: str,
    reasons: str,
    commitments_found_broken: list[Commitment] = (),
) -> Concern:
    """The champion gives the formal outcome once the body has responded or its deadline has passed;
    either party may then appeal within the compact's limit."""
    concern, side = _formal_case(concern, actor, (Party.CHAMPION,), "give the formal outcome")
    if concern.formal_decided_on:
        raise ValidationError("The formal outcome has already been given.")
    if not concern.formal_responded_on and not rules.step_overdue(due_by=concern.formal_response_due, today=today):
        raise ValidationError(
            f"Wait for the body's response, due by {concern.formal_response_due:%-d %B %Y}, before giving the outcome."
        )
    _check_findings(outcome, commitments_found_broken, concern)
    if not reasons.strip():
        raise ValidationError({"reasons": "Give the reasons for the outcome."})
    compact = concern.compact
    nation = compact.nation
    concern.formal_outcome = outcome
    concern.formal_outcome_reasons = reasons.strip()
    concern.formal_decided_on = today
    concern.appeal_lodge_by = rules.appeal_lodge_by(today, nation=nation, days=compact.dispute_appeal_lodge_days)
    concern.step = Step.NONE
    concern.step_due_by = None
    _save_step(concern, actor)
    concern.commitments_found_broken.set(commitments_found_broken)
    CaseEvent.objects.create(
        concern=concern,
        kind=EventKind.OUTCOME,
        actor=actor,
        side=side,
        text=f"{concern.get_formal_outcome_display()}. {reasons.strip()}",
    )
    case_notify(
        concern=concern,
        headline=f"formal outcome: {concern.get_formal_outcome_display().lower()}",
        detail=f"Either party may appeal until {concern.appeal_lodge_by:%-d %B %Y}. Reasons: {reasons.strip()}",
    )
    return concern


@transaction.atomic
def appeal_lodge(*, concern: Concern, actor: User, today: datetime.date, grounds: str) -> Concern:
    """Either party appeals the formal outcome within the compact's limit; the panel's clock starts."""
    concern, side = _move(concern, actor, Stage.APPEAL, doing="appeal")
    if not rules.may_appeal(lodge_by=concern.appeal_lodge_by, today=today):
        raise ValidationError(
            "An appeal can be lodged only after the formal outcome, up to "
            + (f"{concern.appeal_lodge_by:%-d %B %Y}." if concern.appeal_lodge_by else "the compact's limit.")
        )
    if not grounds.strip():
        raise ValidationError({"grounds": "Give the grounds of the appeal."})
    compact = concern.compact
    concern.stage = Stage.APPEAL
    concern.appealed_on = today
    concern.appealed_by = side
    concern.appeal_grounds = grounds.strip()
    concern.step = Step.APPEAL_DECISION
    concern.step_due_by = step_due_by(concern, compact)
    _save_step(concern, actor)
    _record(concern, actor, side, Stage.FORMAL, grounds)
    case_notify(
        concern=concern,
        headline="the formal outcome has been appealed",
        detail=f"The dispute panel will decide by {concern.step_due_by:%-d %B %Y}.",
    )
    return concern


@transaction.atomic
def panel_assign(*, concern: Concern, actor: User, member: User) -> PanelAssignment:
    """A champion puts a panel member of the compact on the case; one with a membership in either
    organisation in the case has a conflict of interest and is refused."""
    concern = locked_case(concern)
    acting_side(concern, actor, (Party.CHAMPION,), refusal="Only the compact's champions can assign the panel.")
    if concern.stage not in (Stage.FORMAL, Stage.APPEAL):
        raise ValidationError("A panel is assigned when a case reaches the formal or appeal stage.")
    candidate = selectors.panel_candidates(concern=concern).filter(pk=member.pk).first()
    if candidate is None:
        raise ValidationError({"member": f"{member} is not a dispute panel member of this compact."})
    if candidate.conflicted:
        raise ValidationError(
            {
                "member": f"{member} belongs to an organisation in this case, a conflict of interest, "
                "so cannot sit on its panel."
            }
        )
    assignment = concern.panel_assignments.filter(member=member).first()  # the case is locked: no race
    created = assignment is None
    if created:
        assignment = PanelAssignment(concern=concern, member=member, assigned_by=actor)
        validated_save(assignment, actor)
        CaseEvent.objects.create(
            concern=concern, kind=EventKind.PANEL, actor=actor, side=Party.CHAMPION, text=member.full_name
        )
        case_notify(concern=concern, headline="a panel member has been assigned")
    return assignment


def _finish(
    concern: Concern,
    actor: User,
    side: str,
    *,
    stage: str,
    outcome: str,
    reasons: str,
    today: datetime.date,
    commitments_found_broken=(),
    lessons_learned: str = "",
) -> Concern:
    from_stage = concern.stage
    concern.stage = stage
    concern.outcome = outcome
    concern.outcome_reasons = reasons.strip()
    concern.lessons_learned = lessons_learned.strip()
    concern.closed_on = today
    concern.step = Step.NONE
    concern.step_due_by = None
    _save_step(concern, actor)
    if stage == Stage.CLOSED:
        concern.commitments_found_broken.set(commitments_found_broken)
    _record(concern, actor, side, from_stage, reasons)
    case_notify(
        concern=concern,
        headline=f"the case is {concern.get_stage_display().lower()}: {concern.get_outcome_display().lower()}",
        detail=reasons.strip(),
    )
    return concern


@transaction.atomic
def appeal_decide(
    *,
    concern: Concern,
    actor: User,
    today: datetime.date,
    outcome: str,
    reasons: str,
    commitments_found_broken: list[Commitment] = (),
    lessons_learned: str = "",
) -> Concern:
    """A panel member assigned to the case records the panel's decision, which closes it."""
    concern, side = _move(concern, actor, Stage.CLOSED, doing="decide the appeal", from_stages=(Stage.APPEAL,))
    _check_findings(outcome, commitments_found_broken, concern)
    if not reasons.strip():
        raise ValidationError({"reasons": "Give the panel's reasons."})
    concern.appeal_decided_on = today
    return _finish(
        concern,
        actor,
        side,
        stage=Stage.CLOSED,
        outcome=outcome,
        reasons=reasons,
        today=today,
        commitments_found_broken=commitments_found_broken,
        lessons_learned=lessons_learned,
    )


@transaction.atomic
def concern_close(
    *,
    concern: Concern,
    actor: User,
    today: datetime.date,
    reasons: str,
    outcome: str = "",
    commitments_found_broken: list[Commitment] = (),
    lessons_learned: str = "",
) -> Concern:
    """The champion closes a case: an informal one resolved by agreement, or a formal one on its formal
    outcome once the appeal window has passed without an appeal."""
    concern, side = _move(
        concern, actor, Stage.CLOSED, doing="close the case", from_stages=(Stage.INFORMAL, Stage.FORMAL)
    )
    if concern.stage == Stage.INFORMAL:
        outcome = Outcome.RESOLVED_BY_AGREEMENT
        commitments_found_broken = list(commitments_found_broken)
        _check_of_this_compact(commitments_found_broken, concern)
    else:
        if not rules.may_close_formal(lodge_by=concern.appeal_lodge_by, today=today):
            raise ValidationError(
                "Give the formal outcome first; the case closes once the appeal window has passed."
                if concern.appeal_lodge_by is None
                else f"Either party may still appeal until {concern.appeal_lodge_by:%-d %B %Y}; "
                "close the case after that."
            )
        outcome = concern.formal_outcome
        commitments_found_broken = list(concern.commitments_found_broken.all())
    if not reasons.strip():
        raise ValidationError({"reasons": "Say how the case ended."})
    return _finish(
        concern,
        actor,
        side,
        stage=Stage.CLOSED,
        outcome=outcome,
        reasons=reasons,
        today=today,
        commitments_found_broken=commitments_found_broken,
        lessons_learned=lessons_learned,
    )


@transaction.atomic
def concern_withdraw(*, concern: Concern, actor: User, today: datetime.date, reasons: str = "") -> Concern:
    """The raiser withdraws the concern at any open stage."""
    concern, side = _move(concern, actor, Stage.WITHDRAWN, doing="withdraw the concern")
    return _finish(concern, actor, side, stage=Stage.WITHDRAWN, outcome=Outcome.WITHDRAWN, reasons=reasons, today=today)
