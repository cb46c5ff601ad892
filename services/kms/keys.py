"""KMS keys: finding them by any of their names (key id, key ARN, alias name, alias ARN), the
state checks every operation shares, KeyMetadata, creating keys of every spec (material made and
sealed at once) and AWS managed keys made on first use, and listing. What is done to a key once it
exists (enable, disable, deletion, tags, policy) is management.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from typing import Any

from django.db import IntegrityError, transaction

from playground.sandboxes.models import Sandbox
from services.kms import events, lookup, material, policies
from services.kms.exceptions import (
    AccessDeniedException,
    DisabledException,
    KMSInvalidStateException,
    NotFoundException,
    TagException,
    UnsupportedOperationException,
    ValidationException,
)
from services.kms.models import (
    AWS,
    CUSTOMER,
    DISABLED,
    ENABLED,
    PENDING_DELETION,
    PENDING_IMPORT,
    Alias,
    Key,
    KeyMaterial,
)
from services.kms.paging import page_rows
from services.kms.specs import (
    ENCRYPT_DECRYPT,
    KEY_SPECS,
    SYMMETRIC_DEFAULT,
    UNSUPPORTED_KEY_SPECS,
    encryption_algorithms,
    key_agreement_algorithms,
    mac_algorithms,
    signing_algorithms,
)

LOG = logging.getLogger(__name__)

KEY_ID = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")
ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):((?:key|alias)/.+)$")
MAX_TAGS = 50
MANAGED_ROTATION_DAYS = 365


def key_arn(*, region: str, account_id: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"


def alias_arn(*, region: str, account_id: str, name: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:{name}"


# --- finding a key ------------------------------------------------------------------------------


def resolve_key(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    allow_alias: bool = True,
    for_update: bool = False,
    now: dt.datetime | None = None,
) -> Key:
    """The key a KeyId names: a key id, a key ARN, or (where the operation takes one) an alias
    name or alias ARN. Raises NotFoundException as AWS words it.

    With `now`, a predefined AWS managed alias (alias/aws/sqs, ...) that has no key yet gets its
    key made, as DescribeKey does on AWS.
    """
    name = key_id
    match = ARN.match(key_id)
    if match:
        arn_region, account, resource = match.groups()
        if arn_region != region or account != sandbox.account_id:
            raise NotFoundException(_missing_message(key_id, resource))
        name = resource
    elif key_id.startswith("arn:"):
        raise NotFoundException(f"Invalid arn {key_id}")
    if name.startswith("alias/"):
        if not allow_alias:
            raise NotFoundException(f"Invalid keyId {key_id}")
        return _resolve_alias(sandbox=sandbox, region=region, name=name, for_update=for_update, now=now)
    if name.startswith("key/"):
        name = name[4:]
    if not KEY_ID.match(name):
        raise NotFoundException(f"Invalid keyId {key_id}")
    if for_update:
        rows = Key.objects.select_related("current_material").filter(sandbox=sandbox, region=region, key_id=name)
        key = rows.select_for_update(of=("self",)).first()
    else:
        key = lookup.key_with_current_material(sandbox=sandbox, region=region, key_id=name)
    if key is None:
        arn = key_arn(region=region, account_id=sandbox.account_id, key_id=name)
        raise NotFoundException(f"Key '{arn}' does not exist")
    key.sandbox = sandbox
    return key


def _missing_message(given: str, resource: str) -> str:
    if resource.startswith("alias/"):
        return f"Alias {given} is not found."
    return f"Key '{given}' does not exist"


def _resolve_alias(*, sandbox: Sandbox, region: str, name: str, for_update: bool, now: dt.datetime | None) -> Key:
    key = lookup.alias_target(sandbox=sandbox, region=region, name=name)
    if key is None:
        service = name.removeprefix("alias/aws/") if name.startswith("alias/aws/") else ""
        if now is not None and service in policies.MANAGED_KEY_SERVICES:
            return aws_managed_key(sandbox=sandbox, region=region, service=service, now=now)
        arn = alias_arn(region=region, account_id=sandbox.account_id, name=name)
        raise NotFoundException(f"Alias {arn} is not found.")
    if for_update:
        key = Key.objects.select_related("current_material").select_for_update(of=("self",)).get(pk=key.pk)
        key.sandbox = sandbox
    return key


# --- state checks the operations share -----------------------------------------------------------


def require_enabled(key: Key) -> None:
    """What a cryptographic operation needs: an Enabled key."""
    if key.state == ENABLED:
        return
    if key.state == DISABLED:
        raise DisabledException(f"{key.arn} is disabled.")
    raise KMSInvalidStateException(_state_message(key))


def require_not_pending(key: Key) -> None:
    """What management operations need: a key that is neither pending deletion nor pending import."""
    if key.state in (PENDING_DELETION, PENDING_IMPORT):
        raise KMSInvalidStateException(_state_message(key))


def _state_message(key: Key) -> str:
    if key.state == PENDING_DELETION:
        return f"{key.arn} is pending deletion."
    if key.state == PENDING_IMPORT:
        return f"{key.arn} is pending import."
    return f"{key.arn} is {key.state.lower()}."


def require_customer_managed(key: Key, *, action: str, caller: str) -> None:
    """AWS managed keys refuse management actions: their key policy grants none."""
    if key.key_manager == AWS:
        raise AccessDeniedException(
            f"User: {caller} is not authorized to perform: kms:{action} on resource: {key.arn} "
            f"because no resource-based policy allows the kms:{action} action"
        )


# --- metadata ------------------------------------------------------------------------------------


def key_metadata(key: Key) -> dict[str, Any]:
    """DescribeKey's KeyMetadata."""
    spec, usage = key.key_spec, key.key_usage
    metadata: dict[str, Any] = {
        "AWSAccountId": key.account_id,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.created_at,
        "Enabled": key.state == ENABLED,
        "Description": key.description,
        "KeyUsage": usage,
        "KeyState": key.state,
        "Origin": key.origin,
        "KeyManager": key.key_manager,
        "CustomerMasterKeySpec": spec,
        "KeySpec": spec,
        "MultiRegion": key.multi_region,
    }
    for member, algorithms in (
        ("EncryptionAlgorithms", encryption_algorithms(spec, usage)),
        ("SigningAlgorithms", signing_algorithms(spec, usage)),
        ("MacAlgorithms", mac_algorithms(spec, usage)),
        ("KeyAgreementAlgorithms", key_agreement_algorithms(spec, usage)),
    ):
        if algorithms:
            metadata[member] = algorithms
    if key.multi_region:
        metadata["MultiRegionConfiguration"] = {
            "MultiRegionKeyType": "PRIMARY",
            "PrimaryKey": {"Arn": key.arn, "Region": key.region},
            "ReplicaKeys": [],
        }
    if key.state == PENDING_DELETION:
        metadata["DeletionDate"] = key.deletion_at
        metadata["PendingDeletionWindowInDays"] = key.pending_window_days
    if spec == SYMMETRIC_DEFAULT and key.current_material is not None:
        metadata["CurrentKeyMaterialId"] = key.current_material.material_id
    if key.origin == "EXTERNAL" and key.expiration_model:
        metadata["ExpirationModel"] = key.expiration_model
        if key.valid_to is not None:
            metadata["ValidTo"] = key.valid_to
    return metadata


