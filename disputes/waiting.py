"""What the disputes process puts on each person's "Waiting for you" list (compact_portal/worklist.py).

- an officer: the concerns about their body waiting for its formal response, and an appeal window open to it;
- a VCS member: each open concern their organisation raised, with the next step and who holds it, or the step
  that is theirs (taking it to the formal stage, appealing) and the end of its window;
- a champion: the steps of their compacts' cases that fall to a champion (acknowledging a concern, starting the
  informal stage, the formal outcome, assigning the panel, closing), where they have no conflict of interest and
  no other champion already steers the case;
- a panel member: the appeals assigned to them or awaiting a panel in their compacts, with any conflict shown,
  and their compacts' cases that no champion can steer;
- an administrator: the cases no champion can steer, to appoint someone without a conflict.

Which steps are whose is ``rules.available_steps``; who has a conflict is ``rules.has_conflict``; whether any
champion can steer a case is ``selectors.cases_nobody_can_steer``. Each item cites the commitment of the case's
compact that carries its disputes procedure (Leicestershire §10, Nottinghamshire KP3.4), or the portal's default
where the compact makes no such promise. Every source reads a fixed number of queries, whatever the number of
cases.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from commitments.models import Champion, MeasurableRule
from commitments.selectors import Promise
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from compact_portal.formatting import long_date

from . import rules, selectors
from .models import Concern, PanelAssignment, Stage, Step
from .rules import CaseStep

# --- What each item cites -----------------------------------------------------------------------------------------

# The promise behind each step, in the compact's own limits.
WHY = {
    "acknowledge": lambda c: f"A champion acknowledges a concern within {c.dispute_acknowledge_days} working days",
    "informal": lambda c: (
        f"The informal stage ends in agreement or escalation within {c.dispute_informal_days} working days"
    ),
    "formal_response": lambda c: (
        f"The body gives its written formal response within {c.dispute_formal_days} working days of escalation "
        f"(one extension of up to {c.dispute_formal_extension_days} more, with reasons)"
    ),
    "formal_outcome": lambda c: "A champion gives the formal outcome once the body has responded or its time is up",
    "appeal_lodge": lambda c: (
        f"Either party may appeal within {c.dispute_appeal_lodge_days} working days of the formal outcome"
    ),
    "appeal_decision": lambda c: (
        f"The dispute panel decides an appeal within {c.dispute_appeal_decision_days} working days"
    ),
    "close": lambda c: "A formal case closes once its appeal window has passed unused",
}
# The promise of the step a case is waiting for (``Concern.step``).
WHY_OF_STEP = {
    Step.ACKNOWLEDGE: "acknowledge",
    Step.INFORMAL: "informal",
    Step.FORMAL_RESPONSE: "formal_response",
    Step.APPEAL_DECISION: "appeal_decision",
}


class Citations:
    """Items citing the clause of each compact that carries its disputes procedure, as its flags cite it
    (``commitments.selectors.Promise``: one query for every compact, on first use)."""

    def __init__(self) -> None:
        self.promise = Promise(MeasurableRule.DISPUTES_PROCESS)

    def item(self, concern: Concern, promise: str, **fields) -> worklist.Waiting:
        """An item about ``concern``, citing ``promise`` (a key of WHY) and its compact's clause."""
        compact = concern.compact
        return worklist.Waiting(
            key=concern.reference,
            why=WHY[promise](compact),
            clause=self.promise.clause(compact),
            compact=compact.name,
            nation=compact.nation,
            **fields,
        )


def _current_promise(concern: Concern) -> str:
    """The promise of the step ``concern`` waits for; once the formal outcome is given, the appeal window's."""
    if concern.step in WHY_OF_STEP:
        return WHY_OF_STEP[concern.step]
    if concern.stage == Stage.FORMAL and concern.formal_decided_on:
        return "appeal_lodge"
    return "formal_outcome" if concern.stage == Stage.FORMAL else "acknowledge"


def _about(concern: Concern, *, sees_raiser: bool) -> str:
    """ "Concern CC-2026-0001 about Portsmouth City Council, raised by Southsea Food Bank" (never a withheld raiser)."""
    raised = f", raised by {concern.raiser.name}" if sees_raiser else ""
    return f"Concern {concern.reference} about {concern.respondent.name}{raised}"


def _case_url(concern: Concern) -> str:
    return reverse("disputes:case_detail", args=[concern.reference])


