"""Record format conversion and the AWS/Firehose metrics, through boto3 on the sandbox clock: JSON
records become one Parquet (or ORC) object readable by pyarrow, with the schema inferred from the
records; a record that is not JSON goes under format-conversion-failed/; a compressed S3 format
with conversion is refused; IncomingRecords / IncomingBytes and DeliveryToS3.* reach CloudWatch."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of
from tests.services.firehose.conftest import ROLE, sandbox_now

pytestmark = pytest.mark.live

Objects = Callable[[str], list[tuple[str, bytes]]]


def _conversion(serializer: dict[str, Any]) -> dict[str, Any]:
    return {
        "SchemaConfiguration": {"RoleARN": ROLE, "DatabaseName": "lake", "TableName": "clicks"},
        "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
        "OutputFormatConfiguration": {"Serializer": serializer},
        "Enabled": True,
    }


def test_json_records_become_one_parquet_object_and_bad_ones_an_error_object(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None], objects: Objects,
) -> None:  # fmt: skip
    name = make_stream(
        bucket, BufferingHints={"SizeInMBs": 64, "IntervalInSeconds": 60},
        DataFormatConversionConfiguration=_conversion({"ParquetSerDe": {"Compression": "GZIP"}}),
    )  # fmt: skip
    rows = [{"Page": "/home", "ms": 12, "ok": True}, {"Page": "/cart", "ms": 40, "ok": False}]
    records = [json.dumps(row).encode() for row in rows] + [b"not json"]
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": data} for data in records])
    advance(60)
    written = dict(objects(bucket))
    [data_key] = [key for key in written if not key.startswith("format-conversion-failed/")]
    table = pq.read_table(io.BytesIO(written[data_key]))
    assert table.to_pylist() == [{"page": "/home", "ms": 12, "ok": True}, {"page": "/cart", "ms": 40, "ok": False}]
    assert pq.ParquetFile(io.BytesIO(written[data_key])).metadata.row_group(0).column(0).compression == "GZIP"
    [error_key] = [key for key in written if key.startswith("format-conversion-failed/")]
    [failure] = [json.loads(line) for line in written[error_key].decode().splitlines()]
    assert failure["ErrorCode"] == "DataFormatConversion.InvalidSchema"
    described = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    kept = described["Destinations"][0]["ExtendedS3DestinationDescription"]["DataFormatConversionConfiguration"]
    assert kept["SchemaConfiguration"]["TableName"] == "clicks"


def test_orc_output_and_a_compressed_s3_format_refused(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None], objects: Objects,
) -> None:  # fmt: skip
    name = make_stream(bucket, DataFormatConversionConfiguration=_conversion({"OrcSerDe": {"Compression": "ZLIB"}}))
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b'{"a": 1}'})
    advance(300)
    [(_, body)] = objects(bucket)
    assert orc.read_table(io.BytesIO(body)).to_pylist() == [{"a": 1}]
    with pytest.raises(ClientError) as caught:
        firehose.create_delivery_stream(
            DeliveryStreamName="gz-parquet",
            ExtendedS3DestinationConfiguration={
                "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "CompressionFormat": "GZIP",
                "DataFormatConversionConfiguration": _conversion({"ParquetSerDe": {}}),
            },
        )  # fmt: skip
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidArgumentException", 400)
    assert "CompressionFormat must be UNCOMPRESSED" in message


def test_incoming_and_delivery_metrics_reach_cloudwatch(
    aws: Callable[..., Any], firehose: Any, bucket: str, make_stream: Callable[..., str],
    advance: Callable[[float], None], sandbox: SandboxInfo,
) -> None:  # fmt: skip
    cloudwatch = aws("cloudwatch")
    name = make_stream(bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    start = sandbox_now(sandbox) - dt.timedelta(minutes=2)
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"x" * 100}] * 3)
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"y" * 50})
    advance(120)  # the flush, and the minute of the puts is over

    def stat(metric: str, statistic: str) -> list[float]:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Firehose", MetricName=metric, Dimensions=[{"Name": "DeliveryStreamName", "Value": name}],
            StartTime=start, EndTime=sandbox_now(sandbox) + dt.timedelta(minutes=1), Period=3600,
            Statistics=[statistic],
        )["Datapoints"]  # fmt: skip
        return [point[statistic] for point in points]

    assert stat("IncomingRecords", "Sum") == [4.0]
    assert stat("IncomingBytes", "Sum") == [350.0]
    assert stat("PutRecordBatch.Records", "Sum") == [3.0]
    assert stat("PutRecord.Requests", "Sum") == [1.0]
    assert stat("DeliveryToS3.Records", "Sum") == [4.0]
    assert stat("DeliveryToS3.Success", "Average") == [1.0]
    assert stat("DeliveryToS3.DataFreshness", "Maximum") == [60.0]


def test_a_stream_takes_records_after_the_clock_jumps_past_cloudwatchs_two_weeks(
    aws: Callable[..., Any], firehose: Any, bucket: str, make_stream: Callable[..., str],
    advance: Callable[[float], None], sandbox: SandboxInfo,
) -> None:  # fmt: skip
    """The minute counted before the jump is too old for CloudWatch afterwards: it is dropped, and
    neither the tick nor the next put fails on it."""
    cloudwatch = aws("cloudwatch")
    name = make_stream(bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"before"})
    advance(15 * 86400)
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"after"})
    start = sandbox_now(sandbox) - dt.timedelta(minutes=1)
    advance(120)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/Firehose", MetricName="IncomingRecords",
        Dimensions=[{"Name": "DeliveryStreamName", "Value": name}], StartTime=start,
        EndTime=sandbox_now(sandbox) + dt.timedelta(minutes=1), Period=3600, Statistics=["Sum"],
    )["Datapoints"]  # fmt: skip
    assert [point["Sum"] for point in points] == [1.0]
