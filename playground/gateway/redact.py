"""What of a request's parameters the call record keeps: no secrets, no payload bodies."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
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
    result = _redactor(shape, "")(params)
    return result if isinstance(result, dict) else {}


# Each (shape, member name) gets its redacting function once per process: what the shape says
# (secret, payload, its members) is read when the function is made, not for every value. The
# values themselves are judged by their type, as a client may send any.
Redactor = Callable[[Any], Any]
# The services' models are made once per process, so this stays small; the bound is for any
# caller that makes models of its own.
MAX_MADE = 20_000
_made: dict[tuple[int, str], tuple[Shape | None, Redactor]] = {}


def _redactor(shape: Shape | None, name: str) -> Redactor:
    key = (id(shape), name)
    found = _made.get(key)
    if found is None:
        if len(_made) >= MAX_MADE:
            _made.clear()
        found = _made[key] = (shape, _make(shape, name))  # the shape kept: its id stays its own
    return found[1]


def _secret(value: Any) -> str:
    return "***"


def _make(shape: Shape | None, name: str) -> Redactor:
    if name in SECRET_MEMBERS or (
        shape is not None and (shape.serialization.get("sensitive", False) or shape.metadata.get("sensitive"))
    ):
        return _secret
    payload = name in PAYLOAD_MEMBERS
    members = getattr(shape, "members", None) or {}
    value_shape = getattr(shape, "value", None)
    member_shape = getattr(shape, "member", None)
    children: dict[str, Redactor] = {}  # filled on first use: shapes may nest themselves

    def child(key: str) -> Redactor:
        found = children.get(key)
        if found is None:
            found = children[key] = _redactor(members.get(key), key) if members else _redactor(value_shape, "")
        return found

    def run(value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return f"<{len(value)} chars>" if payload else _text(value)
        if kind is dict:
            known = children.get
            return {
                (k if type(k) is str and "\x00" not in k else _key(k)): (known(k) or child(str(k)))(v)
                for k, v in value.items()
            }
        if kind is list:
            item = _redactor(member_shape, name)
            return [item(v) for v in value[:50]]
        if kind is int or kind is float or kind is bool or value is None:
            return value
        if kind is dt.datetime:
            return value.isoformat()
        return _other(value, payload, run)

    return run


def _key(key: Any) -> str:
    return str(key).replace("\x00", "\\u0000")


def _text(value: str) -> str:
    # PostgreSQL's jsonb cannot hold U+0000; the record shows it escaped.
    value = value.replace("\x00", "\\u0000")
    return value[:MAX_STRING] + "…" if len(value) > MAX_STRING else value


def _other(value: Any, payload: bool, run: Redactor) -> Any:
    """Values of any other type: subclasses of the plain ones, bytes, times, streams."""
    if payload and isinstance(value, str | bytes):
        return f"<{len(value)} {'bytes' if isinstance(value, bytes) else 'chars'}>"
    if hasattr(value, "read"):  # a large body streamed from disk
        return "<stream>"
    if isinstance(value, dict):
        return run(dict(value))
    if isinstance(value, list):
        return run(list(value))
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>" if len(value) > 48 else base64.b64encode(value).decode()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if not isinstance(value, str | int | float | bool):
        return f"<{type(value).__name__}>"  # an event stream's iterator, a body sent from a file
    if isinstance(value, str):
        return _text(str(value))
    return value
