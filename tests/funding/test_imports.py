"""Funding CSV import (relationships, invoices, notices and monitoring returns): good files saved with their
deadlines, bad rows reported with nothing saved, no duplicates."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from compact_portal.csv_import import RowError, read_csv
from funding import services
from funding.gaps import relationship_gaps
from funding.models import (
    Decision,
    FundingRelationship,
    FundingStatus,
    Invoice,
    MessageKind,
    MonitoringReturn,
    Notice,
    Payment,
    ReturnStatus,
)
from funding.services.imports import funding_import
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory, MonitoringPlanFactory, sign_up

D = datetime.date
# The day the files here are imported (``funding_import``'s today): after every date of what happened in them.
# The command imports as of the real today, so its files hold dates already past.
IMPORT_DAY = D(2028, 12, 31)

RELATIONSHIPS = (
    "reference,funder_org_id,recipient_org_id,compact,mechanism,title,amount,expected_start,start_date,end_date,"
    "end_date_defined_at_start,strategic,decision,decision_date,decision_justification,term_explanation,feedback\n"
)
GOOD_RELATIONSHIPS = RELATIONSHIPS + (
    # row 2: awarded in good time, ISO dates, money with £ and commas
    'GR-2027-001,GB-LAE-POR,GB-CHC-1170001,portsmouth,grant,Community food project,"£30,000.00",'
    "2027-04-01,2027-04-01,2030-03-31,yes,no,awarded,2026-10-01,,,\n"
    # row 3: UK dates, Org-IDs in another case and spacing; a late award and a short term, both explained
    "GR-2027-002, gb-lae-por ,GB-CHC- 1170001,portsmouth,contract,Advice service,12000,01/07/2027,01/07/2027,"
    "30/06/2028,no,no,awarded,15/06/2027,Our budget was only set in June.,A one-year pilot before recommissioning.,\n"
    # row 4: declined, with feedback
    "GR-2027-003,GB-LAE-POR,GB-CHC-1170001,portsmouth,loan,Van loan,5000,2027-09-01,,,no,no,declined,2027-03-01,"
    ",,The bid did not show local demand; apply again in the autumn round.\n"
    # row 5: no decision yet
    "GR-2027-004,GB-LAE-POR,GB-CHC-1170001,portsmouth,in_kind,Hall hire,0,2028-01-01,,,no,yes,,,,,\n"
)
INVOICES = "funding_reference,invoice_number,amount,received_date,paid_date\n"
NOTICES = "funding_reference,kind,notice_date,effective_date,rationale\n"
RETURNS = "funding_reference,period_start,period_end,submitted_date\n"


def run(kind: str, text: str, **kwargs):
    header, rows = read_csv(text.encode("utf-8-sig"))
    return funding_import(kind=kind, header=header, rows=rows, actor=None, **{"today": IMPORT_DAY, **kwargs})


def counts(result):
    return result.created, result.updated, result.unchanged


@pytest.fixture
def compact(db):
    return CompactFactory(name="Portsmouth Compact", slug="portsmouth")


@pytest.fixture
def funder(compact):
    """The council, a signatory of the compact (funding is imported only under a compact its funder signed)."""
    council = PublicBodyFactory(name="Portsmouth City Council", org_id="GB-LAE-POR")
    sign_up(compact=compact, funder=council)
    return council


@pytest.fixture
def other_funder(compact):
    county = PublicBodyFactory(name="Hampshire County Council", org_id="GB-LAE-HAM")
    sign_up(compact=compact, funder=county)
    return county


@pytest.fixture
def recipient(db):
    return OrganisationFactory(name="Southsea Food Bank", charity_number="1170001", org_id="GB-CHC-1170001")


@pytest.fixture
def funding(compact, funder, recipient):
    """An awarded relationship for invoices and notices to name by its reference."""
    return AwardedFundingFactory(compact=compact, funder=funder, recipient=recipient, reference="GR-2027-001")


# --- Relationships --------------------------------------------------------------------------------


def test_a_good_relationships_file_creates_each_relationship_with_its_deadlines(compact, funder, recipient):
    result = run("relationships", GOOD_RELATIONSHIPS)

    assert result.ok, result.errors
    assert counts(result) == (4, 0, 0)
    food = FundingRelationship.objects.get(reference="GR-2027-001")
    assert (food.funder, food.recipient, food.compact) == (funder, recipient, compact)
    assert food.amount == Decimal("30000.00")
    assert food.end_date_defined_at_start is True
    assert food.status == FundingStatus.AWARDED
    assert food.decision_due_by == D(2027, 1, 1)
    assert food.minimum_end_date == D(2030, 3, 31)

    advice = FundingRelationship.objects.get(reference="GR-2027-002")
    assert (advice.expected_start, advice.end_date) == (D(2027, 7, 1), D(2028, 6, 30))
    assert advice.funder == funder
    assert advice.term_explanation == "A one-year pilot before recommissioning."
    late = advice.decisions.get()
    assert (late.told_date, late.due_by, late.told_in_time) == (D(2027, 6, 15), D(2027, 4, 1), False)
    assert late.justification == "Our budget was only set in June."

    van = FundingRelationship.objects.get(reference="GR-2027-003")
    assert van.status == FundingStatus.DECLINED
    assert "autumn round" in van.decisions.get().feedback

    hall = FundingRelationship.objects.get(reference="GR-2027-004")
    assert (hall.mechanism, hall.strategic, hall.status) == ("in_kind", True, FundingStatus.PENDING)
    assert not hall.decisions.exists()


def test_importing_the_same_relationships_again_creates_no_duplicates(compact, funder, recipient):
    run("relationships", GOOD_RELATIONSHIPS)
    again = run("relationships", GOOD_RELATIONSHIPS)

    assert again.ok, again.errors
    assert counts(again) == (0, 0, 4)
    assert FundingRelationship.objects.count() == 4
    assert Decision.objects.count() == 3


def test_a_changed_relationship_is_updated_and_its_deadlines_follow(compact, funder, recipient):
    run("relationships", GOOD_RELATIONSHIPS)
    changed = GOOD_RELATIONSHIPS.replace("2027-04-01,2027-04-01,2030-03-31", "2027-05-01,2027-05-01,2030-04-30")

    result = run("relationships", changed)

    assert result.ok, result.errors
    assert counts(result) == (0, 1, 3)
    food = FundingRelationship.objects.get(reference="GR-2027-001")
    assert (food.decision_due_by, food.minimum_end_date) == (D(2027, 2, 1), D(2030, 4, 30))
    assert food.decisions.get().due_by == D(2027, 2, 1)


def test_a_decision_added_to_a_known_relationship_is_recorded_once(compact, funder, recipient):
    pending = RELATIONSHIPS + "GR-9,GB-LAE-POR,GB-CHC-1170001,portsmouth,grant,Play,100,2028-01-01,,,no,no,,,,,\n"
    run("relationships", pending)
    decided = RELATIONSHIPS + (
        "GR-9,GB-LAE-POR,GB-CHC-1170001,portsmouth,grant,Play,100,2028-01-01,,,no,no,awarded,2026-06-01,,,\n"
    )

    first = run("relationships", decided)
    second = run("relationships", decided)

    assert (counts(first), counts(second)) == ((0, 1, 0), (0, 0, 1))
    relationship = FundingRelationship.objects.get(reference="GR-9")
    assert relationship.status == FundingStatus.AWARDED
    assert relationship.decisions.count() == 1


def test_every_bad_relationship_row_is_reported_and_nothing_is_saved(compact, funder, recipient):
    row = "{ref},{funder},GB-CHC-1170001,{compact},{mechanism},Project,1000,{start},{begins},{end},no,no,{decision}\n"
    good = {
        "ref": "GR-1",
        "funder": "GB-LAE-POR",
        "compact": "portsmouth",
        "mechanism": "grant",
        "start": "2027-04-01",
        "begins": "2027-04-01",
        "end": "2030-03-31",
        "decision": "awarded,2026-10-01,,,",
    }
    bad_rows = [
        {},  # row 2 is good
        {"ref": "GR-2", "funder": "GB-LAE-XXX"},  # row 3
        {"ref": "GR-3", "start": "31/02/2027", "end": ""},  # row 4
        {"ref": "GR-4", "mechanism": "bursary"},  # row 5
        {"ref": "GR-5", "end": "2027-03-31"},  # row 6: ends the day before it begins
        {"ref": "GR-6", "decision": "awarded,2027-03-01,,,"},  # row 7 is good: late, unjustified, recorded
        {"ref": "GR-7", "decision": "declined,2026-10-01,,,"},  # row 8 is good: no feedback, recorded
        {"ref": "GR-8", "end": "2028-03-31"},  # row 9 is good: one year, unexplained, recorded
        {"compact": "atlantis", "ref": "GR-9"},  # row 10
        {},  # row 11: the same funder and reference as row 2
    ]
    text = RELATIONSHIPS + "".join(row.format(**{**good, **changes}) for changes in bad_rows)

    result = run("relationships", text)

    assert [error.row for error in result.errors] == [3, 4, 5, 6, 10, 11]
    messages = {error.row: error.message for error in result.errors}
    assert "'GB-LAE-XXX'" in messages[3]
    assert messages[3].startswith("funder_org_id:")
    assert messages[4] == "expected_start: '31/02/2027' is not a date; use YYYY-MM-DD or DD/MM/YYYY."
    assert "mechanism: 'bursary' is not one of: grant, contract" in messages[5]
    assert messages[6] == "end_date: The end date must not be before the start date."
    assert "'atlantis'" in messages[10]
    assert "row 2" in messages[11]
    assert counts(result) == (0, 0, 0)
    assert not FundingRelationship.objects.exists()
    assert not Decision.objects.exists()


# --- Record the facts, flag the gap (9.1, 9.2, 9.3) -------------------------------------------------


def _relationship_row(
    *, end="2030-03-31", decision="awarded", told="2026-10-01", explained=("", "", ""), start="2027-04-01"
) -> str:
    """GR-1 from the council to the food bank, starting 1 April 2027: to be told by 1 January 2027 (9.2), and
    three years run to 31 March 2030 (9.1). ``explained`` is (decision_justification, term_explanation,
    feedback)."""
    justification, term, feedback = explained
    return (
        f"GR-1,GB-LAE-POR,GB-CHC-1170001,portsmouth,grant,Project,1000,{start},{start},{end},no,no,"
        f"{decision},{told},{justification},{term},{feedback}\n"
    )


@pytest.mark.parametrize(
    ("row", "gaps"),
    [
        pytest.param({"told": "2027-01-01"}, [], id="told-on-the-decision-date"),
        pytest.param({"told": "2027-01-02"}, ["decision_lead_time"], id="told-a-day-late-unjustified"),
        pytest.param({"end": "2030-03-31"}, [], id="exactly-three-years"),
        pytest.param({"end": "2030-03-30"}, ["funding_term"], id="a-day-short-unexplained"),
        pytest.param({"decision": "declined"}, ["decline_feedback"], id="declined-without-feedback"),
        pytest.param({"decision": "declined", "explained": ("", "", "Costs unclear.")}, [], id="declined-with-it"),
    ],
)
def test_a_row_missing_an_explanation_is_imported_as_it_happened(compact, funder, recipient, row, gaps):
    result = run("relationships", RELATIONSHIPS + _relationship_row(**row))

    assert result.ok, result.errors
    assert counts(result) == (1, 0, 0)
    funding = FundingRelationship.objects.get(reference="GR-1")
    assert funding.decisions.count() == 1
    assert [gap.rule for gap in relationship_gaps(funding)] == gaps


@pytest.mark.parametrize(
    ("row", "explained", "field"),
    [
        pytest.param({"told": "2027-01-02"}, ("Budget set in December.", "", ""), "justification", id="9.2"),
        pytest.param({"decision": "declined"}, ("", "", "Costs unclear."), "feedback", id="9.3"),
    ],
)
def test_reimporting_with_the_explanation_filled_in_adds_it_to_the_decision(
    compact, funder, recipient, row, explained, field
):
    run("relationships", RELATIONSHIPS + _relationship_row(**row))
    filled_in = RELATIONSHIPS + _relationship_row(**row, explained=explained)

    first = run("relationships", filled_in)
    again = run("relationships", filled_in)

    assert (counts(first), counts(again)) == ((0, 1, 0), (0, 0, 1))
    funding = FundingRelationship.objects.get(reference="GR-1")
    decision = funding.decisions.get()
    assert getattr(decision, field) == next(text for text in explained if text)
    assert relationship_gaps(funding) == []
    assert decision.history.count() == 2  # recorded, then explained: once


def test_reimporting_a_term_explanation_adds_it_to_the_relationship(compact, funder, recipient):
    run("relationships", RELATIONSHIPS + _relationship_row(end="2030-03-30"))

    result = run("relationships", RELATIONSHIPS + _relationship_row(end="2030-03-30", explained=("", "A pilot.", "")))

    assert counts(result) == (0, 1, 0)
    funding = FundingRelationship.objects.get(reference="GR-1")
    assert funding.term_explanation == "A pilot."
    assert relationship_gaps(funding) == []


def test_a_reimport_does_not_overwrite_a_justification_already_recorded(compact, funder, recipient):
    run("relationships", RELATIONSHIPS + _relationship_row(told="2027-01-02", explained=("Budget set late.", "", "")))

    result = run("relationships", RELATIONSHIPS + _relationship_row(told="2027-01-02", explained=("Other.", "", "")))

    assert counts(result) == (0, 0, 1)
    assert Decision.objects.get().justification == "Budget set late."


def test_a_decision_that_cannot_follow_the_fundings_state_is_still_refused(compact, funder, recipient, funding):
    """``funding`` (GR-2027-001) was awarded on 1 October 2026; a decline cannot follow an award."""
    text = RELATIONSHIPS + (
        "GR-2027-001,GB-LAE-POR,GB-CHC-1170001,portsmouth,grant,Renamed,30000,2027-04-01,2027-04-01,2030-03-31,"
        "no,no,declined,2026-11-01,,,\n"
    )

    result = run("relationships", text)

    [error] = result.errors
    assert error.row == 2
    assert error.message.startswith("decision: A funding relationship that is awarded can only be")
    funding.refresh_from_db()
    assert (funding.title, funding.decisions.count()) == ("Community food project", 1)  # nothing half-saved


def test_a_row_lists_every_problem_it_has(compact, funder, recipient):
    text = RELATIONSHIPS + "GR-1,GB-LAE-POR,,portsmouth,grant,,-5,2027-04-01,,,maybe,no,,,,,\n"

    [error] = run("relationships", text).errors

    assert error.row == 2
    for column in ("recipient_org_id", "title", "amount", "end_date_defined_at_start"):
        assert f"{column}:" in error.message


@pytest.mark.parametrize(
    ("decision", "problem"),
    [("awarded,,,,", "decision_date: this is blank"), (",2026-10-01,,,", "decision: this is blank")],
)
def test_a_decision_needs_both_its_kind_and_its_date(compact, funder, recipient, decision, problem):
    text = RELATIONSHIPS + f"GR-1,GB-LAE-POR,GB-CHC-1170001,portsmouth,grant,P,1,2027-04-01,,,no,no,{decision}\n"

    [error] = run("relationships", text).errors

    assert problem in error.message
    assert not FundingRelationship.objects.exists()


def test_missing_columns_are_reported_against_the_header(compact, funder, recipient):
    result = run("relationships", "reference,title\nGR-1,Project\n")

    [error] = result.errors
    assert error.row == 1
    assert "funder_org_id" in error.message
    assert "feedback" in error.message
    assert "title" not in error.message
    assert not FundingRelationship.objects.exists()


def test_an_officer_can_only_import_funding_their_own_organisation_gives(compact, funder, other_funder, recipient):
    text = GOOD_RELATIONSHIPS + (
        "HCC-1,GB-LAE-HAM,GB-CHC-1170001,portsmouth,grant,County grant,500,2028-01-01,,,no,no,,,,,\n"
    )

    refused = run("relationships", text, allowed_funder_ids={funder.pk})
    allowed = run("relationships", GOOD_RELATIONSHIPS, allowed_funder_ids={funder.pk})

    assert refused.errors == [
        RowError(
            6,
            "You can only import funding given by your own organisation (Portsmouth City Council); "
            "this row's funder is Hampshire County Council.",
        )
    ]
    assert counts(allowed) == (4, 0, 0)
    assert not FundingRelationship.objects.filter(funder=other_funder).exists()


def test_an_unknown_kind_of_file_is_a_programming_error(db):
    with pytest.raises(ValueError, match="payments"):
        funding_import(kind="payments", header=[], rows=[], actor=None, today=IMPORT_DAY)


def test_a_failure_while_saving_leaves_nothing_imported(compact, funder, recipient, monkeypatch):
    from funding.services import imports

    real = imports.decision_record
    calls = []

    def fail_on_third(**kwargs):
        calls.append(kwargs)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(imports, "decision_record", fail_on_third)
    with pytest.raises(RuntimeError):
        run("relationships", GOOD_RELATIONSHIPS)
    assert not FundingRelationship.objects.exists()


# --- Invoices -------------------------------------------------------------------------------------

GOOD_INVOICES = INVOICES + (
    'GR-2027-001,INV-1,"£2,500.00",2027-04-06,\n'  # row 2: unpaid
    "GR-2027-001,INV-2,1200.50,17/12/2027,24/12/2027\n"  # row 3: UK dates, paid; pay-by crosses Christmas
)


def test_a_good_invoices_file_stores_each_pay_by_date_and_payment(funding):
    result = run("invoices", GOOD_INVOICES)

    assert result.ok, result.errors
    assert counts(result) == (2, 0, 0)
    unpaid = Invoice.objects.get(invoice_number="INV-1")
    assert (unpaid.relationship, unpaid.amount, unpaid.pay_by) == (funding, Decimal("2500.00"), D(2027, 4, 20))
    assert (unpaid.amount_paid, unpaid.paid_date) == (Decimal("0"), None)
    paid = Invoice.objects.get(invoice_number="INV-2")
    assert (paid.received_date, paid.pay_by) == (D(2027, 12, 17), D(2028, 1, 5))
    assert (paid.amount_paid, paid.paid_date) == (Decimal("1200.50"), D(2027, 12, 24))
    assert paid.payments.get().amount == Decimal("1200.50")


def test_reimporting_invoices_records_no_second_invoice_or_payment(funding):
    run("invoices", GOOD_INVOICES)
    again = run("invoices", GOOD_INVOICES)

    assert counts(again) == (0, 0, 2)
    assert Invoice.objects.count() == 2
    assert Payment.objects.count() == 1


def test_a_paid_date_pays_what_is_outstanding_once(funding):
    invoice = InvoiceFactory(relationship=funding, invoice_number="INV-7", amount=Decimal("2500.00"))
    services.payment_record(
        invoice=invoice, actor=None, paid_date=D(2027, 4, 10), today=D(2027, 4, 10), amount=Decimal("1000.00")
    )
    text = INVOICES + "GR-2027-001,INV-7,2500,2027-04-06,2027-04-15\n"

    first = run("invoices", text)
    second = run("invoices", text)

    assert (counts(first), counts(second)) == ((0, 1, 0), (0, 0, 1))
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.paid_date) == (Decimal("2500.00"), D(2027, 4, 15))
    assert sorted(invoice.payments.values_list("amount", flat=True)) == [Decimal("1000.00"), Decimal("1500.00")]


def test_a_changed_invoice_is_updated_and_its_pay_by_date_follows(funding):
    run("invoices", GOOD_INVOICES)

    result = run("invoices", GOOD_INVOICES.replace("2027-04-06", "2027-04-13"))

    assert counts(result) == (0, 1, 1)
    assert Invoice.objects.get(invoice_number="INV-1").pay_by == D(2027, 4, 27)


def test_every_bad_invoice_row_is_reported_and_nothing_is_saved(funding):
    text = INVOICES + (
        "GR-2027-001,INV-1,100,2027-04-06,\n"  # row 2 is good
        "GR-NONE,INV-2,100,2027-04-06,\n"  # row 3
        "GR-2027-001,INV-3,12.345,2027-04-06,\n"  # row 4
        "GR-2027-001,INV-4,100,2027-04-06,2027-04-01\n"  # row 5: paid before it arrived
        "GR-2027-001,INV-5,0,2027-04-06,\n"  # row 6
        "GR-2027-001,INV-1,200,2027-04-07,\n"  # row 7: repeats row 2's invoice
    )

    result = run("invoices", text)

    messages = {error.row: error.message for error in result.errors}
    assert sorted(messages) == [3, 4, 5, 6, 7]
    assert "funding_reference: no funding has the reference 'GR-NONE'" in messages[3]
    assert "2 decimal places" in messages[4]
    assert messages[5] == "paid_date: A payment cannot be made before the invoice was received."
    assert "more than £0" in messages[6]
    assert "row 2" in messages[7]
    assert not Invoice.objects.exists()


def test_a_reference_two_funders_use_needs_the_officers_scope(compact, funding, other_funder, recipient):
    AwardedFundingFactory(compact=compact, funder=other_funder, recipient=recipient, reference="GR-2027-001")
    text = INVOICES + "GR-2027-001,INV-1,100,2027-04-06,\n"

    ambiguous = run("invoices", text)
    scoped = run("invoices", text, allowed_funder_ids={other_funder.pk})

    assert "more than one funder uses the reference 'GR-2027-001'" in ambiguous.errors[0].message
    assert scoped.ok, scoped.errors
    assert Invoice.objects.get().relationship.funder == other_funder


def test_an_officer_cannot_import_invoices_for_another_funders_funding(funding, other_funder):
    result = run("invoices", GOOD_INVOICES, allowed_funder_ids={other_funder.pk})

    assert [error.row for error in result.errors] == [2, 3]
    assert "no funding given by your organisation" in result.errors[0].message
    assert not Invoice.objects.exists()


# --- Notices --------------------------------------------------------------------------------------

GOOD_NOTICES = NOTICES + (
    "GR-2027-001,end,2027-09-01,2027-12-01,The service is being recommissioned.\n"
    "GR-2027-001,Reduction,30/11/2027,31/01/2028,The budget was cut.\n"  # a label also names the kind
)


def test_a_good_notices_file_stores_each_earliest_effective_date(funding):
    result = run("notices", GOOD_NOTICES)

    assert result.ok, result.errors
    assert counts(result) == (2, 0, 0)
    ending = Notice.objects.get(kind="end")
    assert (ending.relationship, ending.earliest_effective_date, ending.notice_period_met) == (
        funding,
        D(2027, 12, 1),
        True,
    )
    reduction = Notice.objects.get(kind="reduce")
    assert (reduction.notice_date, reduction.effective_date) == (D(2027, 11, 30), D(2028, 1, 31))
    assert (reduction.earliest_effective_date, reduction.notice_period_met) == (D(2028, 2, 29), False)


def test_reimporting_notices_updates_only_what_changed(funding):
    run("notices", GOOD_NOTICES)
    assert counts(run("notices", GOOD_NOTICES)) == (0, 0, 2)

    changed = run("notices", GOOD_NOTICES.replace("The budget was cut.", "The grant budget was halved."))

    assert counts(changed) == (0, 1, 1)
    assert Notice.objects.count() == 2
    assert Notice.objects.get(kind="reduce").rationale == "The grant budget was halved."


PERFORMANCE_NOTICES = "funding_reference,kind,notice_date,effective_date,rationale,for_performance\n"


def test_a_notice_for_performance_is_imported_as_one_and_a_file_without_the_column_leaves_it_so(funding):
    result = run(
        "notices",
        PERFORMANCE_NOTICES
        + "GR-2027-001,end,2027-09-01,2027-12-01,Targets missed twice.,yes\n"
        + "GR-2027-001,reduce,2027-10-01,2028-01-01,The budget was cut.,\n",  # blank: not for performance
    )
    assert result.ok, result.errors
    assert dict(Notice.objects.values_list("kind", "for_performance")) == {"end": True, "reduce": False}

    # A file of the older columns changes nothing it does not name.
    unchanged = run("notices", NOTICES + "GR-2027-001,end,2027-09-01,2027-12-01,Targets missed twice.\n")
    assert counts(unchanged) == (0, 0, 1)
    assert Notice.objects.get(kind="end").for_performance is True

    corrected = run("notices", PERFORMANCE_NOTICES + "GR-2027-001,end,2027-09-01,2027-12-01,Targets missed twice.,no\n")
    assert counts(corrected) == (0, 1, 0)
    assert Notice.objects.get(kind="end").for_performance is False


def test_a_for_performance_cell_that_is_not_yes_or_no_is_reported_by_row(funding):
    result = run("notices", PERFORMANCE_NOTICES + "GR-2027-001,end,2027-09-01,2027-12-01,Targets missed.,perhaps\n")

    assert [(error.row, error.message) for error in result.errors] == [
        (2, "for_performance: 'perhaps' is not yes or no; write yes or no.")
    ]
    assert not Notice.objects.exists()


def test_every_bad_notice_row_is_reported_and_nothing_is_saved(funding):
    text = NOTICES + (
        "GR-2027-001,end,2027-09-01,2027-12-01,Recommissioned.\n"  # row 2 is good
        "GR-2027-001,stop,2027-09-01,2027-12-01,Recommissioned.\n"  # row 3
        "GR-2027-001,change,2027-09-01,2027-08-01,Recommissioned.\n"  # row 4: takes effect before notice
        "GR-2027-001,change,2027-10-01,2028-01-01,\n"  # row 5: no rationale
        "GR-2027-001,end,01/09/2027,2028-01-01,Again.\n"  # row 6: row 2's notice again
    )

    result = run("notices", text)

    messages = {error.row: error.message for error in result.errors}
    assert sorted(messages) == [3, 4, 5, 6]
    assert messages[3] == "kind: 'stop' is not one of: end, reduce, change."
    assert messages[4].startswith("effective_date:")
    assert messages[5] == "rationale: this is blank; give the reason the funding is ending, reducing or changing."
    assert "row 2" in messages[6]
    assert not Notice.objects.exists()


# --- Monitoring returns ---------------------------------------------------------------------------


@pytest.fixture
def plan(funding):
    """Twice-yearly monitoring of GR-2027-001 (from 1 April 2027), set up with no return scheduled yet: those here
    are recorded from the files."""
    return MonitoringPlanFactory(relationship=funding, returns_per_year=2, today=D(2030, 12, 31))


GOOD_RETURNS = RETURNS + (
    "GR-2027-001,2027-04-01,2027-09-30,2027-11-01\n"  # row 2: sent on its due day, Monday 1 November
    "GR-2027-001,01/10/2027,31/03/2028,\n"  # row 3: not sent yet; due Tuesday 2 May 2028 (1 May a bank holiday)
)


def test_a_good_returns_file_records_each_return_with_its_due_date(plan):
    result = run("returns", GOOD_RETURNS)

    assert result.ok, result.errors
    assert counts(result) == (2, 0, 0)
    sent, unsent = MonitoringReturn.objects.order_by("period_start")
    assert (sent.plan, sent.period_end, sent.due_date, sent.submitted_date) == (
        plan,
        D(2027, 9, 30),
        D(2027, 11, 1),
        D(2027, 11, 1),
    )
    assert sent.status == ReturnStatus.SUBMITTED  # waiting for the funder's review
    assert [message.kind for message in sent.messages.all()] == [MessageKind.SUBMITTED]
    assert (unsent.period_start, unsent.due_date, unsent.submitted_date, unsent.status) == (
        D(2027, 10, 1),
        D(2028, 5, 2),
        None,
        ReturnStatus.DUE,
    )


def test_reimporting_returns_records_no_second_return_and_adds_the_day_sent(plan):
    run("returns", GOOD_RETURNS)
    assert counts(run("returns", GOOD_RETURNS)) == (0, 0, 2)

    later = run("returns", GOOD_RETURNS.replace("31/03/2028,", "31/03/2028,2028-05-03"))

    assert counts(later) == (0, 1, 1)
    assert MonitoringReturn.objects.count() == 2
    made_late = MonitoringReturn.objects.get(period_start=D(2027, 10, 1))
    assert (made_late.submitted_date, made_late.status) == (D(2028, 5, 3), ReturnStatus.SUBMITTED)
    # Left blank later, the day it was sent stays.
    assert counts(run("returns", GOOD_RETURNS)) == (0, 0, 2)
    assert MonitoringReturn.objects.get(period_start=D(2027, 10, 1)).submitted_date == D(2028, 5, 3)


def test_a_return_already_scheduled_by_the_plan_is_the_one_recorded(funding):
    """The plan's own schedule made the return for April to September; the file records it was sent."""
    MonitoringPlanFactory(relationship=funding, returns_per_year=2, today=D(2027, 3, 1))
    scheduled = MonitoringReturn.objects.get(period_start=D(2027, 4, 1))

    result = run("returns", RETURNS + "GR-2027-001,2027-04-01,2027-09-30,2027-10-29\n")

    assert counts(result) == (0, 1, 0)
    scheduled.refresh_from_db()
    assert (scheduled.submitted_date, scheduled.due_date) == (D(2027, 10, 29), D(2027, 11, 1))


