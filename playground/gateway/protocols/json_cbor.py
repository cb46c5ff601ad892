"""AWS JSON encoded as CBOR: what the AWS SDK for Java (v1 and v2, CBOR on by default) and the
Kinesis Client Library send to an API whose model speaks JSON 1.1 (a generation in wire/, such as
Kinesis's). Not Smithy RPC v2 CBOR (cbor.py): the request is the JSON protocol's in every way but
its encoding.

    POST /   X-Amz-Target: <targetPrefix>.<Operation>   Content-Type: application/x-amz-cbor-1.1

Bodies are CBOR maps keyed like the JSON protocol's (a member's locationName, else its name).
Blobs are CBOR byte strings. A timestamp without a timestampFormat trait is CBOR tag 1 holding
epoch *milliseconds* (the Java SDKs' SdkCborGenerator writes `tag 1, Instant.toEpochMilli()` and
read UNIX_TIMESTAMP_MILLIS); one with the trait takes the JSON protocol's form of that format.
Answers have the same Content-Type; errors are a CBOR map with `__type` and `message` (and the
shape's members), with x-amzn-ErrorType, as in the JSON protocol.

LIMITATIONS against real AWS: a bare number is taken for epoch milliseconds, as the tag would
be; CBOR's tag 0 (an RFC 3339 text) is also read as a timestamp.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import cbor2
from botocore.model import Shape

from playground.gateway.protocols._document import Codec, DocumentError, JsonCodec, as_bytes, describe, to_epoch
from playground.gateway.protocols.cbor import load_document
from playground.gateway.protocols.json import JsonProtocol


class EpochMillis:
    """The content of a CBOR tag 1 as these SDKs write it, kept undecoded (cbor2 would read it as
    seconds, far in the future)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


_TAG_1 = {1: lambda value, _immutable: EpochMillis(value)}
_JSON = JsonCodec()  # the forms a timestampFormat trait asks for are the JSON protocol's


class AmzCborCodec(Codec):
    write_serialized_names = True

    def __init__(self) -> None:
        super().__init__()
        self.absent = cbor2.undefined

    def read_blob(self, shape: Shape, value: Any, path: str) -> bytes:
        if not isinstance(value, bytes | bytearray):
            raise DocumentError(path, f"Expected a byte string, found {describe(value)}")
        return bytes(value)

    def read_timestamp(self, shape: Shape, value: Any, path: str) -> dt.datetime:
        if isinstance(value, dt.datetime):  # tag 0
            return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        if "timestampFormat" in shape.serialization:
            return _JSON.read_timestamp(shape, value.value if isinstance(value, EpochMillis) else value, path)
        millis = value.value if isinstance(value, EpochMillis) else value
        if (
            not isinstance(millis, int | float)
            or isinstance(millis, bool)
            or (isinstance(millis, float) and not math.isfinite(millis))
        ):
            raise DocumentError(path, f"Expected a timestamp in epoch milliseconds, found {describe(millis)}")
        return self._epoch_to_datetime(millis / 1000, path)

    def _write_float(self, shape: Shape, value: Any) -> Any:
        return float(value)  # CBOR has NaN and the infinities

    def write_blob(self, shape: Shape, value: Any) -> bytes:
        return as_bytes(value)

    def write_timestamp(self, shape: Shape, value: Any) -> Any:
        if "timestampFormat" in shape.serialization:
            return _JSON.write_timestamp(shape, value)
        return cbor2.CBORTag(1, round(to_epoch(value) * 1000))


class JsonCborProtocol(JsonProtocol):
    name = "json-cbor"

    def __init__(self) -> None:
        super().__init__()
        self.codec = AmzCborCodec()

    def media_type(self, metadata: dict[str, Any]) -> str:
        return f"application/x-amz-cbor-{metadata.get('jsonVersion', '1.1')}"

    def encode(self, document: Any) -> bytes:
        return cbor2.dumps(document)

    def decode(self, body: bytes) -> dict[str, Any]:
        return load_document(body, _TAG_1)
