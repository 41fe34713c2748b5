"""Working days come from GOV.UK's list of bank holidays (compact_portal/working_days.py): the copy the weekly
task stored, else the copy shipped in govuk-bank-holidays, and past the list's last year the rule-based
``holidays`` calendar. Nothing is downloaded except by the refresh task (its fetch is mocked here).

The dates by hand, from https://www.gov.uk/bank-holidays:
- Scotland: no bank holiday on Monday 15 June 2026 (the ``holidays`` library has one); St Andrew's Day Monday
  30 November 2026; 2 January, Friday 2 January 2026;
- Northern Ireland: St Patrick's Day Tuesday 17 March 2026; Battle of the Boyne Monday 12 July 2027;
- England and Wales: Easter Monday 6 April 2026 (Good Friday 3 April, everywhere); the summer bank holiday
  Monday 31 August 2026 (Scotland's is Monday 3 August).
"""

import copy
import datetime
import json
from unittest import mock

import pytest
import requests
from govuk_bank_holidays.bank_holidays import BankHolidays

from compact_portal import working_days
from compact_portal.celery import BEAT_SCHEDULE
from compact_portal.tasks import refresh_bank_holidays
from disputes import rules as dispute_rules
from funding import rules as funding_rules
from tests.commitments.factories import CompactFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory

ENG = "england_wales"
SCT = "scotland"
NIR = "northern_ireland"
NATIONS = [ENG, SCT, NIR]
DIVISION = {ENG: "england-and-wales", SCT: "scotland", NIR: "northern-ireland"}
D = datetime.date


@pytest.fixture(autouse=True)
def _fresh_cache():
    working_days.clear_cache()
    yield
    working_days.clear_cache()


@pytest.fixture
def stored_dir(settings, tmp_path):
    settings.BANK_HOLIDAYS_DIR = tmp_path / "bank-holidays"
    return settings.BANK_HOLIDAYS_DIR


def shipped_json() -> dict:
    """GOV.UK's JSON as the package ships it (a copy to change)."""
    return copy.deepcopy(BankHolidays.load_backup_data())


def with_event(data: dict, nation: str, day: datetime.date, title: str = "A new bank holiday") -> dict:
    data[DIVISION[nation]]["events"].append({"title": title, "date": day.isoformat(), "notes": "", "bunting": True})
    return data


def without_years_after(data: dict, last_year: int) -> dict:
    for division in data.values():
        division["events"] = [event for event in division["events"] if int(event["date"][:4]) <= last_year]
    return data


def store(stored_dir, data: dict) -> None:
    stored_dir.mkdir(parents=True, exist_ok=True)
    (stored_dir / working_days.STORED_COPY_NAME).write_text(json.dumps(data))
    working_days.clear_cache()


# --- GOV.UK's list and the holidays calendar ------------------------------------------------------------------


@pytest.mark.parametrize("nation", NATIONS)
def test_govuk_and_the_holidays_calendar_agree_on_every_year_both_cover_but_the_documented_days(nation):
    years = working_days.govuk_years(nation)
    assert years.start <= 2018  # the shipped list: 2012 to 2028 in version 0.19
    assert years.stop > 2027
    documented = working_days.RULES_DIFFER_FROM_GOVUK[nation]
    differences = set()
    for year in years:
        govuk = working_days.bank_holidays(nation, year)
        rules = working_days.rules_bank_holidays(nation, year)
        differences |= govuk ^ rules
    assert differences <= documented, f"undocumented differences: {sorted(differences - documented)}"
    for day in documented:  # each documented day is one GOV.UK does not list: it is a working day in the portal
        assert day not in working_days.bank_holidays(nation, day.year)
        assert working_days.is_working_day(day, nation=nation)


def test_scotlands_15_june_2026_is_a_working_day_though_the_holidays_calendar_has_it():
    assert D(2026, 6, 15) in working_days.rules_bank_holidays(SCT, 2026)
    assert D(2026, 6, 15) not in working_days.bank_holidays(SCT, 2026)
    assert working_days.is_working_day(D(2026, 6, 15), nation=SCT)
    # received Monday 1 June: 2-5 June, 8-12 June, then Monday 15 June is the 10th working day
    assert funding_rules.payment_due_by(D(2026, 6, 1), nation=SCT) == D(2026, 6, 15)
    assert funding_rules.working_days_to_pay(received=D(2026, 6, 12), paid=D(2026, 6, 16), nation=SCT) == 2
    # a concern received Wednesday 10 June is acknowledged by the 5th working day, Wednesday 17 June
    assert dispute_rules.acknowledge_due_by(D(2026, 6, 10), nation=SCT) == D(2026, 6, 17)
    # on Friday 12 June the invoices at risk are those due by the 2nd working day after, Tuesday 16 June
    assert funding_rules.payment_at_risk_until(D(2026, 6, 12), nation=SCT) == D(2026, 6, 16)
    assert dispute_rules.step_at_risk_until(D(2026, 6, 12), nation=SCT) == D(2026, 6, 17)


