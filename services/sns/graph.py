"""The SNS part of a sandbox's diagram.

    nodes   one per topic ({"type": "topic", "fifo", "subscriptions": count, "attributes"}), one per
            platform application, and one per subscriber that is not an AWS resource of its own
            (HTTP/S URL, email address, phone number, platform endpoint: {"type": "subscriber",
            "protocol", "endpoint"}, keyed by the subscription's ARN)
    edges   "subscription": topic -> queue (SQS), topic -> function / stream (Lambda, Firehose), or
            topic -> subscriber node; its id is the subscription's ARN and it carries the
            subscription's attributes (FilterPolicy, RawMessageDelivery, PendingConfirmation...), and
            "problem": {"code", "reason"} while every delivery to it fails (delivery.delivery_problem)
            "dead-letter": topic -> the subscription's dead-letter queue
            "encryption": KMS key -> topic, for a topic with KmsMasterKeyId naming a key of the sandbox

The flow events of events.py run along these edges (source = topic ARN, target = the edge's target).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.models import Sandbox
from services.kms.public import resolve_key_arn
from services.sns.delivery import delivery_problem, node_of
from services.sns.models import PlatformApplication, Subscription, Topic
from services.sns.platforms import application_attributes
from services.sns.subscriptions import subscription_attributes
from services.sns.topics import topic_attributes

RESOURCE_PROTOCOLS = ("sqs", "lambda", "firehose")


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    topic_rows = Topic.objects.filter(sandbox=sandbox).order_by("region", "name")
    if region:
        topic_rows = topic_rows.filter(region=region)
    topics = list(topic_rows)
    by_id = {topic.pk: topic for topic in topics}
    subscriptions = list(Subscription.objects.filter(topic__in=topics).order_by("id"))
    counts: dict[int, int] = {}
    for subscription in subscriptions:
        counts[subscription.topic_id] = counts.get(subscription.topic_id, 0) + 1
    for topic in topics:
        topic.sandbox = sandbox
        nodes.append(
            {
                "id": topic.arn,
                "service": "sns",
                "type": "topic",
                "name": topic.name,
                "label": str(topic.attributes.get("DisplayName") or topic.name),
                "region": topic.region,
                "fifo": topic.fifo,
                "subscriptions": counts.get(topic.pk, 0),
                "attributes": topic_attributes(topic),
            }
        )
        key_id = str(topic.attributes.get("KmsMasterKeyId") or "")
        key_arn = resolve_key_arn(sandbox=sandbox, region=topic.region, key_id=key_id) if key_id else None
        if key_arn:
            edges.append(
                {"id": f"{key_arn}->{topic.arn}", "source": key_arn, "target": topic.arn, "type": "encryption"}
            )
    for subscription in subscriptions:
        topic = by_id[subscription.topic_id]
        subscription.sandbox = sandbox
        subscription.topic = topic
        target = node_of(subscription)
        if subscription.protocol not in RESOURCE_PROTOCOLS:
            nodes.append(
                {
                    "id": subscription.arn,
                    "service": "sns",
                    "type": "subscriber",
                    "name": subscription.endpoint,
                    "label": subscription.endpoint,
                    "region": topic.region,
                    "protocol": subscription.protocol,
                    "endpoint": subscription.endpoint,
                    "pending": not subscription.confirmed,
                }
            )
        edges.append(
            {
                "id": subscription.arn,
                "source": topic.arn,
                "target": target,
                "type": "subscription",
                "protocol": subscription.protocol,
                "label": subscription.protocol if subscription.confirmed else f"{subscription.protocol} (pending)",
                "attributes": subscription_attributes(subscription),
            }
        )
        if problem := delivery_problem(subscription, topic_arn=topic.arn):
            edges[-1]["problem"] = {"code": problem.code, "reason": problem.reason}
        if subscription.dead_letter_arn:
            edges.append(
                {
                    "id": f"{subscription.arn}->{subscription.dead_letter_arn}",
                    "source": topic.arn,
                    "target": subscription.dead_letter_arn,
                    "type": "dead-letter",
                    "label": f"dead letters of the {subscription.protocol} subscription",
                    "subscription": subscription.arn,
                }
            )
    application_rows = PlatformApplication.objects.filter(sandbox=sandbox)
    if region:
        application_rows = application_rows.filter(region=region)
    for application in application_rows:
        nodes.append(
            {
                "id": application.arn,
                "service": "sns",
                "type": "platform-application",
                "name": application.name,
                "label": f"{application.name} ({application.platform})",
                "region": application.region,
                "platform": application.platform,
                "attributes": application_attributes(application),
            }
        )
    return {"nodes": nodes, "edges": edges}


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    """A topic's details: attributes, tags and subscriptions."""
    topic = Topic.objects.filter(sandbox=sandbox, arn=arn).first()
    if topic is None:
        return None
    topic.sandbox = sandbox
    subscriptions = []
    for subscription in Subscription.objects.filter(topic=topic).order_by("id"):
        subscription.sandbox = sandbox
        subscription.topic = topic
        subscriptions.append(subscription_attributes(subscription))
    return {"attributes": topic_attributes(topic), "tags": dict(topic.tags), "subscriptions": subscriptions}
