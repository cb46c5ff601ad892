"""CloudWatch Logs: PutLogEvents of 1,000 events a call, and FilterLogEvents with a JSON pattern
over 100,000 events, from one boto3 client, our server against moto's, in one run. Targets:
ingestion at least 2x moto's calls a second, judged on raw calls; one filter over the 100,000
events under 1 s.

PutLogEvents is measured twice: through boto3, and raw (bench/raw.py): the request botocore built
and signed, captured once and replayed back to back over one keep-alive connection, every answer
checked (no rejected events). boto3's own work on 1,000 events is a large part of each call, so
only the raw ratio shows the servers apart.

Each target gets a log group with one stream for the PutLogEvents calls (events of about 120 B of
JSON, timestamps at the time of the call), and a second group that is first filled with 100,000
such events (100 calls of 1,000), then searched with `{ $.status = 503 && $.latency > 900 }`,
which about 1 event in 200 matches. Our server stores each event as a row, runs the group's
metric and subscription filters (none here) and publishes a flow event per call; moto keeps the
events in process memory.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.harness import Harness, Options, Ratio, Report, Server, bench, measure_operations, ratio
from bench.raw import Replayer, capture
from bench.timing import Call, Rate

TARGET = 2.0
FILTER_TARGET_SECONDS = 1.0
MIB = 1024 * 1024
BATCH = 1000
SEARCHED = 100_000
PATTERN = "{ $.status = 503 && $.latency > 900 }"


def _messages(count: int, seed: int) -> list[str]:
    chance = random.Random(seed)
    return [
        json.dumps(
            {
                "level": chance.choice(["INFO", "WARN", "ERROR"]),
                "status": chance.choice([200, 200, 200, 404, 500, 503]),
                "latency": chance.randint(1, 1000),
                "path": f"/api/items/{chance.randint(1, 9999)}",
                "user": f"user-{chance.randint(1, 500)}",
            }
        )
        for _ in range(count)
    ]


def _calls(server: Server, wrong: dict[str, str]) -> dict[str, Call]:
    client = server.client("logs")
    suffix = uuid.uuid4().hex[:8]
    put_group, search_group = f"/bench/put-{suffix}", f"/bench/search-{suffix}"
    for group in (put_group, search_group):
        client.create_log_group(logGroupName=group)
        client.create_log_stream(logGroupName=group, logStreamName="s")
    batch = _messages(BATCH, seed=1)
    for chunk in range(SEARCHED // BATCH):
        stamp = int(time.time() * 1000)
        client.put_log_events(
            logGroupName=search_group,
            logStreamName="s",
            logEvents=[{"timestamp": stamp, "message": text} for text in _messages(BATCH, seed=100 + chunk)],
        )

    def put_log_events() -> Any:
        stamp = int(time.time() * 1000)
        return client.put_log_events(
            logGroupName=put_group,
            logStreamName="s",
            logEvents=[{"timestamp": stamp, "message": text} for text in batch],
        )

    def filter_log_events() -> Any:
        answer = client.filter_log_events(logGroupName=search_group, filterPattern=PATTERN)
        if answer.get("nextToken") or not answer["events"]:
            wrong[server.url] = f"{len(answer['events'])} events and a nextToken: the JSON pattern was not applied"
        return answer

    return {"put": put_log_events, "filter": filter_log_events}


def _none_rejected(answer: dict[str, Any]) -> None:
    if answer.get("rejectedLogEventsInfo"):
        raise RuntimeError(f"PutLogEvents rejected events: {answer['rejectedLogEventsInfo']}")


def _raw_put(server: Server, options: Options) -> Call:
    """PutLogEvents as captured bytes (bench/raw.py), into a group and stream of their own; the
    events keep the capture's timestamp, well inside the 14 days back AWS accepts."""
    client = server.client("logs")
    group = f"/bench/raw-{uuid.uuid4().hex[:8]}"
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName="s")
    stamp = int(time.time() * 1000)
    events = [{"timestamp": stamp, "message": text} for text in _messages(BATCH, seed=1)]
    puts = capture(client, "put_log_events", [{"logGroupName": group, "logStreamName": "s", "logEvents": events}])
    return Replayer(server.url, client, puts, check=_none_rejected, resign=options.auth == "strict")


