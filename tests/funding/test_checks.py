"""The funding rules of the compliance scan (funding/checks.py), run by the engine as of a given day.

For each rule a record just inside its limit raises no flag and one just outside raises a flag against the
funder; where the compact lets a breach be explained (9.1, 9.2, 9.3, 19.5) the explained breach raises none.

Bank holidays behind the working-day cases: England and Wales, Christmas 2026 is Friday 25 December with
Monday 28 December for Boxing Day, New Year's Day is Friday 1 January 2027, Easter 2027 is Good Friday
26 March and Easter Monday 29 March. Scotland also has Monday 4 January 2027 (for 2 January) but works
on Easter Monday.

A short term without explanation, a decline without feedback and an award told late without justification
are recorded through the services as they happened; the explanation added later (``decision_explain``,
``relationship_update``) resolves the flag at the next check.
"""

from datetime import date

import pytest

from commitments.models import CheckStatus, Community, Flag, FlagStatus, RecordType, RuleKey
from commitments.services.compliance import compliance_scan
from funding import services
from funding.models import FundingRelationship, Mechanism
from tests.commitments.factories import CommitmentFactory, CompactFactory
from tests.funding.factories import (
    AwardedFundingFactory,
    FundingRelationshipFactory,
    InvoiceFactory,
    NoticeFactory,
    pay_in_full,
)

pytestmark = pytest.mark.django_db

# The compact here has no catalogue, so its flags cite the portal's default (a blank clause); a compact's own
# clause is cited in test_a_flag_cites_the_compacts_own_clause_for_prompt_payment.
DEFAULT = ""

ENGLAND = "england_wales"
SCOTLAND = "scotland"
OPEN, AT_RISK, RESOLVED = FlagStatus.OPEN, FlagStatus.AT_RISK, FlagStatus.RESOLVED
OVERDUE, PAID_LATE = RuleKey.INVOICE_OVERDUE, RuleKey.INVOICE_PAID_LATE


def scan(compact, today, *rules):
    """Scan ``compact`` for ``rules`` as of ``today``; return their flags, by rule and due date.

    Every check must have finished cleanly: the engine records a failing rule and carries on, which would
    otherwise look like "no flag".
    """
    run = compliance_scan(today=today, compact=compact, rule_keys=list(rules), send_digest=False)
    checks = run.checks.filter(rule__in=rules).values_list("status", flat=True)
    assert list(checks) == [CheckStatus.DONE] * len(rules)
    return list(Flag.objects.filter(compact=compact, rule__in=rules).order_by("rule", "due_date"))


def seen(flags):
    """What a champion sees of each flag: rule, clause, funder, record, label, due date and status."""
    return [
        (f.rule, f.clause, f.organisation_id, f.record_type, f.record_id, f.record_label, f.due_date, f.status)
        for f in flags
    ]


def invoice_flag(invoice, rule, due, status=OPEN):
    funder = invoice.relationship.funder_id
    return (rule, DEFAULT, funder, RecordType.INVOICE, invoice.pk, invoice.invoice_number, due, status)


def relationship_flag(relationship, rule, clause, due):
    record = (RecordType.FUNDING_RELATIONSHIP, relationship.pk, relationship.reference)
    return (rule, clause, relationship.funder_id, *record, due, OPEN)


def notice_flag(notice, rule, clause, due):
    relationship = notice.relationship
    return (rule, clause, relationship.funder_id, RecordType.NOTICE, notice.pk, relationship.reference, due, OPEN)


def award(compact, council, charity, **fields):
    """The council's award to the charity under ``compact``, told in good time."""
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-001", **fields)