def test_working_days_are_counted_without_any_download():
    with mock.patch("requests.get", side_effect=AssertionError("nothing may be downloaded")) as get:
        for nation in NATIONS:
            for year in range(2010, 2032):
                working_days.bank_holidays(nation, year)
            funding_rules.payment_due_by(D(2026, 12, 18), nation=nation)
    get.assert_not_called()


def test_each_nation_and_year_is_worked_out_once():
    with mock.patch.object(working_days, "rules_bank_holidays", wraps=working_days.rules_bank_holidays) as rules:
        for _ in range(3):
            assert working_days.bank_holidays(SCT, 2031) == working_days.bank_holidays(SCT, 2031)
            working_days.add_working_days(D(2031, 12, 20), 10, nation=SCT)
    assert {call.args for call in rules.call_args_list} == {(SCT, 2031), (SCT, 2032)}
    assert working_days.bank_holidays(SCT, 2031) is working_days.bank_holidays(SCT, 2031)


def test_an_unknown_nation_is_refused():
    with pytest.raises(ValueError, match="unknown nation"):
        working_days.bank_holidays("wales", 2026)
    with pytest.raises(ValueError, match="unknown nation"):
        working_days.is_working_day(D(2026, 6, 13), nation="wales")  # a Saturday: the nation is still checked


@pytest.mark.parametrize("nation", NATIONS)
def test_counting_working_days_matches_adding_them(nation):
    for start in (D(2025, 12, 1), D(2026, 3, 1), D(2026, 6, 1), D(2028, 12, 1)):
        for days in (1, 5, 10, 20, 60):
            end = working_days.add_working_days(start, days, nation=nation)
            assert working_days.working_days_after(start, end, nation=nation) == days
            assert working_days.working_days_after(start, end - datetime.timedelta(days=1), nation=nation) == days - 1


# --- each nation's invoices on both sides of its own bank holidays --------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("nation", "received", "pay_by"),
    [
        # Scotland: 15 June 2026 is a working day (GOV.UK), so nothing moves around it
        pytest.param(SCT, D(2026, 6, 1), D(2026, 6, 15), id="sct-15-june-2026-is-the-10th-day"),
        pytest.param(SCT, D(2026, 6, 5), D(2026, 6, 19), id="sct-over-15-june-2026"),
        pytest.param(ENG, D(2026, 6, 5), D(2026, 6, 19), id="eng-over-15-june-2026-the-same"),
        # Scotland: St Andrew's Day, Monday 30 November 2026
        pytest.param(SCT, D(2026, 11, 13), D(2026, 11, 27), id="sct-before-st-andrews"),
        pytest.param(SCT, D(2026, 11, 16), D(2026, 12, 1), id="sct-over-st-andrews"),
        pytest.param(ENG, D(2026, 11, 16), D(2026, 11, 30), id="eng-st-andrews-a-working-day"),
        # Scotland: 2 January, Friday 2 January 2026
        pytest.param(SCT, D(2025, 12, 11), D(2025, 12, 29), id="sct-before-2-january"),
        pytest.param(SCT, D(2025, 12, 18), D(2026, 1, 7), id="sct-over-2-january"),
        pytest.param(ENG, D(2025, 12, 18), D(2026, 1, 6), id="eng-2-january-a-working-day"),
        # Northern Ireland: Battle of the Boyne, Monday 12 July 2027
        pytest.param(NIR, D(2027, 6, 25), D(2027, 7, 9), id="nir-before-the-boyne"),
        pytest.param(NIR, D(2027, 6, 28), D(2027, 7, 13), id="nir-over-the-boyne"),
        pytest.param(ENG, D(2027, 6, 28), D(2027, 7, 12), id="eng-12-july-a-working-day"),
        # Northern Ireland: St Patrick's Day, Tuesday 17 March 2026
        pytest.param(NIR, D(2026, 3, 2), D(2026, 3, 16), id="nir-before-st-patricks"),
        pytest.param(NIR, D(2026, 3, 3), D(2026, 3, 18), id="nir-over-st-patricks"),
        pytest.param(ENG, D(2026, 3, 3), D(2026, 3, 17), id="eng-st-patricks-a-working-day"),
        # England and Wales: Easter Monday, 6 April 2026 (Good Friday 3 April everywhere)
        pytest.param(ENG, D(2026, 3, 19), D(2026, 4, 2), id="eng-before-easter"),
        pytest.param(ENG, D(2026, 3, 23), D(2026, 4, 8), id="eng-over-easter"),
        pytest.param(SCT, D(2026, 3, 23), D(2026, 4, 7), id="sct-easter-monday-a-working-day"),
        # England and Wales: the summer bank holiday, Monday 31 August 2026
        pytest.param(ENG, D(2026, 8, 14), D(2026, 8, 28), id="eng-before-august-bank-holiday"),
        pytest.param(ENG, D(2026, 8, 17), D(2026, 9, 1), id="eng-over-august-bank-holiday"),
        pytest.param(SCT, D(2026, 8, 17), D(2026, 8, 31), id="sct-31-august-a-working-day"),
    ],
)
def test_an_invoices_stored_pay_by_date_skips_its_nations_own_bank_holidays(nation, received, pay_by):
    funding = AwardedFundingFactory(compact=CompactFactory(name=f"Compact of {nation}", nation=nation))
    invoice = InvoiceFactory(relationship=funding, received_date=received)

    invoice.refresh_from_db()
    assert invoice.pay_by == pay_by
    assert funding_rules.working_days_to_pay(received=received, paid=pay_by, nation=nation) == 10


