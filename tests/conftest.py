"""Role fixtures shared by every test: one signed-in person per role, and an outsider; and what keeps the
pytest-xdist workers that run the suite at once (pyproject.toml's addopts) out of each other's way."""

import gc
import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_migrate
from django.utils.text import slugify

from commitments.services import compacts_load
from commitments.services.live import _Batch
from compact_portal import celery as celery_module
from compact_portal.accounts.roles import Role
from compact_portal.celery import app as celery_app
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import OrganisationFactory, PublicBodyFactory
from tests.worlds import FAST_PASSWORD_HASHERS, no_stored_bank_holidays

# --- Reference data a transactional test's flush empties ------------------------------------------------------
# The communities, services and policy areas come from data migrations. A transactional test
# (``transaction=True``) ends by flushing every table, and the next test on that worker would find none, so whether
# a test passed hung on the order tests ran in. A flush ends with Django's post_migrate signal (as migrate does), so
# they are put back then, from the migrations' own lists, as the migrations made them: without history records
# (``bulk_create``).


def _reference_data_back(sender, **kwargs):
    from commitments.models import Community, Service
    from consultations.models import PolicyArea

    if sender.label == "commitments" and not Community.objects.exists():
        listed = importlib.import_module("commitments.migrations.0002_communities")
        Community.objects.bulk_create(
            Community(slug=slugify(name), name=name, protected_characteristic=protected)
            for names, protected in ((listed.PROTECTED, True), (listed.OTHER, False))
            for name in names
        )
    if sender.label == "commitments" and not Service.objects.exists():
        listed = importlib.import_module("commitments.migrations.0017_services")
        Service.objects.bulk_create(Service(slug=slugify(name), name=name) for name in listed.SERVICES)
    elif sender.label == "consultations" and not PolicyArea.objects.exists():
        listed = importlib.import_module("consultations.migrations.0002_policy_areas")
        PolicyArea.objects.bulk_create(PolicyArea(slug=slugify(name), name=name) for name in listed.POLICY_AREAS)


post_migrate.connect(_reference_data_back, dispatch_uid="tests_reference_data_back")


# --- Emptying the database after a transactional test, quickly -------------------------------------------------------
# A transactional test ends with Django's flush, which on PostgreSQL is one TRUNCATE of every table (about 170): about
# 0.7 s, as TRUNCATE gives each table new files, though most of them are empty. DELETE FROM each table leaves the same
# empty tables in a few milliseconds. Every foreign key Django makes on PostgreSQL is DEFERRABLE INITIALLY DEFERRED,
# so the order of the deletes does not matter within the flush's transaction. Sequences are not restarted either way;
# a flush asked to restart them (``reset_sequences``) keeps Django's TRUNCATE ... RESTART IDENTITY.

try:
    from django.db.backends.postgresql.operations import DatabaseOperations as _PostgresOperations
except ImportError:  # psycopg missing: only SQLite is in use, whose flush already deletes
    _PostgresOperations = None