# --- 11.2 prompt payment -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nation", "received", "paid", "late_after"),
    [
        pytest.param(ENGLAND, date(2026, 12, 10), date(2026, 12, 24), None, id="paid-on-10th-working-day-24-dec"),
        pytest.param(ENGLAND, date(2026, 12, 10), date(2026, 12, 29), date(2026, 12, 24), id="next-after-christmas"),
        pytest.param(ENGLAND, date(2026, 12, 11), date(2026, 12, 29), None, id="christmas-and-boxing-day-skipped"),
        pytest.param(ENGLAND, date(2026, 12, 11), date(2026, 12, 30), date(2026, 12, 29), id="a-day-after-christmas"),
        pytest.param(ENGLAND, date(2026, 12, 12), date(2026, 12, 29), None, id="received-saturday-as-friday"),
        pytest.param(ENGLAND, date(2026, 12, 12), date(2026, 12, 30), date(2026, 12, 29), id="saturday-receipt-late"),
        pytest.param(ENGLAND, date(2026, 12, 16), date(2027, 1, 4), None, id="new-years-day-skipped"),
        pytest.param(ENGLAND, date(2026, 12, 16), date(2027, 1, 5), date(2027, 1, 4), id="england-works-4-january"),
        pytest.param(SCOTLAND, date(2026, 12, 16), date(2027, 1, 5), None, id="scotland-2-january-substitute"),
        pytest.param(SCOTLAND, date(2026, 12, 16), date(2027, 1, 6), date(2027, 1, 5), id="scotland-a-day-late"),
        pytest.param(ENGLAND, date(2027, 3, 12), date(2027, 3, 30), None, id="good-friday-easter-monday-skipped"),
        pytest.param(ENGLAND, date(2027, 3, 12), date(2027, 3, 31), date(2027, 3, 30), id="england-after-easter"),
        pytest.param(SCOTLAND, date(2027, 3, 12), date(2027, 3, 29), None, id="scotland-only-good-friday-skipped"),
        pytest.param(SCOTLAND, date(2027, 3, 12), date(2027, 3, 30), date(2027, 3, 29), id="scotland-works-easter"),
        pytest.param(ENGLAND, date(2027, 3, 17), date(2027, 4, 3), date(2027, 4, 2), id="saturday-after-friday"),
    ],
)
def test_an_invoice_is_paid_late_after_the_10th_working_day_of_the_compacts_nation(
    council, charity, nation, received, paid, late_after
):
    compact = CompactFactory(nation=nation)
    invoice = InvoiceFactory(relationship=award(compact, council, charity), received_date=received)
    pay_in_full(invoice, paid)

    flags = scan(compact, date(2027, 4, 30), OVERDUE, PAID_LATE)

    assert seen(flags) == ([invoice_flag(invoice, PAID_LATE, late_after)] if late_after else [])


@pytest.mark.parametrize(
    ("nation", "received", "pay_by", "today", "status"),
    [
        pytest.param(ENGLAND, date(2026, 12, 11), date(2026, 12, 29), date(2026, 12, 29), AT_RISK, id="due-today"),
        pytest.param(ENGLAND, date(2026, 12, 11), date(2026, 12, 29), date(2026, 12, 30), OPEN, id="due-yesterday"),
        pytest.param(
            ENGLAND, date(2026, 12, 14), date(2026, 12, 30), date(2026, 12, 24), AT_RISK, id="2nd-working-day-christmas"
        ),
        pytest.param(
            ENGLAND, date(2026, 12, 15), date(2026, 12, 31), date(2026, 12, 24), None, id="3rd-working-day-christmas"
        ),
        pytest.param(
            ENGLAND, date(2026, 12, 8), date(2026, 12, 22), date(2026, 12, 19), AT_RISK, id="saturday-2nd-working-day"
        ),
        pytest.param(
            ENGLAND, date(2026, 12, 9), date(2026, 12, 23), date(2026, 12, 19), None, id="saturday-3rd-working-day"
        ),
        pytest.param(ENGLAND, date(2026, 12, 16), date(2027, 1, 4), date(2027, 1, 5), OPEN, id="england-overdue"),
        pytest.param(
            SCOTLAND, date(2026, 12, 16), date(2027, 1, 5), date(2027, 1, 5), AT_RISK, id="scotland-due-today"
        ),
    ],
)
def test_an_unpaid_invoice_is_at_risk_up_to_its_pay_by_date_and_open_after_it(
    council, charity, nation, received, pay_by, today, status
):
    compact = CompactFactory(nation=nation)
    invoice = InvoiceFactory(relationship=award(compact, council, charity), received_date=received)
    assert invoice.pay_by == pay_by  # the edge the case is about

    flags = scan(compact, today, OVERDUE, PAID_LATE)

    assert seen(flags) == ([invoice_flag(invoice, OVERDUE, pay_by, status)] if status else [])
    assert all(flag.first_detected == today for flag in flags)


