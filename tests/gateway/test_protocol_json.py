"""The AWS JSON protocol against botocore itself, for every operation of every routed API that
speaks json, in its current model or an older client generation's (Athena's JSON 1.1).

Requests are built by botocore's own serializer and must parse back to the parameters; outputs
and errors are read by botocore's own parser (and, for errors, by a real botocore client built from
the same model) and must come back as the provider gave them. The helpers here are shared with
test_protocol_cbor.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import botocore
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict, create_request_object, prepare_request_dict
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from playground.gateway.errors import AwsError, SerializationException, UnknownOperation
from playground.gateway.protocols._document import DocumentError
from playground.gateway.protocols._errors import query_error_code
from playground.gateway.protocols.base import Protocol
from playground.gateway.protocols.json import JsonProtocol
from playground.gateway.request import AwsRequest, HttpResponse
from playground.gateway.specs import service_model
from tests.gateway.shapegen import ShapeGen
from tests.gateway.wire import ENDPOINT, botocore_client, model, speaking

SERVICES = speaking("json")
MESSAGE = "Something went wrong, as planned."


# --- shared helpers -------------------------------------------------------------------------------


def json_model(name: str) -> ServiceModel:
    """The model the gateway reads the API's json requests with (the helpers below test every
    JSON-family encoding against it)."""
    return model(name, "json")


def operation_cases(services: tuple[str, ...] = SERVICES) -> list[Any]:
    return [
        pytest.param(name, operation, id=f"{name}.{operation}")
        for name in services
        for operation in json_model(name).operation_names
    ]


def error_shape_cases(services: tuple[str, ...] = SERVICES) -> list[Any]:
    """Each modeled error of each service once, with the first operation that declares it."""
    cases = []
    for name in services:
        service = json_model(name)
        seen: set[str] = set()
        for operation in service.operation_names:
            for shape in service.operation_model(operation).error_shapes:
                if shape.name not in seen:
                    seen.add(shape.name)
                    cases.append(pytest.param(name, shape.name, operation, id=f"{name}.{shape.name}"))
    return cases


def seed(*parts: str) -> int:
    return zlib.crc32(".".join(parts).encode())


@cache
def botocore_serializer(protocol: str) -> Any:
    return create_serializer(protocol, include_validation=False)


@cache
def botocore_parser(protocol: str) -> Any:
    return create_parser(protocol)


def client(service: str, protocol: str | None = None) -> Any:
    """A botocore client built from the service's json model, speaking `protocol` when given."""
    return botocore_client(service, "json", protocol)


def to_aws_request(protocol: str, operation: OperationModel, params: dict[str, Any]) -> AwsRequest:
    """What botocore would send for these parameters, as the gateway receives it."""
    request_dict = botocore_serializer(protocol).serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = create_request_object(request_dict).prepare()
    return from_prepared(prepared)


def from_prepared(prepared: Any) -> AwsRequest:
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    return AwsRequest.build(
        method=prepared.method,
        raw_path=url.path or "/",
        query_string=url.query,
        headers={key: value.decode() if isinstance(value, bytes) else value for key, value in prepared.headers.items()},
        body=body.encode() if isinstance(body, str) else body,
        host=url.netloc,
    )


def botocore_parse(protocol: str, response: HttpResponse, shape: Shape | None) -> dict[str, Any]:
    parsed: dict[str, Any] = botocore_parser(protocol).parse(response_dict(response), shape)
    return parsed


def response_dict(response: HttpResponse) -> dict[str, Any]:
    return {"status_code": response.status, "headers": HeadersDict(response.headers), "body": response.body}


def expected_status(service: ServiceModel, shape: Shape) -> int:
    return int(shape.metadata.get("error", {}).get("httpStatusCode") or 400)


def expected_code(service: ServiceModel, shape: Shape) -> str:
    """Error.Code as botocore reports it for real AWS: the query-era code on awsQueryCompatible
    services (the model's error code), else the shape name."""
    if "awsQueryCompatible" not in service.metadata:
        return shape.name
    return str(shape.error_code)


