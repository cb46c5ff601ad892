"""What the diagram shows of SNS (topics, subscription edges with their attributes, subscriber
nodes, dead-letter and encryption edges), the live events it animates, and `topic_publish`, the
domain function other services publish with."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.services.sns.conftest import Subscribed, allow_topic

pytestmark = pytest.mark.live


def test_graph_draws_topics_subscriptions_and_their_queues(
    sns: Any,
    sqs: Any,
    aws: Callable[..., Any],
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    sandbox: SandboxInfo,
    db_access: None,
) -> None:
    from playground.graph import resource_detail, sandbox_graph
    from playground.sandboxes.models import Sandbox

    key = aws("kms").create_key()["KeyMetadata"]
    topic = make_topic("news", KmsMasterKeyId=key["KeyId"])
    dlq = subscribe_queue(make_topic(), name="news-dlq")
    sqs.set_queue_attributes(QueueUrl=dlq.queue_url, Attributes={"Policy": allow_topic(dlq.queue_arn, topic)})
    queue = subscribe_queue(
        topic,
        FilterPolicy=json.dumps({"kind": ["physical"]}),
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq.queue_arn}),
    )
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    box = Sandbox.objects.select_related("clock").get(pk=sandbox.id)
    drawn = sandbox_graph(sandbox=box, now=box.clock.now())
    nodes = {node["id"]: node for node in drawn["nodes"]}
    assert (nodes[topic]["type"], nodes[topic]["subscriptions"], nodes[topic]["fifo"]) == ("topic", 2, False)
    edges = {(edge["source"], edge["target"], edge["type"]): edge for edge in drawn["edges"]}
    subscription = edges[(topic, queue.queue_arn, "subscription")]
    assert subscription["id"] == queue.subscription_arn
    assert json.loads(subscription["attributes"]["FilterPolicy"]) == {"kind": ["physical"]}
    assert (topic, dlq.queue_arn, "dead-letter") in edges
    assert (key["Arn"], topic, "encryption") in edges
    [email_edge] = [edge for edge in drawn["edges"] if edge.get("protocol") == "email"]
    subscriber = nodes[email_edge["target"]]
    assert (subscriber["type"], subscriber["endpoint"], subscriber["pending"]) == (
        "subscriber",
        "ops@example.com",
        True,
    )
    detail = resource_detail(sandbox=box, arn=topic, now=box.clock.now())
    assert detail is not None
    assert len(detail["subscriptions"]) == 2


def test_live_events_for_resources_and_every_delivery(
    sns: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    sandbox: SandboxInfo,
    flows: Callable[..., list[dict[str, Any]]],
    db_access: None,
) -> None:
    from playground.live.models import LiveEvent
    from tests.waiting import wait_until

    topic = make_topic()
    kept = subscribe_queue(topic, FilterPolicy=json.dumps({"kind": ["physical"]}))
    skipped = subscribe_queue(topic, FilterPolicy=json.dumps({"kind": ["digital"]}))
    message_id = sns.publish(
        TopicArn=topic, Message="book", MessageAttributes={"kind": {"DataType": "String", "StringValue": "physical"}}
    )["MessageId"]
    [published] = flows("published", item_id=message_id)
    assert (published["source"], published["target"], published["detail"]["subscribers"]) == ("client", topic, 2)
    [delivered] = flows("delivered", item_id=message_id)
    assert (delivered["source"], delivered["target"], delivered["detail"]["protocol"]) == (topic, kept.queue_arn, "sqs")
    [filtered] = flows("filtered-out", item_id=message_id)
    assert (filtered["target"], filtered["detail"]["scope"]) == (skipped.queue_arn, "MessageAttributes")

    def resources() -> list[dict[str, Any]]:
        rows = LiveEvent.objects.filter(sandbox_id=sandbox.id, type__startswith="resource.").order_by("seq")
        return [row.payload for row in rows if row.payload["service"] == "sns"]

    wait_until(lambda: len(resources()) >= 3)
    created = [(event["resource_type"], event["arn"]) for event in resources() if event["type"] == "resource.created"]
    assert created[:3] == [
        ("topic", topic), ("subscription", kept.subscription_arn), ("subscription", skipped.subscription_arn),
    ]  # fmt: skip


def test_topic_publish_is_the_domain_function_other_services_call(
    sns: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    drain: Callable[..., list[dict[str, Any]]],
    sandbox: SandboxInfo,
    db_access: None,
) -> None:
    from django.db import transaction

    from playground.sandboxes.models import Clock, Sandbox
    from services.sns.models import Topic
    from services.sns.publishing import topic_publish

    topic_arn = make_topic("alarms")
    queue = subscribe_queue(topic_arn, raw=True)
    box = Sandbox.objects.get(pk=sandbox.id)
    with transaction.atomic():
        topic = Topic.objects.get(sandbox=box, arn=topic_arn)
        published = topic_publish(
            topic=topic,
            message='{"AlarmName": "cpu-high", "NewStateValue": "ALARM"}',
            subject='ALARM: "cpu-high"',
            attributes={"source": {"DataType": "String", "StringValue": "cloudwatch"}},
            now=Clock.current(box.pk).now(),
        )
    [received] = drain(queue.queue_url, expect=1)
    assert received["Body"] == '{"AlarmName": "cpu-high", "NewStateValue": "ALARM"}'
    assert received["MessageAttributes"]["source"]["StringValue"] == "cloudwatch"
    assert published.message_id