def _ties(person: worklist.Person, concern: Concern, appointed: dict[int, frozenset[int]]) -> rules.Ties:
    """The person's ties to ``concern``'s organisations from what the worklist already read: their memberships
    (``person``) and their champion appointments by compact (``appointed``)."""
    member_of = frozenset().union(*person.organisations.values())
    return rules.Ties(
        member_of=member_of,
        appointed_in=appointed.get(concern.compact_id, frozenset()),
        raised_it=concern.raised_by_id == person.user.pk,
    )


def _sees_raiser(ties: rules.Ties, concern: Concern) -> bool:
    return rules.sees_raiser(
        ties, raiser_id=concern.raiser_id, respondent_id=concern.respondent_id, withheld=concern.withhold_identity
    )


def _appointments(person: worklist.Person) -> dict[int, frozenset[int]]:
    """{compact id: organisations} of the person's champion appointments (one query)."""
    found: dict[int, set[int]] = {}
    for compact_id, organisation_id in Champion.objects.filter(user=person.user).values_list(
        "compact_id", "organisation_id"
    ):
        found.setdefault(compact_id, set()).add(organisation_id)
    return {compact_id: frozenset(ids) for compact_id, ids in found.items()}


def _open_cases():
    return Concern.objects.filter(stage__in=rules.OPEN).select_related("compact", "raiser", "respondent")


# --- Officers: the body's formal response, and an appeal window ---------------------------------------------------


def _appeal_item(citations: Citations, concern: Concern, role: str, about: str) -> worklist.Waiting:
    return citations.item(
        concern,
        "appeal_lodge",
        role=role,
        kind="concern_appeal_window",
        what=(
            f"{about}: the formal outcome is {concern.get_formal_outcome_display().lower()}; either party may "
            f"appeal until {long_date(concern.appeal_lodge_by)}"
        ),
        action="Decide whether to appeal",
        url=_case_url(concern),
        due=concern.appeal_lodge_by,
    )


def _nobody_to_steer_item(citations: Citations, concern: Concern, role: str, *, sees_raiser: bool) -> worklist.Waiting:
    """A case no champion can steer, for someone who can open it but not steer it (a conflicted champion, a panel
    member of its compact): it waits for someone without a conflict."""
    return citations.item(
        concern,
        _current_promise(concern),
        role=role,
        kind="concern_without_champion",
        what=f"{_about(concern, sees_raiser=sees_raiser)}: {rules.NO_FREE_CHAMPION.lower()}",
        action="See the case",
        url=_case_url(concern),
        due=concern.step_due_by,
        blocked=rules.needs_someone_else(compact=concern.compact.name),
    )


