"""rest-json against botocore itself, for every routed API whose model speaks it (Lambda, Athena):
every operation's request goes through botocore's serializer and back through the gateway's parser,
every output through the gateway's serializer and back through botocore's parser, every modeled
error comes out as the client's exception class.

Pure unit tests: no server, no database.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict, create_request_object, prepare_request_dict
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer

from playground.gateway.errors import AwsError, SerializationException
from playground.gateway.protocols import get_protocol
from playground.gateway.protocols.rest import RestJsonProtocol, UnknownOperationException
from playground.gateway.protocols.rest_bindings import split_header_list
from playground.gateway.request import AwsRequest, HttpResponse
from playground.gateway.specs import service_model
from tests.gateway import wire
from tests.gateway.shapegen import ShapeGen

ENDPOINT = "http://localhost:8000"
LAMBDA = service_model("lambda")  # the targeted tests' example
PROTOCOL = RestJsonProtocol()
SERIALIZER = create_serializer("rest-json", include_validation=False)
PARSER = create_parser("rest-json")
APIS = wire.speaking("rest-json")
OPERATIONS = [
    pytest.param(api, name, id=f"{api}.{name}")
    for api in APIS
    for name in sorted(wire.model(api, "rest-json").operation_names)
]
ERROR_SHAPES = [
    pytest.param(api, shape.name, id=f"{api}.{shape.name}")
    for api in APIS
    for shape in sorted(wire.model(api, "rest-json").error_shapes, key=lambda shape: shape.name)
]
# Full values, only required members (absent optional members must stay absent), and full values
# whose free-form strings are rewritten with characters that need escaping (see `awkward`).
GENERATORS: dict[str, float] = {"full": 1.0, "required": 0.0, "awkward": 1.0}  # variant -> fill_optional
# Header values must stay ASCII without surrounding blanks; anywhere else anything goes.
AWKWARD_HEADER = 'a b+c/d%2Fe&f=g?h#i~j:k;l,m"n\\o'
AWKWARD = AWKWARD_HEADER + " ü€🙂 /\n{}[]"


def awkward(shape: Shape, value: Any, *, header: bool = False) -> Any:
    """`value` with every free-form string (not enums, not map keys) replaced by awkward text."""
    kind = shape.type_name
    if kind == "structure" and not shape.metadata.get("document"):
        result = {}
        for name, item in value.items():
            member = shape.members[name]
            in_header = header or member.serialization.get("location") in ("header", "headers")
            result[name] = awkward(member, item, header=in_header)
        return result
    if kind == "list":
        return [awkward(shape.member, item, header=header) for item in value]
    if kind == "map":
        return {key: awkward(shape.value, item, header=header) for key, item in value.items()}
    if kind == "string" and not shape.enum:
        return AWKWARD_HEADER if header else AWKWARD
    return value


def generate(shape: Shape | None, seed: int, variant: str) -> dict[str, Any]:
    if shape is None:
        return {}
    value = ShapeGen(seed, fill_optional=GENERATORS[variant]).value(shape)
    return awkward(shape, value) if variant == "awkward" else value


def client(api: str) -> Any:
    return wire.botocore_client(api, "rest-json")


def botocore_request(operation: OperationModel, params: dict[str, Any]) -> AwsRequest:
    """What botocore's client would put on the wire for these parameters, as the gateway sees it."""
    request_dict = SERIALIZER.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif hasattr(body, "read"):
        body = body.read()
    return AwsRequest.build(
        method=prepared.method,
        raw_path=url.path,
        query_string=url.query,
        headers={key: str(value) for key, value in prepared.headers.items()},
        body=body,
    )


