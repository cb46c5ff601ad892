"""Firehose PutRecordBatch (500 records of 1 KiB) calls per second from one boto3 client, our
server against moto's, in one run. Target: ours at least 3x moto.

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


def _call(server: Server, failed: dict[str, int], label: str) -> Call:
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
    records = [{"Data": RECORD} for _ in range(BATCH)]

    def put_record_batch() -> Any:
        answer = client.put_record_batch(DeliveryStreamName=name, Records=records)
        failed[label] = failed.get(label, 0) + answer["FailedPutCount"]
        return answer

    return put_record_batch


@bench("firehose", "boto3 firehose PutRecordBatch (500 x 1 KiB) calls/s, 1 client: ours vs moto (>= 3x)")
def run(harness: Harness, options: Options) -> Report:
    servers: dict[str, Server] = {"ours": harness.ours(), "moto": harness.moto()}
    report = Report(
        bench="firehose",
        title=(
            f"firehose: boto3 PutRecordBatch of {BATCH} x {len(RECORD)} B into a DirectPut stream to S3, 1 client, "
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

    def per_target(read: Callable[[Rate], float | None]) -> dict[str, float | None]:
        return {name: read(rates[name]) if name in rates and rates[name].calls else None for name in servers}

    rss = {name: server.peak_rss() for name, server in servers.items()}
    report.rows = {
        "PutRecordBatch calls/s": per_target(lambda rate: rate.calls_per_second),
        "records/s": per_target(lambda rate: rate.calls_per_second * BATCH),
        "PutRecordBatch p50 ms": per_target(lambda rate: _ms(rate.percentile(50))),
        "PutRecordBatch p99 ms": per_target(lambda rate: _ms(rate.percentile(99))),
        "server CPU ms/call": per_target(lambda rate: _ms(rate.server_cpu_per_call)),
        "records failed": {name: float(failed.get(name, 0)) if name in rates else None for name in servers},
        "peak RSS MiB": {name: None if value is None else value / MIB for name, value in rss.items()},
    }
    cps = report.rows["PutRecordBatch calls/s"]
    report.ratios = [Ratio("PutRecordBatch ours/moto", ratio(cps["ours"], cps["moto"]), TARGET)]
    report.details = {
        "targets": {name: rate.summary() for name, rate in rates.items()},
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
