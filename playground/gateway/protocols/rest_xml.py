"""rest-xml (S3): the REST bindings of `rest.py` with XML bodies.

Bodies are typed by the shape (see `xml.py`). A structure payload is rooted at the payload member's
locationName; an output without a payload member at S3's name for that response
(ListAllMyBucketsResult, ListBucketResult, ...). Documents carry S3's namespace unless the model
names another. Errors: `<Error><Code/><Message/>...<RequestId/><HostId/></Error>` with the request
id in x-amz-request-id (and x-amz-id-2). Requests may use virtual-hosted addressing
(`bucket.localhost:8000`, `bucket.s3.<region>.amazonaws.com`) and aws-chunked bodies (the SDKs send
those over HTTPS, with the checksum in a trailer). An aws-chunked body in memory is decoded at once,
its trailers becoming headers; one spooled to disk is decoded as it is read (AwsChunkedReader),
and its trailers are the reader's `trailers` once it has been read to the end.

LIMITATIONS against real AWS:
- Bodies of error responses to HEAD requests are not dropped here (the HTTP layer must drop them).
- Chunk signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies are not verified.
- Only S3's namespace is known; other rest-xml services (Route 53, CloudFront) would need theirs.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from typing import Any, BinaryIO, ClassVar
from xml.etree.ElementTree import Element

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from playground.gateway.errors import AwsError
from playground.gateway.protocols.rest import RestProtocol
from playground.gateway.protocols.rest_bindings import route_table
from playground.gateway.protocols.xml import (
    ValueProblem,
    XmlSyntaxError,
    add_namespace,
    parse_document,
    read_value,
    scalar_text,
    text_element,
    to_bytes,
    write_members,
)
from playground.gateway.request import AwsRequest, Headers

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
# The root element S3 answers with, by output shape (botocore ignores it; other SDKs look for it).
# Outputs not listed are rooted at their shape's name, "Output" read as "Result".
ROOT_ELEMENTS: dict[str, str] = {
    "ListBucketsOutput": "ListAllMyBucketsResult",
    "ListDirectoryBucketsOutput": "ListAllMyDirectoryBucketsResult",
    "ListObjectsOutput": "ListBucketResult",
    "ListObjectsV2Output": "ListBucketResult",
    "ListObjectVersionsOutput": "ListVersionsResult",
    "ListMultipartUploadsOutput": "ListMultipartUploadsResult",
    "ListPartsOutput": "ListPartsResult",
    "CreateMultipartUploadOutput": "InitiateMultipartUploadResult",
    "CompleteMultipartUploadOutput": "CompleteMultipartUploadResult",
    "DeleteObjectsOutput": "DeleteResult",
    "GetBucketTaggingOutput": "Tagging",
    "GetObjectTaggingOutput": "Tagging",
    "GetBucketAclOutput": "AccessControlPolicy",
    "GetObjectAclOutput": "AccessControlPolicy",
    "GetBucketVersioningOutput": "VersioningConfiguration",
    "GetBucketCorsOutput": "CORSConfiguration",
    "GetBucketLifecycleConfigurationOutput": "LifecycleConfiguration",
    "GetBucketWebsiteOutput": "WebsiteConfiguration",
    "GetBucketLoggingOutput": "BucketLoggingStatus",
    "GetBucketRequestPaymentOutput": "RequestPaymentConfiguration",
    "GetBucketAccelerateConfigurationOutput": "AccelerateConfiguration",
    "GetObjectAttributesOutput": "GetObjectAttributesResponse",
    "GetBucketLocationOutput": "LocationConstraint",
}
# Outputs whose one member is the root element's text: <LocationConstraint>eu-west-1</LocationConstraint>.
TEXT_ROOTS: dict[str, str] = {"GetBucketLocationOutput": "LocationConstraint"}
_VIRTUAL_HOST = re.compile(r"^(?P<bucket>.+)\.(?:localhost|s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com)$")


class MalformedXML(AwsError):
    code = "MalformedXML"
    status = 400


class IncompleteBody(AwsError):
    code = "IncompleteBody"
    status = 400


class MethodNotAllowed(AwsError):
    code = "MethodNotAllowed"
    status = 405


def host_id(request_id: str) -> str:
    """A stable stand-in for S3's x-amz-id-2 (an opaque base64 token)."""
    return base64.b64encode(hashlib.sha256(request_id.encode()).digest()).decode("ascii")


