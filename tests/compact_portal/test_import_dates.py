"""Imports take dates only in the forms' range (1900 to 2199), and a date whose deadline runs off the calendar
is that row's error: in the parser, the service, the browser and ``import_funding``, with nothing half-saved."""

import datetime
import inspect

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape

from commitments.models import Organisation
from compact_portal.csv_import import DATE_ARITHMETIC_FAILED, parse_date, read_csv
from compact_portal.forms import EARLIEST_DATE, LATEST_DATE
from funding import rules
from funding.models import Decision, FundingRelationship, Invoice, Notice, Payment
from funding.services.imports import funding_import
from tests.commitments.factories import CompactFactory
from tests.funding.factories import AwardedFundingFactory

ONE_DAY = datetime.timedelta(days=1)

RELATIONSHIPS = (
    "reference,funder_org_id,recipient_org_id,compact,mechanism,title,amount,expected_start,start_date,end_date,"
    "end_date_defined_at_start,strategic,decision,decision_date,decision_justification,term_explanation,feedback\n"
)
INVOICES = "funding_reference,invoice_number,amount,received_date,paid_date\n"
NOTICES = "funding_reference,kind,notice_date,effective_date,rationale\n"

# A good first row, so the test also shows that a bad later row leaves nothing of the file saved.
GOOD_ROW = {
    "relationships": "GR-2027-010,GB-LAE-POR,GB-CHC-1170001,portsmouth,grant,Meals,3000,2027-09-01,,,no,no,,,,,\n",
    "invoices": "GR-2027-001,INV-1,100,2026-04-06,2026-04-10\n",
    "notices": "GR-2027-001,change,2026-05-05,2026-09-01,Monitoring moves to quarterly returns.\n",
}
HEADERS = {"relationships": RELATIONSHIPS, "invoices": INVOICES, "notices": NOTICES}


def _relationship(expected_start: str, start: str = "", end: str = "", decision: str = "", told: str = "") -> str:
    """A relationships row of reference GR-2027-011 with these dates."""
    return (
        f"GR-2027-011,GB-LAE-POR,GB-CHC-1170001,portsmouth,grant,Youth club,1000,{expected_start},{start},{end},"
        f"no,no,{decision},{told},,,"
    )


# kind, the bad row, the column named in the row's error and the cell
BAD_DATES = [
    ("relationships", _relationship("0001-01-01"), "expected_start", "0001-01-01"),
    ("relationships", _relationship("0001-01-15"), "expected_start", "0001-01-15"),
    ("relationships", _relationship("2027-09-01", start="0001-01-01"), "start_date", "0001-01-01"),
    ("relationships", _relationship("2027-09-01", "2027-09-01", "9999-12-31"), "end_date", "9999-12-31"),
    (
        "relationships",
        _relationship("2027-09-01", decision="awarded", told="31/12/9999"),
        "decision_date",
        "31/12/9999",
    ),
    ("invoices", "GR-2027-001,INV-2,100,9999-12-31,", "received_date", "9999-12-31"),
    ("invoices", "GR-2027-001,INV-2,100,2027-04-06,1899-12-31", "paid_date", "1899-12-31"),
    ("notices", "GR-2027-001,end,9999-12-31,2027-12-01,The hall is sold.", "notice_date", "9999-12-31"),
    ("notices", "GR-2027-001,end,2027-06-01,2200-01-01,The hall is sold.", "effective_date", "2200-01-01"),
    ("notices", "GR-2027-001,end,0001-01-01,2027-06-01,The hall is sold.", "notice_date", "0001-01-01"),
]
MODELS = (FundingRelationship, Decision, Invoice, Payment, Notice)


# The import's day, after every date of these files: rows are refused for their dates' range, not for being ahead.
TODAY = datetime.date(2027, 12, 31)


def _import(kind: str, text: str):
    header, rows = read_csv(text.encode())
    today = {"today": TODAY} if "today" in inspect.signature(funding_import).parameters else {}
    return funding_import(kind=kind, header=header, rows=rows, actor=None, **today)


def _counts():
    return [model.objects.count() for model in MODELS]


def _file(kind: str, bad_row: str) -> str:
    return HEADERS[kind] + GOOD_ROW[kind] + bad_row + "\n"


def _expected(column: str, cell: str) -> str:
    return f"{column}: '{cell}' is not between {EARLIEST_DATE.year} and {LATEST_DATE.year}; check the year."


