"""A compact's rule settings change through ``compact_settings_update``: from the admin, from load_compacts or
directly. Open records' stored deadlines follow, closed ones keep theirs, the change is in the compact's history,
and one re-check of the compact's flags is queued for when the change commits.

Each app's own edges are tested beside it (tests/funding, tests/consultations, tests/disputes
``test_deadlines.py``); the invoices here are the simplest record whose deadline follows a setting:
received Tuesday 6 April 2027, payable by Tuesday 20 April under 10 working days, by Tuesday 27 April under 15.
"""

import datetime
import json
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from commitments.models import Compact, FlagStatus, Nation, RecordType, RuleKey
from commitments.services import COMPACT_FIXTURES, compact_settings_update, compacts_load
from compact_portal.audit import audit_context
from compact_portal.working_days import is_working_day
from funding import services as funding_services
from funding.models import Invoice
from funding.rules import payment_at_risk_until, payment_due_by
from tests.commitments.factories import CompactFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory, pay_in_full

pytestmark = pytest.mark.django_db

RECEIVED = datetime.date(2027, 4, 6)
PAY_BY_10 = datetime.date(2027, 4, 20)
PAY_BY_15 = datetime.date(2027, 4, 27)
PAID = datetime.date(2027, 4, 22)  # the 12th working day after receipt: late under 10, in time under 15


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact")


@pytest.fixture
def funding(compact):
    return AwardedFundingFactory(compact=compact)


@pytest.fixture
def unpaid(funding):
    return InvoiceFactory(relationship=funding, invoice_number="INV-OPEN", received_date=RECEIVED)


@pytest.fixture
def paid(funding):
    invoice = InvoiceFactory(relationship=funding, invoice_number="INV-PAID", received_date=RECEIVED)
    pay_in_full(invoice, PAID)
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def part_paid(funding):
    invoice = InvoiceFactory(relationship=funding, invoice_number="INV-PART", received_date=RECEIVED)
    funding_services.payment_record(invoice=invoice, actor=None, paid_date=PAID, today=PAID, amount=Decimal("100.00"))
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def delay():
    """``recheck_records.delay`` replaced by a mock: what each settings change queues."""
    with mock.patch("commitments.tasks.recheck_records.delay") as delay:
        yield delay


def forget_setup_callbacks() -> None:
    """Drop what setting up registered to run on commit: the test's transaction never commits, so none of it
    would run, and the re-check under test must be the settings change's own."""
    connection.run_on_commit.clear()


# --- The service ---------------------------------------------------------------------------------


def test_open_invoices_get_new_pay_by_dates_and_paid_ones_keep_theirs(compact, unpaid, paid, part_paid, administrator):
    assert unpaid.pay_by == paid.pay_by == part_paid.pay_by == PAY_BY_10
    assert paid.working_days_to_pay == 12

    compact_settings_update(compact=compact, actor=administrator, payment_working_days=15)

    unpaid.refresh_from_db()
    paid.refresh_from_db()
    part_paid.refresh_from_db()
    assert unpaid.pay_by == PAY_BY_15
    assert part_paid.pay_by == PAY_BY_15  # something is still owed: it is open
    assert paid.pay_by == PAY_BY_10  # judged paid late under 10 days: that stays what was promised
    assert paid.working_days_to_pay == 12


def test_the_change_is_in_the_compacts_history_with_the_actor(compact, unpaid, administrator):
    compact_settings_update(compact=compact, actor=administrator, payment_working_days=15)

    latest, previous = compact.history.order_by("-history_date", "-history_id")[:2]
    assert (previous.payment_working_days, latest.payment_working_days) == (10, 15)
    assert latest.history_user == administrator
    compact.refresh_from_db()
    assert compact.payment_working_days == 15


