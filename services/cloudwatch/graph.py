"""The CloudWatch part of a sandbox's diagram: one node per alarm (its state colours it), one per
custom metric an alarm watches, one per dashboard; edges from the metric's resource (the queue,
topic, stream or function an AWS/<Service> metric's dimension names, or the custom metric's node)
to the alarm, from a composite alarm's children to it, and from the alarm to its actions.

describe(arn) gives an alarm's definition, its metric's recent datapoints (for the chart, with the
threshold), the datapoints its last evaluation read, and its history; a metric's datapoints; a
dashboard's body with each widget's series."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from playground.sandboxes.models import Sandbox
from services.cloudwatch import actions, alarms, metrics, rules
from services.cloudwatch.models import COMPOSITE_ALARM, Alarm, AlarmHistory, Dashboard

CHART_PERIODS = 30
# The resource an AWS/<Service> metric's dimension names, as an ARN (service, dimension, resource).
RESOURCE_DIMENSIONS = {
    "AWS/SQS": ("sqs", "QueueName", "{value}"),
    "AWS/SNS": ("sns", "TopicName", "{value}"),
    "AWS/Kinesis": ("kinesis", "StreamName", "stream/{value}"),
    "AWS/Lambda": ("lambda", "FunctionName", "function:{value}"),
    "AWS/Firehose": ("firehose", "DeliveryStreamName", "deliverystream/{value}"),
    "AWS/KMS": ("kms", "KeyId", "key/{value}"),
}


def metric_node_id(*, region: str, account_id: str, namespace: str, name: str, dimensions: list[Any] | None) -> str:
    dims = metrics.dimensions_key(metrics.dimensions_of(dimensions))
    digest = hashlib.sha1(dims.encode()).hexdigest()[:8] if dims != "[]" else ""  # noqa: S324 (an id, not a secret)
    return f"arn:aws:cloudwatch:{region}:{account_id}:metric/{namespace}/{name}" + (f"/{digest}" if digest else "")


def metric_source(alarm: Alarm) -> str:
    """The node an alarm's metric comes from: the AWS resource its dimension names, or the metric."""
    config = alarm.config
    if alarm.alarm_type == COMPOSITE_ALARM:
        return alarm.arn
    namespace, dimensions = config.get("Namespace", ""), config.get("Dimensions") or []
    if config.get("Metrics"):
        stat = next((q["MetricStat"]["Metric"] for q in config["Metrics"] if "MetricStat" in q), None)
        if stat is None:
            return alarm.arn
        namespace, dimensions = stat.get("Namespace", ""), stat.get("Dimensions") or []
        name = stat.get("MetricName", "")
    else:
        name = config.get("MetricName", "")
    if namespace in RESOURCE_DIMENSIONS:
        service, key, resource = RESOURCE_DIMENSIONS[namespace]
        value = next((d["Value"] for d in dimensions if d["Name"] == key), None)
        if value:
            return f"arn:aws:{service}:{alarm.region}:{alarm.sandbox.account_id}:{resource.format(value=value)}"
    return metric_node_id(region=alarm.region, account_id=alarm.sandbox.account_id, namespace=namespace, name=name,
                          dimensions=dimensions)  # fmt: skip


