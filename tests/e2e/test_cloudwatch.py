"""The diagram with CloudWatch: an alarm created from the palette, grey while it has no data,
turning red when the sandbox clock passes its period with a breaching datapoint put from the
inspector; the inspector's chart with the threshold line, the datapoints evaluated and the history;
the edge to the SNS topic it notifies."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import Gui

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_an_alarm_turns_red_when_the_clock_passes_its_period(gui: Gui, student: Student, aws: Any) -> None:
    topic = aws("sns", info=student.sandbox).create_topic(Name="pager")["TopicArn"]
    gui.create("alarm", name="load-high", namespace="Custom", metric="Load", threshold="5", periods="2", datapoints="1",
               topic=topic)  # fmt: skip
    expect(gui.node("load-high")).to_be_visible()
    expect(gui.badge("load-high", "state")).to_have_text("INSUFFICIENT_DATA")
    expect(gui.edge("alarm-action")).to_have_count(1)
    expect(gui.edge("alarm-metric")).to_have_count(1)

    gui.select("load-high")
    put = gui.inspector.locator('[data-form="put"]')
    put.locator('input[name="value"]').fill("9")
    put.locator('button[type="submit"]').click()
    expect(gui.inspector.locator('[data-result="put"]')).to_contain_text("Put 9 to Custom Load")
    expect(gui.inspector.locator('[data-chart="metric"]')).to_have_attribute("data-points", "1")
    expect(gui.inspector.locator('[data-chart="metric"]')).to_have_attribute("data-threshold", "5")
    expect(gui.inspector.locator('[data-chart="metric"] canvas')).to_have_count(1)

    gui.clock("advance", "60")
    expect(gui.badge("load-high", "state")).to_have_text("ALARM")
    node = gui.node("load-high").locator(".pg-node")
    expect(node.locator(".pg-icon")).to_have_attribute("src", re.compile(r"/alarm-alarm\.svg$"))
    expect(node).to_have_css("border-color", "rgb(224, 49, 49)")
    expect(gui.page.locator('.flow-dot[data-kind="state"]')).not_to_have_count(0)
    expect(gui.inspector.locator("[data-state]").first).to_have_text("ALARM")
    expect(gui.inspector.locator('[data-list="evaluated"] li.breaching')).to_have_count(1)
    expect(gui.inspector.locator('[data-list="history"]')).to_contain_text(
        "Alarm updated from INSUFFICIENT_DATA to ALARM"
    )
    expect(gui.inspector.locator('[data-list="history"]')).to_contain_text(f"Successfully executed action {topic}")
    gui.screenshot("alarm-red")