def test_each_moved_record_has_a_history_record_crediting_the_actor(compact, unpaid, paid, administrator):
    paid_history = paid.history.count()

    compact_settings_update(compact=compact, actor=administrator, payment_working_days=15)

    latest = unpaid.history.latest()
    assert latest.pay_by == PAY_BY_15
    assert latest.history_user == administrator
    assert latest.history_change_reason == "Rule settings of Southsea Compact changed"
    assert unpaid.history.earliest().pay_by == PAY_BY_10
    assert paid.history.count() == paid_history  # a closed record is not touched


def test_a_change_of_nation_counts_working_days_with_the_other_bank_holidays(compact, funding, administrator):
    # Scotland's summer bank holiday is Monday 2 August 2027; England's is Monday 30 August.
    invoice = InvoiceFactory(relationship=funding, received_date=datetime.date(2027, 7, 26))
    assert invoice.pay_by == datetime.date(2027, 8, 9)

    compact_settings_update(compact=compact, actor=administrator, nation=Nation.SCOTLAND)

    invoice.refresh_from_db()
    assert invoice.pay_by == datetime.date(2027, 8, 10)


def test_settings_equal_to_the_stored_ones_change_nothing_and_queue_nothing(
    compact, unpaid, administrator, delay, django_capture_on_commit_callbacks
):
    history = compact.history.count()
    forget_setup_callbacks()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        compact_settings_update(compact=compact, actor=administrator, payment_working_days=10, nation="england_wales")

    assert callbacks == []
    delay.assert_not_called()
    assert compact.history.count() == history


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"payment_working_days": 0}, "payment_working_days"),
        ({"payment_working_days": 61}, "payment_working_days"),
        ({"notice_months": 0}, "notice_months"),
        ({"consultation_min_weeks": 53}, "consultation_min_weeks"),
        ({"dispute_informal_days": 0}, "dispute_informal_days"),
        ({"nation": "wales"}, "nation"),
    ],
)
def test_an_invalid_setting_is_refused_and_nothing_changes(compact, unpaid, administrator, changes, field):
    with pytest.raises(ValidationError) as refused:
        compact_settings_update(compact=compact, actor=administrator, **changes)

    assert field in refused.value.message_dict
    compact.refresh_from_db()
    unpaid.refresh_from_db()
    assert compact.payment_working_days == 10
    assert unpaid.pay_by == PAY_BY_10


def test_only_rule_settings_are_changed_through_it(compact, administrator):
    with pytest.raises(TypeError, match="name"):
        compact_settings_update(compact=compact, actor=administrator, name="Renamed")


def test_one_recheck_of_the_compact_is_queued_per_settings_change(
    compact, unpaid, administrator, delay, django_capture_on_commit_callbacks
):
    forget_setup_callbacks()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        compact_settings_update(
            compact=compact, actor=administrator, payment_working_days=15, notice_months=4, dispute_formal_days=25
        )

    assert len(callbacks) == 1
    delay.assert_called_once()
    queued = delay.call_args.kwargs
    assert queued["compact_ids"] == [compact.pk]
    assert queued["records"] == {}
    assert queued["cause"].startswith("Rule settings of Southsea Compact changed")


def test_a_refused_change_queues_no_recheck(compact, administrator, delay, django_capture_on_commit_callbacks):
    forget_setup_callbacks()

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError):
        compact_settings_update(compact=compact, actor=administrator, payment_working_days=0)

    assert callbacks == []
    delay.assert_not_called()


def test_another_compacts_records_are_not_touched(compact, unpaid, administrator):
    other = CompactFactory(name="Fratton Compact")
    elsewhere = InvoiceFactory(relationship=AwardedFundingFactory(compact=other), received_date=RECEIVED)

    compact_settings_update(compact=compact, actor=administrator, payment_working_days=15)

    elsewhere.refresh_from_db()
    assert elsewhere.pay_by == PAY_BY_10


# --- The admin -----------------------------------------------------------------------------------

