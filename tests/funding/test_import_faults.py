"""Faults: the database fails in the middle of a funding import (tests/database_faults.py: a trigger refuses
the third relationship, invoice or notice of the file, after two rows have been saved with their decisions,
payments and history).

Nothing is imported; the officer's page says so plainly on the form (not a server error) and the same file
imports in full once the database works again; the command stops with a message and a non-zero exit. The
tests are not wrapped in a transaction, so the import's own transaction is the outermost one, as in production.
"""

import csv
import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command, execute_from_command_line
from django.urls import reverse
from django.utils.html import escape

from commitments.models import Organisation
from compact_portal.csv_import import IMPORT_FAILED
from funding.models import FundingRelationship, Invoice, Notice
from funding.services.imports import import_via_label
from tests.commitments.factories import CompactFactory
from tests.database_faults import MESSAGE, insert_refused, row_counts
from tests.funding.factories import AwardedFundingFactory

pytestmark = pytest.mark.django_db(transaction=True)

APPS = ("commitments", "funding")

# kind -> (the model and field the trigger watches, the third row's value there, the file). What happened in the
# files (a decision told, an invoice received or paid, notice given) is in the past: the imports run as of today.
FILES = {
    "relationships": (
        FundingRelationship,
        "reference",
        "GR-2027-013",
        "reference,funder_org_id,recipient_org_id,compact,mechanism,title,amount,expected_start,start_date,end_date,"
        "end_date_defined_at_start,strategic,decision,decision_date,decision_justification,term_explanation,"
        "feedback\n"
        "GR-2027-011,GB-LAE-POR,GB-CHC-1170001,portsmouth,grant,Community meals,30000,2027-04-01,2027-04-01,"
        "2030-03-31,yes,no,awarded,2026-10-01,,,\n"
        "GR-2027-012,GB-LAE-POR,GB-CHC-1170001,portsmouth,contract,Advice service,12000,2027-07-01,2027-07-01,"
        "2030-06-30,yes,no,awarded,2026-01-05,,,\n"
        "GR-2027-013,GB-LAE-POR,GB-CHC-1170001,portsmouth,grant,Youth club,8000,2027-09-01,,,no,no,,,,,\n"
        "GR-2027-014,GB-LAE-POR,GB-CHC-1170001,portsmouth,in_kind,Hall hire,0,2028-01-01,,,no,no,,,,,\n",
    ),
    "invoices": (
        Invoice,
        "invoice_number",
        "INV-3",
        "funding_reference,invoice_number,amount,received_date,paid_date\n"
        "GR-2027-001,INV-1,100.00,2026-04-06,\n"
        "GR-2027-001,INV-2,200.00,2026-04-07,2026-04-14\n"
        "GR-2027-001,INV-3,300.00,2026-04-08,\n"
        "GR-2027-001,INV-4,400.00,2026-04-09,\n",
    ),
    "notices": (
        Notice,
        "rationale",
        "The hall is being sold.",
        "funding_reference,kind,notice_date,effective_date,rationale\n"
        "GR-2027-001,change,2026-05-01,2026-09-01,Monitoring moves to quarterly returns.\n"
        "GR-2027-001,reduce,2026-06-01,2026-10-01,The budget is cut by a tenth.\n"
        "GR-2027-001,change,2026-07-01,2026-11-02,The hall is being sold.\n"
        "GR-2027-001,end,2026-08-03,2026-12-01,The service is being recommissioned.\n",
    ),
}


@pytest.fixture
def funding(council, charity):
    """The officer's body funds the charity under the Portsmouth Compact (GR-2027-001, for invoices and notices)."""
    Organisation.objects.filter(pk=council.pk).update(org_id="GB-LAE-POR")
    Organisation.objects.filter(pk=charity.pk).update(org_id="GB-CHC-1170001")
    compact = CompactFactory(name="Portsmouth Compact", slug="portsmouth")
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-001")


def _upload(kind: str):
    return SimpleUploadedFile(f"{kind}.csv", FILES[kind][3].encode(), content_type="text/csv")


def _file(tmp_path, kind: str):
    path = tmp_path / f"{kind}.csv"
    path.write_text(FILES[kind][3])
    return str(path)


def _refused(kind: str):
    model, field, value, _ = FILES[kind]
    return insert_refused(model, field, value)


def _rows_of(kind: str) -> int:
    """How many of the file's rows are in the database (the watched field is also the file's column)."""
    model, field, _, text = FILES[kind]
    values = [row[field] for row in csv.DictReader(io.StringIO(text))]
    return model.objects.filter(**{f"{field}__in": values}).count()


@pytest.mark.parametrize("kind", FILES)
def test_in_the_browser_nothing_is_imported_the_page_says_so_and_the_same_file_imports_once_the_database_works(
    kind, client, officer, funding, caplog
):
    client.force_login(officer)
    before = row_counts(*APPS)

    with _refused(kind), caplog.at_level(logging.ERROR):
        response = client.post(reverse("funding:import"), {"kind": kind, "file": _upload(kind)})

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert escape(IMPORT_FAILED) in page
    assert MESSAGE not in page  # the database's own words are for the log, not the page
    assert response.context["form"]["kind"].value() == kind  # still chosen: only the file needs choosing again
    assert row_counts(*APPS) == before  # no record, decision, payment or history row
    assert f"{import_via_label(kind)}: {kind}.csv failed in the database; nothing was imported" in caplog.text
    assert MESSAGE in caplog.text  # with the traceback

    again = client.post(reverse("funding:import"), {"kind": kind, "file": _upload(kind)})

    assert "Imported: 4 new, 0 updated, 0 unchanged." in again.content.decode()
    assert _rows_of(kind) == 4


@pytest.mark.parametrize("kind", FILES)
def test_the_command_imports_nothing_and_stops_with_a_plain_message(kind, funding, tmp_path):
    path = _file(tmp_path, kind)
    before = row_counts(*APPS)

    with _refused(kind), pytest.raises(CommandError) as stopped:
        call_command("import_funding", kind, path)

    assert str(stopped.value).startswith("Nothing was imported: the database failed while saving the file")
    assert MESSAGE in str(stopped.value)
    assert row_counts(*APPS) == before

    call_command("import_funding", kind, path)  # the database works again

    assert _rows_of(kind) == 4


def test_from_the_shell_the_command_exits_non_zero_with_the_message_and_no_traceback(funding, tmp_path, capsys):
    path = _file(tmp_path, "invoices")
    before = row_counts(*APPS)

    with _refused("invoices"), pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "import_funding", "invoices", path])

    assert exited.value.code == 1
    errors = capsys.readouterr().err
    assert "CommandError: Nothing was imported: the database failed while saving the file" in errors
    assert "Traceback" not in errors
    assert row_counts(*APPS) == before
