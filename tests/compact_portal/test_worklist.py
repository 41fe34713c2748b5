"""The worklist's own arithmetic and order (compact_portal/worklist.py); what each app lists is tested in its app."""

import datetime

import pytest

from compact_portal import worklist
from compact_portal.accounts.roles import Role

D = datetime.date
FRIDAY = D(2026, 12, 4)


def item(due, kind="thing", key="1", **fields):
    return worklist.Waiting(
        role=Role.OFFICER, kind=kind, key=key, what="A thing", action="Do it", url="/", due=due, **fields
    )


@pytest.mark.parametrize(
    ("due", "said"),
    [
        (D(2026, 12, 3), "3 December 2026, 1 day late"),
        (D(2026, 11, 20), "20 November 2026, 14 days late"),
        (FRIDAY, "4 December 2026, today"),
        (D(2026, 12, 7), "7 December 2026, 1 working day left"),  # Monday: the weekend does not count
        (D(2026, 12, 5), "5 December 2026, 0 working days left"),  # Saturday
        (
            D(2026, 12, 29),
            "29 December 2026, 15 working days left",
        ),  # Christmas Day and Boxing Day (the 28th) do not count
        (None, "No date set"),
    ],
)
def test_by_when_in_words(due, said):
    assert item(due).when(FRIDAY) == said


def test_the_default_nation_is_one_the_working_days_know():
    assert item(D(2026, 12, 8)).working_days_left(FRIDAY) == 2


def test_late_first_the_latest_first_then_the_nearest_date_then_the_undated():
    things = [
        item(None, key="undated"),
        item(D(2026, 12, 10), key="next week"),
        item(D(2026, 12, 1), key="3 days late"),
        item(FRIDAY, key="today"),
        item(D(2026, 11, 1), key="a month late"),
    ]
    ordered = sorted(things, key=lambda thing: thing.sort_key(FRIDAY))
    assert [thing.key for thing in ordered] == ["a month late", "3 days late", "today", "next week", "undated"]


@pytest.mark.django_db
def test_each_thing_is_listed_once_per_role_and_only_for_roles_held(monkeypatch, officer):
    monkeypatch.setattr(worklist, "_SOURCES", {})

    @worklist.source(Role.OFFICER)
    def twice(person):
        yield item(FRIDAY, key="same")
        yield item(FRIDAY, key="same")

    @worklist.source(Role.CHAMPION)
    def not_held(person):
        yield item(FRIDAY, key="champion's")

    found = worklist.waiting_for(officer, FRIDAY)

    assert list(found) == [Role.OFFICER]
    assert [thing.key for thing in found[Role.OFFICER]] == ["same"]
