"""Faults: a Compact concern raised while Redis is away is kept, and its e-mails are sent once Redis is back.

The behaviour chosen (README, "When things fail"): raising a concern, like every case step, succeeds at once
with Redis stopped or hung. Its e-mails wait in the outbox (``CaseEmail``), and the job the beat schedule sends
every 5 minutes (``disputes.send_case_emails``) sends each of them once Redis is back.

Each test runs its own redis-server on a free port (never the shared one) and points the Celery app at it, as
production is set up: broker, result store and cache (the rate-limit counts) on the same Redis. Then it stops
that Redis (terminated: connections refused) or freezes it (SIGSTOP: connections accepted, never answered).
"""

import datetime
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from compact_portal.celery import BEAT_SCHEDULE, heartbeat
from compact_portal.celery import app as celery_app
from disputes.models import CaseEmail, Concern, Stage
from disputes.tasks import send_case_emails

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server to start a private Redis")

# How long raising a concern may take with Redis away. Stopped, publishing fails in well under a second; hung,
# each attempt waits for the socket timeouts of compact_portal/settings.py ("about 10 s at worst").
SECONDS_ALLOWED = {"stopped": 5, "hung": 15}
GIVE_UP_AFTER = 60  # a request still waiting then is hung: the test fails instead of hanging CI


class Hung(BaseException):
    """Raised by ``deadline`` in the middle of whatever blocks; a BaseException, so that the portal's own
    ``except Exception`` (which keeps a step when queuing its e-mails fails) cannot swallow it."""


