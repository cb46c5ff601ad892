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


@cache
def _insert_statement(model: type[Model], fields: tuple[str, ...], vendor: str) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {table} ({', '.join(_columns(model, fields))}) VALUES ({marks})"  # noqa: S608


@cache
def _update_statement(model: type[Model], fields: tuple[str, ...], vendor: str) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{column} = %s" for column in _columns(model, fields))
    (pk,) = _columns(model, [model._meta.pk.name])
    return f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608


def insert_many(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """INSERT one row per item of `rows`, each holding the values of `fields` in that order."""
    statement = _insert_statement(model, tuple(fields), connection.vendor)
    with connection.cursor() as cursor:
        cursor.executemany(statement, list(rows))


def update_many(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """UPDATE `fields` of one row per item of `rows`: each holds those values in order, then the pk."""
    statement = _update_statement(model, tuple(fields), connection.vendor)
    with connection.cursor() as cursor:
        cursor.executemany(statement, list(rows))


# --- reading model rows by hand-written SQL -------------------------------------------------------
# For the hottest reads (a key for every Encrypt, a log stream for every Lambda invocation): the
# ORM's query building costs several times the query itself. The statement is the caller's (its
# text built once per process from the models' metadata, its values bound); the rows pass through
# the same database converters the ORM applies, so what comes back are ordinary model instances.

Converter = Callable[[Any, Any, Any], Any]
Converting = list[tuple[int, list[Converter], Any]]  # (position in the row, converters, column)


def _converting(model: type[Model], fields: Sequence[Any]) -> Converting:
    """(position, converters, column) of the fields the ORM converts as it reads them (most fields
    have no converter and are taken as they come)."""
    table = model._meta.db_table
    converting = []
    for position, field in enumerate(fields):
        column = field.get_col(table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            converting.append((position, converters, column))
    return converting


def _converted(row: Sequence[Any], converting: Converting) -> list[Any]:
    values = list(row)
    for position, converters, column in converting:
        value = values[position]
        for convert in converters:
            value = convert(value, column, connection)
        values[position] = value
    return values


@cache
def _readers(model: type[Model], vendor: str) -> tuple[list[str], Converting]:
    """The attnames of the concrete fields, and how to convert those the ORM converts."""
    fields = model._meta.concrete_fields
    return [field.attname for field in fields], _converting(model, fields)


def select_list(model: type[Model], alias: str) -> str:
    """`alias.col1, alias.col2, ...`: every concrete column of `model`, in the order model_from_row reads."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(field.column))}" for field in model._meta.concrete_fields)


def width(model: type[Model]) -> int:
    """How many values of a row select_list(model) gives."""
    return len(model._meta.concrete_fields)


def model_from_row(model: type[M], values: Sequence[Any]) -> M:
    """The instance the ORM would make of the values select_list(model) selected."""
    names, converting = _readers(model, connection.vendor)
    if len(values) != len(names):
        raise ValueError(f"{len(values)} values for the {len(names)} columns of {model.__name__}")
    return model.from_db(connection.alias, names, _converted(values, converting))


@cache
def _find_statement(model: type[Model], fields: tuple[str, ...], vendor: str, *, limit: bool, lock: bool) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    (pk,) = _columns(model, [model._meta.pk.name])
    where = " AND ".join(f"t.{column} = %s" for column in _columns(model, fields))
    statement = f"SELECT {select_list(model, 't')} FROM {table} t WHERE {where} ORDER BY t.{pk}"  # noqa: S608
    if limit:
        statement += " LIMIT 1"
    return statement + _locking(lock)


def _values(equal: dict[str, Any]) -> list[Any]:
    return [value.pk if isinstance(value, Model) else value for value in equal.values()]


def find_one(model: type[M], *, lock: bool = False, **equal: Any) -> M | None:
    """`model.objects.filter(**equal).order_by("pk").first()` by a plain statement (written once
    per model and set of fields), for lookups every call of a hot path makes. Only equality, and
    only values the database takes as they are: strings, numbers, booleans, model instances (their
    primary key). `lock`: the row is locked for the transaction (select_for_update; SQLite's
    transactions already take the database's one write lock)."""
    statement = _find_statement(model, tuple(equal), connection.vendor, limit=True, lock=lock)
    with connection.cursor() as cursor:
        cursor.execute(statement, _values(equal))
        row = cursor.fetchone()
    return None if row is None else model_from_row(model, row)


@cache
def _values_plan(
    model: type[Model], fields: tuple[str, ...], where: str, tail: str, vendor: str, *, lock: bool
) -> tuple[str, Converting]:
    by_name = {field.name: field for field in model._meta.concrete_fields}
    chosen = [by_name[name] for name in fields]
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in chosen)
    table = connection.ops.quote_name(model._meta.db_table)
    statement = f"SELECT {columns} FROM {table} WHERE {where} {tail}" + _locking(lock)  # noqa: S608
    return statement, _converting(model, chosen)


def _locking(lock: bool) -> str:
    """What a SELECT ends with to lock its rows (nothing on SQLite: its transactions already hold
    the database's one write lock)."""
    return " FOR UPDATE" if lock and connection.features.has_select_for_update else ""


def select_values(
    model: type[Model], fields: Sequence[str], where: str, params: Sequence[Any], *, tail: str = "", lock: bool = False
) -> list[tuple[Any, ...]]:
    """`SELECT fields FROM model's table WHERE where tail`, by a plain statement written once per
    model, fields, condition and tail, for reads a hot path makes every call (the ORM's
    `values_list` builds its query anew each time). `where` and `tail` name the model's columns
    and bind values with %s (`params`, for both in order; datetimes adapted by the caller with
    connection.ops). Each value passes through the converters the ORM applies to its field.
    `lock`: the rows are locked for the transaction, as find_one's."""
    statement, converting = _values_plan(model, tuple(fields), where, tail, connection.vendor, lock=lock)
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        rows = cursor.fetchall()
    if not converting:
        return [tuple(row) for row in rows]
    return [tuple(_converted(row, converting)) for row in rows]


def find_all(model: type[M], **equal: Any) -> list[M]:
    """`list(model.objects.filter(**equal).order_by("pk"))` by a plain statement, as find_one."""
    statement = _find_statement(model, tuple(equal), connection.vendor, limit=False, lock=False)
    with connection.cursor() as cursor:
        cursor.execute(statement, _values(equal))
        rows = cursor.fetchall()
    return [model_from_row(model, row) for row in rows]


# --- inserting model instances --------------------------------------------------------------------


@cache
def _insert_plan(model: type[Model], vendor: str) -> tuple[str, list[Any]]:
    """The INSERT of every concrete field but an automatic primary key, and those fields."""
    fields = [field for field in model._meta.concrete_fields if not (field.primary_key and field.db_returning)]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})", fields  # noqa: S608


def insert_instances(model: type[Model], instances: Sequence[Model]) -> None:
    """`model.objects.bulk_create(instances)` for a model with an automatic primary key, by a plain
    statement written once per model: each value prepared as the ORM prepares it (pre_save, then
    get_db_prep_save). The instances' primary keys are not read back (they stay None)."""
    if not instances:
        return
    statement, fields = _insert_plan(model, connection.vendor)
    rows = [[field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
            for instance in instances]  # fmt: skip
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(statement, rows[0])
        else:
            cursor.executemany(statement, rows)
    for instance in instances:
        instance._state.adding = False
        instance._state.db = connection.alias
