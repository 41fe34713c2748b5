"""Faults: the database fails in the middle of an organisations import (tests/database_faults.py: a trigger
refuses the third organisation, after two have been saved with their signatures and history).

Nothing is imported; the browser says so plainly on the form (not a server error) and the same file imports
in full once the database works again; the command stops with a message and a non-zero exit. The tests are
not wrapped in a transaction, so the import's own transaction is the outermost one, as in production.
"""

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command, execute_from_command_line
from django.urls import reverse
from django.utils.html import escape

from commitments.models import Organisation
from commitments.services.imports import IMPORT_VIA
from compact_portal.csv_import import IMPORT_FAILED
from tests.database_faults import MESSAGE, insert_refused, row_counts

pytestmark = pytest.mark.django_db(transaction=True)

APPS = ("commitments", "funding")
REFUSED = "Waterlooville Youth Club"  # the third organisation of the file
FILE = (
    "name,side,organisation_type,charity_number,company_number,postcode,email,org_id,paid_staff,compact\n"
    "Havant Borough Council,public,local_authority,,,PO9 2AX,compact@havant.example.org,GB-LAE-HAA,,portsmouth\n"
    "Leigh Park Food Bank,vcs,registered_charity,1170002,,PO9 4AA,info@leighpark.example.org,,2,portsmouth\n"
    f"{REFUSED},vcs,unincorporated_community_group,,,PO7 7AA,,,0,\n"
    "Emsworth Carers,vcs,company_limited_by_guarantee,,7123457,PO10 7AA,c@emsworth.example.org,,9,\n"
)
IMPORTED = ["Emsworth Carers", "Havant Borough Council", "Leigh Park Food Bank", REFUSED]


def _upload():
    return SimpleUploadedFile("organisations.csv", FILE.encode(), content_type="text/csv")


def _imported() -> list[str]:
    return sorted(Organisation.objects.filter(name__in=IMPORTED).values_list("name", flat=True))


def test_in_the_browser_nothing_is_imported_the_page_says_so_and_the_same_file_imports_once_the_database_works(
    client, portsmouth, administrator, caplog
):
    client.force_login(administrator)
    before = row_counts(*APPS)

    with insert_refused(Organisation, "name", REFUSED), caplog.at_level(logging.ERROR):
        response = client.post(reverse("commitments:import"), {"file": _upload()})

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert escape(IMPORT_FAILED) in page
    assert MESSAGE not in page  # the database's own words are for the log, not the page
    assert row_counts(*APPS) == before  # no organisation, signature or history row
    assert f"{IMPORT_VIA} failed in the database; nothing was imported" in caplog.text
    assert MESSAGE in caplog.text  # with the traceback

    again = client.post(reverse("commitments:import"), {"file": _upload()})

    assert "Imported: 4 new, 0 updated, 0 unchanged; 2 newly signed a compact." in again.content.decode()
    assert _imported() == IMPORTED


def test_the_command_imports_nothing_and_stops_with_a_plain_message(portsmouth, tmp_path):
    path = tmp_path / "organisations.csv"
    path.write_text(FILE)
    before = row_counts(*APPS)

    with insert_refused(Organisation, "name", REFUSED), pytest.raises(CommandError) as stopped:
        call_command("import_organisations", str(path))

    assert str(stopped.value).startswith("Nothing was imported: the database failed while saving the file")
    assert MESSAGE in str(stopped.value)
    assert row_counts(*APPS) == before

    call_command("import_organisations", str(path))  # the database works again

    assert _imported() == IMPORTED


def test_from_the_shell_the_command_exits_non_zero_with_the_message_and_no_traceback(portsmouth, tmp_path, capsys):
    path = tmp_path / "organisations.csv"
    path.write_text(FILE)
    before = row_counts(*APPS)

    with insert_refused(Organisation, "name", REFUSED), pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "import_organisations", str(path)])

    assert exited.value.code == 1
    errors = capsys.readouterr().err
    assert "CommandError: Nothing was imported: the database failed while saving the file" in errors
    assert "Traceback" not in errors
    assert row_counts(*APPS) == before
