"""Lab checks: declarative assertions over a sandbox's state, evaluated without changing anything
(no AWS call is made, so a check leaves no trace in the call log).

    {"kind": "resource", "select": {"service": "sqs", "type": "queue", "name": "orders"},
     "where": {"attributes": {"VisibilityTimeout": 45}}, "min": 1, "max": 1}
        nodes of the diagram (playground.graph) matching `select` and `where`; when a field is not
        on the node itself (a queue's attributes) the resource's details are read
    {"kind": "edge", "type": "dead-letter", "source": {"name": "orders"}, "target": {"name": "orders-dlq"}}
        an edge of that type between nodes matching `source` and `target` (subscription, redrive
        policy, alias to key ...); `where` matches the edge's own fields
    {"kind": "messages", "queue": {"name": "orders"}, "where": {"receive_count": {"$gte": 2}}, "min": 1}
        messages in the queue(s) matching `queue` (their metadata: state, receive_count, size ...)
    {"kind": "call", "service": "kms", "operation": "Encrypt", "params": {"KeyId": "alias/app"}, "min": 1}
        AWS calls made since the session started (by the student: the lab's own setup calls do not
        count), successful unless "success": false; `params` matches the recorded parameters
    {"kind": "event", "type": "flow", "where": {"kind": "dead-lettered"}, "min": 1}
        live events published since the session started

Every check has `points` (default 1) and a `message` shown to the student when it fails. `min`
defaults to 1. Field matchers are those of matching.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from playground.gateway.models import ApiCall
from playground.graph import resource_detail, sandbox_graph
from playground.labs import matching
from playground.labs.bundles import Check
from playground.live.models import LiveEvent
from playground.sandboxes.models import Sandbox

MAX_ROWS_SCANNED = 5000


@dataclass
class CheckResult:
    id: str
    kind: str
    passed: bool
    points: int
    score: int
    message: str  # "" when passed
    found: int  # how many things matched

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "passed": self.passed,
            "points": self.points,
            "score": self.score,
            "message": self.message,
            "found": self.found,
        }


@dataclass
class SandboxView:
    """What checks read, each piece read once per check run."""

    sandbox: Sandbox
    now: dt.datetime
    since_clock: dt.datetime
    since_seq: int
    setup_principal: str
    _graph: dict[str, list[dict[str, Any]]] | None = None
    _details: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    @property
    def graph(self) -> dict[str, list[dict[str, Any]]]:
        if self._graph is None:
            self._graph = sandbox_graph(sandbox=self.sandbox, now=self.now)
        return self._graph

    def detail(self, node: dict[str, Any]) -> dict[str, Any]:
        arn = node["id"]
        if arn not in self._details:
            self._details[arn] = resource_detail(sandbox=self.sandbox, arn=arn, now=self.now)
        return {**node, **(self._details[arn] or {})}

    def node_matches(self, node: dict[str, Any], selector: dict[str, Any]) -> bool:
        if not selector:
            return True
        if all(key in node for key in selector):
            return matching.matches(node, selector)
        return matching.matches(self.detail(node), selector)

    def nodes(self, selector: dict[str, Any]) -> list[dict[str, Any]]:
        return [node for node in self.graph["nodes"] if self.node_matches(node, selector)]


def _count(check: Check, found: int) -> tuple[bool, int]:
    low = int(check.spec.get("min", 1))
    high = check.spec.get("max")
    return found >= low and (high is None or found <= int(high)), found


def _resource(view: SandboxView, check: Check) -> int:
    selector = {**check.spec.get("select", {}), **check.spec.get("where", {})}
    return len(view.nodes(selector))


def _edge(view: SandboxView, check: Check) -> int:
    nodes = {node["id"]: node for node in view.graph["nodes"]}
    source, target = check.spec.get("source", {}), check.spec.get("target", {})
    where = check.spec.get("where", {})
    found = 0
    for edge in view.graph["edges"]:
        if not matching.matches(edge.get("type"), check.spec["type"]):
            continue
        if where and not matching.matches(edge, where):
            continue
        start, end = nodes.get(edge["source"]), nodes.get(edge["target"])
        if start is None or end is None:
            continue
        if view.node_matches(start, source) and view.node_matches(end, target):
            found += 1
    return found


def _messages(view: SandboxView, check: Check) -> int:
    where = check.spec.get("where", {})
    found = 0
    for queue in view.nodes(check.spec.get("queue", {})):
        for message in view.detail(queue).get("messages", []):
            if not where or matching.matches(message, where):
                found += 1
    return found


def _call(view: SandboxView, check: Check) -> int:
    calls = ApiCall.objects.filter(
        sandbox=view.sandbox,
        service=check.spec["service"],
        operation=check.spec["operation"],
        at__gte=view.since_clock,
    ).exclude(principal_arn=view.setup_principal)
    if check.spec.get("success", True):
        calls = calls.filter(error_code="")
    expected = check.spec.get("params")
    if not expected:
        return calls.count()
    rows = calls.order_by("-id").values_list("params", flat=True)[:MAX_ROWS_SCANNED]
    return sum(1 for params in rows if matching.matches(params, expected))


def _event(view: SandboxView, check: Check) -> int:
    events = LiveEvent.objects.filter(sandbox=view.sandbox, type=check.spec["type"], seq__gt=view.since_seq)
    where = check.spec.get("where")
    if not where:
        return events.count()
    rows = events.order_by("-seq").values_list("payload", flat=True)[:MAX_ROWS_SCANNED]
    return sum(1 for payload in rows if matching.matches(payload, where))


_KINDS = {"resource": _resource, "edge": _edge, "messages": _messages, "call": _call, "event": _event}


def evaluate(check: Check, view: SandboxView) -> CheckResult:
    passed, found = _count(check, _KINDS[check.kind](view, check))
    return CheckResult(
        id=check.id,
        kind=check.kind,
        passed=passed,
        points=check.points,
        score=check.points if passed else 0,
        message="" if passed else check.message,
        found=found,
    )
