"""Gateway overhead: boto3 `sts get-caller-identity` calls per second from one client, against our
server and against a minimal Django view under the same Daphne, in one run. Target (issue 22): at least 0.8
of the minimal view. moto's server answers the same call as a third column, for perspective.

get-caller-identity is the cheapest signed call there is: the provider does no work, so what is
measured is the gateway itself (credential scope, model, protocol, identity lookup, parse,
validate, serialize, the ApiCall row and its live event) on top of what any Django view costs.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.harness import Harness, Options, Ratio, Report, Server, bench, ratio
from bench.timing import Call, Rate, compare, warm_up

TARGET = 0.8
MIB = 1024 * 1024


@bench("gateway", "boto3 sts get-caller-identity calls/s, one client: ours vs a minimal Django view vs moto")
def run(harness: Harness, options: Options) -> Report:
    servers: dict[str, Server] = {
        "ours": harness.ours(),
        "minimal": harness.minimal(),
        "moto": harness.moto(),
    }
    calls: dict[str, Call] = {name: server.client("sts").get_caller_identity for name, server in servers.items()}

    report = Report(
        bench="gateway",
        title=(
            f"gateway: boto3 sts get-caller-identity, 1 client, {options.seconds:g} s per target "
            f"in {options.rounds} interleaved rounds (our database: {options.database}, auth: {options.auth})"
        ),
        columns=list(servers),
    )
    failed = {name: error for name, call in calls.items() if (error := warm_up(call)) is not None}
    for name, error in failed.items():
        report.notes.append(f"{name} failed its warm-up and was not measured: {error}")
    rates = compare(
        {name: call for name, call in calls.items() if name not in failed},
        seconds=options.seconds,
        rounds=options.rounds,
        pids={name: server.pid for name, server in servers.items()},
    )
    for name, rate in rates.items():
        if rate.errors:
            report.notes.append(f"{name} answered {rate.errors} call(s) with errors: {rate.first_error}")

    def per_target(read: Callable[[Rate], float | None]) -> dict[str, float | None]:
        return {name: read(rates[name]) if name in rates and rates[name].calls else None for name in servers}

    rss = {name: server.peak_rss() for name, server in servers.items()}
    report.rows = {
        "calls/s": per_target(lambda rate: rate.calls_per_second),
        "p50 ms": per_target(lambda rate: _ms(rate.percentile(50))),
        "p99 ms": per_target(lambda rate: _ms(rate.percentile(99))),
        "server CPU ms/call": per_target(lambda rate: _ms(rate.server_cpu_per_call)),
        "client CPU ms/call": per_target(lambda rate: _ms(rate.client_cpu_per_call)),
        "calls": per_target(lambda rate: rate.calls),
        "peak RSS MiB": {name: None if value is None else value / MIB for name, value in rss.items()},
    }
    cps = report.rows["calls/s"]
    report.ratios = [
        Ratio("ours/minimal", ratio(cps["ours"], cps["minimal"]), TARGET),
        Ratio("ours/moto", ratio(cps["ours"], cps["moto"])),
    ]
    report.details = {
        "targets": {name: rates[name].summary() for name in rates},
        "peak_rss_bytes": rss,
        "failed_warm_up": failed,
        "urls": {name: server.url for name, server in servers.items()},
        "target_ratio": TARGET,
    }
    return report


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000
