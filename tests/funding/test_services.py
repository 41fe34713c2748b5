import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from commitments.models import RecordType
from funding import services
from funding.gaps import relationship_gaps
from funding.models import FundingStatus
from tests.commitments.factories import CompactFactory
from tests.funding.factories import (
    AwardedFundingFactory,
    FundingRelationshipFactory,
    InvoiceFactory,
    NoticeFactory,
    sign_up,
)

pytestmark = pytest.mark.django_db


def test_relationship_stores_its_deadlines():
    relationship = FundingRelationshipFactory(
        expected_start=datetime.date(2027, 4, 1),
        start_date=datetime.date(2027, 4, 1),
        end_date=datetime.date(2030, 3, 31),
    )

    assert relationship.decision_due_by == datetime.date(2027, 1, 1)
    assert relationship.minimum_end_date == datetime.date(2030, 3, 31)


def test_deadlines_follow_the_compacts_settings():
    compact = CompactFactory(decision_lead_months=6, min_funding_years=2)

    relationship = FundingRelationshipFactory(
        compact=compact, start_date=datetime.date(2027, 4, 1), end_date=datetime.date(2029, 3, 31)
    )

    assert relationship.decision_due_by == datetime.date(2026, 10, 1)
    assert relationship.minimum_end_date == datetime.date(2029, 3, 31)


@pytest.mark.parametrize(
    ("end_date", "explanation", "stored", "gap"),
    [
        pytest.param(datetime.date(2030, 3, 31), "", "", False, id="exactly-three-years"),
        pytest.param(datetime.date(2030, 3, 30), "", "", True, id="a-day-short-unexplained"),
        pytest.param(datetime.date(2030, 3, 30), " \n ", "", True, id="a-day-short-whitespace-is-no-explanation"),
        pytest.param(datetime.date(2030, 3, 30), " A pilot. ", "A pilot.", False, id="a-day-short-explained"),
    ],
)
def test_a_term_shorter_than_three_years_is_recorded_explained_or_not(end_date, explanation, stored, gap):
    """Record the facts, flag the gap (9.1): the short term is saved, and a gap until it is explained."""
    funding = FundingRelationshipFactory(
        start_date=datetime.date(2027, 4, 1), end_date=end_date, term_explanation=explanation
    )

    funding.refresh_from_db()
    assert (funding.end_date, funding.term_explanation) == (end_date, stored)
    assert [g.rule for g in relationship_gaps(funding)] == (["funding_term"] if gap else [])


def test_an_end_before_the_start_is_still_refused():
    with pytest.raises(ValidationError) as error:
        FundingRelationshipFactory(start_date=datetime.date(2027, 4, 1), end_date=datetime.date(2027, 3, 31))

    assert "end_date" in error.value.message_dict


def test_changing_the_expected_start_moves_the_decisions_deadline():
    funding = AwardedFundingFactory(expected_start=datetime.date(2027, 4, 1))

    services.relationship_update(relationship=funding, actor=None, expected_start=datetime.date(2027, 7, 1))

    assert funding.decision_due_by == datetime.date(2027, 4, 1)
    assert funding.decisions.get().due_by == datetime.date(2027, 4, 1)


@pytest.mark.parametrize(
    ("told", "justification", "gap"),
    [
        pytest.param(datetime.date(2027, 1, 1), "", False, id="told-on-the-decision-date"),
        pytest.param(datetime.date(2027, 1, 2), "", True, id="a-day-late-without-justification"),
        pytest.param(datetime.date(2027, 1, 2), "   ", True, id="a-day-late-whitespace-is-no-justification"),
        pytest.param(datetime.date(2027, 2, 1), "The budget was set late.", False, id="late-with-justification"),
    ],
)
def test_an_award_is_recorded_however_late_and_a_late_one_unjustified_is_a_gap(told, justification, gap):
    """Decision date for a start on 1 April 2027: 1 January 2027 (9.2)."""
    funding = FundingRelationshipFactory(expected_start=datetime.date(2027, 4, 1))

    decision = services.decision_record(
        relationship=funding,
        actor=None,
        kind="awarded",
        told_date=told,
        today=told,
        rationale="r",
        justification=justification,
    )

    funding.refresh_from_db()
    assert funding.status == FundingStatus.AWARDED
    assert (decision.due_by, decision.justification) == (datetime.date(2027, 1, 1), justification.strip())
    assert [g.rule for g in relationship_gaps(funding)] == (["decision_lead_time"] if gap else [])


