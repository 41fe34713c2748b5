"""Working days of the UK nations, shared by every app's rules (dates in, dates or counts out).

A working day is Monday to Friday and not a bank holiday (substitute days included) of the compact's nation:
England and Wales (Wales shares England's bank holidays), Scotland or Northern Ireland. Every working-day
computation (pay-by dates, working days late or to pay, dispute step deadlines, the at-risk windows) comes
through ``bank_holidays(nation, year)``, which answers from, in this order:

1. GOV.UK's list (https://www.gov.uk/bank-holidays.json, the official source) as last fetched by the weekly
   task ``compact_portal.refresh_bank_holidays`` and stored in ``settings.BANK_HOLIDAYS_DIR`` (see
   ``refresh_stored_copy``), for the years it covers;
2. GOV.UK's list as shipped in the ``govuk-bank-holidays`` package (``BankHolidays(use_cached_holidays=True)``:
   the package's own copy, never a download), for the years it covers;
3. for a year neither copy covers (after the list's last year, or before its first), the rule-based calendar
   of the ``holidays`` library (GB with subdivision ENG, SCT or NIR), its days off from Monday to Friday.

A year's bank holidays come whole from one source. Nothing here fetches anything: only the task does, never a
request. Each nation's and year's days are worked out once per process and kept in memory; a newly stored
copy is noticed within ``STORED_COPY_CHECK_SECONDS``.

The two sources disagree on purpose in places: ``RULES_DIFFER_FROM_GOVUK`` lists the days the ``holidays``
calendar has and GOV.UK does not (Scotland's 15 June 2026), checked by tests/compact_portal/test_working_days.py.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import holidays
import requests
from django.conf import settings
from govuk_bank_holidays.bank_holidays import BankHolidays

logger = logging.getLogger(__name__)

# nation (Compact.nation) -> (the ``holidays`` subdivision of GB, the GOV.UK division)
_NATIONS = {
    "england_wales": ("ENG", BankHolidays.ENGLAND_AND_WALES),
    "scotland": ("SCT", BankHolidays.SCOTLAND),
    "northern_ireland": ("NIR", BankHolidays.NORTHERN_IRELAND),
}
NATION_NAMES = {"england_wales": "England and Wales", "scotland": "Scotland", "northern_ireland": "Northern Ireland"}

# Days off (Monday to Friday) of the ``holidays`` calendar that GOV.UK does not list, or lists on another day,
# in the years both cover. GOV.UK decides; the list only documents the difference (and the test of agreement).
RULES_DIFFER_FROM_GOVUK: dict[str, frozenset[date]] = {
    "england_wales": frozenset(),
    # "Scotland's participation in the FIFA World Cup final" in the holidays library; no bank holiday on GOV.UK.
    "scotland": frozenset({date(2026, 6, 15)}),
    "northern_ireland": frozenset(),
}

STORED_COPY_NAME = "bank-holidays.json"
STORED_COPY_CHECK_SECONDS = 60.0  # how often a process looks whether the stored copy changed
FETCH_TIMEOUT_SECONDS = 30

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5

# year -> that year's days off (Monday to Friday), for every year from the list's first to its last
YearDays = dict[int, frozenset[date]]


def _check_nation(nation: str) -> tuple[str, str]:
    try:
        return _NATIONS[nation]
    except KeyError:
        raise ValueError(f"unknown nation {nation!r}; expected one of {sorted(_NATIONS)}") from None


def _by_year(days: Iterable[date]) -> YearDays:
    weekdays = [day for day in days if day.weekday() < _SATURDAY]
    if not weekdays:
        return {}
    years = {year: set() for year in range(min(weekdays).year, max(weekdays).year + 1)}
    for day in weekdays:
        years[day.year].add(day)
    return {year: frozenset(days) for year, days in years.items()}


def parse_govuk_list(data: object) -> dict[str, YearDays]:
    """nation -> year -> days off, from GOV.UK's JSON (``bank-holidays.json``); ValueError if it is not that
    list: each of the three divisions must be there with its events, each with an ISO date."""
    if not isinstance(data, dict):
        raise ValueError("GOV.UK's bank holidays should be a JSON object of divisions")
    lists = {}
    for nation, (_subdiv, division) in _NATIONS.items():
        try:
            days = [date.fromisoformat(event["date"]) for event in data[division]["events"]]
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"GOV.UK's bank holidays for {division} cannot be read: {error!r}") from None
        lists[nation] = _by_year(days)
        if not lists[nation]:
            raise ValueError(f"GOV.UK's bank holidays list none for {division}")
    return lists


# --- the copies of GOV.UK's list ------------------------------------------------------------------------------


@functools.cache
def _shipped_copy() -> dict[str, YearDays]:
    """The copy of GOV.UK's list shipped in the govuk-bank-holidays package (no download)."""
    shipped = BankHolidays(use_cached_holidays=True)
    return {
        nation: _by_year(holiday["date"] for holiday in shipped.get_holidays(division=division))
        for nation, (_subdiv, division) in _NATIONS.items()
    }


