"""Every write to a proposal that changes funding, and to its planned steps, goes through here.

A proposal is what a public body intends (end, reduce or change funding from a day, or start new funding) under a
compact. Its steps are the deadline planner's (``commitments.planner``): the latest day for each step the compact
requires, stored with the proposal and stored again whenever its compact, kind, day or fixed end change (a step
already done keeps the day it was done). Once it goes ahead, the steps not done wait in its officers' worklist
and calendar (``funding/waiting.py``).

Only the funder's officers plan, change and move a proposal on (``funding/selectors/proposals.py``); anyone else
is refused with ``PermissionDenied`` (``actor=None`` is a command or a job, acting for no one). Each function
validates with ``full_clean()`` and saves in one transaction, its history crediting ``actor``.
"""

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from commitments import planner
from commitments.models import Compact, Organisation
from compact_portal.accounts.models import User
from compact_portal.formatting import long_date
from compact_portal.one_time import once
from compact_portal.services import check_fields, validated_save

from ..models import FundingRelationship, Proposal, ProposalStatus, ProposalStep
from ..selectors import proposals as may

PROPOSAL_FIELDS = frozenset({"title", "compact", "kind", "effective_date", "fixed_end", "relationships", "notes"})
PLAN_INPUTS = ("compact_id", "kind", "effective_date", "fixed_end")  # what the steps are counted from
OPEN_STATUSES = (ProposalStatus.DRAFT, ProposalStatus.GOING_AHEAD)


def _refuse_unless_planner(actor: User | None, funder: Organisation) -> None:
    if actor is not None and not may.funders_planned_by(user=actor).filter(pk=funder.pk).exists():
        raise PermissionDenied("Only the funder's officers plan its proposals.")


def _refuse_unless_open(proposal: Proposal) -> None:
    if proposal.status not in OPEN_STATUSES:
        raise ValidationError("This proposal was withdrawn; it can no longer be changed.")


def _check(proposal: Proposal, relationships: list[FundingRelationship] | None, today: datetime.date) -> None:
    errors = {}
    if proposal.effective_date is not None and proposal.effective_date < today:
        errors["effective_date"] = (
            f"Plan a change still to come: the day it takes effect is before today ({long_date(today)})."
        )
    if (
        proposal.compact_id
        and not may.compacts_of(funders=Organisation.objects.filter(pk=proposal.funder_id))
        .filter(pk=proposal.compact_id)
        .exists()
    ):
        errors["compact"] = f"{proposal.funder} has not signed {proposal.compact}; plan under a compact it has signed."
    if relationships and proposal.compact_id:
        allowed = set(
            may.relationships_of(funder_id=proposal.funder_id, compact_id=proposal.compact_id).values_list(
                "pk", flat=True
            )
        )
        if any(relationship.pk not in allowed for relationship in relationships):
            errors["relationships"] = (
                "Choose only the funder's own funding under this compact that has not ended or been declined."
            )
    if errors:
        raise ValidationError(errors)


def _store_steps(proposal: Proposal) -> bool:
    """The planner's steps for the proposal, stored in date order; a step done before, still planned, keeps its
    day done. False, and nothing written, when the steps stored are already the planner's."""
    stored = list(proposal.steps.order_by("position"))
    planned = planner.plan(
        compact=proposal.compact, kind=proposal.kind, effective=proposal.effective_date, fixed_end=proposal.fixed_end
    )
    clause_length = ProposalStep._meta.get_field("clause").max_length
    if [(step.key, step.latest_by, step.label, step.clause) for step in stored] == [
        (step.key, step.latest_by, step.label, step.clause[:clause_length]) for step in planned
    ]:
        return False
    done = {step.key: step.done_on for step in stored if step.done_on is not None}
    proposal.steps.all().delete()
    steps = [
        ProposalStep(
            proposal=proposal,
            key=step.key,
            label=step.label,
            latest_by=step.latest_by,
            clause=step.clause[:clause_length],
            done_on=done.get(step.key),
            position=position,
        )
        for position, step in enumerate(planned)
    ]
    for step in steps:
        step.full_clean(exclude=["proposal"])
    ProposalStep.objects.bulk_create(steps)
    return True


def proposals_follow_compact(*, compact: Compact, today: datetime.date) -> int:
    """A compact's rule settings (or bank holidays) changed: the steps of its proposals still open and still to
    take effect are planned again (``funding/services/deadlines.py`` calls this). Returns how many changed."""
    proposals = Proposal.objects.filter(compact=compact, status__in=OPEN_STATUSES, effective_date__gte=today)
    changed = 0
    for proposal in proposals:
        proposal.compact = compact  # the new settings, without a query per proposal
        changed += _store_steps(proposal)
    return changed