def raised_class(exceptions: Any, error: dict[str, Any]) -> Any:
    """The exception class a botocore client raises for this parsed error: by its code, else (a
    client whose model lost the query-era codes, as botocore's SQS model did) by the shape name
    the JSON answer keeps in QueryErrorCode."""
    raised = exceptions.from_code(error["Code"])
    if raised is exceptions.ClientError and error.get("QueryErrorCode"):
        raised = exceptions.from_code(error["QueryErrorCode"])
    return raised


def sharing_code(service: ServiceModel, shape: Shape) -> set[str]:
    """Error shapes that botocore cannot tell apart from this one (same error code)."""
    return _shapes_by_error_code(service)[str(shape.error_code)]


@cache
def _shapes_by_error_code(service: ServiceModel) -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for name in service.shape_names:
        shape = service.shape_for(name)
        if shape.metadata.get("exception"):
            index.setdefault(str(shape.error_code), set()).add(name)
    return index


def make_error(service: ServiceModel, shape: Shape) -> tuple[AwsError, dict[str, Any]]:
    """An AwsError as a provider raises it (code = shape name) and the members botocore should read."""
    fields = ShapeGen(seed(service.service_name, shape.name)).value(shape)
    message_key = "Message" if "Message" in shape.members and "message" not in shape.members else "message"
    fields.pop("message", None)
    fields.pop("Message", None)
    error = AwsError(MESSAGE, code=shape.name, status=expected_status(service, shape), fields=fields)
    modeled = dict(fields)
    if message_key in shape.members:
        modeled[message_key] = MESSAGE
    return error, modeled


def check_request_round_trip(protocol: Protocol, service_name: str, operation_name: str) -> None:
    service = json_model(service_name)
    operation = service.operation_model(operation_name)
    params = ShapeGen(seed(service_name, operation_name)).value(operation.input_shape)
    request = to_aws_request(protocol.name, operation, params)
    found = protocol.operation(service, request)
    assert found.name == operation_name
    assert protocol.parse(found, request) == params


def check_output_round_trip(protocol: Protocol, service_name: str, operation_name: str) -> None:
    operation = json_model(service_name).operation_model(operation_name)
    shape = operation.output_shape
    if shape is not None and shape.event_stream_name:
        check_event_stream_round_trip(protocol, service_name, operation_name)
        return
    output = ShapeGen(seed(service_name, operation_name, "out")).value(shape) if shape is not None else {}
    response = protocol.serialize(operation, output, request_id="req-1")
    assert response.status == 200
    parsed = botocore_parse(protocol.name, response, shape)
    metadata = parsed.pop("ResponseMetadata")
    if shape is not None:  # botocore's RPC v2 parser reads no metadata for an operation without output
        assert metadata["RequestId"] == "req-1"
    assert parsed == output


def check_event_stream_round_trip(protocol: Protocol, service_name: str, operation_name: str) -> None:
    """An output with an event stream: the provider's iterator of events, one of each event type
    of the union, comes back from botocore's own event stream parser as given."""
    operation = json_model(service_name).operation_model(operation_name)
    shape = operation.output_shape
    assert isinstance(shape, StructureShape)
    name = shape.event_stream_name
    union = shape.members[name]
    gen = ShapeGen(seed(service_name, operation_name, "out"))
    rest = {key: gen.value(member) for key, member in shape.members.items() if key != name}
    events = [
        {event: gen.value(member)} for event, member in union.members.items() if not member.metadata.get("exception")
    ]
    response = protocol.serialize(operation, {**rest, name: iter(events)}, request_id="req-1")
    assert (response.status, response.headers["Content-Type"]) == (200, "application/vnd.amazon.eventstream")
    assert response.events is not None
    raw = {
        **response_dict(response),
        "body": _Raw(b"".join(response.events)),
        "context": {"operation_name": operation_name},
    }
    parsed = botocore_parser(protocol.name).parse(raw, shape)
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"
    assert list(parsed.pop(name)) == events
    parsed.pop("ResponseMetadata")
    assert parsed == rest