@pytest.mark.parametrize(
    ("due_date", "problem"),
    [
        pytest.param("2027-11-01", None, id="the-due-date-worked-out"),
        pytest.param("", None, id="left-blank"),
        pytest.param(
            "31/10/2027",
            "due_date: a return for a period ending 30 September 2027 is due on 1 November 2027 (a month after the "
            "period ends, moved to the next working day), not 31 October 2027; leave due_date blank to have it "
            "worked out.",
            id="a-different-day",
        ),
    ],
)
def test_a_due_date_given_must_be_the_one_worked_out(plan, due_date, problem):
    text = f"funding_reference,period_start,period_end,due_date\nGR-2027-001,2027-04-01,2027-09-30,{due_date}\n"

    result = run("returns", text)

    assert result.errors == ([RowError(2, problem)] if problem else [])
    assert MonitoringReturn.objects.filter(due_date=D(2027, 11, 1)).exists() is (problem is None)


def test_every_bad_return_row_is_reported_and_nothing_is_saved(compact, funder, recipient, plan):
    AwardedFundingFactory(compact=compact, funder=funder, recipient=recipient, reference="GR-NO-PLAN")
    text = RETURNS + (
        "GR-2027-001,2027-04-01,2027-09-30,2027-11-01\n"  # row 2 is good
        "GR-NONE,2027-04-01,2027-09-30,\n"  # row 3: no such funding
        "GR-NO-PLAN,2027-04-01,2027-09-30,\n"  # row 4: no monitoring plan
        "GR-2027-001,2027-10-01,2027-09-30,\n"  # row 5: ends before it starts
        "GR-2027-001,2028-04-01,2028-09-30,2029-01-02\n"  # row 6: sent after the import's day
        "GR-2027-001,2028-10-01,someday,\n"  # row 7: not a date
        "GR-2027-001,01/04/2027,30/09/2027,\n"  # row 8: row 2's return again
        "GR-2027-001,2029-04-01,2029-09-30,2029-03-01\n"  # row 9: sent before its period starts
        "GR-2027-001,,2029-09-30,\n"  # row 10: no start
    )

    result = run("returns", text)

    messages = {error.row: error.message for error in result.errors}
    assert sorted(messages) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "funding_reference: no funding has the reference 'GR-NONE'" in messages[3]
    assert messages[4] == (
        "funding_reference: the funding 'GR-NO-PLAN' has no monitoring plan yet; set up its monitoring on the "
        "funding's page first, then import its returns."
    )
    assert messages[5] == "period_end: the period must not end before it starts."
    assert messages[6] == "submitted_date: A return cannot be sent after today (31 December 2028)."
    assert messages[7] == "period_end: 'someday' is not a date; use YYYY-MM-DD or DD/MM/YYYY."
    assert "row 2" in messages[8]
    assert messages[9] == ("submitted_date: 1 March 2029 is before the period starts (1 April 2029); check the dates.")
    assert messages[10] == "period_start: this is blank; every row needs one."
    assert not MonitoringReturn.objects.exists()


