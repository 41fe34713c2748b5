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


@pytest.fixture
def signatures(compact):
    """Signed on 1 April 2026: a public body, a charity, and a charity that withdrew on 1 June. Another charity
    signed on 30 June. An application not yet decided, and another compact's signature, count for nothing."""
    SignatureFactory(compact=compact, organisation=PublicBodyFactory(), signed_date=D(2026, 4, 1))
    SignatureFactory(compact=compact, signed_date=D(2026, 4, 1))
    SignatureFactory(compact=compact, signed_date=D(2026, 6, 30))  # signs later
    SignatureFactory(
        compact=compact, status=SignatureStatus.WITHDRAWN, signed_date=D(2026, 4, 1), withdrawn_date=D(2026, 6, 1)
    )
    SignatureFactory(compact=compact, status=SignatureStatus.APPLIED, signed_date=None)
    SignatureFactory(compact=CompactFactory(name="Other Compact"), signed_date=D(2026, 4, 1))


def test_signatories_by_side_count_who_had_signed_and_not_withdrawn_on_each_day(compact, signatures):
    assert selectors.signatories_by_side(compact=compact, dates=[D(2026, 5, 31), D(2026, 6, 30), D(2026, 3, 31)]) == [
        {"public": 1, "vcs": 2},
        {"public": 1, "vcs": 2},
        {"public": 0, "vcs": 0},
    ]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        pytest.param(D(2026, 3, 31), {"public": 0, "vcs": 0}, id="the-day-before-signing"),
        pytest.param(D(2026, 4, 1), {"public": 1, "vcs": 2}, id="the-day-of-signing-counts"),
        pytest.param(D(2026, 5, 31), {"public": 1, "vcs": 2}, id="the-day-before-withdrawing-counts"),
        pytest.param(D(2026, 6, 1), {"public": 1, "vcs": 1}, id="the-day-of-withdrawing-does-not"),
        pytest.param(D(2026, 6, 30), {"public": 1, "vcs": 2}, id="a-late-signatory"),
    ],
)
def test_signatories_by_side_on_the_edges(compact, signatures, on, expected):
    assert selectors.signatories_by_side(compact=compact, dates=[on]) == [expected]
    assert selectors.signatures_on(compact=compact, on=on).count() == sum(expected.values())
    for side, count in expected.items():
        assert selectors.signatures_on(compact=compact, on=on, side=side).count() == count


def test_signatures_on_a_day_for_one_organisation(compact, signatures):
    public_body = selectors.signatures_on(compact=compact, on=D(2026, 6, 30), side="public").get().organisation

    assert selectors.signatures_on(compact=compact, on=D(2026, 6, 30), organisation=public_body).count() == 1
    assert not selectors.signatures_on(compact=compact, on=D(2026, 3, 31), organisation=public_body).exists()


def test_signatories_by_side_take_one_query_however_many_signatures_and_days(
    compact, signatures, django_assert_num_queries
):
    days = [D(2026, 3, 31), D(2026, 6, 30)]
    for more in (1, 3):
        with django_assert_num_queries(1):
            selectors.signatories_by_side(compact=compact, dates=days)
        SignatureFactory.create_batch(more, compact=compact, signed_date=D(2026, 5, 1))
        days += [D(2026, 4, 30), D(2026, 5, 31)]
    with django_assert_num_queries(1):
        counts = selectors.signatories_by_side(compact=compact, dates=days)

    assert counts[1] == {"public": 1, "vcs": 6}


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


def test_open_flags_by_rule_and_clause_of_a_compact_without_flags(compact):
    FlagFactory(compact=compact, status=FlagStatus.WAIVED, status_reason="Accepted.")

    assert selectors.open_flags_by_rule_and_clause(compact=compact) == ([], [])


def test_open_flags_by_rule_and_clause_take_one_query_however_many_flags(compact, django_assert_num_queries):
    council = PublicBodyFactory(name="Southsea City Council")
    for more in (1, 3):
        for organisation in (None, council):
            with django_assert_num_queries(1):
                selectors.open_flags_by_rule_and_clause(compact=compact, organisation=organisation)
        FlagFactory.create_batch(more, compact=compact, organisation=council)
        FlagFactory.create_batch(more, compact=compact, rule=RuleKey.DECISION_TOO_LATE, clause="9.2")
    with django_assert_num_queries(1):
        by_rule, by_clause = selectors.open_flags_by_rule_and_clause(compact=compact)

    assert [(f.key, f.count) for f in by_rule] == [(RuleKey.DECISION_TOO_LATE, 4), (RuleKey.INVOICE_OVERDUE, 4)]
    assert [(f.key, f.count) for f in by_clause] == [("11.2", 4), ("9.2", 4)]