@pytest.mark.parametrize(("feedback", "gap"), [("", True), ("Too few volunteers were costed.", False)])
def test_a_decline_is_recorded_with_or_without_feedback(feedback, gap):
    funding = FundingRelationshipFactory()

    services.decision_record(
        relationship=funding,
        actor=None,
        kind="declined",
        told_date=datetime.date(2026, 12, 1),
        today=datetime.date(2026, 12, 1),
        feedback=feedback,
    )

    funding.refresh_from_db()
    assert funding.status == FundingStatus.DECLINED
    assert [g.rule for g in relationship_gaps(funding)] == (["decline_feedback"] if gap else [])


# --- Explanations added later (9.2, 9.3) ---------------------------------------------------------


@pytest.fixture
def rechecks(monkeypatch):
    """What the services ask the compliance rules to check again once their transaction commits."""
    asked = []
    monkeypatch.setattr(services, "recheck_on_commit", lambda **kwargs: asked.append(kwargs))
    return asked


def _late_award():
    funding = FundingRelationshipFactory(expected_start=datetime.date(2027, 4, 1), reference="GR-2027-042")
    return services.decision_record(
        relationship=funding,
        actor=None,
        kind="awarded",
        told_date=datetime.date(2027, 2, 1),
        today=datetime.date(2027, 2, 1),
    )


def test_a_justification_added_later_closes_the_gap_and_asks_for_a_recheck(rechecks, officer):
    decision = _late_award()
    rechecks.clear()

    services.decision_explain(decision=decision, actor=officer, justification="  The budget was set in January. ")

    decision.refresh_from_db()
    assert decision.justification == "The budget was set in January."
    assert decision.history.first().history_user == officer
    assert relationship_gaps(decision.relationship) == []
    assert rechecks == [
        {
            "record_type": RecordType.FUNDING_RELATIONSHIP,
            "ids": [decision.relationship_id],
            "what": "Justification added to the decision on GR-2027-042",
        }
    ]


def test_feedback_added_later_closes_a_declines_gap(rechecks):
    funding = FundingRelationshipFactory()
    decline = services.decision_record(
        relationship=funding,
        actor=None,
        kind="declined",
        told_date=datetime.date(2026, 12, 1),
        today=datetime.date(2026, 12, 1),
    )

    services.decision_explain(decision=decline, actor=None, feedback="The bid did not cost its volunteers.")

    assert relationship_gaps(funding) == []
    assert rechecks[-1]["what"] == f"Feedback added to the decision on {funding.reference}"


@pytest.mark.parametrize("blank", ["", "  \n"])
def test_a_blank_justification_is_refused_and_nothing_changes(rechecks, blank):
    decision = _late_award()
    rechecks.clear()

    with pytest.raises(ValidationError) as error:
        services.decision_explain(decision=decision, actor=None, justification=blank)

    assert error.value.message_dict == {"justification": ["Write the justification first."]}
    assert decision.history.count() == 1
    assert rechecks == []


def test_the_same_justification_again_changes_nothing(rechecks):
    decision = _late_award()
    services.decision_explain(decision=decision, actor=None, justification="Budget set late.")
    rechecks.clear()

    services.decision_explain(decision=decision, actor=None, justification="Budget set late.")

    assert decision.history.count() == 2  # recorded, then explained once
    assert rechecks == []


@pytest.mark.parametrize(
    ("sequence", "refused"),
    [
        pytest.param(["reduced"], "reduced", id="reduce-before-award"),
        pytest.param(["awarded", "awarded"], "awarded", id="award-twice"),
        pytest.param(["awarded", "ended", "reduced"], "reduced", id="reduce-after-end"),
    ],
)
def test_decisions_follow_the_relationships_state(sequence, refused):
    funding = FundingRelationshipFactory()
    *allowed, last = sequence
    for kind in allowed:
        services.decision_record(
            relationship=funding,
            actor=None,
            kind=kind,
            told_date=datetime.date(2026, 12, 1),
            today=datetime.date(2026, 12, 1),
        )

    with pytest.raises(ValidationError) as error:
        services.decision_record(
            relationship=funding,
            actor=None,
            kind=last,
            told_date=datetime.date(2026, 12, 2),
            today=datetime.date(2026, 12, 2),
        )

    assert "can only be" in error.value.message_dict["kind"][0]


def test_a_reduction_changes_the_amount_and_keeps_history(officer):
    funding = AwardedFundingFactory(amount=Decimal("30000"))

    services.decision_record(
        relationship=funding,
        actor=officer,
        kind="reduced",
        told_date=datetime.date(2027, 6, 1),
        today=datetime.date(2027, 6, 1),
        new_amount=Decimal("20000"),
    )

    funding.refresh_from_db()
    assert funding.amount == Decimal("20000")
    assert funding.history.first().history_user == officer
    assert funding.history.count() == 3  # created, awarded, reduced


