"""Kinesis event source mappings: the starting position (TRIM_HORIZON, LATEST), batches per shard in
order in AWS's Kinesis event shape, a failing batch bisected and retried until its retries are
spent, then described to the OnFailure queue, records past MaximumRecordAgeInSeconds skipped, a
split shard's children read after their parent, and the refusals."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

# Reports each batch (the records' data, and the first record's event fields) to the OUT queue;
# raises, reporting nothing, when a record of the batch is "bad".
READER = """
import base64, boto3, json, os
sqs = boto3.client("sqs")
def handler(event, context):
    data = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    if any(d.startswith("bad") for d in data):
        raise RuntimeError("a bad record")
    sqs.send_message(QueueUrl=os.environ["OUT"], MessageBody=json.dumps({"data": data, "first": event["Records"][0]}))
"""


def _stream(aws: Callable[..., Any], advance: Callable[[float], None], name: str, shards: int = 1) -> tuple[Any, str]:
    kinesis = aws("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    advance(30)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    return kinesis, arn


def _batches(sqs: Any, url: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return got
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            got.append(json.loads(message["Body"]))


def test_kinesis_mapping_reads_each_shard_in_order_from_its_starting_position(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    kinesis, arn = _stream(aws, advance, "clicks")
    sqs = aws("sqs")
    out = sqs.create_queue(QueueName="out")["QueueUrl"]
    latest_out = sqs.create_queue(QueueName="latest-out")["QueueUrl"]
    for n in range(3):
        kinesis.put_record(StreamName="clicks", Data=f"old-{n}".encode(), PartitionKey="user-1")
    oldest = make_function(READER, Environment={"Variables": {"OUT": out}})
    newest = make_function(READER, Environment={"Variables": {"OUT": latest_out}})
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=oldest, StartingPosition="TRIM_HORIZON", BatchSize=2,
        MaximumRetryAttempts=2, BisectBatchOnFunctionError=True, ParallelizationFactor=1,
    )  # fmt: skip
    assert mapping["State"] == "Creating"
    assert (mapping["StartingPosition"], mapping["BatchSize"], mapping["MaximumRetryAttempts"]) == (
        "TRIM_HORIZON", 2, 2)  # fmt: skip
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRecordAgeInSeconds"] == -1
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=newest, StartingPosition="LATEST")
    advance(1)  # both Enabled; each polls its shard once a second of sandbox time
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"
    kinesis.put_record(StreamName="clicks", Data=b"new-0", PartitionKey="user-1")
    advance(1)
    advance(1)
    advance(1)
    batches = _batches(sqs, out)
    assert [batch["data"] for batch in batches] == [["old-0", "old-1"], ["old-2", "new-0"]]
    first = batches[0]["first"]
    records = kinesis.get_records(
        ShardIterator=kinesis.get_shard_iterator(StreamName="clicks", ShardId="shardId-000000000000",
                                                 ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    )["Records"]  # fmt: skip
    assert first["kinesis"]["sequenceNumber"] == records[0]["SequenceNumber"]
    assert base64.b64decode(first["kinesis"]["data"]) == b"old-0"
    assert first["kinesis"]["partitionKey"] == "user-1"
    assert first["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert first["kinesis"]["approximateArrivalTimestamp"] == pytest.approx(
        records[0]["ApproximateArrivalTimestamp"].timestamp(), abs=0.01
    )
    assert first["eventID"] == f"shardId-000000000000:{records[0]['SequenceNumber']}"
    assert (first["eventSource"], first["eventName"], first["eventVersion"]) == (
        "aws:kinesis", "aws:kinesis:record", "1.0")  # fmt: skip
    assert first["eventSourceARN"] == arn
    assert first["awsRegion"] == "us-east-1"
    assert [batch["data"] for batch in _batches(sqs, latest_out)] == [["new-0"]]  # LATEST: only what came after
    listed = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert len(listed) == 2
    assert {m["LastProcessingResult"] for m in listed} == {"OK"}


def test_failing_batch_is_bisected_retried_then_sent_to_the_on_failure_queue(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    kinesis, arn = _stream(aws, advance, "orders")
    sqs = aws("sqs")
    out = sqs.create_queue(QueueName="out")["QueueUrl"]
    failed = sqs.create_queue(QueueName="failed")["QueueUrl"]
    failed_arn = sqs.get_queue_attributes(QueueUrl=failed, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = make_function(READER, Environment={"Variables": {"OUT": out}})
    for data in ("ok-1", "bad", "ok-2", "ok-3"):
        kinesis.put_record(StreamName="orders", Data=data.encode(), PartitionKey="k")
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, StartingPosition="TRIM_HORIZON", BatchSize=4,
        BisectBatchOnFunctionError=True, MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": failed_arn}},
    )  # fmt: skip
    advance(1)
    for _ in range(9):
        advance(1)
    # [ok-1 bad ok-2 ok-3] fails: halves; [ok-1 bad] fails: halves; [ok-1] passes; then the same
    # down to [bad] alone, tried and retried once, discarded; [ok-2 ok-3] passes.
    assert [batch["data"] for batch in _batches(sqs, out)] == [["ok-1"], ["ok-2", "ok-3"]]
    (record,) = [
        json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=failed, MaxNumberOfMessages=10)["Messages"]
    ]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["functionArn"].endswith(f":function:{name}")
    assert record["responseContext"]["functionError"] == "Unhandled"
    info = record["KinesisBatchInfo"]
    assert (info["shardId"], info["batchSize"], info["streamArn"]) == ("shardId-000000000000", 1, arn)
    assert info["startSequenceNumber"] == info["endSequenceNumber"]


def test_records_older_than_the_maximum_age_are_skipped(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    kinesis, arn = _stream(aws, advance, "events")
    sqs = aws("sqs")
    out = sqs.create_queue(QueueName="out")["QueueUrl"]
    failed = sqs.create_queue(QueueName="failed")["QueueUrl"]
    failed_arn = sqs.get_queue_attributes(QueueUrl=failed, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = make_function(READER, Environment={"Variables": {"OUT": out}})
    kinesis.put_record(StreamName="events", Data=b"stale", PartitionKey="k")
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, StartingPosition="TRIM_HORIZON", MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": failed_arn}},
    )  # fmt: skip
    advance(120)  # the first poll finds the record two minutes old
    kinesis.put_record(StreamName="events", Data=b"fresh", PartitionKey="k")
    advance(1)
    assert [batch["data"] for batch in _batches(sqs, out)] == [["fresh"]]
    (message,) = sqs.receive_message(QueueUrl=failed)["Messages"]
    assert json.loads(message["Body"])["requestContext"]["condition"] == "RecordAgeExceeded"


def test_split_shard_children_are_read_after_their_parent(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    kinesis, arn = _stream(aws, advance, "split")
    sqs = aws("sqs")
    out = sqs.create_queue(QueueName="out")["QueueUrl"]
    name = make_function(READER, Environment={"Variables": {"OUT": out}})
    kinesis.put_record(StreamName="split", Data=b"before", PartitionKey="k")
    kinesis.split_shard(StreamName="split", ShardToSplit="shardId-000000000000",
                        NewStartingHashKey=str(2**127))  # fmt: skip
    advance(30)
    kinesis.put_record(StreamName="split", Data=b"after", PartitionKey="k")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, StartingPosition="TRIM_HORIZON",
                                    BatchSize=10)  # fmt: skip
    advance(1)
    advance(1)
    advance(1)
    assert [batch["data"] for batch in _batches(sqs, out)] == [["before"], ["after"]]


def test_kinesis_mapping_refusals(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    _, arn = _stream(aws, advance, "refusals")
    name = make_function("def handler(e, c):\n    return 1\n")
    with pytest.raises(ClientError) as caught:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert "startingPosition" in message
    with pytest.raises(ClientError) as caught:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, StartingPosition="AT_TIMESTAMP")
    assert error_of(caught) == ("InvalidParameterValueException", 400, "Need to specify a timestamp")
    missing = arn.replace("stream/refusals", "stream/nope")
    with pytest.raises(ClientError) as caught:
        lam.create_event_source_mapping(EventSourceArn=missing, FunctionName=name, StartingPosition="LATEST")
    assert error_of(caught) == ("InvalidParameterValueException", 400, f"Stream not found: {missing}")
    assert lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"] == []


# Reports each batch (its records' data) to the OUT queue, after a rendezvous: it leaves a message
# on its round's queue (the round is the data's first part) and waits until PEERS batches of the
# round have, so each batch says how many batches of its round ran alongside it.
SIDE_BY_SIDE = """
import base64, boto3, json, os, time
sqs = boto3.client("sqs")
def handler(event, context):
    data = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    here = sqs.get_queue_url(QueueName=data[0].split("/")[0])["QueueUrl"]
    sqs.send_message(QueueUrl=here, MessageBody=context.aws_request_id)
    peers = 0
    while context.get_remaining_time_in_millis() > 3000:
        counts = sqs.get_queue_attributes(QueueUrl=here, AttributeNames=["ApproximateNumberOfMessages"])
        peers = int(counts["Attributes"]["ApproximateNumberOfMessages"])
        if peers >= int(os.environ["PEERS"]):
            break
        time.sleep(0.05)
    sqs.send_message(QueueUrl=os.environ["OUT"], MessageBody=json.dumps({"data": data, "peers": peers}))
