"""Smithy RPC v2 CBOR against botocore itself: every operation of every routed API that speaks json
(CloudWatch lists rpc-v2-cbor first; nothing in the protocol is any service's own, so the others'
models test it as well).

botocore 1.44 still prefers json when a model lists both, so the real-client tests load the
models as CBOR-only (as AWS SDKs that prefer CBOR see them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import cbor2
import pytest

from playground.gateway.errors import AwsError, SerializationException, UnknownOperation
from playground.gateway.protocols import detect
from playground.gateway.protocols.cbor import CborProtocol
from playground.gateway.request import AwsRequest
from playground.gateway.specs import service_model
from tests.gateway.test_protocol_json import (
    botocore_parse,
    check_client_raises,
    check_operation_errors,
    check_output_round_trip,
    check_request_round_trip,
    error_shape_cases,
    operation_cases,
    to_aws_request,
)

PROTOCOL = CborProtocol()
CLOUDWATCH_PATH = "/service/GraniteServiceVersion20100801/operation/"


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


def cbor_request(operation: str, body: bytes, path: str = CLOUDWATCH_PATH) -> AwsRequest:
    return AwsRequest.build(
        method="POST",
        raw_path=path + operation,
        headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"},
        body=body,
    )


def parse(operation: str, body: bytes) -> dict[str, Any]:
    request = cbor_request(operation, body)
    return PROTOCOL.parse(PROTOCOL.operation(service_model("cloudwatch"), request), request)


def test_botocore_cloudwatch_request_is_detected_as_cbor() -> None:
    cloudwatch = service_model("cloudwatch")
    operation = cloudwatch.operation_model("ListMetrics")
    request = to_aws_request("smithy-rpc-v2-cbor", operation, {"Namespace": "AWS/SQS"})
    assert request.headers["smithy-protocol"] == "rpc-v2-cbor"
    found, protocol = detect(cloudwatch, request)
    assert (found, protocol.name) == (cloudwatch, "smithy-rpc-v2-cbor")
    assert PROTOCOL.parse(PROTOCOL.operation(cloudwatch, request), request) == {"Namespace": "AWS/SQS"}


def test_a_cbor_content_type_marks_rpc_v2_only_on_its_route() -> None:
    """POST / with X-Amz-Target is a JSON request (answered in JSON) whatever its Content-Type; on
    the RPC v2 route a CBOR body is RPC v2 even without the smithy-protocol header."""
    cloudwatch = service_model("cloudwatch")
    target = {"Content-Type": "application/cbor", "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"}
    stray = AwsRequest.build(method="POST", raw_path="/", headers=target, body=b"{}")
    assert detect(cloudwatch, stray)[1].name == "json"
    routed = AwsRequest.build(
        method="POST", raw_path=CLOUDWATCH_PATH + "ListMetrics", headers={"Content-Type": "application/cbor"}, body=b""
    )
    assert detect(cloudwatch, routed)[1].name == "smithy-rpc-v2-cbor"


@pytest.mark.parametrize(
    "path",
    [
        "/service/GraniteServiceVersion20100801/operation/NoSuchThing",
        "/service/Other/operation/ListMetrics",
        "/",
        "/service/GraniteServiceVersion20100801",
    ],
)
def test_unknown_path_is_unknown_operation(path: str) -> None:
    request = AwsRequest.build(method="POST", raw_path=path, headers={"smithy-protocol": "rpc-v2-cbor"})
    with pytest.raises(UnknownOperation) as caught:
        PROTOCOL.operation(service_model("cloudwatch"), request)
    assert caught.value.code == "UnknownOperationException"
    assert caught.value.status == 404


def test_path_prefix_before_service_is_allowed() -> None:
    request = cbor_request("ListMetrics", b"", path="/prefix" + CLOUDWATCH_PATH)
    assert PROTOCOL.operation(service_model("cloudwatch"), request).name == "ListMetrics"


def test_empty_body_is_an_empty_input() -> None:
    assert parse("ListMetrics", b"") == {}


@pytest.mark.parametrize(
    "body",
    [b"\xa1", b"\xff\x00", b"\x1c", b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff", cbor2.dumps([1, 2]), cbor2.dumps("x")],
    ids=["truncated", "break", "reserved", "huge-length", "array", "text"],
)
def test_bad_cbor_is_a_serialization_exception(body: bytes) -> None:
    with pytest.raises(SerializationException) as caught:
        parse("ListMetrics", body)
    assert caught.value.status == 400
    assert caught.value.code == "SerializationException"


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"Namespace": 5}, "Namespace"),
        ({"Dimensions": {"Name": "x"}}, "Dimensions"),
        ({"Dimensions": [{"Name": b"bytes"}]}, "Dimensions[0].Name"),
        ({"RecentlyActive": True}, "RecentlyActive"),
    ],
)
def test_wrong_cbor_type_is_a_serialization_exception_naming_the_member(document: dict[str, Any], where: str) -> None:
    with pytest.raises(SerializationException) as caught:
        parse("ListMetrics", cbor2.dumps(document))
    assert f"'{where}'" in caught.value.message


def test_timestamps_are_tag_1_epochs_and_blobs_byte_strings() -> None:
    document = {
        "MetricDataQueries": [{"Id": "q"}],
        "StartTime": cbor2.CBORTag(1, 1700000000.5),
        "EndTime": cbor2.CBORTag(1, 1700000600),
    }
    params = parse("GetMetricData", cbor2.dumps(document))
    assert params["StartTime"] == dt.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=dt.UTC)
    assert params["EndTime"] == dt.datetime(2023, 11, 14, 22, 23, 20, tzinfo=dt.UTC)
    with pytest.raises(SerializationException):
        parse("GetMetricData", cbor2.dumps({**document, "StartTime": "yesterday"}))


def test_undefined_and_null_members_are_absent() -> None:
    assert parse("ListMetrics", cbor2.dumps({"Namespace": None, "MetricName": cbor2.undefined})) == {}


def test_output_uses_tag_1_and_the_rpc_v2_headers() -> None:
    operation = service_model("cloudwatch").operation_model("DescribeAlarmHistory")
    stamp = dt.datetime(2024, 5, 6, 7, 8, 9, 250000, tzinfo=dt.UTC)
    output = {"AlarmHistoryItems": [{"AlarmName": "a", "Timestamp": stamp, "HistoryData": None}]}
    response = PROTOCOL.serialize(operation, output, request_id="r")
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert response.headers["Content-Type"] == "application/cbor"
    assert b"\xc1\xfb" in response.body  # tag 1, then a double: epoch seconds with a fraction
    assert cbor2.loads(response.body) == {"AlarmHistoryItems": [{"AlarmName": "a", "Timestamp": stamp}]}
    parsed = botocore_parse("smithy-rpc-v2-cbor", response, operation.output_shape)
    assert parsed["AlarmHistoryItems"][0]["Timestamp"] == stamp


def test_cloudwatch_error_is_query_compatible() -> None:
    cloudwatch = service_model("cloudwatch")
    operation = cloudwatch.operation_model("GetDashboard")
    error = AwsError("Dashboard x does not exist", code="ResourceNotFound", status=404)
    response = PROTOCOL.serialize_error(cloudwatch, operation, error, request_id="r")
    assert response.status == 404
    assert response.headers["x-amzn-query-error"] == "ResourceNotFound;Sender"
    assert cbor2.loads(response.body) == {
        "__type": "com.amazonaws.cloudwatch#ResourceNotFound",
        "message": "Dashboard x does not exist",
    }
    parsed = botocore_parse("smithy-rpc-v2-cbor", response, operation.output_shape)
    assert parsed["Error"]["Code"] == "ResourceNotFound"


def test_cloudwatch_validation_error_keeps_its_query_code() -> None:
    cloudwatch = service_model("cloudwatch")
    error = AwsError("1 validation error detected: ...", code="ValidationException")
    response = PROTOCOL.serialize_error(cloudwatch, None, error, request_id="r")
    assert response.headers["x-amzn-query-error"] == "ValidationError;Sender"
    parsed = botocore_parse("smithy-rpc-v2-cbor", response, None)
    assert parsed["Error"]["Code"] == "ValidationError"


def test_deeply_nested_cbor_is_a_serialization_exception() -> None:
    with pytest.raises(SerializationException):
        parse("ListMetrics", b"\x81" * 100_000 + b"\x00")
