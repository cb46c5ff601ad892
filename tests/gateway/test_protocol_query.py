"""The query protocol against botocore itself, for every routed API that speaks query in its current
model or an older client generation's (SQS's 2012-11-05 query form): what botocore's QuerySerializer
sends parses back to the same parameters, and what the gateway answers botocore's QueryParser reads
back to the same output and to the modeled exception class. The helpers here are shared by the ec2
and rest-xml tests."""

from __future__ import annotations

import io
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from playground.gateway import errors
from playground.gateway.errors import AwsError
from playground.gateway.protocols.base import Protocol
from playground.gateway.protocols.query import QueryProtocol, parse_form
from playground.gateway.request import AwsRequest, HttpResponse
from playground.gateway.specs import service_model as current_model
from tests.gateway import wire
from tests.gateway.shapegen import ShapeGen

QUERY_SERVICES = wire.speaking("query")
PROTOCOL = QueryProtocol()
# Every member filled; only the required ones (absent members must stay absent); every member with
# free-form strings that need escaping in a form, a URL or XML; every member, three levels deeper.
VARIANTS = ("full", "required", "awkward", "deep")
AWKWARD = "  a<b>&c\"d'e ü€🙂 /+%2F=?#;,\r\n\t{}[]  "
AWKWARD_HEADER = "a b+c/d%2Fe&f=g?h#i~j:k;l"


# --- helpers shared with the ec2 and rest-xml tests ---------------------------------------------


def awkward(shape: Shape, value: Any, *, header: bool = False) -> Any:
    """value with each free-form string (not enums, not map keys) made awkward; ASCII in headers."""
    kind = shape.type_name
    if kind == "structure":
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
    generator = ShapeGen(seed, fill_optional=0.0) if variant == "required" else ShapeGen(seed)
    if variant == "deep":
        generator = ShapeGen(seed, max_depth=7)
    value = generator.value(shape)
    return awkward(shape, value) if variant == "awkward" else value


def botocore_request(protocol: str, operation: OperationModel, params: dict[str, Any]) -> AwsRequest:
    """The request botocore's own serializer makes for params, as the gateway receives it."""
    serialized = create_serializer(protocol, include_validation=False).serialize_to_request(params, operation)
    prepare_request_dict(serialized, endpoint_url="http://localhost:8000")
    prepared = create_request_object(serialized).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body
    if isinstance(body, io.IOBase):
        body = body.read()
    if isinstance(body, str):
        body = body.encode("utf-8")
    return AwsRequest.build(
        method=prepared.method,
        raw_path=url.path,
        query_string=url.query,
        headers=dict(prepared.headers.items()),
        body=body or b"",
        host=url.netloc,
    )


