"""The state machine: received → acknowledged → informal → formal → appeal → closed, or withdrawn.

Every step locks the case and asks ``acting_side``, which refuses what ``rules.step_refusal`` refuses
(PermissionDenied when the actor's part in the case does not allow the step, ValidationError when the case's
state does not); then it stores the next step's deadline, writes the timeline and queues the e-mails.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from commitments.models import Commitment, RecordType
from commitments.services.live import recheck_on_commit
from compact_portal.accounts.models import User
from compact_portal.services import validated_save

from .. import rules, selectors
from ..models import FINDINGS, CaseEvent, Concern, EventKind, Outcome, PanelAssignment, Stage, Step
from ..rules import CaseStep
from .deadlines import step_due_by
from .emails import Notice, case_notify


def locked_case(concern: Concern) -> Concern:
    """The case's row, locked for the rest of the transaction, with its compact."""
    return (
        Concern.objects.select_for_update(of=("self",))
        .select_related("compact", "raised_by", "champion")
        .get(pk=concern.pk)
    )


def side_or_refusal(
    concern: Concern, actor: User, step: CaseStep, *, today: datetime.date | None = None
) -> tuple[str, None] | tuple[None, rules.Refusal]:
    """The part ``actor`` takes ``step`` in on ``concern`` (locked) on ``today``, or why they may not: exactly
    ``rules.step_refusal``, so a step is taken when, and only when, the case page offers it. The steps that do
    not depend on the day (notes, documents, the panel) pass no ``today``; the day it is stands in."""
    parties = selectors.case_access(user=actor, concern=concern).parties
    refusal = rules.step_refusal(step, selectors.case_facts(concern, today=today or timezone.localdate()), parties)
    if refusal is not None:
        return None, refusal
    return rules.acting_side(step, parties), None


def refuse(refusal: rules.Refusal) -> None:
    """Raise ``refusal``: PermissionDenied when the person's part in the case does not allow the step, else
    ValidationError (the case's state does not), with the refusal's words."""
    raise (PermissionDenied if refusal.by_part else ValidationError)(refusal.message)


def acting_side(concern: Concern, actor: User, step: CaseStep, *, today: datetime.date | None = None) -> str:
    """The part ``actor`` takes ``step`` in on ``concern`` (locked) on ``today``; raises the refusal instead
    when they may not take it now (``side_or_refusal``)."""
    side, refusal = side_or_refusal(concern, actor, step, today=today)
    if refusal is not None:
        refuse(refusal)
    return side


def _take(concern: Concern, actor: User, step: CaseStep, *, today: datetime.date | None) -> tuple[Concern, str]:
    """The case locked, and the part ``actor`` takes ``step`` in; raises when they may not (``acting_side``)."""
    concern = locked_case(concern)
    return concern, acting_side(concern, actor, step, today=today)


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
    concern, side = _take(concern, actor, CaseStep.ACKNOWLEDGE, today=today)
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
        notice=Notice.ACKNOWLEDGED,
        headline="the concern is acknowledged",
        detail=f"{actor.full_name} will facilitate the informal dialogue between the parties.",
    )
    return concern


@transaction.atomic
def informal_start(*, concern: Concern, actor: User, today: datetime.date, note: str = "") -> Concern:
    """The champion opens the informal stage: dialogue between the parties, facilitated by the champion."""
    concern, side = _take(concern, actor, CaseStep.START_INFORMAL, today=today)
    concern.stage = Stage.INFORMAL
    concern.informal_started_on = today
    _save_step(concern, actor)
    _record(concern, actor, side, Stage.ACKNOWLEDGED, note)
    case_notify(concern=concern, notice=Notice.INFORMAL, headline="the informal stage has begun", detail=note.strip())
    return concern