def _alarm_node(alarm: Alarm) -> dict[str, Any]:
    config = alarm.config
    return {
        "id": alarm.arn,
        "service": "cloudwatch",
        "type": "alarm",
        "name": alarm.name,
        "region": alarm.region,
        "state": alarm.state,
        "alarm_type": alarm.alarm_type,
        "reason": alarm.state_reason,
        "actions_enabled": alarm.actions_enabled,
        "metric": f"{config.get('Namespace', '')} {config.get('MetricName', '')}".strip(),
        "threshold": config.get("Threshold"),
        "comparison": config.get("ComparisonOperator", ""),
        "period": config.get("Period"),
        "rule": config.get("AlarmRule", ""),
    }


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    rows = Alarm.objects.filter(sandbox=sandbox).order_by("region", "name")
    listed = list(rows.filter(region=region) if region else rows)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    metric_nodes: dict[str, dict[str, Any]] = {}
    names = {(a.region, a.name): a for a in listed}
    for alarm in listed:
        nodes.append(_alarm_node(alarm))
        if alarm.alarm_type == COMPOSITE_ALARM:
            for ref in rules.alarm_names(alarm.config["AlarmRule"]):
                child = names.get((alarm.region, ref.split(":alarm:")[-1]))
                if child:
                    edges.append({"source": child.arn, "target": alarm.arn, "type": "alarm-rule", "label": "rule"})
        else:
            source = metric_source(alarm)
            if ":cloudwatch:" in source and ":metric/" in source and source not in metric_nodes:
                config = alarm.config
                metric_nodes[source] = {
                    "id": source, "service": "cloudwatch", "type": "metric", "region": alarm.region,
                    "name": config.get("MetricName", "expression"), "namespace": config.get("Namespace", ""),
                    "dimensions": config.get("Dimensions") or [],
                }  # fmt: skip
            if source != alarm.arn:
                edges.append({"source": source, "target": alarm.arn, "type": "alarm-metric", "label": "metric"})
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            for arn in alarm.config.get(key) or []:
                edges.append({"source": alarm.arn, "target": actions.target_of(alarm, arn), "type": "alarm-action",
                              "label": key[:-7] or "ALARM", "on": key})  # fmt: skip
    nodes.extend(metric_nodes.values())
    for board in Dashboard.objects.filter(sandbox=sandbox).order_by("name"):
        nodes.append({"id": board.arn, "service": "cloudwatch", "type": "dashboard", "name": board.name,
                      "region": region or "", "widgets": len(json.loads(board.body).get("widgets", []))})  # fmt: skip
    return {"nodes": nodes, "edges": edges}


def _chart(alarm: Alarm, *, now: dt.datetime) -> dict[str, Any]:
    from services.cloudwatch import evaluation

    period = alarms.period_of(alarm)
    _, end = evaluation.window(alarm, now)
    end = end + dt.timedelta(seconds=period)  # the current, incomplete period too
    start = end - dt.timedelta(seconds=period * CHART_PERIODS)
    series = evaluation.read_series(alarm, start=start, end=end, now=now) if alarm.alarm_type != COMPOSITE_ALARM else {}
    return {
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "points": [{"timestamp": at.isoformat(), "value": value} for at, value in sorted(series.items())],
        "threshold": alarm.config.get("Threshold"),
    }


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    if ":alarm:" in arn:
        region, name = arn.split(":")[3], arn.split(":alarm:", 1)[1]
        alarm = alarms.find(sandbox=sandbox, region=region, name=name)
        if alarm is None:
            return None
        history = AlarmHistory.objects.filter(sandbox=sandbox, region=region, alarm_name=name)[:20]
        return {
            "attributes": json.loads(json.dumps(alarms.describe_one(alarm), default=str)),
            "tags": {t["Key"]: t["Value"] for t in alarm.tags},
            "chart": _chart(alarm, now=now),
            "evaluated": alarm.evaluated,
            "next_evaluation": alarm.evaluate_at.isoformat() if alarm.evaluate_at else None,
            "history": [
                {"timestamp": h.timestamp.isoformat(), "type": h.item_type, "summary": h.summary} for h in history
            ],
        }
    if ":dashboard/" in arn:
        board = Dashboard.objects.filter(sandbox=sandbox, name=arn.split(":dashboard/", 1)[1]).first()
        if board is None:
            return None
        from services.cloudwatch import dashboards

        return {"attributes": {"DashboardName": board.name, "DashboardArn": board.arn},
                "body": json.loads(board.body), "widgets": dashboards.widget_series(board, now=now)}  # fmt: skip
    return None