def test_an_invoice_goes_at_risk_then_overdue_then_paid_late_and_a_later_payment_is_not_seen_early(funding):
    """Received Friday 11 December 2026, pay by Tuesday 29 December; paid on Thursday 31 December."""
    invoice = InvoiceFactory(relationship=funding, received_date=date(2026, 12, 11))
    pay_in_full(invoice, date(2026, 12, 31))  # recorded now: scans as of earlier days must not count it
    pay_by = date(2026, 12, 29)

    at_risk = scan(funding.compact, date(2026, 12, 24), OVERDUE, PAID_LATE)
    overdue = scan(funding.compact, date(2026, 12, 30), OVERDUE, PAID_LATE)
    paid = scan(funding.compact, date(2026, 12, 31), OVERDUE, PAID_LATE)

    assert seen(at_risk) == [invoice_flag(invoice, OVERDUE, pay_by, AT_RISK)]
    assert seen(overdue) == [invoice_flag(invoice, OVERDUE, pay_by, OPEN)]
    assert seen(paid) == [invoice_flag(invoice, OVERDUE, pay_by, RESOLVED), invoice_flag(invoice, PAID_LATE, pay_by)]
    assert overdue[0].pk == at_risk[0].pk == paid[0].pk
    assert [flag.first_detected for flag in paid] == [date(2026, 12, 24), date(2026, 12, 31)]


def test_an_invoice_part_paid_in_time_stays_overdue_until_the_last_part_is_paid(funding):
    invoice = InvoiceFactory(relationship=funding, received_date=date(2026, 12, 11))  # pay by 29 December
    services.payment_record(
        invoice=invoice, actor=None, paid_date=date(2026, 12, 21), today=date(2026, 12, 21), amount=invoice.amount / 2
    )
    services.payment_record(
        invoice=invoice, actor=None, paid_date=date(2027, 1, 6), today=date(2027, 1, 6), amount=invoice.amount / 2
    )

    before_the_last_part = scan(funding.compact, date(2027, 1, 5), OVERDUE, PAID_LATE)
    after_it = scan(funding.compact, date(2027, 1, 6), OVERDUE, PAID_LATE)

    assert [(f.rule, f.status) for f in before_the_last_part] == [(OVERDUE, OPEN)]
    assert [(f.rule, f.status) for f in after_it] == [(OVERDUE, RESOLVED), (PAID_LATE, OPEN)]


def test_a_flag_cites_the_compacts_own_clause_for_prompt_payment(council, charity):
    compact = CompactFactory(status="adopted", adopted_date=date(2026, 4, 1))
    commitment = CommitmentFactory(compact=compact, code="6.4", rule_key="prompt_payment")
    invoice = InvoiceFactory(relationship=award(compact, council, charity), received_date=date(2026, 12, 11))

    [flag] = scan(compact, date(2026, 12, 30), OVERDUE)

    assert (flag.clause, flag.commitment) == ("6.4", commitment)
    assert flag.record_id == invoice.pk