def stored_copy_path() -> Path:
    """Where the refresh task stores GOV.UK's list and where every process reads it."""
    return Path(settings.BANK_HOLIDAYS_DIR) / STORED_COPY_NAME


_stat: tuple[str, float, int | None] | None = None  # (directory, when looked (monotonic), the copy's mtime)


def _stored_copy_version() -> tuple[str, int | None]:
    """(directory, modification time of the stored copy or None): looked up at most once a minute."""
    global _stat
    directory = str(settings.BANK_HOLIDAYS_DIR)
    now = time.monotonic()
    if _stat is None or _stat[0] != directory or now - _stat[1] >= STORED_COPY_CHECK_SECONDS:
        try:
            mtime = os.stat(Path(directory) / STORED_COPY_NAME).st_mtime_ns
        except OSError:
            mtime = None
        _stat = (directory, now, mtime)
    return directory, _stat[2]


def _read_stored_copy(path: Path) -> dict[str, YearDays] | None:
    try:
        return parse_govuk_list(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):  # JSONDecodeError is a ValueError
        logger.warning(
            "The stored bank holidays %s cannot be read; GOV.UK's list as shipped is used", path, exc_info=True
        )
        return None


@functools.lru_cache(maxsize=4)
def _stored_copy(version: tuple[str, int | None]) -> dict[str, YearDays] | None:
    directory, mtime = version
    return None if mtime is None else _read_stored_copy(Path(directory) / STORED_COPY_NAME)


# --- the one answer ---------------------------------------------------------------------------------------------


def bank_holidays(nation: str, year: int) -> frozenset[date]:
    """The bank holidays of ``nation`` in ``year`` that fall Monday to Friday: the days off.

    GOV.UK's list, the stored copy before the shipped one, for the years it covers; the ``holidays`` calendar
    for the years it does not. ValueError for an unknown nation.
    """
    _check_nation(nation)
    return _bank_holidays(nation, year, _stored_copy_version())


@functools.lru_cache(maxsize=1024)
def _bank_holidays(nation: str, year: int, version: tuple[str, int | None]) -> frozenset[date]:
    for copy in (_stored_copy(version), _shipped_copy()):
        if copy is not None and year in copy[nation]:
            return copy[nation][year]
    return rules_bank_holidays(nation, year)


def rules_bank_holidays(nation: str, year: int) -> frozenset[date]:
    """The days off of ``nation`` in ``year`` by the rule-based ``holidays`` calendar (the fallback)."""
    subdiv, _division = _check_nation(nation)
    return frozenset(_by_year(holidays.country_holidays("GB", subdiv=subdiv, years=year)).get(year, ()))


def govuk_years(nation: str) -> range:
    """The years GOV.UK's list (stored or shipped) covers for ``nation``: every other year is rule-based."""
    _check_nation(nation)
    years = set(_shipped_copy()[nation])
    stored = _stored_copy(_stored_copy_version())
    if stored is not None:
        years |= set(stored[nation])
    return range(min(years), max(years) + 1)


def clear_cache() -> None:
    """Forget what this process worked out (the stored copy is looked at again on the next question)."""
    global _stat
    _stat = None
    _stored_copy.cache_clear()
    _bank_holidays.cache_clear()


