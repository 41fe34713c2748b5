"""``INSERT ... SELECT``: copy the rows of a query into a table in one statement, on PostgreSQL and SQLite;
and, on PostgreSQL, a history row for each row a statement wrote, in the same statement.

Django's ``bulk_create`` needs the rows in Python first; the compliance scan writes tens of thousands of
flags from one query, so it asks the database to do the copy itself. Nothing here is specific to a model.
"""

from typing import Any

from django.db import connection, models
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery


def insert_select_sql(
    model: type[models.Model], *, source: QuerySet, columns: dict[str, str], constants: dict[str, Any]
) -> tuple[str, list]:
    """The ``INSERT ... SELECT`` statement ``insert_select`` runs, and its parameters."""
    quote = connection.ops.quote_name
    names, selected, params = [], [], []
    for field_name, alias in columns.items():
        names.append(quote(model._meta.get_field(field_name).column))
        selected.append(f"s.{quote(alias)}")
    for field_name, value in constants.items():
        field = model._meta.get_field(field_name)
        names.append(quote(field.column))
        selected.append("%s")
        params.append(field.get_db_prep_save(value, connection))
    source_sql, source_params = source.query.sql_with_params()
    # "WHERE true" lets SQLite tell the SELECT from the ON CONFLICT clause (its documented parsing rule).
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(names)}) "
        f"SELECT {', '.join(selected)} FROM ({source_sql}) s WHERE true ON CONFLICT DO NOTHING"
    )
    return sql, [*params, *source_params]


def insert_select(
    model: type[models.Model], *, source: QuerySet, columns: dict[str, str], constants: dict[str, Any]
) -> int:
    """Insert one ``model`` row per row of ``source``; rows that break a unique constraint are skipped.

    ``source`` is a ``values()`` queryset; ``columns`` maps the model's field names to ``source``'s aliases,
    ``constants`` gives the other fields one value for every row. Returns the number of rows inserted.
    """
    sql, params = insert_select_sql(model, source=source, columns=columns, constants=constants)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def update_sql(queryset: QuerySet, **values: Any) -> tuple[str, list]:
    """The ``UPDATE`` statement ``queryset.update(**values)`` would run, and its parameters."""
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    return query.get_compiler(queryset.db).as_sql()


def write_with_history(
    statement: tuple[str, list],
    *,
    written: type[models.Model],
    history: type[models.Model],
    columns: dict[str, str],
    constants: dict[str, Any],
) -> int:
    """Run ``statement`` (an ``INSERT`` or ``UPDATE`` of ``written``'s table) and insert one ``history`` row for
    each row it wrote, in one statement: ``columns`` maps ``history``'s fields to ``written``'s fields, read from
    the rows as written (``RETURNING``); ``constants`` gives the other fields. Returns the number of rows
    written. PostgreSQL only (``supports``): the rows written are never read back from the table.
    """
    quote = connection.ops.quote_name
    sql, params = statement
    returned = [quote(written._meta.get_field(field).column) for field in columns.values()]
    names = [quote(history._meta.get_field(field).column) for field in columns]
    selected = list(returned)
    constant_params = []
    for field_name, value in constants.items():
        field = history._meta.get_field(field_name)
        names.append(quote(field.column))
        selected.append("%s")
        constant_params.append(field.get_db_prep_save(value, connection))
    wrapped = (
        f"WITH written AS ({sql} RETURNING {', '.join(returned)}) "
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(names)}) "
        f"SELECT {', '.join(selected)} FROM written"
    )
    with connection.cursor() as cursor:
        cursor.execute(wrapped, [*params, *constant_params])
        return cursor.rowcount


def supports_write_with_history() -> bool:
    """Data-modifying statements in ``WITH`` are PostgreSQL's; elsewhere write, then read the rows back."""
    return connection.vendor == "postgresql"
