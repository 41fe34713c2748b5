"""What the CSV import commands share: reading the file, and stopping with every bad row listed."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from compact_portal.csv_import import read_csv


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
