"""EventBridge on the diagram, in Chromium at 1280x720: a rule made from the palette, its target
edge to a queue, the pattern tester answering as the pattern is typed, an event put from boto3
animated from the bus through the rule to the queue with the counters moving, and a schedule
rule showing its next fire time on the sandbox clock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import UI_TIMEOUT, Gui
from tests.services.eventbridge.conftest import allow_events

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_a_rule_matches_live_and_its_tester_answers_as_you_type(gui: Gui, student: Student, aws: Any) -> None:
    page = gui.page
    events, sqs = aws("events", info=student.sandbox), aws("sqs", info=student.sandbox)
    url = sqs.create_queue(QueueName="orders-queue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow_events(arn)})

    gui.create("rule", name="big-orders", pattern='{"source": ["shop.orders"]}')
    expect(gui.node("big-orders")).to_be_visible()
    expect(gui.node("default")).to_be_visible()
    expect(gui.badge("big-orders", "state")).to_have_text("ENABLED")
    events.put_targets(Rule="big-orders", Targets=[{"Id": "queue", "Arn": arn}])
    expect(gui.edge("target")).to_have_count(1)

    gui.select("big-orders")
    panel = gui.inspector
    expect(panel.locator('[data-list="targets"]')).to_contain_text(f"queue → {arn}")
    verdict = panel.locator("[data-verdict]")
    expect(verdict).to_contain_text("matches this event")
    pattern = panel.locator('textarea[name="pattern"]')
    pattern.fill('{"source": ["shop.orders"], "detail": {"total": [{"numeric": [">", 500]}]}}')
    expect(verdict).to_contain_text("does not match")
    pattern.fill('{"source": "shop.orders"}')
    expect(verdict).to_contain_text(
        'InvalidEventPatternException: Event pattern is not valid. Reason: "source" must be'
    )
    gui.screenshot("tester")

    events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "Order Placed", "Detail": '{"total": 120}'}])
    page.locator('.flow-dot[data-kind="matched"]').first.wait_for(state="attached", timeout=UI_TIMEOUT)
    expect(gui.badge("big-orders", "matched")).to_have_text("1")
    expect(panel.locator("[data-matched]")).to_contain_text("Matched event")
    expect(panel.locator("[data-counters]")).to_contain_text("1 delivered")
    assert json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])["detail"] == {"total": 120}

    gui.clock("pause")
    events.put_rule(Name="nightly", ScheduleExpression="cron(0 18 ? * MON-FRI *)")
    expect(gui.node("nightly")).to_contain_text("cron(0 18 ? * MON-FRI *)")
    expect(gui.node("nightly")).to_contain_text("18:00 UTC")
    gui.screenshot("schedule")


def test_the_bus_inspector_lists_its_archives_and_a_replay_running_on_the_clock(
    gui: Gui, student: Student, aws: Any
) -> None:
    import datetime as dt

    events = aws("events", info=student.sandbox)
    bus_arn = events.describe_event_bus()["Arn"]
    created = events.create_archive(ArchiveName="orders-archive", EventSourceArn=bus_arn, RetentionDays=7)
    events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "Order Placed", "Detail": '{"n": 1}'}] * 2)

    gui.select("default")
    panel = gui.inspector
    archives = panel.locator('[data-list="archives"]')
    expect(archives).to_contain_text("orders-archive · 2 events · kept 7 days · ENABLED")
    expect(panel.locator('[data-list="replays"]')).to_contain_text("No replay yet.")
    expect(gui.node("Events-Archive-orders-archive")).to_be_visible()  # the managed rule AWS makes

    gui.clock("pause")
    shown = gui.page.locator("#clock [data-clock-time]")
    expect(gui.page.locator("#clock [data-clock-state]")).to_have_text("paused")
    before = shown.inner_text()
    gui.clock("advance", "60")
    expect(shown).not_to_have_text(before)  # the server moved the clock
    start = created["CreationTime"] - dt.timedelta(seconds=1)
    events.start_replay(ReplayName="again", EventSourceArn=created["ArchiveArn"], EventStartTime=start,
                        EventEndTime=start + dt.timedelta(seconds=40), Destination={"Arn": bus_arn})  # fmt: skip
    replays = panel.locator('[data-list="replays"]')
    expect(replays).to_contain_text("again · STARTING")
    gui.clock("advance", "60")
    expect(replays).to_contain_text("again · COMPLETED")
    expect(archives).to_contain_text("2 events")  # replayed events are not archived again
    gui.screenshot("archives")