def test_an_invoices_pay_by_date_is_stored_and_moves_with_the_received_date():
    invoice = InvoiceFactory(received_date=datetime.date(2026, 12, 18))
    assert invoice.pay_by == datetime.date(2027, 1, 6)  # Christmas, Boxing Day (substitute) and New Year skipped

    services.invoice_update(
        invoice=invoice,
        actor=None,
        invoice_number=invoice.invoice_number,
        amount=invoice.amount,
        received_date=datetime.date(2027, 1, 4),
        today=datetime.date(2027, 1, 4),
    )

    invoice.refresh_from_db()
    assert invoice.pay_by == datetime.date(2027, 1, 18)


def test_the_pay_by_date_uses_the_compacts_nation():
    scottish = CompactFactory(name="Highland Compact", nation="scotland")
    funding = AwardedFundingFactory(compact=scottish)

    invoice = InvoiceFactory(relationship=funding, received_date=datetime.date(2027, 7, 30))

    assert invoice.pay_by == datetime.date(2027, 8, 16)  # first Monday of August is Scotland's holiday


def test_an_invoice_stores_its_relationships_compact():
    invoice = InvoiceFactory()

    assert invoice.compact == invoice.relationship.compact


def test_moving_funding_to_another_compact_recounts_its_invoices_and_notices():
    funding = AwardedFundingFactory()
    invoice = InvoiceFactory(relationship=funding, received_date=datetime.date(2027, 7, 30))
    notice = NoticeFactory(relationship=funding, notice_date=datetime.date(2027, 9, 1))
    assert (invoice.pay_by, notice.earliest_effective_date) == (datetime.date(2027, 8, 13), datetime.date(2027, 12, 1))
    scottish = CompactFactory(name="Highland Compact", nation="scotland", notice_months=6)
    sign_up(compact=scottish, funder=funding.funder)

    services.relationship_update(relationship=funding, actor=None, compact=scottish)

    invoice.refresh_from_db()
    notice.refresh_from_db()
    assert invoice.compact == scottish
    assert invoice.pay_by == datetime.date(2027, 8, 16)  # Scotland's August bank holiday
    assert notice.earliest_effective_date == datetime.date(2028, 3, 1)


def test_part_payments_settle_the_invoice_on_the_day_of_the_last_part():
    invoice = InvoiceFactory(amount=Decimal("1000"))

    services.payment_record(
        invoice=invoice,
        actor=None,
        paid_date=datetime.date(2027, 4, 8),
        today=datetime.date(2027, 4, 8),
        amount=Decimal("400"),
    )
    invoice.refresh_from_db()
    assert invoice.paid_date is None
    assert invoice.working_days_to_pay is None
    assert invoice.outstanding == Decimal("600")

    services.payment_record(
        invoice=invoice,
        actor=None,
        paid_date=datetime.date(2027, 4, 30),
        today=datetime.date(2027, 4, 30),
        amount=Decimal("600"),
    )
    invoice.refresh_from_db()
    assert invoice.paid_date == datetime.date(2027, 4, 30)
    assert invoice.working_days_to_pay == 18  # received Tuesday 6 April: 3 + 5 + 5 + 5 working days


@pytest.mark.parametrize(
    ("nation", "working_days"),
    [
        pytest.param("england_wales", 10, id="england-no-holiday"),
        pytest.param("scotland", 9, id="scotland-first-monday-of-august"),
    ],
)
def test_the_working_days_to_pay_skip_the_compacts_bank_holidays(nation, working_days):
    funding = AwardedFundingFactory(compact=CompactFactory(name="Paying Compact", nation=nation))
    invoice = InvoiceFactory(relationship=funding, received_date=datetime.date(2027, 7, 30))

    services.payment_record(
        invoice=invoice,
        actor=None,
        paid_date=datetime.date(2027, 8, 13),
        today=datetime.date(2027, 8, 13),
        amount=invoice.amount,
    )

    invoice.refresh_from_db()
    assert invoice.working_days_to_pay == working_days


def test_correcting_the_received_date_recounts_the_working_days_to_pay():
    invoice = InvoiceFactory(received_date=datetime.date(2027, 4, 6))
    services.payment_record(
        invoice=invoice,
        actor=None,
        paid_date=datetime.date(2027, 4, 13),
        today=datetime.date(2027, 4, 13),
        amount=invoice.amount,
    )

    services.invoice_update(
        invoice=invoice,
        actor=None,
        invoice_number=invoice.invoice_number,
        amount=invoice.amount,
        received_date=datetime.date(2027, 4, 9),
        today=datetime.date(2027, 4, 9),
    )

    invoice.refresh_from_db()
    assert invoice.working_days_to_pay == 2  # Monday 12 and Tuesday 13 April


