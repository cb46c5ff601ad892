"""Hand-written statements for the hot paths, where the ORM's work costs more server time than the
database's: many rows in one statement run for all of them (the driver's executemany: a PutRecords
of 500, a PutLogEvents of 10,000, an alarm tick over a thousand alarms), and model rows read by a
statement of the caller's (below).

The values go as the caller prepares them, in the order of `fields`: what the database takes for
each column (adapted once per distinct value where Django's field layers would do it per row).
Only the model's own table and column names go into the statement's text; every value is bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


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


# --- reading model rows by hand-written SQL -------------------------------------------------------
# For the hottest reads (a key for every Encrypt, a log stream for every Lambda invocation): the
# ORM's query building costs several times the query itself. The statement is the caller's (its
# text built once per process from the models' metadata, its values bound); the rows pass through
# the same database converters the ORM applies, so what comes back are ordinary model instances.

Converter = Callable[[Any, Any, Any], Any]


@cache
def _readers(model: type[Model], vendor: str) -> list[tuple[str, list[Converter], Any]]:
    """(attname, converters, column expression) of each concrete field, as the ORM reads them."""
    table = model._meta.db_table
    result = []
    for field in model._meta.concrete_fields:
        column = field.get_col(table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        result.append((field.attname, converters, column))
    return result


def select_list(model: type[Model], alias: str) -> str:
    """`alias.col1, alias.col2, ...`: every concrete column of `model`, in the order model_from_row reads."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(field.column))}" for field in model._meta.concrete_fields)


def width(model: type[Model]) -> int:
    """How many values of a row select_list(model) gives."""
    return len(model._meta.concrete_fields)


def model_from_row(model: type[M], values: Sequence[Any]) -> M:
    """The instance the ORM would make of the values select_list(model) selected."""
    names, converted = [], []
    for (attname, converters, column), value in zip(_readers(model, connection.vendor), values, strict=True):
        for convert in converters:
            value = convert(value, column, connection)
        names.append(attname)
        converted.append(value)
    return model.from_db(connection.alias, names, converted)


@cache
def _find_statement(model: type[Model], fields: tuple[str, ...], vendor: str) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    (pk,) = _columns(model, [model._meta.pk.name])
    where = " AND ".join(f"t.{column} = %s" for column in _columns(model, fields))
    return f"SELECT {select_list(model, 't')} FROM {table} t WHERE {where} ORDER BY t.{pk} LIMIT 1"  # noqa: S608


def find_one(model: type[M], **equal: Any) -> M | None:
    """`model.objects.filter(**equal).order_by("pk").first()` by a plain statement (written once
    per model and set of fields), for lookups every call of a hot path makes. Only equality, and
    only values the database takes as they are: strings, numbers, booleans, model instances (their
    primary key)."""
    statement = _find_statement(model, tuple(equal), connection.vendor)
    values = [value.pk if isinstance(value, Model) else value for value in equal.values()]
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        row = cursor.fetchone()
    return None if row is None else model_from_row(model, row)