@transaction.atomic
def proposal_create(
    *,
    actor: User | None,
    funder: Organisation,
    today: datetime.date,
    relationships: Iterable[FundingRelationship] = (),
    submission_key: uuid.UUID | None = None,
    **fields: Any,
) -> Proposal:
    """Plan a change to funding: the proposal, as a draft, with the planner's steps stored. ``relationships`` are
    the funding it touches (none: the page shows the funder's funding under the compact running on the day).
    Refused for a day before ``today``, or under a compact the funder has not signed. Made once per
    ``submission_key``."""
    check_fields(fields, PROPOSAL_FIELDS - {"relationships"})
    _refuse_unless_planner(actor, funder)
    chosen = list(relationships)

    def record() -> Proposal:
        proposal = Proposal(funder=funder, created_by=actor, **fields)
        proposal.title = (proposal.title or "").strip()
        _check(proposal, chosen, today)
        validated_save(proposal, actor)
        proposal.relationships.set(chosen)
        _store_steps(proposal)
        return proposal

    return once(key=submission_key, actor=actor, model=Proposal, create=record)[0]


@transaction.atomic
def proposal_update(*, proposal: Proposal, actor: User | None, today: datetime.date, **changes: Any) -> Proposal:
    """Change a proposal's details; its steps are stored again from the planner when its compact, kind, day or
    fixed end change. Refused once withdrawn, and for a new day before ``today``."""
    check_fields(changes, PROPOSAL_FIELDS)
    _refuse_unless_planner(actor, proposal.funder)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _refuse_unless_open(proposal)
    before = tuple(getattr(proposal, name) for name in PLAN_INPUTS)
    effective_before = proposal.effective_date
    chosen = changes.pop("relationships", None)
    chosen = list(chosen) if chosen is not None else None
    for name, value in changes.items():
        setattr(proposal, name, value)
    proposal.title = (proposal.title or "").strip()
    # A day already passed may stay as it was; a new one must still be to come.
    _check(proposal, chosen, today if proposal.effective_date != effective_before else datetime.date.min)
    validated_save(proposal, actor)
    if chosen is not None:
        proposal.relationships.set(chosen)
    if tuple(getattr(proposal, name) for name in PLAN_INPUTS) != before:
        _store_steps(proposal)
    return proposal


@transaction.atomic
def proposal_go_ahead(*, proposal: Proposal, actor: User | None) -> Proposal:
    """The proposal goes ahead: its steps not done wait in its officers' worklist and calendar. A proposal already
    going ahead is left as it is."""
    _refuse_unless_planner(actor, proposal.funder)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _refuse_unless_open(proposal)
    if proposal.status != ProposalStatus.GOING_AHEAD:
        proposal.status = ProposalStatus.GOING_AHEAD
        validated_save(proposal, actor)
    return proposal


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, actor: User | None) -> Proposal:
    """The body no longer intends the change: the proposal is kept, withdrawn, and its steps leave the worklist."""
    _refuse_unless_planner(actor, proposal.funder)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ProposalStatus.WITHDRAWN:
        proposal.status = ProposalStatus.WITHDRAWN
        validated_save(proposal, actor)
    return proposal


@transaction.atomic
def step_done(
    *, step: ProposalStep, actor: User | None, today: datetime.date, done_on: datetime.date | None
) -> ProposalStep:
    """Record the day a step was done (None: not done after all); not after ``today``. The proposal's history
    records the change, crediting ``actor``."""
    proposal = Proposal.objects.select_for_update().get(pk=step.proposal_id)
    _refuse_unless_planner(actor, proposal.funder)
    _refuse_unless_open(proposal)
    if not planner.step_to_do(step.key):
        raise ValidationError(f"“{step.label}” is a day to know, not a step to take.")
    if done_on is not None and done_on > today:
        raise ValidationError({"done_on": f"A step cannot be done after today ({long_date(today)})."})
    step.done_on = done_on
    step.full_clean()
    step.save(update_fields=["done_on"])
    validated_save(proposal, actor)
    return step


def plan_preview(
    *, compact: Compact, kind: str, effective: datetime.date, fixed_end: bool = False
) -> list[planner.PlannedStep]:
    """The planner's steps for a proposal not saved (the form's preview and the command)."""
    return planner.plan(compact=compact, kind=kind, effective=effective, fixed_end=fixed_end)