# --- 9.2 decisions told in good time -------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected_start", "today", "due"),
    [
        pytest.param(date(2027, 4, 1), date(2027, 1, 1), None, id="undecided-on-the-decision-date"),
        pytest.param(date(2027, 4, 1), date(2027, 1, 2), date(2027, 1, 1), id="undecided-a-day-after"),
        pytest.param(date(2027, 2, 28), date(2026, 11, 30), None, id="start-28-feb-decide-by-30-nov"),
        pytest.param(date(2027, 2, 28), date(2026, 12, 1), date(2026, 11, 30), id="start-28-feb-undecided-1-dec"),
        pytest.param(date(2028, 2, 29), date(2027, 11, 30), None, id="leap-start-29-feb-decide-by-30-nov"),
        pytest.param(date(2028, 2, 29), date(2027, 12, 1), date(2027, 11, 30), id="leap-start-undecided-1-dec"),
    ],
)
def test_funding_still_undecided_after_its_decision_date_is_flagged(
    compact, council, charity, expected_start, today, due
):
    pending = FundingRelationshipFactory(
        compact=compact,
        funder=council,
        recipient=charity,
        expected_start=expected_start,
        start_date=None,
        end_date=None,
    )

    flags = scan(compact, today, RuleKey.DECISION_TOO_LATE)

    assert seen(flags) == ([relationship_flag(pending, RuleKey.DECISION_TOO_LATE, DEFAULT, due)] if due else [])


@pytest.mark.parametrize(
    ("expected_start", "told", "justification", "due"),
    [
        pytest.param(date(2027, 4, 1), date(2027, 1, 1), "", None, id="told-three-months-before"),
        pytest.param(date(2027, 4, 1), date(2027, 1, 2), "", date(2027, 1, 1), id="told-a-day-late"),
        pytest.param(date(2027, 4, 1), date(2027, 1, 2), "The budget was set late.", None, id="late-but-justified"),
        pytest.param(date(2027, 2, 28), date(2026, 11, 30), "", None, id="start-28-feb-told-30-nov"),
        pytest.param(date(2027, 2, 28), date(2026, 12, 1), "", date(2026, 11, 30), id="start-28-feb-told-1-dec"),
    ],
)
def test_an_award_told_late_without_justification_is_flagged(
    compact, council, charity, expected_start, told, justification, due
):
    funding = FundingRelationshipFactory(
        compact=compact,
        funder=council,
        recipient=charity,
        expected_start=expected_start,
        start_date=None,
        end_date=None,
    )
    services.decision_record(
        relationship=funding, actor=None, kind="awarded", told_date=told, today=told, justification=justification
    )

    flags = scan(compact, date(2027, 3, 1), RuleKey.DECISION_TOO_LATE)

    assert seen(flags) == ([relationship_flag(funding, RuleKey.DECISION_TOO_LATE, DEFAULT, due)] if due else [])


def test_a_back_dated_scan_sees_funding_undecided_until_the_day_the_decision_was_told(funding):
    """Funding starting 1 April 2027 was to be decided by 1 January; it was awarded, justified, on 1 February."""
    late = FundingRelationshipFactory(
        compact=funding.compact, funder=funding.funder, recipient=funding.recipient, expected_start=date(2027, 4, 1)
    )
    services.decision_record(
        relationship=late,
        actor=None,
        kind="awarded",
        told_date=date(2027, 2, 1),
        today=date(2027, 2, 1),
        justification="Budget set late.",
    )

    as_of_mid_january = scan(funding.compact, date(2027, 1, 15), RuleKey.DECISION_TOO_LATE)

    assert seen(as_of_mid_january) == [relationship_flag(late, RuleKey.DECISION_TOO_LATE, DEFAULT, date(2027, 1, 1))]


# --- 9.1 funding term, 9.3 feedback on a decline, 12.1 monitoring agreed --------------------------


@pytest.mark.parametrize(
    ("end_date", "explanation", "today", "flagged"),
    [
        pytest.param(date(2030, 3, 31), "", date(2027, 4, 1), False, id="exactly-three-years"),
        pytest.param(date(2030, 3, 30), "", date(2027, 4, 1), True, id="a-day-short-on-its-first-day"),
        pytest.param(date(2030, 3, 30), "", date(2027, 3, 31), False, id="a-day-short-not-started-yet"),
        pytest.param(
            date(2028, 3, 31), "A one-year pilot before recommissioning.", date(2027, 4, 1), False, id="explained"
        ),
    ],
)
def test_funding_shorter_than_the_minimum_term_without_explanation_is_flagged(
    compact, council, charity, end_date, explanation, today, flagged
):
    """Awarded funding from 1 April 2027: three years, both days counted, is to 31 March 2030."""
    funding = award(compact, council, charity, end_date=end_date, term_explanation=explanation)

    flags = scan(compact, today, RuleKey.FUNDING_TERM_TOO_SHORT)

    expected = relationship_flag(funding, RuleKey.FUNDING_TERM_TOO_SHORT, DEFAULT, date(2027, 4, 1))
    assert seen(flags) == ([expected] if flagged else [])