else:
    _truncate_every_table = _PostgresOperations.sql_flush

    def _delete_from_every_table(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return _truncate_every_table(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return ["SET CONSTRAINTS ALL DEFERRED;"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables
        ]

    _PostgresOperations.sql_flush = _delete_from_every_table


# --- One run, several processes -------------------------------------------------------------------------------
# pytest-xdist runs the tests in a worker process per core (gw0, gw1, ...). pytest-django gives each worker a
# database of its own (test_<name>_gw0, ...); the temporary directories are each worker's own too. What is left
# to share is set apart here: the Redis databases of the broker (a test that starts a real Celery worker empties
# the queue first, and that worker would take another worker's tasks) and of a Redis cache (tests empty the
# cache, the rate-limit counts, before each test), and the folder of the browser tests' screenshots.

REDIS_DATABASES = 16  # a Redis server's, unless its configuration says otherwise
CONFIGURED_REDIS: dict[str, str] = {}  # in a worker, the broker's and results' URLs as configured, before the above


def xdist_worker_number() -> int | None:
    """0 in pytest-xdist's worker gw0, 1 in gw1, ...; None in a run without workers (-n 0) or in the process
    that hands the tests out."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return int(worker.removeprefix("gw")) if worker else None


def redis_url_of_worker(url: str, number: int) -> str:
    """The Redis database ``number`` below the URL's, counting down from 15 after 0: gw0 keeps the configured
    database (CI's broker is 15, so gw1's is 14). A URL that is not Redis's is returned as it is."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return url
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(database - number) % REDIS_DATABASES}"))


# --- The garbage collector ------------------------------------------------------------------------------------------
# A test run makes and drops millions of small objects (querysets, model instances, template contexts), and Python's
# default thresholds run a collection every 700 allocations, each full one walking everything Django and the test
# modules loaded. Collecting less often, and setting aside (gc.freeze) what exists once the tests are collected,
# takes about 5% off the run; what a test leaves behind is still collected.
GC_FIRST_GENERATION_THRESHOLD = 50_000


def pytest_collection_finish(session):
    gc.collect()
    gc.freeze()


def pytest_configure(config):
    gc.set_threshold(GC_FIRST_GENERATION_THRESHOLD, 50, 100)
    number = xdist_worker_number()
    if number is None:
        return
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", number + 1))
    changed = []
    broker = django_settings.CELERY_BROKER_URL
    if broker:
        CONFIGURED_REDIS.update(broker=broker, results=django_settings.CELERY_RESULT_BACKEND)
        # Read by the Celery app in this process (its environment variable comes before its configuration) and
        # by the workers the tests start in other processes, which inherit this environment.
        django_settings.CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"] = redis_url_of_worker(broker, number)
        if "CELERY_RESULT_BACKEND" in os.environ:
            os.environ["CELERY_RESULT_BACKEND"] = redis_url_of_worker(os.environ["CELERY_RESULT_BACKEND"], number)
        if django_settings.CELERY_RESULT_BACKEND:
            django_settings.CELERY_RESULT_BACKEND = redis_url_of_worker(django_settings.CELERY_RESULT_BACKEND, number)
        celery_app.conf.broker_url = django_settings.CELERY_BROKER_URL
        celery_app.conf.result_backend = django_settings.CELERY_RESULT_BACKEND
        changed.append(broker)
    for alias in django_settings.CACHES.values():
        if alias["BACKEND"].endswith("RedisCache"):
            locations = alias["LOCATION"]
            locations = re.split("[;,]", locations) if isinstance(locations, str) else list(locations)
            alias["LOCATION"] = [redis_url_of_worker(location, number) for location in locations]
            changed.extend(locations)
    # No two workers may share a Redis database, whatever the URLs: a cache's clear() empties its whole database.
    each = [{redis_url_of_worker(url, n) for url in changed} for n in range(workers)]
    if len(set().union(*each)) < sum(map(len, each)):
        raise pytest.UsageError(
            f"{workers} test workers cannot each have Redis databases of their own from {changed}: run fewer "
            f"(-n), or set CELERY_BROKER_URL and CACHE_URL to databases {workers} or more apart."
        )


def pytest_sessionstart(session):
    # pytest-playwright empties its output folder in each process (delete_output_dir, below); with several
    # workers one would delete another's screenshots of a failure. The process that starts the run empties it,
    # before any worker starts.
    output = session.config.getoption("--output", None)  # None without pytest-playwright
    if output and not hasattr(session.config, "workerinput"):
        shutil.rmtree(output, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def delete_output_dir():
    """Replaces pytest-playwright's fixture of this name: see pytest_sessionstart."""


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _rate_limits_start_at_zero():
    # Rate-limit counts live in the cache, outside the test's transaction: each test starts with none.
    cache.clear()


@pytest.fixture(autouse=True)
def _bank_holidays_as_shipped(settings, tmp_path_factory):
    settings.BANK_HOLIDAYS_DIR = no_stored_bank_holidays(tmp_path_factory)


@pytest.fixture(autouse=True)
def _task_queue_not_failed_before():
    """Each test starts with no memory of a broker that failed in an earlier one (compact_portal/celery.py)."""
    celery_module._broker_failed_at = None


@pytest.fixture
def django_capture_on_commit_callbacks(django_capture_on_commit_callbacks):
    """pytest-django's, but what the test's set-up asked to re-check stays out of what it captures: the test's
    transaction never commits, so production's "one re-check per transaction" would fold the two together."""

    def capture(**kwargs):
        for _savepoints, callback, *_rest in connection.run_on_commit:
            if isinstance(callback, _Batch):
                callback.sealed = True
        return django_capture_on_commit_callbacks(**kwargs)

    return capture


@pytest.fixture
def tasks_run_in_process():
    """Celery tasks run in the test's own process even where a broker is configured (as in CI), so a test
    sees what they do; the real worker path has tests of its own."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def start_celery_worker(tmp_path):
    """Start a real Celery worker (solo pool) in another process; stopped after the test.

    ``start(**env)`` adds ``env`` to this process's environment (a value of None removes the variable) and
    returns the worker and the file its output goes to, read once the worker has stopped (``terminate()``).
    """
    workers = []
    if celery_app.conf.broker_url and not celery_app.conf.task_always_eager:
        # Tasks earlier tests queued and no worker took (compliance re-checks after their writes) would run
        # against this test's records: the worker starts on an empty queue.
        celery_app.control.purge()

    def start(**env: str | None) -> tuple[subprocess.Popen, Path]:
        environment = os.environ.copy()
        for name, value in env.items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        log = tmp_path / f"worker-{len(workers)}.log"
        with log.open("w") as output:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "compact_portal", "worker", "--pool=solo", "--concurrency=1",
                 "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
                cwd=Path(__file__).resolve().parents[1],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        workers.append(worker)
        return worker, log

    yield start
    for worker in workers:
        worker.terminate()
        worker.wait(timeout=30)


@pytest.fixture
def test_database_url(db):
    """The URL of the database the tests run in, for a worker in another process (PostgreSQL only)."""
    settings = connection.settings_dict
    user = quote(settings["USER"] or "postgres", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@127.0.0.1:{settings['PORT'] or 5432}/{settings['NAME']}"


@pytest.fixture
def compacts(db):
    """The three seed compacts, loaded from fixtures/compacts, by slug."""
    return {compact.slug: compact for compact in compacts_load()}


@pytest.fixture
def portsmouth(compacts):
    return compacts["portsmouth"]


@pytest.fixture
def council(db):
    return PublicBodyFactory(name="Portsmouth City Council")


@pytest.fixture
def charity(db):
    return OrganisationFactory(name="Southsea Community Food Bank")


@pytest.fixture
def other_charity(db):
    return OrganisationFactory(name="Fratton Youth Network")


@pytest.fixture
def officer(council):
    return MembershipFactory(organisation=council, role=Role.OFFICER, user__full_name="Olivia Officer").user


@pytest.fixture
def vcs_member(charity):
    return MembershipFactory(organisation=charity, role=Role.VCS_MEMBER, user__full_name="Val Member").user


@pytest.fixture
def champion(council):
    return MembershipFactory(organisation=council, role=Role.CHAMPION, user__full_name="Cara Champion").user


@pytest.fixture
def panel_member(other_charity):
    return MembershipFactory(organisation=other_charity, role=Role.PANEL_MEMBER, user__full_name="Pat Panel").user


@pytest.fixture
def administrator(council):
    return MembershipFactory(organisation=council, role=Role.ADMINISTRATOR, user__full_name="Ada Admin").user


@pytest.fixture
def outsider(other_charity):
    """A signed-in member of another organisation, with no role on the pages under test."""
    return MembershipFactory(organisation=other_charity, role=Role.VCS_MEMBER, user__full_name="Oscar Outsider").user


@pytest.fixture
def person_without_roles(db):
    return UserFactory(full_name="Nadia Noroles")


ROLE_FIXTURES = ("officer", "vcs_member", "champion", "panel_member", "administrator")


@pytest.fixture
def client_for(client, request):
    """Return a test client signed in as the person of the named role fixture."""

    def sign_in(fixture_name: str):
        client.force_login(request.getfixturevalue(fixture_name))
        return client

    return sign_in