def check_operation_errors(protocol: Protocol, service_name: str, operation_name: str) -> None:
    service = json_model(service_name)
    operation = service.operation_model(operation_name)
    exceptions = client(service_name).exceptions
    for shape in operation.error_shapes:
        error, modeled = make_error(service, shape)
        response = protocol.serialize_error(service, operation, error, request_id="req-2")
        assert response.status == error.status, shape.name
        parsed = botocore_parse(protocol.name, response, operation.output_shape)
        found = parsed["Error"]
        assert found["Message"] == MESSAGE, shape.name
        assert found["Code"] == expected_code(service, shape), shape.name
        assert parsed["ResponseMetadata"]["RequestId"] == "req-2"
        if "awsQueryCompatible" in service.metadata:
            assert found["QueryErrorCode"] == shape.name
            assert found["Type"] == ("Receiver" if error.status >= 500 and not _sender(shape) else "Sender")
        raised = raised_class(exceptions, found)
        assert raised.__name__ in sharing_code(service, shape), (shape.name, raised)
        # What botocore's endpoint does next: read the modeled members with the shape of the code.
        by_code = service.shape_for_error_code(found["Code"])
        if by_code is not None and by_code.name == shape.name:
            assert botocore_parser(protocol.name).parse(response_dict(response), by_code) == modeled


def _sender(shape: Shape) -> bool:
    return bool(shape.metadata.get("error", {}).get("senderFault"))


def check_client_raises(protocol: Protocol, service_name: str, shape_name: str, operation_name: str) -> None:
    """A real botocore client, its HTTP layer replaced by the gateway's protocol: the request it
    sends parses, and the error it gets back raises the exception class named after the shape."""
    service = json_model(service_name)
    operation = service.operation_model(operation_name)
    shape = service.shape_for(shape_name)
    error, modeled = make_error(service, shape)
    params = ShapeGen(seed(service_name, operation_name)).value(operation.input_shape)
    the_client = client(service_name, protocol.name)
    seen: list[dict[str, Any]] = []

    def answer(request: Any, **kwargs: Any) -> AWSResponse:
        incoming = from_prepared(request)
        seen.append(protocol.parse(protocol.operation(service, incoming), incoming))
        response = protocol.serialize_error(service, operation, error, request_id="req-3")
        return AWSResponse(request.url, response.status, response.headers, _Raw(response.body))

    the_client.meta.events.register("before-send", answer)
    try:
        method = getattr(the_client, botocore.xform_name(operation_name))
        with pytest.raises(the_client.exceptions.ClientError) as caught:
            method(**params)
    finally:
        the_client.meta.events.unregister("before-send", answer)
    assert seen == [params]
    assert type(caught.value).__name__ in sharing_code(service, shape)
    assert caught.value.response["Error"]["Code"] == expected_code(service, shape)
    assert caught.value.response["Error"]["Message"] == MESSAGE
    # The client reads the modeled members with the shape its own model gives the code, if any.
    if type(caught.value).__name__ == shape_name and the_client.meta.service_model.shape_for_error_code(
        expected_code(service, shape)
    ):
        for key, value in modeled.items():
            assert caught.value.response[key] == value


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs: Any) -> Any:
        yield self.body


# --- JSON round trips -----------------------------------------------------------------------------

PROTOCOL = JsonProtocol()


@pytest.mark.parametrize(("service", "operation"), operation_cases())
def test_operation_round_trips_through_botocore(service: str, operation: str, subtests: pytest.Subtests) -> None:
    """One test per operation (the pytest overhead of three would double this file's run time)."""
    with subtests.test("request parses back to the parameters"):
        check_request_round_trip(PROTOCOL, service, operation)
    with subtests.test("output reads back through botocore"):
        check_output_round_trip(PROTOCOL, service, operation)
    with subtests.test("modeled errors read back through botocore"):
        check_operation_errors(PROTOCOL, service, operation)


@pytest.mark.parametrize(("service", "shape", "operation"), error_shape_cases())
def test_client_raises_the_modeled_exception(service: str, shape: str, operation: str) -> None:
    check_client_raises(PROTOCOL, service, shape, operation)


