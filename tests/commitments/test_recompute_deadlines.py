"""After GOV.UK's bank holidays change, stored deadlines stay as they were until ``recompute_deadlines`` counts
those of open records again (closed records keep theirs).

The change: a Scottish compact's invoices were dated with Monday 15 June 2026 as a bank holiday (the
``holidays`` library's calendar, here a stored copy of the list that had it); GOV.UK has no such day.
Received Monday 1 June 2026: payable by Tuesday 16 June with the day off, by Monday 15 June without.
"""

import copy
import datetime
import json
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from govuk_bank_holidays.bank_holidays import BankHolidays

from compact_portal import working_days
from funding.models import Invoice
from tests.commitments.factories import CompactFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory, pay_in_full

pytestmark = pytest.mark.django_db

RECEIVED = datetime.date(2026, 6, 1)
OLD_PAY_BY = datetime.date(2026, 6, 16)
PAY_BY = datetime.date(2026, 6, 15)


@pytest.fixture
def stored_dir(settings, tmp_path):
    settings.BANK_HOLIDAYS_DIR = tmp_path
    working_days.clear_cache()
    yield tmp_path
    working_days.clear_cache()


@pytest.fixture
def old_calendar(stored_dir):
    """A stored list with 15 June 2026 as a Scottish bank holiday."""
    data = copy.deepcopy(BankHolidays.load_backup_data())
    data["scotland"]["events"].append({"title": "Old day", "date": "2026-06-15", "notes": "", "bunting": True})
    (stored_dir / working_days.STORED_COPY_NAME).write_text(json.dumps(data))
    working_days.clear_cache()


@pytest.fixture
def invoices(old_calendar):
    scotland = AwardedFundingFactory(compact=CompactFactory(name="Highland Compact", nation="scotland"))
    england = AwardedFundingFactory(compact=CompactFactory(name="Southsea Compact", nation="england_wales"))
    unpaid = InvoiceFactory(relationship=scotland, invoice_number="SCT-OPEN", received_date=RECEIVED)
    paid = InvoiceFactory(relationship=scotland, invoice_number="SCT-PAID", received_date=RECEIVED)
    pay_in_full(paid, datetime.date(2026, 6, 16))
    english = InvoiceFactory(relationship=england, invoice_number="ENG-OPEN", received_date=RECEIVED)
    return unpaid, paid, english


def _govuk_refresh():
    """The weekly task fetches GOV.UK's list, which has no 15 June 2026."""
    with mock.patch.object(working_days, "fetch_govuk_list", return_value=BankHolidays.load_backup_data()):
        assert working_days.refresh_stored_copy() == "stored"


def test_a_refreshed_list_does_not_move_stored_deadlines_and_the_command_moves_open_ones(invoices):
    unpaid, paid, english = invoices
    assert Invoice.objects.get(pk=unpaid.pk).pay_by == OLD_PAY_BY

    _govuk_refresh()
    assert working_days.is_working_day(PAY_BY, nation="scotland")
    assert Invoice.objects.get(pk=unpaid.pk).pay_by == OLD_PAY_BY  # not counted again by itself

    out = StringIO()
    call_command("recompute_deadlines", "--as-of", "2026-06-10", stdout=out)

    assert Invoice.objects.get(pk=unpaid.pk).pay_by == PAY_BY
    assert Invoice.objects.get(pk=paid.pk).pay_by == OLD_PAY_BY  # paid: judged by the date of the day
    assert Invoice.objects.get(pk=english.pk).pay_by == PAY_BY  # never had the day off
    assert "highland-compact: 1 record with new deadlines" in out.getvalue()
    assert "southsea-compact: 0 records" in out.getvalue()
    history = Invoice.objects.get(pk=unpaid.pk).history.first()
    assert history.history_change_reason == "Command: recompute_deadlines"


def test_the_command_can_take_one_compact(invoices):
    unpaid, _paid, _english = invoices
    _govuk_refresh()

    call_command("recompute_deadlines", "--compact", "southsea-compact", stdout=StringIO())
    assert Invoice.objects.get(pk=unpaid.pk).pay_by == OLD_PAY_BY

    call_command("recompute_deadlines", "--compact", "highland-compact", stdout=StringIO())
    assert Invoice.objects.get(pk=unpaid.pk).pay_by == PAY_BY


def test_run_again_the_command_saves_nothing(invoices):
    _govuk_refresh()
    call_command("recompute_deadlines", stdout=StringIO())
    out = StringIO()
    call_command("recompute_deadlines", stdout=out)
    assert "0 records saved" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--compact", "nowhere"], "No compact has the slug 'nowhere'", id="unknown-compact"),
        pytest.param(["--as-of", "15/06/2026"], "YYYY-MM-DD", id="bad-date"),
    ],
)
def test_the_command_refuses_what_it_cannot_use(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("recompute_deadlines", *args, stdout=StringIO())