def botocore_parse(protocol: str, response: HttpResponse, shape: Shape | None) -> dict[str, Any]:
    parsed = create_parser(protocol).parse(
        {"status_code": response.status, "headers": dict(response.headers), "body": response.body}, shape
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


def service_model(service: str) -> ServiceModel:
    """The model the gateway reads the API's query requests with (the ec2 tests' own API speaks ec2)."""
    models = wire.wire_models(service)
    return models["query"] if "query" in models else current_model(service)


@cache
def client(service: str) -> Any:
    """The client of the API's query-speaking generation (today's, where its model speaks query)."""
    protocol = "query" if "query" in wire.wire_models(service) else current_model(service).protocol
    return wire.botocore_client(service, protocol)


def operation_ids(services: tuple[str, ...], names: tuple[str, ...] = ()) -> list[Any]:
    return [
        pytest.param(service, name, id=f"{service}:{name}")
        for service in services
        for name in names or service_model(service).operation_names
    ]


def error_ids(services: tuple[str, ...]) -> list[Any]:
    return [
        pytest.param(service, shape.name, id=f"{service}:{shape.name}")
        for service in services
        for shape in service_model(service).error_shapes
    ]


def assert_exception_class(service: str, code: str, shape_name: str) -> None:
    """A real client raises the class named after the shape. Where the model gives two shapes one wire
    code (CloudWatch's DashboardNotFoundError and ResourceNotFound), the wire cannot tell them apart
    and the client picks one of them."""
    raised = client(service).exceptions.from_code(code)
    if raised.__name__ != shape_name:
        assert service_model(service).shape_for(raised.__name__).error_code == code
        assert service_model(service).shape_for(shape_name).error_code == code
    else:
        assert raised.__name__ == shape_name


def envelope_members(shape: Shape, envelope: dict[str, str]) -> dict[str, str]:
    """The members of an error shape botocore fills from the envelope's own elements (Code, Message)."""
    found = {}
    for name, member in shape.members.items():
        tag = member.serialization.get("name", name)
        if tag in envelope:
            found[name] = envelope[tag]
    return found


_GONE = object()


def pruned(value: Any, shape: Shape, *, keep_empty_lists: bool = True) -> Any:
    """value as the form encoding can carry it: an empty structure sends nothing (nor, for ec2, an
    empty list), so it cannot come back, nor can a list whose elements all sent nothing."""
    result = _prune(value, shape, keep_empty_lists)
    return {} if result is _GONE else result


def _prune(value: Any, shape: Shape, keep_empty_lists: bool) -> Any:
    kind = shape.type_name
    if kind == "structure":
        members = {name: _prune(item, shape.members[name], keep_empty_lists) for name, item in value.items()}
        kept = {name: item for name, item in members.items() if item is not _GONE}
        return kept if kept else _GONE
    if kind == "list":
        if not value:
            return [] if keep_empty_lists else _GONE
        items = [_prune(item, shape.member, keep_empty_lists) for item in value]
        kept_items = [item for item in items if item is not _GONE]
        return kept_items if kept_items else _GONE
    if kind == "map":
        return {key: _prune(item, shape.value, keep_empty_lists) for key, item in value.items()}
    return value


def error_fields(shape: Shape, seed: int) -> dict[str, Any]:
    """Generated members of an error shape, less those the envelope carries (Code, Message)."""
    fields = ShapeGen(seed).value(shape)
    return {key: value for key, value in fields.items() if key.lower() not in ("code", "message", "type")}


def error_status(shape: Shape) -> int:
    return int((shape.metadata.get("error") or {}).get("httpStatusCode", 400))


def output_shape_as_sent(operation: OperationModel) -> Shape | None:
    """The output shape with the result wrapper the gateway writes (`<Operation>Result` where the
    model names none)."""
    shape = operation.output_shape
    if shape is None or "resultWrapper" in shape.serialization:
        return shape
    return operation.service_model.resolve_shape_ref({"shape": shape.name, "resultWrapper": f"{operation.name}Result"})


def check_request_round_trip(
    protocol: Protocol, wire: str, service: str, name: str, variant: str, **prune: bool
) -> None:
    model = service_model(service)
    operation = model.operation_model(name)
    params = generate(operation.input_shape, len(name), variant)
    request = botocore_request(wire, operation, params)
    found = protocol.operation(model, request)
    assert found.name == name
    parsed = protocol.parse(found, request)
    expected = pruned(params, operation.input_shape, **prune) if operation.input_shape else {}
    assert parsed == expected


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("service", "name"), operation_ids(QUERY_SERVICES))
def test_botocore_request_parses_back_to_its_parameters(service: str, name: str, variant: str) -> None:
    check_request_round_trip(PROTOCOL, "query", service, name, variant)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("service", "name"), operation_ids(QUERY_SERVICES))
def test_output_reads_back_through_botocore(service: str, name: str, variant: str) -> None:
    operation = service_model(service).operation_model(name)
    output = generate(operation.output_shape, len(name) + 1, variant)
    response = PROTOCOL.serialize(operation, output, request_id="req-1")
    assert response.status == 200
    assert botocore_parse("query", response, output_shape_as_sent(operation)) == output


@pytest.mark.parametrize(("service", "shape_name"), error_ids(QUERY_SERVICES))
def test_modeled_error_raises_its_exception_class(service: str, shape_name: str) -> None:
    model = service_model(service)
    shape = model.shape_for(shape_name)
    fields = error_fields(shape, seed=len(shape_name))
    error = AwsError("it went wrong", code=shape_name, status=error_status(shape), fields=fields)
    response = PROTOCOL.serialize_error(model, None, error, request_id="req-2")
    assert response.status == error_status(shape)

    parsed = create_parser("query").parse(
        {"status_code": response.status, "headers": response.headers, "body": response.body}, None
    )
    code = parsed["Error"]["Code"]
    assert parsed["Error"]["Message"] == "it went wrong"
    assert parsed["ResponseMetadata"]["RequestId"] == "req-2"
    assert code == (shape.error_code or shape_name)
    assert_exception_class(service, code, shape_name)
    modeled = botocore_parse("query", response, shape)
    envelope = {"Code": parsed["Error"]["Code"], "Message": "it went wrong", "Type": "Sender"}
    assert modeled == {**pruned(fields, shape), **envelope_members(shape, envelope)}


# --- targeted behaviour ------------------------------------------------------------------------


def form_request(body: str, *, query_string: str = "", method: str = "POST") -> AwsRequest:
    return AwsRequest.build(
        method=method,
        raw_path="/",
        query_string=query_string,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=body.encode(),
    )


def test_unknown_action_is_invalid_action() -> None:
    with pytest.raises(errors.InvalidAction) as caught:
        PROTOCOL.operation(service_model("sns"), form_request("Action=Frobnicate&Version=2010-03-31"))
    assert caught.value.status == 400
    assert caught.value.message == "The action Frobnicate is not valid for this web service."


def test_missing_action_is_refused() -> None:
    with pytest.raises(AwsError) as caught:
        PROTOCOL.operation(service_model("sns"), form_request("Version=2010-03-31"))
    assert caught.value.code == "MissingAction"