"""


def test_parallelization_factor_runs_a_shards_keys_side_by_side_each_key_in_order(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None],
    clock_now: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    kinesis, arn = _stream(aws, advance, "taps")
    sqs, cloudwatch = aws("sqs"), aws("cloudwatch")
    out = sqs.create_queue(QueueName="out")["QueueUrl"]
    for round_ in ("round-1", "round-2"):
        sqs.create_queue(QueueName=round_)
    keys = [f"user-{n}" for n in range(6)]  # their hashes fall on all three batchers

    def put(round_: str) -> None:
        for n in range(3):
            for key in keys:
                kinesis.put_record(StreamName="taps", Data=f"{round_}/{key}/{n}".encode(), PartitionKey=key)

    name = make_function(SIDE_BY_SIDE, Environment={"Variables": {"OUT": out, "PEERS": "3"}}, Timeout=30)
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, StartingPosition="LATEST",
                                              ParallelizationFactor=3)  # fmt: skip
    assert mapping["ParallelizationFactor"] == 3
    advance(1)
    put("round-1")
    advance(1)  # one poll: the shard's three batchers each send their keys' records at once
    put("round-2")
    advance(1)
    batches = _batches(sqs, out)
    assert len(batches) == 6
    assert [batch["peers"] for batch in batches] == [3] * 6  # each ran while its round's two others did
    for round_ in ("round-1", "round-2"):
        seen: dict[str, list[str]] = {}
        for batch in (batch for batch in batches if batch["data"][0].startswith(round_)):
            assert all(data.startswith(round_) for data in batch["data"])
            for data in batch["data"]:
                seen.setdefault(data.split("/")[1], []).append(data)
        # every key's records in one batch, in the order they were put
        assert seen == {key: [f"{round_}/{key}/{n}" for n in range(3)] for key in keys}
    now = clock_now()
    advance(61)  # the minute's figures reach CloudWatch
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="ConcurrentExecutions", Dimensions=[{"Name": "FunctionName", "Value": name}],
        StartTime=now - dt.timedelta(minutes=5), EndTime=now + dt.timedelta(minutes=5), Period=3600,
        Statistics=["Maximum"],
    )["Datapoints"]  # fmt: skip
    assert max(point["Maximum"] for point in points) == 3


def test_iterator_age_says_how_long_the_newest_record_of_each_batch_waited(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None],
    clock_now: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    kinesis, arn = _stream(aws, advance, "waiting")
    cloudwatch = aws("cloudwatch")
    name = make_function("def handler(e, c):\n    return len(e['Records'])\n")
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                              StartingPosition="TRIM_HORIZON", Enabled=False)  # fmt: skip
    advance(1)
    start = clock_now()
    kinesis.put_record(StreamName="waiting", Data=b"early", PartitionKey="k")
    advance(90)  # the record waits: the mapping is disabled
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    advance(1)  # enabled, and polled: the record is 91 s old
    kinesis.put_record(StreamName="waiting", Data=b"prompt", PartitionKey="k")
    advance(1)  # polled a second after it came
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["LastProcessingResult"] == "OK"
    advance(61)  # the minutes' figures reach CloudWatch
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="IteratorAge", Dimensions=[{"Name": "FunctionName", "Value": name}],
        StartTime=start - dt.timedelta(minutes=5), EndTime=start + dt.timedelta(minutes=5), Period=3600,
        Statistics=["Maximum", "Minimum", "SampleCount"],
    )["Datapoints"]  # fmt: skip
    assert {point["Unit"] for point in points} == {"Milliseconds"}
    # A record's arrival is kept to the millisecond (AWS's precision), the clock to the microsecond.
    assert max(point["Maximum"] for point in points) == pytest.approx(91_000, abs=1)
    assert min(point["Minimum"] for point in points) == pytest.approx(1_000, abs=1)
    assert sum(point["SampleCount"] for point in points) == 2


def test_a_failing_partition_key_holds_only_its_own_batcher(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    kinesis, arn = _stream(aws, advance, "mixed")
    sqs = aws("sqs")
    out = sqs.create_queue(QueueName="out")["QueueUrl"]
    name = make_function(READER, Environment={"Variables": {"OUT": out}})
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, StartingPosition="LATEST",
                                              ParallelizationFactor=2)  # fmt: skip
    advance(1)
    # user-0 and user-1 fall on the shard's two batchers; user-0's first record always fails.
    for data, key in (("bad-0", "user-0"), ("ok-0", "user-0"), ("ok-1a", "user-1")):
        kinesis.put_record(StreamName="mixed", Data=data.encode(), PartitionKey=key)
    advance(1)
    kinesis.put_record(StreamName="mixed", Data=b"ok-1b", PartitionKey="user-1")
    advance(1)
    advance(1)
    # user-1 goes on; user-0's batch is retried, its later record never overtaking the failed one
    assert [batch["data"] for batch in _batches(sqs, out)] == [["ok-1a"], ["ok-1b"]]
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["LastProcessingResult"] == "PROBLEM: Function call failed"
    lam.update_event_source_mapping(UUID=mapping["UUID"], ParallelizationFactor=1)
    advance(1)  # one batcher again, from the one furthest behind: user-0's failure now holds the shard
    kinesis.put_record(StreamName="mixed", Data=b"ok-1c", PartitionKey="user-1")
    advance(1)
    advance(1)
    assert _batches(sqs, out) == []
