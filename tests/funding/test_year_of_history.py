"""A council loads last year's grants register, invoices and notices in one go, gaps and all: every row is
recorded, the flags are exactly those a hand count gives, and putting each gap right afterwards resolves its
flag at once, with no scheduled run.

The dates are last year's, counted back from the real today, as the live re-check works as of today.
"""

import datetime

import pytest
from django.utils import timezone

from commitments.models import Flag, FlagStatus, RuleKey
from commitments.services import signature_record_signed
from funding import services
from funding.models import Decision, FundingRelationship, Invoice
from funding.services.imports import funding_import
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_run_in_process")]  # re-checks run here

TODAY = timezone.localdate()
YEAR = TODAY.year - 1
START = datetime.date(YEAR, 4, 1)  # to be told by 1 January (9.2); three years run to 31 March, YEAR + 3 (9.1)
IN_TIME = datetime.date(YEAR - 1, 12, 15)
LATE = datetime.date(YEAR, 2, 1)
THREE_YEARS = datetime.date(YEAR + 3, 3, 31)
ONE_YEAR = datetime.date(YEAR + 1, 3, 31)
RECEIVED = datetime.date(YEAR, 6, 1)  # pay by the 10th working day after (bank holidays of England and Wales)


@pytest.fixture(autouse=True)
def same_day(monkeypatch):
    """Today held at the day this module was loaded, so a run that passes midnight does not see two days."""
    real = timezone.localdate  # a moment's date (localdate(value)) is still worked out

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


RELATIONSHIP_COLUMNS = (
    "reference", "funder_org_id", "recipient_org_id", "compact", "mechanism", "title", "amount", "expected_start",
    "start_date", "end_date", "end_date_defined_at_start", "strategic", "decision", "decision_date",
    "decision_justification", "term_explanation", "feedback",
)  # fmt: skip
# reference: (decision, told, end, justification, term explanation, feedback)
REGISTER = {
    "GR-KEPT": ("awarded", IN_TIME, THREE_YEARS, "", "", ""),
    "GR-LATE": ("awarded", LATE, THREE_YEARS, "", "", ""),  # 9.2
    "GR-LATE-JUSTIFIED": ("awarded", LATE, THREE_YEARS, "The budget was set late.", "", ""),
    "GR-SHORT": ("awarded", IN_TIME, ONE_YEAR, "", "", ""),  # 9.1
    "GR-SHORT-EXPLAINED": ("awarded", IN_TIME, ONE_YEAR, "", "A one-year pilot.", ""),
    "GR-DECLINED": ("declined", IN_TIME, THREE_YEARS, "", "", ""),  # 9.3
    "GR-DECLINED-FEEDBACK": ("declined", IN_TIME, THREE_YEARS, "", "", "Show local demand next time."),
}
# invoice number: (funding, paid on)
INVOICES = {
    "INV-ON-TIME": ("GR-KEPT", datetime.date(YEAR, 6, 10)),
    "INV-PAID-LATE": ("GR-KEPT", datetime.date(YEAR, 7, 1)),  # 11.2, paid late
    "INV-UNPAID": ("GR-KEPT", None),  # 11.2, unpaid after its pay-by date
}
# (funding, kind, notice date, takes effect)
NOTICES = [
    ("GR-KEPT", "change", datetime.date(YEAR, 9, 1), datetime.date(YEAR, 10, 1)),  # 13.3: a month, not three
    ("GR-SHORT-EXPLAINED", "change", datetime.date(YEAR, 9, 1), datetime.date(YEAR, 12, 1)),
    ("GR-LATE-JUSTIFIED", "end", datetime.date(YEAR, 9, 1), datetime.date(YEAR, 12, 1)),  # 13.1: impact unassessed
]

HAND_COUNT = {
    (RuleKey.DECISION_TOO_LATE, "GR-LATE"),
    (RuleKey.FUNDING_TERM_TOO_SHORT, "GR-SHORT"),
    (RuleKey.DECLINED_WITHOUT_FEEDBACK, "GR-DECLINED"),
    (RuleKey.INVOICE_PAID_LATE, "INV-PAID-LATE"),
    (RuleKey.INVOICE_OVERDUE, "INV-UNPAID"),
    (RuleKey.NOTICE_TOO_SHORT, "GR-KEPT"),
    (RuleKey.NOTICE_WITHOUT_IMPACT_ASSESSMENT, "GR-LATE-JUSTIFIED"),
}


