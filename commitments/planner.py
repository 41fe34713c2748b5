"""The deadline planner: from what a public body intends for funding (end, reduce or change it on a day, or start
new funding), the latest day for each step the compact requires before then (the Compact impact assessment of
Nottinghamshire KP3.1).

Each app registers the steps its rules set from its own ``planning.py``, found when Django starts
(``CommitmentsConfig.ready``), so this module imports no app::

    planner.register_step(
        "notice_by",
        label="Give written notice",
        rule=MeasurableRule.NOTICE_PERIOD,
        kinds=CHANGES,
        latest_by=lambda planning: rules.latest_notice_date(planning.effective, months=planning.compact.notice_months),
        explanation=lambda planning, day: "...",
    )

A step's ``latest_by`` works back with its app's pure ``rules.py`` and may read the days of steps worked out
before it (``needs``, by key: the consultation closes the day before notice). A step that is not ``owed`` (notice,
where the compact excepts an end fixed from the start) is still worked out, so the steps counted from it keep
their day, but is not listed. ``plan`` lists the steps in date order, each citing the compact's own clause for
its promise (``commitments.selectors.cite``) or the portal's default.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection
from dataclasses import dataclass

from compact_portal.formatting import long_date
from compact_portal.working_days import NATION_NAMES, is_working_day

KINDS = ("end", "reduce", "change", "new")  # funding.models.ProposalKind's values


@dataclass(frozen=True)
class Planning:
    """What a plan is worked out from: the compact (its settings and nation), the kind of change, the day it takes
    effect, whether the end was fixed from the start, and the days of the steps worked out so far, by key."""

    compact: object  # commitments.models.Compact
    kind: str
    effective: datetime.date
    fixed_end: bool
    planned: dict[str, datetime.date]


@dataclass(frozen=True)
class PlannedStep:
    """One step and the latest day for it. ``to_do`` is False for a day to know rather than a step to take (the
    earliest end of the minimum term): it is listed, but waits for no one."""

    key: str
    label: str
    latest_by: datetime.date
    clause: str
    explanation: str
    to_do: bool = True


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    rule: str  # the MeasurableRule whose commitment the step cites
    kinds: frozenset[str]
    latest_by: Callable[[Planning], datetime.date | None]
    explanation: Callable[[Planning, datetime.date], str]
    needs: tuple[str, ...] = ()
    owed: Callable[[Planning], bool] | None = None
    to_do: bool = True


_STEPS: dict[str, Step] = {}


def register_step(
    key: str,
    *,
    label: str,
    rule: str,
    kinds: Collection[str],
    latest_by: Callable[[Planning], datetime.date | None],
    explanation: Callable[[Planning, datetime.date], str],
    needs: Collection[str] = (),
    owed: Callable[[Planning], bool] | None = None,
    to_do: bool = True,
) -> Step:
    """Register a step of the plan. ``latest_by`` gives its latest day (None: not for this plan) from the
    ``Planning``, whose ``planned`` holds the days of the steps named in ``needs``; ``explanation`` says how that
    day was counted. The same module registering a key again replaces it; another module's is refused."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds of change for step {key}: {sorted(unknown)}")
    step = Step(
        key=key,
        label=label,
        rule=str(rule),
        kinds=frozenset(kinds),
        latest_by=latest_by,
        explanation=explanation,
        needs=tuple(needs),
        owed=owed,
        to_do=to_do,
    )
    existing = _STEPS.get(key)
    if existing is not None and existing.latest_by.__module__ != latest_by.__module__:
        raise ValueError(f"a planner step {key!r} is already registered by {existing.latest_by.__module__}")
    _STEPS[key] = step
    return step


def registered_steps() -> list[Step]:
    return list(_STEPS.values())


def step_to_do(key: str) -> bool:
    """Whether the step ``key`` is something to do (not a day to know); an unknown key counts as one."""
    step = _STEPS.get(key)
    return step is None or step.to_do


def plan(*, compact, kind: str, effective: datetime.date, fixed_end: bool = False) -> list[PlannedStep]:
    """The steps ``compact`` requires before a change of ``kind`` taking effect on ``effective``, each with its
    latest day, in date order (then the order they were registered in). One query: the compact's clauses."""
    from commitments.selectors import cite  # selectors import the models; this module is imported by apps' ready

    if kind not in KINDS:
        raise ValueError(f"the kind of change must be one of {', '.join(KINDS)}, not {kind!r}")
    planned: dict[str, datetime.date] = {}
    listed: list[tuple[Step, datetime.date]] = []
    pending = [step for step in _STEPS.values() if kind in step.kinds]
    while pending:
        ready = [step for step in pending if all(need in planned for need in step.needs)]
        if not ready:  # what they need is not planned for this kind: they are not either
            break
        for step in ready:
            pending.remove(step)
            planning = Planning(compact=compact, kind=kind, effective=effective, fixed_end=fixed_end, planned=planned)
            day = step.latest_by(planning)
            if day is None:
                continue
            planned[step.key] = day
            if step.owed is None or step.owed(planning):
                listed.append((step, day))
    order = {key: index for index, key in enumerate(_STEPS)}
    listed.sort(key=lambda pair: (pair[1], order[pair[0].key]))
    final = Planning(compact=compact, kind=kind, effective=effective, fixed_end=fixed_end, planned=dict(planned))
    return [
        PlannedStep(
            key=step.key,
            label=step.label,
            latest_by=day,
            clause=cite(compact=compact, rule=step.rule),
            explanation=_with_working_day(step.explanation(final, day), day, compact.nation, to_do=step.to_do),
            to_do=step.to_do,
        )
        for step, day in listed
    ]


def last_working_day(day: datetime.date, *, nation: str) -> datetime.date:
    """``day`` itself when it is a working day of ``nation``, otherwise the last working day before it."""
    while not is_working_day(day, nation=nation):
        day -= datetime.timedelta(days=1)
    return day


def _with_working_day(text: str, day: datetime.date, nation: str, *, to_do: bool) -> str:
    """The explanation, saying when the latest day is not a working day in the compact's nation (a weekend or one of
    its bank holidays), and the last working day before it: the compact's rule counts calendar days, but an office
    closed that day cannot act on it."""
    if not to_do or is_working_day(day, nation=nation):
        return text
    before = last_working_day(day, nation=nation)
    place = NATION_NAMES.get(nation, nation)
    return (
        f"{text} {long_date(day)} is not a working day in {place}: the last working day before it is "
        f"{before:%A} {long_date(before)}."
    )