# --- working-day arithmetic -------------------------------------------------------------------------------------


def is_working_day(day: date, *, nation: str) -> bool:
    """True when ``day`` is Monday to Friday and not a bank holiday in ``nation``."""
    holidays_of_year = bank_holidays(nation, day.year)  # checks the nation, whatever the day
    return day.weekday() < _SATURDAY and day not in holidays_of_year


def add_working_days(start: date, working_days: int, *, nation: str) -> date:
    """The ``working_days``-th working day after ``start`` (``start`` itself never counts, whatever day it is).

    So a step begun on a Friday, Saturday or Sunday has the same deadline, and the result is always a
    working day.
    """
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    day = start
    while working_days:
        day += _ONE_DAY
        if is_working_day(day, nation=nation):
            working_days -= 1
    return day


def working_days_after(start: date, end: date, *, nation: str) -> int:
    """Working days in the half-open interval (start, end]; 0 when ``end`` is on or before ``start``."""
    if end <= start:
        return 0
    first = start + _ONE_DAY
    weeks, rest = divmod((end - first).days + 1, 7)
    weekdays = 5 * weeks + sum(1 for offset in range(rest) if (first.weekday() + offset) % 7 < _SATURDAY)
    days_off = sum(
        1 for year in range(first.year, end.year + 1) for day in bank_holidays(nation, year) if first <= day <= end
    )
    return weekdays - days_off


# --- refreshing the stored copy (the weekly task; never at request time) ----------------------------------------


def fetch_govuk_list() -> object:
    """GOV.UK's list of bank holidays, downloaded now (the decoded JSON). Raises on any failure."""
    response = requests.get(BankHolidays.source_url, timeout=FETCH_TIMEOUT_SECONDS)
    response.raise_for_status()
    return response.json()


def _changes(fresh: dict[str, YearDays]) -> list[str]:
    """The days off that the fresh list changes, against what the portal counted until now."""
    changes = []
    for nation, years in fresh.items():
        for year, days in sorted(years.items()):
            before = bank_holidays(nation, year)
            added = ", ".join(f"{day:%d %B %Y}" for day in sorted(days - before))
            dropped = ", ".join(f"{day:%d %B %Y}" for day in sorted(before - days))
            if added:
                changes.append(f"{NATION_NAMES[nation]}: {added} now a bank holiday")
            if dropped:
                changes.append(f"{NATION_NAMES[nation]}: {dropped} now a working day")
    return changes


def refresh_stored_copy() -> str:
    """Fetch GOV.UK's list and store it in ``settings.BANK_HOLIDAYS_DIR``, where every process reads it.

    Returns "stored", "unchanged" (the same days off as the stored copy: not written again) or "kept": the
    fetch failed, or what came back is not the list, which is logged, and the copy already stored (or else
    the shipped one) stays in use. The file is replaced atomically, so a reader never sees half of it.
    Deadlines already stored on records are not counted again: a changed day off is logged with how to
    (``manage.py recompute_deadlines``).
    """
    try:
        data = fetch_govuk_list()
        fresh = parse_govuk_list(data)
    except Exception:  # noqa: BLE001 - no network, an HTTP error, not JSON, not the list: keep what we have
        logger.warning("Could not fetch GOV.UK's bank holidays; the copy in use is kept", exc_info=True)
        return "kept"
    path = stored_copy_path()
    if path.exists() and _read_stored_copy(path) == fresh:
        logger.info("GOV.UK's bank holidays are unchanged")
        return "unchanged"
    changes = _changes(fresh)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as file:
        json.dump(data, file, ensure_ascii=False)
    try:
        os.replace(file.name, path)
    except OSError:
        os.unlink(file.name)
        raise
    clear_cache()
    logger.info("Stored GOV.UK's bank holidays in %s", path)
    if changes:
        logger.warning(
            "GOV.UK's bank holidays changed (%s). Deadlines already stored on records are not counted again; "
            "run `manage.py recompute_deadlines` to count those of open records again.",
            "; ".join(changes),
        )
    return "stored"
