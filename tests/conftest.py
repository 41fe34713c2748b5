"""Role fixtures shared by every test: one signed-in person per role, and an outsider."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection

from commitments.services import compacts_load
from commitments.services.live import _Batch
from compact_portal import celery as celery_module
from compact_portal.accounts.roles import Role
from compact_portal.celery import app as celery_app
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import OrganisationFactory, PublicBodyFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a password; tests check behaviour, not hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _rate_limits_start_at_zero():
    # Rate-limit counts live in the cache, outside the test's transaction: each test starts with none.
    cache.clear()


@pytest.fixture(autouse=True)
def _bank_holidays_as_shipped(settings, tmp_path_factory):
    """Working days come from GOV.UK's list as shipped in govuk-bank-holidays, never from a copy a developer's
    refresh task stored (compact_portal/working_days.py): the directory of stored copies is an empty one."""
    settings.BANK_HOLIDAYS_DIR = tmp_path_factory.getbasetemp() / "no-stored-bank-holidays"


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
