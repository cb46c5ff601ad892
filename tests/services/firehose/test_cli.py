"""The common Firehose commands through the real `aws` executable, and the errors a student meets
first, as the CLI prints them (code and message on stderr)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.services.firehose.conftest import ROLE

pytestmark = pytest.mark.live


def test_cli_capture_and_load_into_s3(
    aws_cli: Callable[..., Any], advance: Callable[[float], None], paused: None, s3: Any, sandbox: SandboxInfo
) -> None:
    s3.create_bucket(Bucket="cli-lake")
    destination = json.dumps({
        "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::cli-lake", "Prefix": "clicks/",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
    })  # fmt: skip
    created = json.loads(
        aws_cli(
            "firehose", "create-delivery-stream", "--delivery-stream-name", "cli-stream",
            "--extended-s3-destination-configuration", destination,
        ).stdout
    )  # fmt: skip
    assert created["DeliveryStreamARN"].endswith(":deliverystream/cli-stream")
    advance(5)
    put = json.loads(
        aws_cli("firehose", "put-record", "--delivery-stream-name", "cli-stream", "--record", "Data=hello").stdout
    )
    assert put["RecordId"]
    advance(60)
    [item] = s3.list_objects_v2(Bucket="cli-lake")["Contents"]
    assert item["Key"].startswith("clicks/")
    assert s3.get_object(Bucket="cli-lake", Key=item["Key"])["Body"].read() == b"hello"

    missing = aws_cli("firehose", "describe-delivery-stream", "--delivery-stream-name", "nope", check=False)
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr
    assert f"Firehose nope under account {sandbox.account_id} not found." in missing.stderr
    again = aws_cli(
        "firehose", "create-delivery-stream", "--delivery-stream-name", "cli-stream",
        "--extended-s3-destination-configuration", destination, check=False,
    )  # fmt: skip
    assert "ResourceInUseException" in again.stderr
    assert "already exists" in again.stderr


def test_cli_refuses_a_bad_lambda_processor_and_a_compressed_conversion(
    aws_cli: Callable[..., Any], paused: None
) -> None:
    processor = {
        "Enabled": True,
        "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:f"},
            {"ParameterName": "NumberOfRetries", "ParameterValue": "301"},
        ]}],
    }  # fmt: skip
    destination = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::cli-lake", "ProcessingConfiguration": processor}
    refused = aws_cli(
        "firehose", "create-delivery-stream", "--delivery-stream-name", "cli-bad",
        "--extended-s3-destination-configuration", json.dumps(destination), check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "InvalidArgumentException" in refused.stderr
    assert "NumberOfRetries 301 is invalid" in refused.stderr
    conversion = {
        "SchemaConfiguration": {"RoleARN": ROLE, "DatabaseName": "lake", "TableName": "t"},
        "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
        "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}},
    }
    gzipped = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::cli-lake", "CompressionFormat": "GZIP",
               "DataFormatConversionConfiguration": conversion}  # fmt: skip
    refused = aws_cli(
        "firehose", "create-delivery-stream", "--delivery-stream-name", "cli-bad",
        "--extended-s3-destination-configuration", json.dumps(gzipped), check=False,
    )  # fmt: skip
    assert "InvalidArgumentException" in refused.stderr
    assert "CompressionFormat must be UNCOMPRESSED" in refused.stderr
