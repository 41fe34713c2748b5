"""Compliance scan tasks (thin: ids and ISO dates in, the services do the work).

``scan_compliance`` records a run and fans out one ``check_compliance_rule`` per compact and rule, so
several workers share a large scan; the last check to finish queues the digest e-mails.
"""

import datetime

from celery import group, shared_task
from django.utils import timezone

from . import rulebook
from .models import Compact, Trigger
from .services.compliance import compliance_run_start, daily_steps_run, rule_check_run
from .services.digest import flag_digest_send
from .services.reports import report_render


@shared_task(name="commitments.scan_compliance")
def scan_compliance(
    as_of_iso: str | None = None,
    compact_id: int | None = None,
    rule_keys: list[str] | None = None,
    payments_only: bool = False,
    trigger: str = Trigger.NIGHTLY,
) -> int:
    """Start a run as of the given day (default: today, Europe/London) and queue its checks; returns its id.

    ``payments_only`` checks just the prompt-payment rules (the hourly schedule). A scan of every rule (the nightly
    one) first runs the daily steps the apps registered (``rulebook.register_daily_step``: what the passing of
    days changes in the records, such as the next monitoring returns of open-ended funding), as of the same day.
    """
    today = datetime.date.fromisoformat(as_of_iso) if as_of_iso else timezone.localdate()
    compact = Compact.objects.get(pk=compact_id) if compact_id else None
    if payments_only:
        rule_keys = [str(rule.key) for rule in rulebook.payment_rules()]
    if not rule_keys:
        daily_steps_run(today=today)
    run, check_ids = compliance_run_start(today=today, trigger=trigger, compact=compact, rule_keys=rule_keys)
    if check_ids:
        group(check_compliance_rule.s(check_id) for check_id in check_ids).apply_async()
    return run.pk


@shared_task(name="commitments.check_compliance_rule")
def check_compliance_rule(check_id: int) -> None:
    outcome = rule_check_run(check_id=check_id)
    if outcome and outcome.run_finished:
        send_flag_digest.delay(outcome.run_id)


@shared_task(name="commitments.send_flag_digest")
def send_flag_digest(run_id: int) -> int:
    return flag_digest_send(run_id=run_id)


@shared_task(name="commitments.render_compliance_report")
def render_compliance_report(report_id: int, today_iso: str) -> bool:
    """Draw a queued compliance report; a second delivery of the same task does nothing."""
    return report_render(report_id=report_id, today=datetime.date.fromisoformat(today_iso))


@shared_task(name="commitments.recheck_records")
def recheck_records(
    records: dict[str, list[int]] | None = None, compact_ids: list[int] | None = None, cause: str = ""
) -> int | None:
    """Check again the rules about the records a committed change touched (``services/live.py``); returns the
    live run's id, or None when nothing was left to check."""
    from .services.compliance import compliance_recheck

    run = compliance_recheck(
        today=timezone.localdate(), records=records or {}, compact_ids=compact_ids or [], cause=cause
    )
    return run.pk if run else None
