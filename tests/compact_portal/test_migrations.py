import os

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def test_all_migrations_are_applied_to_the_test_database(db):
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert "accounts_user" in connection.introspection.table_names()


def test_the_configured_database_is_the_one_under_test(db, settings):
    # In CI DATABASE_URL points at PostgreSQL: this proves the suite really ran there.
    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == expected
