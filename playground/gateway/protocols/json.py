"""The AWS JSON 1.0 / 1.1 protocol: POST /, `X-Amz-Target: <targetPrefix>.<Operation>`, JSON bodies.

Spoken by every API whose model (or one of whose client generations) lists `json`. Blobs travel
as base64 text, timestamps as epoch seconds (ISO 8601 where a shape says so). json_cbor.py speaks
the same protocol encoded as CBOR.

LIMITATIONS against real AWS: the Content-Type's JSON version is not checked against the model's;
x-amzn-ErrorType carries the bare code, without the `:http://internal.amazon.com/...` suffix.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from botocore.model import OperationModel, ServiceModel, StructureShape

from playground.gateway.errors import AwsError, SerializationException, UnknownOperation
from playground.gateway.protocols import eventstream
from playground.gateway.protocols._document import Codec, DocumentError, JsonCodec
from playground.gateway.protocols._errors import error_document, error_parts
from playground.gateway.protocols.base import Protocol
from playground.gateway.request import AwsRequest, HttpResponse


@cache
def operation_names(service: ServiceModel) -> frozenset[str]:
    return frozenset(service.operation_names)


def content_type(metadata: dict[str, Any]) -> str:
    return f"application/x-amz-json-{metadata.get('jsonVersion', '1.0')}"


class JsonProtocol(Protocol):
    name = "json"

    def __init__(self) -> None:
        self.codec: Codec = JsonCodec()

    def operation(self, service: ServiceModel, request: AwsRequest) -> OperationModel:
        target = request.headers.get("x-amz-target", "")
        prefix, _, name = target.rpartition(".")
        expected = service.metadata.get("targetPrefix", "")
        if not target:
            raise UnknownOperation("The request has no X-Amz-Target header naming the operation.")
        if prefix != expected or name not in operation_names(service):
            raise UnknownOperation(
                f"Unknown operation '{target}': {service.service_id} takes X-Amz-Target '{expected}.<Operation>'."
            )
        return service.operation_model(name)

    def parse(self, operation: OperationModel, request: AwsRequest) -> dict[str, Any]:
        document = self.decode(request.body)
        shape = operation.input_shape
        if shape is None:
            return {}
        try:
            result: dict[str, Any] = self.codec.read(shape, document)
        except DocumentError as problem:
            raise SerializationException(f"{problem}.") from None
        except RecursionError:
            raise SerializationException("The request body is nested too deeply.") from None
        return result

    # --- the encoding (json-cbor speaks the same protocol in CBOR) -------------------------------
    def media_type(self, metadata: dict[str, Any]) -> str:
        return content_type(metadata)

    def encode(self, document: Any) -> bytes:
        return _dumps(document)

    def decode(self, body: bytes) -> dict[str, Any]:
        if not body.strip():
            return {}
        try:
            # Strictly UTF-8: json.loads(bytes) would also take UTF-16 and let encoded surrogates through.
            text = body.decode("utf-8")
            document = json.loads(text)
        except RecursionError:
            raise SerializationException("The request body is nested too deeply.") from None
        except ValueError as problem:  # includes UnicodeDecodeError
            raise SerializationException(f"The request body is not valid JSON: {problem}.") from None
        if not isinstance(document, dict):
            raise SerializationException("The request body must be a JSON object.")
        if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(document):
            # "\ud800" is valid JSON but no Unicode text: it could be neither stored nor answered.
            raise SerializationException("The request body is not valid JSON: a string holds a lone surrogate.")
        return document

    def serialize(self, operation: OperationModel, output: dict[str, Any], *, request_id: str) -> HttpResponse:
        shape = operation.output_shape
        if shape is not None and isinstance(shape, StructureShape) and shape.event_stream_name:
            return eventstream.respond(
                shape, output, write=self.codec.write, encode=self.encode,
                content_type=self.media_type(operation.metadata), headers={"x-amzn-RequestId": request_id},
            )  # fmt: skip
        document = self.codec.write(shape, output) if shape is not None else {}
        return HttpResponse(
            200,
            {"Content-Type": self.media_type(operation.metadata), "x-amzn-RequestId": request_id},
            self.encode(document),
        )

    def serialize_error(
        self, service: ServiceModel, operation: OperationModel | None, error: AwsError, *, request_id: str
    ) -> HttpResponse:
        parts = error_parts(service, operation, error)
        document = error_document(parts, error, self.codec.write)
        headers = {"Content-Type": self.media_type(service.metadata), "x-amzn-RequestId": request_id}
        headers.update(parts.headers)
        headers.update(error.headers)
        return HttpResponse(error.status, headers, self.encode(document))


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: Any) -> bool:
    """Does any string or key hold a surrogate that no pair completed? (The decoder joins the
    escaped pairs of a character outside the BMP, so what is left is alone.)"""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(key) or _has_lone_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def _dumps(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
