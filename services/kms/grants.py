"""Grants: permissions on one key for a grantee principal, with a token usable at once.

Grants are stored, listed, retired and revoked as on AWS, and their operations are checked
against the key's usage; they do not change what a caller may do (see LIMITATIONS).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from typing import Any

from django.db import transaction

from playground.sandboxes.models import Sandbox
from services.kms import events, keys
from services.kms.exceptions import (
    DryRunOperationException,
    InvalidGrantIdException,
    InvalidGrantTokenException,
    NotFoundException,
    ValidationException,
)
from services.kms.models import Grant, Key
from services.kms.paging import page_rows
from services.kms.specs import ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT, SIGN_VERIFY, SYMMETRIC_DEFAULT

GRANT_ID = re.compile(r"^[0-9a-f]{64}$")
_ALWAYS = {"CreateGrant", "RetireGrant", "DescribeKey"}
_SYMMETRIC = {
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
}  # fmt: skip
_BY_USAGE = {
    SIGN_VERIFY: {"Sign", "Verify", "GetPublicKey"},
    GENERATE_VERIFY_MAC: {"GenerateMac", "VerifyMac"},
    KEY_AGREEMENT: {"DeriveSharedSecret", "GetPublicKey"},
}


def _allowed_operations(key: Key) -> set[str]:
    if key.key_usage == ENCRYPT_DECRYPT:
        if key.key_spec == SYMMETRIC_DEFAULT:
            return _ALWAYS | _SYMMETRIC
        return _ALWAYS | {"Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"}
    return _ALWAYS | _BY_USAGE.get(key.key_usage, set())


def _new_token() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(96)).decode().rstrip("=")


@transaction.atomic
def create_grant(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    operations: list[str],
    grantee_principal: str | None,
    retiring_principal: str | None = None,
    constraints: dict[str, Any] | None = None,
    name: str | None = None,
    dry_run: bool | None = False,
    now: dt.datetime,
) -> Grant:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False)
    keys.require_enabled(key)
    if not grantee_principal:
        raise ValidationException("GranteePrincipal is required.")
    if not operations:
        raise ValidationException("Operations must name at least one operation.")
    refused = sorted(set(operations) - _allowed_operations(key))
    if refused:
        raise ValidationException(
            f"Grant operations {', '.join(refused)} are not valid for {key.arn}, "
            f"a {key.key_spec} key with key usage {key.key_usage}."
        )
    if dry_run:
        raise DryRunOperationException()
    constraints = constraints or {}
    if name:
        # The same grant asked for again (same name and parameters) is the same grant, as on AWS.
        for existing in Grant.objects.filter(key=key, name=name):
            if (
                existing.grantee_principal == grantee_principal
                and existing.retiring_principal == (retiring_principal or "")
                and sorted(existing.operations) == sorted(operations)
                and existing.constraints == constraints
            ):
                existing.key = key
                existing.sandbox = sandbox
                return existing
    grant = Grant.objects.create(
        sandbox=sandbox,
        key=key,
        grant_id=secrets.token_hex(32),
        token=_new_token(),
        name=name or "",
        grantee_principal=grantee_principal,
        retiring_principal=retiring_principal or "",
        operations=list(dict.fromkeys(operations)),
        constraints=constraints,
        created_at=now,
    )
    events.grant_created(grant, now=now)
    return grant


def list_grants(
    *,
    sandbox: Sandbox,
    region: str,
    key_id: str,
    grant_id: str | None,
    grantee_principal: str | None,
    limit: int | None,
    marker: str | None,
) -> dict[str, Any]:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False)
    rows = Grant.objects.filter(key=key)
    if grant_id:
        _check_grant_id(grant_id)
        rows = rows.filter(grant_id=grant_id)
    if grantee_principal:
        rows = rows.filter(grantee_principal=grantee_principal)
    found, more = page_rows(rows, limit=limit, marker=marker, default=50)
    for grant in found:
        grant.key = key
        grant.sandbox = sandbox
    return {"Grants": [grant.as_entry() for grant in found], **more}


def list_retirable_grants(
    *, sandbox: Sandbox, region: str, retiring_principal: str | None, limit: int | None, marker: str | None
) -> dict[str, Any]:
    if not retiring_principal:
        raise ValidationException("RetiringPrincipal is required.")
    rows = Grant.objects.select_related("key").filter(
        sandbox=sandbox, key__region=region, retiring_principal=retiring_principal
    )
    found, more = page_rows(rows, limit=limit, marker=marker, default=50)
    for grant in found:
        grant.sandbox = sandbox
        grant.key.sandbox = sandbox
    return {"Grants": [grant.as_entry() for grant in found], **more}


def _check_grant_id(grant_id: str) -> None:
    if not GRANT_ID.match(grant_id):
        raise InvalidGrantIdException(f"Invalid grant ID {grant_id}")


def _remove(grant: Grant, *, now: dt.datetime) -> None:
    grant.delete()
    events.grant_deleted(grant, now=now)


@transaction.atomic
def retire_grant(
    *,
    sandbox: Sandbox,
    region: str,
    grant_token: str | None,
    key_id: str | None,
    grant_id: str | None,
    dry_run: bool | None = False,
    now: dt.datetime,
) -> None:
    """Retire a grant named by its token, or by key and grant id."""
    if grant_token:
        grant = Grant.objects.select_related("key").filter(sandbox=sandbox, token=grant_token).first()
        if grant is None:
            raise InvalidGrantTokenException("The grant token is not valid.")
    elif key_id and grant_id:
        key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False)
        _check_grant_id(grant_id)
        grant = Grant.objects.select_related("key").filter(key=key, grant_id=grant_id).first()
        if grant is None:
            raise NotFoundException(f"Grant ID {grant_id} not found")
    else:
        raise ValidationException("Specify either GrantToken, or both KeyId and GrantId.")
    if dry_run:
        raise DryRunOperationException()
    grant.sandbox = sandbox
    grant.key.sandbox = sandbox
    _remove(grant, now=now)


@transaction.atomic
def revoke_grant(
    *, sandbox: Sandbox, region: str, key_id: str, grant_id: str, dry_run: bool | None = False, now: dt.datetime
) -> None:
    key = keys.resolve_key(sandbox=sandbox, region=region, key_id=key_id, allow_alias=False)
    _check_grant_id(grant_id)
    grant = Grant.objects.filter(key=key, grant_id=grant_id).first()
    if grant is None:
        raise NotFoundException(f"Grant ID {grant_id} not found")
    if dry_run:
        raise DryRunOperationException()
    grant.key = key
    grant.sandbox = sandbox
    _remove(grant, now=now)
