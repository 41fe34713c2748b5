"""Records built once for a test module and shared by its tests (a module-scoped fixture), where building them
for each test would cost more than the tests themselves.

    @pytest.fixture(scope="module")
    def shared(django_db_setup, django_db_blocker, tmp_path_factory):
        with shared_world(django_db_blocker, tmp_path_factory):
            yield build()

    @pytest.fixture
    def world(shared, db):
        return shared

The records are made in a transaction that is rolled back after the module's last test; each test's own
transaction (``db``) nests inside it, so whatever a test adds or changes goes with it. Only for modules whose
tests are not transactional (``transaction=True`` would flush the shared records) and do not change the Python
objects they are handed.
"""

from contextlib import contextmanager

from django.db import transaction
from django.test import override_settings

# Real hashing costs ~0.3 s a password; tests check behaviour, not hash strength.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def no_stored_bank_holidays(tmp_path_factory):
    """An empty directory of stored bank-holiday copies, so working days come from GOV.UK's list as shipped in
    govuk-bank-holidays, never from a copy a developer's refresh task stored (compact_portal/working_days.py)."""
    return tmp_path_factory.getbasetemp() / "no-stored-bank-holidays"


@contextmanager
def shared_world(django_db_blocker, tmp_path_factory, **settings):
    """Open the database to a module-scoped fixture, with the settings every test's set-up runs with
    (tests/conftest.py's autouse fixtures) and any ``settings`` the module adds, in a transaction rolled back at
    the end."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=FAST_PASSWORD_HASHERS,
            BANK_HOLIDAYS_DIR=no_stored_bank_holidays(tmp_path_factory),
            **settings,
        ),
        transaction.atomic(),
    ):
        yield
        transaction.set_rollback(True)
