"""Asynchronous invocation destinations of type Lambda and EventBridge, the AWS/Lambda metrics in
CloudWatch, and reserved concurrency holding across server processes (a queued invocation
running in this process while Invoke reaches the server's)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of
from tests.waiting import wait_until

# Sends the event it gets to the OUT queue.
FORWARDER = """
import boto3, json, os
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["OUT"], MessageBody=json.dumps(event))
    return {"seen": True}
"""

FAILING = """
def handler(event, context):
    raise ValueError("no good: " + str(event.get("n")))
"""


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _bodies(sqs: Any, url: str) -> list[Any]:
    return [
        json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]


def test_on_success_to_a_function_and_on_failure_to_the_default_event_bus(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    sqs, events = aws("sqs"), aws("events")
    out, _ = _queue(sqs, "records")
    bus_out, bus_out_arn = _queue(sqs, "bus-records")
    receiver = make_function(FORWARDER, Environment={"Variables": {"OUT": out}})
    receiver_arn = lam.get_function(FunctionName=receiver)["Configuration"]["FunctionArn"]
    ok = make_function("def handler(e, c):\n    return {'doubled': e['n'] * 2}\n")
    lam.put_function_event_invoke_config(
        FunctionName=ok, DestinationConfig={"OnSuccess": {"Destination": receiver_arn}}
    )
    lam.invoke(FunctionName=ok, InvocationType="Event", Payload=json.dumps({"n": 21}))
    advance(0.1)  # runs `ok`, which queues the record as an Event invocation of the receiver
    advance(0.1)
    (record,) = _bodies(sqs, out)
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["functionArn"].endswith(f":function:{ok}:$LATEST")
    assert record["requestPayload"] == {"n": 21}
    assert record["responsePayload"] == {"doubled": 42}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}

    bus_arn = events.describe_event_bus()["Arn"]
    pattern = {"source": ["lambda"], "detail-type": ["Lambda Function Invocation Result - Failure"]}
    events.put_rule(Name="lambda-failures", EventPattern=json.dumps(pattern))
    rule_arn = events.describe_rule(Name="lambda-failures")["Arn"]
    sqs.set_queue_attributes(QueueUrl=bus_out, Attributes={"Policy": json.dumps({"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": bus_out_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})})  # fmt: skip
    events.put_targets(Rule="lambda-failures", Targets=[{"Id": "q", "Arn": bus_out_arn}])
    bad = make_function(FAILING)
    lam.put_function_event_invoke_config(
        FunctionName=bad, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": bus_arn}}
    )
    lam.invoke(FunctionName=bad, InvocationType="Event", Payload=json.dumps({"n": 7}))
    advance(0.1)
    (event,) = _bodies(sqs, bus_out)
    assert (event["source"], event["detail-type"]) == ("lambda", "Lambda Function Invocation Result - Failure")
    assert bus_arn in event["resources"]
    detail = event["detail"]
    assert detail["requestContext"]["condition"] == "RetriesExhausted"
    assert detail["responseContext"]["functionError"] == "Unhandled"
    assert detail["responsePayload"]["errorMessage"] == "no good: 7"


def test_on_success_to_a_custom_event_bus(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    sqs, events = aws("sqs"), aws("events")
    bus_out, bus_out_arn = _queue(sqs, "custom-bus-records")
    bus_arn = events.create_event_bus(Name="results")["EventBusArn"]
    pattern = {"source": ["lambda"], "detail-type": ["Lambda Function Invocation Result - Success"]}
    rule_arn = events.put_rule(Name="lambda-results", EventBusName="results", EventPattern=json.dumps(pattern))[
        "RuleArn"
    ]
    sqs.set_queue_attributes(QueueUrl=bus_out, Attributes={"Policy": json.dumps({"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": bus_out_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})})  # fmt: skip
    events.put_targets(Rule="lambda-results", EventBusName="results", Targets=[{"Id": "q", "Arn": bus_out_arn}])
    ok = make_function("def handler(e, c):\n    return {'tripled': e['n'] * 3}\n")
    lam.put_function_event_invoke_config(FunctionName=ok, DestinationConfig={"OnSuccess": {"Destination": bus_arn}})
    lam.invoke(FunctionName=ok, InvocationType="Event", Payload=json.dumps({"n": 5}))
    advance(0.1)
    (event,) = _bodies(sqs, bus_out)
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert bus_arn in event["resources"]
    assert event["detail"]["responsePayload"] == {"tripled": 15}


def test_invocations_errors_duration_and_throttles_reach_cloudwatch(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None],
    clock_now: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    cloudwatch = aws("cloudwatch")
    name = make_function("def handler(e, c):\n    if e.get('fail'):\n        raise ValueError('x')\n    return 1\n")
    for payload in ({}, {}, {"fail": True}):
        lam.invoke(FunctionName=name, Payload=json.dumps(payload))
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError):
        lam.invoke(FunctionName=name)
    now = clock_now()
    listed = cloudwatch.list_metrics(Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName", "Value": name}])
    assert listed["Metrics"] == []  # Lambda sends a minute's figures once the minute is over
    advance(61)

    def stat(metric: str, statistic: str) -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName=metric, Dimensions=[{"Name": "FunctionName", "Value": name}],
            StartTime=now - dt.timedelta(minutes=5), EndTime=now + dt.timedelta(minutes=1), Period=3600,
            Statistics=[statistic],
        )["Datapoints"]  # fmt: skip
        return float(sum(point[statistic] for point in points))

    assert stat("Invocations", "Sum") == 3
    assert stat("Errors", "Sum") == 1
    assert stat("Throttles", "Sum") == 1
    assert stat("Duration", "SampleCount") == 3
    assert stat("Duration", "Maximum") >= stat("Duration", "Minimum") > 0
    assert stat("ConcurrentExecutions", "Maximum") >= 1
    listed = cloudwatch.list_metrics(Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName", "Value": name}])
    assert {"Invocations", "Errors", "Duration", "Throttles"} <= {m["MetricName"] for m in listed["Metrics"]}


def test_an_event_the_dead_letter_queue_cannot_take_counts_in_dead_letter_errors(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None],
    clock_now: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    sqs, cloudwatch = aws("sqs"), aws("cloudwatch")
    dlq, dlq_arn = _queue(sqs, "gone-dlq")
    name = make_function(FAILING, DeadLetterConfig={"TargetArn": dlq_arn})
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    sqs.delete_queue(QueueUrl=dlq)
    now = clock_now()
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": 1}))
    advance(0.1)  # run once, failed, no retry: the dead-letter queue is gone
    advance(61)

    def total(metric: str) -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName=metric, Dimensions=[{"Name": "FunctionName", "Value": name}],
            StartTime=now - dt.timedelta(minutes=5), EndTime=now + dt.timedelta(minutes=5), Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]  # fmt: skip
        return float(sum(point["Sum"] for point in points))

    assert total("Errors") == 1
    assert total("DeadLetterErrors") == 1


# Runs until the test lets it go (a message on GO; long polling wakes it at once): no fixed wait.
HELD = """
import boto3, os
def handler(event, context):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=os.environ["OUT"], MessageBody="started")
    if event.get("hold"):
        while not sqs.receive_message(QueueUrl=os.environ["GO"], WaitTimeSeconds=5).get("Messages"):
            pass
    return "done"
