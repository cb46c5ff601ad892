"""The live events KMS publishes, all through playground.live.bus.publish (on transaction commit,
so a refused call publishes nothing).

resource.created / resource.changed / resource.deleted, service "kms":
  resource_type "key"    arn = key ARN, name = key id; attributes: KeyState, KeyUsage, KeySpec,
                         KeyManager, Description, Enabled, DeletionDate (ISO, while pending
                         deletion), KeyRotationEnabled, CurrentKeyMaterialId. Sent on CreateKey,
                         Enable/DisableKey, Schedule/CancelKeyDeletion, the deletion at the end of
                         the window, description, tags, policy and rotation changes, every
                         rotation (automatic on the clock or on demand), and imported key
                         material arriving, expiring or being deleted.
  resource_type "alias"  arn = alias ARN, name = "alias/..."; attributes: TargetKeyId, TargetKeyArn.
                         Deleted with its key too.
  resource_type "grant"  arn = key ARN, name = grant id; attributes: GranteePrincipal, Operations.

flow, service "kms": one per successful cryptographic call, from the caller to the key.
  source   the caller: the IAM principal ARN of the request, or the ARN of the resource a service
           encrypts for (an SQS queue or SNS topic ARN)
  target   the key ARN
  item_id  a short SHA-256 digest of the ciphertext, MAC or signature the call made or took, so an
           "encrypt" and the "decrypt" of the same ciphertext carry the same id
  kind     encrypt, decrypt, re-encrypt, generate-data-key, generate-data-key-without-plaintext,
           generate-data-key-pair, generate-data-key-pair-without-plaintext, sign, verify,
           generate-mac, verify-mac, derive-shared-secret, get-public-key
  detail   {"operation", "algorithm", "key_material_id" (when the key has one), "bytes"
           (plaintext or message length, when there is one), "encryption_context_keys"}
GenerateRandom uses no key, so it makes no flow (its api.call event still shows it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from playground.live.bus import publish_flow, publish_resource
from playground.sandboxes.models import Sandbox
from services.kms.models import PENDING_DELETION, Alias, Grant, Key

SERVICE = "kms"


def key_attributes(key: Key) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "KeyState": key.state,
        "KeyUsage": key.key_usage,
        "KeySpec": key.key_spec,
        "KeyManager": key.key_manager,
        "Description": key.description,
        "Enabled": key.state == "Enabled",
        "KeyRotationEnabled": key.rotation_enabled,
        "CurrentKeyMaterialId": key.current_material.material_id if key.current_material else "",
    }
    if key.state == PENDING_DELETION and key.deletion_at is not None:
        attributes["DeletionDate"] = key.deletion_at.isoformat()
    return attributes


def key_created(key: Key, *, now: dt.datetime) -> None:
    _key(key, "created", now)


def key_changed(key: Key, *, now: dt.datetime) -> None:
    _key(key, "changed", now)


def key_deleted(key: Key, *, now: dt.datetime) -> None:
    _key(key, "deleted", now)


def _key(key: Key, change: str, now: dt.datetime) -> None:
    publish_resource(
        key.sandbox, change, service=SERVICE, resource_type="key", arn=key.arn, name=key.key_id, now=now,
        attributes=None if change == "deleted" else key_attributes(key),
    )  # fmt: skip


def alias_created(alias: Alias, *, now: dt.datetime) -> None:
    _alias(alias, "created", now)


def alias_changed(alias: Alias, *, now: dt.datetime) -> None:
    _alias(alias, "changed", now)


def alias_deleted(alias: Alias, *, now: dt.datetime) -> None:
    _alias(alias, "deleted", now)


def _alias(alias: Alias, change: str, now: dt.datetime) -> None:
    publish_resource(
        alias.sandbox, change, service=SERVICE, resource_type="alias", arn=alias.arn, name=alias.name, now=now,
        attributes=None if change == "deleted" else {"TargetKeyId": alias.key.key_id, "TargetKeyArn": alias.key.arn},
    )  # fmt: skip


def grant_created(grant: Grant, *, now: dt.datetime) -> None:
    publish_resource(
        grant.sandbox, "created", service=SERVICE, resource_type="grant", arn=grant.key.arn, name=grant.grant_id,
        now=now, attributes={"GranteePrincipal": grant.grantee_principal, "Operations": list(grant.operations)},
    )  # fmt: skip


def grant_deleted(grant: Grant, *, now: dt.datetime) -> None:
    publish_resource(
        grant.sandbox, "deleted", service=SERVICE, resource_type="grant", arn=grant.key.arn, name=grant.grant_id,
        now=now,
    )  # fmt: skip


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def flow(
    sandbox: Sandbox,
    *,
    kind: str,
    source: str,
    key: Key,
    item: bytes,
    detail: dict[str, Any],
    now: dt.datetime,
) -> None:
    publish_flow(
        sandbox, service=SERVICE, kind=kind, source=source, target=key.arn, item_id=digest(item), now=now,
        detail=detail,
    )  # fmt: skip
