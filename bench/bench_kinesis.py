"""Kinesis PutRecords (500 records of 1 KiB) and GetRecords calls per second, our server against
moto's, in one run. Target: ours at least 3x moto for each, judged on the raw rows.

Two ways of calling, one after the other. The boto3 rows: one boto3 client, as a producer would
call. The raw rows (bench/raw.py): the requests botocore built and signed for such calls,
captured once and replayed back to back over one keep-alive connection, every answer checked
(HTTP 200, botocore's parser reads it, PutRecords' FailedRecordCount is 0). About 120 ms of each
boto3 PutRecords is boto3's own work against some 30 ms of either server's, so the boto3 ratio
stays near 1 whatever the servers do; the raw calls/s ratio is the servers' and is the headline.
The raw PutRecords requests carry partition keys chosen so that every shard gets the same number
of records (5 a call): replayed, they stay within every shard's write limit up to about 190 calls
a second. The raw GetRecords requests read 100 records from each shard's TRIM_HORIZON, one
request per shard, replayed round the shards (within the 5 reads a second per shard).

Both servers get a stream of SHARDS shards, made through their own API (ours is CREATING for ten
seconds of sandbox time first; the bench waits for ACTIVE). PutRecords sends 500 records with
random partition keys, so each call spreads over the shards and stays within every shard's write
limit (1 MiB and 1,000 records a second), which our server enforces and moto does not; records
that came back throttled are counted and reported. GetRecords reads the records those calls put,
100 at a time, turning round the shards so that no shard is read more than its five times a
second (our limit again). Our server stores every record as a row, keeps the per-shard
throughput counters, records every call (ApiCall row and api.call event), publishes a flow
event per call and keeps the call's AWS/Kinesis metric samples (one row a call, published to
CloudWatch once a minute); moto keeps everything in process memory and publishes no metrics.
`python -m bench.profile_kinesis` shows where our server's time goes.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.harness import Harness, Options, Ratio, Report, Server, bench, measure_operations, ratio
from bench.raw import Captured, Replayer, capture
from bench.timing import Call, Rate

TARGET = 3.0
MIB = 1024 * 1024
SHARDS = 100
BATCH = 500
RECORD = os.urandom(1024)
READ_LIMIT = 100
RAW_PUT_BODIES = 4  # distinct PutRecords requests replayed in turn
RAW_PER_SHARD = BATCH // SHARDS


def _balanced_keys(seed: int) -> list[str]:
    """BATCH partition keys, RAW_PER_SHARD of them to each of SHARDS uniform shards (MD5, as both
    servers map them), so that a replayed call never goes over a shard's write limit first."""
    starts = [2**128 * index // SHARDS for index in range(SHARDS)]
    counts = [0] * SHARDS
    keys: list[str] = []
    for number in itertools.count():
        key = f"raw-{seed}-{number}"
        digest = hashlib.md5(key.encode()).digest()  # noqa: S324 (AWS's partition key mapping)
        shard = bisect.bisect_right(starts, int.from_bytes(digest, "big")) - 1
        if counts[shard] < RAW_PER_SHARD:
            counts[shard] += 1
            keys.append(key)
            if len(keys) == BATCH:
                return keys
    raise AssertionError("unreachable")


def _active(client: Any, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
        if status == "ACTIVE":
            return
        time.sleep(0.5)
    raise RuntimeError(f"stream {name} did not become ACTIVE in 60 s")


def _stream(server: Server) -> tuple[Any, str, list[str]]:
    """A boto3 client, and a new ACTIVE stream of SHARDS shards on the server: its name and shard ids."""
    client = server.client("kinesis")
    name = f"bench-{uuid.uuid4().hex[:8]}"
    client.create_stream(StreamName=name, ShardCount=SHARDS)
    _active(client, name)
    return client, name, [shard["ShardId"] for shard in client.list_shards(StreamName=name)["Shards"]]


def _calls(label: str, server: Server, throttled: dict[str, int]) -> dict[str, Call]:
    client, name, shard_ids = _stream(server)
    iterators: dict[str, str] = {
        shard: client.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        for shard in shard_ids
    }
    turn = itertools.cycle(shard_ids)

    def put_records() -> Any:
        records = [{"Data": RECORD, "PartitionKey": uuid.uuid4().hex} for _ in range(BATCH)]
        answer = client.put_records(StreamName=name, Records=records)
        throttled[label] = throttled.get(label, 0) + answer["FailedRecordCount"]
        return answer

    def get_records() -> Any:
        shard = next(turn)
        answer = client.get_records(ShardIterator=iterators[shard], Limit=READ_LIMIT)
        iterators[shard] = answer.get("NextShardIterator") or iterators[shard]
        return answer

    return {"put_records": put_records, "get_records": get_records}


def _all_put(answer: dict[str, Any]) -> None:
    if answer["FailedRecordCount"] != 0 or len(answer["Records"]) != BATCH:
        raise RuntimeError(f"PutRecords put {BATCH - answer['FailedRecordCount']} of {len(answer['Records'])} records")


def _read_some(answer: dict[str, Any]) -> None:
    if not answer["Records"]:
        raise RuntimeError("GetRecords returned no records")


def _raw_calls(server: Server, options: Options) -> dict[str, Call]:
    """PutRecords and GetRecords as captured bytes (bench/raw.py) on a stream of their own."""
    client, name, shard_ids = _stream(server)
    puts = capture(
        client,
        "put_records",
        [
            {"StreamName": name, "Records": [{"Data": RECORD, "PartitionKey": key} for key in _balanced_keys(seed)]}
            for seed in range(RAW_PUT_BODIES)
        ],
    )
    iterators = {
        shard: client.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        for shard in shard_ids
    }
    gets: list[Captured] = capture(
        client, "get_records", [{"ShardIterator": iterator, "Limit": READ_LIMIT} for iterator in iterators.values()]
    )
    resign = options.auth == "strict"
    return {
        "raw_put_records": Replayer(server.url, client, puts, check=_all_put, resign=resign),
        "raw_get_records": Replayer(server.url, client, gets, check=_read_some, resign=resign),
    }


@bench("kinesis", "kinesis PutRecords (500 x 1 KiB) and GetRecords calls/s, boto3 and raw: ours vs moto (>= 3x)")
def run(harness: Harness, options: Options) -> Report:
    servers: dict[str, Server] = {"ours": harness.ours(), "moto": harness.moto()}
    report = Report(
        bench="kinesis",
        title=(
            f"kinesis: PutRecords of {BATCH} x {len(RECORD)} B and GetRecords (Limit {READ_LIMIT}) over a "
            f"{SHARDS}-shard stream, 1 client (boto3, then raw: captured requests replayed), "
            f"{options.seconds:g} s per target and operation in {options.rounds} "
            f"interleaved rounds (our database: {options.database}, auth: {options.auth})"
        ),
        columns=list(servers),
    )
    throttled: dict[str, int] = {}
    rates = measure_operations(
        report,
        servers,
        lambda name, server: _calls(name, server, throttled),
        ("put_records", "get_records"),
        options=options,
        warm_calls=20,
    )
    rates.update(
        measure_operations(
            report,
            servers,
            lambda name, server: _raw_calls(server, options),
            ("raw_put_records", "raw_get_records"),
            options=options,
            warm_calls=20,
        )
    )

    def per_target(operation: str, read: Callable[[Rate], float | None]) -> dict[str, float | None]:
        found = rates.get(operation, {})
        return {name: read(found[name]) if name in found and found[name].calls else None for name in servers}

    rss = {name: server.peak_rss() for name, server in servers.items()}
    report.rows = {
        "PutRecords calls/s": per_target("put_records", lambda rate: rate.calls_per_second),
        "GetRecords calls/s": per_target("get_records", lambda rate: rate.calls_per_second),
        "PutRecords p50 ms": per_target("put_records", lambda rate: _ms(rate.percentile(50))),
        "PutRecords p99 ms": per_target("put_records", lambda rate: _ms(rate.percentile(99))),
        "GetRecords p50 ms": per_target("get_records", lambda rate: _ms(rate.percentile(50))),
        "GetRecords p99 ms": per_target("get_records", lambda rate: _ms(rate.percentile(99))),
        "PutRecords server CPU ms/call": per_target("put_records", lambda rate: _ms(rate.server_cpu_per_call)),
        "GetRecords server CPU ms/call": per_target("get_records", lambda rate: _ms(rate.server_cpu_per_call)),
        "raw PutRecords calls/s": per_target("raw_put_records", lambda rate: rate.calls_per_second),
        "raw GetRecords calls/s": per_target("raw_get_records", lambda rate: rate.calls_per_second),
        "raw PutRecords p50 ms": per_target("raw_put_records", lambda rate: _ms(rate.percentile(50))),
        "raw GetRecords p50 ms": per_target("raw_get_records", lambda rate: _ms(rate.percentile(50))),
        "raw PutRecords server CPU ms/call": per_target("raw_put_records", lambda rate: _ms(rate.server_cpu_per_call)),
        "raw GetRecords server CPU ms/call": per_target("raw_get_records", lambda rate: _ms(rate.server_cpu_per_call)),
        "raw PutRecords client CPU ms/call": per_target("raw_put_records", lambda rate: _ms(rate.client_cpu_per_call)),
        "records throttled": {
            name: float(throttled.get(name, 0)) if name in rates["put_records"] else None for name in servers
        },
        "peak RSS MiB": {name: None if value is None else value / MIB for name, value in rss.items()},
    }
    put_cps, get_cps = report.rows["PutRecords calls/s"], report.rows["GetRecords calls/s"]
    raw_put, raw_get = report.rows["raw PutRecords calls/s"], report.rows["raw GetRecords calls/s"]
    report.ratios = [
        Ratio("raw PutRecords ours/moto", ratio(raw_put["ours"], raw_put["moto"]), TARGET),
        Ratio("raw GetRecords ours/moto", ratio(raw_get["ours"], raw_get["moto"]), TARGET),
        Ratio("boto3 PutRecords ours/moto", ratio(put_cps["ours"], put_cps["moto"])),
        Ratio("boto3 GetRecords ours/moto", ratio(get_cps["ours"], get_cps["moto"])),
    ]
    report.notes.append(
        "The target is judged on the raw rows: the same requests botocore built and signed, captured once and "
        "replayed over one keep-alive connection (bench/raw.py), every answer checked. Through boto3 about 120 ms "
        "of each PutRecords is the client's own work against some 30 ms of either server's, so the boto3 ratio "
        "stays near 1 whatever the servers do."
    )
    report.details = {
        "targets": {
            operation: {name: rate.summary() for name, rate in found.items()} for operation, found in rates.items()
        },
        "peak_rss_bytes": rss,
        "throttled_records": throttled,
        "urls": {name: server.url for name, server in servers.items()},
        "shards": SHARDS,
        "batch": BATCH,
        "record_bytes": len(RECORD),
        "target_ratio": TARGET,
    }
    return report


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000
