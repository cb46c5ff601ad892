"""Wire forms no botocore sends, built by hand and signed as the SDKs that send them do: Kinesis
over AWS JSON encoded as CBOR (the Java SDKs and the KCL), CloudWatch in each of its three
protocols, Athena over JSON 1.1. Each gets the operation's answer (NotImplemented, 501, while the
service has no provider) in its own encoding, never a 404 or a 500; CloudWatch's ListMetrics its
(empty) list in each. (Kinesis has its provider: its
CBOR round trips are in tests/services/kinesis/test_live_cbor.py.)"""

from __future__ import annotations

import json
import re
from typing import Any

import cbor2
import pytest
import requests

from tests.conftest import SandboxInfo, Server
from tests.signing import signed_request

pytestmark = pytest.mark.live

AMZ_CBOR = "application/x-amz-cbor-1.1"


def send(
    daphne: Server, sandbox: SandboxInfo, service: str, body: bytes, headers: dict[str, str], path: str = "/"
) -> Any:
    return signed_request(
        daphne.url + path,
        service=service,
        access_key_id=sandbox.access_key_id,
        secret_access_key=sandbox.secret_access_key,
        body=body,
        headers=headers,
        region=sandbox.region,
    )


def kinesis(daphne: Server, sandbox: SandboxInfo, operation: str, document: Any) -> requests.Response:
    body = document if isinstance(document, bytes) else cbor2.dumps(document)
    headers = {"Content-Type": AMZ_CBOR, "X-Amz-Target": f"Kinesis_20131202.{operation}"}
    return send(daphne, sandbox, "kinesis", body, headers)


def assert_cbor_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response.headers["Content-Type"] == AMZ_CBOR
    assert response.headers["x-amzn-ErrorType"] == code
    document: dict[str, Any] = cbor2.loads(response.content)
    assert document["__type"] == code
    return document


def test_kinesis_cbor_list_streams_is_answered_in_cbor(daphne: Server, sandbox: SandboxInfo) -> None:
    response = kinesis(daphne, sandbox, "ListStreams", {})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == AMZ_CBOR
    assert cbor2.loads(response.content)["StreamNames"] == []


def test_kinesis_cbor_put_record_takes_a_byte_string(daphne: Server, sandbox: SandboxInfo) -> None:
    """A well-formed record gets as far as the provider (no such stream); data sent as text, as the
    JSON protocol would send it, is refused by the encoding."""
    record = {"StreamName": "s", "PartitionKey": "k", "Data": b"\x00\x01 raw bytes"}
    assert_cbor_error(kinesis(daphne, sandbox, "PutRecord", record), 400, "ResourceNotFoundException")
    document = assert_cbor_error(
        kinesis(daphne, sandbox, "PutRecord", {**record, "Data": "AAE="}), 400, "SerializationException"
    )
    assert "'Data'" in document["message"]


def test_kinesis_cbor_timestamps_are_tag_1_milliseconds(daphne: Server, sandbox: SandboxInfo) -> None:
    request = {
        "StreamName": "s",
        "ShardId": "shardId-000000000000",
        "ShardIteratorType": "AT_TIMESTAMP",
        "Timestamp": cbor2.CBORTag(1, 1_700_000_000_123),  # what SdkCborGenerator writes
    }
    assert_cbor_error(kinesis(daphne, sandbox, "GetShardIterator", request), 400, "ResourceNotFoundException")
    wrong = {**request, "Timestamp": "yesterday"}
    assert_cbor_error(kinesis(daphne, sandbox, "GetShardIterator", wrong), 400, "SerializationException")


@pytest.mark.parametrize("body", [b"\xff\x00 not cbor", cbor2.dumps([1, 2])], ids=["garbage", "array"])
def test_kinesis_bad_cbor_is_a_serialization_exception_in_cbor(
    daphne: Server, sandbox: SandboxInfo, body: bytes
) -> None:
    assert_cbor_error(kinesis(daphne, sandbox, "ListStreams", body), 400, "SerializationException")


def test_kinesis_unknown_cbor_target_is_an_unknown_operation(daphne: Server, sandbox: SandboxInfo) -> None:
    assert_cbor_error(kinesis(daphne, sandbox, "Teleport", {}), 400, "UnknownOperationException")


def test_kinesis_json_is_answered_in_json(daphne: Server, sandbox: SandboxInfo) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Kinesis_20131202.ListStreams"}
    response = send(daphne, sandbox, "kinesis", b"{}", headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert response.json()["StreamNames"] == []


CLOUDWATCH_TARGET = "GraniteServiceVersion20100801"


def test_cloudwatch_query_form(daphne: Server, sandbox: SandboxInfo) -> None:
    body = b"Action=ListMetrics&Version=2010-08-01&Namespace=AWS%2FSQS"
    response = send(daphne, sandbox, "monitoring", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert re.search(r"<ListMetricsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">", response.text)
    assert re.search(r"<Metrics\s*/>|<Metrics>\s*</Metrics>", response.text)


def test_cloudwatch_json_1_0(daphne: Server, sandbox: SandboxInfo) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"{CLOUDWATCH_TARGET}.ListMetrics"}
    response = send(daphne, sandbox, "monitoring", json.dumps({"Namespace": "AWS/SQS"}).encode(), headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert response.json() == {"Metrics": []}


def test_cloudwatch_rpc_v2_cbor(daphne: Server, sandbox: SandboxInfo) -> None:
    headers = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor", "Accept": "application/cbor"}
    path = f"/service/{CLOUDWATCH_TARGET}/operation/ListMetrics"
    response = send(daphne, sandbox, "monitoring", cbor2.dumps({"Namespace": "AWS/SQS"}), headers, path)
    assert response.status_code == 200
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert cbor2.loads(response.content) == {"Metrics": []}


def test_athena_json_1_1(daphne: Server, sandbox: SandboxInfo) -> None:
    """The form awscli 1.36 sends; today's rest-json form is in test_live_clients."""
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonAthena.GetWorkGroup"}
    response = send(daphne, sandbox, "athena", json.dumps({"WorkGroup": "primary"}).encode(), headers)
    assert response.status_code == 501
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert response.json() == {
        "__type": "NotImplemented",
        "message": "Playground does not emulate athena:GetWorkGroup yet.",
    }


def test_an_unknown_service_in_amz_cbor_is_answered_in_it(daphne: Server, sandbox: SandboxInfo) -> None:
    headers = {"Content-Type": AMZ_CBOR, "X-Amz-Target": "DynamoDB_20120810.ListTables"}
    response = send(daphne, sandbox, "dynamodb", cbor2.dumps({}), headers)
    document = assert_cbor_error(response, 501, "NotImplemented")
    assert "dynamodb" in document["message"]
