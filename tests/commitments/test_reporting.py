"""The compliance report's tables and its PDF (commitments/reporting/pdf.py), read back with pypdf.

The data is test_views_dashboard's Southsea Compact: Q2 2026's invoices were paid "50% (1 of 2)" on time, Q1's
"0% (0 of 1)".
"""

import datetime
import io
import re

import pypdf
import pytest

from commitments.models import FlagStatus
from commitments.reporting.pdf import REPORT_TABLES, render_report, report_tables
from commitments.reporting.tables import Link
from compact_portal.periods import Period
from tests.commitments.factories import FlagFactory
from tests.commitments.test_views_dashboard import southsea

pytestmark = pytest.mark.django_db

D = datetime.date
Q2_2026 = Period.quarter(2026, 2)
TODAY = D(2026, 7, 10)
MEETING = "the Local Strategic Partnership board, 14 July 2026"


def pages_of(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """The text with its line breaks and runs of spaces made single spaces, as the PDF wraps lines."""
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def compact(council, charity):
    return southsea(council, charity)


def test_the_report_names_the_compact_period_and_meeting_and_gives_the_figures(compact):
    rendered = render_report(
        compact=compact, period=Q2_2026, today=TODAY, meeting=MEETING, requested_by="Cara Champion"
    )
    pages = pages_of(rendered.pdf)
    text = flat(" ".join(pages))

    assert rendered.pdf.startswith(b"%PDF")
    assert rendered.page_count == len(pages)
    assert 5 <= rendered.page_count <= 40
    cover = flat(pages[0])
    assert "Southsea Compact" in cover
    assert "Q2 2026" in cover
    assert "For the meeting of" in cover
    assert MEETING in cover
    assert "1 April 2026 to 30 June 2026, compared with Q1 2026" in cover
    assert "10 July 2026" in cover
    assert "Cara Champion" in cover
    assert "50% (1 of 2)" in text
    assert "0% (0 of 1)" in text
    assert "+50 points" in text
    assert f"Page 1 of {rendered.page_count}" in cover
    assert f"Page {rendered.page_count} of {rendered.page_count}" in pages[-1]
    # Every page after the cover is headed with the compact and the period.
    assert all("Southsea Compact" in page and "Compact compliance report, Q2 2026" in page for page in pages[1:])


def test_a_long_appendix_runs_over_several_pages(compact, council):
    for n in range(120):
        FlagFactory(compact=compact, organisation=council, record_label=f"APX{n:03d}")

    rendered = render_report(compact=compact, period=Q2_2026, today=TODAY)
    pages = pages_of(rendered.pdf)

    first = next(i for i, page in enumerate(pages) if "APX000" in page)
    last = next(i for i, page in enumerate(pages) if "APX119" in page)
    assert last - first >= 2
    assert all(f"APX{n:03d}" in " ".join(pages) for n in range(120))
    assert all("First found" in page for page in pages[first : last + 1])  # the header row repeats on each page
    assert rendered.page_count == len(pages) <= 40
    assert f"Page {rendered.page_count} of {rendered.page_count}" in pages[-1]
    assert "120 compliance flags open on 10 July 2026" in flat(" ".join(pages))


def test_the_report_has_every_table_in_order(compact):
    tables = report_tables(compact=compact, period=Q2_2026, today=TODAY)

    assert [table.slug for table in tables] == [slug for slug, _ in REPORT_TABLES]


def test_the_reports_tables_hold_plain_values_with_no_links(compact, council, charity):
    FlagFactory(compact=compact, organisation=council, record_label="INV-OPEN")
    FlagFactory(compact=compact, organisation=council, record_label="INV-WAIVED", status=FlagStatus.WAIVED)

    tables = {table.slug: table for table in report_tables(compact=compact, period=Q2_2026, today=TODAY)}

    assert not any(isinstance(cell, Link) for table in tables.values() for row in table.rows for cell in row)
    headline = tables["headline"]
    assert headline.columns == ["Figure", "Clause", "Q2 2026", "Q1 2026", "Change", "Kept", "Explained", "Broken"]
    assert headline.rows[0] == [
        "Invoices paid within the agreed working days",
        "Portal default",  # the compact states no payment term
        "50% (1 of 2)",
        "0% (0 of 1)",
        "+50 points",
        "1",
        "0",
        "1",
    ]
    assert tables["signatories"].rows == [["Public body", 1, 1], ["Voluntary and community sector", 1, 1]]
    assert [row[3] for row in tables["open-flags"].rows] == ["INV-OPEN"]
    assert tables["breaches-by-signatory"].rows == [[council.name, 1]]
    assert [row[1] for row in tables["trend-paid_on_time"].rows] == ["100% (1 of 1)", "0% (0 of 1)", "–"]
