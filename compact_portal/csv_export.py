"""CSV downloads for any app: text cells that are safe to open in a spreadsheet, and the response that carries them."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse
from django.utils.http import content_disposition_header

# OWASP "CSV injection": a cell starting with one of these may be run as a formula by a spreadsheet.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Return ``value`` as text that a spreadsheet shows as text, never runs as a formula.

    ``None`` becomes ``""``. Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading apostrophe (so ``-5`` becomes ``'-5``): pass people's text through here, and format
    numbers and dates the export writes itself separately.
    """
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def csv_response(filename: str, rows: Iterable[Iterable[object]]) -> HttpResponse:
    """An attachment download of ``rows`` as UTF-8 CSV, with a byte order mark so Excel reads it as UTF-8.

    The rows are written as given: their text cells should already have passed through ``safe_cell``.
    """
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
    response.write("\ufeff")
    csv.writer(response).writerows(rows)
    return response
