"""Encoded authorization messages: the detail of an authorization failure, sealed so that only
DecodeAuthorizationMessage (and a caller allowed to call it) can read it, as AWS does.

A service that refuses a call for lack of permission may attach one (public.py); the message is
the AWS-shaped JSON document, sealed under PLAYGROUND_MASTER_KEY with the account it belongs to.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import InvalidToken

from playground.sandboxes.models import Sandbox, decrypt_secret, encrypt_secret
from services.sts.exceptions import InvalidAuthorizationMessage


def message_encode(*, sandbox: Sandbox, document: dict[str, Any]) -> str:
    return encrypt_secret(json.dumps({"account": sandbox.account_id, "document": document}, separators=(",", ":")))


def message_decode(*, sandbox: Sandbox, encoded: str) -> str:
    """The document an encoded message holds, as the JSON text DecodeAuthorizationMessage returns."""
    try:
        sealed = json.loads(decrypt_secret(encoded.strip()))
    except (InvalidToken, ValueError, UnicodeError):
        raise InvalidAuthorizationMessage() from None
    if not isinstance(sealed, dict) or sealed.get("account") != sandbox.account_id:
        raise InvalidAuthorizationMessage()
    return json.dumps(sealed["document"], separators=(",", ":"))


def authorization_document(
    *,
    principal_arn: str,
    principal_id: str,
    action: str,
    resource: str,
    allowed: bool = False,
    explicit_deny: bool = False,
    conditions: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The decoded document's shape, as AWS's DecodeAuthorizationMessage reference shows it."""
    return {
        "allowed": allowed,
        "explicitDeny": explicit_deny,
        "matchedStatements": {"items": []},
        "failures": {"items": []},
        "context": {
            "principal": {"id": principal_id, "arn": principal_arn},
            "action": action,
            "resource": resource,
            "conditions": {
                "items": [
                    {"key": key, "values": {"items": [{"value": value}]}} for key, value in (conditions or {}).items()
                ]
            },
        },
    }
