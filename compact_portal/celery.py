"""The Celery application.

Tasks are discovered in each app's ``tasks.py``. The beat schedule is defined here, in code, so
that every deployment runs the same jobs. Times are Europe/London (CELERY_TIMEZONE follows TIME_ZONE).
"""

import logging
import os

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
    "compliance-nightly": {  # every rule, every adopted compact (issue 7)
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
}
app.conf.beat_schedule = BEAT_SCHEDULE


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
