"""The IAM principals a sandbox's calls act as, and the unique ids AWS gives them.

    principal_id("arn:aws:iam::123456789012:user/alice")                      -> "AIDA..."
    principal_id("arn:aws:sts::123456789012:assumed-role/reader/session-1")   -> "AROA...:session-1"
    principal_id("arn:aws:sts::123456789012:federated-user/bob")              -> "123456789012:bob"
    principal_id("arn:aws:iam::123456789012:root")                            -> "123456789012"

AWS names a principal by a unique id as well as its ARN: an IAM user's id starts AIDA, a role's
AROA, and a session of an assumed role is "<role id>:<session name>"; a federated user (STS
GetFederationToken) is "<account>:<name>" and the account's root user is the account id. That id
is what STS GetCallerIdentity answers as UserId, what SQS records as a message's SenderId and what
CloudTrail writes as principalId, so every service takes it from here. The ids are derived from
the account and the user's or role's name (IAM is not emulated: there is no row to keep a random
one in), so they are stable across calls and sessions, as AWS's are.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

ROLE_SESSION = ":assumed-role/"
FEDERATED_USER = ":federated-user/"


def _unique_id(prefix: str, seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest().upper()
    return prefix + "".join(c for c in digest if c.isalnum())[:17]


def role_id(account_id: str, role_name: str) -> str:
    """The AROA... unique id of a role."""
    return _unique_id("AROA", account_id + role_name)


def assumed_role_id(account_id: str, role_name: str, session_name: str) -> str:
    """AssumedRoleUser.AssumedRoleId: "<role id>:<session name>"."""
    return f"{role_id(account_id, role_name)}:{session_name}"


def federated_user_arn(account_id: str, name: str) -> str:
    return f"arn:aws:sts::{account_id}:federated-user/{name}"


def federated_user_id(account_id: str, name: str) -> str:
    """FederatedUser.FederatedUserId: "<account>:<name>"."""
    return f"{account_id}:{name}"


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


@lru_cache(maxsize=4096)  # every call that names its caller asks (a hash per call otherwise)
def principal_id(principal_arn: str) -> str:
    """The unique id of the principal an ARN names (with ":<session>" for an assumed role)."""
    account_id = principal_arn.split(":")[4] if principal_arn.count(":") >= 5 else ""
    if ROLE_SESSION in principal_arn:
        role, _, session = principal_arn.split(ROLE_SESSION, 1)[1].partition("/")
        return assumed_role_id(account_id, role, session)
    if FEDERATED_USER in principal_arn:
        return federated_user_id(account_id, principal_arn.split(FEDERATED_USER, 1)[1])
    if account_id and principal_arn == root_arn(account_id):
        return account_id
    return _unique_id("AIDA", principal_arn)
