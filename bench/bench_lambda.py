"""Lambda Invoke (RequestResponse, a handler returning its event) calls per second from one boto3
client against our server, warm, and the cold start: an invoke right after the function's
configuration changed (a new revision: a new execution environment starts, unpacks the code and
imports the handler). Target: a warm invoke under 10 ms of server CPU.

moto runs Lambda code only in Docker containers; there is no Docker here, so moto cannot run a
handler and only our server is measured (the report says so). Our server runs each handler in a
bubblewrap sandbox when bubblewrap works (the default), otherwise in a process with limits alone.
"""

from __future__ import annotations

import io
import json
import statistics
import time
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from bench.harness import Harness, Options, Ratio, Report, Server, bench
from bench.timing import compare, warm_up

TARGET_MS = 10.0
COLD_STARTS = 10
ROLE = "arn:aws:iam::123456789012:role/bench"
HANDLER = "def handler(event, context):\n    return event\n"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", HANDLER)
    return buffer.getvalue()


def _active(client: Any, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        configuration = client.get_function_configuration(FunctionName=name)
        if configuration["State"] == "Active" and configuration["LastUpdateStatus"] == "Successful":
            return
        time.sleep(0.2)
    raise RuntimeError(f"function {name} did not become Active in 60 s")


def _cold_starts(client: Any, name: str) -> list[float]:
    """Seconds of each invoke that had to start a new environment (after a configuration change)."""
    seconds = []
    for round_ in range(COLD_STARTS):
        client.update_function_configuration(FunctionName=name, Description=f"round {round_}")
        _active(client, name)
        began = time.perf_counter()
        answer = client.invoke(FunctionName=name, Payload=b'{"cold": true}', LogType="Tail")
        seconds.append(time.perf_counter() - began)
        if answer.get("FunctionError"):
            raise RuntimeError(f"the cold invoke failed: {answer['Payload'].read()!r}")
    return seconds


def warm_invoker(server: Server, *, prefix: str) -> tuple[Any, str, Callable[[], Any]]:
    """(client, function name, invoke): a new function on `server`, Active, and a call that
    invokes it RequestResponse with the bench's payload and checks the handler gave it back."""
    client = server.client("lambda")
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    client.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler", Code={"ZipFile": _zip()}
    )
    _active(client, name)
    payload = json.dumps({"order": 1, "lines": [{"sku": "book", "qty": 2}]}).encode()

    def invoke() -> Any:
        answer = client.invoke(FunctionName=name, Payload=payload)
        body = answer["Payload"].read()
        if answer.get("FunctionError") or json.loads(body) != json.loads(payload):
            raise RuntimeError(f"the handler failed: {body[:300]!r}")
        return answer

    return client, name, invoke


@bench("lambda", "boto3 lambda Invoke (RequestResponse, warm) calls/s and cold-start time, ours (moto needs Docker)")
def run(harness: Harness, options: Options) -> Report:
    ours: Server = harness.ours()
    report = Report(
        bench="lambda",
        title=(
            f"lambda: boto3 Invoke RequestResponse of a handler returning its event, 1 client, warm, "
            f"{options.seconds:g} s in {options.rounds} rounds; {COLD_STARTS} cold starts "
            f"(our database: {options.database}, auth: {options.auth})"
        ),
        columns=["ours"],
    )
    report.notes.append("moto's Lambda runs handlers in Docker containers and there is no Docker here: not measured")
    client, name, invoke = warm_invoker(ours, prefix="bench")
    error = warm_up(invoke, calls=20, seconds=1.0)
    if error is not None:
        report.notes.append(f"ours failed its warm-up and was not measured: {error}")
        return report
    rate = compare({"ours": invoke}, seconds=options.seconds, rounds=options.rounds, pids={"ours": ours.pid})["ours"]
    cold = _cold_starts(client, name)

    def ms(value: float | None) -> float | None:
        return None if value is None else value * 1000

    cpu = ms(rate.server_cpu_per_call)
    report.rows = {
        "warm Invoke calls/s": {"ours": rate.calls_per_second},
        "warm Invoke p50 ms": {"ours": ms(rate.percentile(50))},
        "warm Invoke p99 ms": {"ours": ms(rate.percentile(99))},
        "warm Invoke server CPU ms/call": {"ours": cpu},
        "cold-start Invoke median ms": {"ours": statistics.median(cold) * 1000},
        "cold-start Invoke max ms": {"ours": max(cold) * 1000},
    }
    # A ratio of the target to our figure: above 1 when the warm invoke takes less server CPU than 10 ms.
    report.ratios = [Ratio("10 ms / warm server CPU per invoke", (TARGET_MS / cpu) if cpu else None, 1.0)]
    report.details = {"warm": rate.summary(), "cold_seconds": cold, "target_ms": TARGET_MS}
    return report
