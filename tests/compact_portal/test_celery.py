"""Celery is wired: tasks are discovered, beat runs only real tasks, and a real worker answers on Redis."""

import pytest
from django.conf import settings

from compact_portal.celery import BEAT_SCHEDULE, app, heartbeat


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    assert BEAT_SCHEDULE  # the heartbeat at least
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, f"beat entry {name!r} runs unknown task {entry['task']!r}"


def test_heartbeat_runs_in_process():
    assert heartbeat.apply().get() == "ok"


@pytest.mark.skipif(not settings.CELERY_BROKER_URL, reason="CELERY_BROKER_URL is not set: no real broker to test")
def test_a_real_worker_runs_a_task_sent_through_redis(start_celery_worker):
    start_celery_worker()

    assert heartbeat.delay().get(timeout=60) == "ok"
