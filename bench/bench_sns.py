"""SNS publish throughput and publish-to-queue latency, our server against moto's, in one run.

    publish, 1 subscriber     Publish of a 100-byte message to a topic with one SQS subscriber
    publish, 10 subscribers   the same to a topic with ten SQS subscribers (ten deliveries a call)
    publish-to-queue latency  from a Publish call starting to a ReceiveMessage that was already
                              long-polling the subscribed queue returning with the message, p50 and p99

Calls/s are from one client (interleaved rounds, bench/timing.py). On our server each queue's
policy lets the topic send, as AWS requires; moto does not check queue policies. Queues are
purged between measurements, so that their growing backlog is not what is measured.

Target (issue 4): publish-to-queue latency p99 at most 200 ms on our server.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
from typing import Any

from bench.harness import Harness, Options, Ratio, Report, Server, bench, ratio
from bench.timing import Call, Rate, _ms, compare, percentile, warm_up

LATENCY_P99_TARGET_MS = 200.0
PUBLISH_TARGET = 2.0  # issue 22: Publish to one SQS subscriber at least 2x moto
BODY = "x" * 100
SUBSCRIBER_COUNTS = (1, 10)


def _queue_policy(queue_arn: str, topic_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
            ],
        }
    )


def _topic_with_queues(server: Server, name: str, count: int) -> tuple[str, list[str]]:
    """A topic and `count` queues subscribed to it (raw delivery), their URLs."""
    sns = server.client("sns")
    sqs = server.client("sqs")
    topic = sns.create_topic(Name=name)["TopicArn"]
    urls = []
    for index in range(count):
        url = sqs.create_queue(QueueName=f"{name}-{index}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _queue_policy(arn, topic)})
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        urls.append(url)
    return topic, urls


def _purge(server: Server, urls: list[str]) -> None:
    sqs = server.client("sqs")
    for url in urls:
        # A purge within 60 s of the last one is refused (PurgeQueueInProgress): the backlog just stays.
        with contextlib.suppress(Exception):
            sqs.purge_queue(QueueUrl=url)


def _latencies(server: Server, rounds: int) -> list[float]:
    """Seconds from a Publish starting to the long-polling receive of the subscribed queue returning."""
    topic, [url] = _topic_with_queues(server, "bench-latency", 1)
    publisher = server.client("sns")
    waiter = server.client("sqs")
    latencies: list[float] = []
    for index in range(rounds):
        outcome: dict[str, Any] = {}

        def wait(outcome: dict[str, Any] = outcome) -> None:
            outcome["answer"] = waiter.receive_message(QueueUrl=url, WaitTimeSeconds=20)
            outcome["returned"] = time.perf_counter()

        thread = threading.Thread(target=wait, daemon=True)
        thread.start()
        time.sleep(0.05)  # the receive is in the server, waiting
        started = time.perf_counter()
        publisher.publish(TopicArn=topic, Message=f"{BODY}-{index}")
        thread.join(timeout=30)
        messages = outcome.get("answer", {}).get("Messages")
        if not messages:
            raise AssertionError("the subscribed queue's waiting receive did not return the published message")
        latencies.append(outcome["returned"] - started)
        waiter.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    return latencies


@bench("sns", "SNS Publish calls/s with 1 and 10 SQS subscribers, publish-to-queue latency: ours vs moto")
def run(harness: Harness, options: Options) -> Report:
    servers: dict[str, Server] = {"ours": harness.ours(), "moto": harness.moto()}
    report = Report(
        bench="sns",
        title=(
            f"sns: boto3 SNS Publish to SQS subscribers, {options.seconds:g} s per target, 1 client in "
            f"{options.rounds} interleaved rounds (our database: {options.database}, auth: {options.auth})"
        ),
        columns=list(servers),
    )
    rows: dict[str, dict[str, float | None]] = {}
    details: dict[str, Any] = {}

    def put(row: str, name: str, value: float | None) -> None:
        rows.setdefault(row, {column: None for column in servers})[name] = value

    rates: dict[int, dict[str, Rate]] = {}
    for count in SUBSCRIBER_COUNTS:
        calls: dict[str, Call] = {}
        queues: dict[str, list[str]] = {}
        for name, server in servers.items():
            topic, urls = _topic_with_queues(server, f"bench-fanout-{count}", count)
            queues[name] = urls
            client = server.client("sns")

            def publish(client: Any = client, topic: str = topic) -> Any:
                return client.publish(TopicArn=topic, Message=BODY)

            error = warm_up(publish)
            if error:
                report.notes.append(f"{name} failed its publish warm-up ({count} subscribers): {error}")
                continue
            calls[name] = publish
        # Every slice starts from empty queues: moto's deliveries, like its SendMessage, slow as a
        # queue grows (ours do not; a purge within 60 s of the last is refused, and the backlog stays).
        rates[count] = compare(
            calls,
            seconds=options.seconds,
            rounds=options.rounds,
            pids={n: s.pid for n, s in servers.items()},
            before_slice={name: functools.partial(_purge, servers[name], queues[name]) for name in calls},
        )
        noun = "subscriber" if count == 1 else "subscribers"
        for name, rate in rates[count].items():
            put(f"publish calls/s, {count} {noun}", name, rate.calls_per_second if rate.calls else None)
            put(f"publish p50 ms, {count} {noun}", name, _ms(rate.percentile(50)))
            put(f"publish p99 ms, {count} {noun}", name, _ms(rate.percentile(99)))
            put(f"server CPU ms/publish, {count} {noun}", name, _ms(rate.server_cpu_per_call))
            if rate.errors:
                report.notes.append(f"{name} publish ({count} {noun}): {rate.errors} error(s): {rate.first_error}")
        for name, server in servers.items():
            _purge(server, queues.get(name, []))
    details["publish"] = {count: {n: r.summary() for n, r in by.items()} for count, by in rates.items()}

    rounds = max(20, int(options.seconds * 20))
    latency: dict[str, list[float]] = {}
    for name, server in servers.items():
        try:
            latency[name] = sorted(_latencies(server, rounds))
        except Exception as exc:
            report.notes.append(f"{name} publish-to-queue latency was not measured: {exc}")
            continue
        put("publish-to-queue p50 ms", name, _ms(percentile(latency[name], 50)))
        put("publish-to-queue p99 ms", name, _ms(percentile(latency[name], 99)))
    details["latency_ms"] = {name: [round(value * 1000, 3) for value in values] for name, values in latency.items()}
    for name, server in servers.items():
        put("peak RSS MiB", name, (server.peak_rss() or 0) / 2**20 or None)

    report.rows = rows
    one = rows.get("publish calls/s, 1 subscriber", {})
    ten = rows.get("publish calls/s, 10 subscribers", {})
    ours_latency = latency.get("ours")
    p99 = percentile(ours_latency, 99) if ours_latency else None
    report.ratios = [
        Ratio("ours/moto, 1 subscriber (issue 22)", ratio(one.get("ours"), one.get("moto")), PUBLISH_TARGET),
        Ratio("ours/moto, 10 subscribers", ratio(ten.get("ours"), ten.get("moto"))),
        Ratio("200 ms / publish-to-queue p99 (ours)", ratio(LATENCY_P99_TARGET_MS / 1000, p99), 1.0),
    ]
    report.notes.append("publish-to-queue latency includes the client's Publish call and the receive's return")
    report.details = details
    return report
