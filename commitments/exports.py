"""Compliance flags as CSV, for the ``export_flags`` command and the flag list's download."""

from collections.abc import Iterable, Iterator

from compact_portal.csv_export import safe_cell

from .models import Flag
from .rulebook import PORTAL_DEFAULT

FLAG_COLUMNS = ("rule", "clause", "compact", "organisation_org_id", "record", "due_date", "status")


def flag_rows(flags: Iterable[Flag]) -> Iterator[list[str]]:
    """The header, then one row per flag. ``clause`` is the compact's own, or "portal default"; ``record`` is
    the invoice number, funding reference, consultation or case reference, or compact slug; text people typed
    is neutralised for spreadsheets."""
    yield list(FLAG_COLUMNS)
    for flag in flags:
        yield [
            flag.rule,
            safe_cell(flag.clause or PORTAL_DEFAULT.lower()),
            flag.compact.slug,
            safe_cell(flag.organisation.org_id if flag.organisation else ""),
            safe_cell(flag.record_label),
            flag.due_date.isoformat(),
            flag.status,
        ]
