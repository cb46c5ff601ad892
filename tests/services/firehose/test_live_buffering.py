"""The buffer on the sandbox clock through boto3: nothing is written before the interval, one
object after it with every record in order under AWS's default key, size-triggered flushes, each
compression format readable, prefixes expanded as AWS expands them, the batch limits, and the
S3 backup."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from services.firehose.compression import decompress
from tests.conftest import SandboxInfo, error_of
from tests.services.firehose.conftest import ROLE, sandbox_now

pytestmark = pytest.mark.live

Objects = Callable[[str], list[tuple[str, bytes]]]


def test_nothing_before_the_interval_then_one_object_in_order(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None],
    objects: Objects, sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    arrived = sandbox_now(sandbox)
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"first\n"})
    answer = firehose.put_record_batch(
        DeliveryStreamName=name, Records=[{"Data": f"record {i}\n".encode()} for i in range(5)]
    )
    assert answer["FailedPutCount"] == 0
    assert answer["Encrypted"] is False
    assert len({entry["RecordId"] for entry in answer["RequestResponses"]}) == 5
    advance(59)
    assert objects(bucket) == []
    advance(1)
    [(key, body)] = objects(bucket)
    assert body == b"first\n" + b"".join(f"record {i}\n".encode() for i in range(5))
    folders = arrived.strftime("%Y/%m/%d/%H/")
    stamp = arrived.strftime("%Y-%m-%d-%H-%M-%S")
    assert re.fullmatch(rf"{folders}{name}-1-{stamp}-[0-9a-f-]{{36}}", key), key
    advance(3600)
    assert len(objects(bucket)) == 1  # nothing more to flush


def test_a_full_buffer_flushes_at_once(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None], objects: Objects
) -> None:
    name = make_stream(bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 900})
    chunk = b"x" * 400_000
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": chunk}, {"Data": chunk}])
    assert objects(bucket) == []
    firehose.put_record(DeliveryStreamName=name, Record={"Data": chunk})  # 1.2 MB: over 1 MiB
    assert [len(body) for _, body in objects(bucket)] == [1_200_000]
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"late"})
    advance(899)
    assert len(objects(bucket)) == 1
    advance(1)
    assert sorted(len(body) for _, body in objects(bucket)) == [4, 1_200_000]


@pytest.mark.parametrize("fmt", ["GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"])
def test_each_compression_format_reads_back(
    fmt: str, firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None],
    objects: Objects,
) -> None:  # fmt: skip
    name = make_stream(bucket, CompressionFormat=fmt, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0})
    records = [f'{{"n": {i}}}\n'.encode() for i in range(50)]
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": data} for data in records])
    advance(0)
    [(key, body)] = objects(bucket)
    assert key.endswith({"GZIP": ".gz", "ZIP": ".zip", "Snappy": ".snappy", "HADOOP_SNAPPY": ".snappy"}[fmt])
    assert decompress(body, fmt) == b"".join(records)


def test_prefixes_are_expanded_as_aws_expands_them(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None],
    objects: Objects, sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(
        bucket,
        Prefix="events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/!{firehose:random-string}/",
        ErrorOutputPrefix="errors/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/",
        BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60},
    )
    arrived = sandbox_now(sandbox)
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"a"})
    advance(60)
    [(key, _)] = objects(bucket)
    assert re.fullmatch(
        rf"events/year={arrived:%Y}/month={arrived:%m}/day={arrived:%d}/[A-Za-z0-9]{{11}}/{name}-1-.*", key
    ), key

    # A literal prefix gets the default hour folders after it.
    plain = make_stream(bucket, Prefix="raw/", BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    arrived = sandbox_now(sandbox)
    firehose.put_record(DeliveryStreamName=plain, Record={"Data": b"b"})
    advance(60)
    keys = [key for key, _ in objects(bucket) if key.startswith("raw/")]
    assert len(keys) == 1
    assert keys[0].startswith(f"raw/{arrived:%Y/%m/%d/%H}/{plain}-1-")


def test_batch_limits(
    firehose: Any, aws: Callable[..., Any], bucket: str, make_stream: Callable[..., str], sandbox: SandboxInfo
) -> None:
    from botocore.config import Config

    name = make_stream(bucket)
    with pytest.raises(ClientError) as caught:
        firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"x" * 1_000_000} for _ in range(5)])
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidArgumentException", 400)
    assert "4 MB" in message
    unchecked = aws("firehose", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as caught:
        unchecked.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"x"} for _ in range(501)])
    assert error_of(caught)[:2] == ("ValidationException", 400)
    with pytest.raises(ClientError) as caught:
        unchecked.put_record(DeliveryStreamName=name, Record={"Data": b"x" * 1_024_001})
    code, status, message = error_of(caught)
    assert (code, status) == ("ValidationException", 400)
    assert "1024000" in message
    with pytest.raises(ClientError) as caught:
        firehose.put_record_batch(DeliveryStreamName="nowhere", Records=[{"Data": b"x"}])
    assert error_of(caught) == (
        "ResourceNotFoundException",
        400,
        f"Firehose nowhere under account {sandbox.account_id} not found.",
    )
    # 500 records of 1,000 KiB... is over 4 MiB; 500 small ones are fine.
    answer = firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"y" * 1000} for _ in range(500)])
    assert len(answer["RequestResponses"]) == 500


def test_s3_backup_and_a_missing_bucket_retried(
    firehose: Any, s3: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None],
    objects: Objects,
) -> None:  # fmt: skip
    backup = f"backup-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=backup)
    name = make_stream(
        bucket, S3BackupMode="Enabled", CompressionFormat="GZIP",
        S3BackupConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{backup}", "Prefix": "source/"},
        BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60},
    )  # fmt: skip
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"keep me"})
    advance(60)
    [(_, body)] = objects(bucket)
    assert decompress(body, "GZIP") == b"keep me"
    [(key, copy)] = objects(backup)
    assert key.startswith("source/")
    assert copy == b"keep me"

    later = f"later-{uuid.uuid4().hex[:8]}"
    waiting = make_stream(later, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    firehose.put_record(DeliveryStreamName=waiting, Record={"Data": b"patient"})
    advance(60)  # the bucket does not exist: the records stay in the buffer
    s3.create_bucket(Bucket=later)
    advance(30)
    assert [body for _, body in objects(later)] == [b"patient"]


def test_the_flush_is_dated_when_the_interval_passed(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None],
    objects: Objects, sandbox: SandboxInfo, s3: Any,
) -> None:  # fmt: skip
    name = make_stream(bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 120})
    arrived = sandbox_now(sandbox)
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"x"})
    advance(7200)  # two hours at once: the flush happened at arrival + 120 s
    [(key, _)] = objects(bucket)
    head = s3.head_object(Bucket=bucket, Key=key)
    assert abs(head["LastModified"] - (arrived + dt.timedelta(seconds=120))) < dt.timedelta(seconds=2)


def test_a_failing_destination_fills_its_backlog_then_puts_slow_down(
    firehose: Any, make_stream: Callable[..., str], advance: Callable[[float], None]
) -> None:
    name = make_stream(f"never-{uuid.uuid4().hex[:8]}", BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    megabyte = b"m" * 1_000_000
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"first"})
    advance(60)  # the bucket does not exist: the delivery fails and the records wait
    for _ in range(4):  # four buffers' worth are still taken while the destination fails
        assert firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": megabyte}])["FailedPutCount"] == 0
    answer = firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"small"}, {"Data": megabyte}])
    assert answer["FailedPutCount"] == 1
    assert "RecordId" in answer["RequestResponses"][0]
    assert answer["RequestResponses"][1] == {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
    with pytest.raises(ClientError) as caught:
        firehose.put_record(DeliveryStreamName=name, Record={"Data": megabyte})
    assert error_of(caught) == ("ServiceUnavailableException", 503, "Slow down.")
