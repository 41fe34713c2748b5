"""What is waiting for each person: the "Waiting for you" page, the e-mail digest's body and the calendar feed.

Each app says what waits in its own ``waiting.py`` (found by ``autodiscover_modules`` when this app is ready), so
this package never imports the apps. A source is a function registered for one role::

    @worklist.source(Role.OFFICER)
    def invoices_to_pay(person: Person) -> Iterable[Waiting]:
        ...

It is given the person (``Person``: the user, today, and the organisations in which they hold the role) and
yields ``Waiting`` items. ``waiting_for`` calls the sources of every role the person holds and sorts what they
give: late first (the latest first), then by the nearest date, then the rest. The page, the digest and the feed
all read ``waiting_for``, so they never disagree.

A source must ask only for what the person may see and link only to pages that open for them; its queries
must not grow with the data (one or a few per source, whatever the number of records).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compact_portal import formatting, working_days

if TYPE_CHECKING:
    from compact_portal.accounts.models import User

DEFAULT_NATION = "england_wales"  # the nations of compact_portal.working_days


@dataclass(frozen=True)
class Person:
    """Who the worklist is for, as of ``today`` (taken once where the request or job starts)."""

    user: User
    today: datetime.date
    # The organisations in which the person holds each role: {role: frozenset of organisation ids}.
    organisations: dict[str, frozenset[int]] = field(default_factory=dict)
    # When they were last here: their last sign-in, or, on a page of the visit that sign-in began, the one before.
    last_visit: datetime.datetime | None = None

    def organisations_as(self, role: str) -> frozenset[int]:
        return self.organisations.get(role, frozenset())


@dataclass(frozen=True)
class Waiting:
    """One thing waiting for a person: what it is, why (the commitment and the clause that holds it), by when,
    and the one action to take, at a page that opens for them."""

    role: str  # the Role the person holds that puts it on their list
    kind: str  # what sort of thing it is, stable across runs ("invoice_to_pay")
    key: str  # the record it is about, unique with ``kind`` ("invoice-12"): the calendar's event id
    what: str  # "Invoice INV-1 from Southsea Food Bank, £3,125.00"
    action: str  # the one thing to do: "Record the payment"
    url: str  # a path that opens for this person
    why: str = ""  # the commitment: "Invoices are paid within 10 working days"
    clause: str = ""  # the compact's clause that holds the promise, or the portal's default
    compact: str = ""  # the compact's name, where there is one
    due: datetime.date | None = None  # by when; None for something with no date (an application to decide)
    nation: str = DEFAULT_NATION  # whose bank holidays count the working days left
    blocked: str = ""  # why the person cannot act themselves, when that is the point ("every champion has a conflict")

    @property
    def uid(self) -> str:
        return f"{self.kind}-{self.key}"

    def days_late(self, today: datetime.date) -> int:
        """Calendar days past the date (0 when not late or undated)."""
        return max(0, (today - self.due).days) if self.due else 0

    def is_late(self, today: datetime.date) -> bool:
        return self.due is not None and self.due < today

    def working_days_left(self, today: datetime.date) -> int | None:
        """Working days from today to the date, the date counted and today not (None when late or undated)."""
        if self.due is None or self.due < today:
            return None
        return working_days.working_days_after(today, self.due, nation=self.nation)

    def when(self, today: datetime.date) -> str:
        """By when, in words: "4 December 2026, 3 working days left", "today", "12 days late"."""
        if self.due is None:
            return "No date set"
        on = formatting.long_date(self.due)
        if self.due < today:
            late = self.days_late(today)
            return f"{on}, {late} day{'s' if late != 1 else ''} late"
        if self.due == today:
            return f"{on}, today"
        left = self.working_days_left(today)
        return f"{on}, {left} working day{'s' if left != 1 else ''} left"

    def sort_key(self, today: datetime.date) -> tuple:
        if self.due is None:
            return (2, datetime.date.max, self.kind, self.key)
        if self.due < today:
            return (0, self.due, self.kind, self.key)  # the latest (oldest date) first
        return (1, self.due, self.kind, self.key)


Source = Callable[[Person], Iterable[Waiting]]
_SOURCES: dict[str, list[Source]] = {}


def source(role: str) -> Callable[[Source], Source]:
    """Register a function that says what waits for people holding ``role``."""

    def register(function: Source) -> Source:
        sources = _SOURCES.setdefault(str(role), [])
        if function not in sources:
            sources.append(function)
        return function

    return register


def sources_of(role: str) -> list[Source]:
    return list(_SOURCES.get(str(role), ()))


def person_for(user: User, today: datetime.date, *, signed_in_now: bool = False) -> Person:
    """The person with the organisations of each role they hold (one query). ``signed_in_now``: asked during a
    visit (a page), so their last visit is the sign-in before this one; otherwise (an e-mail, a feed) their last
    sign-in."""
    from compact_portal.accounts.models import Membership

    organisations: dict[str, set[int]] = {}
    if user.is_authenticated and user.is_active:
        for role, organisation_id in Membership.objects.filter(user=user).values_list("role", "organisation_id"):
            organisations.setdefault(role, set()).add(organisation_id)
    last_visit = getattr(user, "previous_login", None) if signed_in_now else getattr(user, "last_login", None)
    return Person(
        user=user,
        today=today,
        organisations={role: frozenset(ids) for role, ids in organisations.items()},
        last_visit=last_visit,
    )


def waiting_for(user: User, today: datetime.date, *, signed_in_now: bool = False) -> dict[str, list[Waiting]]:
    """Everything waiting for ``user`` on ``today``, by role (in the order of ``Role``), each list most urgent
    first; a role with nothing waiting is left out. The same thing is listed once per role. ``signed_in_now`` as
    ``person_for``: True on a page the person is looking at."""
    from compact_portal.accounts.roles import Role

    if not user.is_authenticated or not user.is_active:
        return {}
    person = person_for(user, today, signed_in_now=signed_in_now)
    held = user.roles
    found: dict[str, list[Waiting]] = {}
    for role in Role.values:
        if role not in held:
            continue
        items: dict[str, Waiting] = {}
        for function in sources_of(role):
            for item in function(person):
                items.setdefault(item.uid, item)
        if items:
            found[role] = sorted(items.values(), key=lambda item: item.sort_key(today))
    return found


def all_waiting(found: dict[str, list[Waiting]], today: datetime.date) -> list[Waiting]:
    """One list across roles, most urgent first, each thing once (the calendar's events)."""
    once: dict[str, Waiting] = {}
    for items in found.values():
        for item in items:
            once.setdefault(item.uid, item)
    return sorted(once.values(), key=lambda item: item.sort_key(today))
