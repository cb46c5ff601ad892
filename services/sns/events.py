"""The live events SNS publishes (the platform's types; SNS needs no type of its own).

    resource.created / changed / deleted   a topic (attributes as GetTopicAttributes), a subscription
                                           (as GetSubscriptionAttributes), a platform application
    flow, kind (one event per delivery attempt, from the topic's ARN to the subscriber's node: the
    queue's ARN for SQS, the subscription's ARN for every other endpoint):
      published       client -> topic       a message was published (detail: size, subscribers)
      delivered       topic -> subscriber   the subscriber took the message (detail: protocol, attempt,
                                            status for HTTP)
      filtered-out    topic -> subscriber   the subscription's filter policy rejected it (no attempt)
      retried         topic -> subscriber   the attempt failed with a server-side error and the delivery
                                            policy retries it (detail: attempt, reason, retry_at)
      failed          topic -> subscriber   the attempt failed and the message is dropped: a client-side
                                            error (a queue policy that refuses the topic, a missing
                                            queue...) or retries exhausted, and no dead-letter queue
                                            (detail: attempt, reason)
      dead-lettered   topic -> dead-letter queue   the attempt failed for good and the message went to
                                            the subscription's dead-letter queue (detail: reason, subscriber)

    A failed or dead-lettered event's detail says why: error_code (AccessDenied when the queue policy
    does not let the topic send, NonExistentQueue, an HTTP status...), reason (a sentence), protocol,
    attempt, and dead_letter_error when the dead-letter queue refused the message too. The GUI's
    activity panel shows each failed delivery with that reason and a fix (services/sns/static/
    services/sns/gui.js, explainFlow), and marks the edge.

What is not an event but goes with them: while every delivery to an SQS subscription would fail
(no queue, or a queue policy that refuses the topic), its edge in the diagram (graph.py) carries
"problem": {"code", "reason"} with the same code and reason (delivery.delivery_problem), so the
diagram shows the silent loss before anything is published, and after a reload; it goes away when
the policy is fixed.

Every event is sent when the transaction that caused it commits (playground.live.bus).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.live.bus import publish_flow, publish_resource
from playground.sandboxes.models import Sandbox

SERVICE = "sns"
CLIENT = "client"

PUBLISHED = "published"
DELIVERED = "delivered"
FILTERED_OUT = "filtered-out"
RETRIED = "retried"
FAILED = "failed"
DEAD_LETTERED = "dead-lettered"


def resource_created(
    sandbox: Sandbox, *, resource_type: str, arn: str, name: str, attributes: dict[str, str], now: dt.datetime
) -> None:
    publish_resource(
        sandbox, "created", service=SERVICE, resource_type=resource_type, arn=arn, name=name, attributes=attributes,
        now=now,
    )  # fmt: skip


def resource_changed(
    sandbox: Sandbox, *, resource_type: str, arn: str, name: str, attributes: dict[str, str], now: dt.datetime
) -> None:
    publish_resource(
        sandbox, "changed", service=SERVICE, resource_type=resource_type, arn=arn, name=name, attributes=attributes,
        now=now,
    )  # fmt: skip


def resource_deleted(sandbox: Sandbox, *, resource_type: str, arn: str, name: str, now: dt.datetime) -> None:
    publish_resource(sandbox, "deleted", service=SERVICE, resource_type=resource_type, arn=arn, name=name, now=now)


def flow(
    sandbox: Sandbox,
    kind: str,
    *,
    source: str,
    target: str,
    item_id: str,
    now: dt.datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    publish_flow(
        sandbox, service=SERVICE, kind=kind, source=source, target=target, item_id=item_id, now=now, detail=detail
    )
