"""The reads every cryptographic call makes, each one plain SELECT: a key with its current
material (by key id or by alias), and a key with the material a ciphertext names.

Encrypt and Decrypt are the calls KMS is benchmarked on, and the ORM's query building costs
several times the query itself. The SQL is written once per process from the models' own
metadata, and playground.db.model_from_row makes ordinary model instances of the rows.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection

from playground.db import model_from_row, select_list, width
from playground.sandboxes.models import Sandbox
from services.kms.models import Alias, Key, KeyMaterial


@cache
def _sql(kind: str, vendor: str) -> str:
    quote = connection.ops.quote_name
    keys, materials, aliases = (quote(model._meta.db_table) for model in (Key, KeyMaterial, Alias))
    selected = f"{select_list(Key, 'k')}, {select_list(KeyMaterial, 'm')}"
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
    split = width(Key)
    key = model_from_row(Key, row[:split])
    material = model_from_row(KeyMaterial, row[split:]) if row[split] is not None else None
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
