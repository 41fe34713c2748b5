"""``INSERT ... SELECT``: copy the rows of a query into a table in one statement, on PostgreSQL and SQLite.

Django's ``bulk_create`` needs the rows in Python first; the compliance scan writes tens of thousands of
flags from one query, so it asks the database to do the copy itself. Nothing here is specific to a model.
"""

from typing import Any

from django.db import connection, models
from django.db.models import QuerySet


def insert_select(
    model: type[models.Model], *, source: QuerySet, columns: dict[str, str], constants: dict[str, Any]
) -> int:
    """Insert one ``model`` row per row of ``source``; rows that break a unique constraint are skipped.

    ``source`` is a ``values()`` queryset; ``columns`` maps the model's field names to ``source``'s aliases,
    ``constants`` gives the other fields one value for every row. Returns the number of rows inserted.
    """
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
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *source_params])
        return cursor.rowcount
