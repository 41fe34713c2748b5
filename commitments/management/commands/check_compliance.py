import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from commitments import rulebook
from commitments.models import Compact, CompactStatus, RuleCheck, Trigger
from commitments.services.compliance import compliance_scan, daily_steps_run
from compact_portal.audit import AuditedCommand


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of must be a date written YYYY-MM-DD, e.g. 2026-11-21; got {value!r}.") from None


class Command(AuditedCommand):
    help = (
        "Check every compliance rule now, in this process, and flag what is broken (the nightly scan without "
        "a worker: for cron-only deployments, back-dated checks and tests). Sends the digest e-mails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--compact", metavar="SLUG", help="Check one compact only.")
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="Check as if today were this day.")
        parser.add_argument(
            "--rule", action="append", dest="rules", metavar="KEY", help="Check only this rule (repeatable)."
        )
        parser.add_argument(
            "--no-daily-steps",
            action="store_false",
            dest="daily_steps",
            help="Check every rule without first running the daily steps (such as scheduling open-ended funding's "
            "next monitoring returns). A check of chosen rules (--rule) never runs them.",
        )

    def handle(self, *args, compact=None, as_of=None, rules=None, daily_steps=True, **options):
        today = _date(as_of) if as_of else timezone.localdate()
        chosen = None
        if compact:
            chosen = Compact.objects.filter(slug=compact).first()
            if chosen is None:
                raise CommandError(f"No compact has the slug {compact!r}.")
            if chosen.status == CompactStatus.WITHDRAWN:
                raise CommandError(f"{chosen} has been withdrawn, so it has no promises to check.")
        if daily_steps and not rules:
            # Every compact's records, as the nightly task does, even with --compact: what the passing of days
            # changes is true of them all, and a step is safe to run again.
            for name, changed in daily_steps_run(today=today).items():
                if changed is None:
                    self.stdout.write(self.style.ERROR(f"Daily step {name}: FAILED (see the log); checking anyway"))
                elif changed:
                    self.stdout.write(f"Daily step {name}: {changed} record{'s' if changed != 1 else ''} changed")
        try:
            run = compliance_scan(today=today, trigger=Trigger.COMMAND, compact=chosen, rule_keys=rules)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Compliance run {run.pk} as of {today:%d %B %Y}: {run.checks_total} checks")
        failed = 0
        where = chosen.slug if chosen else "every compact"
        for check in RuleCheck.objects.filter(run=run).order_by("rule"):
            label = rulebook.rule(check.rule).label
            if check.error:
                failed += 1
                self.stdout.write(self.style.ERROR(f"  {where} · {label}: FAILED: {check.error}"))
            else:
                self.stdout.write(
                    f"  {where} · {label}: {check.live} live "
                    f"({check.new} new, {check.changed} changed, {check.resolved} resolved)"
                )
        if failed:
            raise CommandError(f"{failed} check{'s' if failed != 1 else ''} failed; the others were recorded.")
        self.stdout.write(self.style.SUCCESS("Compliance check finished."))
