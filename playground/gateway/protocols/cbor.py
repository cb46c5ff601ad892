"""Smithy RPC v2 CBOR: POST /service/<ServiceName>/operation/<Operation>, `smithy-protocol:
rpc-v2-cbor`, CBOR bodies. CloudWatch's first protocol in botocore 1.44, so what boto3 and the
CLI speak to it.

Blobs are CBOR byte strings, timestamps tag 1 (epoch seconds). Errors are a CBOR map with
`__type` and the error shape's members, and, on awsQueryCompatible services, the
`x-amzn-query-error` header, exactly like the AWS JSON protocol (see _errors.py).

LIMITATIONS against real AWS: the service segment of the path is matched against the model's
targetPrefix (which is what botocore sends); a request without the smithy-protocol header is
still served.
"""

from __future__ import annotations

import re
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel, StructureShape

from playground.gateway.errors import AwsError, SerializationException, UnknownOperation
from playground.gateway.protocols import eventstream
from playground.gateway.protocols._document import CborCodec, DocumentError
from playground.gateway.protocols._errors import error_document, error_parts
from playground.gateway.protocols.base import Protocol
from playground.gateway.protocols.json import operation_names
from playground.gateway.request import AwsRequest, HttpResponse

CONTENT_TYPE = "application/cbor"
# The spec lets a path prefix come before /service/.
_PATH = re.compile(r"(?:^|/)service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)/?$")


class CborProtocol(Protocol):
    name = "smithy-rpc-v2-cbor"

    def __init__(self) -> None:
        self.codec = CborCodec()

    def operation(self, service: ServiceModel, request: AwsRequest) -> OperationModel:
        match = _PATH.search(request.path)
        expected = service.metadata.get("targetPrefix", "")
        if match is None:
            raise UnknownOperation(
                f"RPC v2 requests are POST /service/{expected}/operation/<Operation>, not {request.path}.",
                status=404,
            )
        name = match["operation"]
        if match["service"] != expected or name not in operation_names(service):
            raise UnknownOperation(f"Unknown operation {match['service']}.{name}.", status=404)
        return service.operation_model(name)

    def parse(self, operation: OperationModel, request: AwsRequest) -> dict[str, Any]:
        document = load_document(request.body)
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

    def _headers(self, request_id: str) -> dict[str, str]:
        return {"Content-Type": CONTENT_TYPE, "smithy-protocol": "rpc-v2-cbor", "x-amzn-RequestId": request_id}

    def serialize(self, operation: OperationModel, output: dict[str, Any], *, request_id: str) -> HttpResponse:
        shape = operation.output_shape
        if isinstance(shape, StructureShape) and shape.event_stream_name:
            return eventstream.respond(
                shape, output, write=self.codec.write, encode=cbor2.dumps, content_type="application/cbor",
                headers=self._headers(request_id),
            )  # fmt: skip
        document = self.codec.write(shape, output) if shape is not None else {}
        return HttpResponse(200, self._headers(request_id), cbor2.dumps(document))

    def serialize_error(
        self, service: ServiceModel, operation: OperationModel | None, error: AwsError, *, request_id: str
    ) -> HttpResponse:
        parts = error_parts(service, operation, error)
        document = error_document(parts, error, self.codec.write)
        headers = self._headers(request_id)
        headers.update(parts.headers)
        headers.update(error.headers)
        return HttpResponse(error.status, headers, cbor2.dumps(document))


def load_document(body: bytes, semantic_decoders: dict[int, Any] | None = None) -> dict[str, Any]:
    """A request body as a CBOR map (an empty body, null or undefined: an empty one)."""
    if not body:
        return {}
    try:
        document = cbor2.loads(body, semantic_decoders=semantic_decoders)
    except RecursionError:
        raise SerializationException("The request body is nested too deeply.") from None
    except Exception as problem:  # cbor2 raises several kinds for malformed input; all mean "not CBOR"
        raise SerializationException(f"The request body is not valid CBOR: {problem}.") from None
    if document is None or document is cbor2.undefined:
        return {}
    if not isinstance(document, dict):
        raise SerializationException("The request body must be a CBOR map.")
    return document