@worklist.source(Role.OFFICER)
def concerns_to_answer(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """Concerns about the officer's bodies at the formal stage waiting for the body's written response, and
    formal outcomes the body may still appeal. Two queries."""
    bodies = person.organisations_as(Role.OFFICER)
    if not bodies:
        return
    cases = list(_open_cases().filter(respondent_id__in=bodies, stage=Stage.FORMAL).order_by("step_due_by", "pk"))
    if not cases:
        return
    citations = Citations()
    for concern in cases:
        steps = rules.available_steps(selectors.case_facts(concern, today=person.today), {rules.RESPONDENT})
        about = _about(concern, sees_raiser=not concern.withhold_identity)
        if CaseStep.RESPOND in steps:
            yield citations.item(
                concern,
                "formal_response",
                role=Role.OFFICER,
                kind="concern_to_answer",
                what=f"{about}: the body's written formal response",
                action="Respond to the concern",
                url=_case_url(concern),
                due=concern.step_due_by,
            )
        elif CaseStep.APPEAL in steps:
            yield _appeal_item(citations, concern, Role.OFFICER, about)


# --- VCS members: their organisation's open concerns --------------------------------------------------------------


def _next_step(concern: Concern, *, stuck: bool) -> str:
    """Where a case stands for the organisation that raised it: the next step and who holds it."""
    due = f", due {long_date(concern.step_due_by)}" if concern.step_due_by else ""
    if stuck:
        return (
            "every champion of the compact has a conflict, so the administrators and the dispute panel are finding "
            f"someone without one to take it on{due}"
        )
    match concern.stage:
        case Stage.RECEIVED:
            return f"waiting for a champion to acknowledge it{due}"
        case Stage.ACKNOWLEDGED:
            return (
                f"waiting for the champion to start the informal stage, which ends by {long_date(concern.step_due_by)}"
            )
        case Stage.FORMAL if concern.step == Step.FORMAL_RESPONSE:
            return f"waiting for {concern.respondent.name}'s formal response{due}"
        case Stage.FORMAL if not concern.formal_decided_on:
            return "waiting for the champion's formal outcome"
        case Stage.FORMAL:
            return "the appeal window has closed; waiting for the champion to close the case"
        case Stage.APPEAL:
            return f"waiting for the dispute panel's decision{due}"
    return f"informal stage{due}"


@worklist.source(Role.VCS_MEMBER)
def concerns_to_follow(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """Each open concern raised by the member's organisations: a step that is theirs to take, with the end of its
    window; otherwise the next step and who holds it. At most four queries."""
    organisations = person.organisations_as(Role.VCS_MEMBER)
    if not organisations:
        return
    cases = list(_open_cases().filter(raiser_id__in=organisations).order_by("step_due_by", "pk"))
    if not cases:
        return
    citations = Citations()
    stuck = selectors.cases_nobody_can_steer(cases)
    for concern in cases:
        steps = rules.available_steps(selectors.case_facts(concern, today=person.today), {rules.RAISER})
        about = _about(concern, sees_raiser=False)  # their own organisation: no need to name it
        if CaseStep.APPEAL in steps:
            yield _appeal_item(citations, concern, Role.VCS_MEMBER, about)
        elif CaseStep.ESCALATE in steps:
            yield citations.item(
                concern,
                "informal",
                role=Role.VCS_MEMBER,
                kind="concern_to_follow",
                what=(
                    f"{about}: informal stage; if dialogue does not reach agreement, you may take the concern to the "
                    f"formal stage by {long_date(concern.step_due_by)}"
                ),
                action="Follow the case, or take it to the formal stage",
                url=_case_url(concern),
                due=concern.step_due_by,
            )
        else:
            yield citations.item(
                concern,
                _current_promise(concern),
                role=Role.VCS_MEMBER,
                kind="concern_to_follow",
                what=f"{about}: {_next_step(concern, stuck=concern.pk in stuck)}",
                action="Follow the case",
                url=_case_url(concern),
                due=concern.step_due_by,
            )


# --- Champions: the steps of their compacts' cases that fall to a champion ----------------------------------------

# The champion's steps a case can wait for, in the order one is picked: (step, the stages at which it waits for a
# champion, the promise, kind, action). Closing an informal case on agreement, or assigning a panel before an
# appeal, is open at any time and so waits for no one.
CHAMPION_STEPS = (
    (CaseStep.ACKNOWLEDGE, {Stage.RECEIVED}, "acknowledge", "concern_to_acknowledge", "Acknowledge the concern"),
    (CaseStep.START_INFORMAL, {Stage.ACKNOWLEDGED}, "informal", "informal_to_start", "Start the informal stage"),
    (CaseStep.FORMAL_OUTCOME, {Stage.FORMAL}, "formal_outcome", "formal_outcome_to_give", "Give the formal outcome"),
    (CaseStep.ASSIGN_PANEL, {Stage.APPEAL}, "appeal_decision", "panel_to_assign", "Assign the dispute panel"),
    (CaseStep.CLOSE, {Stage.FORMAL}, "close", "case_to_close", "Close the case"),
)


@worklist.source(Role.CHAMPION)
def concerns_to_steer(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """In each compact the person champions, the cases waiting for a champion's step that no other champion
    already steers, where the person has no conflict of interest; and the cases they have a conflict in that no
    champion can steer, saying so. Five queries at most."""
    appointed = _appointments(person)
    if not appointed:
        return
    cases = list(
        _open_cases()
        .filter(compact_id__in=appointed)
        .filter(Q(champion__isnull=True) | Q(champion=person.user))  # a case another champion steers is theirs
        .annotate(has_panel=Exists(PanelAssignment.objects.filter(concern=OuterRef("pk"))))
        .order_by("step_due_by", "pk")
    )
    citations = Citations() if cases else None
    conflicted = []
    for concern in cases:
        ties = _ties(person, concern, appointed)
        if rules.has_conflict(ties, raiser_id=concern.raiser_id, respondent_id=concern.respondent_id):
            conflicted.append((concern, ties))
            continue
        steps = rules.available_steps(selectors.case_facts(concern, today=person.today), {rules.CHAMPION})
        for step, stages, promise, kind, action in CHAMPION_STEPS:
            if step not in steps or concern.stage not in stages:
                continue
            if step == CaseStep.ASSIGN_PANEL and concern.has_panel:
                continue
            yield citations.item(
                concern,
                promise,
                role=Role.CHAMPION,
                kind=kind,
                what=f"{_about(concern, sees_raiser=True)}: received {long_date(concern.received_on)}",
                action=action,
                url=_case_url(concern),
                due=concern.step_due_by,
            )
            break
    # A case the person cannot steer for a conflict, that no other champion can either: they are told it waits for
    # someone else, so it is never missed unseen (one more query, for such cases only).
    stuck = selectors.cases_nobody_can_steer(concern for concern, _ties in conflicted)
    for concern, ties in conflicted:
        if concern.pk not in stuck:
            continue
        yield _nobody_to_steer_item(citations, concern, Role.CHAMPION, sees_raiser=_sees_raiser(ties, concern))


# --- Panel members: appeals, and cases no champion can steer -----------------------------------------------------


@worklist.source(Role.PANEL_MEMBER)
def appeals_to_hear(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """The open appeals assigned to the panel member or awaiting a panel in their compacts (``panel_cases``), with
    their conflict of interest shown; and their compacts' open cases no champion can steer. Six queries at most."""
    if not person.organisations_as(Role.PANEL_MEMBER):
        return
    user = person.user
    appeals = list(
        selectors.panel_cases(user=user)
        .filter(stage=Stage.APPEAL)
        .select_related("raiser")
        .annotate(mine=Exists(PanelAssignment.objects.filter(concern=OuterRef("pk"), member=user)))
        .order_by("step_due_by", "pk")
    )
    cases = list(
        selectors.open_cases_of_panel(user=user).select_related("compact", "raiser", "respondent").order_by("pk")
    )
    if not appeals and not cases:
        return
    stuck = selectors.cases_nobody_can_steer(cases)
    appointed = _appointments(person)
    citations = Citations()
    for concern in appeals:
        ties = _ties(person, concern, appointed)
        sits_in = rules.party_sat_in(ties, raiser_id=concern.raiser_id, respondent_id=concern.respondent_id)
        if sits_in is not None:
            party = concern.respondent if sits_in == concern.respondent_id else concern.raiser
            blocked = f"You sit in {party.name}, a party to this concern, so you cannot sit on its panel."
        elif concern.pk in stuck and not concern.mine:
            blocked = rules.needs_someone_else(compact=concern.compact.name)
        elif not concern.mine:
            blocked = "No panel member is assigned yet: a champion of the compact assigns the panel."
        else:
            blocked = ""
        yield citations.item(
            concern,
            "appeal_decision",
            role=Role.PANEL_MEMBER,
            kind="appeal_to_hear",
            what=f"Appeal on {_about(concern, sees_raiser=_sees_raiser(ties, concern))}",
            action="Hear the appeal",
            url=_case_url(concern),
            due=concern.step_due_by,
            blocked=blocked,
        )
    heard = {concern.pk for concern in appeals}
    for concern in cases:
        if concern.pk not in stuck or concern.pk in heard:
            continue
        sees_raiser = _sees_raiser(_ties(person, concern, appointed), concern)
        yield _nobody_to_steer_item(citations, concern, Role.PANEL_MEMBER, sees_raiser=sees_raiser)


# --- Administrators: cases no champion can steer ---------------------------------------------------------------


@worklist.source(Role.ADMINISTRATOR)
def concerns_without_champion(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """Every open case no champion of its compact can steer, to appoint someone without a conflict. The
    administrator cannot open the case, so the item names only its reference and the body it is about (as its
    flags do) and links to the champions' appointments of its compact. Four queries at most."""
    cases = Concern.objects.filter(stage__in=rules.OPEN).only(
        "pk", "compact_id", "raiser_id", "respondent_id", "raised_by_id"
    )
    stuck = selectors.cases_nobody_can_steer(cases)
    if not stuck:
        return
    citations = Citations()
    appoint = reverse("admin:commitments_champion_add")
    for concern in (
        Concern.objects.filter(pk__in=stuck).select_related("compact", "respondent").order_by("step_due_by", "pk")
    ):
        yield citations.item(
            concern,
            _current_promise(concern),
            role=Role.ADMINISTRATOR,
            kind="concern_without_champion",
            what=f"Concern {concern.reference} about {concern.respondent.name}: {rules.NO_FREE_CHAMPION.lower()}",
            action="Appoint a champion without a conflict",
            url=f"{appoint}?compact={concern.compact_id}",
            due=concern.step_due_by,
            blocked=rules.needs_someone_else(compact=concern.compact.name),
        )
