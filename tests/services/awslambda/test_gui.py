"""Lambda on the diagram, in Chromium at 1280x720, as a student meets it: a queue wired to a
function by drawing an edge (an SQS event source mapping), a message sent, the invocation
travelling along the edge, and the function inspector showing it (a cold start) with its log line;
then the test-event box runs the handler again and shows its result and log, warm the second time."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import UI_TIMEOUT, Gui
from tests.services.awslambda.conftest import ROLE, zipped

pytestmark = [pytest.mark.e2e, pytest.mark.live]

HANDLER = """
def handler(event, context):
    for record in event.get("Records", []):
        print("processed", record["body"])
    return {"seen": [record["body"] for record in event.get("Records", [])]}
"""


def test_a_queue_wired_to_a_function_runs_it_and_the_inspector_shows_the_log(
    gui: Gui, student: Student, aws: Any
) -> None:
    page = gui.page
    lam = aws("lambda", info=student.sandbox)
    sqs = aws("sqs", info=student.sandbox)
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    lam.create_function(
        FunctionName="worker", Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
        Code={"ZipFile": zipped({"lambda_function.py": HANDLER})},
    )  # fmt: skip
    expect(gui.node("orders")).to_be_visible()
    expect(gui.node("worker")).to_be_visible()
    expect(gui.badge("worker", "state")).to_have_text("Active", timeout=UI_TIMEOUT)

    gui.wire("orders", "worker")
    expect(gui.edge("event-source")).to_have_count(1, timeout=UI_TIMEOUT)
    mappings = lam.list_event_source_mappings(FunctionName="worker")["EventSourceMappings"]
    assert [m["EventSourceArn"].rsplit(":", 1)[1] for m in mappings] == ["orders"]

    gui.select("worker")
    panel = gui.inspector.locator('.insp-panel[data-panel="awslambda:function"]')
    expect(panel.locator('[data-list="invocations"]')).to_contain_text("No invocations yet")
    sqs.send_message(QueueUrl=url, MessageBody="order-42")
    # The poller (the Celery tick, on the running clock) invokes the function: the invocation
    # travels from the queue to the function, and the inspector lists it with its log line.
    page.locator('.flow-dot[data-kind="invoke"]').first.wait_for(state="attached", timeout=15_000)
    item = panel.locator(".lambda-invocation").first
    expect(item).to_contain_text("processed order-42", timeout=UI_TIMEOUT)
    expect(item).to_have_attribute("data-start", "cold")
    expect(item).to_contain_text("SQS")
    expect(gui.badge("worker", "start")).to_have_text("cold", timeout=UI_TIMEOUT)
    gui.screenshot("invoked")

    test_form = panel.locator('[data-form="test"]')
    test_form.locator('textarea[name="event"]').fill('{"Records": [{"body": "by hand"}]}')
    test_form.locator('button[type="submit"]').click()
    expect(test_form.locator('[data-result="test"]')).to_have_text('Result: {"seen": ["by hand"]}', timeout=UI_TIMEOUT)
    expect(test_form.locator('[data-output="test"]')).to_contain_text("processed by hand")
    # The same environment serves the next test: a warm start, without Init Duration. (The first
    # test may itself be cold: the mapping's invocation ran in the Celery worker's environment.)
    test_form.locator('textarea[name="event"]').fill('{"Records": [{"body": "again"}]}')
    test_form.locator('button[type="submit"]').click()
    expect(test_form.locator('[data-result="test"]')).to_have_text('Result: {"seen": ["again"]}', timeout=UI_TIMEOUT)
    expect(test_form.locator('[data-output="test"]')).to_contain_text("processed again")
    expect(test_form.locator('[data-output="test"]')).not_to_contain_text("Init Duration")
    expect(panel.locator(".lambda-invocation").first).to_have_attribute("data-start", "warm", timeout=UI_TIMEOUT)


STREAM_HANDLER = """
import base64
def handler(event, context):
    for record in event["Records"]:
        print("read", base64.b64decode(record["kinesis"]["data"]).decode(), "from", record["eventID"].split(":")[0])
"""


def test_a_stream_wired_to_a_function_sends_it_its_records(
    gui: Gui, student: Student, aws: Any, db_access: None
) -> None:
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_advance

    lam = aws("lambda", info=student.sandbox)
    kinesis = aws("kinesis", info=student.sandbox)
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    lam.create_function(
        FunctionName="reader", Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
        Code={"ZipFile": zipped({"lambda_function.py": STREAM_HANDLER})},
    )  # fmt: skip
    clock_advance(sandbox=Sandbox.objects.get(pk=student.sandbox.id), seconds=15)  # the stream turns ACTIVE
    kinesis.put_record(StreamName="clicks", Data=b"click-7", PartitionKey="user-1")
    expect(gui.node("clicks")).to_be_visible()
    expect(gui.badge("reader", "state")).to_have_text("Active", timeout=UI_TIMEOUT)

    gui.wire("clicks", "reader")
    expect(gui.edge("event-source")).to_have_count(1, timeout=UI_TIMEOUT)
    (mapping,) = lam.list_event_source_mappings(FunctionName="reader")["EventSourceMappings"]
    assert mapping["EventSourceArn"].endswith(":stream/clicks")
    assert mapping["StartingPosition"] == "TRIM_HORIZON"

    gui.select("reader")
    panel = gui.inspector.locator('.insp-panel[data-panel="awslambda:function"]')
    # The poller (the Celery tick, on the running clock) reads the shard from its oldest record.
    item = panel.locator(".lambda-invocation").first
    expect(item).to_contain_text("read click-7 from shardId-000000000000", timeout=15_000)
    expect(item).to_contain_text("Kinesis")
    gui.screenshot("stream-invoked")