# --- targeted behaviour ---------------------------------------------------------------------------


def json_request(target: str, body: bytes | str, version: str = "1.0") -> AwsRequest:
    return AwsRequest.build(
        method="POST",
        raw_path="/",
        headers={"X-Amz-Target": target, "Content-Type": f"application/x-amz-json-{version}"},
        body=body.encode() if isinstance(body, str) else body,
    )


def parse(service: str, target: str, body: bytes | str) -> dict[str, Any]:
    current = service_model(service)
    request = json_request(target, body, current.metadata["jsonVersion"])
    return PROTOCOL.parse(PROTOCOL.operation(current, request), request)


def test_sqs_queue_does_not_exist_is_query_compatible() -> None:
    sqs = service_model("sqs")
    operation = sqs.operation_model("GetQueueUrl")
    error = AwsError("The specified queue does not exist.", code="QueueDoesNotExist", status=400)
    response = PROTOCOL.serialize_error(sqs, operation, error, request_id="r")
    assert response.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    body = json.loads(response.body)
    assert body == {"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."}
    parsed = botocore_parse("json", response, operation.output_shape)
    assert parsed["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert query_error_code(sqs, "QueueDoesNotExist") == "AWS.SimpleQueueService.NonExistentQueue"


def test_error_raised_by_its_query_code_is_named_by_its_shape() -> None:
    sqs = service_model("sqs")
    error = AwsError("gone", code="AWS.SimpleQueueService.NonExistentQueue")
    response = PROTOCOL.serialize_error(sqs, None, error, request_id="r")
    assert json.loads(response.body)["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    assert response.headers["x-amzn-ErrorType"] == "com.amazonaws.sqs#QueueDoesNotExist"
    assert response.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"


def test_unmodeled_error_on_query_compatible_service_keeps_its_code() -> None:
    sqs = service_model("sqs")
    response = PROTOCOL.serialize_error(sqs, None, AwsError("boom", code="InternalFailure", status=500), request_id="r")
    assert response.status == 500
    assert json.loads(response.body) == {"__type": "InternalFailure", "message": "boom"}
    assert response.headers["x-amzn-query-error"] == "InternalFailure;Receiver"


def test_error_on_plain_json_service_has_no_query_header() -> None:
    kms = service_model("kms")
    response = PROTOCOL.serialize_error(kms, None, AwsError("no key", code="NotFoundException"), request_id="r")
    assert "x-amzn-query-error" not in response.headers
    assert response.headers["x-amzn-ErrorType"] == "NotFoundException"
    assert response.headers["x-amzn-RequestId"] == "r"
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(response.body) == {"__type": "NotFoundException", "message": "no key"}


def test_error_headers_from_the_error_are_sent() -> None:
    kms = service_model("kms")
    error = AwsError("slow down", code="ThrottlingException", headers={"Retry-After": "1"})
    assert PROTOCOL.serialize_error(kms, None, error, request_id="r").headers["Retry-After"] == "1"


def test_operation_comes_from_the_target_header() -> None:
    request = json_request("AmazonSQS.ListQueues", "{}")
    assert PROTOCOL.operation(service_model("sqs"), request).name == "ListQueues"


@pytest.mark.parametrize("target", ["AmazonSQS.NoSuchThing", "TrentService.ListQueues", "ListQueues", ""])
def test_unknown_target_is_unknown_operation(target: str) -> None:
    with pytest.raises(UnknownOperation) as caught:
        PROTOCOL.operation(service_model("sqs"), json_request(target, "{}"))
    assert caught.value.code == "UnknownOperationException"
    assert caught.value.status == 400


def test_empty_body_is_an_empty_input() -> None:
    assert parse("sqs", "AmazonSQS.ListQueues", b"") == {}


@pytest.mark.parametrize("body", ["{", "{'QueueName': 1}", "[1, 2]", '"text"', b"\xff\xfe\x00{"])
def test_malformed_json_is_a_serialization_exception(body: bytes | str) -> None:
    with pytest.raises(SerializationException) as caught:
        parse("sqs", "AmazonSQS.CreateQueue", body)
    assert caught.value.status == 400
    assert caught.value.code == "SerializationException"


def test_deeply_nested_json_is_a_serialization_exception() -> None:
    with pytest.raises(SerializationException):
        parse("sqs", "AmazonSQS.CreateQueue", "[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('{"QueueName": 5}', "QueueName"),
        ('{"QueueName": "q", "Attributes": ["a"]}', "Attributes"),
        ('{"QueueName": "q", "Attributes": {"DelaySeconds": 5}}', "Attributes.DelaySeconds"),
        ('{"QueueName": "q", "tags": "x"}', "tags"),
    ],
)
def test_wrong_json_type_is_a_serialization_exception_naming_the_member(body: str, where: str) -> None:
    with pytest.raises(SerializationException) as caught:
        parse("sqs", "AmazonSQS.CreateQueue", body)
    assert caught.value.status == 400
    assert f"'{where}'" in caught.value.message


@pytest.mark.parametrize(
    ("service", "target", "document", "message"),
    [
        (
            "kinesis",
            "Kinesis_20131202.PutRecords",
            {
                "StreamName": "s",
                "Records": [{"Data": "YQ==", "PartitionKey": "k"}, None, {"Data": "!", "PartitionKey": "k"}],
            },
            "Value is not valid base64 at 'Records[2].Data'.",
        ),
        (
            "sqs",
            "AmazonSQS.SendMessageBatch",
            {
                "QueueUrl": "u",
                "Entries": [
                    {"Id": "a", "MessageBody": "m"},
                    {
                        "Id": "b",
                        "MessageBody": "m",
                        "MessageAttributes": {"colour": {"DataType": "Binary", "BinaryValue": 5}},
                    },
                ],
            },
            "Expected a base64-encoded string, found a number at 'Entries[1].MessageAttributes.colour.BinaryValue'.",
        ),
    ],
)
def test_a_wrong_value_deep_in_a_long_list_is_named_by_its_index_and_members(
    service: str, target: str, document: dict[str, Any], message: str
) -> None:
    with pytest.raises(SerializationException) as caught:
        parse(service, target, json.dumps(document))
    assert caught.value.message == message


@pytest.mark.parametrize(
    "data",
    ["YQ", "YQ=", "QUJD=", "QUJ=D", "QQ==QQ==", "QU JD", "QUJD\n", "é"],
    ids=["unpadded", "short-pad", "stray-pad", "inner-pad", "two-quanta-padded", "space", "newline", "non-ascii"],
)
def test_a_blob_is_strict_base64(data: str) -> None:
    """Only the alphabet, whole quanta, padding only at the very end; anything else is refused naming the member."""
    document = {"StreamName": "s", "Data": data, "PartitionKey": "k"}
    with pytest.raises(SerializationException) as caught:
        parse("kinesis", "Kinesis_20131202.PutRecord", json.dumps(document))
    assert caught.value.message == "Value is not valid base64 at 'Data'."


def test_a_blob_decodes_to_its_bytes() -> None:
    params = parse("kinesis", "Kinesis_20131202.PutRecord", '{"StreamName": "s", "Data": "AP8=", "PartitionKey": "k"}')
    assert params["Data"] == b"\x00\xff"


@pytest.mark.parametrize(
    "value", ['"5"', "true", "1.5", "2147483648", "{}"], ids=["string", "bool", "fraction", "overflow", "object"]
)
def test_integer_member_rejects_other_types(value: str) -> None:
    with pytest.raises(SerializationException):
        parse("sqs", "AmazonSQS.ReceiveMessage", f'{{"QueueUrl": "u", "MaxNumberOfMessages": {value}}}')


def test_integral_number_is_accepted_for_an_integer() -> None:
    params = parse("sqs", "AmazonSQS.ReceiveMessage", '{"QueueUrl": "u", "MaxNumberOfMessages": 5.0}')
    assert params["MaxNumberOfMessages"] == 5


def test_bad_base64_is_a_serialization_exception() -> None:
    body = '{"KeyId": "k", "CiphertextBlob": "not base64!"}'
    with pytest.raises(SerializationException) as caught:
        parse("kms", "TrentService.Decrypt", body)
    assert "CiphertextBlob" in caught.value.message


def test_blob_is_base64_decoded() -> None:
    body = json.dumps({"KeyId": "k", "Plaintext": base64.b64encode(b"\x00\x01secret").decode()})
    assert parse("kms", "TrentService.Encrypt", body)["Plaintext"] == b"\x00\x01secret"


def test_timestamps_are_epoch_seconds_with_fractions() -> None:
    body = '{"StreamName": "s", "ShardId": "x", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": 1700000000.25}'
    params = parse("kinesis", "Kinesis_20131202.GetShardIterator", body)
    assert params["Timestamp"] == dt.datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=dt.UTC)