# --- after the list's last year: the holidays calendar --------------------------------------------------------


@pytest.mark.parametrize("nation", NATIONS)
def test_after_the_shipped_lists_last_year_the_holidays_calendar_takes_over(nation):
    last = working_days.govuk_years(nation)[-1]
    shipped = working_days.parse_govuk_list(shipped_json())[nation]
    assert working_days.bank_holidays(nation, last) == shipped[last]
    assert working_days.bank_holidays(nation, last + 1) == working_days.rules_bank_holidays(nation, last + 1)
    assert working_days.bank_holidays(nation, last + 5) == working_days.rules_bank_holidays(nation, last + 5)


def test_a_list_ending_in_2025_leaves_2026_to_the_holidays_calendar_and_its_15_june(monkeypatch):
    short = working_days.parse_govuk_list(without_years_after(shipped_json(), 2025))
    monkeypatch.setattr(working_days, "_shipped_copy", lambda: short)
    working_days.clear_cache()

    assert working_days.govuk_years(SCT)[-1] == 2025
    assert not working_days.is_working_day(D(2026, 6, 15), nation=SCT)
    assert funding_rules.payment_due_by(D(2026, 6, 1), nation=SCT) == D(2026, 6, 16)
    # counting across the switch-over: received Wednesday 24 December 2025, GOV.UK's days off to the year's
    # end (25, 26 December; 1, 2 January from the calendar), then 29, 30, 31 December, 5 to 9, 12, 13 January
    assert funding_rules.payment_due_by(D(2025, 12, 24), nation=SCT) == D(2026, 1, 13)


def test_a_stored_copy_moves_the_switch_over_to_its_own_last_year(stored_dir):
    data = shipped_json()
    made_up = D(2029, 6, 18)  # a Monday no calendar has
    for nation in NATIONS:
        for day in working_days.rules_bank_holidays(nation, 2029):
            with_event(data, nation, day)
    store(stored_dir, with_event(data, SCT, made_up))

    assert working_days.govuk_years(SCT)[-1] == 2029
    assert working_days.bank_holidays(SCT, 2029) == working_days.rules_bank_holidays(SCT, 2029) | {made_up}
    assert not working_days.is_working_day(made_up, nation=SCT)
    assert working_days.is_working_day(made_up, nation=ENG)
    assert working_days.bank_holidays(SCT, 2030) == working_days.rules_bank_holidays(SCT, 2030)


def test_years_the_stored_copy_no_longer_lists_come_from_the_shipped_one(stored_dir):
    data = shipped_json()
    for division in data.values():  # GOV.UK publishes a few years only: keep 2026 and 2027
        division["events"] = [event for event in division["events"] if event["date"][:4] in ("2026", "2027")]
    store(stored_dir, with_event(data, ENG, D(2026, 6, 15)))

    assert D(2026, 6, 15) in working_days.bank_holidays(ENG, 2026)  # the stored copy's year
    assert working_days.bank_holidays(ENG, 2015) == working_days.parse_govuk_list(shipped_json())[ENG][2015]
    assert working_days.bank_holidays(ENG, 2028) == working_days.parse_govuk_list(shipped_json())[ENG][2028]


def test_an_unreadable_stored_copy_is_logged_and_the_shipped_one_used(stored_dir, caplog):
    stored_dir.mkdir(parents=True)
    (stored_dir / working_days.STORED_COPY_NAME).write_text("<html>Service unavailable</html>")

    assert working_days.is_working_day(D(2026, 6, 15), nation=SCT)
    assert not working_days.is_working_day(D(2026, 11, 30), nation=SCT)
    assert "cannot be read" in caplog.text