ADMIN_FIELDS = (
    "name", "slug", "area", "summary", "source_document", "status", "nation",
    "consultation_min_weeks", "feedback_due_weeks", "notice_months", "decision_lead_months", "min_funding_years",
    "payment_working_days", "monitoring_small_below", "monitoring_small_returns", "monitoring_medium_below",
    "monitoring_medium_returns", "monitoring_large_returns", "dispute_acknowledge_days", "dispute_informal_days",
    "dispute_formal_days", "dispute_formal_extension_days", "dispute_appeal_lodge_days", "dispute_appeal_decision_days",
    "meeting_threshold", "slipping_threshold",
)  # fmt: skip


def admin_post(compact: Compact, **changes) -> dict:
    """The admin change form of ``compact`` as posted, with ``changes``."""
    data = {name: getattr(compact, name) for name in ADMIN_FIELDS}
    data |= {"adopted_date": compact.adopted_date or "", "next_review_date": compact.next_review_date or ""}
    if compact.notice_excepts_fixed_end:
        data["notice_excepts_fixed_end"] = "on"
    data |= {
        "principles-TOTAL_FORMS": 0,
        "principles-INITIAL_FORMS": 0,
        "principles-MIN_NUM_FORMS": 0,
        "principles-MAX_NUM_FORMS": 1000,
    }
    return data | changes


def test_the_admin_change_page_moves_open_invoices_and_keeps_paid_ones(
    client_for, administrator, compact, unpaid, paid, delay, django_capture_on_commit_callbacks
):
    client = client_for("administrator")
    forget_setup_callbacks()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:commitments_compact_change", args=[compact.pk]),
            admin_post(compact, payment_working_days=15, summary="Refreshed in 2027."),
        )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    unpaid.refresh_from_db()
    paid.refresh_from_db()
    compact.refresh_from_db()
    assert unpaid.pay_by == PAY_BY_15
    assert paid.pay_by == PAY_BY_10
    assert (compact.payment_working_days, compact.summary) == (15, "Refreshed in 2027.")
    assert compact.history.latest().history_user == administrator
    assert unpaid.history.latest().history_user == administrator
    delay.assert_called_once()
    assert delay.call_args.kwargs["compact_ids"] == [compact.pk]


def test_the_admin_saves_other_fields_as_before_without_a_recheck(
    client_for, compact, unpaid, delay, django_capture_on_commit_callbacks
):
    client = client_for("administrator")
    forget_setup_callbacks()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:commitments_compact_change", args=[compact.pk]), admin_post(compact, area="Southsea")
        )

    assert response.status_code == 302
    compact.refresh_from_db()
    assert compact.area == "Southsea"
    delay.assert_not_called()


def test_a_new_review_date_in_the_admin_rechecks_the_compacts_review_at_once(
    client_for, compact, django_capture_on_commit_callbacks, tasks_run_in_process
):
    """Leicestershire §8: a review date moved into the past flags the compact without a scheduled run."""
    from commitments.models import Flag

    Compact.objects.filter(pk=compact.pk).update(status="adopted", adopted_date=datetime.date(2020, 4, 1))
    compact.refresh_from_db()
    client = client_for("administrator")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:commitments_compact_change", args=[compact.pk]),
            admin_post(compact, next_review_date="2021-04-01"),
        )

    assert response.status_code == 302
    flag = Flag.objects.get(rule=RuleKey.COMPACT_REVIEW_OVERDUE, record_id=compact.pk)
    assert (flag.status, flag.due_date) == (FlagStatus.OPEN, datetime.date(2021, 4, 1))


def test_the_admin_refuses_an_invalid_setting_and_changes_nothing(client_for, compact, unpaid):
    client = client_for("administrator")

    response = client.post(
        reverse("admin:commitments_compact_change", args=[compact.pk]), admin_post(compact, payment_working_days=0)
    )

    assert response.status_code == 200
    assert "payment_working_days" in response.context["adminform"].form.errors
    unpaid.refresh_from_db()
    assert unpaid.pay_by == PAY_BY_10


