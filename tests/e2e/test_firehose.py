"""The diagram with Firehose: a delivery stream from the palette, drawn with its edge to its
bucket; its buffer filling by size and by time on the node and in the inspector (records, the next
flush on the sandbox clock), then the flush when the clock passes the interval, animated along
the edge, and the object in the bucket."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import Gui

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_the_buffer_fills_by_size_and_time_then_flushes(gui: Gui, student: Student, aws: Any) -> None:
    s3 = aws("s3", info=student.sandbox)
    firehose = aws("firehose", info=student.sandbox)
    s3.create_bucket(Bucket="lake")
    gui.clock("pause")
    expect(gui.page.locator("#clock")).to_have_attribute("data-paused", "true")
    gui.create("deliverystream", name="clicks", bucket="lake", size="1", interval="120")
    expect(gui.node("clicks")).to_be_visible()
    expect(gui.badge("clicks", "status")).to_have_text("CREATING")
    gui.clock("advance", "60")
    expect(gui.badge("clicks", "status")).to_have_text("ACTIVE")
    expect(gui.edge("delivery")).to_have_count(1)

    gui.select("clicks")
    inspector = gui.inspector
    expect(inspector.locator('[data-next-flush=""]')).to_contain_text("when records arrive")
    put = inspector.locator('[data-form="put"]')
    put.locator('textarea[name="data"]').fill('{"page": "/home"}')
    put.locator('button[type="submit"]').click()
    expect(inspector.locator('[data-result="put"]')).to_contain_text("Buffered")
    expect(gui.badge("clicks", "records")).to_have_text("1")
    expect(inspector.locator('[data-list="buffer"] .firehose-record')).to_contain_text('{"page": "/home"}')
    expect(inspector.locator("[data-next-flush]")).to_contain_text("Next flush at")

    # A producer elsewhere fills a quarter of the 1 MiB buffer; the clock passes half the interval.
    firehose.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": b"z" * 1024} for _ in range(256)])
    expect(gui.badge("clicks", "records")).to_have_text("257")
    expect(gui.badge("clicks", "size")).to_have_text("25%")
    gui.clock("advance", "60")
    expect(gui.badge("clicks", "time")).to_have_text("50%")
    expect(inspector.locator('[data-text="time"]')).to_contain_text("1 min 0 s of 2 min 0 s")
    expect(inspector.locator('[data-text="size"]')).to_contain_text("257 record(s)")
    gui.screenshot("buffer-half-full")

    # The interval passes: one flush, animated along the edge to the bucket.
    gui.clock("advance", "60")
    expect(inspector.locator("[data-flushed]")).to_contain_text("Flushed 257 record(s) by interval")
    expect(gui.page.locator('.flow-dot[data-kind="delivered"]')).not_to_have_count(0)
    expect(gui.badge("clicks", "records")).to_have_text("0")
    expect(gui.badge("clicks", "size")).to_have_text("0%")
    expect(inspector.locator("[data-last-delivery]")).to_contain_text("flushed by interval")
    [item] = s3.list_objects_v2(Bucket="lake")["Contents"]
    assert item["Size"] == 256 * 1024 + len('{"page": "/home"}\n')
    gui.screenshot("flushed")


def test_a_kinesis_sourced_stream_is_drawn_from_its_stream_and_fills_from_it(
    gui: Gui, student: Student, aws: Any
) -> None:
    kinesis = aws("kinesis", info=student.sandbox)
    firehose = aws("firehose", info=student.sandbox)
    s3 = aws("s3", info=student.sandbox)
    s3.create_bucket(Bucket="lake")
    gui.clock("pause")
    expect(gui.page.locator("#clock")).to_have_attribute("data-paused", "true")
    kinesis.create_stream(StreamName="clickstream", ShardCount=1)
    gui.clock("advance", "60")
    arn = kinesis.describe_stream_summary(StreamName="clickstream")["StreamDescriptionSummary"]["StreamARN"]
    role = "arn:aws:iam::123456789012:role/firehose-delivery"
    firehose.create_delivery_stream(
        DeliveryStreamName="from-kinesis", DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": role},
        ExtendedS3DestinationConfiguration={"RoleARN": role, "BucketARN": "arn:aws:s3:::lake"},
    )  # fmt: skip
    gui.clock("advance", "60")
    expect(gui.badge("from-kinesis", "status")).to_have_text("ACTIVE")
    expect(gui.edge("source")).to_have_count(1)
    kinesis.put_records(StreamName="clickstream", Records=[{"Data": b"x", "PartitionKey": str(i)} for i in range(3)])
    gui.clock("advance", "60")  # read within a second; the 300 s buffer keeps them
    expect(gui.badge("from-kinesis", "records")).to_have_text("3")
    gui.screenshot("kinesis-source")


def test_the_inspector_shows_the_partition_each_buffered_record_waits_in(gui: Gui, student: Student, aws: Any) -> None:
    s3 = aws("s3", info=student.sandbox)
    firehose = aws("firehose", info=student.sandbox)
    s3.create_bucket(Bucket="lake")
    gui.clock("pause")
    expect(gui.page.locator("#clock")).to_have_attribute("data-paused", "true")
    query = [
        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{customer: .customer_id}"},
        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
    ]
    firehose.create_delivery_stream(
        DeliveryStreamName="orders",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose-delivery", "BucketARN": "arn:aws:s3:::lake",
            "Prefix": "customer=!{partitionKeyFromQuery:customer}/",
            "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
            "DynamicPartitioningConfiguration": {"Enabled": True},
            "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "MetadataExtraction",
                                                                          "Parameters": query}]},
        },
    )  # fmt: skip
    gui.clock("advance", "60")
    expect(gui.badge("orders", "status")).to_have_text("ACTIVE")
    firehose.put_record_batch(
        DeliveryStreamName="orders", Records=[{"Data": b'{"customer_id": "ann"}'}, {"Data": b"not json"}]
    )
    expect(gui.badge("orders", "records")).to_have_text("2")
    gui.select("orders")
    partitions = gui.inspector.locator('[data-list="buffer"] [data-partition]')
    expect(partitions).to_have_text(["partition customer=ann", "partition error: MetadataExtractionFailed"])
    gui.screenshot("partitions")
