"""Data transformation with Lambda through boto3, on the sandbox clock: a real Python handler gets
AWS's event shape and its Ok records are delivered transformed, Dropped ones are gone and
ProcessingFailed ones land under processing-failed/ in AWS's failed-record shape; a handler that
raises fails its whole batch after NumberOfRetries; bad processor parameters are refused."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of
from tests.services.awslambda.conftest import zipped
from tests.services.firehose.conftest import ROLE

pytestmark = pytest.mark.live

Objects = Callable[[str], list[tuple[str, bytes]]]

HANDLER = """
import base64, json

def handler(event, context):
    out = []
    for record in event["records"]:
        text = base64.b64decode(record["data"]).decode()
        shape = sorted(record) == ["approximateArrivalTimestamp", "data", "recordId"]
        if text.startswith("drop"):
            out.append({"recordId": record["recordId"], "result": "Dropped", "data": record["data"]})
        elif text.startswith("bad"):
            out.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
        else:
            body = json.dumps({"upper": text.upper(), "stream": event["deliveryStreamArn"].rpartition("/")[2],
                               "shape": shape, "region": event["region"]}) + "\\n"
            out.append({"recordId": record["recordId"], "result": "Ok",
                        "data": base64.b64encode(body.encode()).decode()})
    return {"records": out}
"""

FAILING = """
def handler(event, context):
    raise ValueError("no luck")
"""


@pytest.fixture
def function(aws: Callable[..., Any], advance: Callable[[float], None], paused: None) -> Callable[[str], str]:
    lam = aws("lambda")

    def make(source: str) -> str:
        name = f"tx-{uuid.uuid4().hex[:8]}"
        arn = lam.create_function(
            FunctionName=name, Runtime="python3.12", Role="arn:aws:iam::123456789012:role/lambda-role",
            Handler="lambda_function.handler", Code={"ZipFile": zipped({"lambda_function.py": source})},
        )["FunctionArn"]  # fmt: skip
        advance(1)
        return str(arn)

    return make


def _processing(arn: str, **parameters: str) -> dict[str, Any]:
    given = [{"ParameterName": "LambdaArn", "ParameterValue": arn}]
    given += [{"ParameterName": name, "ParameterValue": value} for name, value in parameters.items()]
    return {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": given}]}


def test_records_are_transformed_dropped_or_failed_as_the_function_says(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None],
    objects: Objects, function: Callable[[str], str],
) -> None:  # fmt: skip
    arn = function(HANDLER)
    name = make_stream(
        bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60},
        ProcessingConfiguration=_processing(f"{arn}:$LATEST", BufferSizeInMBs="1", BufferIntervalInSeconds="60"),
    )  # fmt: skip
    described = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    processing = described["Destinations"][0]["ExtendedS3DestinationDescription"]["ProcessingConfiguration"]
    assert processing["Processors"][0]["Type"] == "Lambda"
    records = [b"one", b"drop me", b"bad record", b"two"]
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": data} for data in records])
    advance(59)
    assert objects(bucket) == []
    advance(1)
    written = dict(objects(bucket))
    [delivered] = [body for key, body in written.items() if not key.startswith("processing-failed/")]
    lines = [json.loads(line) for line in delivered.decode().splitlines()]
    assert lines == [
        {"upper": "ONE", "stream": name, "shape": True, "region": "us-east-1"},
        {"upper": "TWO", "stream": name, "shape": True, "region": "us-east-1"},
    ]
    [(_, failed_body)] = [(k, v) for k, v in written.items() if k.startswith("processing-failed/")]
    [failure] = [json.loads(line) for line in failed_body.decode().splitlines()]
    assert base64.b64decode(failure["rawData"]) == b"bad record"
    assert failure["errorCode"] == "Lambda.ProcessingFailedStatus"
    assert failure["lambdaArn"] == f"{arn}:$LATEST"
    assert failure["attemptsMade"] == 1
    assert set(failure) == {"attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage",
                            "attemptEndingTimestamp", "rawData", "lambdaArn"}  # fmt: skip


def test_a_failing_function_sends_the_whole_batch_to_processing_failed_after_its_retries(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None],
    objects: Objects, function: Callable[[str], str],
) -> None:  # fmt: skip
    arn = function(FAILING)
    name = make_stream(
        bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60},
        ErrorOutputPrefix="errors/!{firehose:error-output-type}/", Prefix="data/!{timestamp:yyyy}/",
        ProcessingConfiguration=_processing(arn, NumberOfRetries="1"),
    )  # fmt: skip
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"a"}, {"Data": b"b"}])
    advance(60)
    [(key, body)] = objects(bucket)
    assert key.startswith("errors/processing-failed/")
    failures = [json.loads(line) for line in body.decode().splitlines()]
    assert [base64.b64decode(f["rawData"]) for f in failures] == [b"a", b"b"]
    assert {f["errorCode"] for f in failures} == {"Lambda.FunctionError"}
    assert {f["attemptsMade"] for f in failures} == {2}
    assert "no luck" in failures[0]["errorMessage"]


def test_bad_processor_parameters_are_refused(firehose: Any, bucket: str, paused: None) -> None:
    destination = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"}
    function = "arn:aws:lambda:us-east-1:123456789012:function:nothing"
    cases = [
        (_processing(function, BufferSizeInMBs="5"), "BufferSizeInMBs 5 is invalid"),
        (_processing(function, BufferIntervalInSeconds="901"), "BufferIntervalInSeconds 901 is invalid"),
        ({"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": []}]}, "LambdaArn must be specified"),
    ]
    for config, words in cases:
        with pytest.raises(ClientError) as caught:
            firehose.create_delivery_stream(
                DeliveryStreamName=f"bad-{uuid.uuid4().hex[:6]}",
                ExtendedS3DestinationConfiguration={**destination, "ProcessingConfiguration": config},
            )
        code, status, message = error_of(caught)
        assert (code, status) == ("InvalidArgumentException", 400)
        assert words in message
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == []
