from pathlib import Path

from django.core.management.base import BaseCommand

from compact_portal.management.csv_files import read_csv_file, stop_on_row_errors
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
        header, rows = read_csv_file(file)
        result = funding_import(kind=kind, header=header, rows=rows, actor=None)
        stop_on_row_errors(self, result)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.created} new, {result.updated} updated, {result.unchanged} unchanged."
            )
        )
