"""The consultation rules of the compliance scan (Portsmouth 3.7, 3.2, 3.5 and 4.2), run on fixed days over
consultations stored by the services, and judged by the flags the scan writes."""

import datetime

import pytest

from commitments.models import CheckStatus, Flag, FlagStatus, RecordType
from commitments.services.compliance import compliance_scan
from consultations import services
from consultations.models import Consultation, PublicationStatus
from tests.commitments.factories import CompactFactory
from tests.consultations.factories import ConsultationFactory, publish_feedback

pytestmark = pytest.mark.django_db

ONE_DAY = datetime.timedelta(days=1)
MON_5_JAN = datetime.date(2026, 1, 5)
SUN_29_MAR = datetime.date(2026, 3, 29)  # exactly 12 weeks (84 days) after 5 January, both days counted
FEEDBACK_DUE = datetime.date(2026, 6, 21)  # the close date plus the default 12 weeks

TOO_SHORT = "consultation_too_short"
NOT_ANNOUNCED = "consultation_not_announced"
FEEDBACK_OVERDUE = "consultation_feedback_overdue"
CONSULTATION_RULES = [TOO_SHORT, NOT_ANNOUNCED, FEEDBACK_OVERDUE]


def scan(compact, today, *rules):
    """Scan ``compact`` for ``rules`` as of ``today`` and return their flags.

    Every check must have run to the end: a rule that failed would otherwise look like one that found nothing."""
    run = compliance_scan(today=today, compact=compact, rule_keys=list(rules), send_digest=False)
    assert set(run.checks.values_list("status", flat=True)) == {CheckStatus.DONE}
    return list(Flag.objects.filter(compact=compact, rule__in=rules).order_by("rule", "pk"))


def reference(consultation) -> str:
    return f"CONS-{consultation.pk:05d}"


def closing_after(days: int) -> datetime.date:
    """The close date of a consultation opening on Monday 5 January 2026 that lasts ``days`` days."""
    return MON_5_JAN + datetime.timedelta(days=days - 1)


def published_without_explanation(**fields) -> Consultation:
    """Published as the body runs it, with no explanation of a shorter period: recorded, and flagged."""
    return ConsultationFactory(publish=True, **fields)


# --- 3.7: a formal consultation lasts the compact's minimum -------------------------------------------------------


@pytest.mark.parametrize(
    ("min_weeks", "days", "flagged"),
    [
        (12, 84, False),  # Mon 5 January to Sun 29 March: exactly 12 weeks
        (12, 83, True),
        (8, 56, False),  # the compact's own minimum, not the default
        (8, 55, True),
        (8, 83, False),
    ],
)
def test_a_formal_consultation_shorter_than_the_compacts_minimum_without_explanation_is_flagged(
    council, min_weeks, days, flagged
):
    compact = CompactFactory(name="Havant Compact", consultation_min_weeks=min_weeks)
    consultation = published_without_explanation(
        compact=compact, body=council, open_date=MON_5_JAN, close_date=closing_after(days)
    )
    assert consultation.length_days == days

    flags = scan(compact, MON_5_JAN, TOO_SHORT)

    if not flagged:
        assert flags == []
        return
    [flag] = flags
    assert (flag.rule, flag.clause, flag.status) == (TOO_SHORT, "", FlagStatus.OPEN)
    assert flag.organisation == council
    assert (flag.record_type, flag.record_id) == (RecordType.CONSULTATION, consultation.pk)
    assert flag.record_label == reference(consultation)
    assert flag.due_date == MON_5_JAN  # the day it opened short
    assert flag.first_detected == MON_5_JAN


@pytest.mark.parametrize(("today", "flagged"), [(MON_5_JAN - ONE_DAY, False), (MON_5_JAN, True)])
def test_a_short_consultation_is_flagged_from_the_day_it_opens(compact, council, today, flagged):
    published_without_explanation(compact=compact, body=council, open_date=MON_5_JAN, close_date=closing_after(83))

    assert bool(scan(compact, today, TOO_SHORT)) is flagged


def test_a_short_formal_consultation_with_its_explanation_recorded_is_not_flagged(compact, council):
    consultation = ConsultationFactory(
        compact=compact,
        body=council,
        open_date=MON_5_JAN,
        close_date=closing_after(28),
        shorter_explanation="The government's deadline for the bid leaves four weeks.",
        publish=True,
    )
    assert consultation.shorter_than_minimum

    assert scan(compact, MON_5_JAN + 10 * ONE_DAY, TOO_SHORT) == []


