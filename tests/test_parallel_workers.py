"""The suite's pytest-xdist workers keep apart what they would otherwise share (tests/conftest.py): each has a
database of its own, and Redis databases of its own for the Celery broker and a Redis cache."""

import os

import pytest
from django.conf import settings
from django.db import connection
from kombu import Connection

from compact_portal.celery import app as celery_app
from tests.conftest import CONFIGURED_REDIS, redis_url_of_worker, xdist_worker_number

in_a_worker = pytest.mark.skipif(xdist_worker_number() is None, reason="runs in a pytest-xdist worker only (-n 2)")


@pytest.mark.parametrize(
    ("url", "number", "expected"),
    [
        ("redis://127.0.0.1:6379/15", 0, "redis://127.0.0.1:6379/15"),
        ("redis://127.0.0.1:6379/15", 1, "redis://127.0.0.1:6379/14"),
        ("redis://127.0.0.1:6379/0", 1, "redis://127.0.0.1:6379/15"),
        ("redis://127.0.0.1:6379", 2, "redis://127.0.0.1:6379/14"),
        ("rediss://:secret@cache.example.org:6380/3", 3, "rediss://:secret@cache.example.org:6380/0"),
        ("locmemcache://", 3, "locmemcache://"),
    ],
)
def test_a_workers_redis_database_counts_down_from_the_configured_one(url, number, expected):
    assert redis_url_of_worker(url, number) == expected


@in_a_worker
@pytest.mark.django_db
def test_a_worker_has_a_database_of_its_own():
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite" and "mode=memory" in name:
        pytest.skip("SQLite's test database is in memory, each process's own")
    assert name.endswith(f"_gw{xdist_worker_number()}")


@in_a_worker
@pytest.mark.skipif(not CONFIGURED_REDIS.get("broker"), reason="CELERY_BROKER_URL is not set")
def test_a_worker_queues_tasks_in_a_redis_database_of_its_own():
    mine = redis_url_of_worker(CONFIGURED_REDIS["broker"], xdist_worker_number())

    assert mine not in {redis_url_of_worker(CONFIGURED_REDIS["broker"], n) for n in range(xdist_worker_number())}
    # The Celery workers that tests start inherit the environment.
    assert mine == settings.CELERY_BROKER_URL == os.environ["CELERY_BROKER_URL"]
    assert celery_app.connection_for_write().as_uri() == Connection(mine).as_uri()
    assert celery_app.backend.url == redis_url_of_worker(CONFIGURED_REDIS["results"], xdist_worker_number())
