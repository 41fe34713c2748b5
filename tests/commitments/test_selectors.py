import datetime

import pytest

from commitments import selectors
from commitments.models import FlagStatus, RuleKey, SignatureStatus
from tests.commitments.factories import CompactFactory, FlagFactory, PublicBodyFactory, SignatureFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact")


def test_signatories_by_side_count_who_had_signed_and_not_withdrawn_on_the_day(compact):
    SignatureFactory(compact=compact, organisation=PublicBodyFactory(), signed_date=D(2026, 4, 1))
    SignatureFactory(compact=compact, signed_date=D(2026, 4, 1))
    SignatureFactory(compact=compact, signed_date=D(2026, 6, 30))  # signs later
    SignatureFactory(
        compact=compact, status=SignatureStatus.WITHDRAWN, signed_date=D(2026, 4, 1), withdrawn_date=D(2026, 6, 1)
    )
    SignatureFactory(compact=compact, status=SignatureStatus.APPLIED, signed_date=None)
    SignatureFactory(compact=CompactFactory(name="Other Compact"), signed_date=D(2026, 4, 1))

    assert selectors.signatories_by_side(compact=compact, on=D(2026, 5, 31)) == {"public": 1, "vcs": 2}
    assert selectors.signatories_by_side(compact=compact, on=D(2026, 6, 30)) == {"public": 1, "vcs": 2}
    assert selectors.signatories_by_side(compact=compact, on=D(2026, 3, 31)) == {"public": 0, "vcs": 0}


def test_open_flags_by_rule_and_clause_most_first(compact):
    council = PublicBodyFactory(name="Southsea City Council")
    FlagFactory.create_batch(2, compact=compact, organisation=council)
    FlagFactory(compact=compact, rule=RuleKey.NOTICE_TOO_SHORT, clause="13.3")
    FlagFactory(compact=compact, rule=RuleKey.INVOICE_PAID_LATE, clause="11.2")
    FlagFactory(compact=compact, status=FlagStatus.AT_RISK)
    FlagFactory(compact=compact, status=FlagStatus.WAIVED, status_reason="Accepted.")
    FlagFactory(compact=CompactFactory(name="Other Compact"))

    by_rule, by_clause = selectors.open_flags_by_rule_and_clause(compact=compact)

    assert [(f.key, f.count) for f in by_rule] == [
        (RuleKey.INVOICE_OVERDUE, 2),
        (RuleKey.INVOICE_PAID_LATE, 1),
        (RuleKey.NOTICE_TOO_SHORT, 1),
    ]
    assert by_rule[0].label == RuleKey.INVOICE_OVERDUE.label
    assert [(f.key, f.count) for f in by_clause] == [("11.2", 3), ("13.3", 1)]
    assert selectors.open_flags_by_rule_and_clause(compact=compact, organisation=council)[1] == [
        selectors.FlagCount("11.2", "11.2", 2)
    ]
