"""The reads every cryptographic call makes, each one plain SELECT: a key with its current
material (by key id or by alias), and a key with the material a ciphertext names.

Encrypt and Decrypt are the calls KMS is benchmarked on, and the ORM's query building costs
several times the query itself. The SQL is written once per process from the models' own
metadata and the rows pass through the same database converters the ORM applies, so what comes
back are ordinary model instances.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models

from playground.sandboxes.models import Sandbox
from services.kms.models import Alias, Key, KeyMaterial

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, Any], Any]


@cache
def _fields(model: type[models.Model], vendor: str) -> list[tuple[str, list[Converter], Any]]:
    """(attname, converters, column expression) of each concrete field, as the ORM reads them."""
    table = model._meta.db_table
    result = []
    for field in model._meta.concrete_fields:
        column = field.get_col(table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        result.append((field.attname, converters, column))
    return result


def _build(model: type[M], values: Sequence[Any]) -> M:
    names, converted = [], []
    for (attname, converters, column), value in zip(_fields(model, connection.vendor), values, strict=True):
        for convert in converters:
            value = convert(value, column, connection)
        names.append(attname)
        converted.append(value)
    return model.from_db(connection.alias, names, converted)


def _columns(model: type[models.Model], alias: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(field.column))}" for field in model._meta.concrete_fields)


@cache
def _sql(kind: str, vendor: str) -> str:
    quote = connection.ops.quote_name
    keys, materials, aliases = (quote(model._meta.db_table) for model in (Key, KeyMaterial, Alias))
    selected = f"{_columns(Key, 'k')}, {_columns(KeyMaterial, 'm')}"
    if kind == "key":
        return (
            f"SELECT {selected} FROM {keys} k LEFT OUTER JOIN {materials} m ON m.id = k.current_material_id "  # noqa: S608
            "WHERE k.sandbox_id = %s AND k.region = %s AND k.key_id = %s"
        )
    if kind == "alias":
        return (
            f"SELECT {selected} FROM {aliases} a JOIN {keys} k ON k.id = a.key_id "  # noqa: S608
            f"LEFT OUTER JOIN {materials} m ON m.id = k.current_material_id "
            "WHERE a.sandbox_id = %s AND a.region = %s AND a.name = %s"
        )
    return (
        f"SELECT {selected} FROM {materials} m JOIN {keys} k ON k.id = m.key_id "  # noqa: S608
        "WHERE k.sandbox_id = %s AND k.region = %s AND k.key_id = %s AND m.material_id = %s"
    )


def _fetch(kind: str, params: list[Any]) -> tuple[Key, KeyMaterial | None] | None:
    with connection.cursor() as cursor:
        cursor.execute(_sql(kind, connection.vendor), params)
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(Key._meta.concrete_fields)
    key = _build(Key, row[:split])
    material = _build(KeyMaterial, row[split:]) if row[split] is not None else None
    return key, material


def key_with_current_material(*, sandbox: Sandbox, region: str, key_id: str) -> Key | None:
    found = _fetch("key", [sandbox.pk, region, key_id])
    return None if found is None else _attach(found, sandbox)


def alias_target(*, sandbox: Sandbox, region: str, name: str) -> Key | None:
    found = _fetch("alias", [sandbox.pk, region, name])
    return None if found is None else _attach(found, sandbox)


def _attach(found: tuple[Key, KeyMaterial | None], sandbox: Sandbox) -> Key:
    key, material = found
    key.sandbox = sandbox
    key.current_material = material
    return key


def key_and_material(*, sandbox: Sandbox, region: str, key_id: str, material_id: str) -> KeyMaterial | None:
    """The material a ciphertext names, with its key (`material.key`), or None."""
    found = _fetch("material", [sandbox.pk, region, key_id, material_id])
    if found is None:
        return None
    key, material = found
    assert material is not None
    key.sandbox = sandbox
    material.key = key
    return material