@transaction.atomic
def formal_escalate(*, concern: Concern, actor: User, today: datetime.date, reasons: str) -> Concern:
    """The raiser takes the concern to the formal stage when informal dialogue has failed."""
    concern, side = _take(concern, actor, CaseStep.ESCALATE, today=today)
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
        notice=Notice.FORMAL,
        headline="the concern has gone to the formal stage",
        detail=f"{concern.respondent} is asked for a written response by {concern.formal_response_due:%-d %B %Y}.",
    )
    return concern


@transaction.atomic
def formal_extend(*, concern: Concern, actor: User, today: datetime.date, days: int, reasons: str) -> Concern:
    """Extend the body's formal response deadline once, by up to the compact's limit, with reasons."""
    concern, side = _take(concern, actor, CaseStep.EXTEND, today=today)
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
        notice=Notice.EXTENDED,
        headline=f"the formal response is extended by {days} working days",
        detail=f"New deadline: {concern.formal_response_due:%-d %B %Y}. Reasons: {reasons.strip()}",
    )
    return concern


@transaction.atomic
def formal_respond(*, concern: Concern, actor: User, today: datetime.date, response: str) -> Concern:
    """The body concerned gives its written formal response to the Dispute Resolution Subgroup."""
    concern, side = _take(concern, actor, CaseStep.RESPOND, today=today)
    if not response.strip():
        raise ValidationError({"response": "Write the body's response."})
    concern.formal_response = response.strip()
    concern.formal_responded_on = today
    concern.step = Step.NONE
    concern.step_due_by = None
    _save_step(concern, actor)
    CaseEvent.objects.create(concern=concern, kind=EventKind.RESPONSE, actor=actor, side=side, text=response.strip())
    case_notify(concern=concern, notice=Notice.RESPONDED, headline="the body has given its formal response")
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
    concern, side = _take(concern, actor, CaseStep.FORMAL_OUTCOME, today=today)
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
        notice=Notice.FORMAL_OUTCOME,
        headline=f"formal outcome: {concern.get_formal_outcome_display().lower()}",
        detail=f"Either party may appeal until {concern.appeal_lodge_by:%-d %B %Y}. Reasons: {reasons.strip()}",
    )
    return concern


@transaction.atomic
def appeal_lodge(*, concern: Concern, actor: User, today: datetime.date, grounds: str) -> Concern:
    """Either party appeals the formal outcome within the compact's limit; the panel's clock starts."""
    concern, side = _take(concern, actor, CaseStep.APPEAL, today=today)
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
        notice=Notice.APPEALED,
        headline="the formal outcome has been appealed",
        detail=f"The dispute panel will decide by {concern.step_due_by:%-d %B %Y}.",
    )
    return concern


@transaction.atomic
def panel_assign(*, concern: Concern, actor: User, member: User) -> PanelAssignment:
    """A champion puts a panel member of the compact on the case; one with a membership in either
    organisation in the case has a conflict of interest and is refused."""
    concern, side = _take(concern, actor, CaseStep.ASSIGN_PANEL, today=None)
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
        CaseEvent.objects.create(concern=concern, kind=EventKind.PANEL, actor=actor, side=side, text=member.full_name)
        case_notify(concern=concern, notice=Notice.PANEL_ASSIGNED, headline="a panel member has been assigned")
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
        notice=Notice.FINISHED,
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
    concern, side = _take(concern, actor, CaseStep.DECIDE_APPEAL, today=today)
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
    concern, side = _take(concern, actor, CaseStep.CLOSE, today=today)
    if concern.stage == Stage.INFORMAL:
        outcome = Outcome.RESOLVED_BY_AGREEMENT
        commitments_found_broken = list(commitments_found_broken)
        _check_of_this_compact(commitments_found_broken, concern)
    else:
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
    concern, side = _take(concern, actor, CaseStep.WITHDRAW, today=today)
    return _finish(concern, actor, side, stage=Stage.WITHDRAWN, outcome=Outcome.WITHDRAWN, reasons=reasons, today=today)
