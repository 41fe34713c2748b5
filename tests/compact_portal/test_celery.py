"""Celery is wired: tasks are discovered, beat runs only real tasks, and a real worker answers on Redis."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from compact_portal.celery import BEAT_SCHEDULE, app, heartbeat

ROOT = Path(__file__).resolve().parents[2]


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    assert BEAT_SCHEDULE  # the heartbeat at least
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, f"beat entry {name!r} runs unknown task {entry['task']!r}"


def test_heartbeat_runs_in_process():
    assert heartbeat.apply().get() == "ok"


@pytest.mark.skipif(not settings.CELERY_BROKER_URL, reason="CELERY_BROKER_URL is not set: no real broker to test")
def test_a_real_worker_runs_a_task_sent_through_redis():
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "compact_portal",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert heartbeat.delay().get(timeout=60) == "ok"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