def test_action_in_the_query_string_of_a_get() -> None:
    model = service_model("sts")
    request = form_request("", query_string="Action=GetSessionToken&DurationSeconds=900", method="GET")
    operation = PROTOCOL.operation(model, request)
    assert operation.name == "GetSessionToken"
    assert PROTOCOL.parse(operation, request) == {"DurationSeconds": 900}


def test_non_numeric_integer_is_a_400() -> None:
    model = service_model("sts")
    request = form_request("Action=GetSessionToken&DurationSeconds=abc")
    with pytest.raises(AwsError) as caught:
        PROTOCOL.parse(PROTOCOL.operation(model, request), request)
    assert caught.value.status == 400
    assert caught.value.code == "ValidationError"
    assert caught.value.message == (
        "1 validation error detected: Value 'abc' at 'durationSeconds' failed to satisfy constraint: "
        "Member must be a number"
    )


def test_non_boolean_is_a_400() -> None:
    model = service_model("redshift")
    request = form_request("Action=ModifyCluster&ClusterIdentifier=c1&PubliclyAccessible=maybe")
    with pytest.raises(AwsError) as caught:
        PROTOCOL.parse(PROTOCOL.operation(model, request), request)
    assert caught.value.status == 400
    assert "Value 'maybe' at 'publiclyAccessible'" in caught.value.message


def test_maps_lists_and_nested_structures_from_hand_written_form() -> None:
    model = service_model("sns")
    request = form_request(
        "Action=CreateTopic&Name=t1"
        "&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Hello"
        "&Tags.member.1.Key=team&Tags.member.1.Value=red&Tags.member.2.Key=env&Tags.member.2.Value=dev"
    )
    params = PROTOCOL.parse(PROTOCOL.operation(model, request), request)
    assert params == {
        "Name": "t1",
        "Attributes": {"DisplayName": "Hello"},
        "Tags": [{"Key": "team", "Value": "red"}, {"Key": "env", "Value": "dev"}],
    }


def test_response_envelope_names_namespace_wrapper_and_request_id() -> None:
    operation = service_model("sts").operation_model("GetCallerIdentity")
    response = PROTOCOL.serialize(operation, {"Account": "123456789012"}, request_id="abc")
    body = response.body.decode()
    assert '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' in body
    assert "<GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult>" in body
    assert "<ResponseMetadata><RequestId>abc</RequestId></ResponseMetadata>" in body


def test_error_document_shape() -> None:
    model = service_model("sns")
    error = AwsError("Topic does not exist", code="NotFoundException", status=404)
    body = PROTOCOL.serialize_error(model, None, error, request_id="r1").body.decode()
    assert "<Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error>" in body
    assert "<RequestId>r1</RequestId></ErrorResponse>" in body


def test_server_fault_is_receiver() -> None:
    error = errors.InternalFailure("boom")
    response = PROTOCOL.serialize_error(service_model("sts"), None, error, request_id="r")
    assert response.status == 500
    assert b"<Type>Receiver</Type>" in response.body


def test_sqs_query_error_uses_the_legacy_wire_code() -> None:
    error = AwsError("The specified queue does not exist.", code="QueueDoesNotExist")
    body = PROTOCOL.serialize_error(service_model("sqs"), None, error, request_id="r").body
    assert b"<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in body


def test_a_bad_value_deep_in_a_list_is_named_by_its_path() -> None:
    model = service_model("cloudwatch")
    request = form_request(
        "Action=PutMetricData&Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1"
        "&MetricData.member.2.MetricName=m&MetricData.member.2.Value=high"
    )
    with pytest.raises(AwsError) as caught:
        PROTOCOL.parse(PROTOCOL.operation(model, request), request)
    assert "Value 'high' at 'metricData.2.member.value'" in caught.value.message


def test_list_indices_that_are_not_ascii_numbers_are_ignored() -> None:
    model = service_model("sns")
    request = form_request(
        "Action=CreateTopic&Name=t&Tags.member.%C2%B2.Key=x&Tags.member.1.Key=k&Tags.member.1.Value=v"
    )
    params = PROTOCOL.parse(PROTOCOL.operation(model, request), request)
    assert params == {"Name": "t", "Tags": [{"Key": "k", "Value": "v"}]}


def test_carriage_returns_survive_the_xml_response() -> None:
    operation = service_model("sns").operation_model("GetTopicAttributes")
    output = {"Attributes": {"Policy": "line one\r\nline two\r"}}
    response = PROTOCOL.serialize(operation, output, request_id="r")
    assert botocore_parse("query", response, operation.output_shape) == output


@pytest.mark.parametrize(
    "body",
    [b"a=1&b=&c", b"x=%zz%41+%2B%", b"%C3%A9=%E2%82%AC%E2%82", b"&&a=%&=b", b"k=%ff%fe%ED%A0%80", b"a=\xff+%41"],
)
def test_form_bodies_decode_as_parse_qsl_does(body: bytes) -> None:
    assert parse_form(body) == parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def test_a_megabyte_of_escapes_decodes_whole() -> None:
    assert parse_form(b"Message=" + b"%C3%A9" * 1_000_000) == [("Message", "\u00e9" * 1_000_000)]
