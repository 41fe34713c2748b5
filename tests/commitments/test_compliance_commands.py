"""The ``check_compliance`` and ``export_flags`` commands: what an administrator runs by hand or from cron.

Invoice INV-0042 (``unpaid_invoice``) is payable by Tuesday 20 April 2027 and overdue from 21 April.
"""

import csv
import dataclasses
import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from commitments import rulebook
from commitments.models import (
    CheckStatus,
    Compact,
    ComplianceRun,
    Flag,
    FlagStatus,
    Organisation,
    RuleKey,
    Trigger,
)
from commitments.services.compliance import compliance_scan
from consultations.rules import consultation_reference
from funding import services as funding_services
from tests.commitments.factories import CommitmentFactory, CompactFactory, SignatureFactory
from tests.consultations.factories import ConsultationFactory
from tests.disputes.factories import ConcernFactory
from tests.funding.factories import (
    AwardedFundingFactory,
    FundingRelationshipFactory,
    InvoiceFactory,
    MonitoringPlanFactory,
    MonitoringReturnFactory,
)

pytestmark = pytest.mark.django_db

OVERDUE = datetime.date(2027, 4, 21)
AFTER_PAYMENT = datetime.date(2027, 4, 23)
HEADER = "rule,clause,compact,organisation_org_id,record,due_date,status"


def check(*args: str) -> str:
    out = StringIO()
    call_command("check_compliance", *args, stdout=out)
    return out.getvalue()


def scan(today: datetime.date = OVERDUE) -> None:
    """Flags to export, raised by the scan itself."""
    compliance_scan(today=today, send_digest=False)


def export(*args: str) -> list[list[str]]:
    out = StringIO()
    call_command("export_flags", "--format", "csv", *args, stdout=out)
    return list(csv.reader(out.getvalue().splitlines()))


@pytest.fixture
def elsewhere(db):
    """A second compact in use, with its own overdue invoice."""
    compact = CompactFactory(name="Fareham Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))
    funding = AwardedFundingFactory(compact=compact, reference="FR-2027-001")
    InvoiceFactory(relationship=funding, invoice_number="F-7", received_date=datetime.date(2027, 4, 6))
    return compact


# --- check_compliance -----------------------------------------------------------------------------------


def test_check_compliance_checks_every_compact_in_use_and_lists_each_check(scan_compact, unpaid_invoice, elsewhere):
    output = check("--as-of", "2027-04-21")

    run = ComplianceRun.objects.get()
    rules = len(rulebook.all_rules())
    lines = output.splitlines()
    assert lines[0] == f"Compliance run {run.pk} as of 21 April 2027: {rules} checks"  # one a rule, across compacts
    assert len(lines) == 1 + rules + 1
    assert "  every compact · Invoice unpaid after its pay-by date: 2 live (2 new, 0 changed, 0 resolved)" in lines
    assert "  every compact · Invoice paid late: 0 live (0 new, 0 changed, 0 resolved)" in lines
    assert lines[-1] == "Compliance check finished."
    assert (run.trigger, run.as_of, run.compact) == (Trigger.COMMAND, OVERDUE, None)
    assert run.finished_at is not None
    assert set(Flag.objects.values_list("record_label", flat=True)) == {"INV-0042", "F-7"}


def test_check_compliance_reports_what_a_later_check_changed(unpaid_invoice):
    check("--as-of", "2027-04-21")
    funding_services.payment_record(
        invoice=unpaid_invoice,
        actor=None,
        paid_date=datetime.date(2027, 4, 22),
        today=datetime.date(2027, 4, 22),
        amount=unpaid_invoice.amount,
    )

    output = check("--as-of", "2027-04-23")

    assert "  every compact · Invoice unpaid after its pay-by date: 0 live (0 new, 0 changed, 1 resolved)" in (
        output.splitlines()
    )
    assert "  every compact · Invoice paid late: 1 live (1 new, 0 changed, 0 resolved)" in output.splitlines()


def test_the_compact_option_checks_that_compact_only(scan_compact, unpaid_invoice, elsewhere):
    output = check("--compact", "fareham-compact", "--as-of", "2027-04-21")

    run = ComplianceRun.objects.get()
    assert run.compact == elsewhere
    assert set(run.checks.values_list("compact", flat=True)) == {elsewhere.pk}
    assert "southsea-compact" not in output
    assert list(Flag.objects.values_list("record_label", flat=True)) == ["F-7"]


def test_the_as_of_option_checks_as_if_today_were_that_day(unpaid_invoice):
    output = check("--as-of", "2027-04-16")

    assert output.startswith(f"Compliance run {ComplianceRun.objects.get().pk} as of 16 April 2027:")
    flag = Flag.objects.get()
    assert (flag.status, flag.first_detected) == (FlagStatus.AT_RISK, datetime.date(2027, 4, 16))


def test_the_rule_option_checks_only_the_rules_named(scan_compact, unpaid_invoice):
    output = check("--rule", "invoice_overdue", "--rule", "invoice_paid_late", "--as-of", "2027-04-21")

    run = ComplianceRun.objects.get()
    assert run.rules == ["invoice_overdue", "invoice_paid_late"]
    assert set(run.checks.values_list("rule", flat=True)) == {"invoice_overdue", "invoice_paid_late"}
    assert "as of 21 April 2027: 2 checks" in output
    assert Flag.objects.get().rule == RuleKey.INVOICE_OVERDUE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "21/04/2027"], "--as-of must be a date written YYYY-MM-DD, e.g. 2026-11-21; got '21/04/2027'."),
        (["--as-of", "2027-02-30"], "--as-of must be a date written YYYY-MM-DD, e.g. 2026-11-21; got '2027-02-30'."),
        (["--compact", "atlantis"], "No compact has the slug 'atlantis'."),
        (["--compact", "gone-compact"], "Gone Compact has been withdrawn, so it has no promises to check."),
        (["--rule", "invoice_lost"], "unknown compliance rule 'invoice_lost'; expected one of "),
    ],
    ids=["date-not-iso", "no-such-day", "unknown-compact", "withdrawn-compact", "unknown-rule"],
)
def test_check_compliance_refuses_bad_options_with_a_clear_message_and_records_nothing(
    scan_compact, unpaid_invoice, args, message
):
    CompactFactory(name="Gone Compact", status="withdrawn")

    with pytest.raises(CommandError) as refused:
        check(*args)

    assert str(refused.value).startswith(message)
    assert not ComplianceRun.objects.exists()
    assert not Flag.objects.exists()


