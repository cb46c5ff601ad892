"""The MD5 digests SQS returns, computed exactly as AWS does, so SDKs that verify them agree.

MD5OfMessageBody is the MD5 of the body's UTF-8 bytes. MD5OfMessageAttributes (and
MD5OfMessageSystemAttributes, the same algorithm over AWSTraceHeader) digests, for each
attribute in order of name:

    4-byte big-endian length + UTF-8 name
    4-byte big-endian length + UTF-8 data type
    1 byte transport type: 1 String (also Number), 2 Binary, 3 String list, 4 Binary list
    then the value: 4-byte length + bytes (lists: each item so)
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Mapping
from typing import Any

STRING, BINARY, STRING_LIST, BINARY_LIST = 1, 2, 3, 4


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()


def _chunk(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _binary(value: Any) -> bytes:
    """A binary value as held: bytes from the wire, or base64 text as stored."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return base64.b64decode(value)


def md5_of_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    """The digest of message (or message system) attributes; "" when there are none."""
    if not attributes:
        return ""
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes):
        value = attributes[name]
        digest.update(_chunk(name.encode("utf-8")))
        digest.update(_chunk(str(value["DataType"]).encode("utf-8")))
        if value.get("StringValue") is not None:
            digest.update(bytes([STRING]) + _chunk(str(value["StringValue"]).encode("utf-8")))
        elif value.get("BinaryValue") is not None:
            digest.update(bytes([BINARY]) + _chunk(_binary(value["BinaryValue"])))
        elif value.get("StringListValues"):
            digest.update(bytes([STRING_LIST]))
            for item in value["StringListValues"]:
                digest.update(_chunk(str(item).encode("utf-8")))
        elif value.get("BinaryListValues"):
            digest.update(bytes([BINARY_LIST]))
            for item in value["BinaryListValues"]:
                digest.update(_chunk(_binary(item)))
    return digest.hexdigest()
