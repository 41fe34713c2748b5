"""A compact's rule settings change: the deadlines of its open funding records follow, closed ones keep theirs
(funding/services/deadlines.py). Invoices are covered in tests/commitments/test_compact_settings.py.

The funding: expected to start 1 April 2027, for three years to 31 March 2030. Under 3 months' lead time the
decision is due by 1 January 2027; the award factory tells it on 1 October 2026. The notice: given
1 September 2027, effective 1 December 2027, exactly 3 months.
"""

import datetime

import pytest

from commitments.services import compact_settings_update
from funding import services
from funding.models import FundingStatus
from tests.funding.factories import AwardedFundingFactory, FundingRelationshipFactory, NoticeFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 9, 1)


def test_a_pending_relationships_decision_date_moves_and_a_decided_one_keeps_its_own(compact, administrator):
    pending = FundingRelationshipFactory(compact=compact)
    decided = AwardedFundingFactory(compact=compact)
    assert pending.decision_due_by == decided.decision_due_by == datetime.date(2027, 1, 1)

    compact_settings_update(compact=compact, actor=administrator, today=TODAY, decision_lead_months=6)

    pending.refresh_from_db()
    decided.refresh_from_db()
    assert pending.decision_due_by == datetime.date(2026, 10, 1)
    assert decided.decision_due_by == datetime.date(2027, 1, 1)
    assert decided.decisions.get().due_by == datetime.date(2027, 1, 1)  # told in time by the rule of the day
    assert pending.history.latest().history_user == administrator


@pytest.mark.parametrize(
    ("decided", "minimum_end"),
    [
        (False, datetime.date(2032, 3, 31)),  # undecided: the term is not agreed yet, so the new minimum applies
        (True, datetime.date(2030, 3, 31)),  # awarded: the term was agreed under the minimum of the day
    ],
)
def test_the_minimum_term_follows_until_the_funding_is_decided(compact, administrator, decided, minimum_end):
    relationship = (AwardedFundingFactory if decided else FundingRelationshipFactory)(compact=compact)
    assert relationship.minimum_end_date == datetime.date(2030, 3, 31)

    compact_settings_update(compact=compact, actor=administrator, today=TODAY, min_funding_years=5)

    relationship.refresh_from_db()
    assert relationship.minimum_end_date == minimum_end


def test_funding_a_longer_minimum_makes_short_is_saved_not_refused(compact, administrator):
    """Three years under a new five-year minimum, with no explanation: the settings change goes through and
    the compliance rules judge the funding (9.1), rather than the change being refused."""
    pending = FundingRelationshipFactory(compact=compact)

    compact_settings_update(compact=compact, actor=administrator, today=TODAY, min_funding_years=5)

    pending.refresh_from_db()
    assert pending.minimum_end_date == datetime.date(2032, 3, 31)
    assert pending.end_date < pending.minimum_end_date
    assert pending.term_explanation == ""


def test_a_declined_relationship_is_decided_and_keeps_its_dates(compact, administrator):
    declined = FundingRelationshipFactory(compact=compact)
    services.decision_record(
        relationship=declined,
        actor=None,
        kind="declined",
        told_date=datetime.date(2026, 10, 1),
        today=datetime.date(2026, 10, 1),
        feedback="The bid did not show demand.",
    )
    declined.refresh_from_db()
    assert declined.status == FundingStatus.DECLINED

    compact_settings_update(
        compact=compact, actor=administrator, today=TODAY, decision_lead_months=6, min_funding_years=5
    )

    declined.refresh_from_db()
    assert (declined.decision_due_by, declined.minimum_end_date) == (
        datetime.date(2027, 1, 1),
        datetime.date(2030, 3, 31),
    )


@pytest.mark.parametrize(
    ("today", "earliest"),
    [
        (datetime.date(2027, 9, 1), datetime.date(2028, 1, 1)),  # given today, effective later: moves
        (datetime.date(2027, 11, 30), datetime.date(2028, 1, 1)),  # the day before it takes effect: moves
        (datetime.date(2027, 12, 1), datetime.date(2027, 12, 1)),  # in effect from today: keeps
        (datetime.date(2028, 6, 1), datetime.date(2027, 12, 1)),  # long in effect: keeps
    ],
)
def test_a_notice_not_yet_in_effect_moves_and_one_in_effect_keeps_its_date(
    compact, funding, administrator, today, earliest
):
    notice = NoticeFactory(relationship=funding)
    assert notice.earliest_effective_date == datetime.date(2027, 12, 1)

    compact_settings_update(compact=compact, actor=administrator, today=today, notice_months=4)

    notice.refresh_from_db()
    assert notice.earliest_effective_date == earliest


@pytest.mark.parametrize(
    ("today", "owed"),
    [
        (datetime.date(2027, 11, 30), False),  # not yet in effect: the exception now applies
        (datetime.date(2027, 12, 1), True),  # in effect: judged as owed, as it was
    ],
)
def test_the_fixed_end_exception_follows_for_notices_not_yet_in_effect(
    compact, council, charity, administrator, today, owed
):
    fixed = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, end_date_defined_at_start=True)
    notice = NoticeFactory(relationship=fixed)
    assert notice.notice_owed

    compact_settings_update(compact=compact, actor=administrator, today=today, notice_excepts_fixed_end=True)

    notice.refresh_from_db()
    assert notice.notice_owed is owed


def test_a_change_that_moves_nothing_writes_no_history(compact, funding, administrator):
    notice = NoticeFactory(relationship=funding)
    counts = (funding.history.count(), notice.history.count())

    # Working days move no calendar-month date and no decision date.
    compact_settings_update(compact=compact, actor=administrator, today=TODAY, payment_working_days=15)

    assert (funding.history.count(), notice.history.count()) == counts