def relationship_rows() -> list[dict[str, str]]:
    rows = []
    for reference, (decision, told, end, justification, term, feedback) in REGISTER.items():
        values = (
            reference, "GB-LAE-HIS", "GB-CHC-1180001", "history", "grant", "Grant", "1000", START.isoformat(),
            START.isoformat(), end.isoformat(), "no", "no", decision, told.isoformat(), justification, term, feedback,
        )  # fmt: skip
        rows.append(dict(zip(RELATIONSHIP_COLUMNS, values, strict=True)))
    return rows


def invoice_rows() -> list[dict[str, str]]:
    return [
        {"funding_reference": funding, "invoice_number": number, "amount": "500",
         "received_date": RECEIVED.isoformat(), "paid_date": paid.isoformat() if paid else ""}
        for number, (funding, paid) in INVOICES.items()
    ]  # fmt: skip


def notice_rows() -> list[dict[str, str]]:
    return [
        {"funding_reference": funding, "kind": kind, "notice_date": given.isoformat(),
         "effective_date": effective.isoformat(), "rationale": "Recommissioning."}
        for funding, kind, given, effective in NOTICES
    ]  # fmt: skip


def live_flags() -> set[tuple[str, str]]:
    live = Flag.objects.filter(status__in=(FlagStatus.OPEN, FlagStatus.AT_RISK))
    return set(live.values_list("rule", "record_label"))


@pytest.fixture
def imported(db, django_capture_on_commit_callbacks):
    """Last year's three files imported, each once, with what their commits queue run as production runs it."""
    compact = CompactFactory(
        name="History Compact", slug="history", status="adopted", adopted_date=datetime.date(2010, 4, 1)
    )
    council = PublicBodyFactory(name="History Borough Council", org_id="GB-LAE-HIS")
    # The council signed only today: its history from before is loaded all the same.
    signature_record_signed(compact=compact, organisation=council, signed_date=TODAY)
    OrganisationFactory(name="History Food Bank", org_id="GB-CHC-1180001")
    for kind, rows in (
        ("relationships", relationship_rows()),
        ("invoices", invoice_rows()),
        ("notices", notice_rows()),
    ):
        with django_capture_on_commit_callbacks(execute=True) as queued:
            result = funding_import(kind=kind, header=list(rows[0]), rows=rows, actor=None, today=TODAY)
        assert result.ok, result.errors
        assert len(queued) == 1  # one re-check for the whole file


def test_every_row_is_recorded_and_the_flags_are_those_a_hand_count_gives(imported):
    assert FundingRelationship.objects.count() == len(REGISTER)
    assert Invoice.objects.count() == len(INVOICES)
    assert live_flags() == HAND_COUNT
    assert set(Flag.objects.values_list("status", flat=True)) == {FlagStatus.OPEN}


def test_putting_each_gap_right_afterwards_resolves_its_flag_without_a_scheduled_run(
    imported, django_capture_on_commit_callbacks
):
    def decision_of(reference: str) -> Decision:
        return Decision.objects.get(relationship__reference=reference)

    fixes = [
        ((RuleKey.DECISION_TOO_LATE, "GR-LATE"), lambda: services.decision_explain(
            decision=decision_of("GR-LATE"), actor=None, justification="Our budget was only set in January.")),
        ((RuleKey.FUNDING_TERM_TOO_SHORT, "GR-SHORT"), lambda: services.relationship_update(
            relationship=FundingRelationship.objects.get(reference="GR-SHORT"), actor=None,
            term_explanation="A one-year pilot before recommissioning.")),
        ((RuleKey.DECLINED_WITHOUT_FEEDBACK, "GR-DECLINED"), lambda: services.decision_explain(
            decision=decision_of("GR-DECLINED"), actor=None, feedback="The bid did not show local demand.")),
        ((RuleKey.INVOICE_OVERDUE, "INV-UNPAID"), lambda: services.payment_record(
            invoice=Invoice.objects.get(invoice_number="INV-UNPAID"), actor=None, paid_date=TODAY, today=TODAY,
            amount=500)),
    ]  # fmt: skip
    expected = set(HAND_COUNT)
    for flag, fix in fixes:
        with django_capture_on_commit_callbacks(execute=True):
            fix()
        expected.discard(flag)
        if flag[0] == RuleKey.INVOICE_OVERDUE:
            expected.add((RuleKey.INVOICE_PAID_LATE, "INV-UNPAID"))  # paid now, long after its pay-by date
        assert live_flags() == expected, f"after putting {flag} right"

    resolved = Flag.objects.filter(status=FlagStatus.RESOLVED)
    assert set(resolved.values_list("rule", "record_label")) == {flag for flag, _fix in fixes}
