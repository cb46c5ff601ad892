"""Aliases: friendly names (alias/...) for keys, unique per account and Region. alias/aws/ is
reserved for AWS managed keys, which KMS makes itself (keys.aws_managed_key)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import IntegrityError, transaction

from playground.sandboxes.models import Sandbox
from services.kms import events, keys
from services.kms.exceptions import (
    AlreadyExistsException,
    InvalidAliasNameException,
    NotFoundException,
    ValidationException,
)
from services.kms.models import AWS, Alias, Key
from services.kms.paging import page_rows

NAME = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")
RESERVED_PREFIX = "alias/aws/"
PREFIX_MESSAGE = (
    'Alias must start with the prefix "alias/". Please see '
    "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
)


def check_name(name: str) -> str:
    if not name.startswith("alias/"):
        raise ValidationException(PREFIX_MESSAGE)
    if not NAME.match(name):
        raise ValidationException(f"{name} contains invalid characters for an alias")
    return name


def _check_customer_name(name: str) -> str:
    check_name(name)
    if name.startswith(RESERVED_PREFIX):
        raise InvalidAliasNameException(
            f"Alias {name} begins with {RESERVED_PREFIX}, a prefix reserved for AWS managed keys."
        )
    return name


def _target(*, sandbox: Sandbox, region: str, target_key_id: str, action: str, caller: str) -> Key:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=target_key_id, allow_alias=False)
    keys.require_customer_managed(key, action=action, caller=caller)
    keys.require_not_pending(key)
    return key


def _find(*, sandbox: Sandbox, region: str, name: str) -> Alias:
    alias = Alias.objects.select_related("key").filter(sandbox=sandbox, region=region, name=name).first()
    if alias is None:
        arn = keys.alias_arn(region=region, account_id=sandbox.account_id, name=name)
        raise NotFoundException(f"Alias {arn} is not found.")
    alias.sandbox = sandbox
    alias.key.sandbox = sandbox
    return alias


@transaction.atomic
def create_alias(
    *, sandbox: Sandbox, region: str, alias_name: str, target_key_id: str, caller: str, now: dt.datetime
) -> Alias:
    _check_customer_name(alias_name)
    key = _target(sandbox=sandbox, region=region, target_key_id=target_key_id, action="CreateAlias", caller=caller)
    arn = keys.alias_arn(region=region, account_id=sandbox.account_id, name=alias_name)
    if Alias.objects.filter(sandbox=sandbox, region=region, name=alias_name).exists():
        raise AlreadyExistsException(f"An alias with the name {arn} already exists")
    try:
        with transaction.atomic():
            alias = Alias.objects.create(
                sandbox=sandbox, region=region, name=alias_name, key=key, created_at=now, updated_at=now
            )
    except IntegrityError:
        raise AlreadyExistsException(f"An alias with the name {arn} already exists") from None
    events.alias_created(alias, now=now)
    return alias


@transaction.atomic
def update_alias(
    *, sandbox: Sandbox, region: str, alias_name: str, target_key_id: str, caller: str, now: dt.datetime
) -> Alias:
    """Point an alias at another key of the same kind (spec family and key usage), as AWS requires."""
    _check_customer_name(alias_name)
    alias = _find(sandbox=sandbox, region=region, name=alias_name)
    key = _target(sandbox=sandbox, region=region, target_key_id=target_key_id, action="UpdateAlias", caller=caller)
    old = alias.key
    if (old.key_spec == "SYMMETRIC_DEFAULT") != (key.key_spec == "SYMMETRIC_DEFAULT") or old.key_usage != key.key_usage:
        raise ValidationException(
            f"{key.arn} and the alias's current key {old.arn} differ in key type or key usage: "
            "an alias can only move to a key of the same type and usage."
        )
    alias.key = key
    alias.updated_at = now
    alias.save(update_fields=["key", "updated_at"])
    events.alias_changed(alias, now=now)
    return alias


@transaction.atomic
def delete_alias(*, sandbox: Sandbox, region: str, alias_name: str, caller: str, now: dt.datetime) -> None:
    check_name(alias_name)
    alias = _find(sandbox=sandbox, region=region, name=alias_name)
    if alias.key.key_manager == AWS:
        keys.require_customer_managed(alias.key, action="DeleteAlias", caller=caller)
    alias.delete()
    events.alias_deleted(alias, now=now)


def list_aliases(
    *, sandbox: Sandbox, region: str, key_id: str | None, limit: int | None, marker: str | None
) -> dict[str, Any]:
    rows = Alias.objects.select_related("key").filter(sandbox=sandbox, region=region)
    if key_id:
        key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False)
        rows = rows.filter(key=key)
    found, more = page_rows(rows, limit=limit, marker=marker, default=50)
    account = sandbox.account_id
    entries = [
        {
            "AliasName": alias.name,
            "AliasArn": keys.alias_arn(region=region, account_id=account, name=alias.name),
            "TargetKeyId": alias.key.key_id,
            "CreationDate": alias.created_at,
            "LastUpdatedDate": alias.updated_at,
        }
        for alias in found
    ]
    return {"Aliases": entries, **more}
