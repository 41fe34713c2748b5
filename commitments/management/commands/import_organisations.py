from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from commitments.services.imports import organisations_import
from compact_portal.management.csv_files import read_csv_file, stop_on_row_errors


class Command(BaseCommand):
    help = "Import organisations from a CSV file: all rows or, if any row is bad, none (each bad row is listed)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        header, rows = read_csv_file(file)
        result = organisations_import(header=header, rows=rows, today=timezone.localdate())
        stop_on_row_errors(self, result)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported: {result.created} new, {result.updated} updated, {result.unchanged} unchanged; "
                f"{result.signed} newly signed a compact."
            )
        )
