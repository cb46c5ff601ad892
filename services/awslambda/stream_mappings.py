"""Kinesis event source mappings: Lambda's stream poller on the sandbox clock.

Each second of sandbox time an enabled mapping looks at every shard of its stream. A shard has
ParallelizationFactor batchers (1 to 10); a partition key always goes to the same one (its MD5
hash modulo the factor), so a key's records arrive in order while the shard's other keys go on
side by side. Each batcher sends the function at most one batch per poll: up to BatchSize of its
records after its checkpoint (waiting up to MaximumBatchingWindowInSeconds for a full batch), in
AWS's Kinesis event shape. The poll's batches, of every shard and batcher, run at the same time
(one thread each). A shard is read only once its parents (after a split or a merge) are read to
their end, so a partition key's records arrive in order across a resharding too.

When the function succeeds the batcher's checkpoint moves past the batch. When it fails, the same
batch is tried again at the next poll (the batcher waits, as on AWS; the shard's other batchers go
on): split in two first with BisectBatchOnFunctionError (splitting does not count as a retry),
until MaximumRetryAttempts retries are spent (-1: until the records expire). Records older than
MaximumRecordAgeInSeconds are skipped. A discarded batch is described to the OnFailure destination
(an SQS queue or SNS topic) in AWS's shape (KinesisBatchInfo) and the batcher moves on. With
ReportBatchItemFailures the checkpoint moves to the first failed record, which is retried from
there.

LIMITATIONS: changing ParallelizationFactor restarts a shard's batchers from the one furthest
behind (records the others had done come again); the poller reads outside the stream's GetRecords
throughput limits; no tumbling windows, filter criteria or enhanced fan-out consumers as the
source.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction

from playground.sandboxes.models import Sandbox
from services.awslambda import invoking, metrics, runtime
from services.awslambda.exceptions import InvalidParameterValueException, TooManyRequestsException
from services.awslambda.models import EventSourceMapping, Function

POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
MAX_PAYLOAD = invoking.MAX_SYNC_PAYLOAD - 64 * 1024  # room for the envelope around the records


def _kinesis() -> Any:
    import services.kinesis.public

    return services.kinesis.public


def is_stream(arn: str) -> bool:
    return ":kinesis:" in arn and ":stream/" in arn


def check(*, params: dict[str, Any], creating: bool) -> None:
    """The checks of a Kinesis mapping's parameters, in AWS's order."""
    position = params.get("StartingPosition")
    if creating and not position:
        raise InvalidParameterValueException(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: "
            "Member must not be null"
        )
    if position == "AT_TIMESTAMP" and params.get("StartingPositionTimestamp") is None:
        raise InvalidParameterValueException("Need to specify a timestamp")
    if position and position not in POSITIONS:
        raise InvalidParameterValueException(f"Unsupported starting position for Kinesis: {position}")
    if not 0 <= (params.get("MaximumBatchingWindowInSeconds") or 0) <= 300:
        raise InvalidParameterValueException("MaximumBatchingWindowInSeconds must be between 0 and 300.")
    age = params.get("MaximumRecordAgeInSeconds")
    if age is not None and age != -1 and not 60 <= age <= 604800:
        raise InvalidParameterValueException(
            "1 validation error detected: Value at 'maximumRecordAgeInSeconds' failed to satisfy constraint: "
            "Member must have value greater than or equal to 60"
        )
    factor = params.get("ParallelizationFactor")
    if factor is not None and not 1 <= factor <= 10:
        raise InvalidParameterValueException("ParallelizationFactor must be between 1 and 10.")
    destination = ((params.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination") or ""
    if destination and ":sqs:" not in destination and ":sns:" not in destination:
        raise InvalidParameterValueException(
            "The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination="
            f"{destination})) is invalid."
        )


def create(*, function: Function, params: dict[str, Any], now: dt.datetime) -> EventSourceMapping:
    source = params["EventSourceArn"]
    sandbox = function.sandbox
    check(params=params, creating=True)
    kinesis = _kinesis()
    shards = kinesis.stream_shards(sandbox=sandbox, stream_arn=source, now=now)
    if shards is None:
        raise InvalidParameterValueException(f"Stream not found: {source}")
    position = params["StartingPosition"]
    timestamp = params.get("StartingPositionTimestamp")
    factor = params.get("ParallelizationFactor") or 1
    state = {
        shard["shard_id"]: _fresh(kinesis.shard_start(sandbox=sandbox, stream_arn=source, shard_id=shard["shard_id"],
                                                      position=position, timestamp=timestamp, now=now), factor)
        for shard in shards
    }  # fmt: skip
    from services.awslambda.mappings import SETTLE

    return EventSourceMapping.objects.create(
        sandbox=sandbox, uuid=str(uuid.uuid4()), region=function.region, function=function, source_arn=source,
        batch_size=params.get("BatchSize") or 100, window=params.get("MaximumBatchingWindowInSeconds") or 0,
        enabled=params.get("Enabled", True),
        report_failures="ReportBatchItemFailures" in (params.get("FunctionResponseTypes") or []),
        state="Creating", settles_at=now + SETTLE, last_modified=now, poll_at=now + SETTLE,
        starting_position=position, starting_timestamp=timestamp, **_settings(params, None), shards=state,
    )  # fmt: skip


def _settings(params: dict[str, Any], mapping: EventSourceMapping | None) -> dict[str, Any]:
    def pick(name: str, field: str, default: Any) -> Any:
        return params[name] if name in params else (getattr(mapping, field) if mapping is not None else default)

    destination = params.get("DestinationConfig")
    on_failure = (
        ((destination or {}).get("OnFailure") or {}).get("Destination", "")
        if "DestinationConfig" in params
        else (mapping.on_failure if mapping is not None else "")
    )
    return {
        "bisect": pick("BisectBatchOnFunctionError", "bisect", False),
        "max_retries": pick("MaximumRetryAttempts", "max_retries", -1),
        "max_record_age": pick("MaximumRecordAgeInSeconds", "max_record_age", -1),
        "parallelization": pick("ParallelizationFactor", "parallelization", 1),
        "on_failure": on_failure,
    }


def update(*, mapping: EventSourceMapping, params: dict[str, Any]) -> None:
    """Apply UpdateEventSourceMapping's stream settings to the row (the caller saves it)."""
    check(params=params, creating=False)
    for field, value in _settings(params, mapping).items():
        setattr(mapping, field, value)