class _RawStream:
    """What botocore's EventStream reads from: the urllib3 response's `stream()`."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self) -> Any:
        yield from (self.data[i : i + 7] for i in range(0, len(self.data), 7))


def botocore_parse(operation: OperationModel, response: HttpResponse, shape: Shape | None = None) -> dict[str, Any]:
    """What botocore's client makes of the gateway's response (streaming bodies read)."""
    body: Any = response.body
    payload_name = operation.output_shape.serialization.get("payload") if operation.output_shape else None
    if response.status < 300 and payload_name is not None:
        payload = operation.output_shape.members[payload_name]
        if payload.serialization.get("eventstream"):
            body = _RawStream(response.body)
        elif operation.has_streaming_output:
            body = StreamingBody(io.BytesIO(response.body), len(response.body))
    raw = {
        "status_code": response.status,
        "headers": HeadersDict(response.headers),
        "body": body,
        "context": {"operation_name": operation.name},
    }
    parsed = PARSER.parse(raw, shape if shape is not None else operation.output_shape)
    parsed.pop("ResponseMetadata", None)
    for key, value in list(parsed.items()):
        if isinstance(value, StreamingBody):
            parsed[key] = value.read()
        elif type(value).__name__ == "EventStream":
            parsed[key] = list(value)
    return parsed


def _event_stream_value(operation: OperationModel, gen: ShapeGen) -> tuple[str, list[dict[str, Any]]] | None:
    """One event of every kind for an event-stream output member (ShapeGen leaves those out)."""
    shape = operation.output_shape
    name = shape.event_stream_name if shape is not None else None
    if name is None:
        return None
    stream = shape.members[name]
    events = [
        {event: gen.value(member)} for event, member in stream.members.items() if not member.metadata.get("exception")
    ]
    return name, events


# --- round trips --------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", GENERATORS)
@pytest.mark.parametrize(("api", "name"), OPERATIONS)
def test_request_round_trips_through_botocore_serializer(api: str, name: str, variant: str) -> None:
    model = wire.model(api, "rest-json")
    operation = model.operation_model(name)
    params = generate(operation.input_shape, 7, variant)
    request = botocore_request(operation, params)

    assert PROTOCOL.operation(model, request).name == name
    assert PROTOCOL.parse(operation, request) == params


@pytest.mark.parametrize("variant", GENERATORS)
@pytest.mark.parametrize(("api", "name"), OPERATIONS)
def test_output_round_trips_through_botocore_parser(api: str, name: str, variant: str) -> None:
    operation = wire.model(api, "rest-json").operation_model(name)
    output = generate(operation.output_shape, 11, variant)
    stream = _event_stream_value(operation, ShapeGen(13))
    if stream is not None:
        output[stream[0]] = stream[1]

    response = PROTOCOL.serialize(operation, output, request_id="req-1")

    assert response.headers["x-amzn-RequestId"] == "req-1"
    # What botocore always reports even when the provider left it out: the status code, the
    # Content-Type header, a streaming payload (empty).
    expected = dict(output)
    shape = operation.output_shape
    for member_name, member in (shape.members if shape is not None else {}).items():
        location = member.serialization.get("location")
        if location == "statusCode":
            expected.setdefault(member_name, operation.http.get("responseCode", 200))
        elif location == "header" and member.serialization.get("name", "").lower() == "content-type":
            expected.setdefault(member_name, response.headers["Content-Type"])
        elif member_name == shape.serialization.get("payload") and operation.has_streaming_output:
            expected.setdefault(member_name, b"")
    assert botocore_parse(operation, response) == expected


@pytest.mark.parametrize(("api", "shape_name"), ERROR_SHAPES)
def test_modeled_error_becomes_the_clients_exception_class(api: str, shape_name: str) -> None:
    model = wire.model(api, "rest-json")
    shape = model.shape_for(shape_name)
    fields = ShapeGen(3).value(shape)
    message_key = "Message" if "Message" in shape.members else "message"
    message = fields.pop(message_key, "it went wrong")
    status = shape.metadata.get("error", {}).get("httpStatusCode", 400)
    error = AwsError(message, code=shape.name, status=status, fields=fields)
    operation = model.operation_model(sorted(model.operation_names)[0])

    response = PROTOCOL.serialize_error(model, operation, error, request_id="req-2")
    parsed = botocore_parse(operation, response)

    assert response.status == error.status
    assert parsed["Error"] == {"Code": shape.name, "Message": message}
    assert client(api).exceptions.from_code(parsed["Error"]["Code"]).__name__ == shape.name
    assert botocore_parse(operation, response, shape) == {**fields, message_key: message}


# --- targeted behaviour -------------------------------------------------------------------------
def _post(path: str, body: bytes, query: str = "") -> AwsRequest:
    return AwsRequest.build(
        method="POST", raw_path=path, query_string=query, headers={"Content-Type": "application/json"}, body=body
    )


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"text"', b'{"FunctionName": 5}', b'{"Timeout": "ten"}', b'{"Code": {"ZipFile": "@@"}}'],
)
def test_malformed_or_mistyped_body_is_a_400_serialization_exception(body: bytes) -> None:
    request = _post("/2015-03-31/functions", body)
    operation = PROTOCOL.operation(LAMBDA, request)
    assert operation.name == "CreateFunction"

    with pytest.raises(SerializationException) as caught:
        PROTOCOL.parse(operation, request)
    response = PROTOCOL.serialize_error(LAMBDA, operation, caught.value, request_id="r")

    assert response.status == 400
    assert response.headers["x-amzn-ErrorType"] == "SerializationException"
    assert botocore_parse(operation, response)["Error"]["Code"] == "SerializationException"


def test_bad_label_value_is_a_serialization_exception() -> None:
    request = AwsRequest.build(method="GET", raw_path="/2018-10-31/layers/lay/versions/seven")
    operation = PROTOCOL.operation(LAMBDA, request)
    assert operation.name == "GetLayerVersion"

    with pytest.raises(SerializationException):
        PROTOCOL.parse(operation, request)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/2015-03-31/nothing"), ("GET", "/"), ("PATCH", "/2015-03-31/functions/f"), ("GET", "/2015-03-31")],
)
def test_unknown_route_is_unknown_operation_exception(method: str, path: str) -> None:
    request = AwsRequest.build(method=method, raw_path=path)

    with pytest.raises(UnknownOperationException) as caught:
        PROTOCOL.operation(LAMBDA, request)
    response = PROTOCOL.serialize_error(LAMBDA, None, caught.value, request_id="r")

    assert response.status == 404
    parsed = botocore_parse(LAMBDA.operation_model("GetFunction"), response)
    assert parsed["Error"]["Code"] == "UnknownOperationException"


def test_percent_encoded_labels_are_decoded_and_may_hold_slashes() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:my fn/odd%name"
    request = botocore_request(LAMBDA.operation_model("GetFunction"), {"FunctionName": arn, "Qualifier": "$LATEST"})
    assert "%3A" in request.raw_path
    assert "%2F" in request.raw_path

    operation = PROTOCOL.operation(LAMBDA, request)

    assert operation.name == "GetFunction"
    assert PROTOCOL.parse(operation, request) == {"FunctionName": arn, "Qualifier": "$LATEST"}


def test_query_literal_in_template_picks_the_more_specific_operation() -> None:
    by_arn = AwsRequest.build(method="GET", raw_path="/2018-10-31/layers", query_string="find=LayerVersion&Arn=a")
    listing = AwsRequest.build(method="GET", raw_path="/2018-10-31/layers", query_string="MaxItems=3")
    configs = AwsRequest.build(
        method="GET", raw_path="/2019-09-30/functions/f/provisioned-concurrency", query_string="List=ALL"
    )

    assert PROTOCOL.operation(LAMBDA, by_arn).name == "GetLayerVersionByArn"
    assert PROTOCOL.operation(LAMBDA, listing).name == "ListLayers"
    assert PROTOCOL.operation(LAMBDA, configs).name == "ListProvisionedConcurrencyConfigs"
    assert PROTOCOL.parse(LAMBDA.operation_model("ListLayers"), listing) == {"MaxItems": 3}


def test_output_status_comes_from_the_model_and_empty_outputs_have_no_body() -> None:
    created = PROTOCOL.serialize(LAMBDA.operation_model("CreateFunction"), {"FunctionName": "f"}, request_id="r")
    deleted = PROTOCOL.serialize(LAMBDA.operation_model("DeleteAlias"), {}, request_id="r")
    invoked = PROTOCOL.serialize(
        LAMBDA.operation_model("Invoke"), {"StatusCode": 200, "Payload": b'{"ok": true}'}, request_id="r"
    )

    assert (created.status, json.loads(created.body)) == (201, {"FunctionName": "f"})
    assert created.headers["Content-Type"] == "application/json"
    assert (deleted.status, deleted.body) == (204, b"")
    assert (invoked.status, invoked.body) == (200, b'{"ok": true}')


def test_unmodeled_error_keeps_code_message_and_extra_fields() -> None:
    error = AwsError("slow down", code="ThrottlingException", status=429, fields={"Reason": "x", "Blob": b"\x00"})

    response = PROTOCOL.serialize_error(LAMBDA, None, error, request_id="r")

    assert response.headers["x-amzn-ErrorType"] == "ThrottlingException"
    assert json.loads(response.body) == {
        "message": "slow down",
        "Reason": "x",
        "Blob": base64.b64encode(b"\x00").decode(),
    }
    assert client("lambda").exceptions.from_code("ResourceNotFoundException").__name__ == "ResourceNotFoundException"


def test_get_protocol_gives_rest_json() -> None:
    assert isinstance(get_protocol("rest-json"), RestJsonProtocol)
    assert get_protocol("rest-json").name == "rest-json"


# --- bindings the Lambda model does not use (S3 and later rest-json services do) --------------------
def _shape(members: dict[str, Any], **traits: Any) -> dict[str, Any]:
    return {"type": "structure", "members": members, **traits}


DEMO = ServiceModel(
    {
        "metadata": {
            "apiVersion": "2024-01-01",
            "endpointPrefix": "demo",
            "protocol": "rest-json",
            "serviceId": "Demo",
            "signatureVersion": "v4",
        },
        "operations": {
            "GetObject": {
                "name": "GetObject",
                "http": {"method": "GET", "requestUri": "/{Bucket}/{Key+}?x-id=GetObject"},
                "input": {"shape": "ObjectInput"},
                "output": {"shape": "ObjectOutput"},
            },
            "ListObjects": {
                "name": "ListObjects",
                "http": {"method": "GET", "requestUri": "/{Bucket}"},
                "input": {"shape": "BucketInput"},
            },
            "GetBucketTagging": {
                "name": "GetBucketTagging",
                "http": {"method": "GET", "requestUri": "/{Bucket}?tagging"},
                "input": {"shape": "BucketInput"},
            },
            "Ping": {
                "name": "Ping",
                "http": {"method": "POST", "requestUri": "/ping"},
                "endpoint": {"hostPrefix": "data-{Bucket}."},
                "input": {"shape": "PingInput"},
            },
            "Search": {
                "name": "Search",
                "http": {"method": "GET", "requestUri": "/search/{Bucket}"},
                "input": {"shape": "SearchInput"},
            },
        },
        "shapes": {
            "String": {"type": "string"},
            "Long": {"type": "long"},
            "Time": {"type": "timestamp"},
            "Strings": {"type": "list", "member": {"shape": "String"}},
            "Times": {"type": "list", "member": {"shape": "Time"}},
            "Meta": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
            "Json": {"type": "string", "jsonvalue": True},
            "Blob": {"type": "blob", "streaming": True},
            "BucketInput": _shape({"Bucket": {"shape": "String", "location": "uri", "locationName": "Bucket"}}),
            "ObjectInput": _shape(
                {
                    "Bucket": {"shape": "String", "location": "uri", "locationName": "Bucket"},
                    "Key": {"shape": "String", "location": "uri", "locationName": "Key"},
                    "Tags": {"shape": "Strings", "location": "header", "locationName": "x-tags"},
                    "Since": {"shape": "Time", "location": "header", "locationName": "If-Modified-Since"},
                    "Dates": {"shape": "Times", "location": "header", "locationName": "x-dates"},
                    "Policy": {"shape": "Json", "location": "header", "locationName": "x-policy"},
                    "Metadata": {"shape": "Meta", "location": "headers", "locationName": "x-amz-meta-"},
                    "Part": {"shape": "Long", "location": "querystring", "locationName": "partNumber"},
                },
                required=["Bucket", "Key"],
            ),
            "ObjectOutput": _shape(
                {
                    "Body": {"shape": "Blob"},
                    "Length": {"shape": "Long", "location": "header", "locationName": "Content-Length"},
                    "Metadata": {"shape": "Meta", "location": "headers", "locationName": "x-amz-meta-"},
                },
                payload="Body",
            ),
            "PingInput": _shape(
                {"Bucket": {"shape": "String", "hostLabel": True}, "When": {"shape": "Time"}}, required=["Bucket"]
            ),
            "SearchInput": _shape(
                {
                    "Bucket": {"shape": "String", "location": "uri", "locationName": "Bucket"},
                    "Terms": {"shape": "Strings", "location": "querystring", "locationName": "term"},
                    "Filters": {"shape": "Meta", "location": "querystring"},
                }
            ),
        },
    },
    service_name="demo",
)


def _demo(method: str, path: str, query: str = "", headers: dict[str, str] | None = None) -> AwsRequest:
    return AwsRequest.build(method=method, raw_path=path, query_string=query, headers=headers)


def test_greedy_label_keeps_slashes_and_decodes() -> None:
    request = _demo("GET", "/bucket/a/b%20c/d%2Fe.txt", "x-id=GetObject&partNumber=2")

    operation = PROTOCOL.operation(DEMO, request)

    assert operation.name == "GetObject"
    assert PROTOCOL.parse(operation, request) == {"Bucket": "bucket", "Key": "a/b c/d/e.txt", "Part": 2}


def test_soft_x_id_literal_may_be_missing_but_not_wrong() -> None:
    assert PROTOCOL.operation(DEMO, _demo("GET", "/bucket/key")).name == "GetObject"
    with pytest.raises(UnknownOperationException):
        PROTOCOL.operation(DEMO, _demo("GET", "/bucket/key", "x-id=PutObject"))


def test_required_query_literal_beats_plain_template_and_trailing_slash_is_tolerated() -> None:
    assert PROTOCOL.operation(DEMO, _demo("GET", "/bucket", "tagging")).name == "GetBucketTagging"
    assert PROTOCOL.operation(DEMO, _demo("GET", "/bucket", "tagging=")).name == "GetBucketTagging"
    assert PROTOCOL.operation(DEMO, _demo("GET", "/bucket")).name == "ListObjects"
    assert PROTOCOL.operation(DEMO, _demo("GET", "/bucket/")).name == "ListObjects"
    assert PROTOCOL.operation(DEMO, _demo("GET", "/search/b")).name == "Search"


def test_header_bindings_lists_dates_json_and_prefix_maps() -> None:
    operation = DEMO.operation_model("GetObject")
    params = {
        "Bucket": "b",
        "Key": "k",
        "Tags": ["plain", "with,comma", 'with"quote'],
        "Since": ShapeGen(1).value(DEMO.shape_for("Time")),
        "Dates": [ShapeGen(2).value(DEMO.shape_for("Time")), ShapeGen(3).value(DEMO.shape_for("Time"))],
        "Policy": {"Version": "2012-10-17", "Statement": []},
        "Metadata": {"owner": "ann", "colour": "blue"},
    }

    request = botocore_request(operation, params)

    assert request.headers["x-amz-meta-owner"] == "ann"
    assert PROTOCOL.parse(operation, request) == params


def test_query_lists_and_query_maps() -> None:
    request = _demo("GET", "/search/b", "term=a&term=b%20c&colour=red&size=L")

    assert PROTOCOL.parse(DEMO.operation_model("Search"), request) == {
        "Bucket": "b",
        "Terms": ["a", "b c"],
        "Filters": {"colour": "red", "size": "L"},
    }


def test_streaming_payload_output_with_header_and_metadata_map() -> None:
    operation = DEMO.operation_model("GetObject")
    output = {"Body": b"\x00\x01bytes", "Metadata": {"owner": "ann"}}

    response = PROTOCOL.serialize(operation, output, request_id="r")

    assert response.headers["Content-Type"] == "application/octet-stream"
    assert botocore_parse(operation, response) == output


def test_header_list_splitting_honours_quotes_and_http_dates() -> None:
    strings, times = DEMO.shape_for("Strings"), DEMO.shape_for("Times")

    assert split_header_list('a, "b,c" ,"d\\"e"', strings.member) == ["a", "b,c", 'd"e']
    assert split_header_list("Mon, 02 Jan 2006 15:04:05 GMT, Tue, 03 Jan 2006 15:04:05 GMT", times.member) == [
        "Mon, 02 Jan 2006 15:04:05 GMT",
        "Tue, 03 Jan 2006 15:04:05 GMT",
    ]


def test_host_prefix_is_ignored_for_routing() -> None:
    operation = DEMO.operation_model("Ping")
    params = {"Bucket": "b1", "When": ShapeGen(4).value(DEMO.shape_for("Time"))}

    request = botocore_request(operation, params)

    assert PROTOCOL.operation(DEMO, request).name == "Ping"
    assert PROTOCOL.parse(operation, request) == params


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("partNumber=two", {}),
        ("", {"x-dates": "yesterday"}),
        ("", {"x-policy": "not base64!"}),
        ("", {"x-policy": "bm90IGpzb24="}),
    ],
)
def test_bad_query_and_header_values_are_serialization_exceptions(query: str, headers: dict[str, str]) -> None:
    request = _demo("GET", "/bucket/key", query, headers)

    with pytest.raises(SerializationException):
        PROTOCOL.parse(DEMO.operation_model("GetObject"), request)


# --- the whole client path, in process ------------------------------------------------------------
class _RawBody:
    """Enough of urllib3's response for botocore: read() for streaming bodies, stream() for the rest."""

    def __init__(self, data: bytes) -> None:
        self._io = io.BytesIO(data)

    def read(self, amt: int | None = None, **_: Any) -> bytes:
        return self._io.read(amt)

    def stream(self, amt: int = 1024, **_: Any) -> Any:
        while chunk := self._io.read(amt):
            yield chunk