@pytest.mark.parametrize(
    ("feedback", "today", "flagged"),
    [
        pytest.param("", date(2026, 11, 30), False, id="not-told-yet"),
        pytest.param("", date(2026, 12, 1), True, id="told-without-feedback"),
        pytest.param(
            "The bid did not show how volunteers would be supported.", date(2026, 12, 1), False, id="feedback"
        ),
    ],
)
def test_a_decline_told_without_feedback_is_flagged(compact, council, charity, feedback, today, flagged):
    funding = FundingRelationshipFactory(compact=compact, funder=council, recipient=charity)
    services.decision_record(
        relationship=funding,
        actor=None,
        kind="declined",
        told_date=date(2026, 12, 1),
        today=date(2026, 12, 1),
        feedback=feedback,
    )

    flags = scan(compact, today, RuleKey.DECLINED_WITHOUT_FEEDBACK)

    expected = relationship_flag(funding, RuleKey.DECLINED_WITHOUT_FEEDBACK, DEFAULT, date(2026, 12, 1))
    assert seen(flags) == ([expected] if flagged else [])


# --- An explanation added later resolves the flag (9.1, 9.2, 9.3) ---------------------------------


def _late_award(compact, council, charity):
    funding = FundingRelationshipFactory(compact=compact, funder=council, recipient=charity, start_date=None)
    services.decision_record(
        relationship=funding, actor=None, kind="awarded", told_date=date(2027, 1, 2), today=date(2027, 1, 2)
    )
    return funding, RuleKey.DECISION_TOO_LATE, {"justification": "The council's budget was set in January."}


def _bare_decline(compact, council, charity):
    funding = FundingRelationshipFactory(compact=compact, funder=council, recipient=charity)
    services.decision_record(
        relationship=funding, actor=None, kind="declined", told_date=date(2026, 12, 1), today=date(2026, 12, 1)
    )
    return funding, RuleKey.DECLINED_WITHOUT_FEEDBACK, {"feedback": "The bid did not show who would benefit."}


def _short_term(compact, council, charity):
    funding = award(compact, council, charity, end_date=date(2030, 3, 30))
    return funding, RuleKey.FUNDING_TERM_TOO_SHORT, {"term_explanation": "A pilot before recommissioning."}


@pytest.mark.parametrize("recorded", [_late_award, _bare_decline, _short_term], ids=["9.2", "9.3", "9.1"])
def test_an_explanation_added_later_resolves_the_flag(compact, council, charity, recorded):
    funding, rule, explanation = recorded(compact, council, charity)
    [flag] = scan(compact, date(2027, 4, 1), rule)
    assert flag.status == OPEN

    if "term_explanation" in explanation:
        services.relationship_update(relationship=funding, actor=None, **explanation)
    else:
        services.decision_explain(decision=funding.decisions.get(), actor=None, **explanation)
    [after] = scan(compact, date(2027, 4, 2), rule)

    assert (after.pk, after.status) == (flag.pk, RESOLVED)