def description(mapping: EventSourceMapping) -> dict[str, Any]:
    described: dict[str, Any] = {
        "StartingPosition": mapping.starting_position,
        "ParallelizationFactor": mapping.parallelization,
        "BisectBatchOnFunctionError": mapping.bisect,
        "MaximumRetryAttempts": mapping.max_retries,
        "MaximumRecordAgeInSeconds": mapping.max_record_age,
        "TumblingWindowInSeconds": 0,
        "DestinationConfig": {"OnFailure": {"Destination": mapping.on_failure}}
        if mapping.on_failure
        else {"OnFailure": {}},
        "LastProcessingResult": mapping.last_result,
    }
    if mapping.starting_timestamp is not None:
        described["StartingPositionTimestamp"] = mapping.starting_timestamp
    return described


# --- the poller ------------------------------------------------------------------------------------


def _iso(moment: dt.datetime) -> str:
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _event(records: list[dict[str, Any]], *, shard_id: str, mapping: EventSourceMapping) -> bytes:
    function = mapping.function
    return json.dumps({"Records": [
        {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": record["partition_key"],
                "sequenceNumber": record["sequence_number"],
                "data": base64.b64encode(record["data"]).decode(),
                "approximateArrivalTimestamp": round(record["arrived_at"].timestamp(), 3),
                **({"encryptionType": "KMS"} if record["encrypted"] else {}),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{record['sequence_number']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": function.role,
            "awsRegion": mapping.region,
            "eventSourceARN": mapping.source_arn,
        }
        for record in records
    ]}).encode()  # fmt: skip


def _discard(
    mapping: EventSourceMapping, records: list[dict[str, Any]], *, shard_id: str, condition: str, tries: int,
    error: str | None, now: dt.datetime,
) -> None:  # fmt: skip
    """Tell the OnFailure destination about a batch the mapping gives up on (AWS's record)."""
    if not mapping.on_failure or not records:
        return
    context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if error:
        context["functionError"] = error
    body = json.dumps({
        "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": mapping.function.arn,
                           "condition": condition, "approximateInvokeCount": tries},
        "responseContext": context,
        "version": "1.0",
        "timestamp": _iso(now),
        "KinesisBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["sequence_number"],
            "endSequenceNumber": records[-1]["sequence_number"],
            "approximateArrivalOfFirstRecord": _iso(records[0]["arrived_at"]),
            "approximateArrivalOfLastRecord": _iso(records[-1]["arrived_at"]),
            "batchSize": len(records),
            "streamArn": mapping.source_arn,
        },
    })  # fmt: skip
    invoking.send_record(mapping.function, target=mapping.on_failure, body=body, now=now)


