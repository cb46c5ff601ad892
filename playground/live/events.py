"""The live events a sandbox's WebSocket receives, one schema per type.

Every event on the wire is a JSON object with these common fields:
  type     one of the names below
  sandbox  the sandbox's account id
  at       sandbox-clock time (ISO 8601) when it happened
plus the fields its type lists. Services add their own types with `event_type(...)` in their
`events.py`, so this module's table is the whole vocabulary the diagram understands.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str
    fields: frozenset[str]
    doc: str


EVENT_TYPES: dict[str, EventType] = {}


def event_type(name: str, fields: tuple[str, ...], doc: str) -> EventType:
    kind = EventType(name, frozenset(fields), doc)
    EVENT_TYPES[name] = kind
    return kind


API_CALL = event_type(
    "api.call",
    (
        "request_id",
        "service",
        "operation",
        "region",
        "access_key_id",
        "source_ip",
        "user_agent",
        "params",
        "error_code",
        "http_status",
        "duration_ms",
    ),
    "An AWS API call reached the gateway (error_code is empty on success).",
)
RESOURCE_CREATED = event_type(
    "resource.created", ("service", "resource_type", "arn", "name", "attributes"), "A resource was created."
)
RESOURCE_CHANGED = event_type(
    "resource.changed", ("service", "resource_type", "arn", "name", "attributes"), "A resource's attributes changed."
)
RESOURCE_DELETED = event_type(
    "resource.deleted", ("service", "resource_type", "arn", "name"), "A resource was deleted."
)
FLOW = event_type(
    "flow",
    ("service", "kind", "source", "target", "item_id", "detail"),
    "Something moved from node `source` to node `target` (ARNs): a message delivered, filtered, "
    "dead-lettered, back to visible... `kind` names what happened; `detail` is a small dict.",
)
CLOCK_CHANGED = event_type(
    "clock.changed",
    ("now", "speed", "paused", "changed"),
    "The sandbox clock was paused, resumed, sped up or advanced.",
)
SANDBOX_RESET = event_type("sandbox.reset", (), "Every resource of the sandbox was deleted.")
