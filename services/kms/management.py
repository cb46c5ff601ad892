"""Managing an existing key: enabling and disabling it, its description, the deletion window
(7 to 30 days on the sandbox clock) and the deletion itself when the window ends, its tags and
its key policy. Finding, creating and describing keys is keys.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction

from playground.sandboxes.models import Sandbox
from services.kms import events, keys, policies
from services.kms.exceptions import InvalidMarkerException, KMSInvalidStateException, TagException, ValidationException
from services.kms.models import DISABLED, ENABLED, PENDING_DELETION, Alias, Key
from services.kms.paging import page_list

LOG = logging.getLogger(__name__)


# --- enabling, disabling, describing -------------------------------------------------------------


@transaction.atomic
def enable_key(*, sandbox: Sandbox, region: str, key_id: str, caller: str, now: dt.datetime) -> Key:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    keys.require_customer_managed(key, action="EnableKey", caller=caller)
    keys.require_not_pending(key)
    if key.state != ENABLED:
        key.state = ENABLED
        key.save(update_fields=["state"])
        events.key_changed(key, now=now)
    return key


@transaction.atomic
def disable_key(*, sandbox: Sandbox, region: str, key_id: str, caller: str, now: dt.datetime) -> Key:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    keys.require_customer_managed(key, action="DisableKey", caller=caller)
    keys.require_not_pending(key)
    if key.state != DISABLED:
        key.state = DISABLED
        key.save(update_fields=["state"])
        events.key_changed(key, now=now)
    return key


@transaction.atomic
def update_key_description(
    *, sandbox: Sandbox, region: str, key_id: str, description: str, caller: str, now: dt.datetime
) -> Key:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    keys.require_customer_managed(key, action="UpdateKeyDescription", caller=caller)
    keys.require_not_pending(key)
    key.description = description
    key.save(update_fields=["description"])
    events.key_changed(key, now=now)
    return key


# --- deletion ------------------------------------------------------------------------------------


@transaction.atomic
def schedule_key_deletion(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    pending_window_in_days: int | None,
    caller: str,
    now: dt.datetime,
) -> Key:
    """Start the waiting period (7 to 30 days, 30 by default) at whose end the tick deletes the key."""
    days = 30 if pending_window_in_days is None else pending_window_in_days
    if not 7 <= days <= 30:
        raise ValidationException("PendingWindowInDays must be between 7 and 30")
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    keys.require_customer_managed(key, action="ScheduleKeyDeletion", caller=caller)
    keys.require_not_pending(key)
    key.state = PENDING_DELETION
    key.deletion_at = now + dt.timedelta(days=days)
    key.pending_window_days = days
    key.save(update_fields=["state", "deletion_at", "pending_window_days"])
    events.key_changed(key, now=now)
    return key


@transaction.atomic
def cancel_key_deletion(*, sandbox: Sandbox, region: str, key_id: str, caller: str, now: dt.datetime) -> Key:
    """Stop the waiting period; the key comes back Disabled, as on AWS."""
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    keys.require_customer_managed(key, action="CancelKeyDeletion", caller=caller)
    if key.state != PENDING_DELETION:
        raise KMSInvalidStateException(f"{key.arn} is not pending deletion.")
    key.state = DISABLED
    key.deletion_at = None
    key.pending_window_days = None
    key.save(update_fields=["state", "deletion_at", "pending_window_days"])
    events.key_changed(key, now=now)
    return key


def delete_due_keys(*, sandbox: Sandbox, now: dt.datetime, batch: int = 200) -> int:
    """Delete the keys whose waiting period has ended: their material, aliases and grants go with
    them, and ciphertexts they made can no longer be decrypted. Returns how many were deleted.

    Deleting the row is the claim: a key another worker deleted first is skipped.
    """
    due = (
        Key.objects.select_related("current_material")
        .filter(sandbox=sandbox, deletion_at__lte=now, state=PENDING_DELETION)
        .order_by("deletion_at", "id")
    )
    deleted = 0
    for key in list(due[:batch]):
        key.sandbox = sandbox
        with transaction.atomic():
            aliases = list(Alias.objects.filter(key=key))
            _, by_model = Key.objects.filter(pk=key.pk, state=PENDING_DELETION).delete()
            if not by_model.get(Key._meta.label):
                continue
            for alias in aliases:
                alias.sandbox = sandbox
                alias.key = key
                events.alias_deleted(alias, now=now)
            events.key_deleted(key, now=now)
            deleted += 1
    if deleted:
        LOG.info("deleted %d KMS key(s) of sandbox %s", deleted, sandbox.account_id)
    return deleted


# --- tags ----------------------------------------------------------------------------------------


@transaction.atomic
def tag_resource(
    *, sandbox: Sandbox, region: str, key_id: str, tags: list[dict[str, str]], caller: str, now: dt.datetime
) -> Key:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    keys.require_customer_managed(key, action="TagResource", caller=caller)
    keys.require_not_pending(key)
    merged = {tag["TagKey"]: tag["TagValue"] for tag in key.tags}
    for tag in keys.check_tags(tags):
        merged[tag["TagKey"]] = tag["TagValue"]
    if len(merged) > keys.MAX_TAGS:
        raise TagException(f"Too many tags: a key can have at most {keys.MAX_TAGS}.")
    key.tags = [{"TagKey": name, "TagValue": value} for name, value in merged.items()]
    key.save(update_fields=["tags"])
    events.key_changed(key, now=now)
    return key


@transaction.atomic
def untag_resource(
    *, sandbox: Sandbox, region: str, key_id: str, tag_keys: list[str], caller: str, now: dt.datetime
) -> Key:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    keys.require_customer_managed(key, action="UntagResource", caller=caller)
    keys.require_not_pending(key)
    drop = set(tag_keys)
    key.tags = [tag for tag in key.tags if tag["TagKey"] not in drop]
    key.save(update_fields=["tags"])
    events.key_changed(key, now=now)
    return key


def list_resource_tags(
    *, sandbox: Sandbox, region: str, key_id: str, limit: int | None, marker: str | None
) -> dict[str, Any]:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False)
    tags, more = page_list(key.tags, limit=limit, marker=marker, default=50)
    return {"Tags": tags, **more}


# --- policies ------------------------------------------------------------------------------------


def get_key_policy(*, sandbox: Sandbox, region: str, key_id: str, policy_name: str | None) -> tuple[Key, str]:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False)
    name = policies.check_policy_name(policy_name)
    return key, name


def list_key_policies(
    *, sandbox: Sandbox, region: str, key_id: str, limit: int | None, marker: str | None
) -> dict[str, Any]:
    keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False)
    try:
        names, more = page_list([policies.DEFAULT_POLICY_NAME], limit=limit, marker=marker, default=100)
    except InvalidMarkerException:
        # ListKeyPolicies does not model InvalidMarkerException (an SDK could not name it): a marker
        # this operation never returned is bad input like any other.
        raise ValidationException(
            f"1 validation error detected: Value '{marker}' at 'marker' failed to satisfy constraint: "
            "Member must be a marker returned by ListKeyPolicies"
        ) from None
    return {"PolicyNames": names, **more}


@transaction.atomic
def put_key_policy(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    policy_name: str | None,
    policy: str,
    bypass_policy_lockout_safety_check: bool,
    caller: str,
    now: dt.datetime,
) -> Key:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False, for_update=True)
    policies.check_policy_name(policy_name)
    keys.require_customer_managed(key, action="PutKeyPolicy", caller=caller)
    keys.require_not_pending(key)
    key.policy = policies.check_policy(
        policy, account_id=sandbox.account_id, caller=caller, bypass_lockout_check=bypass_policy_lockout_safety_check
    )
    key.save(update_fields=["policy"])
    events.key_changed(key, now=now)
    return key
