"""The live events Lambda publishes to the sandbox's WebSocket (services/awslambda/events.py): a
function created, Active on the clock, changed and deleted; the flows of an invocation (cold,
then warm), of a queued Event invocation, and of a failure's record going to the DLQ; and the
function as the REST API's resource view describes it (graph.describe)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.conftest import SandboxInfo, Server
from tests.live.test_websocket import login, open_socket, receive_until
from tests.services.awslambda.conftest import ROLE, zipped

pytestmark = pytest.mark.live


def test_function_and_invocation_events(
    daphne: Server, make_sandbox: Callable[..., SandboxInfo], aws: Callable[..., Any], db_access: None
) -> None:
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_advance, clock_pause

    info = make_sandbox(username="lambda-events")
    box = Sandbox.objects.get(pk=info.id)
    clock_pause(sandbox=box)
    lam, sqs = aws("lambda", info=info), aws("sqs", info=info)
    arn = f"arn:aws:lambda:{info.region}:{info.account_id}:function:watched"
    dlq = sqs.create_queue(QueueName="watched-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def resource(socket: Any, change: str) -> dict[str, Any]:
        return receive_until(socket, lambda e: e["type"] == f"resource.{change}" and e["arn"] == arn, timeout=10)

    def flow(socket: Any, kind: str) -> dict[str, Any]:
        return receive_until(socket, lambda e: e["type"] == "flow" and e["kind"] == kind, timeout=10)

    cookie = login(daphne, "lambda-events", "pw-lambda-events")
    with open_socket(daphne, info.id, cookie) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"
        source = (
            "def handler(event, context):\n    print('hello', event)\n"
            "    if event.get('fail'):\n        raise ValueError('no')\n    return 1\n"
        )
        lam.create_function(
            FunctionName="watched", Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
            Code={"ZipFile": zipped({"lambda_function.py": source})}, DeadLetterConfig={"TargetArn": dlq_arn},
        )  # fmt: skip
        created = resource(socket, "created")
        assert (created["service"], created["resource_type"], created["name"]) == ("awslambda", "function", "watched")
        assert created["attributes"]["State"] == "Pending"
        clock_advance(sandbox=box, seconds=1)
        assert resource(socket, "changed")["attributes"]["State"] == "Active"

        lam.invoke(FunctionName="watched", Payload=b'{"n": 1}')
        first = flow(socket, "invoke")
        assert (first["source"], first["target"]) == ("client", arn)
        assert first["detail"]["type"] == "RequestResponse"
        assert first["detail"]["cold"] is True
        assert first["detail"]["error_type"] == ""
        assert "hello {'n': 1}" in first["detail"]["log"]
        lam.invoke(FunctionName="watched", Payload=b'{"n": 2}')
        assert flow(socket, "invoke")["detail"]["cold"] is False

        lam.put_function_event_invoke_config(FunctionName="watched", MaximumRetryAttempts=0)
        lam.invoke(FunctionName="watched", InvocationType="Event", Payload=b'{"fail": true}')
        queued = flow(socket, "queued")
        assert queued["target"] == arn
        clock_advance(sandbox=box, seconds=0.1)
        failed = flow(socket, "invoke")
        assert (failed["detail"]["type"], failed["detail"]["error_type"]) == ("Event", "ValueError")
        dead = flow(socket, "destination")
        assert (dead["source"], dead["target"], dead["detail"]["condition"]) == (arn, dlq_arn, "Failure")

        described = requests_resource(daphne, cookie, info, arn)
        assert described["attributes"]["FunctionName"] == "watched"
        assert [row["type"] for row in described["invocations"]] == ["Event", "RequestResponse", "RequestResponse"]
        assert described["invocations"][-1]["cold"] is True
        assert described["code"][0]["name"] == "lambda_function.py"
        assert "raise ValueError" in described["code"][0]["text"]

        lam.delete_function(FunctionName="watched")
        assert resource(socket, "deleted")["name"] == "watched"


def requests_resource(daphne: Server, cookie: str, info: SandboxInfo, arn: str) -> dict[str, Any]:
    """The REST API's resource view of `arn`, as the inspector reads it."""
    answer = requests.get(
        f"{daphne.url}/api/sandboxes/{info.id}/resources/", params={"arn": arn}, cookies={"sessionid": cookie},
        timeout=10,
    )  # fmt: skip
    answer.raise_for_status()
    return dict(answer.json())