def test_timestamp_given_as_text_is_a_serialization_exception() -> None:
    body = '{"StreamName": "s", "ShardId": "x", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": "yesterday"}'
    with pytest.raises(SerializationException):
        parse("kinesis", "Kinesis_20131202.GetShardIterator", body)


def test_unknown_members_and_nulls_are_ignored() -> None:
    params = parse("sqs", "AmazonSQS.CreateQueue", '{"QueueName": "q", "Surprise": [1], "Attributes": null}')
    assert params == {"QueueName": "q"}


def test_output_drops_none_and_writes_fractional_timestamps_as_floats() -> None:
    operation = service_model("kinesis").operation_model("DescribeStreamSummary")
    stamp = dt.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=dt.UTC)
    output = {"StreamDescriptionSummary": {"StreamName": "s", "StreamARN": None, "StreamCreationTimestamp": stamp}}
    response = PROTOCOL.serialize(operation, output, request_id="r")
    assert json.loads(response.body) == {
        "StreamDescriptionSummary": {"StreamName": "s", "StreamCreationTimestamp": stamp.timestamp()}
    }
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    parsed = botocore_parse("json", response, operation.output_shape)
    assert parsed["StreamDescriptionSummary"]["StreamCreationTimestamp"] == stamp


def test_output_of_operation_without_output_is_an_empty_object() -> None:
    operation = service_model("sqs").operation_model("DeleteQueue")
    response = PROTOCOL.serialize(operation, {}, request_id="r")
    assert response.body == b"{}"
    assert response.headers["x-amzn-RequestId"] == "r"


