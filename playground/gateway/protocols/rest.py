"""The REST protocols: operations routed by HTTP method + URI template, members bound to the URI,
query string, headers, status code and body. `RestProtocol` does everything but the body format;
`RestJsonProtocol` adds JSON bodies (Lambda and the other rest-json services). rest-xml (S3) lives
in `rest_xml.py` on the same base.

LIMITATIONS against real AWS:
- hostPrefix endpoint traits are ignored (the operation is found from method + path + query alone).
- A body that fails to parse is answered with SerializationException for every rest-json service;
  some services (Lambda: InvalidRequestContentException) name it differently.
- A request for no known route gets UnknownOperationException (404) whatever the method.
- An empty structure payload (`{}`) reads as an absent member: botocore sends `{}` for both.
- Event streams are framed whole into the response body (HttpResponse.body is bytes), so a
  client sees all events at once, not as they are produced.

A blob payload (botocore's streaming input and output: S3 PutObject's and GetObject's Body) may
be large. On the way in it is bytes, or, when the server spooled the body to disk, the open file
(AwsRequest.body_file); on the way out a provider may return a BodyStream, which the gateway sends
from the file as the socket drains.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, ClassVar

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from playground.gateway.errors import AwsError, SerializationException
from playground.gateway.protocols._document import DocumentError, JsonCodec
from playground.gateway.protocols.base import Protocol
from playground.gateway.protocols.eventstream import event_header, event_message
from playground.gateway.protocols.rest_bindings import (
    Route,
    header_to_value,
    route_table,
    text_to_value,
    value_to_header,
)
from playground.gateway.request import RESPONSE_STATUS, AwsRequest, BodyStream, HttpResponse

# What reading a malformed value raises, turned into the protocol's SerializationException.
_BAD_VALUE = (ValueError, TypeError, KeyError, AttributeError, OverflowError, binascii.Error, UnicodeDecodeError)


class UnknownOperationException(AwsError):
    code = "UnknownOperationException"
    status = 404


def _location(member: Shape) -> str | None:
    return member.serialization.get("location")


def _body_members(shape: StructureShape) -> dict[str, Shape]:
    return {name: member for name, member in shape.members.items() if _location(member) is None}


def _is_raw_payload(member: Shape) -> bool:
    return member.type_name in ("blob", "string") and not member.serialization.get("eventstream")


class RestProtocol(Protocol):
    """Routing and HTTP bindings shared by rest-json and rest-xml.

    A body codec subclass sets `name` and `content_type` and implements:

    - ``parse_body(shape, body) -> dict``: the body document (bytes, maybe empty) as typed Python
      values. `shape` is the input shape when the operation has no payload member (then only its
      members without a `location` are in the body; extra keys returned are dropped), or the payload
      member's structure shape (its `serialization["name"]` is the XML root element name). Raise
      SerializationException (or let ValueError/TypeError escape: the base converts them) on a
      malformed document.
    - ``serialize_body(shape, value) -> bytes``: the inverse, with the same two kinds of `shape`;
      `value` holds only body members and never None values.
    - ``error_document(service, error, shape, fields, *, request_id) -> (headers, body)``: the
      error's body and the codec's extra headers (the base adds the request-id headers, the
      error's own `headers` and the modeled error members bound to headers). `shape` is the
      service's error shape for `error.code` or None; `fields` are the error's fields minus those
      bound to headers.

    And may override:

    - ``request_id_headers(request_id)``: x-amzn-RequestId by default (S3: x-amz-request-id, x-amz-id-2).
    - ``routing_path(service, request)``: the raw path to route on (S3 virtual-hosted style puts the
      bucket in the Host header; return "/bucket" + raw_path there).
    - ``unknown_route(service, request, *, other_methods)``: the AwsError for a request no template
      fits; `other_methods` lists methods whose templates fit the path (for a 405).
    - ``payload_content_type(member)``: Content-Type of a blob/string payload response.
    - ``serialize_event_stream(member, events)``: body bytes for an event-stream payload member.
    """

    name: ClassVar[str] = "rest"
    content_type: ClassVar[str] = "application/octet-stream"

    # --- hooks for the body codec --------------------------------------------------------------
    def parse_body(self, shape: Shape, body: bytes) -> dict[str, Any]:
        raise NotImplementedError

    def serialize_body(self, shape: Shape, value: dict[str, Any]) -> bytes:
        raise NotImplementedError

    def error_document(
        self,
        service: ServiceModel,
        error: AwsError,
        shape: StructureShape | None,
        fields: dict[str, Any],
        *,
        request_id: str,
    ) -> tuple[dict[str, str], bytes]:
        raise NotImplementedError

    def request_id_headers(self, request_id: str) -> dict[str, str]:
        return {"x-amzn-RequestId": request_id}

    def routing_path(self, service: ServiceModel, request: AwsRequest) -> str:
        return request.raw_path or "/"

    def unknown_route(self, service: ServiceModel, request: AwsRequest, *, other_methods: list[str]) -> AwsError:
        return UnknownOperationException(
            f"No operation of {service.service_id} matches {request.method} {request.path}"
        )

    def payload_content_type(self, member: Shape) -> str:
        return "text/plain; charset=utf-8" if member.type_name == "string" else "application/octet-stream"

    def serialize_event_stream(self, member: Shape, events: Any) -> bytes:
        """`events` as botocore's EventStream yields them: {"EventName": {members}} each. Event
        bodies go through `serialize_body`, so every codec gets event streams for free."""
        messages = []
        for event in events:
            for event_name, values in event.items():
                shape = member.members[event_name]
                kind = "exception" if shape.metadata.get("exception") else "event"
                headers = [
                    event_header(":message-type", "string", kind),
                    event_header(f":{kind}-type", "string", event_name),
                ]
                payload_field = next(
                    (field for field in shape.members.values() if field.serialization.get("eventpayload")), None
                )
                body_values: dict[str, Any] = {}
                payload = b""
                content_type = self.content_type
                if payload_field is not None and _is_raw_payload(payload_field):
                    content_type = self.payload_content_type(payload_field)
                for name, item in values.items():
                    field = shape.members[name]
                    if item is None:
                        continue
                    if field.serialization.get("eventheader"):
                        headers.append(event_header(name, field.type_name, item))
                    elif field is payload_field:
                        payload = _raw_bytes(item) if _is_raw_payload(field) else self.serialize_body(field, item)
                    else:
                        body_values[name] = item
                if payload_field is None:
                    payload = self.serialize_body(shape, body_values)
                headers.append(event_header(":content-type", "string", content_type))
                messages.append(event_message(headers, payload))
        return b"".join(messages)

    # --- Protocol ------------------------------------------------------------------------------
    def operation(self, service: ServiceModel, request: AwsRequest) -> OperationModel:
        table = route_table(service)
        path = self.routing_path(service, request)
        query = request.query_dict()
        route = table.find(request.method, path, query)
        if route is None:
            others = [method for method in table.methods_matching(path, query) if method != request.method]
            raise self.unknown_route(service, request, other_methods=others)
        return service.operation_model(route.operation)

    def streams_input(self, service: ServiceModel, request: AwsRequest) -> bool:
        try:
            operation = self.operation(service, request)
        except AwsError:
            return False
        return bool(operation.has_streaming_input)

    def parse(self, operation: OperationModel, request: AwsRequest) -> dict[str, Any]:
        shape = operation.input_shape
        if shape is None:
            return {}
        try:
            return self._parse(operation, shape, request)
        except AwsError:
            raise
        except _BAD_VALUE as problem:
            raise SerializationException(f"Could not read the request: {problem}") from problem

    def _parse(self, operation: OperationModel, shape: StructureShape, request: AwsRequest) -> dict[str, Any]:
        route: Route = route_table(operation.service_model).by_name[operation.name]
        query = request.query_dict()
        labels = route.match(self.routing_path(operation.service_model, request), query) or {}
        params: dict[str, Any] = {}
        claimed_query = route.query_literal_names()
        query_maps: list[tuple[str, Shape]] = []
        for name, member in shape.members.items():
            location = _location(member)
            wire_name = member.serialization.get("name", name)
            if location == "uri":
                if wire_name in labels:
                    params[name] = text_to_value(member, labels[wire_name])
            elif location == "querystring":
                if member.type_name == "map":
                    query_maps.append((name, member))
                    continue
                claimed_query.add(wire_name)
                if wire_name not in query:
                    continue
                values = query[wire_name]
                if member.type_name == "list":
                    params[name] = [text_to_value(member.member, value) for value in values]
                else:
                    params[name] = text_to_value(member, values[0])
            elif location == "header":
                text = request.headers.get(wire_name.lower())
                if text is not None and (text != "" or member.type_name == "string"):
                    params[name] = header_to_value(member, text)
            elif location == "headers":
                prefix = wire_name.lower()
                found = {key[len(prefix) :]: value for key, value in request.headers.items() if key.startswith(prefix)}
                if found:
                    params[name] = found
        for name, member in query_maps:
            found_map: dict[str, Any] = {}
            for key, values in query.items():
                if key in claimed_query:
                    continue
                if member.value.type_name == "list":
                    found_map[key] = [text_to_value(member.value.member, value) for value in values]
                else:
                    found_map[key] = text_to_value(member.value, values[0])
            if found_map:
                params[name] = found_map
        params.update(self._parse_payload(shape, request.body, request.body_file))
        return params

    def _parse_payload(self, shape: StructureShape, body: bytes, body_file: Any = None) -> dict[str, Any]:
        payload = shape.serialization.get("payload")
        if payload is None:
            members = _body_members(shape)
            if not members:
                return {}
            document = self.parse_body(shape, body)
            return {key: value for key, value in document.items() if key in members}
        member = shape.members[payload]
        if body_file is not None and member.type_name == "blob":
            return {payload: body_file}  # a large body, still on disk
        if _is_raw_payload(member):
            if not body and payload not in shape.required_members:
                return {}
            return {payload: body.decode("utf-8") if member.type_name == "string" else body}
        if not body.strip():
            return {}
        value = self.parse_body(member, body)
        if value == {} and payload not in shape.required_members:
            return {}  # botocore sends an empty document when the payload member is absent
        return {payload: value}

    def serialize(self, operation: OperationModel, output: dict[str, Any], *, request_id: str) -> HttpResponse:
        status = int(output.get(RESPONSE_STATUS) or operation.http.get("responseCode", 200))
        headers = self.request_id_headers(request_id)
        shape = operation.output_shape
        if shape is None:
            return HttpResponse(status, headers, b"")
        body_values: dict[str, Any] = {}
        for name, member in shape.members.items():
            value = output.get(name)
            if value is None:
                continue
            location = _location(member)
            wire_name = member.serialization.get("name", name)
            if location == "statusCode":
                status = int(value)
            elif location == "header":
                if member.type_name == "list" and not value:
                    continue
                headers[wire_name] = value_to_header(member, value)
            elif location == "headers":
                for key, item in value.items():
                    headers[f"{wire_name}{key}"] = str(item)
            else:
                body_values[name] = value
        stream = body_values.get(shape.serialization.get("payload", ""))
        if isinstance(stream, BodyStream):
            if not any(key.lower() == "content-type" for key in headers):
                headers["Content-Type"] = self.payload_content_type(shape.members[shape.serialization["payload"]])
            return HttpResponse(status, headers, b"", stream=stream)
        body = self._serialize_payload(shape, body_values, headers)
        return HttpResponse(status, headers, body)

    def _serialize_payload(self, shape: StructureShape, values: dict[str, Any], headers: dict[str, str]) -> bytes:
        has_type = any(key.lower() == "content-type" for key in headers)
        payload = shape.serialization.get("payload")
        if payload is None:
            if not _body_members(shape):
                return b""
            if not has_type:
                headers["Content-Type"] = self.content_type
            return self.serialize_body(shape, values)
        member = shape.members[payload]
        value = values.get(payload)
        if member.serialization.get("eventstream"):
            if not has_type:
                headers["Content-Type"] = "application/vnd.amazon.eventstream"
            return self.serialize_event_stream(member, value or [])
        if _is_raw_payload(member):
            if not has_type:
                headers["Content-Type"] = self.payload_content_type(member)
            return _raw_bytes(value)
        if value is None:
            return b""
        if not has_type:
            headers["Content-Type"] = self.content_type
        return self.serialize_body(member, value)

    def serialize_error(
        self, service: ServiceModel, operation: OperationModel | None, error: AwsError, *, request_id: str
    ) -> HttpResponse:
        shape = service.shape_for_error_code(error.code)
        headers = self.request_id_headers(request_id)
        fields = {key: value for key, value in error.fields.items() if value is not None}
        if shape is not None:
            for name, member in shape.members.items():
                if name in fields and _location(member) == "header":
                    headers[member.serialization.get("name", name)] = value_to_header(member, fields.pop(name))
        extra, body = self.error_document(service, error, shape, fields, request_id=request_id)
        headers.update(extra)
        headers.update(error.headers)
        return HttpResponse(error.status, headers, body)


def _raw_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, BodyStream):
        return value.read_all()
    if hasattr(value, "read"):  # a file-like object (a stored object's bytes)
        data = value.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(value)  # an iterable of chunks


# --- rest-json ---------------------------------------------------------------------------------
class RestJsonProtocol(RestProtocol):
    """JSON bodies typed by the shape: timestamps as epoch seconds unless the member says
    otherwise, blobs base64, members under their `locationName`. Errors: the code in the
    x-amzn-ErrorType header, the message and modeled members in the body."""

    name = "rest-json"
    content_type = "application/json"

    def __init__(self) -> None:
        self.codec = JsonCodec()  # the same typed JSON documents as the json protocol

    def parse_body(self, shape: Shape, body: bytes) -> dict[str, Any]:
        if not body.strip():
            return {}
        try:
            document = json.loads(body)
        except ValueError as problem:
            raise SerializationException(f"The request body is not valid JSON: {problem}") from problem
        if not isinstance(document, dict):
            raise SerializationException("The request body must be a JSON object.")
        try:
            value = self.codec.read(shape, document, "")
        except DocumentError as problem:
            raise SerializationException(str(problem)) from problem
        return value if isinstance(value, dict) else {}

    def serialize_body(self, shape: Shape, value: dict[str, Any]) -> bytes:
        return _dump(self.codec.write(shape, value))

    def error_document(
        self,
        service: ServiceModel,
        error: AwsError,
        shape: StructureShape | None,
        fields: dict[str, Any],
        *,
        request_id: str,
    ) -> tuple[dict[str, str], bytes]:
        message_key = "message"
        document: dict[str, Any] = {}
        if shape is not None:
            members = shape.members
            for key in ("message", "Message"):
                if key in members:
                    message_key = members[key].serialization.get("name", key)
            known = {name: value for name, value in fields.items() if name in members}
            document.update(self.codec.write(shape, known))
            fields = {name: value for name, value in fields.items() if name not in members}
        document.update({key: _plain(value) for key, value in fields.items()})
        if error.message or message_key not in document:
            document[message_key] = error.message
        headers = {"x-amzn-ErrorType": error.code, "Content-Type": self.content_type}
        return headers, _dump(document)


def _dump(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _plain(value: Any) -> Any:
    """An unmodeled error field as something JSON can carry."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
