from pathlib import Path

from django.utils import timezone

from compact_portal.audit import AuditedCommand, audit_context, import_via
from compact_portal.management.csv_files import (
    database_failure_stops_the_command,
    read_csv_file,
    stop_on_row_errors,
)
from funding.services.imports import KINDS, funding_import, import_via_label


class Command(AuditedCommand):
    help = (
        "Import funding relationships, invoices, notices or monitoring returns from a CSV file: all rows or, if any "
        "row is bad, none (each bad row is listed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS, help="What the file holds.")
        parser.add_argument("file", type=Path)

    def handle(self, *args, kind: str, file: Path, **options):
        header, rows = read_csv_file(file)
        via = import_via(import_via_label(kind), file.name)
        with audit_context(via=via), database_failure_stops_the_command(via):
            result = funding_import(kind=kind, header=header, rows=rows, actor=None, today=timezone.localdate())
        stop_on_row_errors(self, result)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.created} new, {result.updated} updated, {result.unchanged} unchanged."
            )
        )
