"""Delivery streams through boto3: create, the status on the sandbox clock, describe, list,
delete, UpdateDestination with its version id, tags and encryption with KMS, and the errors AWS
gives for each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of
from tests.services.firehose.conftest import ROLE

pytestmark = pytest.mark.live


def test_a_stream_is_creating_then_active_on_the_clock(
    firehose: Any, bucket: str, advance: Callable[[float], None], paused: None, sandbox: SandboxInfo
) -> None:
    arn = firehose.create_delivery_stream(
        DeliveryStreamName="orders",
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"},
        Tags=[{"Key": "team", "Value": "data"}],
    )["DeliveryStreamARN"]
    assert arn == f"arn:aws:firehose:{sandbox.region}:{sandbox.account_id}:deliverystream/orders"
    described = firehose.describe_delivery_stream(DeliveryStreamName="orders")["DeliveryStreamDescription"]
    assert described["DeliveryStreamStatus"] == "CREATING"
    with pytest.raises(ClientError) as caught:
        firehose.put_record(DeliveryStreamName="orders", Record={"Data": b"x"})
    assert error_of(caught) == (
        "ResourceNotFoundException",
        400,
        f"Firehose orders under account {sandbox.account_id} not found.",
    )
    with pytest.raises(ClientError) as caught:
        firehose.delete_delivery_stream(DeliveryStreamName="orders")
    assert error_of(caught)[:2] == ("ResourceInUseException", 400)
    advance(5)
    described = firehose.describe_delivery_stream(DeliveryStreamName="orders")["DeliveryStreamDescription"]
    assert described["DeliveryStreamStatus"] == "ACTIVE"
    assert described["DeliveryStreamType"] == "DirectPut"
    assert described["VersionId"] == "1"
    assert described["DeliveryStreamEncryptionConfiguration"] == {"Status": "DISABLED"}
    [destination] = described["Destinations"]
    assert destination["DestinationId"] == "destinationId-000000000001"
    extended = destination["ExtendedS3DestinationDescription"]
    assert extended["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert extended["CompressionFormat"] == "UNCOMPRESSED"
    assert extended["S3BackupMode"] == "Disabled"
    assert destination["S3DestinationDescription"]["BucketARN"] == f"arn:aws:s3:::{bucket}"
    assert firehose.list_tags_for_delivery_stream(DeliveryStreamName="orders")["Tags"] == [
        {"Key": "team", "Value": "data"}
    ]

    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == ["orders"]
    firehose.delete_delivery_stream(DeliveryStreamName="orders")
    status = firehose.describe_delivery_stream(DeliveryStreamName="orders")["DeliveryStreamDescription"]
    assert status["DeliveryStreamStatus"] == "DELETING"
    advance(5)
    with pytest.raises(ClientError) as caught:
        firehose.describe_delivery_stream(DeliveryStreamName="orders")
    assert error_of(caught) == (
        "ResourceNotFoundException",
        400,
        f"Firehose orders under account {sandbox.account_id} not found.",
    )
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == []


def test_create_errors(firehose: Any, bucket: str, make_stream: Callable[..., str], sandbox: SandboxInfo) -> None:
    name = make_stream(bucket)
    destination = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"}
    with pytest.raises(ClientError) as caught:
        firehose.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=destination)
    assert error_of(caught) == (
        "ResourceInUseException",
        400,
        f"Firehose {name} under account {sandbox.account_id} already exists.",
    )

    with pytest.raises(ClientError) as caught:
        firehose.create_delivery_stream(
            DeliveryStreamName="p1",
            ExtendedS3DestinationConfiguration={**destination, "Prefix": "data/!{timestamp:yyyy}/"},
        )
    assert error_of(caught) == (
        "InvalidArgumentException",
        400,
        "Ths supplied prefix(es) do not satisfy the following constraint: "
        "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions",
    )
    with pytest.raises(ClientError) as caught:
        firehose.create_delivery_stream(
            DeliveryStreamName="p2",
            ExtendedS3DestinationConfiguration={
                **destination,
                "Prefix": "data/!{firehose:error-output-type}/",
                "ErrorOutputPrefix": "e/!{firehose:error-output-type}/",
            },
        )  # fmt: skip
    assert error_of(caught)[:2] == ("InvalidArgumentException", 400)
    assert "error-output-type" in error_of(caught)[2]
    with pytest.raises(ClientError) as caught:
        firehose.create_delivery_stream(
            DeliveryStreamName="p3",
            ExtendedS3DestinationConfiguration={**destination, "Prefix": "x/!{nope:y}/", "ErrorOutputPrefix": "e/"},
        )
    assert error_of(caught)[:2] == ("InvalidArgumentException", 400)

    # Buffer hints out of the model's range: the standard validation error.
    with pytest.raises(ClientError) as caught:
        firehose.create_delivery_stream(
            DeliveryStreamName="p4",
            ExtendedS3DestinationConfiguration={
                **destination,
                "BufferingHints": {"SizeInMBs": 129, "IntervalInSeconds": 60},
            },
        )
    code, status, message = error_of(caught)
    assert (code, status) == ("ValidationException", 400)
    assert "sizeInMBs" in message or "SizeInMBs" in message
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == [name]


def test_update_destination_checks_the_version(
    firehose: Any, bucket: str, s3: Any, make_stream: Callable[..., str]
) -> None:
    name = make_stream(bucket)
    with pytest.raises(ClientError) as caught:
        firehose.update_destination(
            DeliveryStreamName=name, CurrentDeliveryStreamVersionId="7", DestinationId="destinationId-000000000001",
            ExtendedS3DestinationUpdate={"CompressionFormat": "GZIP"},
        )  # fmt: skip
    assert error_of(caught) == (
        "ConcurrentModificationException",
        400,
        f"Cannot update firehose: {name} since the current version id: 1 and specified version id: 7 do not match",
    )
    firehose.update_destination(
        DeliveryStreamName=name, CurrentDeliveryStreamVersionId="1", DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"CompressionFormat": "GZIP", "BufferingHints": {"IntervalInSeconds": 60}},
    )  # fmt: skip
    described = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert described["VersionId"] == "2"
    assert "LastUpdateTimestamp" in described
    extended = described["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert extended["CompressionFormat"] == "GZIP"
    assert extended["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 60}
    with pytest.raises(ClientError) as caught:
        firehose.update_destination(
            DeliveryStreamName="missing",
            CurrentDeliveryStreamVersionId="1",
            DestinationId="destinationId-000000000001",
            ExtendedS3DestinationUpdate={"CompressionFormat": "GZIP"},
        )
    assert error_of(caught)[:2] == ("ResourceNotFoundException", 400)


def test_tags(firehose: Any, bucket: str, make_stream: Callable[..., str]) -> None:
    name = make_stream(bucket)
    firehose.tag_delivery_stream(
        DeliveryStreamName=name, Tags=[{"Key": f"k{i:02d}", "Value": str(i)} for i in range(50)]
    )
    page = firehose.list_tags_for_delivery_stream(DeliveryStreamName=name, Limit=10)
    assert [tag["Key"] for tag in page["Tags"]] == [f"k{i:02d}" for i in range(10)]
    assert page["HasMoreTags"] is True
    with pytest.raises(ClientError) as caught:
        firehose.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": "one-more", "Value": "x"}])
    assert error_of(caught)[:2] == ("LimitExceededException", 400)
    firehose.untag_delivery_stream(DeliveryStreamName=name, TagKeys=[f"k{i:02d}" for i in range(1, 50)])
    assert firehose.list_tags_for_delivery_stream(DeliveryStreamName=name)["Tags"] == [{"Key": "k00", "Value": "0"}]


def test_encryption_with_kms(
    firehose: Any, aws: Callable[..., Any], bucket: str, make_stream: Callable[..., str]
) -> None:
    kms = aws("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    name = make_stream(bucket)
    firehose.start_delivery_stream_encryption(
        DeliveryStreamName=name,
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key_arn},
    )
    described = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert described["DeliveryStreamEncryptionConfiguration"] == {
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key_arn, "Status": "ENABLED"
    }  # fmt: skip
    assert firehose.put_record(DeliveryStreamName=name, Record={"Data": b"sealed"})["Encrypted"] is True
    kms.disable_key(KeyId=key_arn)
    with pytest.raises(ClientError) as caught:
        firehose.put_record(DeliveryStreamName=name, Record={"Data": b"sealed"})
    code, status, _ = error_of(caught)
    assert (code, status) == ("InvalidKMSResourceException", 400)
    assert caught.value.response["Error"].get("code") or True
    firehose.stop_delivery_stream_encryption(DeliveryStreamName=name)
    assert firehose.put_record(DeliveryStreamName=name, Record={"Data": b"plain"})["Encrypted"] is False

    missing = key_arn.rsplit("/", 1)[0] + "/11111111-2222-3333-4444-555555555555"
    with pytest.raises(ClientError) as caught:
        firehose.create_delivery_stream(
            DeliveryStreamName="sealed",
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": missing},
            ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"},
        )
    assert error_of(caught)[:2] == ("InvalidKMSResourceException", 400)
    with pytest.raises(ClientError) as caught:
        firehose.start_delivery_stream_encryption(
            DeliveryStreamName=name, DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK"}
        )
    assert error_of(caught) == (
        "InvalidArgumentException",
        400,
        "KeyARN must be specified when KeyType is CUSTOMER_MANAGED_CMK.",
    )
