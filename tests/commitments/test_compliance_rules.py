"""The compliance rulebook: the compact's own rule (its review, Leicestershire §8), the registry every app's
rules join, the page addresses of flagged records, and the rows a rule's query returns."""

import datetime

import pytest
from django.db.models import F, Q

from commitments import rulebook
from commitments.models import (
    CheckStatus,
    Compact,
    Flag,
    FlagStatus,
    MeasurableRule,
    RecordType,
    RuleKey,
    Signature,
)
from commitments.services.compliance import compliance_scan
from tests.commitments.factories import (
    CommitmentFactory,
    CompactFactory,
    OrganisationFactory,
    PublicBodyFactory,
    SignatureFactory,
)
from tests.consultations.factories import ConsultationFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory, MonitoringReturnFactory, NoticeFactory

pytestmark = pytest.mark.django_db

RULE = "compact_review_overdue"
ONE_DAY = datetime.timedelta(days=1)
ADOPTED = datetime.date(2025, 4, 1)
REVIEW_DUE = datetime.date(2026, 4, 1)


def scan(compact, today):
    """Scan ``compact`` for its review as of ``today`` and return the review flags.

    The check must have run to the end: a rule that failed would otherwise look like one that found nothing."""
    run = compliance_scan(today=today, compact=compact, rule_keys=[RULE], send_digest=False)
    assert list(run.checks.values_list("rule", "status")) == [(RULE, CheckStatus.DONE)]
    return list(Flag.objects.filter(compact=compact, rule=RULE).order_by("pk"))


def adopted_compact(**fields) -> Compact:
    defaults = {"name": "Leicestershire Compact", "status": "adopted", "adopted_date": ADOPTED}
    return CompactFactory(**(defaults | {"next_review_date": REVIEW_DUE} | fields))


# --- The compact's review (Leicestershire §8) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "flagged"),
    [
        (REVIEW_DUE - ONE_DAY, False),
        (REVIEW_DUE, False),  # the review date itself is not yet in the past
        (REVIEW_DUE + ONE_DAY, True),
    ],
)
def test_an_adopted_compact_is_flagged_once_its_next_review_date_has_passed(today, flagged):
    compact = adopted_compact()

    flags = scan(compact, today)

    if not flagged:
        assert flags == []
        return
    [flag] = flags
    assert (flag.rule, flag.clause, flag.status) == (RULE, "", FlagStatus.OPEN)
    assert flag.organisation is None  # the compact's champions answer for its review, not one signatory
    assert flag.commitment is None
    assert (flag.record_type, flag.record_id) == (RecordType.COMPACT, compact.pk)
    assert flag.record_label == "leicestershire-compact"
    assert flag.due_date == REVIEW_DUE
    assert flag.first_detected == today


@pytest.mark.parametrize("status", ["draft", "consultation"])
def test_a_compact_not_yet_adopted_is_never_flagged_for_its_review(status):
    compact = adopted_compact(status=status)

    assert scan(compact, REVIEW_DUE + 365 * ONE_DAY) == []


def test_a_withdrawn_compact_is_not_checked_at_all():
    compact = adopted_compact(status="withdrawn")

    run = compliance_scan(today=REVIEW_DUE + ONE_DAY, compact=compact, send_digest=False)

    assert run.checks_total == 0
    assert run.finished_at is not None
    assert not Flag.objects.filter(compact=compact).exists()


def test_a_compact_with_no_review_date_set_is_not_flagged():
    compact = adopted_compact(next_review_date=None)

    assert scan(compact, REVIEW_DUE + ONE_DAY) == []


def test_the_review_flag_cites_the_compacts_own_commitment_when_its_catalogue_has_one():
    compact = adopted_compact()
    CommitmentFactory(compact=compact, code="8.3", position=2, rule_key=MeasurableRule.COMPACT_REVIEW)
    first = CommitmentFactory(compact=compact, code="8.2", position=1, rule_key=MeasurableRule.COMPACT_REVIEW)
    CommitmentFactory(compact=compact, code="8.1", position=0)  # no rule of its own

    [flag] = scan(compact, REVIEW_DUE + ONE_DAY)

    assert (flag.clause, flag.commitment) == ("8.2", first)


