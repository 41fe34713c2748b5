"""Bulk import: good file, bad rows reported with nothing saved, re-import without duplicates."""

import datetime

import pytest
from django.core.management import CommandError, call_command

from commitments.models import Organisation, Signature
from commitments.services.imports import organisations_import, read_csv

TODAY = datetime.date(2026, 11, 21)
HEADER = (
    "name,side,organisation_type,charity_number,company_number,postcode,email,"
    "org_id,paid_staff,communities_served,compact\n"
)
GOOD = HEADER + (
    "Portsmouth City Council,public,local_authority,,,PO1 2AL,compact@portsmouth.example.org,GB-LAE-POR,,,portsmouth\n"
    "Southsea Food Bank,vcs,Registered charity,1170001,,po4 0aa,info@food.example.org,,2,"
    "People on low incomes;Families,portsmouth\n"
    "Fratton Football Friends,vcs,unincorporated_community_group,,,PO1 5LA,,,0,,\n"
    "Harbourside Carers,vcs,company_limited_by_guarantee,,7123456,PO2 8QD,c@example.org,,9,Carers;Disability,\n"
)


def run(text: str):
    header, rows = read_csv(text.encode("utf-8-sig"))
    return organisations_import(header=header, rows=rows, today=TODAY)


def test_a_good_file_imports_every_organisation(compacts):
    result = run(GOOD)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.signed) == (4, 0, 2)
    food_bank = Organisation.objects.get(name="Southsea Food Bank")
    assert food_bank.org_id == "GB-CHC-1170001"
    assert food_bank.postcode == "PO4 0AA"
    assert sorted(food_bank.communities.values_list("name", flat=True)) == ["Families", "People on low incomes"]
    assert Organisation.objects.get(name="Harbourside Carers").org_id == "GB-COH-07123456"
    assert Signature.objects.get(organisation=food_bank).signed_date == TODAY


def test_importing_the_same_file_again_creates_no_duplicates(compacts):
    run(GOOD)
    again = run(GOOD)
    assert (again.created, again.updated, again.unchanged, again.signed) == (0, 0, 4, 0)
    assert Organisation.objects.count() == 4
    assert Signature.objects.count() == 2


def test_a_changed_row_updates_the_organisation_it_matches(compacts):
    run(GOOD)
    changed = run(GOOD.replace("info@food.example.org", "hello@food.example.org"))
    assert (changed.created, changed.updated) == (0, 1)
    assert Organisation.objects.get(org_id="GB-CHC-1170001").email == "hello@food.example.org"


def test_without_an_org_id_a_row_matches_on_name_and_postcode(compacts):
    run(GOOD)
    again = run(HEADER + "Fratton Football Friends,vcs,unincorporated_community_group,,,po15la,new@example.org,,1,,\n")
    assert (again.created, again.updated) == (0, 1)


def test_every_bad_row_is_reported_by_number_and_nothing_is_saved(compacts):
    bad = HEADER + (
        "Good Group,vcs,faith_group,,,PO1 2AL,a@example.org,,,,\n"  # row 2 is fine
        "Bad Charity,vcs,registered_charity,12,,PO1 2AL,a@example.org,,,,\n"  # row 3: charity number
        "Bad Postcode,vcs,faith_group,,,NOWHERE,a@example.org,,,,\n"  # row 4
        "Bad Side,council,local_authority,,,PO1 2AL,a@example.org,,,,\n"  # row 5
        ",vcs,faith_group,,,PO1 2AL,,,,,\n"  # row 6: no name
        "Bad Community,vcs,faith_group,,,PO1 2AL,,,,Martians,\n"  # row 7
        "Bad Compact,vcs,faith_group,,,PO1 2AL,,,,,atlantis\n"  # row 8
        "Bad Staff,vcs,faith_group,,,PO1 2AL,,,several,,\n"  # row 9
        "Good Group,vcs,faith_group,,,PO1 2AL,b@example.org,,,,\n"  # row 10: same as row 2
    )
    result = run(bad)
    assert [error.row for error in result.errors] == [3, 4, 5, 6, 7, 8, 9, 10]
    messages = {error.row: error.message for error in result.errors}
    assert "6 or 7 digits" in messages[3]
    assert "postcode" in messages[4]
    assert "Side 'council'" in messages[5]
    assert "name is empty" in messages[6]
    assert "Martians" in messages[7]
    assert "atlantis" in messages[8]
    assert "whole number" in messages[9]
    assert "row 2" in messages[10]
    assert not Organisation.objects.exists()


def test_missing_columns_are_reported_against_the_header(db):
    result = run("name,side\nA,vcs\n")
    assert result.errors[0].row == 1
    assert "organisation_type" in result.errors[0].message


def test_a_failure_while_saving_leaves_nothing_imported(compacts, monkeypatch):
    from commitments.services import imports

    calls = {"n": 0}
    real = imports.signature_record_signed

    def fail_on_second(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(imports, "signature_record_signed", fail_on_second)
    with pytest.raises(RuntimeError):
        run(GOOD)
    assert not Organisation.objects.exists()


def test_the_command_imports_a_file_and_reports_bad_rows(compacts, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    call_command("import_organisations", str(good))
    assert "4 new" in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "X,vcs,faith_group,,,NOWHERE,,,,,\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_organisations", str(bad))
    assert "Row 2:" in capsys.readouterr().err
    assert Organisation.objects.count() == 4


def test_a_file_that_is_not_utf8_is_refused_plainly(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="UTF-8"):
        read_csv("name\nCaf\xe9\n".encode("latin-1"))
