"""Dynamic partitioning through boto3, on the sandbox clock: records are buffered per partition
(the MetadataExtraction query's keys, or a Lambda's metadata.partitionKeys) and each partition is
written as its own object under its evaluated Prefix when its own interval passes or it reaches
the size; records without keys go under the error prefix; AppendDelimiterToRecord ends each
record with a newline; AWS's rules for the configuration are enforced."""

from __future__ import annotations

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
QUERY = "{customer: .customer_id, device: .type.device}"
PREFIX = "data/customer=!{partitionKeyFromQuery:customer}/device=!{partitionKeyFromQuery:device}/"
ERRORS = "errors/!{firehose:error-output-type}/"

PARTITIONING_HANDLER = """
import base64, json

def handler(event, context):
    out = []
    for record in event["records"]:
        body = json.loads(base64.b64decode(record["data"]))
        entry = {"recordId": record["recordId"], "result": "Ok",
                 "data": base64.b64encode(json.dumps({"seen": body["n"]}).encode()).decode()}
        if "kind" in body:
            entry["metadata"] = {"partitionKeys": {"kind": body["kind"]}}
        out.append(entry)
    return {"records": out}
"""


def _processing(*processors: dict[str, Any]) -> dict[str, Any]:
    return {"Enabled": True, "Processors": list(processors)}


def _extraction(query: str = QUERY, engine: str = "JQ-1.6") -> dict[str, Any]:
    return {
        "Type": "MetadataExtraction",
        "Parameters": [
            {"ParameterName": "MetadataExtractionQuery", "ParameterValue": query},
            {"ParameterName": "JsonParsingEngine", "ParameterValue": engine},
        ],
    }


DELIMITER = {"Type": "AppendDelimiterToRecord", "Parameters": []}


def _record(customer: str, device: str, n: int) -> dict[str, bytes]:
    return {"Data": json.dumps({"customer_id": customer, "type": {"device": device}, "n": n}).encode()}


def _lines(body: bytes) -> list[Any]:
    return [json.loads(line) for line in body.decode().splitlines()]


def _concatenated(body: bytes) -> list[Any]:
    """JSON records written one after another (no delimiter)."""
    text, out, at = body.decode(), [], 0
    decoder = json.JSONDecoder()
    while at < len(text):
        value, at = decoder.raw_decode(text, at)
        out.append(value)
    return out


def test_each_partition_is_buffered_apart_and_written_as_its_own_object(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None], objects: Objects,
) -> None:  # fmt: skip
    name = make_stream(
        bucket, Prefix=PREFIX, ErrorOutputPrefix=ERRORS, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60},
        DynamicPartitioningConfiguration={"Enabled": True},
        ProcessingConfiguration=_processing(_extraction(), DELIMITER),
    )  # fmt: skip
    described = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    destination = described["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert destination["DynamicPartitioningConfiguration"] == {
        "Enabled": True,
        "RetryOptions": {"DurationInSeconds": 300},
    }
    assert [p["Type"] for p in destination["ProcessingConfiguration"]["Processors"]] == [
        "MetadataExtraction", "AppendDelimiterToRecord"
    ]  # fmt: skip
    firehose.put_record_batch(
        DeliveryStreamName=name,
        Records=[_record("a", "mobile", 1), _record("b", "web", 2), _record("a", "mobile", 3), {"Data": b"not json"}],
    )
    advance(30)
    firehose.put_record(DeliveryStreamName=name, Record=_record("c", "web", 4))
    advance(29)
    assert objects(bucket) == []  # nothing before the interval
    advance(1)  # a, b and the failed record's interval has passed; c's has not
    written = dict(objects(bucket))
    assert sorted(key.rsplit("/", 1)[0] for key in written) == [
        "data/customer=a/device=mobile", "data/customer=b/device=web", "errors/partitioning-failed"
    ]  # fmt: skip
    [a_body] = [body for key, body in written.items() if key.startswith("data/customer=a/")]
    assert a_body.endswith(b"\n")
    assert [line["n"] for line in _lines(a_body)] == [1, 3]
    [b_key] = [key for key in written if key.startswith("data/customer=b/")]
    assert b_key.rsplit("/", 1)[1].startswith(f"{name}-1-")
    [failed_body] = [body for key, body in written.items() if key.startswith("errors/")]
    [failure] = _lines(failed_body)
    assert failure["errorCode"] == "DynamicPartitioning.MetadataExtractionFailed"
    assert failure["errorMessage"] == "Non JSON record provided"
    advance(29)
    assert len(objects(bucket)) == 3
    advance(1)  # c's own interval
    [(c_key, c_body)] = [(k, v) for k, v in objects(bucket) if k.startswith("data/customer=c/")]
    assert c_key.startswith("data/customer=c/device=web/")
    assert [line["n"] for line in _lines(c_body)] == [4]