def test_an_explanation_added_later_resolves_the_flag(compact, council, officer):
    consultation = published_without_explanation(
        compact=compact, body=council, open_date=MON_5_JAN, close_date=closing_after(83)
    )
    [flag] = scan(compact, MON_5_JAN, TOO_SHORT)

    services.consultation_update(
        consultation=consultation, actor=officer, shorter_explanation="The council's budget vote is on 30 March."
    )
    [after] = scan(compact, MON_5_JAN + ONE_DAY, TOO_SHORT)

    assert (after.pk, flag.status, after.status) == (flag.pk, FlagStatus.OPEN, FlagStatus.RESOLVED)


def test_an_informal_consultation_is_never_too_short(compact, council):
    ConsultationFactory(
        compact=compact, body=council, formal=False, open_date=MON_5_JAN, close_date=MON_5_JAN, publish=True
    )

    assert scan(compact, MON_5_JAN, TOO_SHORT) == []


# --- 3.2: announced before it opens ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("announced", "flagged"),
    [
        (MON_5_JAN - ONE_DAY, False),  # the day before it opens is in time
        (MON_5_JAN, True),  # announced on the open day is not "before"
        (MON_5_JAN + ONE_DAY, True),
        (None, True),  # never announced
    ],
)
def test_a_consultation_not_announced_before_its_open_day_is_flagged(compact, council, announced, flagged):
    consultation = ConsultationFactory(
        compact=compact, body=council, announced_date=announced, open_date=MON_5_JAN, publish=True
    )

    flags = scan(compact, MON_5_JAN + 7 * ONE_DAY, NOT_ANNOUNCED)

    if not flagged:
        assert flags == []
        return
    [flag] = flags
    assert (flag.rule, flag.clause, flag.status) == (NOT_ANNOUNCED, "", FlagStatus.OPEN)
    assert flag.organisation == council
    assert (flag.record_type, flag.record_id) == (RecordType.CONSULTATION, consultation.pk)
    assert flag.record_label == reference(consultation)
    assert flag.due_date == MON_5_JAN


@pytest.mark.parametrize(("today", "flagged"), [(MON_5_JAN - ONE_DAY, False), (MON_5_JAN, True)])
def test_an_unannounced_consultation_is_flagged_from_its_open_day(compact, council, today, flagged):
    """Until it opens there is still time to announce it."""
    ConsultationFactory(compact=compact, body=council, announced_date=None, open_date=MON_5_JAN, publish=True)

    assert bool(scan(compact, today, NOT_ANNOUNCED)) is flagged


# --- 3.5, 4.2: feedback after close ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (SUN_29_MAR + ONE_DAY, None),  # closed, feedback not yet near its due date
        (FEEDBACK_DUE - 15 * ONE_DAY, None),
        (FEEDBACK_DUE - 14 * ONE_DAY, FlagStatus.AT_RISK),  # due within two weeks
        (FEEDBACK_DUE, FlagStatus.AT_RISK),  # the last day for feedback
        (FEEDBACK_DUE + ONE_DAY, FlagStatus.OPEN),  # overdue
    ],
)
def test_feedback_not_published_is_at_risk_within_two_weeks_of_its_due_date_then_overdue(
    compact, council, today, status
):
    consultation = ConsultationFactory(compact=compact, body=council, publish=True)
    assert consultation.feedback_due == FEEDBACK_DUE

    flags = scan(compact, today, FEEDBACK_OVERDUE)

    if status is None:
        assert flags == []
        return
    [flag] = flags
    assert (flag.rule, flag.clause, flag.status) == (FEEDBACK_OVERDUE, "", status)
    assert flag.organisation == council
    assert (flag.record_type, flag.record_id) == (RecordType.CONSULTATION, consultation.pk)
    assert flag.record_label == reference(consultation)
    assert flag.due_date == FEEDBACK_DUE


@pytest.mark.parametrize(
    ("weeks", "due"), [(12, FEEDBACK_DUE), (6, datetime.date(2026, 5, 10)), (1, datetime.date(2026, 4, 5))]
)
def test_feedback_falls_due_the_compacts_number_of_weeks_after_close(council, weeks, due):
    compact = CompactFactory(name="Gosport Compact", feedback_due_weeks=weeks)
    ConsultationFactory(compact=compact, body=council, publish=True)

    assert scan(compact, due, FEEDBACK_OVERDUE)[0].status == FlagStatus.AT_RISK
    [flag] = scan(compact, due + ONE_DAY, FEEDBACK_OVERDUE)

    assert (flag.due_date, flag.status) == (due, FlagStatus.OPEN)


