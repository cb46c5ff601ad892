"""The diagram with Kinesis: a data stream from the palette, CREATING until the clock moves on,
records put from the inspector and from boto3 arriving live (the flow dot, the lane lighting
up, the counters), the newest records and a consumer's read in the inspector, and a reshard seen
as lanes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import Gui

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_a_stream_takes_records_live_and_shows_its_shards(gui: Gui, student: Student, aws: Any) -> None:
    kinesis = aws("kinesis", info=student.sandbox)
    gui.create("stream", name="clicks", shards="2")
    expect(gui.node("clicks")).to_be_visible()
    expect(gui.badge("clicks", "shards")).to_have_text("2")
    expect(gui.badge("clicks", "status")).to_have_text("CREATING")
    gui.clock("advance", "60")
    expect(gui.badge("clicks", "status")).to_have_text("ACTIVE")

    gui.select("clicks")
    lanes = gui.inspector.locator(".kinesis-lane")
    expect(lanes).to_have_count(2)
    expect(lanes.first).to_have_attribute("data-shard", "shardId-000000000000")

    put = gui.inspector.locator('[data-form="put"]')
    put.locator('input[name="partition-key"]').fill("user-7")
    put.locator('textarea[name="data"]').fill("clicked the buy button")
    put.locator('button[type="submit"]').click()
    expect(gui.inspector.locator('[data-result="put"]')).to_contain_text("sequence number")
    expect(gui.badge("clicks", "records")).to_have_text("1")
    expect(gui.inspector.locator('[data-list="recent"] .kinesis-record')).to_contain_text("clicked the buy button")

    # A producer elsewhere: the records arrive live, a dot travels to the stream.
    kinesis.put_records(
        StreamName="clicks", Records=[{"Data": f"event {i}".encode(), "PartitionKey": f"user-{i}"} for i in range(5)]
    )
    expect(gui.page.locator('.flow-dot[data-kind="put"]')).not_to_have_count(0)
    expect(gui.badge("clicks", "records")).to_have_text("6")
    expect(gui.inspector.locator("[data-arrivals]")).to_contain_text("+5 records arrived")
    expect(gui.inspector.locator('[data-list="recent"] .kinesis-record')).to_have_count(6)
    gui.screenshot("records-arrived")

    # A consumer's read of one shard from its start.
    shard = kinesis.put_record(StreamName="clicks", Data=b"for the reader", PartitionKey="reader")["ShardId"]
    read = gui.inspector.locator('[data-form="read"]')
    read.locator('select[name="shard"]').select_option(shard)
    read.locator('button[type="submit"]').click()
    expect(gui.inspector.locator('[data-result="read"]')).to_contain_text("ms behind latest")
    expect(gui.inspector.locator('[data-list="read"]')).to_contain_text("for the reader")

    # An enhanced fan-out consumer registered elsewhere is listed; the lanes show the window ageing.
    stream_arn = f"arn:aws:kinesis:{student.sandbox.region}:{student.sandbox.account_id}:stream/clicks"
    kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="fraud-detector")
    gui.clock("advance", "3600")
    expect(gui.inspector.locator('[data-consumer="fraud-detector"]')).to_contain_text("ACTIVE")
    expect(gui.inspector.locator(".kinesis-lane .lane-age").first).not_to_have_attribute("style", "width:0%")

    # Resharding from the inspector: four lanes open, the two old ones closed.
    gui.inspector.locator('input[name="shard-count"]').fill("4")
    gui.inspector.locator('[data-action="scale"]').click()
    expect(gui.inspector.locator('[data-result="settings"]')).to_contain_text("from 2 to 4 shards")
    expect(gui.badge("clicks", "shards")).to_have_text("4")
    expect(gui.inspector.locator(".kinesis-lane.open")).to_have_count(4)
    expect(gui.inspector.locator(".kinesis-lane.closed")).to_have_count(2)
    gui.screenshot("resharded")


def test_a_throttled_put_is_explained_in_the_activity_panel(gui: Gui, student: Student, aws: Any) -> None:
    kinesis = aws("kinesis", info=student.sandbox)
    kinesis.create_stream(StreamName="busy", ShardCount=1)
    gui.clock("pause")
    gui.clock("advance", "60")
    expect(gui.badge("busy", "status")).to_have_text("ACTIVE")
    entries = [{"Data": b"x", "PartitionKey": "k"} for _ in range(500)]
    for _ in range(2):
        kinesis.put_records(StreamName="busy", Records=entries)
    assert kinesis.put_records(StreamName="busy", Records=entries[:5])["FailedRecordCount"] == 5
    problem = gui.page.locator('#activity .call.problem[data-flow="throttled"]')
    expect(problem.first).to_contain_text("PutRecords throttled on shardId-000000000000")
    expect(problem.first.locator("[data-reason]")).to_contain_text("1,000 records a second")
    expect(problem.first.locator(".call-cli code")).to_contain_text("kinesis update-shard-count")


def _advance(gui: Gui) -> None:
    """A minute of sandbox time, waited for (the clock bar shows it) before the next call."""
    shown = gui.page.locator("#clock [data-clock-time]")
    before = shown.inner_text()
    gui.clock("advance", "60")
    expect(shown).not_to_have_text(before)


def test_each_consumer_shows_on_its_lane_at_its_position_with_its_lag(gui: Gui, student: Student, aws: Any) -> None:
    kinesis = aws("kinesis", info=student.sandbox)
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    gui.clock("pause")
    expect(gui.page.locator("#clock")).to_have_attribute("data-paused", "true")
    _advance(gui)
    expect(gui.badge("orders", "status")).to_have_text("ACTIVE")
    shard = "shardId-000000000000"
    for i in range(3):
        kinesis.put_record(StreamName="orders", Data=f"early {i}".encode(), PartitionKey="k")
    _advance(gui)
    for i in range(2):
        kinesis.put_record(StreamName="orders", Data=f"late {i}".encode(), PartitionKey="k")
    _advance(gui)
    gui.select("orders")
    lane = gui.inspector.locator(f'.kinesis-lane[data-shard="{shard}"]')
    expect(lane).to_contain_text("5 rec")
    expect(lane.locator(".lane-reader")).to_have_count(0)

    # A GetRecords reader takes three of the five: its marker sits 3/5 along the lane, and its lag
    # is the age of the first record it has not read (put 60 s of sandbox time ago).
    iterator = kinesis.get_shard_iterator(StreamName="orders", ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    first = kinesis.get_records(ShardIterator=iterator["ShardIterator"], Limit=3)
    assert first["MillisBehindLatest"] == 60000
    marker = lane.locator('.lane-reader[data-reader="GetRecords"]')
    label = lane.locator('.lane-reader-label[data-reader="GetRecords"]')
    expect(marker).to_have_attribute("style", "left:60%")
    expect(label).to_have_attribute("data-lag", "60000")
    expect(label).to_contain_text("3/5 · 1 min behind")
    expect(marker).to_have_attribute("title", re.compile("2 record\\(s\\) unread, 60000 ms behind latest"))
    gui.screenshot("reader-behind")

    # It reads the rest: at the tip, no lag.
    rest = kinesis.get_records(ShardIterator=first["NextShardIterator"])
    assert [r["Data"] for r in rest["Records"]] == [b"late 0", b"late 1"]
    expect(label).to_have_attribute("data-lag", "0")
    expect(label).to_contain_text("5/5 · 0 ms behind")
    expect(marker).to_have_attribute("style", "left:100%")

    # An enhanced fan-out consumer gets its own marker, at where SubscribeToShard has sent it.
    stream_arn = f"arn:aws:kinesis:{student.sandbox.region}:{student.sandbox.account_id}:stream/orders"
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="billing")["Consumer"]
    _advance(gui)
    kinesis.put_record(StreamName="orders", Data=b"newest", PartitionKey="k")
    _advance(gui)
    response = kinesis.subscribe_to_shard(
        ConsumerARN=consumer["ConsumerARN"], ShardId=shard, StartingPosition={"Type": "TRIM_HORIZON"}
    )
    stream = response["EventStream"]
    event = next(iter(stream))["SubscribeToShardEvent"]
    stream.close()
    assert len(event["Records"]) == 6
    efo = lane.locator('.lane-reader-label[data-reader="billing"]')
    expect(efo).to_contain_text("billing: 6/6 · 0 ms behind")
    expect(lane.locator('.lane-reader.efo[data-reader="billing"]')).to_have_attribute("style", "left:100%")
    # The GetRecords reader has not read the newest record: it is behind now.
    expect(label).to_contain_text("5/6 · 1 min behind")
    expect(label).to_have_attribute("data-lag", "60000")
    gui.screenshot("consumers-on-lanes")