def test_a_failed_check_fails_the_command_after_the_others_are_recorded(scan_compact, unpaid_invoice, monkeypatch):
    def broken(today):
        raise RuntimeError("the rule's query is broken")

    rule = rulebook._RULES[RuleKey.INVOICE_PAID_LATE]
    monkeypatch.setitem(rulebook._RULES, RuleKey.INVOICE_PAID_LATE, dataclasses.replace(rule, breaches=broken))
    out = StringIO()

    with pytest.raises(CommandError, match=r"^1 check failed; the others were recorded\.$"):
        call_command("check_compliance", "--as-of", "2027-04-21", stdout=out)

    assert "  every compact · Invoice paid late: FAILED: RuntimeError: the rule's query is broken" in (
        out.getvalue().splitlines()
    )
    run = ComplianceRun.objects.get()
    assert run.finished_at is not None
    assert run.checks.get(rule=RuleKey.INVOICE_PAID_LATE).status == CheckStatus.FAILED
    assert set(run.checks.exclude(rule=RuleKey.INVOICE_PAID_LATE).values_list("status", flat=True)) == {
        CheckStatus.DONE
    }
    assert Flag.objects.get().rule == RuleKey.INVOICE_OVERDUE


# --- export_flags ----------------------------------------------------------------------------------------


def test_export_writes_the_header_then_one_row_per_flag(scan_compact, unpaid_invoice, council):
    Organisation.objects.filter(pk=council.pk).update(org_id="GB-LAE-POR")
    scan()

    rows = export()

    assert ",".join(rows[0]) == HEADER
    default = "portal default"  # the compact carries no such commitment
    assert rows[1:] == [
        ["invoice_overdue", default, "southsea-compact", "GB-LAE-POR", "INV-0042", "2027-04-20", "open"]
    ]


def overdue_funding_decision(compact, council, charity, **_people) -> tuple[str, str]:
    """A bid logged for a start on 1 April 2027 and never decided: the decision was due by 1 January."""
    FundingRelationshipFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-002")
    return "decision_too_late", "GR-2027-002"


