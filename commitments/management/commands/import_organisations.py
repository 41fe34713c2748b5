from pathlib import Path

from django.utils import timezone

from commitments.services.imports import IMPORT_VIA, organisations_import
from compact_portal.audit import AuditedCommand, audit_context, import_via
from compact_portal.management.csv_files import (
    database_failure_stops_the_command,
    read_csv_file,
    stop_on_row_errors,
)


class Command(AuditedCommand):
    help = "Import organisations from a CSV file: all rows or, if any row is bad, none (each bad row is listed)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        header, rows = read_csv_file(file)
        via = import_via(IMPORT_VIA, file.name)
        with audit_context(via=via), database_failure_stops_the_command(via):
            result = organisations_import(header=header, rows=rows, today=timezone.localdate())
        stop_on_row_errors(self, result)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported: {result.created} new, {result.updated} updated, {result.unchanged} unchanged; "
                f"{result.signed} newly signed a compact."
            )
        )
