"""Malformed and unsupported requests against the live server: AWS-shaped 4xx errors (501 for
what is not emulated yet), never a 500, never a traceback, in every protocol."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import NO_RETRY, SandboxInfo, Server
from tests.signing import signed_request
from tests.waiting import wait_until

pytestmark = pytest.mark.live

JSON_11 = "application/x-amz-json-1.1"


def send(
    server: Server,
    info: SandboxInfo,
    service: str,
    body: bytes,
    headers: dict[str, str],
    path: str = "/",
    method: str = "POST",
) -> Any:
    return signed_request(
        server.url + path, service=service, access_key_id=info.access_key_id,
        secret_access_key=info.secret_access_key, body=body, headers=headers, method=method,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def no_traceback_in_the_log(daphne: Server) -> Iterator[None]:
    """None of these requests makes the server log a traceback (checked for what it logged during
    each test: the session's server also serves the other tests of this worker)."""
    start = daphne.log_size()
    yield
    assert "Traceback" not in daphne.log_text(since=start)


def assert_clean(response: Any, status: int) -> None:
    assert response.status_code == status, response.text[:500]
    assert b"Traceback" not in response.content


def test_bad_json_is_a_serialization_exception(daphne: Server, sandbox: SandboxInfo) -> None:
    response = send(
        daphne, sandbox, "kms", b'{"KeyId": ', {"Content-Type": JSON_11, "X-Amz-Target": "TrentService.DescribeKey"}
    )
    assert_clean(response, 400)
    assert response.json()["__type"].endswith("SerializationException")


def test_wrong_json_types_are_refused(daphne: Server, sandbox: SandboxInfo) -> None:
    response = send(
        daphne, sandbox, "kms", b'{"Limit": "ten"}', {"Content-Type": JSON_11, "X-Amz-Target": "TrentService.ListKeys"}
    )
    assert_clean(response, 400)


def test_a_json_body_that_is_not_an_object_is_refused(daphne: Server, sandbox: SandboxInfo) -> None:
    response = send(
        daphne, sandbox, "kms", b"[1, 2]", {"Content-Type": JSON_11, "X-Amz-Target": "TrentService.ListKeys"}
    )
    assert_clean(response, 400)


def test_unknown_json_target_is_an_unknown_operation(daphne: Server, sandbox: SandboxInfo) -> None:
    response = send(daphne, sandbox, "kms", b"{}", {"Content-Type": JSON_11, "X-Amz-Target": "TrentService.Nope"})
    assert_clean(response, 400)
    assert "UnknownOperation" in response.json()["__type"]


def test_missing_required_parameter_is_a_validation_error(aws: Any) -> None:
    from botocore.config import Config

    unchecked = NO_RETRY.merge(Config(parameter_validation=False))
    with pytest.raises(ClientError) as caught:
        aws("sts", config=unchecked).assume_role(RoleArn="arn:aws:iam::123456789012:role/x")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationError"
    assert "roleSessionName" in error["Error"]["Message"]


def test_bad_xml_body_is_refused(daphne: Server, sandbox: SandboxInfo) -> None:
    response = send(daphne, sandbox, "s3", b"<Tagging><TagSet><Tag>", {"Content-Type": "application/xml"},
                    path="/bucket?tagging", method="PUT")  # fmt: skip
    assert_clean(response, 400)
    assert b"<Code>" in response.content


def test_bad_cbor_body_is_refused(daphne: Server, sandbox: SandboxInfo) -> None:
    response = send(
        daphne, sandbox, "monitoring", b"\xff\x00\x9f garbage",
        {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor", "Accept": "application/cbor"},
        path="/service/GraniteServiceVersion20100801/operation/ListMetrics",
    )  # fmt: skip
    assert_clean(response, 400)


def test_bad_query_parameter_type_is_refused(daphne: Server, sandbox: SandboxInfo) -> None:
    body = (
        b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx"
        b"&RoleSessionName=ab&DurationSeconds=lots"
    )
    response = send(daphne, sandbox, "sts", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert_clean(response, 400)
    assert b"<ErrorResponse" in response.content


def test_unknown_query_action_is_invalid_action(daphne: Server, sandbox: SandboxInfo) -> None:
    response = send(daphne, sandbox, "sts", b"Action=BecomeRoot&Version=2011-06-15",
                    {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert_clean(response, 400)
    assert b"<Code>InvalidAction</Code>" in response.content


def test_an_oversized_body_is_refused_before_reading_it(daphne: Server, sandbox: SandboxInfo) -> None:
    body = b"{" + b" " * (17 * 1024 * 1024) + b"}"
    response = send(daphne, sandbox, "kms", body, {"Content-Type": JSON_11, "X-Amz-Target": "TrentService.ListKeys"})
    assert_clean(response, 413)


def test_an_operation_not_emulated_yet_says_so(aws: Any) -> None:
    with pytest.raises(ClientError) as caught:
        aws("cloudwatch").list_metric_streams()
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["Error"]["Code"] == "NotImplemented"
    assert "cloudwatch:ListMetricStreams" in error["Error"]["Message"]


def test_a_service_not_emulated_says_so(daphne: Server, sandbox: SandboxInfo) -> None:
    client = boto3.client(
        "dynamodb", endpoint_url=daphne.url, region_name="us-east-1",
        aws_access_key_id=sandbox.access_key_id, aws_secret_access_key=sandbox.secret_access_key, config=NO_RETRY,
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        client.list_tables()
    assert caught.value.response["Error"]["Code"] == "NotImplemented"
    assert "dynamodb" in caught.value.response["Error"]["Message"]


def test_the_cli_reports_an_operation_not_emulated(aws_cli: Any) -> None:
    result = aws_cli("emr", "list-clusters", check=False)
    assert result.returncode != 0
    assert "NotImplemented" in result.stderr
    assert "emr:ListClusters" in result.stderr


def test_a_truncated_authorization_header_is_an_incomplete_signature(daphne: Server) -> None:
    import requests

    response = requests.post(
        daphne.url + "/",
        data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=10,
    )
    assert_clean(response, 400)
    assert b"IncompleteSignature" in response.content


def test_api_calls_are_recorded_without_secrets(aws: Any, sandbox: SandboxInfo, db_access: None) -> None:
    from playground.gateway.models import ApiCall

    aws("sts").assume_role(RoleArn=f"arn:aws:iam::{sandbox.account_id}:role/Rec", RoleSessionName="rec")
    # The server writes call records in batches, within about 20 ms of the answer.
    calls = ApiCall.objects.filter(sandbox__account_id=sandbox.account_id, operation="AssumeRole")
    wait_until(calls.exists)
    call = calls.get()
    assert call.service == "sts"
    assert call.params == {"RoleArn": f"arn:aws:iam::{sandbox.account_id}:role/Rec", "RoleSessionName": "rec"}
    assert call.access_key_id == sandbox.access_key_id
    assert call.user_agent.startswith("Boto3/")
    assert call.error_code == ""
    assert call.http_status == 200
    assert json.dumps(call.params).find("SecretAccessKey") == -1


@pytest.mark.parametrize(
    ("service", "call"),
    [
        ("kms", lambda client: client.create_key(Description="a\x00b")),
        ("sns", lambda client: client.create_topic(Name="a\x00b")),
        ("sqs", lambda client: client.list_queues(QueueNamePrefix="a\x00")),
    ],
)
def test_a_null_character_is_refused_with_a_400(aws: Any, service: str, call: Any, db_access: None) -> None:
    from playground.gateway.models import ApiCall

    with pytest.raises(ClientError) as caught:
        call(aws(service))
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "null character" in caught.value.response["Error"]["Message"]
    # The call is still recorded (PostgreSQL cannot store U+0000: the record holds it escaped).
    request_id = caught.value.response["ResponseMetadata"]["RequestId"]
    wait_until(ApiCall.objects.filter(request_id=request_id).exists)


@pytest.mark.parametrize(
    "body",
    [
        b'{"KeyId": "alias/x", "Description": "a\\ud800b"}',  # an escaped lone surrogate: valid JSON, no text
        b'{"KeyId": "alias/x", "Description": "a\xed\xa0\x80b"}',  # the same surrogate encoded: not UTF-8
        b'{"KeyId": "alias/x", "Description": "\\udfff\\ud83d"}',
    ],
)
def test_a_lone_surrogate_in_json_is_a_serialization_exception(
    daphne: Server, sandbox: SandboxInfo, body: bytes
) -> None:
    target = {"Content-Type": JSON_11, "X-Amz-Target": "TrentService.UpdateKeyDescription"}
    response = send(daphne, sandbox, "kms", body, target)
    assert_clean(response, 400)
    assert response.json()["__type"] == "SerializationException"


def test_an_escaped_surrogate_pair_is_one_character(aws: Any, daphne: Server, sandbox: SandboxInfo) -> None:
    key_id = aws("kms").create_key()["KeyMetadata"]["KeyId"]
    body = b'{"KeyId": "%s", "Description": "smile \\ud83d\\ude00"}' % key_id.encode()
    target = {"Content-Type": JSON_11, "X-Amz-Target": "TrentService.UpdateKeyDescription"}
    assert_clean(send(daphne, sandbox, "kms", body, target), 200)
    assert aws("kms").describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "smile \U0001f600"


def test_an_epoch_timestamp_too_large_for_a_float_is_refused(daphne: Server, sandbox: SandboxInfo) -> None:
    body = b'{"KeyId": "alias/x", "ImportToken": "AA==", "EncryptedKeyMaterial": "AA==", "ValidTo": 1%s}' % (b"0" * 400)
    target = {"Content-Type": JSON_11, "X-Amz-Target": "TrentService.ImportKeyMaterial"}
    response = send(daphne, sandbox, "kms", body, target)
    assert_clean(response, 400)
    assert response.json()["__type"] == "SerializationException"


def test_a_query_map_entry_or_list_item_without_a_value_is_left_out(daphne: Server, sandbox: SandboxInfo) -> None:
    created = send(daphne, sandbox, "sqs", b"Action=CreateQueue&QueueName=valueless",
                   {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert_clean(created, 200)
    url = created.text.split("<QueueUrl>")[1].split("</QueueUrl>")[0]
    entry = "SendMessageBatchRequestEntry"  # SQS's query names (its 2012-11-05 query model)
    body = (
        f"Action=SendMessageBatch&QueueUrl={quote(url, safe='')}&{entry}.1.Id=a&{entry}.1.MessageBody=hello"
        f"&{entry}.1.MessageAttribute.1.Name=bare&{entry}.1.MessageSystemAttribute.1.Name=also"
        f"&{entry}.2.Id=b&{entry}.2.MessageBody=x&{entry}.2.MessageAttribute.1.Name=k"
        f"&{entry}.2.MessageAttribute.1.Value.DataType=String&{entry}.2.MessageAttribute.1.Value.StringValue=v"
    ).encode()
    response = send(daphne, sandbox, "sqs", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert_clean(response, 200)
    assert response.content.count(b"<MessageId>") == 2