# --- creating keys -------------------------------------------------------------------------------


def _check_spec(key_spec: str | None, customer_master_key_spec: str | None, key_usage: str | None) -> tuple[str, str]:
    if key_spec and customer_master_key_spec:
        raise ValidationException(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
            "CustomerMasterKeySpec is deprecated."
        )
    spec = key_spec or customer_master_key_spec or SYMMETRIC_DEFAULT
    if spec in UNSUPPORTED_KEY_SPECS:
        raise UnsupportedOperationException(f"KeySpec {spec} is not supported by Playground.")
    info = KEY_SPECS.get(spec)
    if info is None:
        raise ValidationException(f"KeySpec {spec} is not valid.")
    usage = key_usage or ENCRYPT_DECRYPT
    if usage not in info.usages:
        raise ValidationException(f"KeyUsage {usage} is not compatible with KeySpec {spec}.")
    return spec, usage


def check_tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: set[str] = set()
    result = []
    for tag in tags:
        name, value = tag["TagKey"], tag.get("TagValue", "")
        if name.lower().startswith("aws:"):
            raise TagException("Tags beginning with aws: are reserved.")
        if name in seen:
            raise TagException(f"Duplicate tag keys: {name}")
        seen.add(name)
        result.append({"TagKey": name, "TagValue": value})
    return result


@transaction.atomic
def create_key(
    *,
    sandbox: Sandbox,
    region: str,
    now: dt.datetime,
    caller: str,
    description: str = "",
    key_usage: str | None = None,
    key_spec: str | None = None,
    customer_master_key_spec: str | None = None,
    origin: str | None = None,
    policy: str | None = None,
    bypass_policy_lockout_safety_check: bool = False,
    tags: list[dict[str, str]] | None = None,
    multi_region: bool = False,
    custom_key_store_id: str | None = None,
) -> Key:
    spec, usage = _check_spec(key_spec, customer_master_key_spec, key_usage)
    if custom_key_store_id or (origin and origin not in ("AWS_KMS", "EXTERNAL")):
        raise UnsupportedOperationException(
            f"Origin {origin or 'AWS_CLOUDHSM'} is not supported by Playground: keys are made with AWS_KMS or "
            "EXTERNAL origin."
        )
    if origin == "EXTERNAL" and spec != SYMMETRIC_DEFAULT:
        raise UnsupportedOperationException(
            f"Playground imports key material into SYMMETRIC_DEFAULT keys only, not {spec}."
        )
    if policy is not None:
        policy = policies.check_policy(
            policy,
            account_id=sandbox.account_id,
            caller=caller,
            bypass_lockout_check=bypass_policy_lockout_safety_check,
        )
    checked_tags = check_tags(tags or [])
    if len(checked_tags) > MAX_TAGS:
        raise TagException(f"Too many tags: a key can have at most {MAX_TAGS}.")
    key_id = f"mrk-{uuid.uuid4().hex}" if multi_region else str(uuid.uuid4())
    key = _new_key(
        sandbox=sandbox,
        region=region,
        now=now,
        key_id=key_id,
        spec=spec,
        usage=usage,
        description=description,
        policy=policy or policies.default_policy(sandbox.account_id),
        tags=checked_tags,
        multi_region=multi_region,
        key_manager=CUSTOMER,
        origin=origin or "AWS_KMS",
    )
    events.key_created(key, now=now)
    return key