def test_another_process_notices_a_newly_stored_copy_within_the_check_interval(stored_dir, monkeypatch):
    assert working_days.is_working_day(D(2026, 6, 15), nation=SCT)
    store_without_clearing = with_event(shipped_json(), SCT, D(2026, 6, 15))
    stored_dir.mkdir(parents=True)
    (stored_dir / working_days.STORED_COPY_NAME).write_text(json.dumps(store_without_clearing))

    assert working_days.is_working_day(D(2026, 6, 15), nation=SCT)  # looked at less than a minute ago
    clock = working_days.time.monotonic() + working_days.STORED_COPY_CHECK_SECONDS
    monkeypatch.setattr(working_days.time, "monotonic", lambda: clock)
    assert not working_days.is_working_day(D(2026, 6, 15), nation=SCT)


# --- the weekly refresh -----------------------------------------------------------------------------------------


def test_the_refresh_is_scheduled_weekly():
    entry = BEAT_SCHEDULE["bank-holidays"]
    assert entry["task"] == "compact_portal.refresh_bank_holidays"
    assert len(entry["schedule"].day_of_week) == 1
    assert len(entry["schedule"].hour) == 1
    assert len(entry["schedule"].minute) == 1


def test_the_fetch_asks_govuk_with_a_time_limit():
    response = mock.Mock(**{"json.return_value": {"scotland": {}}})
    with mock.patch("requests.get", return_value=response) as get:
        assert working_days.fetch_govuk_list() == {"scotland": {}}
    get.assert_called_once_with("https://www.gov.uk/bank-holidays.json", timeout=working_days.FETCH_TIMEOUT_SECONDS)
    response.raise_for_status.assert_called_once_with()


def test_the_task_stores_the_fetched_list_where_the_portal_reads_it(stored_dir, caplog):
    fetched = with_event(shipped_json(), NIR, D(2027, 7, 13), title="Made-up day")
    with mock.patch.object(working_days, "fetch_govuk_list", return_value=fetched):
        assert refresh_bank_holidays.apply().get() == "stored"

    assert json.loads((stored_dir / working_days.STORED_COPY_NAME).read_text()) == fetched
    assert not working_days.is_working_day(D(2027, 7, 13), nation=NIR)
    assert working_days.is_working_day(D(2027, 7, 13), nation=ENG)
    assert "Northern Ireland: 13 July 2027 now a bank holiday" in caplog.text
    assert "recompute_deadlines" in caplog.text
    assert list(stored_dir.iterdir()) == [stored_dir / working_days.STORED_COPY_NAME]  # no temporary file left


def test_the_same_list_again_is_not_written_again(stored_dir):
    with mock.patch.object(working_days, "fetch_govuk_list", return_value=shipped_json()):
        assert working_days.refresh_stored_copy() == "stored"
        written = (stored_dir / working_days.STORED_COPY_NAME).stat().st_mtime_ns
        assert working_days.refresh_stored_copy() == "unchanged"
    assert (stored_dir / working_days.STORED_COPY_NAME).stat().st_mtime_ns == written


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(requests.ConnectionError("no route to www.gov.uk"), id="no-network"),
        pytest.param(requests.HTTPError("503 Service Unavailable"), id="http-error"),
        pytest.param(ValueError("Expecting value: line 1 column 1"), id="not-json"),
    ],
)
def test_a_failed_fetch_is_logged_and_keeps_the_stored_list(stored_dir, caplog, failure):
    old = with_event(shipped_json(), SCT, D(2026, 6, 15), title="Stored before")
    store(stored_dir, old)
    before = (stored_dir / working_days.STORED_COPY_NAME).read_text()

    with mock.patch.object(working_days, "fetch_govuk_list", side_effect=failure):
        assert refresh_bank_holidays.apply().get() == "kept"

    assert (stored_dir / working_days.STORED_COPY_NAME).read_text() == before
    assert not working_days.is_working_day(D(2026, 6, 15), nation=SCT)  # the stored list still counts
    assert "Could not fetch GOV.UK's bank holidays" in caplog.text


@pytest.mark.parametrize(
    "fetched",
    [
        pytest.param({"error": "rate limited"}, id="no-divisions"),
        pytest.param([], id="not-an-object"),
        pytest.param({"england-and-wales": {"events": []}, "scotland": {}, "northern-ireland": {}}, id="empty"),
        pytest.param(
            with_event(shipped_json(), ENG, D(2026, 6, 15)) | {"scotland": {"events": [{"date": "15/06/2026"}]}},
            id="bad-date",
        ),
    ],
)
def test_a_fetched_list_that_is_not_govuks_keeps_the_old_one(stored_dir, caplog, fetched):
    with mock.patch.object(working_days, "fetch_govuk_list", return_value=fetched):
        assert working_days.refresh_stored_copy() == "kept"

    assert not (stored_dir / working_days.STORED_COPY_NAME).exists()
    assert working_days.is_working_day(D(2026, 6, 15), nation=SCT)  # the shipped list, as before
    assert "Could not fetch GOV.UK's bank holidays" in caplog.text
