import datetime

import pytest
from django.db.models import Q

from commitments.models import Compact
from compact_portal.figures import (
    Measure,
    Share,
    add_shares,
    percentiles_by_window,
    percentiles_by_windows,
    shares_by_window,
)
from compact_portal.periods import Period
from tests.commitments.factories import CompactFactory


@pytest.mark.parametrize(
    ("share", "percent", "text"),
    [
        pytest.param(Share(0, 0), None, "none in the period", id="nothing-to-count"),
        pytest.param(Share(0, 3), 0, "0% (0 of 3)", id="none-met"),
        pytest.param(Share(1, 8), 13, "13% (1 of 8)", id="12.5-rounds-up"),
        pytest.param(Share(1, 3), 33, "33% (1 of 3)", id="one-third"),
        pytest.param(Share(2, 3), 67, "67% (2 of 3)", id="two-thirds"),
        pytest.param(Share(4, 4), 100, "100% (4 of 4)", id="all"),
    ],
)
def test_a_share_is_a_whole_percentage(share, percent, text):
    assert share.percent == percent
    assert str(share) == text


def test_add_shares_adds_what_was_met_and_what_was_counted():
    assert add_shares([Share(1, 2), Share(0, 0), Share(3, 5)]) == Share(4, 7)


JAN, FEB, MAR = Period.year(2026).months()[:3]


@pytest.fixture
def compacts_adopted_in_january_and_february(db):
    """Five compacts adopted in January (notice months 12, 3, 6, 5, 8) and two in February (2 and 7)."""
    for i, months in enumerate((12, 3, 6, 5, 8)):
        CompactFactory(name=f"January {i}", adopted_date=datetime.date(2026, 1, 10 + i), notice_months=months)
    for i, months in enumerate((2, 7)):
        CompactFactory(name=f"February {i}", adopted_date=datetime.date(2026, 2, 27 + i), notice_months=months)


def test_shares_by_window_counts_each_window_in_one_query(
    compacts_adopted_in_january_and_february, django_assert_num_queries
):
    long_notice = Measure("long_notice", "adopted_date", met=Q(notice_months__gte=6), amount="notice_months")

    with django_assert_num_queries(1):
        shares = shares_by_window(Compact.objects.all(), [long_notice], [JAN, FEB, MAR])

    assert shares["long_notice"] == [Share(3, 5), Share(1, 2), Share(0, 0)]
    assert shares["long_notice_value"] == [Share(26, 34), Share(7, 9), Share(0, 0)]


@pytest.mark.parametrize(
    ("fractions", "january", "february"),
    [
        pytest.param([(1, 2)], [6], [2], id="median-third-of-five-first-of-two"),
        pytest.param([(9, 10)], [12], [7], id="ninetieth-is-the-last-of-five-and-of-two"),
        pytest.param([(1, 5), (21, 100)], [3, 5], [2, 2], id="a-fifth-and-just-over-a-fifth"),
    ],
)
def test_percentiles_by_window_ranks_within_each_window(
    compacts_adopted_in_january_and_february, django_assert_num_queries, fractions, january, february
):
    with django_assert_num_queries(1):
        found = percentiles_by_window(
            Compact.objects.all(),
            field="notice_months",
            date_field="adopted_date",
            windows=[JAN, FEB, MAR],
            fractions=fractions,
        )

    assert found == [january, february, [None] * len(fractions)]


def test_percentiles_by_windows_ranks_each_set_of_windows_in_one_query(
    compacts_adopted_in_january_and_february, django_assert_num_queries
):
    """Overlapping sets (the quarter, and its months) are ranked apart, in one query: each set as if alone."""
    quarter = Period(JAN.start, MAR.end)
    alone = [
        percentiles_by_window(
            Compact.objects.all(), field="notice_months", date_field="adopted_date", windows=w, fractions=[(1, 2)]
        )
        for w in ([quarter], [JAN, FEB, MAR], [])
    ]
    with django_assert_num_queries(1):
        found = percentiles_by_windows(
            Compact.objects.all(),
            field="notice_months",
            date_field="adopted_date",
            window_sets=[[quarter], [JAN, FEB, MAR], []],
            fractions=[(1, 2)],
        )

    assert found == alone
    assert found[1] == [[6], [2], [None]]
