"""Sending, receiving, deleting and hiding messages on standard queues, on the sandbox clock."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo
from tests.services.sqs.test_live_queues import error_of

pytestmark = pytest.mark.live

Advance = Callable[[float], None]


def counts(sqs: Any, url: str) -> tuple[int, int, int]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        int(attributes["ApproximateNumberOfMessagesDelayed"]),
    )


def test_send_receive_delete_with_attributes_and_md5s(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    attributes = {
        "City": {"DataType": "String", "StringValue": "Zürich"},
        "Count": {"DataType": "Number", "StringValue": "42"},
        "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe"},
        "Price": {"DataType": "Number.float", "StringValue": "3.25"},
    }
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="héllo wörld",
        MessageAttributes=attributes,
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988"}},
    )
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo wörld".encode(), usedforsecurity=False).hexdigest()
    assert len(sent["MD5OfMessageAttributes"]) == 32
    assert len(sent["MD5OfMessageSystemAttributes"]) == 32
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    [message] = got["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "héllo wörld"
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["MessageAttributes"] == attributes
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert message["Attributes"]["AWSTraceHeader"] == "Root=1-5759e988"
    assert message["Attributes"]["SenderId"].startswith("AIDA")
    assert int(message["Attributes"]["SentTimestamp"]) <= int(message["Attributes"]["ApproximateFirstReceiveTimestamp"])
    assert counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)
    # Deleting again is not an error.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_only_the_requested_attributes_come_back(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    attributes = {
        "trace.id": {"DataType": "String", "StringValue": "a"},
        "trace.span": {"DataType": "String", "StringValue": "b"},
        "other": {"DataType": "String", "StringValue": "c"},
    }
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    [message] = sqs.receive_message(
        QueueUrl=url,
        MessageAttributeNames=["trace.*"],
        MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
        VisibilityTimeout=0,
    )["Messages"]
    assert set(message["MessageAttributes"]) == {"trace.id", "trace.span"}
    assert set(message["Attributes"]) == {"SentTimestamp", "ApproximateReceiveCount"}
    [plain] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert "MessageAttributes" not in plain
    assert "MD5OfMessageAttributes" not in plain
    assert "Attributes" not in plain
    assert plain["MessageId"] == message["MessageId"]


def test_receive_up_to_ten_in_send_order(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    for start in (0, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": f"m{index}", "MessageBody": f"body-{index}"} for index in range(start, start + 10)],
        )
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [message["Body"] for message in first + second] == [f"body-{index}" for index in range(20)]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert counts(sqs, url) == (0, 20, 0)


def test_message_reappears_after_visibility_timeout(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    url = make_queue(VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="work")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    advance(29)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    advance(1)
    assert counts(sqs, url) == (1, 0, 0)
    second = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    # The receive's own VisibilityTimeout wins over the queue's.
    advance(30)
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=5)
    advance(5)
    assert counts(sqs, url) == (1, 0, 0)


def test_old_receipt_handle_after_a_re_receive(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    url = make_queue(VisibilityTimeout=10)
    sqs.send_message(QueueUrl=url, MessageBody="twice")
    old = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    advance(10)
    new = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    with pytest.raises(ClientError) as caught:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=old, VisibilityTimeout=0)
    code, message, _ = error_of(caught)
    assert code == "InvalidParameterValue"
    assert "not available for visibility timeout change" in message
    # AWS answers success to a stale delete but keeps the message.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old)
    assert counts(sqs, url) == (0, 1, 0)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=new, VisibilityTimeout=0)
    assert counts(sqs, url) == (1, 0, 0)
    latest = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=latest)
    assert counts(sqs, url) == (0, 0, 0)


def test_change_visibility_rules(sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None) -> None:
    url = make_queue(VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="slow work")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    advance(20)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=60)  # counts from now
    advance(59)
    assert counts(sqs, url) == (0, 1, 0)
    advance(1)
    assert counts(sqs, url) == (1, 0, 0)
    with pytest.raises(ClientError) as caught:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=10)
    assert error_of(caught)[0] == "AWS.SimpleQueueService.MessageNotInflight"
    handle = sqs.receive_message(QueueUrl=url, VisibilityTimeout=7200)["Messages"][0]["ReceiptHandle"]
    advance(3600)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=39_600)  # 12 h in all
    with pytest.raises(ClientError) as caught:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=39_601)
    code, message, _ = error_of(caught)
    assert code == "InvalidParameterValue"
    assert "43200" in message
    with pytest.raises(ClientError) as caught:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_201)
    assert error_of(caught)[0] == "InvalidParameterValue"
    for bad in ("garbage", "AQEBnotbase64!!"):
        with pytest.raises(ClientError) as caught:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=bad)
        code, message, status = error_of(caught)
        assert (code, status) == ("ReceiptHandleIsInvalid", 404)
        assert bad in message
    other = make_queue()
    with pytest.raises(ClientError) as caught:
        sqs.delete_message(QueueUrl=other, ReceiptHandle=handle)
    assert error_of(caught)[0] == "ReceiptHandleIsInvalid"


def test_delay_queue_and_per_message_delay(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    url = make_queue(DelaySeconds=60)
    sqs.send_message(QueueUrl=url, MessageBody="queue delay")
    sqs.send_message(QueueUrl=url, MessageBody="no delay", DelaySeconds=0)
    sqs.send_message(QueueUrl=url, MessageBody="own delay", DelaySeconds=900)
    assert counts(sqs, url) == (1, 0, 2)
    assert [message["Body"] for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == [
        "no delay"
    ]
    advance(30)
    assert counts(sqs, url) == (1, 0, 2)  # the received one is back; the delayed ones wait on
    advance(30)
    assert counts(sqs, url) == (2, 0, 1)
    advance(839)
    assert counts(sqs, url) == (2, 0, 1)
    advance(1)
    assert counts(sqs, url) == (3, 0, 0)
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="too late", DelaySeconds=901)
    code, message, _ = error_of(caught)
    assert code == "InvalidParameterValue"
    assert "900" in message


def test_retention_removes_old_messages(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    url = make_queue(MessageRetentionPeriod=120)
    sqs.send_message(QueueUrl=url, MessageBody="old")
    advance(60)
    sqs.send_message(QueueUrl=url, MessageBody="young")
    sqs.receive_message(QueueUrl=url)  # in flight does not save it
    advance(60)
    assert counts(sqs, url) == (1, 0, 0)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "young"
    # Shortening the retention applies to the messages already queued.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "60", "VisibilityTimeout": "0"})
    advance(1)
    assert counts(sqs, url) == (0, 0, 0)


def test_batch_send_with_failures_is_per_entry(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {
                "Id": "good",
                "MessageBody": "fine",
                "MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}},
            },
            {"Id": "bad-char", "MessageBody": "escape \x1b byte"},
            {"Id": "bad-delay", "MessageBody": "x", "DelaySeconds": 1000},
            {"Id": "empty", "MessageBody": ""},
        ],
    )
    [ok] = result["Successful"]
    assert ok["Id"] == "good"
    assert ok["MD5OfMessageBody"] == hashlib.md5(b"fine", usedforsecurity=False).hexdigest()
    assert "MD5OfMessageAttributes" in ok
    failed = {entry["Id"]: entry for entry in result["Failed"]}
    assert failed["bad-char"]["Code"] == "InvalidMessageContents"
    assert failed["bad-delay"]["Code"] == "InvalidParameterValue"
    assert failed["empty"]["Code"] == "MissingParameter"
    assert all(entry["SenderFault"] for entry in failed.values())
    assert counts(sqs, url) == (1, 0, 0)


@pytest.mark.parametrize(
    ("entries", "code", "message_part"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest", "at least one"),
        (
            [{"Id": str(index), "MessageBody": "x"} for index in range(11)],
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            "10",
        ),
        (
            [{"Id": "same", "MessageBody": "a"}, {"Id": "same", "MessageBody": "b"}],
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
            "same",
        ),
        ([{"Id": "no spaces", "MessageBody": "a"}], "AWS.SimpleQueueService.InvalidBatchEntryId", "80"),
        ([{"Id": "x" * 81, "MessageBody": "a"}], "AWS.SimpleQueueService.InvalidBatchEntryId", "80"),
        (
            [{"Id": f"big{index}", "MessageBody": "x" * 300_000} for index in range(4)],
            "AWS.SimpleQueueService.BatchRequestTooLong",
            "1048576",
        ),
    ],
)
def test_bad_batches_are_refused_whole(
    sqs: Any, make_queue: Callable[..., str], entries: list[dict[str, Any]], code: str, message_part: str
) -> None:
    url = make_queue()
    with pytest.raises(ClientError) as caught:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    found_code, message, status = error_of(caught)
    assert (found_code, status) == (code, 400)
    assert message_part in message
    assert counts(sqs, url) == (0, 0, 0)
    if not code.endswith("BatchRequestTooLong"):  # the other rules hold for every batch action
        with pytest.raises(ClientError) as caught:
            sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": entry["Id"], "ReceiptHandle": "AQEBx"} for entry in entries]
            )
        assert error_of(caught)[0] == code


def test_delete_and_change_visibility_batches(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    url = make_queue()
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(index), "MessageBody": f"m{index}"} for index in range(4)])
    handles = [
        message["ReceiptHandle"] for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=4)["Messages"]
    ]
    changed = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": handles[0], "VisibilityTimeout": 0},
            {"Id": "b", "ReceiptHandle": handles[1], "VisibilityTimeout": 300},
            {"Id": "c", "ReceiptHandle": "AQEBbogus", "VisibilityTimeout": 5},
            {"Id": "d", "ReceiptHandle": handles[2], "VisibilityTimeout": 50_000},
        ],
    )
    assert sorted(entry["Id"] for entry in changed["Successful"]) == ["a", "b"]
    failed = {entry["Id"]: entry["Code"] for entry in changed["Failed"]}
    assert failed == {"c": "ReceiptHandleIsInvalid", "d": "InvalidParameterValue"}
    assert counts(sqs, url) == (1, 3, 0)
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "x", "ReceiptHandle": handles[1]}, {"Id": "y", "ReceiptHandle": handles[3]},
                 {"Id": "z", "ReceiptHandle": "not-a-handle"}],
    )  # fmt: skip
    assert sorted(entry["Id"] for entry in deleted["Successful"]) == ["x", "y"]
    assert [(entry["Id"], entry["Code"]) for entry in deleted["Failed"]] == [("z", "ReceiptHandleIsInvalid")]
    assert counts(sqs, url) == (1, 1, 0)


def attribute(name: str, data_type: str = "String", value: str = "v") -> dict[str, Any]:
    return {"MessageBody": "x", "MessageAttributes": {name: {"DataType": data_type, "StringValue": value}}}


ELEVEN_ATTRIBUTES = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}


@pytest.mark.parametrize(
    ("kwargs", "code", "message_part"),
    [
        ({"MessageBody": "bell \x07"}, "InvalidMessageContents", "#x7"),
        ({"MessageBody": "nul \x00 byte"}, "InvalidMessageContents", "#x0"),
        # A lone surrogate can only travel as a JSON escape; the gateway refuses it before SQS sees it.
        ({"MessageBody": "lone \ud800 surrogate"}, "SerializationException", "lone surrogate"),
        ({"MessageBody": ""}, "MissingParameter", "MessageBody"),
        ({"MessageBody": "x" * 1_048_577}, "InvalidParameterValue", "1048576"),
        ({"MessageBody": "x", "MessageAttributes": ELEVEN_ATTRIBUTES}, "InvalidParameterValue", "[10]"),
        (attribute("n", "Number", "abc"), "InvalidParameterValue", "number"),
        (attribute("s", "String", ""), "InvalidParameterValue", "non-empty"),
        (attribute("t", "Text"), "InvalidParameterValue", "Binary, Number, String"),
        (attribute("AWS.x"), "InvalidParameterValue", "AWS."),
        (attribute("a..b"), "InvalidParameterValue", ".."),
        ({"MessageBody": "x", "MessageDeduplicationId": "d"}, "InvalidParameterValue", "MessageDeduplicationId"),
    ],
)
def test_bad_messages_are_refused(
    sqs: Any, make_queue: Callable[..., str], kwargs: dict[str, Any], code: str, message_part: str
) -> None:
    url = make_queue()
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, **kwargs)
    found_code, message, status = error_of(caught)
    assert (found_code, status) == (code, 400)
    assert message_part in message
    assert counts(sqs, url) == (0, 0, 0)


def test_maximum_message_size_counts_attributes(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue(MaximumMessageSize=1024)
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    attribute = {"k": {"DataType": "String", "StringValue": "v"}}  # 1 + 6 + 1 bytes
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1017, MessageAttributes=attribute)
    assert "1024" in error_of(caught)[1]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1016, MessageAttributes=attribute)
    assert counts(sqs, url) == (2, 0, 0)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"MaxNumberOfMessages": 11}, "MaxNumberOfMessages"),
        ({"MaxNumberOfMessages": 0}, "MaxNumberOfMessages"),
        ({"WaitTimeSeconds": 21}, "WaitTimeSeconds"),
        ({"VisibilityTimeout": 43_201}, "VisibilityTimeout"),
    ],
)
def test_bad_receive_parameters(
    sqs: Any, make_queue: Callable[..., str], kwargs: dict[str, int], parameter: str
) -> None:
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="stays")
    with pytest.raises(ClientError) as caught:
        sqs.receive_message(QueueUrl=url, **kwargs)
    code, message, _ = error_of(caught)
    assert code == "InvalidParameterValue"
    assert f"Value {next(iter(kwargs.values()))} for parameter {parameter} is invalid" in message
    assert counts(sqs, url) == (1, 0, 0)


def test_standard_queue_keeps_a_message_group_id(sqs: Any, make_queue: Callable[..., str]) -> None:
    """Fair queues: a standard queue accepts MessageGroupId and returns it."""
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="tenant a", MessageGroupId="tenant-a")
    [message] = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["MessageGroupId"])["Messages"]
    assert message["Attributes"] == {"MessageGroupId": "tenant-a"}


def test_sender_id_of_an_assumed_role(
    aws: Callable[..., Any], make_queue: Callable[..., str], sandbox: SandboxInfo
) -> None:
    url = make_queue()
    credentials = aws("sts").assume_role(
        RoleArn=f"arn:aws:iam::{sandbox.account_id}:role/worker", RoleSessionName="job-7"
    )["Credentials"]
    role_sqs = aws(
        "sqs",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    role_sqs.send_message(QueueUrl=url, MessageBody="from the role")
    [message] = role_sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["SenderId"])["Messages"]
    assert message["Attributes"]["SenderId"].startswith("AROA")
    assert message["Attributes"]["SenderId"].endswith(":job-7")
    # The same principal id STS gives the session, and the AssumedRoleId AssumeRole answered: AWS
    # names one principal one way everywhere.
    role_sts = aws(
        "sts",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    assert message["Attributes"]["SenderId"] == role_sts.get_caller_identity()["UserId"]
    sqs = aws("sqs")
    sqs.send_message(QueueUrl=url, MessageBody="from the user")
    received = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["SenderId"])["Messages"]
    assert [m["Attributes"]["SenderId"] for m in received] == [aws("sts").get_caller_identity()["UserId"]]


def test_md5_of_message_attributes_matches_aws(sqs: Any, make_queue: Callable[..., str]) -> None:
    """A digest computed independently of this code base (AWS's algorithm: names sorted, each field
    length-prefixed, transport type 1 for String/Number and 2 for Binary)."""
    url = make_queue()
    attributes = {
        "b": {"DataType": "String", "StringValue": "v"},
        "a": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        "n": {"DataType": "Number.int", "StringValue": "12"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    assert sent["MD5OfMessageAttributes"] == "924a35c10d7b8aeaebc8958ac5f73327"


def test_over_limit_when_120000_messages_are_in_flight(
    sqs: Any, make_queue: Callable[..., str], sandbox: SandboxInfo, db_access: None
) -> None:
    import datetime as dt

    from django.db import connection

    from playground.sandboxes.models import Clock
    from services.sqs.models import Queue

    url = make_queue("busy")
    sqs.send_message(QueueUrl=url, MessageBody="one more")
    queue = Queue.objects.get(sandbox_id=sandbox.id, name="busy")
    now = Clock.current(sandbox.id).now()
    later = now + dt.timedelta(hours=1)
    # 120,000 receives through the API would take minutes: the in-flight rows are written directly.
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000) "
            "INSERT INTO sqs_message (sandbox_id, queue_id, message_id, body, md5_of_body, attributes, "
            "md5_of_attributes, system_attributes, md5_of_system_attributes, size, sender_id, sent_at, enqueued_at, "
            "visible_at, expires_at, receive_count, receipt_token, group_id, deduplication_id, sequence_number, "
            "dead_letter_source_arn, sealed_for) "
            "SELECT %s, %s, 'm' || i, 'x', '', '{}', '', '{}', '', 1, '', %s, %s, %s, %s, 1, '', '', '', '', '', '' "
            "FROM n",
            [sandbox.id, queue.pk, now, now, later, later],
        )
    with pytest.raises(ClientError) as caught:
        sqs.receive_message(QueueUrl=url)
    code, message, status = error_of(caught)
    assert (code, status) == ("OverLimit", 403)
    assert "120000" in message