def unannounced_consultation(compact, council, **_people) -> tuple[str, str]:
    consultation = ConsultationFactory(compact=compact, body=council, announced_date=None, publish=True)
    assert consultation_reference(consultation.pk) == f"CONS-{consultation.pk:05d}"
    return "consultation_not_announced", consultation_reference(consultation.pk)


def unacknowledged_concern(compact, council, charity, vcs_member) -> tuple[str, str]:
    """Raised on 2 November 2026 and never acknowledged (due by 9 November)."""
    SignatureFactory(compact=compact, organisation=council)
    SignatureFactory(compact=compact, organisation=charity)
    CommitmentFactory(compact=compact, code="13.3", side="public")
    concern = ConcernFactory(actor=vcs_member, raiser=charity, compact=compact, respondent=council)
    return "dispute_step_overdue", concern.reference


def overdue_monitoring_return(compact, council, charity, **_people) -> tuple[str, str]:
    """The charity's return for January and February 2027, due on Tuesday 30 March (28 March is Easter Sunday, 29
    March Easter Monday), not made."""
    funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-003")
    plan = MonitoringPlanFactory(relationship=funding)
    MonitoringReturnFactory(plan=plan, period_start=datetime.date(2027, 1, 1), period_end=datetime.date(2027, 2, 28))
    return "monitoring_return_overdue", "Monitoring return due 30 March 2027 on GR-2027-003"


def overdue_review(compact, **_people) -> tuple[str, str]:
    Compact.objects.filter(pk=compact.pk).update(next_review_date=datetime.date(2027, 4, 1))
    return "compact_review_overdue", "southsea-compact"


@pytest.mark.parametrize(
    "record",
    [
        overdue_funding_decision,
        unannounced_consultation,
        unacknowledged_concern,
        overdue_monitoring_return,
        overdue_review,
    ],
    ids=["funding-reference", "consultation-reference", "case-reference", "monitoring-return", "compact-slug"],
)
def test_the_record_column_names_the_record_each_flag_is_about(
    scan_compact, unpaid_invoice, council, charity, vcs_member, record
):
    """Besides the invoice number: the funding reference, consultation reference, case reference, the monitoring
    return (its due date and funding reference) or compact slug."""
    rule, label = record(compact=scan_compact, council=council, charity=charity, vcs_member=vcs_member)
    scan()

    records = {(row[0], row[4]) for row in export()[1:]}

    assert ("invoice_overdue", "INV-0042") in records
    assert (rule, label) in records


def test_export_narrows_to_one_compact_and_status_and_writes_to_a_file(
    scan_compact, unpaid_invoice, elsewhere, tmp_path
):
    scan()
    funding_services.payment_record(
        invoice=unpaid_invoice,
        actor=None,
        paid_date=datetime.date(2027, 4, 22),
        today=datetime.date(2027, 4, 22),
        amount=unpaid_invoice.amount,
    )
    scan(AFTER_PAYMENT)
    path = tmp_path / "flags.csv"
    out = StringIO()

    call_command(
        "export_flags", "--format", "csv", "--compact", "southsea-compact", "--status", "open", "--output", str(path),
        stdout=out,
    )  # fmt: skip

    assert out.getvalue() == ""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert ",".join(rows[0]) == HEADER
    assert [(row[0], row[2], row[4], row[6]) for row in rows[1:]] == [
        ("invoice_paid_late", "southsea-compact", "INV-0042", "open")
    ]
    everything = {(row[0], row[2], row[6]) for row in export()[1:]}
    assert everything == {
        ("invoice_overdue", "southsea-compact", "resolved"),
        ("invoice_paid_late", "southsea-compact", "open"),
        ("invoice_overdue", "fareham-compact", "open"),
    }


@pytest.mark.parametrize("number", ["=HYPERLINK(1)", "+44 23 9283", "-0042", "@SUM(A1)"])
def test_an_export_cell_a_spreadsheet_would_run_as_a_formula_is_neutralised(scan_compact, council, charity, number):
    funding = AwardedFundingFactory(compact=scan_compact, funder=council, recipient=charity)
    InvoiceFactory(relationship=funding, invoice_number=number, received_date=datetime.date(2027, 4, 6))
    scan()

    rows = export()

    assert [row[4] for row in rows[1:]] == [f"'{number}"]


def test_export_refuses_an_unknown_compact(db):
    with pytest.raises(CommandError, match=r"^No compact has the slug 'atlantis'\.$"):
        export("--compact", "atlantis")
