from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from compact_portal.csv_import import read_csv
from funding.services.imports import KINDS, funding_import


class Command(BaseCommand):
    help = (
        "Import funding relationships, invoices or notices from a CSV file: all rows or, if any row is bad, "
        "none (each bad row is listed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS, help="What the file holds.")
        parser.add_argument("file", type=Path)

    def handle(self, *args, kind: str, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"No file at {file}.")
        try:
            header, rows = read_csv(file.read_bytes())
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        result = funding_import(kind=kind, header=header, rows=rows, actor=None)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(f"Row {error.row}: {error.message}")
            raise CommandError(f"Nothing was imported: {len(result.errors)} row(s) need correcting.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.created} new, {result.updated} updated, {result.unchanged} unchanged."
            )
        )