def test_real_lambda_client_talks_to_the_protocol() -> None:
    """botocore's own client, its HTTP send replaced by the gateway's protocol calls."""
    client = botocore.session.get_session().create_client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y", endpoint_url=ENDPOINT
    )
    seen: list[tuple[str, dict[str, Any]]] = []
    outputs: dict[str, dict[str, Any]] = {
        "Invoke": {"StatusCode": 200, "Payload": b'{"answer": 42}', "ExecutedVersion": "$LATEST"},
        "InvokeWithResponseStream": {
            "StatusCode": 200,
            "EventStream": [{"PayloadChunk": {"Payload": b"part"}}, {"InvokeComplete": {"LogResult": "ok"}}],
        },
        "ListFunctions": {"Functions": [{"FunctionName": "f", "MemorySize": 128}]},
    }

    def answer(request: Any, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        body = request.body.read() if hasattr(request.body, "read") else (request.body or b"")
        aws = AwsRequest.build(
            method=request.method,
            raw_path=url.path,
            query_string=url.query,
            headers={
                key: value.decode() if isinstance(value, bytes) else value for key, value in request.headers.items()
            },
            body=body.encode() if isinstance(body, str) else body,
        )
        operation = PROTOCOL.operation(LAMBDA, aws)
        seen.append((operation.name, PROTOCOL.parse(operation, aws)))
        if operation.name in outputs:
            response = PROTOCOL.serialize(operation, outputs[operation.name], request_id="rid")
        else:
            error = AwsError("Function not found: f", code="ResourceNotFoundException", status=404)
            response = PROTOCOL.serialize_error(LAMBDA, operation, error, request_id="rid")
        return AWSResponse(request.url, response.status, HeadersDict(response.headers), _RawBody(response.body))

    client.meta.events.register("before-send.lambda", answer)

    invoked = client.invoke(FunctionName="my:fn", Payload=b'{"q": 1}', LogType="Tail")
    streamed = client.invoke_with_response_stream(FunctionName="f", Payload=b"{}")
    listed = client.list_functions(MaxItems=5)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        client.get_function(FunctionName="f")

    assert seen[0] == ("Invoke", {"FunctionName": "my:fn", "Payload": b'{"q": 1}', "LogType": "Tail"})
    assert invoked["Payload"].read() == b'{"answer": 42}'
    assert invoked["ExecutedVersion"] == "$LATEST"
    assert list(streamed["EventStream"]) == outputs["InvokeWithResponseStream"]["EventStream"]
    assert listed["Functions"] == [{"FunctionName": "f", "MemorySize": 128}]
    assert listed["ResponseMetadata"]["RequestId"] == "rid"
    assert missing.value.response["Error"] == {"Code": "ResourceNotFoundException", "Message": "Function not found: f"}
