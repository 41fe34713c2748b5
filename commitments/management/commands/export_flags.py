import csv

from django.core.management.base import BaseCommand, CommandError

from commitments.exports import flag_rows
from commitments.models import Compact, FlagStatus
from commitments.selectors import flags_for_export


class Command(BaseCommand):
    help = (
        "Write compliance flags as CSV (columns: rule, clause, compact, organisation_org_id, record, due_date, "
        "status) to standard output or --output FILE."
    )

    def add_arguments(self, parser):
        parser.add_argument("--compact", metavar="SLUG", help="Only this compact's flags.")
        parser.add_argument("--status", choices=FlagStatus.values, help="Only flags with this status.")
        parser.add_argument("--format", choices=["csv"], default="csv", help="The output format (csv).")
        parser.add_argument("--output", metavar="FILE", help="Write to this file instead of standard output.")

    def handle(self, *args, compact=None, status=None, output=None, **options):
        chosen = None
        if compact:
            chosen = Compact.objects.filter(slug=compact).first()
            if chosen is None:
                raise CommandError(f"No compact has the slug {compact!r}.")
        flags = flags_for_export(compact=chosen, status=status).iterator(chunk_size=2000)
        if output:
            with open(output, "w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows(flag_rows(flags))
        else:
            csv.writer(self.stdout, lineterminator="\n").writerows(flag_rows(flags))