def bucket_from_host(host: str) -> str | None:
    """The bucket of a virtual-hosted-style request (`bucket.localhost:8000`), else None."""
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    found = _VIRTUAL_HOST.match(hostname.lower())
    return found.group("bucket") if found else None


def dechunk(body: bytes) -> tuple[bytes, dict[str, str]]:
    """The payload and trailing headers of an aws-chunked body:
    `<hex size>[;chunk-signature=...]\\r\\n<data>\\r\\n ... 0\\r\\n<trailer: value\\r\\n>*\\r\\n`."""
    data = bytearray()
    trailers: dict[str, str] = {}
    position = 0
    while True:
        end = body.find(b"\r\n", position)
        if end < 0:
            raise IncompleteBody("The request body terminated unexpectedly")
        size_text = body[position:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise IncompleteBody("The request body has an invalid chunk size") from None
        position = end + 2
        if size == 0:
            break
        chunk = body[position : position + size]
        if len(chunk) != size or body[position + size : position + size + 2] != b"\r\n":
            raise IncompleteBody("The request body terminated unexpectedly")
        data += chunk
        position += size + 2
    for line in body[position:].split(b"\r\n"):
        name, colon, value = line.decode("latin-1").partition(":")
        if colon and name.strip():
            trailers[name.strip().lower()] = value.strip()
    return bytes(data), trailers


class AwsChunkedReader:
    """The payload of an aws-chunked body read from a file, decoded as it is read. `trailers` holds
    the trailing headers (names lower-cased) once read() has returned everything."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.trailers: dict[str, str] = {}
        self.remaining = 0  # bytes left in the current chunk
        self.started = False
        self.done = False

    def _line(self) -> bytes:
        line = self.raw.readline(4096)
        if not line.endswith(b"\n"):
            raise IncompleteBody("The request body terminated unexpectedly")
        return line.rstrip(b"\r\n")

    def _next_chunk(self) -> None:
        if self.started and self._line() != b"":  # the CRLF ending the previous chunk's data
            raise IncompleteBody("The request body terminated unexpectedly")
        self.started = True
        size_text = self._line().split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise IncompleteBody("The request body has an invalid chunk size") from None
        if size > 0:
            self.remaining = size
            return
        self.done = True
        while True:
            line = self.raw.readline(8192)
            text = line.rstrip(b"\r\n")
            if not text:
                break
            name, colon, value = text.decode("latin-1").partition(":")
            if colon and name.strip():
                self.trailers[name.strip().lower()] = value.strip()

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while (size < 0 or len(out) < size) and not self.done:
            if self.remaining == 0:
                self._next_chunk()
                continue
            want = self.remaining if size < 0 else min(self.remaining, size - len(out))
            data = self.raw.read(want)
            if not data:
                raise IncompleteBody("The request body terminated unexpectedly")
            out += data
            self.remaining -= len(data)
        return bytes(out)

    def close(self) -> None:
        self.raw.close()


def decode_aws_chunked(request: AwsRequest) -> AwsRequest:
    """The request with an aws-chunked body decoded and its trailers moved into the headers."""
    encodings = [part.strip() for part in request.headers.get("content-encoding", "").split(",") if part.strip()]
    streaming = request.headers.get("x-amz-content-sha256", "").startswith("STREAMING-")
    if "aws-chunked" not in encodings and not streaming:
        return request
    headers = Headers(request.headers)
    remaining = [part for part in encodings if part != "aws-chunked"]
    if remaining:
        headers["content-encoding"] = ", ".join(remaining)
    else:
        headers.pop("content-encoding", None)
    if request.body_file is not None:
        reader: Any = AwsChunkedReader(request.body_file)
        return dataclasses.replace(request, headers=headers, body_file=reader)
    body, trailers = dechunk(request.body)
    headers.update(trailers)
    return dataclasses.replace(request, body=body, headers=headers)


def _evidence(
    service: ServiceModel, name: str, request: AwsRequest, query: dict[str, list[str]]
) -> tuple[int, bool] | None:
    """How well the request fits an operation whose template it matches: None when it lacks a
    required header or query member, else (how many it carries, whether the operation is current)."""
    operation = service.operation_model(name)
    shape = operation.input_shape
    present = 0
    for member_name in shape.required_members if shape is not None else ():
        member = shape.members[member_name]
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", member_name)
        if location == "header":
            found = wire_name.lower() in request.headers
        elif location == "querystring":
            found = wire_name in query
        else:
            continue
        if not found:
            return None
        present += 1
    return present, not operation.deprecated


class RestXmlProtocol(RestProtocol):
    name: ClassVar[str] = "rest-xml"
    content_type: ClassVar[str] = "application/xml"

    def operation(self, service: ServiceModel, request: AwsRequest) -> OperationModel:
        """S3 gives several operations one template (PUT /{Bucket}/{Key+} is PutObject, CopyObject,
        UploadPart and UploadPartCopy); the required header and query members tell them apart."""
        path = self.routing_path(service, request)
        query = request.query_dict()
        fitting = [
            route
            for route in route_table(service).candidates(request.method, path)
            if route.match(path, query) is not None
        ]
        ranked = [(_evidence(service, route.operation, request, query), route) for route in fitting]
        ranked = [(score, route) for score, route in ranked if score is not None]
        if not ranked:
            return super().operation(service, request)
        _score, best = max(ranked, key=lambda pair: (pair[0], pair[1].specificity))
        return service.operation_model(best.operation)

    def parse(self, operation: OperationModel, request: AwsRequest) -> dict[str, Any]:
        return super().parse(operation, decode_aws_chunked(request))

    def routing_path(self, service: ServiceModel, request: AwsRequest) -> str:
        bucket = bucket_from_host(request.host)
        path = request.raw_path or "/"
        if bucket is None:
            return path
        return f"/{bucket}" if path == "/" else f"/{bucket}{path}"

    def request_id_headers(self, request_id: str) -> dict[str, str]:
        return {"x-amz-request-id": request_id, "x-amz-id-2": host_id(request_id)}

    def unknown_route(self, service: ServiceModel, request: AwsRequest, *, other_methods: list[str]) -> AwsError:
        if other_methods:
            return MethodNotAllowed(
                "The specified method is not allowed against this resource.", fields={"Method": request.method}
            )
        return super().unknown_route(service, request, other_methods=other_methods)

    def payload_content_type(self, member: Shape) -> str:
        return "binary/octet-stream" if member.type_name == "blob" else super().payload_content_type(member)

    # --- the body codec ------------------------------------------------------------------------
    def parse_body(self, shape: Shape, body: bytes) -> dict[str, Any]:
        if not body.strip():
            return {}
        try:
            value = read_value(parse_document(body), shape)
        except (XmlSyntaxError, ValueProblem) as problem:
            raise MalformedXML(
                "The XML you provided was not well-formed or did not validate against our published schema"
            ) from problem
        return value if isinstance(value, dict) else {}

    def serialize_body(self, shape: Shape, value: dict[str, Any]) -> bytes:
        root = Element(self.root_element(shape))
        if "xmlNamespace" in shape.serialization:
            add_namespace(shape, root)
        else:
            root.set("xmlns", S3_NAMESPACE)
        text_member = TEXT_ROOTS.get(shape.name)
        if text_member is not None:
            item = value.get(text_member)
            root.text = scalar_text(shape.members[text_member], item) if item is not None else None
        else:
            write_members(root, shape, value)
        return to_bytes(root)

    def root_element(self, shape: Shape) -> str:
        if "name" in shape.serialization:  # a payload member's locationName
            return str(shape.serialization["name"])
        if shape.name in ROOT_ELEMENTS:
            return ROOT_ELEMENTS[shape.name]
        return shape.name[: -len("Output")] + "Result" if shape.name.endswith("Output") else shape.name

    def error_document(
        self,
        service: ServiceModel,
        error: AwsError,
        shape: StructureShape | None,
        fields: dict[str, Any],
        *,
        request_id: str,
    ) -> tuple[dict[str, str], bytes]:
        root = Element("Error")
        text_element(root, "Code", error.code)
        text_element(root, "Message", error.message)
        members = shape.members if shape is not None else {}
        modeled = {key: value for key, value in fields.items() if key in members}
        if shape is not None and modeled:
            write_members(root, shape, modeled)
        for key, value in fields.items():
            if key not in members and key not in ("Code", "Message", "RequestId", "HostId"):
                text_element(root, key, _plain_text(value))
        text_element(root, "RequestId", request_id)
        text_element(root, "HostId", host_id(request_id))
        return {"Content-Type": self.content_type}, to_bytes(root)


def _plain_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)
