"""Browser tests: Playwright drives Debian's Chromium against a live server of the portal.

Each test is one user's journey through real pages. Every page it visits is checked with axe-core (WCAG 2.0,
2.1 and 2.2, A and AA) at desktop width and at 320 CSS pixels (see ``checks.py``). On a machine without
Chromium the tests are skipped with a message saying how to enable them; the rest of the suite still runs.
A failing test leaves a screenshot of each of its pages in test-artifacts/browser/ (pyproject.toml).
"""

import datetime
import os
import shutil
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone
from playwright.sync_api import sync_playwright

from compact_portal.accounts.roles import Role
from compact_portal.celery import app as celery_app
from tests.accounts.factories import MembershipFactory
from tests.browser import checks
from tests.browser.checks import Auditor
from tests.commitments.factories import ChampionFactory, OrganisationFactory, PublicBodyFactory, SignatureFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
HOW_TO_ENABLE = (
    f"Chromium not found at {CHROMIUM}: the browser journeys are skipped. To run them, install Debian's chromium "
    "package (apt-get install chromium), or set CHROMIUM_PATH to a Chromium or Chrome binary."
)


@pytest.hookimpl(tryfirst=True)  # before pytest-django sorts the tests, so these run with the transactional ones
def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    if os.environ.get("BROWSER_TESTS") == "required" and not os.access(CHROMIUM, os.X_OK):
        raise pytest.UsageError(f"BROWSER_TESTS=required, but {HOW_TO_ENABLE}")
    for item in items:
        if here in Path(item.fspath).parents:
            # A journey's data must be committed for the live server's thread to see it.
            item.add_marker(pytest.mark.django_db(transaction=True))
            if not os.access(CHROMIUM, os.X_OK):
                item.add_marker(pytest.mark.skip(reason=HOW_TO_ENABLE))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # `playwright install` downloads browser builds, which this machine cannot reach: use the system's Chromium.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="package", autouse=True)
def _date_field_order(browser):
    scratch = browser.new_page()
    checks.DATE_FIELD_ORDER["value"] = checks.date_field_order(scratch)
    scratch.close()


@pytest.fixture(scope="package", autouse=True)
def _synchronous_orm_beside_playwright():
    # Playwright's synchronous API keeps an event loop in the main thread while it runs, and Django refuses ORM
    # calls from a thread with a running loop. The calls made here (set-up, checks between browser steps, the
    # database's flush after each test) are plain synchronous code, so the guard is lifted while these tests run,
    # and put back after them: Playwright is started for this package only (below), not for the whole session.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


# pytest-playwright's Playwright and browser live for the whole session; these live for this package only, so
# the event loop stops before the tests that run after these.
@pytest.fixture(scope="package")
def playwright(_synchronous_orm_beside_playwright):
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="package")
def browser_type(playwright):
    return playwright.chromium


@pytest.fixture(scope="package")
def browser(browser_type, browser_type_launch_args):
    launched = browser_type.launch(**browser_type_launch_args)
    yield launched
    launched.close()


@pytest.fixture(scope="package")
def browser_context_args(live_server):
    return {"base_url": live_server.url, "locale": "en-GB", "timezone_id": "Europe/London", "viewport": DESKTOP}


@pytest.fixture(autouse=True)
def _rows_the_data_migrations_seed(transactional_db):
    """Each test here ends with the database emptied (a transactional test's flush), which also removes what the
    data migrations seeded; put that back first."""
    for migration, seed in (
        ("commitments.migrations.0002_communities", "add_communities"),
        ("consultations.migrations.0002_policy_areas", "add_policy_areas"),
    ):
        getattr(import_module(migration), seed)(django_apps, None)


@pytest.fixture(autouse=True)
def _browser_test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # A report's page asks every second, not every 5, whether the report is ready: the journey waits less.
    settings.REPORT_STATUS_POLL_SECONDS = 1
    # Tasks run in the live server's process (a real worker is started where a journey needs one).
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def audit(request):
    """Checks pages (``audit(page)``) and, when the test passes, that it checked every page it visited."""
    auditor = Auditor()
    yield auditor
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.passed:
        missed = auditor.unchecked_pages()
        assert not missed, f"pages visited but not checked with audit(page): {missed}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


@pytest.fixture
def page(page, audit):
    audit.watch(page)
    return page


@pytest.fixture
def another_page(new_context, audit):
    """A second person's browser (its own cookies), watched like ``page``."""

    def open_page():
        browser_page = new_context().new_page()
        audit.watch(browser_page)
        return browser_page

    return open_page


SIGNED_ON = datetime.date(2025, 4, 1)


@pytest.fixture
def council(portsmouth):
    body = PublicBodyFactory(name="Portsmouth City Council")
    SignatureFactory(compact=portsmouth, organisation=body, signed_date=SIGNED_ON)
    return body


@pytest.fixture
def charity(portsmouth):
    organisation = OrganisationFactory(name="Southsea Community Food Bank")
    SignatureFactory(compact=portsmouth, organisation=organisation, signed_date=SIGNED_ON)
    return organisation


@pytest.fixture
def champion(portsmouth):
    """Portsmouth's Compact champion, at the local infrastructure body, so neither party to the concerns the
    journeys raise (a champion from the body concerned could not take them on)."""
    infrastructure_body = OrganisationFactory(name="Solent Voluntary Action")
    SignatureFactory(compact=portsmouth, organisation=infrastructure_body, signed_date=SIGNED_ON)
    user = MembershipFactory(
        organisation=infrastructure_body,
        role=Role.CHAMPION,
        user__full_name="Cara Champion",
        user__email="cara@example.org",
    ).user
    ChampionFactory(compact=portsmouth, organisation=infrastructure_body, user=user, appointed_on=SIGNED_ON)
    return user


@pytest.fixture
def real_worker(start_celery_worker, test_database_url, transactional_db, settings):
    """Where a broker and PostgreSQL are configured (as in CI), a real Celery worker in another process, on the
    test database and media folder, takes the tasks from Redis; elsewhere tasks run in the server's process."""
    if not settings.CELERY_BROKER_URL or connection.vendor != "postgresql":
        yield None
        return
    worker, log = start_celery_worker(
        DATABASE_URL=test_database_url,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_RESULT_BACKEND=None,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        EMAIL_URL="consolemail://",
    )
    celery_app.conf.task_always_eager = False
    yield worker
    worker.terminate()
    worker.wait(timeout=30)
    print(log.read_text()[-3000:])
