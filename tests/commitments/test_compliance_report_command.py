"""The ``compliance_report`` command: the report champions ask for in the browser, written to a file by hand."""

import io
import re

import pypdf
import pytest
from django.core.management import CommandError, call_command

from tests.commitments.test_views_dashboard import END_BEFORE_START, southsea

pytestmark = pytest.mark.django_db


@pytest.fixture
def compact(council, charity):
    return southsea(council, charity)


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("compliance_report", *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_the_report_for_the_compact_and_period(compact, tmp_path):
    out = tmp_path / "r.pdf"

    said = report(
        "--compact", compact.slug, "--from", "2026-04-01", "--to", "2026-06-30", "--out", str(out),
        "--meeting", "the Local Strategic Partnership board, 14 July 2026",
    )  # fmt: skip

    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    cover = " ".join(reader.pages[0].extract_text().split())
    assert "Southsea Compact" in cover
    assert "Q2 2026" in cover
    assert "the Local Strategic Partnership board, 14 July 2026" in cover
    assert "50% (1 of 2)" in " ".join(page.extract_text() for page in reader.pages)
    assert said == f"Wrote {out}: Southsea Compact, Q2 2026, {len(reader.pages)} pages.\n"


def test_a_period_ending_before_it_starts_is_refused(compact, tmp_path):
    out = tmp_path / "r.pdf"

    with pytest.raises(CommandError, match=f"^{re.escape(END_BEFORE_START)}$"):
        report("--compact", compact.slug, "--from", "2026-06-30", "--to", "2026-04-01", "--out", str(out))

    assert not out.exists()


def test_an_unknown_compact_is_refused(db, tmp_path):
    out = tmp_path / "r.pdf"

    with pytest.raises(CommandError, match="No compact has the slug 'nowhere'"):
        report("--compact", "nowhere", "--from", "2026-04-01", "--to", "2026-06-30", "--out", str(out))

    assert not out.exists()


@pytest.mark.parametrize("start", ["01/04/2026", "2026-02-30", "yesterday"])
def test_a_date_that_is_not_a_date_is_refused(compact, tmp_path, start):
    with pytest.raises(CommandError, match="is not a date; write it as YYYY-MM-DD"):
        report("--compact", compact.slug, "--from", start, "--to", "2026-06-30", "--out", str(tmp_path / "r.pdf"))


def test_every_option_but_the_meeting_is_needed(compact, tmp_path):
    with pytest.raises(CommandError, match="--out"):
        report("--compact", compact.slug, "--from", "2026-04-01", "--to", "2026-06-30")
