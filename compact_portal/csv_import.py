"""Helpers shared by every CSV import: reading the file, reading its cells, and wording its errors.

Every import is all-or-nothing and reports each bad row by its spreadsheet row number (the header is
row 1). The people who read the messages are council and charity officers, so each message names
the column and says in plain English what the cell should hold.
"""

import csv
import datetime
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError

from compact_portal.forms import EARLIEST_DATE, LATEST_DATE

logger = logging.getLogger(__name__)

# Shown on the file field when the database fails during an import (docs/operations.md, "When things fail").
IMPORT_FAILED = (
    "Nothing was imported: the database failed while saving this file, so none of its rows were kept. "
    "Choose the same file and import it again in a few minutes; if it fails again, tell the portal's "
    "administrators."
)

# What date arithmetic raises when a date runs off the calendar (year 1 minus 3 months, 9999-12-31 plus 10 working
# days). The dates a file may hold are kept to the forms' range, so this should not happen; if it does, it is that
# row's error (``DATE_ARITHMETIC_FAILED``), not a server error.
DATE_ARITHMETIC_ERRORS = (OverflowError, ValueError)
DATE_ARITHMETIC_FAILED = (
    "The deadlines of this row's dates cannot be worked out; check that each date's year is between "
    f"{EARLIEST_DATE.year} and {LATEST_DATE.year}."
)

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_MONEY = re.compile(r"^(\d+|\d{1,3}(?:,\d{3})+)(?:\.(\d+))?$")
_TRUE = frozenset({"yes", "y", "true", "1"})
_FALSE = frozenset({"no", "n", "false", "0", ""})


@dataclass
class RowError:
    row: int
    message: str


def read_csv(data: bytes | str) -> tuple[list[str], list[dict[str, str]]]:
    """Decode an uploaded or read file (UTF-8, with or without a byte-order mark) into header and rows."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError('The file is not UTF-8 text. Save it from your spreadsheet as "CSV UTF-8".') from None
    if "\x00" in data:
        # No database stores text holding NUL (PostgreSQL refuses it); a spreadsheet never writes one into a CSV, so
        # the file is not what it seems (often a workbook saved under a .csv name).
        line = data.count("\n", 0, data.index("\x00")) + 1
        raise ValidationError(
            f"Line {line} of the file holds a NUL character, which a CSV file never contains. Open the file in your "
            'spreadsheet and save it again as "CSV UTF-8".'
        )
    reader = csv.DictReader(io.StringIO(data))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    return header, list(reader)


@contextmanager
def database_failure_on_form(form, what: str) -> Iterator[None]:
    """Around an import in a view. The import is one transaction, so a database error in the middle of it
    (a lost connection, a full disk, a constraint the checks did not foresee) has undone every row: it is
    logged and the form says so on its file field, instead of a server error page. ``what`` names the import
    in the log."""
    try:
        yield
    except DatabaseError:
        logger.exception("%s failed in the database; nothing was imported", what)
        form.add_error("file", IMPORT_FAILED)


def validation_messages(error: ValidationError, columns: dict[str, str] | None = None) -> str:
    """One line from a ValidationError: each field's messages after its name (or its CSV column, from ``columns``)."""
    if hasattr(error, "error_dict"):
        columns = columns or {}
        parts = []
        for name, messages in error.message_dict.items():
            text = " ".join(messages)
            parts.append(text if name == NON_FIELD_ERRORS else f"{columns.get(name, name)}: {text}")
        return "; ".join(parts)
    return " ".join(error.messages)


def parse_date(value: str | None, column: str) -> datetime.date | None:
    """A date written as YYYY-MM-DD or DD/MM/YYYY, within the range the forms take (``EARLIEST_DATE`` to
    ``LATEST_DATE``, 1900 to 2199); a blank cell is None."""
    text = (value or "").strip()
    if not text:
        return None
    if match := _ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := _UK_DATE.match(text):
        day, month, year = match.groups()
    else:
        year = month = day = "0"
    try:
        parsed = datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise ValidationError(f"{column}: '{text}' is not a date; use YYYY-MM-DD or DD/MM/YYYY.") from None
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise ValidationError(
            f"{column}: '{text}' is not between {EARLIEST_DATE.year} and {LATEST_DATE.year}; check the year."
        )
    return parsed


def parse_bool(value: str | None, column: str) -> bool:
    """yes or no (also y/n, true/false, 1/0, in any case); a blank cell is no."""
    text = (value or "").strip()
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValidationError(f"{column}: '{text}' is not yes or no; write yes or no.")


def parse_money(value: str | None, column: str) -> Decimal:
    """An amount in pounds, such as 1234.50, £1,234.50 or 1,234; not negative, at most 2 decimal places."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(f"{column}: this is blank; give an amount in pounds, for example 1234.50.")
    body, negative = text, False
    for sign in ("-", "£", "-"):
        if body.startswith(sign):
            negative = negative or sign == "-"
            body = body[1:].strip()
    match = _MONEY.match(body)
    if not match:
        raise ValidationError(f"{column}: '{text}' is not an amount of money; write it like 1234.50 or £1,234.50.")
    if negative:
        raise ValidationError(f"{column}: '{text}' is negative; an amount must be zero or more.")
    pounds, pence = match.groups()
    if pence and len(pence) > 2:
        raise ValidationError(
            f"{column}: '{text}' has more than 2 decimal places; give pounds and pence, like 1234.50."
        )
    return Decimal(pounds.replace(",", "") + (f".{pence}" if pence else ""))
