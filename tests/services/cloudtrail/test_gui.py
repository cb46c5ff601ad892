"""CloudTrail on the diagram, in Chromium at 1280x720, as a student meets it: a trail made from the
palette (logging at once) drawn with its edge to the bucket; the inspector's event history, filtered
by a lookup attribute, with a raw record opened; sandbox time moved on an hour from the clock bar,
and the batch delivery travelling from the trail to the bucket, listed among the delivered files."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import UI_TIMEOUT, Gui
from tests.services.cloudtrail.conftest import trail_policy

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_a_trail_from_the_palette_shows_the_event_history_and_delivers(gui: Gui, student: Student, aws: Any) -> None:
    page = gui.page
    info = student.sandbox
    s3 = aws("s3", info=info)
    s3.create_bucket(Bucket="audit-logs")
    s3.put_bucket_policy(Bucket="audit-logs", Policy=trail_policy("audit-logs", info.account_id))
    aws("sqs", info=info).create_queue(QueueName="orders")
    expect(gui.node("orders")).to_be_visible()

    gui.create("trail", name="audit", bucket="audit-logs")
    expect(gui.node("audit")).to_be_visible()
    expect(gui.badge("audit", "logging")).to_have_text("on")
    expect(gui.edge("log-delivery")).to_have_count(1)

    gui.select("audit")
    panel = gui.inspector.locator('.insp-panel[data-panel="cloudtrail:trail"]')
    expect(panel.locator('[data-field="Logging"]')).to_have_text("on")
    history = panel.locator('[data-list="events"]')
    expect(history.locator('[data-name="CreateQueue"]')).to_have_count(1)
    expect(history.locator('[data-name="CreateTrail"]')).to_have_count(1, timeout=UI_TIMEOUT)

    # The console's filters: one lookup attribute at a time.
    form = panel.locator('[data-form="lookup"]')
    form.locator('select[name="attribute"]').select_option("EventName")
    form.locator('input[name="value"]').fill("CreateQueue")
    form.locator('button[type="submit"]').click()
    expect(form.locator('[data-result="lookup"]')).to_have_text("1 event(s)")
    event = history.locator('[data-name="CreateQueue"]')
    event.locator("summary").click()
    record = event.locator("[data-record]")
    expect(record).to_contain_text('"eventSource": "sqs.amazonaws.com"')
    expect(record).to_contain_text('"queueName": "orders"')
    gui.screenshot("history")

    # An hour of sandbox time: the batch travels from the trail to its bucket.
    trail_arn = f"arn:aws:cloudtrail:{info.region}:{info.account_id}:trail/audit"
    gui.clock("advance", "3600")
    page.locator(f'.flow-dot[data-source="{trail_arn}"][data-target="arn:aws:s3:::audit-logs"]').first.wait_for(
        state="attached", timeout=UI_TIMEOUT
    )
    expect(panel.locator('[data-list="files"] li[data-key]')).to_have_count(1)
    expect(panel.locator('[data-list="files"]')).to_contain_text(f"AWSLogs/{info.account_id}/CloudTrail/{info.region}/")
    expect(panel.locator('[data-field="Latest delivery error"]')).to_have_text("none")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="audit-logs")["Contents"]]
    assert len(keys) == 1
    assert keys[0].endswith(".json.gz")
    gui.screenshot("delivered")


def test_a_trail_is_drawn_to_its_log_group_and_each_delivery_travels_there(
    gui: Gui, student: Student, aws: Any
) -> None:
    info = student.sandbox
    s3 = aws("s3", info=info)
    s3.create_bucket(Bucket="audit-logs")
    s3.put_bucket_policy(Bucket="audit-logs", Policy=trail_policy("audit-logs", info.account_id))
    aws("logs", info=info).create_log_group(logGroupName="trail-events")
    group = f"arn:aws:logs:{info.region}:{info.account_id}:log-group:trail-events"
    cloudtrail = aws("cloudtrail", info=info)
    cloudtrail.create_trail(
        Name="audit", S3BucketName="audit-logs", CloudWatchLogsLogGroupArn=f"{group}:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{info.account_id}:role/CloudTrailToLogs",
    )  # fmt: skip
    cloudtrail.start_logging(Name="audit")
    expect(gui.node("trail-events")).to_be_visible()
    expect(gui.edge("logs-delivery")).to_have_count(1)
    aws("sqs", info=info).create_queue(QueueName="orders")
    gui.clock("advance", "3600")
    trail_arn = f"arn:aws:cloudtrail:{info.region}:{info.account_id}:trail/audit"
    gui.page.locator(f'.flow-dot[data-source="{trail_arn}"][data-target="{group}"]').first.wait_for(
        state="attached", timeout=UI_TIMEOUT
    )
    gui.screenshot("log-group")


def test_the_event_history_shows_what_sqs_asked_of_kms(gui: Gui, student: Student, aws: Any) -> None:
    info = student.sandbox
    s3 = aws("s3", info=info)
    s3.create_bucket(Bucket="audit-logs")
    s3.put_bucket_policy(Bucket="audit-logs", Policy=trail_policy("audit-logs", info.account_id))
    key = aws("kms", info=info).create_key()["KeyMetadata"]["KeyId"]
    sqs = aws("sqs", info=info)
    url = sqs.create_queue(QueueName="sealed", Attributes={"KmsMasterKeyId": key})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="for SQS to seal")
    gui.create("trail", name="audit", bucket="audit-logs")
    gui.select("audit")
    panel = gui.inspector.locator('.insp-panel[data-panel="cloudtrail:trail"]')
    history = panel.locator('[data-list="events"]')
    form = panel.locator('[data-form="lookup"]')
    form.locator('select[name="attribute"]').select_option("EventSource")
    form.locator('input[name="value"]').fill("kms.amazonaws.com")
    form.locator('button[type="submit"]').click()
    event = history.locator('[data-name="GenerateDataKey"]')
    expect(event).to_have_count(1, timeout=UI_TIMEOUT)
    # SQS asked for the student's send: the history names the student, the record the service.
    expect(event.locator("summary")).to_contain_text(student.username)
    event.locator("summary").click()
    record = event.locator("[data-record]")
    expect(record).to_contain_text('"invokedBy": "sqs.amazonaws.com"')
    expect(record).to_contain_text('"aws:sqs:arn"')
    gui.screenshot("service-event")
