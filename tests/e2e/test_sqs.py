"""The diagram with SQS: queues from the palette, a dead-letter queue wired by drawing, the
inspector's send / receive / peek, visibility timeouts driven by the clock bar, and the diagram
following the aws CLI without a reload."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import Gui

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def _send(gui: Gui, body: str) -> None:
    form = gui.inspector.locator('[data-form="send"]')
    form.locator('textarea[name="body"]').fill(body)
    form.locator('button[type="submit"]').click()
    expect(gui.inspector.locator('[data-result="send"]')).to_contain_text("Sent")


def test_message_returns_after_its_visibility_timeout_and_moves_to_the_dead_letter_queue(gui: Gui) -> None:
    gui.create("queue", name="orders")
    gui.create("queue", name="orders-dlq")
    expect(gui.node("orders")).to_be_visible()
    expect(gui.node("orders-dlq")).to_be_visible()

    gui.wire("orders", "orders-dlq")
    gui.answer("2")  # maxReceiveCount
    expect(gui.edge("dead-letter")).to_have_count(1)
    expect(gui.node("orders-dlq").locator(".pg-sub")).to_contain_text("dead-letter")

    gui.select("orders")
    _send(gui, "order #1")
    expect(gui.page.locator('.flow-dot[data-kind="sent"]')).not_to_have_count(0)
    expect(gui.badge("orders", "visible")).to_have_text("1")

    receive = gui.inspector.locator('[data-action="receive"]')
    receive.click()
    expect(gui.badge("orders", "in_flight")).to_have_text("1")
    message = gui.inspector.locator(".insp-message.received")
    expect(message).to_contain_text("order #1")
    expect(message.locator(".msg-handle code")).to_have_attribute("title", re.compile(r".{20,}"))
    expect(message.locator(".msg-countdown")).to_contain_text(re.compile(r"visible again in \d+ s"))
    gui.screenshot("received")

    gui.clock("advance", "60")  # past the 30 s visibility timeout
    expect(gui.badge("orders", "visible")).to_have_text("1")
    expect(gui.badge("orders", "in_flight")).to_have_text("0")
    expect(message.locator(".msg-countdown")).to_contain_text("visible again")
    gui.screenshot("returned")

    receive.click()  # the second receive: maxReceiveCount reached
    expect(gui.badge("orders", "in_flight")).to_have_text("1")
    gui.clock("advance", "60")
    expect(gui.page.locator('.flow-dot[data-kind="dead-lettered"]')).not_to_have_count(0)
    expect(gui.badge("orders-dlq", "visible")).to_have_text("1")
    expect(gui.badge("orders", "in_flight")).to_have_text("0")
    expect(gui.badge("orders", "visible")).to_have_text("0")
    gui.screenshot("dead-lettered")


def test_the_diagram_follows_the_aws_cli_without_a_reload(gui: Gui, student: Student, aws_cli: Any) -> None:
    info = student.sandbox
    aws_cli("sqs", "create-queue", "--queue-name", "cli-jobs-dlq", info=info)
    expect(gui.node("cli-jobs-dlq")).to_be_visible()
    # A queue made with its dead-letter queue already set: the node and the edge appear together.
    dlq_arn = f"arn:aws:sqs:{info.region}:{info.account_id}:cli-jobs-dlq"
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})
    made = aws_cli(
        "sqs",
        "create-queue",
        "--queue-name",
        "cli-jobs",
        "--attributes",
        json.dumps({"RedrivePolicy": redrive}),
        info=info,
    )
    url = json.loads(made.stdout)["QueueUrl"]
    expect(gui.node("cli-jobs")).to_be_visible()
    expect(gui.edge("dead-letter")).to_have_count(1)
    expect(gui.node("cli-jobs-dlq").locator(".pg-sub")).to_contain_text("dead-letter")

    aws_cli("sqs", "send-message", "--queue-url", url, "--message-body", "from the terminal", info=info)
    expect(gui.badge("cli-jobs", "visible")).to_have_text("1")

    row = gui.page.locator('#activity .call[data-operation="SendMessage"][data-origin="CLI"]')
    expect(row).to_have_count(1)
    expect(row.locator(".call-cli code")).to_contain_text("sqs send-message --queue-url")
    gui.screenshot("after-cli")

    aws_cli("sqs", "delete-queue", "--queue-url", url, info=info)
    expect(gui.node("cli-jobs")).to_have_count(0)
    expect(gui.edge("dead-letter")).to_have_count(0)


def test_peek_shows_messages_without_changing_their_visibility(gui: Gui, student: Student, aws: Any) -> None:
    sqs = aws("sqs", info=student.sandbox)
    url = sqs.create_queue(QueueName="peeked")["QueueUrl"]
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    expect(gui.badge("peeked", "visible")).to_have_text("2")

    gui.select("peeked")
    gui.inspector.locator('[data-action="peek"]').click()
    messages = gui.inspector.locator(".insp-message.peeked")
    expect(messages).to_have_count(2)
    expect(messages.first).to_contain_text("first")
    expect(messages.first).to_have_attribute("data-state", "visible")
    expect(gui.badge("peeked", "in_flight")).to_have_text("0")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "2"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_wiring_aws_would_refuse_is_refused_with_the_reason(gui: Gui) -> None:
    gui.create("queue", name="ordered", fifo=True)
    gui.create("queue", name="plain")
    expect(gui.node("ordered.fifo")).to_be_visible()
    expect(gui.node("plain")).to_be_visible()

    gui.wire("ordered.fifo", "plain")
    expect(gui.toast("refused")).to_contain_text("same type as its source queue")
    expect(gui.page.locator("svg.connection")).to_have_count(0)
    gui.screenshot("refused")


def test_removing_a_dead_letter_edge_removes_the_redrive_policy(gui: Gui, student: Student, aws: Any) -> None:
    sqs = aws("sqs", info=student.sandbox)
    gui.create("queue", name="work")
    gui.create("queue", name="work-dlq")
    expect(gui.node("work-dlq")).to_be_visible()
    gui.wire("work", "work-dlq")
    gui.answer("4")
    expect(gui.edge("dead-letter")).to_have_count(1)
    url = sqs.get_queue_url(QueueName="work")["QueueUrl"]
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    )
    assert policy["maxReceiveCount"] == 4

    gui.click_edge("dead-letter")
    gui.inspector.locator('[data-action="remove-edge"]').click()
    expect(gui.edge("dead-letter")).to_have_count(0)
    assert "RedrivePolicy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_settings_are_edited_and_the_queue_deleted_from_the_inspector(gui: Gui, student: Student, aws: Any) -> None:
    sqs = aws("sqs", info=student.sandbox)
    gui.create("queue", name="tunable")
    gui.select("tunable")
    settings = gui.inspector.locator('[data-form="settings"]')
    settings.locator('input[name="VisibilityTimeout"]').fill("120")
    settings.locator('button[type="submit"]').click()
    expect(gui.inspector.locator('[data-result="settings"]')).to_contain_text("Saved VisibilityTimeout")
    url = sqs.get_queue_url(QueueName="tunable")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "120"
    }

    gui.inspector.locator('[data-action="delete-queue"]').click()
    gui.page.locator("dialog.pg-dialog[open] button.danger").click()
    expect(gui.node("tunable")).to_have_count(0)
    expect(gui.inspector.locator(".insp-note")).to_contain_text("deleted")