def test_an_officer_cannot_import_returns_for_another_funders_funding(plan, other_funder):
    result = run("returns", GOOD_RETURNS, allowed_funder_ids={other_funder.pk})
    own = run("returns", GOOD_RETURNS, allowed_funder_ids={plan.relationship.funder_id})

    assert [error.row for error in result.errors] == [2, 3]
    assert "no funding given by your organisation" in result.errors[0].message
    assert counts(own) == (2, 0, 0)


def test_an_officer_imports_returns_on_the_import_page(client_for, compact, council, charity):
    """The page explains the returns file and imports one as of the real today (the return sent in the past)."""
    funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-009")
    MonitoringPlanFactory(relationship=funding, today=D(2030, 12, 31))
    text = RETURNS + "GR-2027-009,2025-04-01,2026-03-31,2026-04-29\n"
    client = client_for("officer")

    help_text = client.get(reverse("funding:import")).content.decode()
    response = client.post(
        reverse("funding:import"),
        {"kind": "returns", "file": SimpleUploadedFile("returns.csv", text.encode(), content_type="text/csv")},
    )

    assert "Monitoring returns" in help_text
    assert "<code>funding_reference, period_start, period_end, submitted_date</code>" in help_text
    assert "Imported: 1 new" in response.content.decode()
    made = MonitoringReturn.objects.get()
    assert (made.due_date, made.submitted_date) == (D(2026, 4, 30), D(2026, 4, 29))


