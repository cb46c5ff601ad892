"""The whole diagram of a sandbox: every service's nodes and edges, collected from its graph.py.

    sandbox_graph(sandbox=..., now=...)            -> {"nodes": [...], "edges": [...]}
    resource_detail(sandbox=..., arn=..., now=...) -> {...the node, "attributes", "edges", ...} | None

The REST API (/api/sandboxes/<id>/graph/ and /resources/?arn=), the GUI and the lab checks all read
the diagram through here, so they agree on what a sandbox holds.

What a service's `services/<svc>/graph.py` may define (any keyword it does not take is not passed):

    graph(sandbox, *, now)                  -> {"nodes": [...], "edges": [...]}      or
    nodes(*, sandbox, now, region) / edges(*, sandbox, now, region) -> [...]
    describe(*, sandbox, arn, now)          -> {...} | None   (optional: a resource's details)

Every node has at least "id" (the resource's ARN), "service", "type", "name", "label" and
"region"; every edge "id", "source", "target", "type" and "service". What a service adds beyond
these (counters, state, attributes) passes through unchanged. Where a service has no describe()
yet, the details are the node itself with its edges, plus what the adapters below read.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from django.apps import apps

from playground.sandboxes.models import Sandbox

LOG = logging.getLogger(__name__)

Node = dict[str, Any]
Edge = dict[str, Any]


@dataclass(frozen=True)
class ServiceGraph:
    service: str
    module: ModuleType

    def _call(self, name: str, **kwargs: Any) -> Any:
        function: Callable[..., Any] = getattr(self.module, name)
        accepted = _parameters(function)
        return function(**{key: value for key, value in kwargs.items() if key in accepted})

    def draw(self, *, sandbox: Sandbox, now: dt.datetime, region: str | None) -> tuple[list[Node], list[Edge]]:
        if hasattr(self.module, "graph"):
            drawn = self._call("graph", sandbox=sandbox, now=now, region=region)
            return list(drawn.get("nodes", [])), list(drawn.get("edges", []))
        nodes = self._call("nodes", sandbox=sandbox, now=now, region=region) if hasattr(self.module, "nodes") else []
        edges = self._call("edges", sandbox=sandbox, now=now, region=region) if hasattr(self.module, "edges") else []
        return list(nodes), list(edges)

    def describe(self, *, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
        if hasattr(self.module, "describe"):
            result: dict[str, Any] | None = self._call("describe", sandbox=sandbox, arn=arn, now=now)
            return result
        adapter = _DESCRIBERS.get(self.service)
        return adapter(sandbox, arn, now) if adapter else None


@cache
def _parameters(function: Callable[..., Any]) -> frozenset[str]:
    """The names a function takes by keyword."""
    return frozenset(
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    )


@cache
def service_graphs() -> tuple[ServiceGraph, ...]:
    """The graph.py of every installed service app (services.<svc>), in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("services."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.graph")
        except ModuleNotFoundError as missing:
            if missing.name != f"{config.name}.graph":
                raise
            continue
        found.append(ServiceGraph(config.label, module))
    return tuple(found)


def _arn_tail(arn: str) -> str:
    return arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1] if ":" in arn else arn


def normalize_node(node: Node, service: str) -> Node:
    result = dict(node)
    arn = str(result.get("id", ""))
    parts = arn.split(":")
    result.setdefault("service", service)
    result.setdefault("type", "resource")
    result.setdefault("name", result.get("label") or _arn_tail(arn))
    result.setdefault("label", result["name"])
    result.setdefault("region", parts[3] if len(parts) > 4 else "")
    return result


def normalize_edge(edge: Edge, service: str) -> Edge:
    result = dict(edge)
    result.setdefault("service", service)
    result.setdefault("type", result.get("kind", "link"))
    result.setdefault("id", f"{result['source']}->{result['target']}:{result['type']}")
    return result


def sandbox_graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every node and edge of the sandbox (of one region when given), services in a fixed order."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    for source in service_graphs():
        drawn_nodes, drawn_edges = source.draw(sandbox=sandbox, now=now, region=region)
        nodes.extend(normalize_node(node, source.service) for node in drawn_nodes)
        edges.extend(normalize_edge(edge, source.service) for edge in drawn_edges)
    if region:
        nodes = [node for node in nodes if node.get("region") in (region, "")]
        kept = {node["id"] for node in nodes}
        edges = [edge for edge in edges if edge["source"] in kept or edge["target"] in kept]
    return {"nodes": nodes, "edges": edges}


def resource_detail(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    """One resource by ARN: its node, the service's details, and the edges that touch it."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[4] != sandbox.account_id:
        return None
    region = parts[3] or None
    for source in service_graphs():
        if source.service != parts[2]:
            continue
        drawn_nodes, drawn_edges = source.draw(sandbox=sandbox, now=now, region=region)
        node = next((normalize_node(n, source.service) for n in drawn_nodes if n.get("id") == arn), None)
        if node is None:
            return None
        detail = dict(node)
        detail.update(source.describe(sandbox=sandbox, arn=arn, now=now) or {})
        detail["edges"] = [
            normalize_edge(edge, source.service)
            for edge in drawn_edges
            if edge.get("source") == arn or edge.get("target") == arn
        ]
        return detail
    return None


# --- details for services whose graph.py has no describe() yet ------------------------------------
# LIMITATION: these read the services' models and domain functions from outside; each belongs in
# the service's own graph.py as describe(), and goes away from here when it is there.


def _describe_sqs(sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    from services.sqs.models import Message
    from services.sqs.queues import queue_attributes_all, queue_by_arn

    queue = queue_by_arn(sandbox=sandbox, arn=arn)
    if queue is None:
        return None
    rows = Message.objects.filter(queue=queue, expires_at__gt=now).order_by("sent_at", "id")[:100]
    messages = [
        {
            "message_id": message.message_id,
            "state": "visible"
            if message.visible_at <= now
            else ("in_flight" if message.receive_count > 0 else "delayed"),
            "receive_count": message.receive_count,
            "size": message.size,
            "sent_at": message.sent_at.isoformat(),
            "group_id": message.group_id,
            "dead_letter_source_arn": message.dead_letter_source_arn,
        }
        for message in rows
    ]
    return {"attributes": queue_attributes_all(queue, now=now), "tags": dict(queue.tags), "messages": messages}


def _describe_kms(sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    from services.kms.events import key_attributes
    from services.kms.models import Alias, Key

    region = arn.split(":")[3]
    resource = arn.split(":", 5)[5]
    if resource.startswith("key/"):
        key = (
            Key.objects.select_related("current_material")
            .filter(sandbox=sandbox, region=region, key_id=resource[4:])
            .first()
        )
        if key is None:
            return None
        key.sandbox = sandbox
        aliases = list(Alias.objects.filter(sandbox=sandbox, key=key).values_list("name", flat=True))
        return {"attributes": key_attributes(key), "aliases": aliases, "tags": key.tags}
    if resource.startswith("alias/"):
        alias = Alias.objects.select_related("key").filter(sandbox=sandbox, region=region, name=resource).first()
        if alias is None:
            return None
        alias.key.sandbox = sandbox
        return {"attributes": {"TargetKeyId": alias.key.key_id, "TargetKeyArn": alias.key.arn}}
    return None


_DESCRIBERS: dict[str, Callable[[Sandbox, str, dt.datetime], dict[str, Any] | None]] = {
    "sqs": _describe_sqs,
    "kms": _describe_kms,
}