@pytest.fixture
def funding(council, charity):
    Organisation.objects.filter(pk=council.pk).update(org_id="GB-LAE-POR")
    Organisation.objects.filter(pk=charity.pk).update(org_id="GB-CHC-1170001")
    compact = CompactFactory(name="Portsmouth Compact", slug="portsmouth")
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-001")


# --- The parser takes the forms' range, from the forms' own definition -------------------------------------------


@pytest.mark.parametrize(
    ("day", "taken"),
    [
        (EARLIEST_DATE - ONE_DAY, False),
        (EARLIEST_DATE, True),
        (LATEST_DATE, True),
        (LATEST_DATE + ONE_DAY, False),
        (datetime.date.min, False),
        (datetime.date.max, False),
    ],
)
@pytest.mark.parametrize("written", ["%Y-%m-%d", "%d/%m/%Y"])
def test_the_parser_takes_exactly_the_forms_range(day, taken, written):
    cell = (
        f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
        if written == "%Y-%m-%d"
        else (f"{day.day:02d}/{day.month:02d}/{day.year:04d}")
    )
    if taken:
        assert parse_date(cell, "received_date") == day
    else:
        with pytest.raises(ValidationError) as refused:
            parse_date(cell, "received_date")
        assert refused.value.messages == [_expected("received_date", cell)]


# --- Each importer: the row's error, nothing saved ------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "bad_row", "column", "cell"), BAD_DATES)
def test_a_date_outside_the_range_is_the_rows_error_and_nothing_is_saved(funding, kind, bad_row, column, cell):
    before = _counts()
    result = _import(kind, _file(kind, bad_row))

    assert [(error.row, error.message) for error in result.errors] == [(3, _expected(column, cell))]
    assert _counts() == before


@pytest.mark.parametrize(("kind", "bad_row", "column", "cell"), BAD_DATES[1::3])
def test_in_the_browser_the_page_lists_the_row(client, officer, funding, kind, bad_row, column, cell):
    client.force_login(officer)
    before = _counts()
    upload = SimpleUploadedFile(f"{kind}.csv", _file(kind, bad_row).encode(), content_type="text/csv")

    response = client.post(reverse("funding:import"), {"kind": kind, "file": upload})

    assert response.status_code == 200
    assert escape(f"Row 3: {_expected(column, cell)}") in response.content.decode()
    assert _counts() == before


@pytest.mark.parametrize(("kind", "bad_row", "column", "cell"), BAD_DATES[::4])
def test_the_command_lists_the_row_and_stops_without_a_traceback(
    funding, tmp_path, capsys, kind, bad_row, column, cell
):
    path = tmp_path / f"{kind}.csv"
    path.write_text(_file(kind, bad_row))
    before = _counts()

    with pytest.raises(CommandError, match="Nothing was imported: 1 row"):
        call_command("import_funding", kind, str(path))

    assert f"Row 3: {_expected(column, cell)}" in capsys.readouterr().err
    assert _counts() == before


# --- Date arithmetic that fails anyway is the row's error, with the row's saved part undone -----------------------

ARITHMETIC = [
    # kind, the rule that fails, a row that reaches it after saving part of itself, the date the rule fails on
    (
        "relationships",
        "minimum_term_end",
        _relationship("2027-09-02", "2027-09-02", "2030-09-01", "awarded", "2027-05-01"),
        datetime.date(2027, 9, 2),
    ),
    ("invoices", "working_days_to_pay", "GR-2027-001,INV-2,100,2027-04-06,2027-04-20", datetime.date(2027, 4, 20)),
    ("notices", "earliest_effective_date", "GR-2027-001,end,2027-06-01,2027-10-01,Sold.", datetime.date(2027, 6, 1)),
]


@pytest.mark.parametrize("error", [OverflowError("date value out of range"), ValueError("year 0 is out of range")])
@pytest.mark.parametrize(("kind", "rule", "bad_row", "bad_date"), ARITHMETIC)
def test_date_arithmetic_that_fails_anyway_is_the_rows_error(
    funding, monkeypatch, kind, rule, bad_row, bad_date, error
):
    real = getattr(rules, rule)

    def fails_on_the_bad_row(*args, **kwargs):
        if bad_date in (*args, *kwargs.values()):
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(rules, rule, fails_on_the_bad_row)
    before = _counts()
    result = _import(kind, _file(kind, bad_row))

    assert [(error.row, error.message) for error in result.errors] == [(3, DATE_ARITHMETIC_FAILED)]
    assert _counts() == before
