"""The EventBridge part of a sandbox's diagram: a node per event bus and per rule (its state, its
pattern or schedule, a schedule rule's next fire time on the sandbox clock, and its counters:
matched events, invocations, failed invocations), an edge from each bus to its rules and from each
rule to its targets. describe(arn) gives a rule's description, targets and tags, or a bus's
description, policy and rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.models import Sandbox
from services.eventbridge import buses, rules
from services.eventbridge.models import EventBus, Rule, Target


def _rule_node(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.arn,
        "type": "rule",
        "name": rule.name,
        "label": rule.name,
        "region": rule.bus.region,
        "bus": rule.bus.name,
        "state": rule.state,
        "event_pattern": rule.event_pattern,
        "schedule": rule.schedule,
        "next_fire_at": rule.next_fire_at.isoformat() if rule.next_fire_at else None,
        "matched_events": rule.matched_events,
        "invocations": rule.invocations,
        "failed_invocations": rule.failed_invocations,
    }


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    bus_rows = EventBus.objects.filter(sandbox=sandbox).select_related("sandbox").order_by("region", "name")
    if region:
        bus_rows = bus_rows.filter(region=region)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for bus in bus_rows:
        nodes.append(
            {
                "id": bus.arn,
                "type": "event-bus",
                "name": bus.name,
                "label": bus.name,
                "region": bus.region,
                "policy": bool(bus.policy),
            }
        )
    rule_rows = Rule.objects.filter(bus__in=list(bus_rows)).select_related("bus", "sandbox").order_by("name")
    for rule in rule_rows:
        nodes.append(_rule_node(rule))
        edges.append(
            {
                "id": f"{rule.bus.arn}->{rule.arn}",
                "source": rule.bus.arn,
                "target": rule.arn,
                "type": "rule",
                "label": "schedule" if rule.schedule and not rule.event_pattern else "pattern",
            }
        )
    for target in Target.objects.filter(rule__in=list(rule_rows)).select_related("rule__bus", "rule__sandbox"):
        edges.append(
            {
                "id": f"{target.rule.arn}->{target.arn}",
                "source": target.rule.arn,
                "target": target.arn,
                "type": "target",
                "label": target.target_id,
            }
        )
    return {"nodes": nodes, "edges": edges}


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    if not arn.startswith("arn:aws:events:"):
        return None
    try:
        resource = rules.resource_by_arn(sandbox=sandbox, region=arn.split(":")[3], arn=arn, now=now)
    except Exception:
        return None
    tags = dict(resource.tags)
    if isinstance(resource, Rule):
        return {
            "attributes": {key: str(value) for key, value in rules.rule_description(resource).items()},
            "tags": tags,
            "rule": _rule_node(resource),
            "targets": rules.targets_of(resource),
            "last_failure": resource.last_failure,
        }
    return {
        "attributes": {key: str(value) for key, value in buses.bus_description(resource).items()},
        "tags": tags,
        "policy": resource.policy,
        "rules": [rule.name for rule in resource.rules.order_by("name")],
    }
