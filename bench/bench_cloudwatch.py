"""CloudWatch: PutMetricData calls per second with 20 values a call (20 metric data of one value
each, the classic per-call batch) from one boto3 client, our server against moto's, in one run;
and what evaluating 1,000 metric alarms in one sandbox costs a tick. Targets: under 50 ms per tick
for the 1,000 alarms (CloudWatch's own), and ours at least 1x moto for PutMetricData (the
platform's goal of a request path that costs less than moto's, which every service shares).

Our server checks each datum (NaN, range, timestamp window, resolution), finds or creates its
metric row and stores one datapoint row per datum, records the call (ApiCall row and api.call
event) and publishes a datapoints flow event per metric; moto keeps everything in process memory.

The alarm part runs in this process against our server's database (the demo sandbox): 1,000
alarms are made through PutMetricAlarm (over 10 metrics that hold data), then the tick's handler
(evaluation.evaluate_due) is timed for ROUNDS successive periods of sandbox time, each evaluating
every alarm (one period's statistic read per alarm). The first tick changes every alarm's state
(INSUFFICIENT_DATA to OK or ALARM: a history row, live events, a save each); before each later one
the period gets its datapoints, so the states stay (the steady state a classroom's tick pays). The
steady figure is the median of those ticks (wall time, and this process's CPU time, which a busy
machine disturbs less).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
import uuid
from typing import Any

from bench.harness import Harness, Options, Ratio, Report, Server, bench, ratio
from bench.timing import Call, Rate, compare, warm_up

TARGET = 1.0
TICK_TARGET_MS = 50.0
ALARMS = 1000
METRICS = 10
ROUNDS = 7
MIB = 1024 * 1024


def put_data() -> list[dict[str, Any]]:
    """The MetricData of one bench call: 20 metrics of one value each."""
    return [{"MetricName": f"m{i}", "Value": float(i), "Unit": "Count"} for i in range(20)]


def _put_call(server: Server) -> Call:
    client = server.client("cloudwatch")
    namespace = f"Bench{uuid.uuid4().hex[:6]}"
    data = put_data()

    def put() -> Any:
        return client.put_metric_data(Namespace=namespace, MetricData=data)

    return put


def _alarm_tick_ms(harness: Harness, server: Server) -> tuple[list[float], list[float], int]:
    """Make the alarms through the API, then time evaluate_due in process over ROUNDS periods."""
    client = server.client("cloudwatch")
    client.put_metric_data(Namespace="Ticks", MetricData=[{"MetricName": f"load{i}", "Value": 50.0}
                                                          for i in range(METRICS)])  # fmt: skip
    for index in range(ALARMS):
        client.put_metric_alarm(
            AlarmName=f"tick-{index}", Namespace="Ticks", MetricName=f"load{index % METRICS}", Statistic="Average",
            Period=60, EvaluationPeriods=1, Threshold=float(index % 100), ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    os.environ.update(harness.ours_env())
    import django

    django.setup()
    from playground.sandboxes.models import Sandbox
    from services.cloudwatch import evaluation, metrics

    sandbox = Sandbox.objects.get(account_id=server.keys.account_id)
    ahead = int((sandbox.clock.now() + dt.timedelta(seconds=61)).timestamp())
    now = dt.datetime.fromtimestamp(ahead // 60 * 60 + 1, tz=dt.UTC)  # just past a period's end
    timings, cpu = [], []
    evaluated = 0
    data = [{"MetricName": f"load{i}", "Value": 50.0} for i in range(METRICS)]
    for _ in range(ROUNDS):
        # The period that has just ended gets its datapoints: the first tick moves every alarm out
        # of INSUFFICIENT_DATA, the later ones keep their states.
        put_at = now - dt.timedelta(seconds=30)
        metrics.put_metric_data(sandbox=sandbox, region=server.keys.region, namespace="Ticks", data=data, now=put_at)
        started, used = time.perf_counter(), time.process_time()
        evaluated = evaluation.evaluate_due(sandbox, now)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
        now += dt.timedelta(seconds=60)
    return timings, cpu, evaluated


@bench(
    "cloudwatch",
    "boto3 PutMetricData (20 values) calls/s: ours vs moto (>= 1x); 1,000 alarms evaluated per tick (< 50 ms)",
)
def run(harness: Harness, options: Options) -> Report:
    servers: dict[str, Server] = {"ours": harness.ours(), "moto": harness.moto()}
    report = Report(
        bench="cloudwatch",
        title=(
            f"cloudwatch: boto3 PutMetricData of 20 values, 1 client, {options.seconds:g} s per target in "
            f"{options.rounds} interleaved rounds; {ALARMS} alarms evaluated per tick in process "
            f"(our database: {options.database}, auth: {options.auth})"
        ),
        columns=list(servers),
    )
    calls: dict[str, Call] = {}
    for name, server in servers.items():
        call = _put_call(server)
        error = warm_up(call, calls=20, seconds=1.0)
        if error is None:
            calls[name] = call
        else:
            report.notes.append(f"{name} failed its PutMetricData warm-up and was not measured: {error}")
    pids = {name: server.pid for name, server in servers.items()}
    rates: dict[str, Rate] = compare(calls, seconds=options.seconds, rounds=options.rounds, pids=pids)
    for name, rate in rates.items():
        if rate.errors:
            report.notes.append(f"{name} answered {rate.errors} call(s) with errors: {rate.first_error}")

    def per_target(read: Any) -> dict[str, float | None]:
        return {name: read(rates[name]) if name in rates and rates[name].calls else None for name in servers}

    ticks, tick_cpu, evaluated = _alarm_tick_ms(harness, servers["ours"])
    steady = statistics.median(ticks[1:])
    rss = {name: server.peak_rss() for name, server in servers.items()}
    report.rows = {
        "PutMetricData calls/s": per_target(lambda rate: rate.calls_per_second),
        "PutMetricData p50 ms": per_target(lambda rate: _ms(rate.percentile(50))),
        "PutMetricData p99 ms": per_target(lambda rate: _ms(rate.percentile(99))),
        "PutMetricData server CPU ms/call": per_target(lambda rate: _ms(rate.server_cpu_per_call)),
        f"tick, {ALARMS} alarms changing state, ms": {"ours": ticks[0], "moto": None},
        f"tick, {ALARMS} alarms steady, median ms": {"ours": steady, "moto": None},
        f"tick, {ALARMS} alarms steady, median CPU ms": {"ours": statistics.median(tick_cpu[1:]), "moto": None},
        "peak RSS MiB": {name: None if value is None else value / MIB for name, value in rss.items()},
    }
    cps = report.rows["PutMetricData calls/s"]
    report.ratios = [
        Ratio("PutMetricData ours/moto (the platform's goal)", ratio(cps["ours"], cps["moto"]), TARGET),
        Ratio(f"{TICK_TARGET_MS:g} ms / steady tick", ratio(TICK_TARGET_MS, steady), 1.0),
    ]
    if evaluated != ALARMS:
        report.notes.append(f"the last tick evaluated {evaluated} alarms, not {ALARMS}")
    report.details = {
        "targets": {name: rate.summary() for name, rate in rates.items()},
        "tick_ms": ticks,
        "tick_cpu_ms": tick_cpu,
        "alarms": ALARMS,
        "peak_rss_bytes": rss,
        "urls": {name: server.url for name, server in servers.items()},
    }
    return report


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000
