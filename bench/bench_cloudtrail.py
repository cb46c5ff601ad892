"""CloudTrail: what recording costs each call, and LookupEvents' speed.

Recording: the gateway's call record was already written for every call (the activity panel and
the lab checks read it); CloudTrail's records are built from it when they are read, so the only
work CloudTrail adds to a call is keeping its answer (ApiCall.response: the output redacted as the
parameters are). The bench measures that work in process, on the output of a real SendMessage
(botocore's output shape, the same redact() the gateway runs), and sets it against the server CPU
of a SendMessage measured through the server. Target: under 5% of a SendMessage's server CPU.

LookupEvents: calls/s and server CPU per call from one boto3 client, with HISTORY management
events in the account (pages of 50, no attribute, then by EventName). moto has no LookupEvents
(its CloudTrail answers trails only), so there is no peer column.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from bench.harness import Harness, Options, Ratio, Report, Server, bench
from bench.timing import Call, compare, warm_up

HISTORY = 1000
REDACT_LOOPS = 20_000


def _redact_cost_ms(answer: dict[str, Any]) -> float:
    """CPU ms that keeping one SendMessage answer costs: redact() over its output shape, and the
    JSON the database adapter makes of it for ApiCall.response."""
    import botocore.session

    from playground.gateway.redact import redact

    shape = botocore.session.get_session().get_service_model("sqs").operation_model("SendMessage").output_shape
    output = {key: value for key, value in answer.items() if key != "ResponseMetadata"}
    started = time.process_time()
    for _ in range(REDACT_LOOPS):
        json.dumps(redact(output, shape))
    return (time.process_time() - started) * 1000 / REDACT_LOOPS


def _calls(server: Server) -> tuple[dict[str, Call], dict[str, Any]]:
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sample = sqs.send_message(QueueUrl=url, MessageBody="x" * 100)
    for _ in range(HISTORY):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    cloudtrail = server.client("cloudtrail")
    by_name = [{"AttributeKey": "EventName", "AttributeValue": "GetQueueAttributes"}]
    return (
        {
            "send_message": lambda: sqs.send_message(QueueUrl=url, MessageBody="x" * 100),
            "lookup_events": lambda: cloudtrail.lookup_events(),
            "lookup_by_name": lambda: cloudtrail.lookup_events(LookupAttributes=by_name),
        },
        sample,
    )


@bench("cloudtrail", "CloudTrail: the CPU recording adds to a SendMessage (< 5%), LookupEvents calls/s (no moto peer)")
def run(harness: Harness, options: Options) -> Report:
    server = harness.ours()
    report = Report(
        bench="cloudtrail",
        title=(
            f"cloudtrail: SendMessage and LookupEvents (pages of 50 over {HISTORY} management events), 1 boto3 "
            f"client, {options.seconds:g} s per operation (our database: {options.database}, auth: {options.auth})"
        ),
        columns=["ours"],
    )
    calls, sample = _calls(server)
    rows: dict[str, dict[str, float | None]] = {}
    cpu: dict[str, float | None] = {}
    for operation, call in calls.items():
        error = warm_up(call, calls=20, seconds=1.0)
        if error is not None:
            report.notes.append(f"{operation} failed its warm-up: {error}")
            continue
        measured = compare({"ours": call}, seconds=options.seconds, rounds=options.rounds, pids={"ours": server.pid})
        rate = measured["ours"]
        cpu[operation] = rate.server_cpu_per_call * 1000 if rate.server_cpu_per_call is not None else None
        rows[f"{operation} calls/s"] = {"ours": rate.calls_per_second}
        rows[f"{operation} server CPU ms/call"] = {"ours": cpu[operation]}
    added = _redact_cost_ms(sample)
    rows["recording added CPU us/call (in process)"] = {"ours": added * 1000}
    send = cpu.get("send_message")
    share = added / send if send else None
    rows["recording share of SendMessage CPU, %"] = {"ours": share * 100 if share is not None else None}
    report.rows = rows
    # A Ratio passes at >= target: the headroom left under the 5% budget (1.0 = exactly 5%).
    report.ratios = [Ratio("5% budget / recording share", 0.05 / share if share else None, 1.0)]
    report.notes.append("moto_server does not implement CloudTrail LookupEvents: no peer figures.")
    return report
