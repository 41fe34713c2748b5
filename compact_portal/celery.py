"""The Celery application.

Tasks are discovered in each app's ``tasks.py``. The beat schedule is defined here, in code, so
that every deployment runs the same jobs. Times are Europe/London (CELERY_TIMEZONE follows TIME_ZONE).
"""

import logging
import os
import time

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun, task_prerun

from compact_portal import audit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compact_portal.settings")

app = Celery("compact_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "compact_portal.heartbeat",
        "schedule": crontab(minute="*/15"),
    },
    "consultation-alerts": {  # opening alerts and one-week reminders, each sent once
        "task": "consultations.send_alerts",
        "schedule": crontab(hour=7, minute=0),
    },
    "compliance-nightly": {  # every rule, every adopted compact
        "task": "commitments.scan_compliance",
        "schedule": crontab(hour=2, minute=0),
    },
    "compliance-payments": {  # the prompt-payment rules again, hourly in working hours
        "task": "commitments.scan_compliance",
        "schedule": crontab(minute=0, hour="8-18", day_of_week="mon-fri"),
        "kwargs": {"payments_only": True, "trigger": "payments"},
    },
    "case-emails": {  # retries case e-mails whose queuing failed (broker away) or whose sending failed
        "task": "disputes.send_case_emails",
        "schedule": crontab(minute="*/5"),
    },
    "bank-holidays": {  # GOV.UK's list, stored for every process (compact_portal/working_days.py); weekly
        "task": "compact_portal.refresh_bank_holidays",
        "schedule": crontab(day_of_week="mon", hour=6, minute=30),
    },
}
app.conf.beat_schedule = BEAT_SCHEDULE


# After the broker fails to take a task, further tasks queued in the next half minute are not tried: a request
# that queues two (a concern's e-mails and its compliance re-check) waits on a hung Redis once, not twice. What
# is not queued is done by the scheduled jobs (case e-mails every 5 minutes, the nightly compliance scan).
BROKER_BACKOFF_SECONDS = 30
_broker_failed_at: float | None = None


def queue_or_log(task, *, what: str, **kwargs) -> bool:
    """Queue ``task`` with ``kwargs``; True if it was queued (or run, without a broker).

    A broker that is away is logged as a warning naming ``what`` waits for the scheduled run, never raised: the
    change that asked for the task is already saved.
    """
    global _broker_failed_at
    if _broker_failed_at is not None and time.monotonic() - _broker_failed_at < BROKER_BACKOFF_SECONDS:
        logger.warning("The task queue failed moments ago; not queuing %s (the scheduled run will)", what)
        return False
    try:
        task.delay(**kwargs)
    except Exception:  # noqa: BLE001 - broker away (or a task run in process failed): logged, not raised
        if not app.conf.task_always_eager:
            _broker_failed_at = time.monotonic()
        logger.warning("Could not queue %s; the scheduled run will do it", what, exc_info=True)
        return False
    _broker_failed_at = None
    return True


@app.task(name="compact_portal.heartbeat")
def heartbeat() -> str:
    """Log that a worker is alive and picking up scheduled work; returns "ok"."""
    logger.info("Compact Portal worker heartbeat")
    return "ok"


@task_prerun.connect(dispatch_uid="compact_portal_audit_job_started")
def _audit_job_started(task_id=None, task=None, **kwargs):
    """What a task changes is recorded as made by "Scheduled job: <task name>" (compact_portal/audit.py)."""
    audit.job_started(task_id=task_id, task_name=getattr(task, "name", "") or "unknown task")


@task_postrun.connect(dispatch_uid="compact_portal_audit_job_finished")
def _audit_job_finished(task_id=None, **kwargs):
    audit.job_finished(task_id=task_id)
