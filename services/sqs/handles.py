"""Receipt handles: a new one for every receive of a message; only the newest one counts.

A handle names the queue, the message row and the receive's random token. The token is stored on
the message, so a handle from an earlier receive (a different token) is recognisably stale.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass

from services.sqs.exceptions import ReceiptHandleIsInvalid

PREFIX = "AQEB"  # what AWS's handles start with


@dataclass(frozen=True)
class ReceiptHandle:
    queue_pk: int
    message_pk: int
    token: str


def new_token() -> str:
    return secrets.token_hex(16)


def encode(*, queue_pk: int, message_pk: int, token: str) -> str:
    raw = f"{queue_pk}:{message_pk}:{token}".encode()
    return PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid(handle: str) -> ReceiptHandleIsInvalid:
    return ReceiptHandleIsInvalid(f'The input receipt handle "{handle}" is not a valid receipt handle.')


def decode(handle: str, *, queue_pk: int) -> ReceiptHandle:
    """The handle's parts; ReceiptHandleIsInvalid when it is not one of this queue's handles."""
    if not handle or not handle.startswith(PREFIX) or len(handle) > 1024:
        raise invalid(handle)
    body = handle[len(PREFIX) :]
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
        queue_text, message_text, token = text.split(":")
        parsed = ReceiptHandle(int(queue_text), int(message_text), token)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid(handle) from None
    if parsed.queue_pk != queue_pk or len(parsed.token) != 32:
        raise invalid(handle)
    return parsed
