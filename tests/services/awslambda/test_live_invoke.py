"""Invoke through boto3: the real handler's result, its error as AWS's payload, cold then warm
starts, LogType Tail, timeouts, Event and DryRun."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

ECHO = """
import os
def handler(event, context):
    print("got", event)
    return {"echo": event, "name": context.function_name, "request": context.aws_request_id,
            "memory": context.memory_limit_in_mb, "left": context.get_remaining_time_in_millis() > 0,
            "region": os.environ["AWS_REGION"]}
"""


def test_request_response_returns_the_handler_result_cold_then_warm(
    lam: Any, make_function: Callable[..., str]
) -> None:
    name = make_function(ECHO)
    first = lam.invoke(FunctionName=name, Payload=json.dumps({"a": 1}), LogType="Tail")
    assert first["StatusCode"] == 200
    assert "FunctionError" not in first, (first["Payload"].read(), base64.b64decode(first["LogResult"]))
    answer = json.loads(first["Payload"].read())
    assert answer["echo"] == {"a": 1}
    assert answer["name"] == name
    assert answer["memory"] == "128"
    assert answer["left"] is True
    assert answer["region"] == "us-east-1"
    log = base64.b64decode(first["LogResult"]).decode()
    assert f"START RequestId: {answer['request']} Version: $LATEST" in log
    assert "got {'a': 1}" in log
    assert f"END RequestId: {answer['request']}" in log
    assert "Init Duration" in log  # a cold start
    second = lam.invoke(FunctionName=name, Payload=b'{"a": 2}', LogType="Tail")
    log = base64.b64decode(second["LogResult"]).decode()
    assert "REPORT RequestId" in log
    assert "Max Memory Used" in log
    assert "Init Duration" not in log  # warm


def test_a_raising_handler_answers_aws_error_payload(lam: Any, make_function: Callable[..., str]) -> None:
    name = make_function("def handler(event, context):\n    raise ValueError('bad input ' + str(event['n']))\n")
    result = lam.invoke(FunctionName=name, Payload=b'{"n": 7}')
    assert result["StatusCode"] == 200
    assert result["FunctionError"] == "Unhandled"
    payload = json.loads(result["Payload"].read())
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "bad input 7"
    assert payload["requestId"]
    assert isinstance(payload["stackTrace"], list)


def test_timeout_is_enforced(lam: Any, make_function: Callable[..., str]) -> None:
    name = make_function("import time\ndef handler(event, context):\n    while True: time.sleep(0.05)\n", Timeout=1)
    result = lam.invoke(FunctionName=name, LogType="Tail")
    payload = json.loads(result["Payload"].read())
    assert result["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in base64.b64decode(result["LogResult"]).decode()
    # The next call starts a fresh environment that works.
    lam.update_function_configuration(FunctionName=name, Timeout=3)


def test_missing_handler_module_fails_at_invoke_as_on_aws(lam: Any, make_function: Callable[..., str]) -> None:
    name = make_function("def handler(e, c):\n    return 1\n", Handler="nothere.handler")
    payload = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert payload["errorMessage"].startswith("Unable to import module 'nothere': No module named 'nothere'")


def test_dry_run_and_event(lam: Any, make_function: Callable[..., str], advance: Callable[[float], None],
                           aws: Callable[..., Any]) -> None:  # fmt: skip
    sqs = aws("sqs")
    queue = sqs.create_queue(QueueName="out")["QueueUrl"]
    source = f"""
import boto3
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl="{queue}", MessageBody=event["text"])
"""
    name = make_function(source)
    assert lam.invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204
    assert lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"text": "hi"}')["StatusCode"] == 202
    advance(0.1)
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert messages[0]["Body"] == "hi"


def test_payload_limits(lam: Any, make_function: Callable[..., str]) -> None:
    name = make_function("def handler(e, c):\n    return 1\n")
    big = b'"' + b"x" * (1024 * 1024) + b'"'
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=big)
    assert error_of(caught) == (
        "RequestTooLargeException",
        413,
        "Request must be smaller than 1048576 bytes for the InvokeFunction operation",
    )
    huge = b'"' + b"x" * (6 * 1024 * 1024) + b'"'
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, Payload=huge)
    assert error_of(caught) == (
        "RequestTooLargeException",
        413,
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    )


def test_reserved_concurrency_zero_throttles(lam: Any, make_function: Callable[..., str]) -> None:
    name = make_function("def handler(e, c):\n    return 1\n")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 0
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name)
    assert error_of(caught) == ("TooManyRequestsException", 429, "Rate Exceeded.")
    assert caught.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.delete_function_concurrency(FunctionName=name)
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == 1
