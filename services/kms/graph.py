"""What KMS puts on the diagram: one node per key, one node per alias with an edge to its key.

    nodes   {"id": key ARN, "service": "kms", "type": "key", "label": ..., "state": KeyState,
             "attributes": {...}}, and {"id": alias ARN, "type": "alias", "label": "alias/..."}
    edges   {"source": alias ARN, "target": key ARN, "type": "alias"}
    describe(arn) of a key: its attributes, aliases and tags; of an alias: the key it names

A key's label is its first alias (the key id when it has none). Services that encrypt with a key
(an SQS queue with KmsMasterKeyId) draw their own edge to the key's ARN; the `flow` events of
every cryptographic call (events.py) animate along it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.models import Sandbox
from services.kms.events import key_attributes
from services.kms.models import Alias, Key


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    return {"nodes": _nodes(sandbox=sandbox, region=region), "edges": _edges(sandbox=sandbox, region=region)}


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    region = arn.split(":")[3]
    resource = arn.split(":", 5)[5]
    if resource.startswith("key/"):
        key = (
            Key.objects.select_related("current_material")
            .filter(sandbox=sandbox, region=region, key_id=resource[4:])
            .first()
        )
        if key is None:
            return None
        key.sandbox = sandbox
        aliases = list(Alias.objects.filter(sandbox=sandbox, key=key).values_list("name", flat=True))
        return {"attributes": key_attributes(key), "aliases": aliases, "tags": key.tags}
    if resource.startswith("alias/"):
        alias = Alias.objects.select_related("key").filter(sandbox=sandbox, region=region, name=resource).first()
        if alias is None:
            return None
        alias.key.sandbox = sandbox
        return {"attributes": {"TargetKeyId": alias.key.key_id, "TargetKeyArn": alias.key.arn}}
    return None


def _nodes(*, sandbox: Sandbox, region: str | None) -> list[dict[str, Any]]:
    key_rows = Key.objects.select_related("current_material").filter(sandbox=sandbox)
    alias_rows = Alias.objects.select_related("key").filter(sandbox=sandbox)
    if region:
        key_rows = key_rows.filter(region=region)
        alias_rows = alias_rows.filter(region=region)
    aliases = list(alias_rows)
    first_alias: dict[int, str] = {}
    for alias in aliases:
        first_alias.setdefault(alias.key_id, alias.name)
    result: list[dict[str, Any]] = []
    for key in key_rows:
        key.sandbox = sandbox
        result.append(
            {
                "id": key.arn,
                "service": "kms",
                "type": "key",
                "label": first_alias.get(key.pk, key.key_id),
                "region": key.region,
                "state": key.state,
                "attributes": key_attributes(key),
            }
        )
    for alias in aliases:
        alias.sandbox = sandbox
        result.append({"id": alias.arn, "service": "kms", "type": "alias", "label": alias.name, "region": alias.region})
    return result


def _edges(*, sandbox: Sandbox, region: str | None) -> list[dict[str, Any]]:
    rows = Alias.objects.select_related("key").filter(sandbox=sandbox)
    if region:
        rows = rows.filter(region=region)
    result = []
    for alias in rows:
        alias.sandbox = sandbox
        alias.key.sandbox = sandbox
        result.append({"source": alias.arn, "target": alias.key.arn, "type": "alias"})
    return result


def resolve_key_arn(*, sandbox: Sandbox, region: str, key_id: str) -> str | None:
    """The ARN of the sandbox's key that a KmsMasterKeyId names (key id, key ARN, alias name or
    alias ARN), for the encryption edges other services draw to their keys; None when none does."""
    from services.kms.models import Alias, Key

    if key_id.startswith("arn:") and ":key/" in key_id:
        return key_id
    if key_id.startswith("arn:") and ":alias/" in key_id:
        key_id = key_id.split(":", 5)[5]
    if key_id.startswith("alias/"):
        alias = Alias.objects.select_related("key").filter(sandbox=sandbox, region=region, name=key_id).first()
        return str(alias.key.arn) if alias is not None else None
    key = Key.objects.filter(sandbox=sandbox, region=region, key_id=key_id).first()
    return str(key.arn) if key is not None else None
