"""The diagram with SNS: a topic fanning out to two queues wired by drawing, publishing from the
inspector, and the wiring AWS refuses (a standard topic to a FIFO queue)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.gui import Gui

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
