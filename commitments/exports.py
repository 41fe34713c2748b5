"""Compliance flags as CSV, for the ``export_flags`` command and the flag list's download."""

from collections.abc import Iterable, Iterator

from compact_portal.csv_export import safe_cell
from compact_portal.formatting import long_date

from .models import Flag, RecordType
from .rulebook import PORTAL_DEFAULT

FLAG_COLUMNS = ("rule", "clause", "compact", "organisation_org_id", "record", "due_date", "status")


def record_text(flag: Flag) -> str:
    """The record a flag is about, in words: its label (the invoice number, funding reference, consultation or case
    reference, or compact slug), or for a monitoring return, which return of which funding: "Monitoring return due
    4 December 2026 on PCC-GR-2026-007" (a return's flag is due on the day the return is)."""
    if flag.record_type == RecordType.MONITORING_RETURN:
        return f"Monitoring return due {long_date(flag.due_date)} on {flag.record_label}"
    return flag.record_label


def flag_rows(flags: Iterable[Flag]) -> Iterator[list[str]]:
    """The header, then one row per flag. ``clause`` is the compact's own, or "portal default"; ``record`` says
    what the flag is about (``record_text``); text people typed is neutralised for spreadsheets."""
    yield list(FLAG_COLUMNS)
    for flag in flags:
        yield [
            flag.rule,
            safe_cell(flag.clause or PORTAL_DEFAULT.lower()),
            flag.compact.slug,
            safe_cell(flag.organisation.org_id if flag.organisation else ""),
            safe_cell(record_text(flag)),
            flag.due_date.isoformat(),
            flag.status,
        ]
