"""Every client generation the project pins, and today's, against the live server: the aws CLI and
boto3 of early 2024 (SQS over query), of late 2024 (SQS over JSON 1.0, Athena over JSON 1.1,
CloudWatch over query) and the current ones, each in its own virtual environment, make the same
few calls per service and must see what AWS would show them."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.generations.conftest import Generation, output

pytestmark = pytest.mark.live

Cli = Callable[..., Any]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_sqs_send_receive_delete_and_a_missing_queue(cli: Cli, client: Generation) -> None:
    url = output(cli("sqs", "create-queue", "--queue-name", unique("gen")))["QueueUrl"]
    sent = output(
        cli(
            "sqs", "send-message", "--queue-url", url, "--message-body", "hello from every generation",
            "--message-attributes", '{"colour": {"DataType": "String", "StringValue": "blue"}}',
        )
    )  # fmt: skip
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello from every generation").hexdigest()  # noqa: S324

    received = output(
        cli(
            "sqs", "receive-message", "--queue-url", url, "--attribute-names", "All",
            "--message-attribute-names", "All", "--visibility-timeout", "30",
        )
    )  # fmt: skip
    [message] = received["Messages"]  # the old query CLI printed nothing when the server said <Messages>
    assert message["Body"] == "hello from every generation"
    assert message["MessageId"] == sent["MessageId"]
    assert message["MessageAttributes"] == {"colour": {"DataType": "String", "StringValue": "blue"}}
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    cli("sqs", "delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    attributes = output(cli("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All"))
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"

    missing = cli("sqs", "get-queue-url", "--queue-name", unique("nowhere"), check=False)
    assert missing.returncode != 0
    assert "An error occurred (AWS.SimpleQueueService.NonExistentQueue) when calling the GetQueueUrl" in missing.stderr


def test_sqs_batches_attributes_and_tags(cli: Cli) -> None:
    """Lists and maps in each generation's names (the query form flattens them: Attribute.N.Name,
    SendMessageBatchRequestEntry.N.Id, Tag.N.Key)."""
    name = unique("batch")
    url = output(
        cli("sqs", "create-queue", "--queue-name", name, "--attributes", '{"VisibilityTimeout": "45"}',
            "--tags", '{"team": "red"}')
    )["QueueUrl"]  # fmt: skip
    assert name in output(cli("sqs", "list-queues", "--queue-name-prefix", name))["QueueUrls"][0]
    assert output(cli("sqs", "list-queue-tags", "--queue-url", url))["Tags"] == {"team": "red"}
    cli("sqs", "set-queue-attributes", "--queue-url", url, "--attributes", '{"DelaySeconds": "0"}')
    shown = output(cli("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "VisibilityTimeout"))
    assert shown["Attributes"] == {"VisibilityTimeout": "45"}

    entries = '[{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two", "DelaySeconds": 0}]'
    sent = output(cli("sqs", "send-message-batch", "--queue-url", url, "--entries", entries))
    assert sorted(entry["Id"] for entry in sent["Successful"]) == ["a", "b"]
    received = output(cli("sqs", "receive-message", "--queue-url", url, "--max-number-of-messages", "10"))
    assert sorted(message["Body"] for message in received["Messages"]) == ["one", "two"]
    handles = [
        {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
        for index, message in enumerate(received["Messages"])
    ]
    deleted = output(cli("sqs", "delete-message-batch", "--queue-url", url, "--entries", json.dumps(handles)))
    assert sorted(entry["Id"] for entry in deleted["Successful"]) == ["0", "1"]
    assert deleted.get("Failed", []) == []


def test_sns_topics(cli: Cli) -> None:
    arn = output(cli("sns", "create-topic", "--name", unique("gen")))["TopicArn"]
    assert arn in [topic["TopicArn"] for topic in output(cli("sns", "list-topics"))["Topics"]]
    attributes = output(cli("sns", "get-topic-attributes", "--topic-arn", arn))["Attributes"]
    assert attributes["TopicArn"] == arn
    cli("sns", "delete-topic", "--topic-arn", arn)
    gone = cli("sns", "get-topic-attributes", "--topic-arn", arn, check=False)
    assert "An error occurred (NotFound) when calling the GetTopicAttributes operation" in gone.stderr


def test_kms_encrypt_and_decrypt(cli: Cli, tmp_path: Path) -> None:
    key = output(cli("kms", "create-key", "--description", "generations"))["KeyMetadata"]["KeyId"]
    (tmp_path / "plain").write_bytes(b"\x00secret\xff")
    sealed = output(cli("kms", "encrypt", "--key-id", key, "--plaintext", f"fileb://{tmp_path / 'plain'}"))
    (tmp_path / "sealed").write_bytes(base64.b64decode(sealed["CiphertextBlob"]))
    opened = output(cli("kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'sealed'}"))
    assert base64.b64decode(opened["Plaintext"]) == b"\x00secret\xff"
    assert opened["KeyId"].endswith(key)


def test_sts_caller_identity(cli: Cli, sandbox: SandboxInfo) -> None:
    assert output(cli("sts", "get-caller-identity"))["Account"] == sandbox.account_id


@pytest.mark.parametrize(
    ("command", "operation"),
    [
        (("athena", "list-work-groups"), "ListWorkGroups"),
        (("cloudwatch", "list-metric-streams"), "ListMetricStreams"),
        (("emr", "list-clusters"), "ListClusters"),
    ],
    ids=["athena", "cloudwatch", "emr"],
)
def test_a_service_without_a_provider_answers_not_implemented_per_operation(
    cli: Cli, command: tuple[str, ...], operation: str
) -> None:
    """Not a 404 for a protocol the server does not speak: the operation's NotImplemented, in the
    form this generation's model reads."""
    result = cli(*command, check=False)
    assert result.returncode != 0
    said = re.search(
        rf"An error occurred \((\w+)\) when calling the {operation} operation( \(reached .*?\))?: ", result.stderr
    )
    assert said is not None, result.stderr
    assert said[1] == "NotImplemented"
    assert f"{command[0]}:{operation}" in result.stderr