def _failed_from(payload: bytes, records: list[dict[str, Any]]) -> int | None:
    """ReportBatchItemFailures: the index of the first record the answer names as failed; None when
    none is; -1 when the answer is malformed (the whole batch failed)."""
    try:
        answer = json.loads(payload or b"null")
    except ValueError:
        return -1
    if not isinstance(answer, dict) or answer.get("batchItemFailures") in (None, []):
        return None
    failures = answer["batchItemFailures"]
    if not isinstance(failures, list):
        return -1
    index = {record["sequence_number"]: position for position, record in enumerate(records)}
    found = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in index:
            return -1
        found.append(index[identifier])
    return min(found)


def _lane_of(partition_key: str, lanes: int) -> int:
    """The batcher of a shard that handles a partition key: its MD5 hash (as Kinesis hashes keys)
    modulo ParallelizationFactor, so a key's records always go through the same one."""
    return int(hashlib.md5(partition_key.encode(), usedforsecurity=False).hexdigest(), 16) % lanes


def _fresh(after: int, lanes: int) -> dict[str, Any]:
    return {"lanes": [{"after": after, "tries": 0} for _ in range(lanes)]}


def _lanes(entry: dict[str, Any], factor: int) -> list[dict[str, Any]]:
    """The shard's batchers, one per ParallelizationFactor. When the factor changed, keys move
    between batchers: all of them start again from the one furthest behind (records the others
    had done come again: delivery is at least once)."""
    lanes = entry.get("lanes") or [{"after": entry.get("after", 0), "tries": 0}]
    if len(lanes) != factor:
        lanes = _fresh(min(lane["after"] for lane in lanes), factor)["lanes"]
    entry["lanes"] = lanes
    return lanes


@dataclass
class _Batch:
    shard_id: str
    lane: dict[str, Any]
    records: list[dict[str, Any]]
    payload: bytes
    result: invoking.Result | None = None  # None: throttled


def poll(mapping: EventSourceMapping, *, now: dt.datetime) -> None:
    """One poll: a batch from each batcher of each shard that has records, all run at once, then
    each batcher's checkpoint moved by its batch's outcome."""
    kinesis = _kinesis()
    sandbox: Sandbox = mapping.sandbox
    shards = kinesis.stream_shards(sandbox=sandbox, stream_arn=mapping.source_arn, now=now)
    if shards is None:
        EventSourceMapping.objects.filter(pk=mapping.pk).update(last_result="PROBLEM: Stream not found")
        return
    state: dict[str, dict[str, Any]] = dict(mapping.shards or {})
    present = {shard["shard_id"] for shard in shards}
    batches: list[_Batch] = []
    for shard in shards:
        shard_id = shard["shard_id"]
        if any(parent in present and not state.get(parent, {}).get("done") for parent in shard["parents"]):
            continue  # its parents' records come first
        entry = state.setdefault(shard_id, _fresh(0, mapping.parallelization))  # a new child: from its start
        if entry.get("done"):
            continue
        lanes = _lanes(entry, mapping.parallelization)
        for index, lane in enumerate(lanes):
            batch = _prepare(mapping, shard_id=shard_id, lane=lane, index=index, lanes=len(lanes), now=now)
            if batch is not None:
                batches.append(batch)
    _run_all(mapping, batches, now=now)
    for batch in batches:
        _settle(mapping, batch, now=now)
    for shard in shards:
        entry = state.get(shard["shard_id"]) or {}
        if entry.get("lanes") and not shard["open"] and all(lane["after"] >= shard["last"] for lane in entry["lanes"]):
            entry["done"] = True
    state = {shard_id: entry for shard_id, entry in state.items() if shard_id in present}
    EventSourceMapping.objects.filter(pk=mapping.pk).update(shards=state, last_result=mapping.last_result)


