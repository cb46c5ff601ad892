"""Data transformation with Lambda (ProcessingConfiguration with a Lambda processor), as AWS
documents it: records are sent to the function, synchronously, in batches of at most the
processor's BufferSizeInMBs (default 1 MB), in AWS's event shape

    {"invocationId", "deliveryStreamArn", "region", "sourceKinesisStreamArn" (Kinesis source),
     "records": [{"recordId", "approximateArrivalTimestamp" (ms), "data" (base64)}]}

and the function answers {"records": [{"recordId", "result", "data"}]}: "Ok" records go on with
their new data, "Dropped" ones are gone, "ProcessingFailed" ones (and every record of a batch whose
invocation failed NumberOfRetries + 1 times, or whose answer is not AWS's shape) are written under
the error prefix (`processing-failed`) as JSON lines with attemptsMade, arrivalTimestamp,
errorCode, errorMessage, attemptEndingTimestamp, rawData and lambdaArn.

The function runs outside any transaction (it may call back into the sandbox), when the
destination buffer flushes: see buffering.flush_due.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from playground.gateway.errors import AwsError, NotEmulated
from services.awslambda.public import invoke_with_role
from services.firehose import jq
from services.firehose.delivery import Item
from services.firehose.exceptions import InvalidArgumentException
from services.firehose.models import KINESIS_SOURCE, DeliveryStream

MB = 1024 * 1024
DEFAULT_SIZE_MB = 1.0
DEFAULT_INTERVAL = 60
DEFAULT_RETRIES = 3
MAX_RETRIES = 300
LAMBDA_PARAMETERS = ("LambdaArn", "NumberOfRetries", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds")
RESULTS = ("Ok", "Dropped", "ProcessingFailed")
PROCESSOR_TYPES = ("Lambda", "MetadataExtraction", "AppendDelimiterToRecord")
JQ_ENGINE = "JQ-1.6"
LAMBDA_KEYS = "partitionKeyFromLambda"
QUERY_KEYS = "partitionKeyFromQuery"


@dataclass(frozen=True)
class Processor:
    lambda_arn: str
    retries: int
    size: int  # bytes of records per invocation
    interval: int


@dataclass(frozen=True)
class Failed:
    item: Item
    code: str
    message: str
    attempts: int


@dataclass
class Transformed:
    ok: list[Item] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    invocations: int = 0
    failed_invocations: int = 0
    duration_ms: float = 0.0


def _number(name: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:
        raise InvalidArgumentException(
            f"{name} {value} is invalid for the Lambda processor: it must be a number between {low:g} and {high:g}."
        )
    return number


def _parameters(processor: dict[str, Any]) -> dict[str, str]:
    return {p["ParameterName"]: p["ParameterValue"] for p in processor.get("Parameters") or []}


def _check_parameters(kind: str, parameters: dict[str, str], allowed: tuple[str, ...]) -> None:
    for name in parameters:
        if name not in allowed:
            raise InvalidArgumentException(f"Parameter {name} is not supported for processor type {kind}.")


def check(config: dict[str, Any] | None, *, dynamic_partitioning: bool = False) -> None:
    """A ProcessingConfiguration as CreateDeliveryStream and UpdateDestination check it: Lambda,
    MetadataExtraction (dynamic partitioning only) and AppendDelimiterToRecord processors."""
    if not config or not config.get("Enabled"):
        return
    processors = config.get("Processors") or []
    for processor in processors:
        kind = processor["Type"]
        if kind not in PROCESSOR_TYPES:
            raise NotEmulated(f"Firehose {kind} processors are not emulated yet ({', '.join(PROCESSOR_TYPES)} are).")
        parameters = _parameters(processor)
        if kind == "MetadataExtraction":
            _check_metadata_extraction(parameters, dynamic_partitioning=dynamic_partitioning)
            continue
        if kind == "AppendDelimiterToRecord":
            _check_parameters(kind, parameters, ("Delimiter",))
            delimiter_of(parameters)
            continue
        _check_parameters(kind, parameters, LAMBDA_PARAMETERS)
        if not parameters.get("LambdaArn"):
            raise InvalidArgumentException("LambdaArn must be specified for processor type Lambda.")
        if "NumberOfRetries" in parameters:
            _number("NumberOfRetries", parameters["NumberOfRetries"], 0, MAX_RETRIES)
        if "BufferSizeInMBs" in parameters:
            _number("BufferSizeInMBs", parameters["BufferSizeInMBs"], 0.2, 3)
        if "BufferIntervalInSeconds" in parameters:
            _number("BufferIntervalInSeconds", parameters["BufferIntervalInSeconds"], 0, 900)
    for kind in PROCESSOR_TYPES:
        if sum(1 for p in processors if p["Type"] == kind) > 1:
            raise InvalidArgumentException(f"Only one processor of type {kind} can be specified.")


def _check_metadata_extraction(parameters: dict[str, str], *, dynamic_partitioning: bool) -> None:
    if not dynamic_partitioning:
        raise InvalidArgumentException(
            "Processor type MetadataExtraction is only supported when dynamic partitioning is enabled."
        )
    _check_parameters("MetadataExtraction", parameters, ("MetadataExtractionQuery", "JsonParsingEngine"))
    for required in ("MetadataExtractionQuery", "JsonParsingEngine"):
        if not parameters.get(required):
            raise InvalidArgumentException(f"{required} must be specified for processor type MetadataExtraction.")
    if parameters["JsonParsingEngine"] != JQ_ENGINE:
        raise InvalidArgumentException(
            f"JsonParsingEngine {parameters['JsonParsingEngine']} is not supported: it must be {JQ_ENGINE}."
        )
    jq.parse(parameters["MetadataExtractionQuery"])


def delimiter_of(parameters: dict[str, str]) -> bytes:
    """AppendDelimiterToRecord's delimiter: a newline, or Delimiter (base64, as AWS takes custom
    delimiters)."""
    if "Delimiter" not in parameters:
        return b"\n"
    try:
        delimiter = base64.b64decode(parameters["Delimiter"], validate=True)
    except (binascii.Error, ValueError):
        delimiter = b""
    if not delimiter:
        raise InvalidArgumentException(
            "Delimiter must be a non-empty base64-encoded string for processor type AppendDelimiterToRecord."
        )
    return delimiter


def _processor(destination: dict[str, Any], kind: str) -> dict[str, str] | None:
    config = destination.get("ProcessingConfiguration") or {}
    if not config.get("Enabled"):
        return None
    for processor in config.get("Processors") or []:
        if processor["Type"] == kind:
            return _parameters(processor)
    return None


def query_of(destination: dict[str, Any]) -> jq.Query | None:
    """The destination's MetadataExtraction query, parsed, if it has one."""
    parameters = _processor(destination, "MetadataExtraction")
    return jq.parse(parameters["MetadataExtractionQuery"]) if parameters else None