"""


def test_reserved_concurrency_holds_across_server_processes(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    sqs = aws("sqs")
    out, _ = _queue(sqs, "started")
    go, _ = _queue(sqs, "go")
    name = make_function(HELD, Environment={"Variables": {"OUT": out, "GO": go}}, Timeout=30)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"hold": True}))
    # The queued invocation runs here (this process's pool), the Invoke below in the server's.
    running = threading.Thread(target=advance, args=(0.1,))
    running.start()
    try:
        wait_until(lambda: sqs.receive_message(QueueUrl=out).get("Messages"), timeout=30)
        with pytest.raises(ClientError) as caught:
            lam.invoke(FunctionName=name, Payload=b"{}")
        assert error_of(caught) == ("TooManyRequestsException", 429, "Rate Exceeded.")
        assert caught.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    finally:
        sqs.send_message(QueueUrl=go, MessageBody="go")
        running.join()
    assert json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()) == "done"


def test_reservations_leave_the_account_its_unreserved_minimum(lam: Any, make_function: Callable[..., str]) -> None:
    name = make_function("def handler(e, c):\n    return 1\n")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=200)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 800
    with pytest.raises(ClientError) as caught:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=901)
    assert error_of(caught) == (
        "InvalidParameterValueException",
        400,
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        "below its minimum value of [100].",
    )
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 200
