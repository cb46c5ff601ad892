"""STS: who am I, and temporary credentials that work against the same sandbox.

LIMITATIONS
- AssumeRole does not check that the role exists or that its trust policy admits the caller
  (IAM is not emulated yet); it only refuses roles of another account, since a sandbox never
  reaches another sandbox.
- Session policies, tags and MFA parameters are accepted and ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from playground.gateway.registry import Provider, register
from playground.gateway.request import RequestContext
from playground.sandboxes.models import AccessKey
from playground.sandboxes.principals import principal_id, role_id
from services.sts.exceptions import AccessDenied, ValidationError

ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$")


def _credentials(key: AccessKey, secret: str) -> dict[str, Any]:
    return {
        "AccessKeyId": key.access_key_id,
        "SecretAccessKey": secret,
        "SessionToken": key.session_token,
        "Expiration": key.expires_at,
    }


def _duration(params: dict[str, Any], *, default: int, low: int, high: int) -> int:
    seconds = int(params.get("DurationSeconds", default))
    if not low <= seconds <= high:
        bound = f"less than or equal to {high}" if seconds > high else f"greater than or equal to {low}"
        raise ValidationError(
            f"1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy "
            f"constraint: Member must have value {bound}"
        )
    return seconds


@register
class StsProvider(Provider):
    service = "sts"

    def get_caller_identity(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = ctx.principal_arn
        return {"UserId": principal_id(arn), "Account": ctx.account_id, "Arn": arn}

    def assume_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        match = ROLE_ARN.match(params["RoleArn"])
        if not match:
            raise ValidationError(f"{params['RoleArn']} is invalid")
        account, role = match.groups()
        if account != ctx.account_id:
            raise AccessDenied(
                f"User: {ctx.principal_arn} is not authorized to perform: sts:AssumeRole "
                f"on resource: {params['RoleArn']}"
            )
        seconds = _duration(params, default=3600, low=900, high=43200)
        session = params["RoleSessionName"]
        arn = f"arn:aws:sts::{ctx.account_id}:assumed-role/{role}/{session}"
        key, secret = AccessKey.issue(
            sandbox=ctx.sandbox,
            now=ctx.now,
            temporary=True,
            principal_arn=arn,
            expires_at=(ctx.now + dt.timedelta(seconds=seconds)).replace(microsecond=0),
        )
        return {
            "Credentials": _credentials(key, secret),
            "AssumedRoleUser": {
                "AssumedRoleId": f"{role_id(ctx.account_id, role)}:{session}",
                "Arn": arn,
            },
            "PackedPolicySize": 0,
        }

    def get_session_token(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        seconds = _duration(params, default=43200, low=900, high=129600)
        key, secret = AccessKey.issue(
            sandbox=ctx.sandbox,
            now=ctx.now,
            temporary=True,
            principal_arn=ctx.principal_arn,
            expires_at=(ctx.now + dt.timedelta(seconds=seconds)).replace(microsecond=0),
        )
        return {"Credentials": _credentials(key, secret)}