def appended_delimiter(destination: dict[str, Any]) -> bytes | None:
    """What AppendDelimiterToRecord adds after each delivered record, if the destination has it."""
    parameters = _processor(destination, "AppendDelimiterToRecord")
    return delimiter_of(parameters) if parameters is not None else None


def processor_of(destination: dict[str, Any]) -> Processor | None:
    """The destination's enabled Lambda processor, if it has one."""
    config = destination.get("ProcessingConfiguration") or {}
    if not config.get("Enabled"):
        return None
    for processor in config.get("Processors") or []:
        if processor["Type"] == "Lambda":
            parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor.get("Parameters") or []}
            return Processor(
                lambda_arn=parameters["LambdaArn"],
                retries=int(float(parameters.get("NumberOfRetries", DEFAULT_RETRIES))),
                size=int(float(parameters.get("BufferSizeInMBs", DEFAULT_SIZE_MB)) * MB),
                interval=int(float(parameters.get("BufferIntervalInSeconds", DEFAULT_INTERVAL))),
            )
    return None


def _ms(at: dt.datetime) -> int:
    return int(at.timestamp() * 1000)


def _batches(items: list[Item], size: int) -> list[list[Item]]:
    batches: list[list[Item]] = [[]]
    held = 0
    for item in items:
        if batches[-1] and held + len(item.data) > size:
            batches.append([])
            held = 0
        batches[-1].append(item)
        held += len(item.data)
    return [batch for batch in batches if batch]