# --- load_compacts -------------------------------------------------------------------------------


@pytest.fixture
def portsmouth_files(tmp_path):
    """A copy of fixtures/compacts with only Portsmouth in it; ``write(**changes)`` changes its file."""
    data = json.loads((COMPACT_FIXTURES / "portsmouth.json").read_text("utf-8"))

    def write(**changes):
        (tmp_path / "portsmouth.json").write_text(json.dumps(data | changes), "utf-8")
        return tmp_path

    write()
    return write


def test_load_compacts_changes_a_loaded_compacts_nation_through_the_service(
    portsmouth_files, delay, django_capture_on_commit_callbacks
):
    (portsmouth,) = compacts_load(directory=portsmouth_files())
    invoice = InvoiceFactory(
        relationship=AwardedFundingFactory(compact=portsmouth), received_date=datetime.date(2027, 7, 26)
    )
    assert invoice.pay_by == datetime.date(2027, 8, 9)
    forget_setup_callbacks()

    with django_capture_on_commit_callbacks(execute=True):
        compacts_load(directory=portsmouth_files(nation=Nation.SCOTLAND))

    invoice.refresh_from_db()
    portsmouth.refresh_from_db()
    assert portsmouth.nation == Nation.SCOTLAND
    assert invoice.pay_by == datetime.date(2027, 8, 10)
    delay.assert_called_once()
    assert delay.call_args.kwargs["compact_ids"] == [portsmouth.pk]


def test_load_compacts_again_unchanged_queues_no_recheck(portsmouth_files, delay, django_capture_on_commit_callbacks):
    compacts_load(directory=portsmouth_files())
    forget_setup_callbacks()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        compacts_load(directory=portsmouth_files())

    assert callbacks == []
    delay.assert_not_called()


def test_in_a_command_the_moved_records_history_names_the_command(portsmouth_files):
    (portsmouth,) = compacts_load(directory=portsmouth_files())
    invoice = InvoiceFactory(
        relationship=AwardedFundingFactory(compact=portsmouth), received_date=datetime.date(2027, 7, 26)
    )

    with audit_context(via="Command: load_compacts"):  # as AuditedCommand runs it
        compacts_load(directory=portsmouth_files(nation=Nation.SCOTLAND))

    assert invoice.history.latest().history_change_reason == "Command: load_compacts"
    assert portsmouth.history.latest().history_change_reason == "Command: load_compacts"


# --- Flags follow at once ------------------------------------------------------------------------


def working_days_before(day: datetime.date, count: int, *, nation: str) -> datetime.date:
    while count:
        day -= datetime.timedelta(days=1)
        count -= is_working_day(day, nation=nation)
    return day


def test_an_overdue_flag_the_longer_limit_puts_right_is_resolved_without_a_scheduled_run(
    compact, funding, administrator, django_capture_on_commit_callbacks, tasks_run_in_process
):
    from commitments.models import Flag
    from commitments.services.compliance import compliance_scan

    today = timezone.localdate()
    # Received 12 working days ago: overdue under 10 working days, not yet at risk under 15.
    received = working_days_before(today, 12, nation=compact.nation)
    invoice = InvoiceFactory(relationship=funding, received_date=received)
    assert invoice.pay_by < today
    assert payment_due_by(received, nation=compact.nation, working_days=15) > payment_at_risk_until(
        today, nation=compact.nation
    )
    compliance_scan(today=today, send_digest=False)
    flag = Flag.objects.get(rule=RuleKey.INVOICE_OVERDUE, record_type=RecordType.INVOICE, record_id=invoice.pk)
    assert flag.status == FlagStatus.OPEN
    forget_setup_callbacks()

    with django_capture_on_commit_callbacks(execute=True):
        compact_settings_update(compact=compact, actor=administrator, payment_working_days=15)

    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert Invoice.objects.get(pk=invoice.pk).pay_by > today