def _new_key(
    *,
    sandbox: Sandbox,
    region: str,
    now: dt.datetime,
    key_id: str,
    spec: str,
    usage: str,
    description: str,
    policy: str,
    tags: list[dict[str, str]],
    multi_region: bool,
    key_manager: str,
    rotation_days: int | None = None,
    origin: str = "AWS_KMS",
) -> Key:
    """A key row and, unless its material is to be imported, its first material."""
    external = origin == "EXTERNAL"
    key = Key.objects.create(
        sandbox=sandbox,
        region=region,
        key_id=key_id,
        description=description,
        key_usage=usage,
        key_spec=spec,
        key_manager=key_manager,
        multi_region=multi_region,
        created_at=now,
        policy=policy,
        tags=tags,
        rotation_enabled=rotation_days is not None,
        rotation_period_days=rotation_days,
        next_rotation_at=now + dt.timedelta(days=rotation_days) if rotation_days else None,
        origin=origin,
        state=PENDING_IMPORT if external else ENABLED,
    )
    if not external:
        key.current_material = add_material(key, now=now)
        key.save(update_fields=["current_material"])
    return key


def add_material(key: Key, *, now: dt.datetime, rotation_type: str = "") -> KeyMaterial:
    """New material for the key (at creation, or a rotation), sealed under the master key."""
    secret, public = material.generate(key.key_spec)
    material_id = material.new_material_id()
    return KeyMaterial.objects.create(
        sandbox_id=key.sandbox_id,
        key=key,
        material_id=material_id,
        sealed=material.seal(secret, key_id=key.key_id, material_id=material_id),
        public_key=public,
        created_at=now,
        rotation_type=rotation_type,
    )


def aws_managed_key(*, sandbox: Sandbox, region: str, service: str, now: dt.datetime) -> Key:
    """The AWS managed key of a service (alias/aws/<service>), made on first use.

    `service` is the name after alias/aws/ ("sqs", "sns", ...). Two requests racing to make it
    end with one key: the alias name is unique, and the loser takes the winner's.
    """
    name = f"alias/aws/{service}"
    existing = Alias.objects.select_related("key__current_material").filter(sandbox=sandbox, region=region, name=name)
    alias = existing.first()
    if alias is not None:
        alias.key.sandbox = sandbox
        return alias.key
    label = policies.MANAGED_KEY_SERVICES.get(service, service)
    try:
        with transaction.atomic():
            key = _new_key(
                sandbox=sandbox,
                region=region,
                now=now,
                key_id=str(uuid.uuid4()),
                spec=SYMMETRIC_DEFAULT,
                usage=ENCRYPT_DECRYPT,
                description=f"Default key that protects my {label} data when no other key is defined",
                policy=policies.managed_key_policy(sandbox.account_id, region, service),
                tags=[],
                multi_region=False,
                key_manager=AWS,
                rotation_days=MANAGED_ROTATION_DAYS,
            )
            alias = Alias.objects.create(
                sandbox=sandbox, region=region, name=name, key=key, created_at=now, updated_at=now
            )
    except IntegrityError:
        alias = Alias.objects.select_related("key__current_material").get(sandbox=sandbox, region=region, name=name)
        alias.key.sandbox = sandbox
        return alias.key
    events.key_created(key, now=now)
    events.alias_created(alias, now=now)
    return key


# --- listing -------------------------------------------------------------------------------------


def list_keys(*, sandbox: Sandbox, region: str, limit: int | None, marker: str | None) -> dict[str, Any]:
    rows, more = page_rows(
        Key.objects.filter(sandbox=sandbox, region=region).only("id", "key_id", "region"),
        limit=limit,
        marker=marker,
        default=100,
    )
    account = sandbox.account_id
    entries = [
        {"KeyId": key.key_id, "KeyArn": key_arn(region=region, account_id=account, key_id=key.key_id)} for key in rows
    ]
    return {"Keys": entries, **more}
