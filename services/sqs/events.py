"""The live events SQS publishes (the platform's types; SQS needs no type of its own).

    resource.created / resource.changed   a queue, with its attributes (as GetQueueAttributes All)
    resource.deleted                       a queue
    flow, kind:
      sent            client -> queue           a message was enqueued (detail: size, delay, group)
      received        queue -> client           a message was handed out (detail: receive_count)
      deleted         queue -> client           a consumer deleted a message
      visible-again   queue -> queue            its visibility timeout ended without a delete
      dead-lettered   queue -> dead-letter queue  it had been received maxReceiveCount times
      expired         queue -> queue            the retention period ended
      moved           dead-letter queue -> queue  a message move task redrove it
      purged          queue -> queue            PurgeQueue removed messages (detail: count)

Every event is sent when the transaction that caused it commits (playground.live.bus). Each
function here also wakes long polls waiting on the queue, when the event makes messages available.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.live.bus import publish_flow, publish_resource
from playground.sandboxes.models import Sandbox

SERVICE = "sqs"
RESOURCE_TYPE = "queue"
CLIENT = "client"


def queue_created(sandbox: Sandbox, *, arn: str, name: str, attributes: dict[str, str], now: dt.datetime) -> None:
    _queue(sandbox, "created", arn=arn, name=name, attributes=attributes, now=now)


def queue_changed(sandbox: Sandbox, *, arn: str, name: str, attributes: dict[str, str], now: dt.datetime) -> None:
    _queue(sandbox, "changed", arn=arn, name=name, attributes=attributes, now=now)


def queue_deleted(sandbox: Sandbox, *, arn: str, name: str, now: dt.datetime) -> None:
    _queue(sandbox, "deleted", arn=arn, name=name, now=now)


def _queue(sandbox: Sandbox, change: str, **fields: Any) -> None:
    publish_resource(sandbox, change, service=SERVICE, resource_type=RESOURCE_TYPE, **fields)


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
