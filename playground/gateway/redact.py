"""What of a request's parameters the call record keeps: no secrets, no payload bodies."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from botocore.model import Shape

MAX_STRING = 256
# Members that carry a payload rather than a setting; the record keeps only their size.
PAYLOAD_MEMBERS = frozenset(
    {
        "MessageBody",
        "Message",
        "Plaintext",
        "CiphertextBlob",
        "Data",
        "Body",
        "ZipFile",
        "Payload",
        "Blob",
        "QueryString",
        "Sql",
        "Sqls",
        "message",
    }
)
SECRET_MEMBERS = frozenset(
    {"SecretAccessKey", "SessionToken", "Password", "MasterUserPassword", "Token", "AuthenticationToken"}
)


def redact(params: dict[str, Any], shape: Shape | None) -> dict[str, Any]:
    result = _redact(params, shape, "")
    return result if isinstance(result, dict) else {}


def _redact(value: Any, shape: Shape | None, name: str) -> Any:
    if name in SECRET_MEMBERS or (shape is not None and shape.serialization.get("sensitive", False)):
        return "***"
    if getattr(shape, "metadata", {}).get("sensitive"):
        return "***"
    if name in PAYLOAD_MEMBERS and isinstance(value, str | bytes):
        return f"<{len(value)} {'bytes' if isinstance(value, bytes) else 'chars'}>"
    if hasattr(value, "read"):  # a large body streamed from disk
        return "<stream>"
    if isinstance(value, dict):
        members = getattr(shape, "members", None) or {}
        value_shape = getattr(shape, "value", None)
        return {
            str(k).replace("\x00", "\\u0000"): _redact(
                v, members.get(k) if members else value_shape, str(k) if members else ""
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v, getattr(shape, "member", None), name) for v in value[:50]]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>" if len(value) > 48 else base64.b64encode(value).decode()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if value is not None and not isinstance(value, str | int | float | bool):
        return f"<{type(value).__name__}>"  # an event stream's iterator, a body sent from a file
    if isinstance(value, str):
        # PostgreSQL's jsonb cannot hold U+0000; the record shows it escaped.
        value = value.replace("\x00", "\\u0000")
        return value[:MAX_STRING] + "…" if len(value) > MAX_STRING else value
    return value
