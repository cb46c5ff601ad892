"""Kinesis PutRecords (500 records of 1 KiB) and GetRecords calls per second from one boto3
client, our server against moto's, in one run. Target: ours at least 3x moto for each.

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

import itertools
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.harness import Harness, Options, Ratio, Report, Server, bench, measure_operations, ratio
from bench.timing import Call, Rate

TARGET = 3.0
MIB = 1024 * 1024
SHARDS = 100
BATCH = 500
RECORD = os.urandom(1024)
READ_LIMIT = 100


def _active(client: Any, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
        if status == "ACTIVE":
            return
        time.sleep(0.5)
    raise RuntimeError(f"stream {name} did not become ACTIVE in 60 s")


def _calls(label: str, server: Server, throttled: dict[str, int]) -> dict[str, Call]:
    client = server.client("kinesis")
    name = f"bench-{uuid.uuid4().hex[:8]}"
    client.create_stream(StreamName=name, ShardCount=SHARDS)
    _active(client, name)
    shard_ids = [shard["ShardId"] for shard in client.list_shards(StreamName=name)["Shards"]]
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


@bench("kinesis", "boto3 kinesis PutRecords (500 x 1 KiB) and GetRecords calls/s, 1 client: ours vs moto (>= 3x)")
def run(harness: Harness, options: Options) -> Report:
    servers: dict[str, Server] = {"ours": harness.ours(), "moto": harness.moto()}
    report = Report(
        bench="kinesis",
        title=(
            f"kinesis: boto3 PutRecords of {BATCH} x {len(RECORD)} B and GetRecords (Limit {READ_LIMIT}) over a "
            f"{SHARDS}-shard stream, 1 client, {options.seconds:g} s per target and operation in {options.rounds} "
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
        "records throttled": {
            name: float(throttled.get(name, 0)) if name in rates["put_records"] else None for name in servers
        },
        "peak RSS MiB": {name: None if value is None else value / MIB for name, value in rss.items()},
    }
    put_cps, get_cps = report.rows["PutRecords calls/s"], report.rows["GetRecords calls/s"]
    report.ratios = [
        Ratio("PutRecords ours/moto", ratio(put_cps["ours"], put_cps["moto"]), TARGET),
        Ratio("GetRecords ours/moto", ratio(get_cps["ours"], get_cps["moto"]), TARGET),
    ]
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