def test_a_partition_reaching_the_size_is_written_at_once_and_the_others_wait(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None], objects: Objects,
) -> None:  # fmt: skip
    name = make_stream(
        bucket, Prefix="!{partitionKeyFromQuery:device}/", ErrorOutputPrefix=ERRORS,
        BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 300}, DynamicPartitioningConfiguration={"Enabled": True},
        ProcessingConfiguration=_processing(_extraction("{device: .type.device}")),
    )  # fmt: skip
    filler = "x" * 400_000
    big = [{"Data": json.dumps({"type": {"device": "tv"}, "pad": filler, "n": n}).encode()} for n in range(3)]
    firehose.put_record_batch(DeliveryStreamName=name, Records=[_record("z", "radio", 0), *big])
    [(key, body)] = objects(bucket)
    assert key.startswith("tv/")
    assert [record["n"] for record in _concatenated(body)] == [0, 1, 2]
    advance(300)
    assert sorted(key.split("/")[0] for key, _ in objects(bucket)) == ["radio", "tv"]


def test_lambda_partition_keys_place_the_transformed_records(
    aws: Callable[..., Any], firehose: Any, bucket: str, make_stream: Callable[..., str],
    advance: Callable[[float], None], objects: Objects,
) -> None:  # fmt: skip
    lam = aws("lambda")
    arn = lam.create_function(
        FunctionName=f"parts-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role="arn:aws:iam::123456789012:role/r",
        Handler="lambda_function.handler", Code={"ZipFile": zipped({"lambda_function.py": PARTITIONING_HANDLER})},
    )["FunctionArn"]  # fmt: skip
    advance(1)
    lambda_processor = {"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": arn}]}
    name = make_stream(
        bucket, Prefix="kind=!{partitionKeyFromLambda:kind}/", ErrorOutputPrefix=ERRORS,
        BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60}, DynamicPartitioningConfiguration={"Enabled": True},
        ProcessingConfiguration=_processing(lambda_processor, DELIMITER),
    )  # fmt: skip
    records = [{"n": 1, "kind": "red"}, {"n": 2, "kind": "blue"}, {"n": 3}, {"n": 4, "kind": "red"}]
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": json.dumps(r).encode()} for r in records])
    advance(59)
    assert objects(bucket) == []
    advance(1)
    written = dict(objects(bucket))
    by_folder = {key.rsplit("/", 1)[0]: body for key, body in written.items()}
    assert set(by_folder) == {"kind=red", "kind=blue", "errors/partitioning-failed"}
    assert _lines(by_folder["kind=red"]) == [{"seen": 1}, {"seen": 4}]
    assert _lines(by_folder["kind=blue"]) == [{"seen": 2}]
    [failure] = _lines(by_folder["errors/partitioning-failed"])
    assert failure["errorCode"] == "DynamicPartitioning.PartitionKeyMissing"
    assert "!{partitionKeyFromLambda:kind}" in failure["errorMessage"]


def _create_error(firehose: Any, destination: dict[str, Any]) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        firehose.create_delivery_stream(
            DeliveryStreamName=f"bad-{uuid.uuid4().hex[:6]}", ExtendedS3DestinationConfiguration=destination
        )
    return error_of(caught)