def _lane_records(
    mapping: EventSourceMapping, *, shard_id: str, lane: dict[str, Any], index: int, lanes: int, limit: int,
    now: dt.datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    """Up to `limit` records of the batcher's partition keys after its checkpoint. When it has
    none, its checkpoint moves past the other batchers' records it read."""
    kinesis = _kinesis()
    page = max(limit, min(limit * lanes, 10_000))
    after = lane["after"]
    found: list[dict[str, Any]] = []
    while len(found) < limit:
        records = kinesis.shard_records(sandbox=mapping.sandbox, stream_arn=mapping.source_arn, shard_id=shard_id,
                                        after=after, limit=page, now=now)  # fmt: skip
        mine = [record for record in records if _lane_of(record["partition_key"], lanes) == index]
        found += mine[: limit - len(found)]
        if records:
            after = records[-1]["counter"]
        if len(records) < page:
            break
    if not found:
        lane["after"] = after
    return found


def _prepare(
    mapping: EventSourceMapping, *, shard_id: str, lane: dict[str, Any], index: int, lanes: int, now: dt.datetime
) -> _Batch | None:
    """The batcher's next batch, or None (no records, or its batching window still gathering)."""
    size = lane.get("size") or mapping.batch_size
    records = _lane_records(mapping, shard_id=shard_id, lane=lane, index=index, lanes=lanes, limit=size, now=now)
    if not records:
        lane.pop("since", None)
        return None
    if mapping.max_record_age != -1:
        limit = now - dt.timedelta(seconds=mapping.max_record_age)
        old = [record for record in records if record["arrived_at"] < limit]
        if old:
            _discard(mapping, old, shard_id=shard_id, condition="RecordAgeExceeded", tries=lane["tries"],
                     error=None, now=now)  # fmt: skip
            lane.update(after=old[-1]["counter"], tries=0, size=None)
            records = records[len(old) :]
            if not records:
                return None
    if mapping.window > 0 and not lane.get("size") and not lane["tries"] and len(records) < mapping.batch_size:
        since = dt.datetime.fromisoformat(lane["since"]) if lane.get("since") else now
        if now < since + dt.timedelta(seconds=mapping.window):
            lane["since"] = since.isoformat()
            return None
    lane.pop("since", None)
    taken: list[dict[str, Any]] = []
    total = 0
    for record in records:
        total += len(record["data"]) * 4 // 3 + 600
        if taken and total > MAX_PAYLOAD:
            break
        taken.append(record)
    return _Batch(shard_id=shard_id, lane=lane, records=taken,
                  payload=_event(taken, shard_id=shard_id, mapping=mapping))  # fmt: skip


def _run(mapping: EventSourceMapping, batch: _Batch, *, now: dt.datetime) -> None:
    try:
        batch.result = invoking.run(function=mapping.function, payload=batch.payload, kind="Kinesis",
                                    source=mapping.source_arn, now=now)  # fmt: skip
    except TooManyRequestsException:
        batch.result = None  # throttled: the same batch at the next poll


def _run_in_thread(mapping: EventSourceMapping, batch: _Batch, now: dt.datetime) -> None:
    try:
        _run(mapping, batch, now=now)
    finally:
        connections.close_all()  # this thread's own database connections


def _run_all(mapping: EventSourceMapping, batches: list[_Batch], *, now: dt.datetime) -> None:
    """The poll's batches, each shard's batchers side by side, run at the same time (one thread
    each, up to the environments a function may have in this process); one alone runs here."""
    if len(batches) <= 1:
        for batch in batches:
            _run(mapping, batch, now=now)
        return
    _ = mapping.function.sandbox  # loaded here once, not by each thread
    workers = min(len(batches), runtime.MAX_ENVIRONMENTS)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambda-kinesis") as pool:
        for done in [pool.submit(_run_in_thread, mapping, batch, now) for batch in batches]:
            done.result()


def _settle(mapping: EventSourceMapping, batch: _Batch, *, now: dt.datetime) -> None:
    """Move the batcher's checkpoint by its batch's outcome: past it, to its first reported
    failure, or not at all (bisected, retried, or at last discarded)."""
    result, lane, records, shard_id = batch.result, batch.lane, batch.records, batch.shard_id
    if result is None:
        return
    age_ms = (now - records[-1]["arrived_at"]).total_seconds() * 1000
    with transaction.atomic():
        metrics.iterator_age(mapping.function, age_ms=age_ms, now=now)
    failed_at: int | None = -1 if result.function_error else None
    if failed_at is None and mapping.report_failures:
        failed_at = _failed_from(result.payload, records)
    if failed_at is None:
        lane.update(after=records[-1]["counter"], tries=0, size=None)
        mapping.last_result = "OK"
        return
    mapping.last_result = "PROBLEM: Function call failed"
    if failed_at > 0:  # a partial failure: the records before the first failed one are done
        lane.update(after=records[failed_at - 1]["counter"], size=None)
        records = records[failed_at:]
    if mapping.bisect and len(records) > 1 and failed_at == -1:
        lane["size"] = (len(records) + 1) // 2  # splitting is not a retry
        return
    lane["tries"] += 1
    if mapping.max_retries != -1 and lane["tries"] > mapping.max_retries:
        _discard(mapping, records, shard_id=shard_id, condition="RetryAttemptsExhausted", tries=lane["tries"],
                 error=result.function_error or "Unhandled", now=now)  # fmt: skip
        lane.update(after=records[-1]["counter"], tries=0, size=None)
