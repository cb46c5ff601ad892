"""The whole diagram of a sandbox: every service's nodes and edges, collected from its graph.py.

    sandbox_graph(sandbox=..., now=...)            -> {"nodes": [...], "edges": [...]}
    resource_detail(sandbox=..., arn=..., now=...) -> {...the node, "attributes", "edges", ...} | None

The REST API (/api/sandboxes/<id>/graph/ and /resources/?arn=), the GUI and the lab checks all read
the diagram through here, so they agree on what a sandbox holds.

What every service's `services/<svc>/graph.py` defines (docs/services.md), with one signature for all:

    graph(*, sandbox, now, region)  -> {"nodes": [...], "edges": [...]}   region None: every region
    describe(*, sandbox, arn, now)  -> {...} | None   a resource's details: "attributes", "tags" and
                                                      what else its inspector shows; None when the
                                                      service has no such resource

Every node has at least "id" (the resource's ARN), "service", "type", "name", "label" and
"region"; every edge "id", "source", "target", "type" and "service". What a service adds beyond
these (counters, state, attributes) passes through unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol, cast

from playground.catalog import ServiceApp, with_module
from playground.sandboxes.models import Sandbox

Node = dict[str, Any]
Edge = dict[str, Any]
Drawing = dict[str, list[dict[str, Any]]]


class GraphModule(Protocol):
    def graph(self, *, sandbox: Sandbox, now: dt.datetime, region: str | None) -> Drawing: ...

    def describe(self, *, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None: ...


def service_graphs() -> list[tuple[ServiceApp, GraphModule]]:
    """(app, its graph.py) for every service app that draws, in the catalog's order."""
    return [(app, cast(GraphModule, module)) for app, module in with_module("graph")]


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
    result.setdefault("type", "link")
    result.setdefault("id", f"{result['source']}->{result['target']}:{result['type']}")
    return result


def _drawn(app: ServiceApp, module: GraphModule, *, sandbox: Sandbox, now: dt.datetime, region: str | None) -> Drawing:
    drawn = module.graph(sandbox=sandbox, now=now, region=region)
    return {
        "nodes": [normalize_node(node, app.label) for node in drawn.get("nodes", [])],
        "edges": [normalize_edge(edge, app.label) for edge in drawn.get("edges", [])],
    }


def sandbox_graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None = None) -> Drawing:
    """Every node and edge of the sandbox (of one region when given), services in a fixed order."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    for app, module in service_graphs():
        drawn = _drawn(app, module, sandbox=sandbox, now=now, region=region)
        nodes.extend(drawn["nodes"])
        edges.extend(drawn["edges"])
    if region:
        nodes = [node for node in nodes if node.get("region") in (region, "")]
        kept = {node["id"] for node in nodes}
        edges = [edge for edge in edges if edge["source"] in kept or edge["target"] in kept]
    return {"nodes": nodes, "edges": edges}


def resource_detail(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    """One resource by ARN: its node, the service's details, and the edges that touch it."""
    parts = arn.split(":")
    # Some ARNs name no account (a bucket's: arn:aws:s3:::name); the sandbox's own diagram, drawn
    # below, is what decides that the resource is the sandbox's.
    if len(parts) < 6 or parts[0] != "arn" or parts[4] not in (sandbox.account_id, ""):
        return None
    region = parts[3] or None
    for app, module in service_graphs():
        if parts[2] not in app.arn_namespaces():
            continue
        drawn = _drawn(app, module, sandbox=sandbox, now=now, region=region)
        node = next((n for n in drawn["nodes"] if n.get("id") == arn), None)
        if node is None:
            continue
        detail = dict(node)
        detail.update(module.describe(sandbox=sandbox, arn=arn, now=now) or {})
        detail["edges"] = [edge for edge in drawn["edges"] if arn in (edge["source"], edge["target"])]
        return detail
    return None