def test_dynamic_partitioning_configurations_are_checked_as_aws_checks_them(
    firehose: Any, bucket: str, make_stream: Callable[..., str], paused: None
) -> None:
    base = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"}
    on: dict[str, Any] = {"DynamicPartitioningConfiguration": {"Enabled": True}}
    invalid: list[tuple[dict[str, Any], str]] = [
        ({"Prefix": PREFIX, "ErrorOutputPrefix": ERRORS},
         "Dynamic partitioning namespaces cannot be used in Prefix when dynamic partitioning is disabled"),
        ({**on, "Prefix": PREFIX, "ProcessingConfiguration": _processing(_extraction())},
         "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions"),
        ({**on, "Prefix": "plain/", "ProcessingConfiguration": _processing(_extraction())},
         "ErrorOutputPrefix cannot be null or empty when dynamic partitioning is enabled"),
        ({**on, "Prefix": "p/", "ErrorOutputPrefix": ERRORS}, "MetadataExtraction processor or a Lambda processor"),
        ({"ProcessingConfiguration": _processing(_extraction())},
         "Processor type MetadataExtraction is only supported when dynamic partitioning is enabled"),
        ({**on, "Prefix": "!{partitionKeyFromQuery:region}/", "ErrorOutputPrefix": ERRORS,
          "ProcessingConfiguration": _processing(_extraction())}, "does not define the key region"),
        ({**on, "Prefix": "!{partitionKeyFromLambda:kind}/", "ErrorOutputPrefix": ERRORS,
          "ProcessingConfiguration": _processing(_extraction())}, "no Lambda processor is configured"),
        ({**on, "Prefix": PREFIX, "ErrorOutputPrefix": ERRORS,
          "ProcessingConfiguration": _processing(_extraction(engine="JQ-1.5"))}, "JsonParsingEngine JQ-1.5"),
        ({**on, "Prefix": PREFIX, "ErrorOutputPrefix": "errors/!{partitionKeyFromQuery:customer}/",
          "ProcessingConfiguration": _processing(_extraction())}, "ErrorOutputPrefix"),
        ({**on, "Prefix": PREFIX, "ErrorOutputPrefix": ERRORS, "BufferingHints": {"IntervalInSeconds": 0},
          "ProcessingConfiguration": _processing(_extraction())}, "zero buffering"),
    ]  # fmt: skip
    for extra, words in invalid:
        code, status, message = _create_error(firehose, {**base, **extra})
        assert (code, status) == ("InvalidArgumentException", 400), (extra, message)
        assert words in message, (extra, message)
    code, status, message = _create_error(
        firehose, {**base, **on, "Prefix": PREFIX, "ErrorOutputPrefix": ERRORS,
                   "ProcessingConfiguration": _processing(_extraction("{customer: .customer_id | ascii_downcase}"))},
    )  # fmt: skip
    assert (code, status) == ("NotImplemented", 501)
    assert "ascii_downcase" in message
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == []
    # Dynamic partitioning cannot be turned on for a stream created without it.
    name = make_stream(bucket)
    version = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]["VersionId"]
    with pytest.raises(ClientError) as caught:
        firehose.update_destination(
            DeliveryStreamName=name, CurrentDeliveryStreamVersionId=version,
            DestinationId="destinationId-000000000001",
            ExtendedS3DestinationUpdate={**on, "Prefix": PREFIX, "ErrorOutputPrefix": ERRORS,
                                         "ProcessingConfiguration": _processing(_extraction())},
        )  # fmt: skip
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidArgumentException", 400)
    assert "cannot be enabled on an existing delivery stream" in message


def test_records_past_the_active_partition_quota_go_under_the_error_prefix(
    firehose: Any, s3: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None],
) -> None:  # fmt: skip
    name = make_stream(
        bucket, Prefix="id=!{partitionKeyFromQuery:id}/", ErrorOutputPrefix=ERRORS,
        BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60}, DynamicPartitioningConfiguration={"Enabled": True},
        ProcessingConfiguration=_processing(_extraction("{id: .id}")),
    )  # fmt: skip
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b'{"id": %d}' % n} for n in range(500)])
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b'{"id": 7}'}, {"Data": b'{"id": 500}'}])
    advance(60)
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len([key for key in keys if key.startswith("id=")]) == 500
    [error_key] = [key for key in keys if key.startswith("errors/partitioning-failed/")]
    [failure] = _lines(s3.get_object(Bucket=bucket, Key=error_key)["Body"].read())
    assert failure["errorCode"] == "DynamicPartitioning.ActivePartitionExceeded"
    assert failure["rawData"] == "eyJpZCI6IDUwMH0="  # {"id": 500}
    [seven] = [key for key in keys if key.startswith("id=7/")]
    assert s3.get_object(Bucket=bucket, Key=seven)["Body"].read() == b'{"id": 7}{"id": 7}'


def test_a_partitioned_stream_takes_updates_and_keeps_partitioning(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None], objects: Objects,
) -> None:  # fmt: skip
    name = make_stream(
        bucket, Prefix=PREFIX, ErrorOutputPrefix=ERRORS, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 300},
        DynamicPartitioningConfiguration={"Enabled": True, "RetryOptions": {"DurationInSeconds": 600}},
        ProcessingConfiguration=_processing(_extraction()),
    )  # fmt: skip
    firehose.update_destination(
        DeliveryStreamName=name, CurrentDeliveryStreamVersionId="1", DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"BufferingHints": {"IntervalInSeconds": 60}, "Prefix": "v2/" + PREFIX},
    )  # fmt: skip
    described = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    destination = described["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert destination["DynamicPartitioningConfiguration"] == {
        "Enabled": True,
        "RetryOptions": {"DurationInSeconds": 600},
    }
    assert destination["BufferingHints"] == {"SizeInMBs": 1, "IntervalInSeconds": 60}
    firehose.put_record_batch(DeliveryStreamName=name, Records=[_record("a", "tv", 1), _record("b", "tv", 2)])
    advance(60)
    assert sorted(key.rsplit("/", 1)[0] for key, _ in objects(bucket)) == [
        "v2/data/customer=a/device=tv", "v2/data/customer=b/device=tv"
    ]  # fmt: skip