@pytest.mark.parametrize(("today", "flagged"), [(SUN_29_MAR, False), (SUN_29_MAR + ONE_DAY, True)])
def test_feedback_is_not_at_risk_before_the_consultation_has_closed(council, today, flagged):
    """With one week for feedback the two-week warning would start before close; it waits for the close."""
    compact = CompactFactory(name="Fareham Compact", feedback_due_weeks=1)
    ConsultationFactory(compact=compact, body=council, publish=True)

    assert bool(scan(compact, today, FEEDBACK_OVERDUE)) is flagged


def test_the_feedback_flag_goes_from_at_risk_to_open_to_resolved_as_the_scan_runs_day_by_day(compact, council):
    consultation = ConsultationFactory(compact=compact, body=council, publish=True)

    [at_risk] = scan(compact, FEEDBACK_DUE - 7 * ONE_DAY, FEEDBACK_OVERDUE)
    [overdue] = scan(compact, FEEDBACK_DUE + ONE_DAY, FEEDBACK_OVERDUE)
    publish_feedback(consultation, today=FEEDBACK_DUE + 3 * ONE_DAY)
    [resolved] = scan(compact, FEEDBACK_DUE + 3 * ONE_DAY, FEEDBACK_OVERDUE)

    assert at_risk.pk == overdue.pk == resolved.pk
    assert [at_risk.status, overdue.status, resolved.status] == [
        FlagStatus.AT_RISK,
        FlagStatus.OPEN,
        FlagStatus.RESOLVED,
    ]
    assert resolved.first_detected == FEEDBACK_DUE - 7 * ONE_DAY
    assert list(resolved.events.values_list("status", flat=True)) == [
        FlagStatus.AT_RISK,
        FlagStatus.OPEN,
        FlagStatus.RESOLVED,
    ]


@pytest.mark.parametrize(
    ("published_on", "flagged"),
    [
        (SUN_29_MAR + ONE_DAY, False),  # published in good time
        (FEEDBACK_DUE + ONE_DAY, False),  # late, but published by the day of the scan
        (FEEDBACK_DUE + 2 * ONE_DAY, True),  # a back-dated scan does not see feedback published after its day
    ],
)
def test_only_feedback_published_by_the_scans_day_counts(compact, council, published_on, flagged):
    consultation = ConsultationFactory(compact=compact, body=council, publish=True)
    publish_feedback(consultation, today=published_on)

    flags = scan(compact, FEEDBACK_DUE + ONE_DAY, FEEDBACK_OVERDUE)

    assert [flag.status for flag in flags] == ([FlagStatus.OPEN] if flagged else [])


# --- All three rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "flagged_rules"),
    [(PublicationStatus.DRAFT, []), (PublicationStatus.PUBLISHED, sorted(CONSULTATION_RULES))],
)
def test_only_published_consultations_are_checked(compact, council, status, flagged_rules):
    """A draft has promised nothing yet, however short, unannounced and long closed it is."""
    consultation = ConsultationFactory(
        compact=compact, body=council, announced_date=None, open_date=MON_5_JAN, close_date=closing_after(14)
    )
    # Published behind the service, which refuses to publish a short formal consultation without an explanation.
    Consultation.objects.filter(pk=consultation.pk).update(status=status)

    flags = scan(compact, datetime.date(2026, 12, 1), *CONSULTATION_RULES)

    assert [flag.rule for flag in flags] == flagged_rules


def test_each_compacts_scan_flags_only_its_own_consultations(compact, council):
    other = CompactFactory(name="Winchester Compact")
    ConsultationFactory(compact=other, body=council, announced_date=None, publish=True)

    assert scan(compact, MON_5_JAN, NOT_ANNOUNCED) == []
    assert len(scan(other, MON_5_JAN, NOT_ANNOUNCED)) == 1


def test_a_consultation_numbered_beyond_99999_is_labelled_with_its_whole_reference(compact, council):
    consultation = ConsultationFactory(compact=compact, body=council, announced_date=None, publish=True)
    # A large portal's 100,042nd consultation: the id is moved in the database to stand for it.
    Consultation.objects.filter(pk=consultation.pk).update(id=100042)

    [flag] = scan(compact, MON_5_JAN, NOT_ANNOUNCED)

    assert flag.record_id == 100042
    assert flag.record_label == "CONS-100042"