def test_a_returns_file_needs_the_period_columns(plan):
    result = run("returns", "funding_reference,submitted_date\nGR-2027-001,2027-11-01\n")

    assert result.errors == [RowError(1, "The header is missing the column(s): period_start, period_end.")]
    assert not MonitoringReturn.objects.exists()


@pytest.mark.parametrize("kind", ["relationships", "invoices", "notices", "returns"])
def test_a_header_without_rows_is_reported(db, kind):
    header = {"relationships": RELATIONSHIPS, "invoices": INVOICES, "notices": NOTICES, "returns": RETURNS}[kind]

    result = run(kind, header)

    assert [error.row for error in result.errors] == [1]
    assert "no " + kind in result.errors[0].message


# --- The command ----------------------------------------------------------------------------------


def test_the_command_imports_a_file_and_says_what_it_did(compact, funder, recipient, tmp_path, capsys):
    path = tmp_path / "funding.csv"
    # The command imports as of the real today: the decisions were told in the past.
    path.write_text(GOOD_RELATIONSHIPS.replace("15/06/2027", "15/06/2026").replace("2027-03-01", "2026-03-01"))

    call_command("import_funding", "relationships", str(path))
    call_command("import_funding", "relationships", str(path))

    output = capsys.readouterr().out
    assert "Imported 4 new, 0 updated, 0 unchanged." in output
    assert "Imported 0 new, 0 updated, 4 unchanged." in output
    assert FundingRelationship.objects.count() == 4


