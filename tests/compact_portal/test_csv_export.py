import pytest

from compact_portal.csv_export import csv_response, safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-5", "'-5"),
        ("@SUM", "'@SUM"),
        ("\t=x", "'\t=x"),
        ("\r=x", "'\r=x"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_response():
    response = csv_response("awards 2026.csv", [["Name", "Amount"], ["Café", "10.00"]])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="awards 2026.csv"'
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert body[1:].splitlines() == ["Name,Amount", "Café,10.00"]


def test_csv_response_non_ascii_filename():
    response = csv_response("récompenses.csv", [])

    assert response["Content-Disposition"] == "attachment; filename*=utf-8''r%C3%A9compenses.csv"
