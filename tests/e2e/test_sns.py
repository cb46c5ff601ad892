"""The diagram with SNS: a topic fanning out to two queues wired by drawing, publishing from the
inspector, the wiring AWS refuses (a standard topic to a FIFO queue), and deliveries a queue policy
refuses, shown with the reason and the fix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import Gui, paste

pytestmark = [pytest.mark.e2e, pytest.mark.live]


@pytest.fixture(autouse=True)
def _sns_emulated() -> None:
    from playground.gateway.registry import provider_for

    if provider_for("sns") is None:
        pytest.skip("SNS is not emulated yet (services/sns)")


def test_publish_reaches_both_subscribed_queues(gui: Gui) -> None:
    gui.create("topic", name="orders")
    gui.create("queue", name="billing")
    gui.create("queue", name="shipping")
    for name in ("billing", "shipping"):
        expect(gui.node(name)).to_be_visible()
    gui.wire("orders", "billing")
    expect(gui.edge("subscription")).to_have_count(1)
    gui.wire("orders", "shipping")
    expect(gui.edge("subscription")).to_have_count(2)
    expect(gui.node("orders").locator('[data-badge="subscriptions"] b')).to_have_text("2")
    gui.screenshot("wired")

    gui.select("orders")
    publish = gui.inspector.locator('[data-form="publish"]')
    publish.locator('textarea[name="message"]').fill("order 42 placed")
    publish.locator('button[type="submit"]').click()
    gui.page.locator(".flow-dot").first.wait_for(state="attached")
    expect(gui.badge("billing", "visible")).to_have_text("1")
    expect(gui.badge("shipping", "visible")).to_have_text("1")
    gui.screenshot("published")

    # A filter policy on the shipping subscription: only express orders reach it.
    subscription = gui.inspector.locator('.insp-sub-item[data-endpoint$=":shipping"]')
    subscription.locator("summary").click()
    subscription.locator('textarea[name="filter-policy"]').fill('{"speed": ["express"]}')
    subscription.locator('[data-action="save-filter"]').click()
    expect(subscription.locator('[data-result="filter"]')).to_contain_text("Filter saved")
    publish.locator('textarea[name="message"]').fill("order 43, no hurry")
    publish.locator('textarea[name="attributes"]').fill("speed=standard")
    publish.locator('button[type="submit"]').click()
    expect(gui.page.locator(".flow-dot.flow-filtered")).not_to_have_count(0)
    expect(gui.badge("billing", "visible")).to_have_text("2")
    expect(gui.badge("shipping", "visible")).to_have_text("1")
    gui.screenshot("filtered")


def test_a_standard_topic_cannot_feed_a_fifo_queue(gui: Gui) -> None:
    gui.create("topic", name="news")
    gui.create("queue", name="ledger", fifo=True)
    expect(gui.node("ledger.fifo")).to_be_visible()
    gui.wire("news", "ledger.fifo")
    expect(gui.toast("refused")).to_contain_text("standard topic cannot deliver to a FIFO queue")
    expect(gui.edge("subscription")).to_have_count(0)


def test_a_queue_that_refuses_the_topic_shows_why_deliveries_fail_and_how_to_fix_it(
    gui: Gui, student: Student, aws: Any, tmp_path: Path
) -> None:
    """As on AWS, SNS loses every message to a queue whose policy does not let the topic send, and
    the publisher hears nothing. The page shows it: on the edge (before any publish, from the graph),
    and in the activity panel for each failed delivery, with the reason and the fix."""
    info = student.sandbox
    page = gui.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sns, sqs = aws("sns", info=info), aws("sqs", info=info)
    topic = sns.create_topic(Name="orders")["TopicArn"]
    for name in ("billing", "shipping"):
        sqs.create_queue(QueueName=name)
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{info.region}:{info.account_id}:{name}")
    edges = page.locator('svg.connection[data-kind="subscription"]')
    expect(edges).to_have_count(2)
    billing_edge = page.locator('svg.connection[data-kind="subscription"][data-target$=":billing"]')
    shipping_edge = page.locator('svg.connection[data-kind="subscription"][data-target$=":shipping"]')
    expect(billing_edge).to_have_class(re.compile(r"\bedge-problem\b"))
    expect(page.locator(".pg-edge-label.edge-problem")).to_have_count(2)
    expect(billing_edge.locator(".pg-hit title")).to_contain_text("no policy allowing sns.amazonaws.com")

    sns.publish(TopicArn=topic, Message="lost in the post")
    rows = page.locator('#activity .call.problem[data-flow="failed"]')
    expect(rows).to_have_count(2)
    row = rows.filter(has_text="orders could not deliver to billing")
    expect(row.locator("[data-reason]")).to_contain_text(
        "the queue refused the topic: the queue has no policy allowing sns.amazonaws.com to call sqs:SendMessage"
    )
    expect(row.locator("[data-fix]")).to_contain_text("Add the queue policy")
    expect(row.locator(".call-cli code")).to_contain_text(
        re.compile(r"^aws --endpoint-url \S+ sqs set-queue-attributes --queue-url ")
    )
    expect(page.locator('.flow-dot.flow-failed[data-kind="failed"]')).not_to_have_count(0)
    expect(gui.badge("billing", "visible")).to_have_text("0")
    gui.screenshot("failing")

    # The fix, as the activity panel gives it for the aws CLI: the billing edge works again.
    row.locator(".call-cli button.copy").click()
    fix = page.evaluate("navigator.clipboard.readText()")
    done = paste(fix, info, tmp_path)
    assert done.returncode == 0, done.stderr
    expect(billing_edge).not_to_have_class(re.compile(r"\bedge-problem\b"))

    # The fix from the edge's inspector: the shipping edge works again.
    shipping = shipping_edge.locator(".main-path:not(.pg-hit)")
    point = shipping.evaluate(
        """path => {
        const at = path.getPointAtLength(path.getTotalLength() - 20);
        const screen = new DOMPoint(at.x, at.y).matrixTransform(path.getScreenCTM());
        return {x: screen.x, y: screen.y};
    }"""
    )
    gui.settle()
    page.mouse.click(point["x"], point["y"])
    problem = gui.inspector.locator("[data-problem]")
    expect(problem).to_contain_text("no policy allowing sns.amazonaws.com")
    gui.inspector.locator('[data-action="repair-edge"]').click()
    expect(gui.inspector.locator('[data-result="edge"]')).to_contain_text("now lets orders send")
    expect(shipping_edge).not_to_have_class(re.compile(r"\bedge-problem\b"))
    expect(page.locator(".pg-edge-label.edge-problem")).to_have_count(0)

    sns.publish(TopicArn=topic, Message="delivered this time")
    expect(gui.badge("billing", "visible")).to_have_text("1")
    expect(gui.badge("shipping", "visible")).to_have_text("1")
    expect(rows).to_have_count(2)  # no new failure