def test_the_command_imports_last_years_register_with_its_gaps_and_fills_them_in_later(
    compact, funder, recipient, tmp_path, capsys
):
    path = tmp_path / "register.csv"
    last_year = {"start": "2026-04-01", "told": "2026-02-01", "end": "2027-03-31"}  # told late, for one year
    path.write_text(RELATIONSHIPS + _relationship_row(**last_year))
    call_command("import_funding", "relationships", str(path))
    funding = FundingRelationship.objects.get(reference="GR-1")
    assert [gap.rule for gap in relationship_gaps(funding)] == ["funding_term", "decision_lead_time"]

    path.write_text(RELATIONSHIPS + _relationship_row(**last_year, explained=("Budget late.", "Pilot.", "")))
    call_command("import_funding", "relationships", str(path))

    assert "Imported 0 new, 1 updated, 0 unchanged." in capsys.readouterr().out
    assert relationship_gaps(FundingRelationship.objects.get(reference="GR-1")) == []


def test_the_command_imports_returns(funding, tmp_path, capsys):
    """As of the real today, so the returns were sent in the past; the submitted date's column left out."""
    MonitoringPlanFactory(relationship=funding, today=D(2030, 12, 31))
    path = tmp_path / "returns.csv"
    path.write_text("funding_reference,period_start,period_end\nGR-2027-001,2025-04-01,2026-03-31\n")

    call_command("import_funding", "returns", str(path))

    assert "Imported 1 new, 0 updated, 0 unchanged." in capsys.readouterr().out
    assert MonitoringReturn.objects.get().due_date == D(2026, 4, 30)