def test_the_review_flag_is_resolved_once_the_compact_is_reviewed_and_a_new_date_set():
    compact = adopted_compact()
    [overdue] = scan(compact, REVIEW_DUE + ONE_DAY)

    compact.next_review_date = datetime.date(2027, 4, 1)
    compact.save()
    [resolved] = scan(compact, REVIEW_DUE + 2 * ONE_DAY)

    assert (overdue.status, resolved.pk, resolved.status) == (FlagStatus.OPEN, overdue.pk, FlagStatus.RESOLVED)


# --- The registry ------------------------------------------------------------------------------------------------


def test_every_rule_key_has_a_registered_rule_in_the_order_of_the_keys():
    assert [rule.key for rule in rulebook.all_rules()] == list(RuleKey)


@pytest.mark.parametrize("key", list(RuleKey))
def test_a_second_rule_for_the_same_key_is_refused(key):
    registered = rulebook.rule(key)

    with pytest.raises(ValueError, match="registered twice"):
        rulebook.register(registered)

    assert rulebook.rule(key) is registered
    assert registered.key == key
    assert registered.label == key.label


def test_an_unknown_rule_key_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="unknown compliance rule 'review_late'.*compact_review_overdue"):
        rulebook.rule("review_late")
    with pytest.raises(ValueError, match="unknown compliance rule"):
        compliance_scan(today=REVIEW_DUE, rule_keys=["review_late"], send_digest=False)


def test_a_scan_limited_to_some_rules_checks_only_those():
    compact = adopted_compact()

    run = compliance_scan(
        today=REVIEW_DUE,
        compact=compact,
        rule_keys=["consultation_too_short", "dispute_step_overdue"],
        send_digest=False,
    )

    assert run.rules == ["consultation_too_short", "dispute_step_overdue"]
    assert sorted(run.checks.values_list("rule", flat=True)) == ["consultation_too_short", "dispute_step_overdue"]


def test_every_rule_runs_to_the_end_over_a_compact_with_nothing_to_flag():
    compact = adopted_compact()

    run = compliance_scan(today=REVIEW_DUE, compact=compact, send_digest=False)

    assert run.checks_total == len(RuleKey)
    assert sorted(run.checks.values_list("rule", "status")) == sorted((key, CheckStatus.DONE) for key in RuleKey)
    assert not Flag.objects.exists()


# --- Page addresses of flagged records ---------------------------------------------------------------------------


def _compact():
    compact = CompactFactory(name="Portsmouth Compact")
    return compact.pk, compact.slug, "/compacts/portsmouth-compact/"


def _consultation():
    consultation = ConsultationFactory()
    return consultation.pk, consultation.reference, f"/consultations/{consultation.pk}/"


def _concern():
    # The case page is found by the reference the flag carries, not by the record's id.
    return 7, "CC-2026-0007", "/concerns/CC-2026-0007/"


def _relationship():
    funding = AwardedFundingFactory()
    return funding.pk, funding.reference, f"/funding/{funding.pk}/"


def _invoice():
    """An invoice is shown on its relationship's page, at its own anchor."""
    funding = AwardedFundingFactory()
    InvoiceFactory(relationship=funding)
    invoice = InvoiceFactory(relationship=funding)  # the second, so its id is not the relationship's
    return invoice.pk, invoice.invoice_number, f"/funding/{funding.pk}/#invoice-{invoice.pk}"


def _notice():
    notice = NoticeFactory()
    return notice.pk, notice.relationship.reference, f"/funding/notices/{notice.pk}/"


def _monitoring_return():
    monitoring_return = MonitoringReturnFactory()
    return (
        monitoring_return.pk,
        monitoring_return.plan.relationship.reference,
        f"/funding/returns/{monitoring_return.pk}/",
    )


def _plan_action():
    """An action of a compact's action plan has its own page under the compact's plan."""
    from commitments.models import Objective, PlanAction

    compact = CompactFactory(name="Havant Compact")
    objective = Objective.objects.create(compact=compact, number="1", title="Work together")
    action = PlanAction.objects.create(objective=objective, what="Hold a joint event", lead_group="The champions")
    return (
        action.pk,
        "Action under objective 1: Hold a joint event",
        f"/compacts/havant-compact/action-plan/actions/{action.pk}/",
    )


