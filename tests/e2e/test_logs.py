"""The diagram with CloudWatch Logs: a log group from the palette with its retention, events put
by boto3 arriving in the inspector's live tail, the tail's filter box in the filter-pattern
language (an invalid pattern says so), pause and resume, putting an event from the inspector, and
a subscription filter made by drawing an edge to a Kinesis stream."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import Gui
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_a_log_group_tails_new_events_live_with_a_filter(gui: Gui, student: Student, aws: Any) -> None:
    logs = aws("logs", info=student.sandbox)
    gui.create("log-group", name="/app/web", retention="7")
    expect(gui.node("/app/web")).to_be_visible()
    gui.select("/app/web")
    expect(gui.inspector.locator("[data-status]")).to_contain_text("expire after 7 days")
    tail = gui.inspector.locator('[data-list="tail"]')
    expect(tail).to_contain_text("No matching events yet.")

    logs.create_log_stream(logGroupName="/app/web", logStreamName="i-0abc")
    now = int(time.time() * 1000)

    def put(*messages: str) -> None:
        logs.put_log_events(
            logGroupName="/app/web",
            logStreamName="i-0abc",
            logEvents=[{"timestamp": now, "message": message} for message in messages],
        )

    put("INFO started", "ERROR disk full")
    expect(tail.locator("li[data-event]")).to_have_count(2)
    expect(gui.badge("/app/web", "events")).to_have_text("2")

    # The filter box takes the pattern language; the list keeps what matches, new events included.
    gui.inspector.locator('input[name="tail-pattern"]').fill("ERROR")
    expect(tail.locator("li[data-event]")).to_have_count(1)
    put("ERROR timeout", "INFO still fine")
    expect(tail.locator("li[data-event]")).to_have_count(2)
    expect(tail).to_contain_text("ERROR timeout")
    expect(tail).not_to_contain_text("INFO still fine")

    # Paused, nothing moves; resumed, what arrived meanwhile shows.
    gui.inspector.locator('[data-action="pause"]').click()
    expect(gui.inspector.locator("[data-tail-state]")).to_have_text("Paused")
    put("ERROR while paused")
    expect(gui.badge("/app/web", "events")).to_have_text("5")
    expect(tail.locator("li[data-event]")).to_have_count(2)
    gui.inspector.locator('[data-action="pause"]').click()
    expect(tail.locator("li[data-event]")).to_have_count(3)
    gui.screenshot("live-tail")

    gui.inspector.locator('input[name="tail-pattern"]').fill("{ $.a = ")
    expect(gui.inspector.locator("[data-tail-state]")).to_contain_text("Invalid JSON filter pattern")
    gui.inspector.locator('input[name="tail-pattern"]').fill("")
    expect(tail.locator("li[data-event]")).to_have_count(5)

    put_form = gui.inspector.locator('[data-form="put"]')
    put_form.locator('textarea[name="message"]').fill("WARN from the inspector")
    put_form.locator('button[type="submit"]').click()
    expect(gui.inspector.locator('[data-result="put"]')).to_contain_text("Put in i-0abc")
    expect(tail).to_contain_text("WARN from the inspector")
    expect(gui.inspector.locator('[data-list="streams"]')).to_contain_text("i-0abc")

    # Drawing an edge from the group to a Kinesis stream subscribes the stream to the group.
    kinesis = aws("kinesis", info=student.sandbox)
    kinesis.create_stream(StreamName="log-feed", ShardCount=1)
    gui.clock("advance", "60")
    expect(gui.node("log-feed")).to_be_visible()
    gui.wire("/app/web", "log-feed")
    expect(gui.edge("log-subscription")).to_have_count(1)
    filters = logs.describe_subscription_filters(logGroupName="/app/web")["subscriptionFilters"]
    assert [item["destinationArn"].rsplit("/", 1)[1] for item in filters] == ["log-feed"]


def test_a_function_that_logs_is_drawn_writing_to_its_log_group(gui: Gui, student: Student, aws: Any) -> None:
    import io
    import zipfile

    lam = aws("lambda", info=student.sandbox)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", "def handler(event, context):\n    print('hello')\n")
    lam.create_function(
        FunctionName="greeter", Runtime="python3.12", Role="arn:aws:iam::123456789012:role/service-role",
        Handler="lambda_function.handler", Code={"ZipFile": buffer.getvalue()},
    )  # fmt: skip
    expect(gui.node("greeter")).to_be_visible()
    expect(gui.edge("log-writer")).to_have_count(0)
    gui.clock("advance", "60")  # the function leaves Pending
    wait_until(lambda: lam.get_function(FunctionName="greeter")["Configuration"]["State"] == "Active")
    lam.invoke(FunctionName="greeter", Payload=b"{}")

    # Its output lands in /aws/lambda/greeter, and the diagram draws the function writing there.
    expect(gui.node("/aws/lambda/greeter")).to_be_visible()
    expect(gui.edge("log-writer")).to_have_count(1)
    gui.screenshot("function-writes-logs")
    gui.click_edge("log-writer")
    expect(gui.inspector).to_contain_text("greeter")
    expect(gui.inspector).to_contain_text("/aws/lambda/greeter")