@pytest.mark.parametrize(
    ("monitoring_agreed", "today", "flagged"),
    [
        pytest.param(date(2027, 3, 1), date(2027, 4, 1), False, id="agreed-the-day-it-was-signed"),
        pytest.param(date(2027, 3, 2), date(2027, 4, 1), True, id="agreed-the-day-after"),
        pytest.param(None, date(2027, 4, 1), True, id="never-agreed"),
        pytest.param(None, date(2027, 2, 28), False, id="not-signed-yet"),
    ],
)
def test_an_agreement_signed_before_monitoring_was_agreed_is_flagged(
    compact, council, charity, monitoring_agreed, today, flagged
):
    """The agreement is signed on 1 March 2027."""
    funding = award(compact, council, charity, agreement_signed_date=date(2027, 3, 1))
    FundingRelationship.objects.filter(pk=funding.pk).update(monitoring_agreed_date=monitoring_agreed)

    flags = scan(compact, today, RuleKey.MONITORING_NOT_AGREED)

    expected = relationship_flag(funding, RuleKey.MONITORING_NOT_AGREED, DEFAULT, date(2027, 3, 1))
    assert seen(flags) == ([expected] if flagged else [])


# --- 13.1, 13.3, 13.4 notices --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notice_date", "effective_date", "flagged"),
    [
        pytest.param(date(2027, 9, 1), date(2027, 12, 1), False, id="three-months"),
        pytest.param(date(2027, 9, 1), date(2027, 11, 30), True, id="a-day-short"),
        pytest.param(date(2026, 11, 30), date(2027, 2, 28), False, id="30-nov-to-28-feb"),
        pytest.param(date(2026, 11, 30), date(2027, 2, 27), True, id="30-nov-to-27-feb"),
        pytest.param(date(2027, 11, 30), date(2028, 2, 29), False, id="30-nov-to-29-feb-leap-year"),
        pytest.param(date(2027, 11, 30), date(2028, 2, 28), True, id="30-nov-to-28-feb-leap-year"),
    ],
)
def test_funding_ended_before_three_calendar_months_notice_is_flagged(funding, notice_date, effective_date, flagged):
    notice = NoticeFactory(relationship=funding, notice_date=notice_date, effective_date=effective_date)

    flags = scan(funding.compact, notice_date, RuleKey.NOTICE_TOO_SHORT)

    assert seen(flags) == ([notice_flag(notice, RuleKey.NOTICE_TOO_SHORT, DEFAULT, notice_date)] if flagged else [])


@pytest.mark.parametrize(
    ("compact_excepts_fixed_end", "end_fixed_at_start", "flagged"),
    [
        pytest.param(True, True, False, id="fixed-end-excepted"),
        pytest.param(False, True, True, id="compact-without-the-exception"),
        pytest.param(True, False, True, id="end-not-fixed-at-start"),
    ],
)
def test_short_notice_of_an_end_fixed_from_the_start_is_not_flagged_where_the_compact_excepts_it(
    council, charity, compact_excepts_fixed_end, end_fixed_at_start, flagged
):
    """Leicestershire principle 11: no notice is owed when the end date was defined from the start."""
    compact = CompactFactory(notice_excepts_fixed_end=compact_excepts_fixed_end)
    funding = award(compact, council, charity, end_date_defined_at_start=end_fixed_at_start)
    notice = NoticeFactory(relationship=funding, notice_date=date(2027, 9, 1), effective_date=date(2027, 10, 1))

    flags = scan(compact, date(2027, 9, 1), RuleKey.NOTICE_TOO_SHORT)

    assert seen(flags) == (
        [notice_flag(notice, RuleKey.NOTICE_TOO_SHORT, DEFAULT, date(2027, 9, 1))] if flagged else []
    )


@pytest.mark.parametrize(
    ("kind", "assessed", "flagged"),
    [
        pytest.param("end", date(2027, 9, 1), False, id="assessed-the-day-notice-was-given"),
        pytest.param("end", date(2027, 9, 2), True, id="assessed-the-day-after"),
        pytest.param("end", None, True, id="ending-never-assessed"),
        pytest.param("reduce", None, True, id="reduction-never-assessed"),
        pytest.param("change", None, False, id="a-change-needs-no-assessment"),
    ],
)
def test_notice_of_ending_or_reducing_funding_before_the_impact_is_assessed_is_flagged(
    funding, kind, assessed, flagged
):
    notice = NoticeFactory(
        relationship=funding,
        kind=kind,
        notice_date=date(2027, 9, 1),
        effective_date=date(2027, 12, 1),
        impact_assessment="Forty families lose the weekly food parcel; volunteers move to the Fratton hub."
        if assessed
        else "",
        impact_assessed_date=assessed,
    )

    flags = scan(funding.compact, date(2027, 10, 1), RuleKey.NOTICE_WITHOUT_IMPACT_ASSESSMENT)

    expected = notice_flag(notice, RuleKey.NOTICE_WITHOUT_IMPACT_ASSESSMENT, DEFAULT, date(2027, 9, 1))
    assert seen(flags) == ([expected] if flagged else [])