# A builder per record type: it stores a record and returns its id, the label its flags carry, and its page.
RECORDS = {
    RecordType.COMPACT: _compact,
    RecordType.CONSULTATION: _consultation,
    RecordType.CONCERN: _concern,
    RecordType.FUNDING_RELATIONSHIP: _relationship,
    RecordType.INVOICE: _invoice,
    RecordType.NOTICE: _notice,
    RecordType.MONITORING_RETURN: _monitoring_return,
    RecordType.PLAN_ACTION: _plan_action,
}


@pytest.mark.parametrize("record_type", list(RECORDS), ids=str)
def test_a_flagged_record_links_to_its_page(record_type):
    record_id, label, address = RECORDS[record_type]()

    assert rulebook.record_links([(record_type, record_id, label)]) == {(record_type, record_id): address}


def test_every_kind_of_record_is_flagged_by_some_rule_and_its_page_address_is_tested():
    assert {rule.record_type for rule in rulebook.all_rules()} == set(RecordType) == set(RECORDS)


def test_links_for_flags_of_every_kind_come_in_one_query_for_invoices_one_for_plan_actions_and_none_for_the_rest(
    django_assert_num_queries,
):
    records = [(record_type, *build()) for record_type, build in [*RECORDS.items(), (RecordType.INVOICE, _invoice)]]

    with django_assert_num_queries(2):  # an action's page is under its compact's: its slug
        links = rulebook.record_links((record_type, pk, label) for record_type, pk, label, _address in records)

    assert links == {(record_type, pk): address for record_type, pk, _label, address in records}


def test_a_record_gone_or_of_an_unknown_kind_gets_no_link():
    invoice_id, number, address = _invoice()

    links = rulebook.record_links(
        [
            (RecordType.INVOICE, invoice_id, number),
            (RecordType.INVOICE, invoice_id + 1000, "INV-GONE"),
            ("grant", 1, "G"),
        ]
    )

    assert links == {(RecordType.INVOICE, invoice_id): address}


# --- The rows a rule returns -------------------------------------------------------------------------------------


def test_breach_rows_gives_the_six_columns_and_every_row_open_without_an_at_risk_condition():
    compact = adopted_compact()

    rows = rulebook.breach_rows(
        Compact.objects.filter(pk=compact.pk), compact="pk", organisation=None, due="next_review_date", label="slug"
    )

    assert list(rows) == [
        {
            "flag_compact": compact.pk,
            "flag_record": compact.pk,
            "flag_organisation": None,
            "flag_due": REVIEW_DUE,
            "flag_label": "leicestershire-compact",
            "flag_status": FlagStatus.OPEN,
        }
    ]
    assert tuple(rows[0]) == rulebook.BREACH_COLUMNS


def test_breach_rows_marks_the_rows_outside_the_open_condition_at_risk():
    adopted_compact(name="Blaby Compact", next_review_date=REVIEW_DUE - ONE_DAY)
    adopted_compact(name="Charnwood Compact", next_review_date=REVIEW_DUE)

    rows = rulebook.breach_rows(
        Compact.objects.all(),
        compact="pk",
        organisation=None,
        due="next_review_date",
        label="slug",
        open_when=Q(next_review_date__lt=REVIEW_DUE),
    )

    assert sorted((row["flag_label"], row["flag_status"]) for row in rows) == [
        ("blaby-compact", FlagStatus.OPEN),
        ("charnwood-compact", FlagStatus.AT_RISK),
    ]


def test_breach_rows_takes_field_names_or_expressions_and_another_record_column():
    compact = adopted_compact()
    council = PublicBodyFactory(name="Blaby District Council")
    signature = SignatureFactory(compact=compact, organisation=council)
    SignatureFactory(compact=compact, organisation=OrganisationFactory(name="Blaby Food Bank"))

    rows = rulebook.breach_rows(
        Signature.objects.filter(organisation=council),
        compact="compact_id",
        record="compact_id",
        organisation="organisation_id",
        due="signed_date",
        label=F("organisation__name"),
    )

    assert list(rows) == [
        {
            "flag_compact": compact.pk,
            "flag_record": compact.pk,
            "flag_organisation": council.pk,
            "flag_due": signature.signed_date,
            "flag_label": "Blaby District Council",
            "flag_status": FlagStatus.OPEN,
        }
    ]
