import pytest

from commitments.models import Compact
from compact_portal.figures import Share, within
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


@pytest.mark.parametrize(
    ("fraction", "value"),
    [
        pytest.param(0.5, 6, id="median-of-five-is-the-third"),
        pytest.param(0.9, 12, id="ninety-percent-of-five-is-the-fifth"),
        pytest.param(0.2, 3, id="twenty-percent-of-five-is-the-first"),
        pytest.param(0.21, 5, id="just-over-a-fifth-is-the-second"),
    ],
)
def test_within_reads_the_nearest_rank_percentile(db, fraction, value):
    for months in (12, 3, 6, 5, 8):  # any column will do: the months of notice of five compacts
        CompactFactory(name=f"Compact {months}", notice_months=months)

    assert within(Compact.objects.all(), field="notice_months", fraction=fraction, count=5) == value


def test_within_nothing_is_none(db):
    assert within(Compact.objects.none(), field="notice_months", fraction=0.5, count=0) is None
