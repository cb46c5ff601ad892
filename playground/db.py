"""Many rows in one statement run for all of them (the driver's executemany), for the hot paths
where model instances and bulk_create/bulk_update cost more server time than the database does:
a PutRecords of 500, a PutLogEvents of 10,000, an alarm tick over a thousand alarms.

The values go as the caller prepares them, in the order of `fields`: what the database takes for
each column (adapted once per distinct value where Django's field layers would do it per row).
Only the model's own table and column names go into the statement's text; every value is bound.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def _columns(model: type[Model], fields: Sequence[str]) -> list[str]:
    column = {field.name: str(field.column) for field in model._meta.concrete_fields}
    return [connection.ops.quote_name(column[name]) for name in fields]


def insert_many(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """INSERT one row per item of `rows`, each holding the values of `fields` in that order."""
    table = connection.ops.quote_name(model._meta.db_table)
    marks = ", ".join(["%s"] * len(fields))
    statement = f"INSERT INTO {table} ({', '.join(_columns(model, fields))}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(statement, list(rows))


def update_many(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """UPDATE `fields` of one row per item of `rows`: each holds those values in order, then the pk."""
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{column} = %s" for column in _columns(model, fields))
    (pk,) = _columns(model, [model._meta.pk.name])
    statement = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(statement, list(rows))