@contextmanager
def deadline(seconds: int):
    def give_up(signum, frame):
        raise Hung(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, on a free port, that the test can stop, freeze and start again."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)
        give_up = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > give_up:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        """Terminate it: connections are refused (and, with no persistence, whatever it held is gone)."""
        self.process.terminate()
        self.process.wait(timeout=15)

    def freeze(self) -> None:
        """Suspend it: the kernel still accepts connections, but nothing ever answers."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # SIGKILL ends a frozen process too
            self.process.wait(timeout=15)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def portal_on_private_redis(private_redis, monkeypatch, settings):
    """Tasks go through the private Redis for real (not in process), results and the rate-limit counts live
    there too, and the app opens fresh connections to it; everything is put back afterwards."""
    # Celery reads these environment variables before its own configuration (celery.app.utils.Settings).
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url(0))
    monkeypatch.setenv("CELERY_RESULT_BACKEND", private_redis.url(0))
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url(1),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},  # as compact_portal/settings.py
        }
    }
    amqp, local = celery_app.amqp, celery_app._local
    saved = (
        celery_app.conf.task_always_eager, celery_app._pool, amqp._producer_pool, celery_app._backend_cache,
        getattr(local, "backend", None),
    )  # fmt: skip
    celery_app.conf.task_always_eager = False
    celery_app._pool = amqp._producer_pool = celery_app._backend_cache = local.backend = None
    yield private_redis
    for pool in (amqp._producer_pool, celery_app._pool):
        if pool is not None:
            pool.force_close_all()
    (celery_app.conf.task_always_eager, celery_app._pool, amqp._producer_pool, celery_app._backend_cache,
     local.backend) = saved  # fmt: skip


def take_away(server: PrivateRedis, fault: str) -> None:
    server.stop() if fault == "stopped" else server.freeze()


def bring_back(server: PrivateRedis, fault: str) -> None:
    server.start() if fault == "stopped" else server.thaw()


def warm_up() -> None:
    """Queue a task while Redis is up, as a web process that has been running for a while has, so the app
    holds pooled connections that the fault then breaks (the harder case: they must be noticed and dropped)."""
    celery_app.send_task(heartbeat.name, ignore_result=True)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def concern_form(charity, trust, public_commitment, today):
    return {
        "raiser": charity.pk,
        "respondent": trust.pk,
        "commitments": [public_commitment.pk],
        "what_happened": "The trust ended our contract for meals with two weeks' notice.",
        "happened_on": (today - datetime.timedelta(days=20)).isoformat(),
        "outcome_sought": "Three months' notice, as the compact promises.",
        "consent": "on",
    }


@pytest.fixture
def raise_url(compact):
    return reverse("disputes:raise_concern", args=[compact.slug])


@pytest.fixture
def readers(vcs_member, champion, respondent_champion):
    """Who is e-mailed about a new concern: the raiser, the compact's champion and the trust's champion."""
    return sorted([vcs_member.email, champion.email, respondent_champion.email])


@contextmanager
def timed(caplog):
    """Time the block (given up on after GIVE_UP_AFTER seconds), with the outbox's warnings captured."""
    took = {}
    with caplog.at_level(logging.WARNING, logger="disputes.services.emails"), deadline(GIVE_UP_AFTER):
        started = time.monotonic()
        yield took
        took["seconds"] = time.monotonic() - started


def assert_raised_with_emails_waiting(response, seconds, fault, readers, caplog) -> Concern:
    concern = Concern.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == concern.get_absolute_url()  # the success redirect to the concern's status page
    assert seconds < SECONDS_ALLOWED[fault], f"raising the concern took {seconds:.1f} s with Redis {fault}"
    assert concern.stage == Stage.RECEIVED
    waiting = CaseEmail.objects.filter(concern=concern)
    assert sorted(waiting.values_list("to", flat=True)) == readers
    assert not waiting.exclude(sent_at=None).exists()
    # The concern's compliance re-check found the broker away first; the e-mails were not queued after it.
    assert "Could not queue the compliance re-check after: Concern" in caplog.text
    assert "not queuing case e-mails (the scheduled run will)" in caplog.text
    return concern


# --- No PostgreSQL needed: the e-mails are sent in process once Redis is back ---------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_with_redis_away_a_concern_is_raised_at_once_and_its_emails_wait_for_the_scheduled_run(
    fault, portal_on_private_redis, client, vcs_member, raise_url, concern_form, readers, mailoutbox, caplog,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    warm_up()
    take_away(portal_on_private_redis, fault)
    client.force_login(vcs_member)

    # The test runs in a transaction, so the queuing that production does when the step commits is run here
    # when the request is over; both are timed.
    with timed(caplog) as took, django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(raise_url, concern_form)

    assert callbacks, "the e-mails were never queued after the concern was saved"
    concern = assert_raised_with_emails_waiting(response, took["seconds"], fault, readers, caplog)
    assert mailoutbox == []

    bring_back(portal_on_private_redis, fault)
    first, second = send_case_emails.apply().get(), send_case_emails.apply().get()  # two scheduled runs

    assert (first, second) == (3, 0)
    assert sorted(address for message in mailoutbox for address in message.to) == readers  # each one once
    assert {message.subject for message in mailoutbox} == {f"{concern.reference}: a Compact concern has been received"}
    assert not CaseEmail.objects.filter(sent_at=None).exists()


# --- PostgreSQL: a real worker sends them when the scheduled job reaches it through Redis ---------------------


def wait_until(condition, worker: subprocess.Popen, seconds: float = 90) -> bool:
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up and worker.poll() is None:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL, so a worker process can share the test database"
)
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_a_real_worker_sends_each_email_once_when_the_scheduled_job_reaches_it(
    portal_on_private_redis, client, vcs_member, raise_url, concern_form, readers, caplog, start_celery_worker,
    test_database_url,
):  # fmt: skip
    warm_up()
    portal_on_private_redis.stop()
    client.force_login(vcs_member)

    # The test is not in a transaction: the e-mails are queued when the step commits, in the request, as in
    # production.
    with timed(caplog) as took:
        response = client.post(raise_url, concern_form)

    concern = assert_raised_with_emails_waiting(response, took["seconds"], "stopped", readers, caplog)

    portal_on_private_redis.start()  # back, on the same port, empty (what was queued before it stopped is gone)
    worker, log = start_celery_worker(
        DATABASE_URL=test_database_url,
        CELERY_BROKER_URL=portal_on_private_redis.url(0),
        CELERY_RESULT_BACKEND=None,  # the broker's Redis, as in production
        EMAIL_URL="consolemail://",  # the worker prints what it sends, so the test can count it
    )
    try:
        job = BEAT_SCHEDULE["case-emails"]["task"]
        celery_app.send_task(job)  # what beat sends every 5 minutes...
        celery_app.send_task(job)  # ...and again five minutes later
        all_sent = wait_until(lambda: not CaseEmail.objects.filter(sent_at=None).exists(), worker)
        # The worker takes tasks in the order queued, one at a time: once this one is answered, both runs are over.
        answered = heartbeat.delay().get(timeout=60) == "ok"
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    output = log.read_text()
    assert all_sent, f"the e-mails were not sent within 90 s; worker output:\n{output[-3000:]}"
    assert answered
    assert sorted(re.findall(r"^To: (.+)$", output, flags=re.MULTILINE)) == readers, output[-3000:]
    assert output.count(f"Subject: {concern.reference}: a Compact concern has been received") == len(readers)
    emails = CaseEmail.objects.filter(concern=concern)
    assert sorted(emails.values_list("to", flat=True)) == readers
    assert set(emails.values_list("attempts", flat=True)) == {0}
