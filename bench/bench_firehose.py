"""Firehose PutRecordBatch (500 records of 1 KiB) calls per second, our server against moto's, in
one run. Target: ours at least 3x moto, judged on the raw rows.

Two ways of calling: one boto3 client, and raw (bench/raw.py): the request botocore built and
signed for such a call, captured once and replayed back to back over one keep-alive connection,
every answer checked (FailedPutCount 0, all 500 record ids). boto3 spends about as much of its own
time on each call as either server does, so the boto3 ratio stays near 1 whatever the servers do;
the raw calls/s ratio is the servers' and is the headline.

Both servers get a bucket and a DirectPut delivery stream to it with the default buffering hints
(5 MiB or 300 s), made through their own API (ours is CREATING for five seconds of sandbox time
first; the bench waits for ACTIVE). Our server stores each call's records as one row of the
stream's buffer and counts them for the AWS/Firehose metrics, and every tenth call or so fills the
5 MiB buffer, so that call also writes an S3 object (a size flush, as AWS does); it records every
call (ApiCall row and api.call event) and publishes a flow event per call. moto keeps everything in
process memory and writes to its S3 at once.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.harness import Harness, Options, Ratio, Report, Server, bench, measure_operations, ratio
from bench.raw import Replayer, capture
from bench.timing import Call, Rate

TARGET = 3.0
MIB = 1024 * 1024
BATCH = 500
RECORD = os.urandom(1024)
ROLE = "arn:aws:iam::123456789012:role/firehose-delivery"


def _active(client: Any, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = client.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
        if described["DeliveryStreamStatus"] == "ACTIVE":
            return
        time.sleep(0.5)
    raise RuntimeError(f"delivery stream {name} did not become ACTIVE in 60 s")


def _delivery_stream(server: Server) -> tuple[Any, str]:
    """(a firehose client, the name of a new ACTIVE DirectPut stream to a new bucket)."""
    s3 = server.client("s3")
    client = server.client("firehose")
    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    client.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"},
    )
    _active(client, name)
    return client, name


def _all_put(answer: dict[str, Any]) -> None:
    if answer["FailedPutCount"] or len(answer["RequestResponses"]) != BATCH:
        raise RuntimeError(f"PutRecordBatch failed {answer['FailedPutCount']} of {BATCH} records")


def _raw_call(server: Server, options: Options) -> Call:
    """PutRecordBatch as captured bytes (bench/raw.py) on a stream of its own."""
    client, name = _delivery_stream(server)
    puts = capture(client, "put_record_batch", [{"DeliveryStreamName": name, "Records": [{"Data": RECORD}] * BATCH}])
    return Replayer(server.url, client, puts, check=_all_put, resign=options.auth == "strict")


def _call(server: Server, failed: dict[str, int], label: str) -> Call:
    client, name = _delivery_stream(server)
    records = [{"Data": RECORD} for _ in range(BATCH)]

    def put_record_batch() -> Any:
        answer = client.put_record_batch(DeliveryStreamName=name, Records=records)
        failed[label] = failed.get(label, 0) + answer["FailedPutCount"]
        return answer

    return put_record_batch


@bench("firehose", "firehose PutRecordBatch (500 x 1 KiB) calls/s, boto3 and raw: ours vs moto (>= 3x)")
def run(harness: Harness, options: Options) -> Report:
    servers: dict[str, Server] = {"ours": harness.ours(), "moto": harness.moto()}
    report = Report(
        bench="firehose",
        title=(
            f"firehose: PutRecordBatch of {BATCH} x {len(RECORD)} B into a DirectPut stream to S3, 1 client (boto3, "
            "then raw: a captured request replayed), "
            f"{options.seconds:g} s per target in {options.rounds} interleaved rounds "
            f"(our database: {options.database}, auth: {options.auth})"
        ),
        columns=list(servers),
    )
    failed: dict[str, int] = {}
    rates: dict[str, Rate] = measure_operations(
        report,
        servers,
        lambda name, server: {"PutRecordBatch": _call(server, failed, name)},
        ("PutRecordBatch",),
        options=options,
        warm_calls=10,
    )["PutRecordBatch"]
    raw_rates: dict[str, Rate] = measure_operations(
        report,
        servers,
        lambda name, server: {"raw PutRecordBatch": _raw_call(server, options)},
        ("raw PutRecordBatch",),
        options=options,
        warm_calls=10,
    )["raw PutRecordBatch"]

    def per_target(read: Callable[[Rate], float | None], found: dict[str, Rate] = rates) -> dict[str, float | None]:
        return {name: read(found[name]) if name in found and found[name].calls else None for name in servers}

    rss = {name: server.peak_rss() for name, server in servers.items()}
    report.rows = {
        "PutRecordBatch calls/s": per_target(lambda rate: rate.calls_per_second),
        "records/s": per_target(lambda rate: rate.calls_per_second * BATCH),
        "PutRecordBatch p50 ms": per_target(lambda rate: _ms(rate.percentile(50))),
        "PutRecordBatch p99 ms": per_target(lambda rate: _ms(rate.percentile(99))),
        "server CPU ms/call": per_target(lambda rate: _ms(rate.server_cpu_per_call)),
        "records failed": {name: float(failed.get(name, 0)) if name in rates else None for name in servers},
        "raw PutRecordBatch calls/s": per_target(lambda rate: rate.calls_per_second, raw_rates),
        "raw PutRecordBatch p50 ms": per_target(lambda rate: _ms(rate.percentile(50)), raw_rates),
        "raw server CPU ms/call": per_target(lambda rate: _ms(rate.server_cpu_per_call), raw_rates),
        "raw client CPU ms/call": per_target(lambda rate: _ms(rate.client_cpu_per_call), raw_rates),
        "peak RSS MiB": {name: None if value is None else value / MIB for name, value in rss.items()},
    }
    cps, raw = report.rows["PutRecordBatch calls/s"], report.rows["raw PutRecordBatch calls/s"]
    report.ratios = [
        Ratio("raw PutRecordBatch ours/moto", ratio(raw["ours"], raw["moto"]), TARGET),
        Ratio("boto3 PutRecordBatch ours/moto", ratio(cps["ours"], cps["moto"])),
    ]
    report.notes.append(
        "The target is judged on the raw rows: the request botocore built and signed, captured once and replayed "
        "over one keep-alive connection (bench/raw.py), every answer checked; through boto3 the client's own work "
        "on 500 records is about as large as either server's, so that ratio stays near 1."
    )
    report.details = {
        "targets": {name: rate.summary() for name, rate in rates.items()},
        "raw_targets": {name: rate.summary() for name, rate in raw_rates.items()},
        "peak_rss_bytes": rss,
        "failed_records": failed,
        "urls": {name: server.url for name, server in servers.items()},
        "batch": BATCH,
        "record_bytes": len(RECORD),
        "target_ratio": TARGET,
    }
    return report


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000
