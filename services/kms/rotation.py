"""Key rotation: automatic on the sandbox clock (every RotationPeriodInDays, 90 to 2,560 days,
365 by default; AWS managed keys every year), and on demand (RotateKeyOnDemand, at most 10 times
per key). A rotation adds key material; the old material stays, so ciphertexts made before the
rotation still decrypt (they name the material that made them).

Only symmetric encryption keys rotate, as on AWS.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction

from playground.sandboxes.models import Sandbox
from services.kms import events, keys
from services.kms.exceptions import LimitExceededException, UnsupportedOperationException
from services.kms.models import ENABLED, PENDING_DELETION, Key, KeyMaterial
from services.kms.paging import page_list
from services.kms.specs import SYMMETRIC_DEFAULT

LOG = logging.getLogger(__name__)

DEFAULT_PERIOD_DAYS = 365
MAX_ON_DEMAND_ROTATIONS = 10
AUTOMATIC = "AUTOMATIC"
ON_DEMAND = "ON_DEMAND"


def _require_rotatable(key: Key) -> None:
    if key.key_spec != SYMMETRIC_DEFAULT or key.origin != "AWS_KMS":
        raise UnsupportedOperationException(
            f"{key.arn} key spec is {key.key_spec}, which does not support key rotation. "
            "Only symmetric encryption KMS keys rotate."
        )


def rotate(key: Key, *, now: dt.datetime, rotation_type: str) -> KeyMaterial:
    """Give the key new current material."""
    row = keys.add_material(key, now=now, rotation_type=rotation_type)
    key.current_material = row
    key.save(update_fields=["current_material"])
    events.key_changed(key, now=now)
    return row


@transaction.atomic
def enable_key_rotation(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    rotation_period_in_days: int | None,
    caller: str,
    now: dt.datetime,
) -> Key:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    keys.require_customer_managed(key, action="EnableKeyRotation", caller=caller)
    keys.require_enabled(key)
    _require_rotatable(key)
    period = rotation_period_in_days or DEFAULT_PERIOD_DAYS
    if key.rotation_enabled:
        # A new period counts from the last rotation (or the key's creation), as on AWS.
        last = key.current_material.created_at if key.current_material else key.created_at
        key.next_rotation_at = max(last + dt.timedelta(days=period), now)
    else:
        key.next_rotation_at = now + dt.timedelta(days=period)
    key.rotation_enabled = True
    key.rotation_period_days = period
    key.save(update_fields=["rotation_enabled", "rotation_period_days", "next_rotation_at"])
    events.key_changed(key, now=now)
    return key


@transaction.atomic
def disable_key_rotation(*, sandbox: Sandbox, region: str, key_id: str, caller: str, now: dt.datetime) -> Key:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    keys.require_customer_managed(key, action="DisableKeyRotation", caller=caller)
    keys.require_enabled(key)
    _require_rotatable(key)
    key.rotation_enabled = False
    key.rotation_period_days = None
    key.next_rotation_at = None
    key.save(update_fields=["rotation_enabled", "rotation_period_days", "next_rotation_at"])
    events.key_changed(key, now=now)
    return key


def get_key_rotation_status(*, sandbox: Sandbox, region: str, key_id: str) -> dict[str, Any]:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False)
    _require_rotatable(key)
    # A key pending deletion reports rotation off: its rotation is suspended.
    enabled = key.rotation_enabled and key.state != PENDING_DELETION
    status: dict[str, Any] = {"KeyRotationEnabled": enabled, "KeyId": key.arn}
    if enabled:
        status["RotationPeriodInDays"] = key.rotation_period_days
        status["NextRotationDate"] = key.next_rotation_at
    return status


@transaction.atomic
def rotate_key_on_demand(*, sandbox: Sandbox, region: str, key_id: str, caller: str, now: dt.datetime) -> Key:
    """Rotate now. Playground rotates within the call, so OnDemandRotationStartDate never shows."""
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    keys.require_customer_managed(key, action="RotateKeyOnDemand", caller=caller)
    keys.require_enabled(key)
    _require_rotatable(key)
    if key.on_demand_rotations >= MAX_ON_DEMAND_ROTATIONS:
        raise LimitExceededException(
            f"{key.arn} has reached the limit of {MAX_ON_DEMAND_ROTATIONS} on-demand rotations."
        )
    key.on_demand_rotations += 1
    key.save(update_fields=["on_demand_rotations"])
    rotate(key, now=now, rotation_type=ON_DEMAND)
    return key


def list_key_rotations(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    include_key_material: str | None,
    limit: int | None,
    marker: str | None,
) -> dict[str, Any]:
    """Completed rotations, oldest first; ALL_KEY_MATERIAL adds the key's first material too."""
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False)
    _require_rotatable(key)
    rows = list(key.materials.order_by("created_at", "id"))
    if include_key_material != "ALL_KEY_MATERIAL":
        rows = [row for row in rows if row.rotation_type]
    chunk, more = page_list(rows, limit=limit, marker=marker, default=100)
    current = key.current_material_id
    entries = []
    for row in chunk:
        entry: dict[str, Any] = {
            "KeyId": key.arn,
            "KeyMaterialId": row.material_id,
            "KeyMaterialState": "CURRENT" if row.pk == current else "NON_CURRENT",
        }
        if row.rotation_type:
            entry["RotationDate"] = row.created_at
            entry["RotationType"] = row.rotation_type
        entries.append(entry)
    return {"Rotations": entries, **more}


def _to_cloudtrail(key: Key, *, now: dt.datetime) -> None:
    """An automatic rotation is what CloudTrail records as KMS's AwsServiceEvent RotateKey."""
    from services.cloudtrail.public import service_event  # CloudTrail reaches SNS, which reaches KMS

    service_event(
        sandbox=key.sandbox, region=key.region, service="kms", operation="RotateKey", now=now,
        details={"rotationType": AUTOMATIC, "keyId": key.key_id},
        resources=[{"type": "AWS::KMS::Key", "ARN": key.arn}],
    )  # fmt: skip


def rotate_due_keys(*, sandbox: Sandbox, now: dt.datetime, batch: int = 200) -> int:
    """Rotate every Enabled key whose automatic rotation is due. Moving next_rotation_at forward
    with a conditional update is the claim: only the worker whose update matched rotates."""
    due = (
        Key.objects.filter(sandbox=sandbox, next_rotation_at__lte=now, rotation_enabled=True, state=ENABLED)
        .select_related("current_material")
        .order_by("next_rotation_at", "id")
    )
    rotated = 0
    for key in list(due[:batch]):
        key.sandbox = sandbox
        period = key.rotation_period_days or DEFAULT_PERIOD_DAYS
        following = now + dt.timedelta(days=period)
        with transaction.atomic():
            claimed = Key.objects.filter(pk=key.pk, next_rotation_at=key.next_rotation_at, state=ENABLED).update(
                next_rotation_at=following
            )
            if not claimed:
                continue
            key.next_rotation_at = following
            rotate(key, now=now, rotation_type=AUTOMATIC)
            _to_cloudtrail(key, now=now)
            rotated += 1
    if rotated:
        LOG.info("rotated %d KMS key(s) of sandbox %s", rotated, sandbox.account_id)
    return rotated
