import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commitments.models import Compact
from commitments.reporting.pdf import render_report
from compact_portal.periods import Period, PeriodError


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-04-01.") from None


class Command(BaseCommand):
    help = (
        "Write a compact's compliance report for a period as a PDF: the same report champions ask for in the "
        "browser. Example: compliance_report --compact portsmouth --from 2026-04-01 --to 2026-06-30 --out q2.pdf"
    )

    def add_arguments(self, parser):
        parser.add_argument("--compact", metavar="SLUG", required=True, help="The compact's slug.")
        parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD", required=True, help="The period's first day.")
        parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", required=True, help="The period's last day.")
        parser.add_argument("--out", metavar="FILE.pdf", required=True, help="Where to write the PDF.")
        parser.add_argument("--meeting", default="", help='Printed on the cover: "for the meeting of ...".')

    def handle(self, *args, compact, start, end, out, meeting, **options):
        try:
            period = Period(_date(start), _date(end))
        except PeriodError as error:
            raise CommandError(str(error)) from None
        chosen = Compact.objects.filter(slug=compact).first()
        if chosen is None:
            raise CommandError(f"No compact has the slug {compact!r}.")
        rendered = render_report(compact=chosen, period=period, today=timezone.localdate(), meeting=meeting)
        Path(out).write_bytes(rendered.pdf)
        self.stdout.write(f"Wrote {out}: {chosen.name}, {period.label}, {rendered.page_count} pages.")