def test_cloudwatch_put_and_list_metrics(cli: Cli) -> None:
    """Query for the 2024 generations, RPC v2 CBOR for today's."""
    cli("cloudwatch", "put-metric-data", "--namespace", "Generations", "--metric-name", "Hits", "--value", "3",
        "--dimensions", "Page=home")  # fmt: skip
    listed = output(cli("cloudwatch", "list-metrics", "--namespace", "Generations"))["Metrics"]
    assert listed == [
        {"Namespace": "Generations", "MetricName": "Hits", "Dimensions": [{"Name": "Page", "Value": "home"}]}
    ]


def test_boto3_of_each_generation(boto3_script: Callable[[str], Any], client: Generation, sandbox: SandboxInfo) -> None:
    found = boto3_script(
        """
out = {"botocore": botocore.__version__}
sqs = client("sqs")
url = sqs.create_queue(QueueName="boto3-generations")["QueueUrl"]
sqs.send_message(QueueUrl=url, MessageBody="from boto3", MessageAttributes={
    "n": {"DataType": "Number", "StringValue": "7"}, "b": {"DataType": "Binary", "BinaryValue": b"\\x00\\x01"}})
[message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"]
sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
out["message"] = [message["Body"], message["MessageAttributes"]["n"]["StringValue"],
                  list(message["MessageAttributes"]["b"]["BinaryValue"]), message["Attributes"]["SenderId"] != ""]
try:
    sqs.get_queue_url(QueueName="boto3-nowhere")
except ClientError as error:
    out["missing"] = [error.response["Error"]["Code"], type(error).__name__]
out["kinesis"] = client("kinesis").list_streams()["StreamNames"]
for service, call in [
    ("athena", "list_work_groups"), ("cloudwatch", "list_metric_streams"), ("emr", "list_clusters")
]:
    try:
        getattr(client(service), call)()
    except ClientError as error:
        out[service] = [error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]]
out["account"] = client("sts").get_caller_identity()["Account"]
print(json.dumps(out))
"""
    )
    assert found["message"] == ["from boto3", "7", [0, 1], True]
    code, exception = found["missing"]
    assert code == "AWS.SimpleQueueService.NonExistentQueue"
    if client.name != "aws-cli-2024-12":
        # botocore 1.35's JSON SQS model had lost the query codes and it had no way back to the
        # shape name yet: a plain ClientError, as it raised against AWS.
        assert exception == "QueueDoesNotExist"
    assert found["kinesis"] == []
    for service in ("athena", "cloudwatch", "emr"):
        assert found[service] == ["NotImplemented", 501], (client.name, found["botocore"], service)
    assert found["account"] == sandbox.account_id


def test_s3_copy_list_and_remove(cli: Cli, tmp_path: Path) -> None:
    """The s3 commands of each generation: older ones send no flexible checksum, today's CRC32 (and
    a multipart upload past 8 MB either way)."""
    bucket = unique("gen")
    cli("s3", "mb", f"s3://{bucket}")
    small, large = tmp_path / "small.txt", tmp_path / "large.bin"
    small.write_text("hello from every generation")
    large.write_bytes(bytes(range(256)) * 40_000)  # 10,240,000 bytes: two parts
    cli("s3", "cp", str(small), f"s3://{bucket}/small.txt")
    cli("s3", "cp", str(large), f"s3://{bucket}/dir/large.bin")
    listed = cli("s3", "ls", "--recursive", f"s3://{bucket}").stdout
    assert [line.split()[-1] for line in listed.splitlines()] == ["dir/large.bin", "small.txt"]
    head = output(cli("s3api", "head-object", "--bucket", bucket, "--key", "dir/large.bin"))
    assert head["ContentLength"] == 10_240_000
    assert head["ETag"].endswith('-2"')
    cli("s3", "cp", f"s3://{bucket}/dir/large.bin", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == large.read_bytes()
    cli("s3", "rb", "--force", f"s3://{bucket}")
    missing = cli("s3api", "head-bucket", "--bucket", bucket, check=False)
    assert missing.returncode != 0
    assert "Not Found" in missing.stderr or "404" in missing.stderr
