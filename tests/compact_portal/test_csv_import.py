"""The cell readers every CSV import shares: dates, yes/no and money, and how errors are worded."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from compact_portal.csv_import import parse_bool, parse_date, parse_money, read_csv, validation_messages


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-04-01", datetime.date(2027, 4, 1)),
        ("01/04/2027", datetime.date(2027, 4, 1)),  # UK order: day first
        ("1/4/2027", datetime.date(2027, 4, 1)),
        (" 2027-04-01 ", datetime.date(2027, 4, 1)),
        ("29/02/2028", datetime.date(2028, 2, 29)),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_date_reads_iso_and_uk_dates(value, expected):
    assert parse_date(value, "start_date") == expected


@pytest.mark.parametrize(
    "value",
    ["31/02/2027", "29/02/2027", "2027-13-01", "13/13/2027", "01/04/27", "2027/04/01", "01-04-2027", "1 April 2027"],
)
def test_parse_date_refuses_anything_else_naming_the_column_and_both_forms(value):
    with pytest.raises(ValidationError) as caught:
        parse_date(value, "start_date")

    assert caught.value.messages == [f"start_date: '{value}' is not a date; use YYYY-MM-DD or DD/MM/YYYY."]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("YES", True),
        (" Y ", True),
        ("true", True),
        ("1", True),
        ("no", False),
        ("No", False),
        ("n", False),
        ("FALSE", False),
        ("0", False),
        ("", False),
        (None, False),
    ],
)
def test_parse_bool_reads_yes_and_no(value, expected):
    assert parse_bool(value, "strategic") is expected


@pytest.mark.parametrize("value", ["maybe", "2", "yess", "-"])
def test_parse_bool_refuses_anything_else(value):
    with pytest.raises(ValidationError, match=f"strategic: '{value}' is not yes or no"):
        parse_bool(value, "strategic")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30000", Decimal("30000")),
        ("30000.5", Decimal("30000.50")),
        ("£30,000.00", Decimal("30000.00")),
        ("£ 1,234,567.89", Decimal("1234567.89")),
        (" 12.30 ", Decimal("12.30")),
        ("0", Decimal("0")),
        ("999", Decimal("999")),
    ],
)
def test_parse_money_reads_pounds_with_a_pound_sign_and_thousands_commas(value, expected):
    assert parse_money(value, "amount") == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("-5", "is negative"),
        ("£-5", "is negative"),
        ("-£5.00", "is negative"),
        ("12.345", "more than 2 decimal places"),
        ("£1,000.001", "more than 2 decimal places"),
        ("abc", "is not an amount of money"),
        ("1,23", "is not an amount of money"),
        ("12,34.00", "is not an amount of money"),
        ("NaN", "is not an amount of money"),
        ("1e3", "is not an amount of money"),
        ("$5", "is not an amount of money"),
        ("", "this is blank"),
    ],
)
def test_parse_money_refuses_negatives_fractions_of_a_penny_and_non_numbers(value, problem):
    with pytest.raises(ValidationError) as caught:
        parse_money(value, "amount")

    [message] = caught.value.messages
    assert message.startswith("amount: ")
    assert problem in message


def test_validation_messages_names_each_field_by_its_csv_column():
    error = ValidationError(
        {"funder": ["The funder must be a public body."], NON_FIELD_ERRORS: ["Already imported."], "title": ["Empty."]}
    )

    message = validation_messages(error, {"funder": "funder_org_id"})

    assert message == "funder_org_id: The funder must be a public body.; Already imported.; title: Empty."


def test_validation_messages_joins_plain_messages():
    assert validation_messages(ValidationError(["One.", "Two."])) == "One. Two."


def test_read_csv_lowercases_the_header_and_drops_a_byte_order_mark():
    header, rows = read_csv("\ufeffReference , Title\nGR-1,Food\n".encode())

    assert header == ["reference", "title"]
    assert rows == [{"reference": "GR-1", "title": "Food"}]


@pytest.mark.parametrize(
    ("text", "line"),
    [("reference,title\nGR-1,Fo\x00od\n", 2), ("refer\x00ence,title\nGR-1,Food\n", 1), ("a,b\n1,2\n3,\x00\n", 3)],
)
def test_a_file_holding_a_nul_character_is_refused_naming_its_line(text, line):
    with pytest.raises(ValidationError) as refused:
        read_csv(text.encode())

    assert refused.value.messages == [
        f"Line {line} of the file holds a NUL character, which a CSV file never contains. Open the file in your "
        'spreadsheet and save it again as "CSV UTF-8".'
    ]
