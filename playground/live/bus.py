"""The one place that publishes live events: on transaction commit, stored with a sequence number
(store.py), to the sandbox's group."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from playground.background import Worker, per_process
from playground.live.events import EVENT_TYPES, FLOW
from playground.live.store import Deliver, Pending, event_writer, gathering
from playground.sandboxes.models import Sandbox

LOG = logging.getLogger(__name__)
EVENTS_PER_MESSAGE = 50  # events of one group carried by one channel-layer message


def build_event(sandbox: Sandbox, kind: str, /, at: str, fields: dict[str, Any]) -> dict[str, Any]:
    schema = EVENT_TYPES.get(kind)
    if schema is None:
        raise ValueError(f"unknown live event type {kind!r}")
    given = set(fields)
    if given != schema.fields:
        raise ValueError(
            f"event {kind} fields differ from its schema: missing {sorted(schema.fields - given)}, "
            f"unexpected {sorted(given - schema.fields)}"
        )
    return {"type": kind, "sandbox": sandbox.account_id, "at": at, **fields}


def publish(sandbox: Sandbox, kind: str, /, *, at: str, **fields: Any) -> None:
    """Send an event to the sandbox's WebSocket group once the current transaction commits.

    A rolled-back change publishes nothing. Outside a transaction it is sent at once. On its way
    the event is stored with the sandbox's next sequence number (`seq`, see store.py), which
    GET /api/sandboxes/<id>/events/?after=<seq> serves to clients that poll. The first two
    parameters are positional-only, so that an event may have a field named `kind` (flow events).
    """
    event = build_event(sandbox, kind, at, fields)
    pending = Pending(sandbox.pk, sandbox.group_name, event)
    gathered = gathering()
    if gathered is not None:  # numbered and stored by the AWS call's own transaction (store.py)
        deliver = Deliver(pending)
        gathered.append(deliver)
        transaction.on_commit(deliver)
        return
    transaction.on_commit(lambda: event_writer().put(pending))


def publish_resource(
    sandbox: Sandbox,
    change: str,
    *,
    service: str,
    resource_type: str,
    arn: str,
    name: str,
    now: dt.datetime,
    attributes: dict[str, Any] | None = None,
) -> None:
    """A resource.created / resource.changed / resource.deleted event (`change` names which)."""
    fields: dict[str, Any] = {"service": service, "resource_type": resource_type, "arn": arn, "name": name}
    if change != "deleted":
        fields["attributes"] = attributes or {}
    publish(sandbox, f"resource.{change}", at=now.isoformat(), **fields)


def publish_flow(
    sandbox: Sandbox,
    *,
    service: str,
    kind: str,
    source: str,
    target: str,
    item_id: str,
    now: dt.datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """A `flow` event: something of `service` moved from node `source` to node `target`."""
    publish(
        sandbox, FLOW.name, at=now.isoformat(),
        service=service, kind=kind, source=source, target=target, item_id=item_id, detail=detail or {},
    )  # fmt: skip


def send_now(group: str, event: dict[str, Any]) -> None:
    """Hand the event to this process's sender and return at once.

    The request or task that caused the event never waits on Redis; one worker thread per process
    sends the events, each sandbox's in the order they were published, over its own event loop.
    """
    _sender().put((group, event))


class _SendBatch:
    """Sends a batch of events: every sandbox's group at once (concurrently on the worker thread's
    own event loop), each group's events in the order published and several to a message."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None

    def __call__(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        if self.loop is None:
            self.loop = asyncio.new_event_loop()
        layer = get_channel_layer()
        by_group: dict[str, list[dict[str, Any]]] = {}
        for group, event in batch:
            by_group.setdefault(group, []).append(event)
        if layer is not None:
            self.loop.run_until_complete(_send_batch(layer, by_group))


async def _send_batch(layer: Any, by_group: dict[str, list[dict[str, Any]]]) -> None:
    await asyncio.gather(*(_send_in_order(layer, group, events) for group, events in by_group.items()))


async def _send_in_order(layer: Any, group: str, events: list[dict[str, Any]]) -> None:
    """The group's events in order, several to a channel-layer message (the consumer sends each
    its own frame): one group_send is one Redis PUBLISH (a round trip), whatever it carries."""
    for start in range(0, len(events), EVENTS_PER_MESSAGE):
        chunk = events[start : start + EVENTS_PER_MESSAGE]
        try:
            await layer.group_send(group, {"type": "sandbox.events", "events": chunk})
        except Exception:
            # Live updates are best effort: a Redis hiccup must not stop the ones after it.
            LOG.exception("could not publish %d events to %s", len(chunk), group)


# The sender gathers for up to 20 ms, as the call log does: at one client's pace a call's events
# (its `api.call`, its flow dots) and its neighbours' then leave in one PUBLISH, where each took
# its own. The events are numbered before they get here, so holding them changes no order.
SEND_WINDOW_SECONDS = 0.02
_sender = per_process(lambda: Worker("live-events", _SendBatch(), max_batch=500, window=SEND_WINDOW_SECONDS))