@bench(
    "logs",
    "boto3 logs PutLogEvents (1,000 events) calls/s, FilterLogEvents (JSON, 100,000 events) s/call: ours vs moto",
)
def run(harness: Harness, options: Options) -> Report:
    servers: dict[str, Server] = {"ours": harness.ours(), "moto": harness.moto()}
    report = Report(
        bench="logs",
        title=(
            f"logs: boto3 PutLogEvents of {BATCH} JSON events, and FilterLogEvents {PATTERN} over {SEARCHED:,} "
            f"events, 1 client, {options.seconds:g} s per target and operation in {options.rounds} interleaved "
            f"rounds (our database: {options.database}, auth: {options.auth})"
        ),
        columns=list(servers),
    )
    wrong: dict[str, str] = {}
    rates = measure_operations(
        report, servers, lambda name, server: _calls(server, wrong), ("put", "filter"), options=options, warm_calls=2
    )

    rates.update(
        measure_operations(
            report,
            servers,
            lambda name, server: {"raw put": _raw_put(server, options)},
            ("raw put",),
            options=options,
            warm_calls=2,
        )
    )
    for name, server in servers.items():
        if server.url in wrong:
            report.notes.append(f"{name}'s FilterLogEvents answered {wrong[server.url]}")

    def per_target(operation: str, read: Callable[[Rate], float | None]) -> dict[str, float | None]:
        found = rates.get(operation, {})
        return {name: read(found[name]) if name in found and found[name].calls else None for name in servers}

    rss = {name: server.peak_rss() for name, server in servers.items()}
    report.rows = {
        "PutLogEvents calls/s": per_target("put", lambda rate: rate.calls_per_second),
        "PutLogEvents p50 ms": per_target("put", lambda rate: _ms(rate.percentile(50))),
        "PutLogEvents p99 ms": per_target("put", lambda rate: _ms(rate.percentile(99))),
        "PutLogEvents server CPU ms/call": per_target("put", lambda rate: _ms(rate.server_cpu_per_call)),
        "raw PutLogEvents calls/s": per_target("raw put", lambda rate: rate.calls_per_second),
        "raw PutLogEvents server CPU ms/call": per_target("raw put", lambda rate: _ms(rate.server_cpu_per_call)),
        "raw PutLogEvents client CPU ms/call": per_target("raw put", lambda rate: _ms(rate.client_cpu_per_call)),
        "FilterLogEvents s/call (p50)": per_target("filter", lambda rate: rate.percentile(50)),
        "FilterLogEvents s/call (p99)": per_target("filter", lambda rate: rate.percentile(99)),
        "FilterLogEvents server CPU ms/call": per_target("filter", lambda rate: _ms(rate.server_cpu_per_call)),
        "peak RSS MiB": {name: None if value is None else value / MIB for name, value in rss.items()},
    }
    put, raw = report.rows["PutLogEvents calls/s"], report.rows["raw PutLogEvents calls/s"]
    filtered = report.rows["FilterLogEvents s/call (p50)"]
    report.ratios = [
        Ratio("raw PutLogEvents ours/moto", ratio(raw["ours"], raw["moto"]), TARGET),
        Ratio("boto3 PutLogEvents ours/moto", ratio(put["ours"], put["moto"])),
        Ratio(
            "FilterLogEvents 1 s / ours (>= 1: under a second)",
            ratio(FILTER_TARGET_SECONDS, filtered["ours"]) if filtered["ours"] else None,
            1.0,
        ),
    ]
    report.details = {
        "targets": {
            operation: {name: rate.summary() for name, rate in found.items()} for operation, found in rates.items()
        },
        "peak_rss_bytes": rss,
        "urls": {name: server.url for name, server in servers.items()},
        "batch": BATCH,
        "searched_events": SEARCHED,
        "pattern": PATTERN,
        "target_ratio": TARGET,
    }
    return report


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000