def test_iso8601_timestamp_format_is_honoured_both_ways() -> None:
    shape = Shape("Stamp", {"type": "timestamp", "timestampFormat": "iso8601"})
    codec = PROTOCOL.codec
    stamp = dt.datetime(2024, 2, 29, 12, 0, 1, 123000, tzinfo=dt.UTC)
    assert codec.read(shape, "2024-02-29T12:00:01.123Z") == stamp
    assert codec.read(shape, "2024-02-29T13:00:01.123+01:00") == stamp
    assert codec.write(shape, stamp) == "2024-02-29T12:00:01.123Z"
    with pytest.raises(DocumentError):
        codec.read(shape, 1709208001)


def test_non_finite_doubles_travel_as_strings() -> None:
    shape = Shape("Number", {"type": "double"})
    assert PROTOCOL.codec.write(shape, float("inf")) == "Infinity"
    assert PROTOCOL.codec.read(shape, "NaN") != PROTOCOL.codec.read(shape, "NaN")  # NaN, as botocore sends it
    assert PROTOCOL.codec.read(shape, "-Infinity") == float("-inf")


def test_error_members_take_their_wire_form() -> None:
    kinesis = service_model("kinesis")
    operation = kinesis.operation_model("PutRecord")
    error = AwsError("denied", code="KMSAccessDeniedException", fields={"Surprise": None})
    assert json.loads(PROTOCOL.serialize_error(kinesis, operation, error, request_id="r").body) == {
        "__type": "KMSAccessDeniedException",
        "message": "denied",
    }