def test_a_payment_cannot_exceed_what_is_owed():
    invoice = InvoiceFactory(amount=Decimal("1000"))

    with pytest.raises(ValidationError) as error:
        services.payment_record(
            invoice=invoice,
            actor=None,
            paid_date=datetime.date(2027, 4, 8),
            today=datetime.date(2027, 4, 8),
            amount=Decimal("1000.01"),
        )

    assert "£1,000.00" in error.value.message_dict["amount"][0]
    assert not invoice.payments.exists()


def test_a_payment_cannot_come_before_the_invoice():
    invoice = InvoiceFactory(received_date=datetime.date(2027, 4, 6))

    with pytest.raises(ValidationError) as error:
        services.payment_record(
            invoice=invoice,
            actor=None,
            paid_date=datetime.date(2027, 4, 5),
            today=datetime.date(2027, 4, 5),
            amount=Decimal("1"),
        )

    assert "paid_date" in error.value.message_dict


def test_a_short_notice_is_recorded_with_its_earliest_effective_date():
    notice = NoticeFactory(notice_date=datetime.date(2027, 11, 30), effective_date=datetime.date(2028, 2, 28))

    assert notice.earliest_effective_date == datetime.date(2028, 2, 29)  # leap year
    assert not notice.notice_period_met


def test_leicestershire_owes_no_notice_when_the_end_was_fixed_from_the_start():
    compact = CompactFactory(name="County Compact", notice_excepts_fixed_end=True)
    funding = AwardedFundingFactory(compact=compact, end_date_defined_at_start=True)

    notice = NoticeFactory(
        relationship=funding, notice_date=datetime.date(2030, 3, 1), effective_date=datetime.date(2030, 3, 31)
    )

    assert not notice.notice_owed
    assert notice.notice_period_met


def test_other_compacts_owe_notice_even_when_the_end_was_fixed():
    funding = AwardedFundingFactory(end_date_defined_at_start=True)

    notice = NoticeFactory(
        relationship=funding, notice_date=datetime.date(2030, 3, 1), effective_date=datetime.date(2030, 3, 31)
    )

    assert notice.notice_owed
    assert not notice.notice_period_met


@pytest.mark.parametrize(
    ("days_after_window", "accepted"),
    [pytest.param(0, True, id="on-the-last-day"), pytest.param(1, False, id="the-day-after")],
)
def test_the_organisation_responds_within_the_window(vcs_member, days_after_window, accepted):
    notice = NoticeFactory(notice_date=datetime.date(2027, 9, 1), response_due_by=datetime.date(2027, 9, 30))
    today = datetime.date(2027, 9, 30) + datetime.timedelta(days=days_after_window)

    def respond():
        services.notice_respond(notice=notice, actor=vcs_member, response="We serve 400 families.", today=today)

    if accepted:
        respond()
        notice.refresh_from_db()
        assert notice.response == "We serve 400 families."
        assert notice.responded_by == vcs_member
    else:
        with pytest.raises(ValidationError, match="closed on 30 September 2027"):
            respond()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("effective_date", datetime.date(2027, 8, 31), "cannot take effect before"),
        ("response_due_by", datetime.date(2027, 8, 31), "response window"),
        ("rationale", "  ", "rationale is required"),
    ],
)
def test_a_notice_must_make_sense(field, value, message):
    with pytest.raises(ValidationError) as error:
        NoticeFactory(notice_date=datetime.date(2027, 9, 1), **{field: value})

    assert message in error.value.message_dict[field][0]


@pytest.mark.parametrize(
    ("side", "message"),
    [("funder", "must be a public body"), ("recipient", "voluntary or community")],
)
def test_funder_and_recipient_sides(side, message, council, charity):
    wrong = {"funder": charity, "recipient": council}[side]

    with pytest.raises(ValidationError) as error:
        FundingRelationshipFactory(**{side: wrong})

    assert message in error.value.message_dict[side][0]


def test_every_change_is_kept_in_history_with_who_made_it(officer):
    invoice = InvoiceFactory()
    notice = NoticeFactory(relationship=invoice.relationship)

    services.payment_record(
        invoice=invoice,
        actor=officer,
        paid_date=datetime.date(2027, 4, 9),
        today=datetime.date(2027, 4, 9),
        amount=invoice.amount,
    )
    services.notice_update(
        notice=notice, actor=officer, final_decision_date=datetime.date(2027, 10, 15), today=datetime.date(2027, 10, 15)
    )

    for record in (invoice, notice):
        latest = record.history.first()
        assert latest.history_user == officer
        assert record.history.count() == 2
    assert invoice.history.first().paid_date == datetime.date(2027, 4, 9)
    assert invoice.history.last().paid_date is None  # the earlier state is kept too
    assert invoice.payments.get().history.first().history_user == officer
