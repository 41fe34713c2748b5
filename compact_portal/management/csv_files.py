"""What the CSV import commands share: reading the file, and stopping with every bad row listed."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from compact_portal.csv_import import read_csv

logger = logging.getLogger(__name__)


def read_csv_file(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The file's header and rows; a missing or unreadable file stops the command with a plain message."""
    if not path.is_file():
        raise CommandError(f"No file at {path}.")
    try:
        return read_csv(path.read_bytes())
    except ValidationError as error:
        raise CommandError(" ".join(error.messages)) from None


def stop_on_row_errors(command: BaseCommand, result) -> None:
    """If the import saved nothing, write each bad row to stderr and stop with a non-zero exit."""
    if result.ok:
        return
    for error in result.errors:
        command.stderr.write(f"Row {error.row}: {error.message}")
    raise CommandError(f"Nothing was imported: {len(result.errors)} row(s) need correcting.")


@contextmanager
def database_failure_stops_the_command(what: str) -> Iterator[None]:
    """Around an import in a command. The import is one transaction, so a database error in the middle of it
    has undone every row: say so plainly (with the database's own words) and exit non-zero, not with a
    traceback. ``what`` names the import in the log."""
    try:
        yield
    except DatabaseError as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        logger.error("%s failed in the database; nothing was imported: %s", what, reason)
        raise CommandError(
            f"Nothing was imported: the database failed while saving the file ({reason}). None of its rows were "
            "kept; run the command again once the database is working."
        ) from error
