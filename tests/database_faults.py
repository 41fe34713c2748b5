"""A real database error in the middle of a write: a trigger that refuses to insert one given row.

PostgreSQL raises SQLSTATE 53100 (disk_full, an ``OperationalError``), as a full disk does; SQLite aborts the
statement (an ``IntegrityError``). Either is a ``django.db.DatabaseError`` raised by the database itself, after
the rows before it were written in the same transaction.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.db import connection, models

TRIGGER = "test_refuse_one_insert"
MESSAGE = "could not extend file: No space left on device"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@contextmanager
def insert_refused(model: type[models.Model], field: str, value: str) -> Iterator[None]:
    """While the block runs, inserting a ``model`` row whose ``field`` is ``value`` fails in the database.

    The trigger is dropped on the way out, whatever happens (in a ``transaction=True`` test it is committed,
    and a flush between tests would not remove it).
    """
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    condition = f"NEW.{column} = {_literal(value)}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"RAISE EXCEPTION {_literal(MESSAGE)} USING ERRCODE = 'disk_full'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {table} FOR EACH ROW WHEN ({condition}) "
                f"EXECUTE FUNCTION {TRIGGER}()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {table} FOR EACH ROW WHEN {condition} "
                f"BEGIN SELECT RAISE(ABORT, {_literal(MESSAGE)}); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")


def row_counts(*app_labels: str) -> dict[str, int]:
    """How many rows every table of the apps holds, their history tables (django-simple-history) included; not
    the tables the portal does not keep (the compliance check's temporary table of a rule's rows)."""
    return {
        model._meta.label: model._default_manager.count()
        for label in app_labels
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.managed
    }