def test_the_command_lists_bad_rows_and_saves_nothing(funding, tmp_path, capsys):
    path = tmp_path / "invoices.csv"
    path.write_text(INVOICES + "GR-2027-001,INV-1,100,2026-04-06,\nGR-2027-001,INV-2,100,2027-02-30,\n")

    with pytest.raises(CommandError, match="Nothing was imported: 1 row"):
        call_command("import_funding", "invoices", str(path))

    assert "Row 3: received_date: '2027-02-30' is not a date" in capsys.readouterr().err
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["payments", "{path}"], "invalid choice"), (["notices", "{missing}"], "No file at")],
)
def test_the_command_refuses_an_unknown_kind_or_a_missing_file(db, tmp_path, arguments, message):
    path = tmp_path / "notices.csv"
    path.write_text(NOTICES)
    values = {"path": str(path), "missing": str(tmp_path / "missing.csv")}

    with pytest.raises(CommandError, match=message):
        call_command("import_funding", *(argument.format(**values) for argument in arguments))


@pytest.mark.django_db(transaction=True)
def test_a_bad_file_is_rolled_back_in_a_real_transaction_too(funding):
    from django.db import connection

    assert not connection.in_atomic_block  # the import's own transaction is the outermost one here

    result = run("invoices", INVOICES + "GR-2027-001,INV-1,100,2027-04-06,\nGR-2027-001,INV-2,100,someday,\n")

    assert [error.row for error in result.errors] == [3]
    assert not Invoice.objects.exists()
