"""The one place that publishes live events: on transaction commit, to the sandbox's group."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from playground.live.events import EVENT_TYPES
from playground.sandboxes.models import Sandbox

LOG = logging.getLogger(__name__)


def build_event(sandbox: Sandbox, kind: str, at: str, fields: dict[str, Any]) -> dict[str, Any]:
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


def publish(sandbox: Sandbox, kind: str, *, at: str, **fields: Any) -> None:
    """Send an event to the sandbox's WebSocket group once the current transaction commits.

    A rolled-back change publishes nothing. Outside a transaction it is sent at once.
    """
    event = build_event(sandbox, kind, at, fields)
    group = sandbox.group_name
    transaction.on_commit(lambda: send_now(group, event))


def send_now(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "sandbox.event", "event": event})
    except Exception:
        # Live updates are best effort: a Redis hiccup must not fail the AWS call that caused them.
        LOG.exception("could not publish %s to %s", event.get("type"), group)
