"""Temporary sessions: who may ask for which, how long they last, and issuing their keys.

Every STS operation that returns credentials ends in `session_issue`: a new ASIA access key of the
sandbox, for a principal, expiring on the sandbox clock (the gateway refuses it with ExpiredToken
from then on), with a Session row carrying what later STS calls need to know about it.

Who may call what follows AWS's comparison of STS credentials (IAM User Guide):
- GetSessionToken and GetFederationToken take long-term credentials only;
- credentials from GetSessionToken may call only AssumeRole and GetCallerIdentity of STS;
- credentials from GetFederationToken may call only GetCallerIdentity of STS;
- a role session that assumes a role (role chaining) gets at most one hour.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

from playground.sandboxes.models import AccessKey, Sandbox
from playground.sandboxes.principals import FEDERATED_USER, ROLE_SESSION, root_arn
from services.sts.exceptions import AccessDenied, MalformedPolicyDocument, PackedPolicyTooLarge, ValidationError
from services.sts.models import Session

ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$")
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
ROLE_CHAINING_LIMIT = 3600
MAX_TOKEN_SIZE = 4096  # MinimumSessionTokenSize's ceiling: what SessionTokenUtilization is a share of
PACKED_POLICY_LIMIT = 2048  # bytes of compressed session policies and tags


@dataclass(frozen=True)
class Role:
    account_id: str
    name: str
    arn: str

    def session_arn(self, session_name: str) -> str:
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.name}/{session_name}"


def parse_role_arn(arn: str) -> Role | None:
    match = ROLE_ARN.match(arn or "")
    return Role(match.group(1), match.group(2), arn) if match else None


def role_of(arn: str) -> Role:
    role = parse_role_arn(arn)
    if role is None:
        raise ValidationError(f"{arn} is invalid")
    return role


# --- who is calling ----------------------------------------------------------------------------------

ROOT = "root"
USER = "user"
SESSION_TOKEN = "session-token"  # noqa: S105  (a kind of caller, not a secret)
ROLE = "role"
FEDERATED = "federated"


def caller_kind(*, principal_arn: str, access_key: AccessKey | None) -> str:
    """What kind of credentials signed the call: root, an IAM user's, GetSessionToken's, a role
    session's or a federated user's."""
    if ROLE_SESSION in principal_arn:
        return ROLE
    if FEDERATED_USER in principal_arn:
        return FEDERATED
    if access_key is not None and access_key.is_temporary:
        return SESSION_TOKEN
    account_id = principal_arn.split(":")[4] if principal_arn.count(":") >= 5 else ""
    return ROOT if account_id and principal_arn == root_arn(account_id) else USER


# The STS operations each kind of temporary credentials may call (None: any).
_ALLOWED: dict[str, frozenset[str] | None] = {
    SESSION_TOKEN: frozenset({"AssumeRole", "GetCallerIdentity", "GetScopedCredentials"}),
    FEDERATED: frozenset({"GetCallerIdentity", "GetScopedCredentials"}),
}


def check_caller(*, operation: str, principal_arn: str, access_key: AccessKey | None, resource: str = "") -> str:
    """Refuse an STS call the caller's kind of credentials may not make, as AWS does; its kind."""
    kind = caller_kind(principal_arn=principal_arn, access_key=access_key)
    if operation in ("GetSessionToken", "GetFederationToken") and kind in (SESSION_TOKEN, ROLE, FEDERATED):
        raise AccessDenied(f"Cannot call {operation} with session credentials")
    allowed = _ALLOWED.get(kind)
    if allowed is not None and operation not in allowed:
        on = f" on resource: {resource}" if resource else ""
        raise AccessDenied(f"User: {principal_arn} is not authorized to perform: sts:{operation}{on}")
    return kind


# --- what a session may carry ------------------------------------------------------------------------


def duration(
    seconds: int | None, *, default: int, high: int, parameter: str = "DurationSeconds", reason: str = ""
) -> int:
    """The session's length: the model checks its bounds; `high` is a lower ceiling some callers get."""
    chosen = default if seconds is None else int(seconds)
    if chosen > high:
        raise ValidationError(
            reason
            or f"1 validation error detected: Value '{chosen}' at '{parameter[:1].lower()}{parameter[1:]}' failed "
            f"to satisfy constraint: Member must have value less than or equal to {high}"
        )
    return chosen


def check_session_name(name: str, *, parameter: str = "roleSessionName") -> str:
    if not SESSION_NAME.match(name or ""):
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at '{parameter}' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\w+=,.@-]*"
        )
    return name


def packed_policy_size(
    *, policy: str | None, policy_arns: list[dict[str, Any]] | None, tags: list[dict[str, Any]] | None = None
) -> int | None:
    """The share (percent) of the packed-policy allowance the session policies and tags use; None
    when the request has none. Refuses a policy that is not a JSON object, and a pack over 100%."""
    if policy is not None:
        try:
            document = json.loads(policy)
        except ValueError:
            raise MalformedPolicyDocument("Syntax errors in policy.") from None
        if not isinstance(document, dict):
            raise MalformedPolicyDocument("Syntax errors in policy.")
    if policy is None and not policy_arns and not tags:
        return None
    packed = json.dumps([policy or "", [arn.get("arn") for arn in policy_arns or []], tags or []]).encode()
    size = -(-len(zlib.compress(packed, 9)) * 100 // PACKED_POLICY_LIMIT)
    if size > 100:
        raise PackedPolicyTooLarge(
            f"Packed policy consumes {size}% of allotted space, please use smaller policy for assume role."
        )
    return size


# --- issuing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    key: AccessKey
    secret: str
    session: Session

    def credentials(self) -> dict[str, Any]:
        return {
            "AccessKeyId": self.key.access_key_id,
            "SecretAccessKey": self.secret,
            "SessionToken": self.key.session_token,
            "Expiration": self.key.expires_at,
        }

    def token_sizes(self, requested: int | None) -> dict[str, int]:
        """SessionTokenSize and SessionTokenUtilization, for a request that set MinimumSessionTokenSize."""
        if requested is None:
            return {}
        size = len(self.key.session_token.encode())
        return {"SessionTokenSize": size, "SessionTokenUtilization": min(100, -(-size * 100 // MAX_TOKEN_SIZE))}


def session_issue(
    *,
    sandbox: Sandbox,
    principal_arn: str,
    seconds: int,
    issued_by: str,
    now: dt.datetime,
    min_token_size: int | None = None,
    source_identity: str = "",
    origin_subject: str = "",
    scoped_policies: int = 0,
    expires_at: dt.datetime | None = None,
) -> Issued:
    """New temporary credentials for `principal_arn`, expiring `seconds` from `now` on the sandbox
    clock (or at `expires_at`, when a session keeps its caller's end)."""
    ends = expires_at or (now + dt.timedelta(seconds=seconds)).replace(microsecond=0)
    key, secret = AccessKey.issue(
        sandbox=sandbox,
        now=now,
        temporary=True,
        principal_arn=principal_arn,
        expires_at=ends,
        min_token_size=min_token_size or 0,
    )
    session = Session.objects.create(
        sandbox=sandbox,
        access_key=key,
        issued_by=issued_by,
        source_identity=source_identity,
        origin_subject=origin_subject[:512],
        scoped_policies=scoped_policies,
    )
    return Issued(key, secret, session)


def session_of(access_key: AccessKey | None) -> Session | None:
    """The Session row of a temporary key STS issued, if any."""
    if access_key is None or not access_key.is_temporary:
        return None
    return Session.objects.filter(access_key_id=access_key.pk).first()
