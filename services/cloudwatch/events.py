"""The live events CloudWatch publishes (the platform's types; it needs none of its own).

    resource.created / resource.changed   an alarm, with its attributes (alarm_attributes below:
                                           StateValue, StateReason, AlarmType, Threshold, ...)
    resource.deleted                       an alarm
    flow, kind:
      datapoints  <metric's resource or metric node> -> client-less: data was put to a metric
                  (source "client", target the metric node; detail: namespace, metric, count)
      state       metric source -> alarm   the alarm changed state (detail: old, new, reason)
      action      alarm -> target          an alarm action ran (detail: ok, state)

Every event is sent when the transaction that caused it commits (playground.live.bus).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from playground.live.bus import publish_flow, publish_resource
from playground.sandboxes.models import Sandbox

if TYPE_CHECKING:
    from services.cloudwatch.models import Alarm

SERVICE = "cloudwatch"
RESOURCE_TYPE = "alarm"


def alarm_attributes(alarm: Alarm) -> dict[str, Any]:
    config = alarm.config
    return {
        "StateValue": alarm.state,
        "StateReason": alarm.state_reason,
        "AlarmType": alarm.alarm_type,
        "ActionsEnabled": alarm.actions_enabled,
        "Namespace": config.get("Namespace", ""),
        "MetricName": config.get("MetricName", ""),
        "Threshold": config.get("Threshold"),
        "ComparisonOperator": config.get("ComparisonOperator", ""),
        "Period": config.get("Period"),
        "AlarmRule": config.get("AlarmRule", ""),
    }


def alarm_created(sandbox: Sandbox, *, alarm: Alarm, now: dt.datetime) -> None:
    publish_resource(sandbox, "created", service=SERVICE, resource_type=RESOURCE_TYPE, arn=alarm.arn,
                     name=alarm.name, attributes=alarm_attributes(alarm), now=now)  # fmt: skip


def alarm_changed(sandbox: Sandbox, *, alarm: Alarm, now: dt.datetime) -> None:
    publish_resource(sandbox, "changed", service=SERVICE, resource_type=RESOURCE_TYPE, arn=alarm.arn,
                     name=alarm.name, attributes=alarm_attributes(alarm), now=now)  # fmt: skip


def alarm_deleted(sandbox: Sandbox, *, alarm: Alarm, now: dt.datetime) -> None:
    publish_resource(sandbox, "deleted", service=SERVICE, resource_type=RESOURCE_TYPE, arn=alarm.arn,
                     name=alarm.name, now=now)  # fmt: skip


def alarm_state_changed(sandbox: Sandbox, *, alarm: Alarm, old_state: str, now: dt.datetime) -> None:
    from services.cloudwatch.graph import metric_source

    alarm_changed(sandbox, alarm=alarm, now=now)
    publish_flow(sandbox, service=SERVICE, kind="state", source=metric_source(alarm), target=alarm.arn,
                 item_id=f"{alarm.name}@{now.isoformat()}", now=now,
                 detail={"old": old_state, "new": alarm.state, "reason": alarm.state_reason})  # fmt: skip


def action_run(sandbox: Sandbox, *, alarm: Alarm, target: str, ok: bool, now: dt.datetime) -> None:
    publish_flow(sandbox, service=SERVICE, kind="action", source=alarm.arn, target=target,
                 item_id=f"{alarm.name}->{target}@{now.isoformat()}", now=now,
                 detail={"ok": ok, "state": alarm.state})  # fmt: skip


def datapoints_put(sandbox: Sandbox, *, target: str, namespace: str, metric: str, count: int, now: dt.datetime) -> None:
    publish_flow(sandbox, service=SERVICE, kind="datapoints", source="client", target=target,
                 item_id=f"{namespace}/{metric}@{now.isoformat()}", now=now,
                 detail={"namespace": namespace, "metric": metric, "count": count})  # fmt: skip
