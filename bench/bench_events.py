"""EventBridge PutEvents against 100 rules: events per second from one boto3 client, our server
against moto's, in one run. Target: ours at least 3x moto.

Both servers get 100 rules on the default bus, rule i matching {"source": ["bench.shop"],
"detail": {"kind": ["kind-i"]}}. Each PutEvents call carries 10 entries (the API's limit) of
random kinds, so every event is matched against all 100 patterns and matches exactly one rule.
The rules have no targets: this measures ingestion and matching, not a target service. Our server
checks every entry, matches with the compiled patterns, counts the match on the rule, records the
call (ApiCall row and api.call event) and publishes a received and a matched flow event per
event; moto keeps everything in process memory.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from bench.harness import Harness, Options, Ratio, Report, Server, bench, measure_operations, ratio
from bench.timing import Call, Rate

TARGET = 3.0
MIB = 1024 * 1024
RULES = 100
ENTRIES = 10


def _call(server: Server) -> Call:
    client = server.client("events")
    for number in range(RULES):
        pattern = {"source": ["bench.shop"], "detail": {"kind": [f"kind-{number}"]}}
        client.put_rule(Name=f"bench-{number}", EventPattern=json.dumps(pattern))
    chooser = random.Random(7)

    def put_events() -> Any:
        entries = [
            {
                "Source": "bench.shop",
                "DetailType": "Order Placed",
                "Detail": json.dumps({"kind": f"kind-{chooser.randrange(RULES)}", "total": chooser.randrange(1000)}),
            }
            for _ in range(ENTRIES)
        ]
        answer = client.put_events(Entries=entries)
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"{answer['FailedEntryCount']} entries failed: {answer['Entries']}")
        return answer

    return put_events


@bench("events", "boto3 EventBridge PutEvents (10 entries) against 100 rules, events/s, 1 client: ours vs moto (>= 3x)")
def run(harness: Harness, options: Options) -> Report:
    servers: dict[str, Server] = {"ours": harness.ours(), "moto": harness.moto()}
    report = Report(
        bench="events",
        title=(
            f"events: boto3 PutEvents of {ENTRIES} entries against {RULES} pattern rules on the default bus, "
            f"1 client, {options.seconds:g} s per target in {options.rounds} interleaved rounds "
            f"(our database: {options.database}, auth: {options.auth})"
        ),
        columns=list(servers),
    )
    rates: dict[str, Rate] = measure_operations(
        report,
        servers,
        lambda name, server: {"PutEvents": _call(server)},
        ("PutEvents",),
        options=options,
        warm_calls=20,
    )["PutEvents"]

    def per_target(read: Callable[[Rate], float | None]) -> dict[str, float | None]:
        return {name: read(rates[name]) if name in rates and rates[name].calls else None for name in servers}

    rss = {name: server.peak_rss() for name, server in servers.items()}
    report.rows = {
        "events/s": per_target(lambda rate: rate.calls_per_second * ENTRIES),
        "PutEvents calls/s": per_target(lambda rate: rate.calls_per_second),
        "PutEvents p50 ms": per_target(lambda rate: _ms(rate.percentile(50))),
        "PutEvents p99 ms": per_target(lambda rate: _ms(rate.percentile(99))),
        "server CPU ms/call": per_target(lambda rate: _ms(rate.server_cpu_per_call)),
        "peak RSS MiB": {name: None if value is None else value / MIB for name, value in rss.items()},
    }
    events_per_second = report.rows["events/s"]
    report.ratios = [Ratio("events/s ours/moto", ratio(events_per_second["ours"], events_per_second["moto"]), TARGET)]
    report.details = {
        "targets": {name: rate.summary() for name, rate in rates.items()},
        "peak_rss_bytes": rss,
        "urls": {name: server.url for name, server in servers.items()},
        "rules": RULES,
        "entries_per_call": ENTRIES,
        "target_ratio": TARGET,
    }
    return report


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000