class _BadAnswer(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _partition_keys(record: dict[str, Any]) -> dict[str, str] | None:
    """metadata.partitionKeys of an answered record (dynamic partitioning), values as text."""
    keys = (record.get("metadata") or {}).get("partitionKeys")
    if keys is None:
        return None
    if not isinstance(keys, dict):
        raise TypeError("partitionKeys is not an object")
    return {str(name): value if isinstance(value, str) else json.dumps(value) for name, value in keys.items()}


def _read_answer(payload: bytes, ids: list[str]) -> list[tuple[str, str, bytes, dict[str, str] | None]]:
    """[(recordId, result, data, partition keys)] of a function's answer, or _BadAnswer as AWS
    rejects it."""
    try:
        answer = json.loads(payload)
        records = answer["records"]
        read = [(str(r["recordId"]), str(r["result"]), base64.b64decode(r.get("data") or "", validate=True),
                 _partition_keys(r)) for r in records]  # fmt: skip
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise _BadAnswer(
            "Lambda.JsonProcessingException",
            "There was an error parsing returned records from the Lambda function. Ensure that the returned records "
            "follow the status model required by Kinesis Firehose.",
        ) from None
    seen = [record_id for record_id, _, _, _ in read]
    if len(set(seen)) != len(seen):
        raise _BadAnswer("Lambda.DuplicatedRecordId", "Multiple records were returned with the same record ID.")
    if set(seen) != set(ids):
        raise _BadAnswer("Lambda.MissingRecordId", "One or more record IDs were not returned.")
    for _, result, _, _ in read:
        if result not in RESULTS:
            raise _BadAnswer(
                "Lambda.InvalidRecordResult",
                f"The result {result} of a returned record is not one of Ok, Dropped or ProcessingFailed.",
            )
    return read


def transform(stream: DeliveryStream, processor: Processor, items: list[Item], *, now: dt.datetime) -> Transformed:
    """Run the records through the function, batch by batch. Outside any transaction."""
    done = Transformed()
    for batch in _batches(items, processor.size):
        ids = [f"{index:056d}" for index in range(len(batch))]
        event: dict[str, Any] = {"invocationId": str(uuid.uuid4()), "deliveryStreamArn": stream.arn,
                                 "region": stream.region}  # fmt: skip
        if stream.stream_type == KINESIS_SOURCE:
            event["sourceKinesisStreamArn"] = stream.source_stream_arn
        event["records"] = [
            {"recordId": record_id, "approximateArrivalTimestamp": _ms(item.arrived_at),
             "data": base64.b64encode(item.data).decode()}
            for record_id, item in zip(ids, batch, strict=True)
        ]  # fmt: skip
        problem = _BadAnswer("Lambda.FunctionError", "")
        attempts = 0
        read: list[tuple[str, str, bytes, dict[str, str] | None]] | None = None
        while attempts <= processor.retries:
            attempts += 1
            done.invocations += 1
            started = time.perf_counter()  # what ExecuteProcessing.Duration measures
            try:
                payload, function_error = invoke_with_role(
                    sandbox=stream.sandbox, function_arn=processor.lambda_arn, payload=event, source_arn=stream.arn,
                    now=now, kind="Firehose",
                )  # fmt: skip
            except AwsError as refused:
                problem = _BadAnswer(f"Lambda.{refused.code.removesuffix('Exception')}", refused.message or "")
                done.failed_invocations += 1
                continue
            finally:
                done.duration_ms += (time.perf_counter() - started) * 1000
            if function_error:
                done.failed_invocations += 1
                problem = _BadAnswer("Lambda.FunctionError", _error_message(payload))
                continue
            try:
                read = _read_answer(payload, ids)
            except _BadAnswer as bad:
                problem = bad
                break  # the same records get the same answer: not retried
            break
        by_id = dict(zip(ids, batch, strict=True))
        if read is None:
            done.failed.extend(Failed(item, problem.code, problem.message, attempts) for item in batch)
            continue
        for record_id, result, data, keys in read:
            original = by_id[record_id]
            if result == "Ok":
                done.ok.append(Item(data=data, arrived_at=original.arrived_at,
                                    keys={LAMBDA_KEYS: keys} if keys is not None else None))  # fmt: skip
            elif result == "ProcessingFailed":
                done.failed.append(Failed(original, "Lambda.ProcessingFailedStatus",
                                          "ProcessingFailed status set for record", attempts))  # fmt: skip
    return done


def _error_message(payload: bytes) -> str:
    try:
        error = json.loads(payload)
        return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
    except (ValueError, AttributeError):
        return "The Lambda function returned an error."
