import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from commitments.models import Compact
from commitments.services.compact_settings import compact_deadlines_recompute
from compact_portal.audit import AuditedCommand

REASON = "Deadlines counted again (recompute_deadlines)"


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of must be a date written YYYY-MM-DD, e.g. 2026-11-21; got {value!r}.") from None


class Command(AuditedCommand):
    help = (
        "Count the stored deadlines of every compact's open records again (pay-by dates, decision dates, "
        "consultation and case step deadlines), with today's bank holidays and each compact's settings: after "
        "GOV.UK's bank holidays change. Closed records keep theirs. Saves only records whose dates moved."
    )

    def add_arguments(self, parser):
        parser.add_argument("--compact", metavar="SLUG", help="Only this compact.")
        parser.add_argument(
            "--as-of", metavar="YYYY-MM-DD", help="Judge which records are open as if today were this day."
        )

    def handle(self, *args, compact=None, as_of=None, **options):
        today = _date(as_of) if as_of else timezone.localdate()
        compacts = Compact.objects.order_by("name")
        if compact:
            compacts = compacts.filter(slug=compact)
            if not compacts.exists():
                raise CommandError(f"No compact has the slug {compact!r}.")
        total = 0
        for chosen in compacts:
            saved = compact_deadlines_recompute(compact=chosen, actor=None, reason=REASON, today=today)
            total += saved
            self.stdout.write(f"  {chosen.slug}: {saved} record{'s' if saved != 1 else ''} with new deadlines")
        self.stdout.write(self.style.SUCCESS(f"Deadlines counted again as of {today:%d %B %Y}: {total} records saved."))
