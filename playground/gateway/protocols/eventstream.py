"""The AWS event stream encoding (`application/vnd.amazon.eventstream`): how an operation whose
output has an `eventstream` member (Kinesis SubscribeToShard, Transcribe, Bedrock streaming, ...)
sends its events over one long HTTP response, and how botocore's eventstream parser reads them.

Each message is

    prelude:  total length (uint32) | headers length (uint32) | CRC32 of those 8 bytes (uint32)
    headers:  name length (uint8) | name (UTF-8) | value type (uint8) | value
    payload:  the event's document in the protocol's encoding (JSON, CBOR)
    trailer:  CRC32 of everything before it (uint32)

all big-endian. Neither botocore (a decoder only) nor the locked packages offer an encoder, so
this small one is written here (rest.py frames its event payloads with it too). AWS's own
headers (`:message-type`, `:event-type`, `:content-type`, `:exception-type`, `:error-code`,
`:error-message`) are strings (type 7); an event's members marked `eventheader` are typed by
their shape (boolean, integer, long, blob, string, timestamp); the member marked
`eventpayload`, or else the event's other members as one document, is the payload.

A stream opens with an `initial-response` event carrying the output's other members (botocore's
JSON parser requires it), then one message per event; an error met while streaming ends it with
an `exception` message (a modeled error of the stream's union) or an `error` message.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from botocore.model import StructureShape

from playground.gateway.errors import AwsError, InternalFailure
from playground.gateway.protocols._document import to_epoch
from playground.gateway.request import HttpResponse

LOG = logging.getLogger(__name__)

CONTENT_TYPE = "application/vnd.amazon.eventstream"


def event_header(name: str, shape_type: str, value: Any) -> bytes:
    """One typed header of an event-stream message."""
    encoded_name = name.encode("utf-8")
    head = struct.pack(">B", len(encoded_name)) + encoded_name
    if shape_type == "boolean":
        return head + (b"\x00" if value else b"\x01")
    if shape_type == "integer":
        return head + struct.pack(">Bi", 4, value)
    if shape_type == "long":
        return head + struct.pack(">Bq", 5, value)
    if shape_type == "timestamp":
        return head + struct.pack(">Bq", 8, _millis(value))
    if shape_type == "blob":
        raw = bytes(value)
        return head + struct.pack(">BH", 6, len(raw)) + raw
    text = str(value).encode("utf-8")
    return head + struct.pack(">BH", 7, len(text)) + text


def event_message(headers: list[bytes], payload: bytes) -> bytes:
    """A framed message: prelude (total length, headers length, CRC), headers, payload, CRC."""
    header_bytes = b"".join(headers)
    total = 12 + len(header_bytes) + len(payload) + 4
    prelude = struct.pack(">II", total, len(header_bytes))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + header_bytes + payload
    return message + struct.pack(">I", zlib.crc32(message))


def _millis(value: Any) -> int:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return int(moment.replace(microsecond=0).timestamp()) * 1000 + moment.microsecond // 1000
    return math.floor(to_epoch(value) * 1000)


def encode_message(headers: dict[str, str], payload: bytes, typed: bytes = b"") -> bytes:
    """One message with these string headers (then the `typed` ones, already encoded) and payload."""
    return event_message([event_header(name, "string", value) for name, value in headers.items()] + [typed], payload)


def event(event_type: str, payload: bytes, content_type: str, typed: bytes = b"") -> bytes:
    return encode_message(
        {":message-type": "event", ":event-type": event_type, ":content-type": content_type}, payload, typed
    )


def exception(code: str, payload: bytes, content_type: str) -> bytes:
    return encode_message(
        {":message-type": "exception", ":exception-type": code, ":content-type": content_type}, payload
    )


def error(code: str, message: str) -> bytes:
    return encode_message({":message-type": "error", ":error-code": code, ":error-message": message}, b"")


def respond(
    shape: StructureShape,
    output: dict[str, Any],
    *,
    write: Callable[[StructureShape, dict[str, Any]], Any],
    encode: Callable[[Any], bytes],
    content_type: str,
    headers: dict[str, str],
) -> HttpResponse:
    """The answer of an operation whose output has an event stream member: the provider gave an
    iterator of events for that member; the other members go in the initial-response event.
    `content_type` is the protocol's, for each event's payload; `headers` the response's own."""
    name = shape.event_stream_name
    union = shape.members[name]
    assert isinstance(union, StructureShape)
    rest = {key: value for key, value in output.items() if key != name}
    messages = stream_messages(
        union, encode(write(shape, rest)), output.get(name) or (), write=write, encode=encode,
        content_type=content_type, on_unexpected=_internal_failure,
    )  # fmt: skip
    return HttpResponse(200, {**headers, "Content-Type": CONTENT_TYPE}, b"", events=messages)


def _internal_failure(problem: Exception) -> AwsError:
    LOG.error("unexpected error in an event stream", exc_info=problem)
    return InternalFailure("We encountered an internal error. Please try again.")


def stream_messages(
    union: StructureShape,
    initial: bytes,
    events: Iterable[dict[str, Any]],
    *,
    write: Callable[[StructureShape, dict[str, Any]], Any],
    encode: Callable[[Any], bytes],
    content_type: str,
    on_unexpected: Callable[[Exception], AwsError],
) -> Iterator[bytes]:
    """The messages of one response: `initial` (the initial-response document, encoded), then each
    event the provider yields as {event name: members}, written by the union member's shape. An
    AwsError raised by the provider's iterator ends the stream with an exception message when the
    union models it, an error message otherwise; any other exception becomes `on_unexpected`'s."""
    yield event("initial-response", initial, content_type)
    iterator = iter(events)
    try:
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                return
            except AwsError as problem:
                yield _failure(union, problem, encode=encode, content_type=content_type)
                return
            except Exception as unexpected:
                yield _failure(union, on_unexpected(unexpected), encode=encode, content_type=content_type)
                return
            for name, members in item.items():
                shape = union.members[name]
                assert isinstance(shape, StructureShape)
                yield _event(name, shape, members, write=write, encode=encode, content_type=content_type)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def _event(
    name: str,
    shape: StructureShape,
    members: dict[str, Any],
    *,
    write: Callable[[StructureShape, dict[str, Any]], Any],
    encode: Callable[[Any], bytes],
    content_type: str,
) -> bytes:
    """An event: members marked `eventheader` go in headers, the one marked `eventpayload` (if
    any) is the payload as it is (bytes, text, or a document), else the other members are."""
    typed = b""
    body: dict[str, Any] = {}
    payload: bytes | None = None
    for key, value in members.items():
        member = shape.members[key]
        if member.serialization.get("eventheader"):
            typed += event_header(key, member.type_name, value)
        elif member.serialization.get("eventpayload"):
            if member.type_name == "blob":
                payload, content_type = bytes(value), "application/octet-stream"
            elif member.type_name == "string":
                payload, content_type = str(value).encode("utf-8"), "text/plain"
            else:
                assert isinstance(member, StructureShape)
                payload = encode(write(member, value))
        else:
            body[key] = value
    if payload is None:
        payload = encode(write(shape, body))
    return event(name, payload, content_type, typed)


def _failure(
    union: StructureShape,
    problem: AwsError,
    *,
    encode: Callable[[Any], bytes],
    content_type: str,
) -> bytes:
    if problem.code in union.members:
        return exception(problem.code, encode({"message": problem.message}), content_type)
    return error(problem.code, problem.message)