@pytest.mark.parametrize(
    ("final_decision", "today", "flagged"),
    [
        pytest.param(date(2027, 10, 2), date(2027, 10, 2), False, id="decided-the-day-after-the-window"),
        pytest.param(date(2027, 10, 1), date(2027, 10, 1), True, id="decided-on-the-last-day-to-respond"),
        pytest.param(date(2027, 10, 1), date(2027, 9, 30), False, id="decision-not-taken-yet"),
    ],
)
def test_a_final_decision_taken_before_the_response_window_closed_is_flagged(funding, final_decision, today, flagged):
    """Notice on 1 September 2027; the charity may respond until 1 October."""
    notice = NoticeFactory(
        relationship=funding,
        notice_date=date(2027, 9, 1),
        effective_date=date(2027, 12, 1),
        response_due_by=date(2027, 10, 1),
        final_decision_date=final_decision,
    )

    flags = scan(funding.compact, today, RuleKey.NOTICE_DECIDED_BEFORE_RESPONSE)

    expected = notice_flag(notice, RuleKey.NOTICE_DECIDED_BEFORE_RESPONSE, DEFAULT, final_decision)
    assert seen(flags) == ([expected] if flagged else [])


# --- 19.5 reallocation of a withdrawn equality grant ---------------------------------------------


@pytest.fixture
def communities(db):
    """Communities loaded by migration 0002: disability and age are protected characteristics, carers not."""
    return {c.slug: c for c in Community.objects.filter(slug__in=["disability", "age", "carers"])}


@pytest.mark.parametrize(
    ("served", "grant", "kind", "assessment", "flagged"),
    [
        pytest.param(["disability"], {}, "end", "", True, id="withdrawn-unassessed"),
        pytest.param(["disability", "age"], {}, "end", "", True, id="two-protected-communities-one-flag"),
        pytest.param(["disability"], {}, "end", "Moved to the Fratton disability forum.", False, id="assessed"),
        pytest.param(["carers"], {}, "end", "", False, id="no-protected-characteristic"),
        pytest.param(["disability"], {"strategic": False}, "end", "", False, id="not-a-strategic-grant"),
        pytest.param(["disability"], {"mechanism": Mechanism.CONTRACT}, "end", "", False, id="a-contract"),
        pytest.param(["disability"], {}, "reduce", "", False, id="reduced-not-withdrawn"),
    ],
)
def test_a_withdrawn_strategic_grant_for_a_protected_group_needs_a_reallocation_assessment(
    compact, council, charity, communities, served, grant, kind, assessment, flagged
):
    assert [communities[slug].protected_characteristic for slug in ("disability", "age", "carers")] == [
        True,
        True,
        False,
    ]
    charity.communities.set([communities[slug] for slug in served])
    funding = award(compact, council, charity, **{"strategic": True, **grant})
    notice = NoticeFactory(
        relationship=funding,
        kind=kind,
        notice_date=date(2027, 9, 1),
        effective_date=date(2027, 12, 1),
        reallocation_assessment=assessment,
    )

    flags = scan(compact, date(2027, 9, 1), RuleKey.REALLOCATION_NOT_ASSESSED)

    expected = notice_flag(notice, RuleKey.REALLOCATION_NOT_ASSESSED, DEFAULT, date(2027, 9, 1))
    assert seen(flags) == ([expected] if flagged else [])
